"""Correcting the identity after a failed real-name check (issue 12, finding 9):
``PATCH /me/profile``'s use case on a real PostgreSQL and Redis."""

from __future__ import annotations

import random
from datetime import date

import pytest
from accounts import profile, real_name, recovery_lookups, registration
from contracts.errors import InvalidInput, RateLimited
from contracts.masking import mask_credit_code, mask_document
from contracts.phones import normalize_phone

from tests import identity_data as gen
from tests.integration.accounts.helpers import apply_outcome, register, register_org

pytestmark = pytest.mark.integration


def fail(deps, account_id, kind="person", final=False):
    """The identity authority said no (``final``: a reviewer rejected it)."""
    data = {"reason_code": "no_record"}
    if final:
        data = {"reason_code": "reviewer_rejected", "status": "rejected", "final": True}
    assert apply_outcome(deps, "verification_failed", account_id, kind, **data)
    deps.clock.advance(seconds=2)


def field_codes(error: InvalidInput) -> dict:
    return {e["field"]: e["code"] for e in error.details["errors"]}


def test_identity_fields_are_not_editable_while_pending_or_passed(deps, otp, events):
    _, registered = register(deps, otp)
    account_id = registered["account_id"]
    for status in ("pending", "passed"):
        if status == "passed":
            apply_outcome(deps, "verification_passed", account_id)
        assert profile.get_me(deps, account_id)["real_name_status"] == status
        with pytest.raises(InvalidInput) as err:
            profile.update_profile(
                deps,
                account_id,
                {"doc_number": gen.resident_id(), "doc_type": "resident_id"},
            )
        assert field_codes(err.value) == {
            "doc_number": "field_not_editable",
            "doc_type": "field_not_editable",
        }
    assert [e for e, _ in events(account_id)] == ["person_registered"]


def test_a_person_corrects_the_document_number_after_a_failed_check(deps, otp, events):
    body, registered = register(deps, otp)
    account_id = registered["account_id"]
    fail(deps, account_id)
    corrected = gen.resident_id(born=date(1991, 3, 4), gender="female")

    me = profile.update_profile(deps, account_id, {"doc_number": corrected})

    assert me["real_name_status"] == "pending"
    assert me["profile"]["doc_number"] == corrected[:3] + "********" + corrected[-2:]
    assert (me["profile"]["gender"], me["profile"]["birth_date"]) == (
        "female",
        "1991-03-04",
    )
    assert events(account_id)[-1] == (
        "profile_changed",
        {
            "account_id": account_id,
            "account_kind": "person",
            "reverify": True,
            "changed_fields": ["doc_number"],
        },
    )
    subject = real_name.get_verification_subject(deps, account_id)
    assert subject["doc_number"] == corrected
    assert corrected not in str(events(account_id))
    # the old number is free again, the new one taken
    again = gen.person_registration(doc_number=body["doc_number"])
    again["sms_code"] = otp.issue_code(
        normalize_phone(again["phone"]), "register_person"
    )
    registration.register_person(deps, again)
    # and once pending, the document is locked again
    with pytest.raises(InvalidInput) as err:
        profile.update_profile(deps, account_id, {"doc_number": gen.resident_id()})
    assert field_codes(err.value) == {"doc_number": "field_not_editable"}


def test_after_a_rejection_a_person_changes_region_and_document_type(deps, otp):
    _, registered = register(deps, otp)
    fail(deps, registered["account_id"], final=True)
    assert profile.get_me(deps, registered["account_id"])["real_name_status"] == (
        "rejected"
    )
    me = profile.update_profile(
        deps,
        registered["account_id"],
        {"identity_region": "other", "doc_type": "passport", "doc_number": "e1234567"},
    )
    shown = me["profile"]
    assert (shown["identity_region"], shown["doc_type"], shown["doc_number"]) == (
        "other",
        "passport",
        mask_document("E1234567"),
    )
    assert shown["derived_from_document"] is False
    assert me["real_name_status"] == "pending"


@pytest.mark.parametrize(
    "document",
    [
        {"doc_number": "110105194912310021"},  # wrong check character
        {"doc_number": "110105219912310028"},  # born in the future
        {"doc_type": "passport"},  # not a mainland document
        {"identity_region": "hmt", "doc_number": "H12345678"},  # type of the region
        {"doc_number": None},
    ],
)
def test_a_correction_gets_the_answer_registration_gives(deps, otp, document):
    body, registered = register(deps, otp)
    fail(deps, registered["account_id"])
    with pytest.raises(InvalidInput) as corrected:
        profile.update_profile(deps, registered["account_id"], document)
    attempt = {**gen.person_registration(), **document}
    with pytest.raises(InvalidInput) as registering:
        registration.register_person(deps, attempt)
    assert field_codes(corrected.value) == field_codes(registering.value)
    me = profile.get_me(deps, registered["account_id"])
    assert me["real_name_status"] == "failed"
    subject = real_name.get_verification_subject(deps, registered["account_id"])
    assert subject["doc_number"] == body["doc_number"]


def test_a_document_another_account_uses_is_answered_as_registration_answers(
    deps, otp, events
):
    other, _ = register(deps, otp)
    _, registered = register(deps, otp)
    account_id = registered["account_id"]
    fail(deps, account_id)
    before = len(events(account_id))
    with pytest.raises(InvalidInput) as err:
        profile.update_profile(deps, account_id, {"doc_number": other["doc_number"]})
    assert field_codes(err.value) == {"doc_number": "document_registered"}
    assert profile.get_me(deps, account_id)["real_name_status"] == "failed"
    assert len(events(account_id)) == before


def test_corrections_of_a_document_are_limited_per_account_and_day(
    make_deps, otp, clock
):
    deps = make_deps(identity_corrections_per_day=2)
    other, _ = register(deps, otp)
    _, registered = register(deps, otp)
    fail(deps, registered["account_id"])
    for _ in range(2):
        with pytest.raises(InvalidInput):
            profile.update_profile(
                deps, registered["account_id"], {"doc_number": other["doc_number"]}
            )
    # the third, even for a free number, says nothing about who is registered
    with pytest.raises(RateLimited) as err:
        profile.update_profile(
            deps, registered["account_id"], {"doc_number": gen.resident_id()}
        )
    assert err.value.error_code == "corrections_rate_limited"
    assert 0 < err.value.details["retry_after"] <= 86_400
    # rules that reveal nothing stored are still answered, and not counted
    with pytest.raises(InvalidInput) as err:
        profile.update_profile(
            deps, registered["account_id"], {"doc_number": "110105194912310021"}
        )
    assert field_codes(err.value) == {"doc_number": "doc_number_invalid"}


def test_an_organisation_corrects_code_legal_representative_and_main_agent(
    deps, otp, events
):
    rng = random.Random()
    body, registered = register_org(deps, otp, rng)
    account_id = registered["account_id"]
    with pytest.raises(InvalidInput) as err:
        profile.update_profile(deps, account_id, {"credit_code": gen.credit_code(rng)})
    assert field_codes(err.value) == {"credit_code": "field_not_editable"}
    fail(deps, account_id, kind="organization")

    code = gen.credit_code(rng)
    legal = gen.organization_person(rng, name="李娜娜")
    agent = gen.organization_person(rng, name="王芳芳", doc_valid_to="2041-01-01")
    agent["doc_long_term"] = False
    changes = {
        "credit_code": code,
        "legal_representative": legal,
        "main_agent": agent,
    }
    # a new main agent's mobile is the reserved phone: proven by a code
    with pytest.raises(InvalidInput) as err:
        profile.update_profile(deps, account_id, changes)
    assert field_codes(err.value) == {"main_agent.sms_code": "required"}
    agent["sms_code"] = "000000"
    otp.issue_code(normalize_phone(agent["phone"]), "change_phone")
    with pytest.raises(InvalidInput) as err:
        profile.update_profile(deps, account_id, changes)
    assert field_codes(err.value) == {"main_agent.sms_code": "sms_code_invalid"}
    assert profile.get_me(deps, account_id)["real_name_status"] == "failed"

    agent["sms_code"] = otp.issue_code(normalize_phone(agent["phone"]), "change_phone")
    me = profile.update_profile(deps, account_id, changes)

    assert me["real_name_status"] == "pending"
    shown = me["profile"]
    assert shown["unique_code"] == mask_credit_code(code)
    assert shown["legal_representative"]["name"] == "李娜娜"
    assert shown["main_agent"]["name"] == "王芳芳"
    assert shown["main_agent"]["doc_valid_to"] == "2041-01-01"
    assert shown["mobile"] == shown["main_agent"]["mobile"]
    assert recovery_lookups.reserved_phone_matches(
        deps, account_id, normalize_phone(agent["phone"])
    )
    subject = real_name.get_verification_subject(deps, account_id)
    assert (subject["credit_code"], subject["legal_representative_name"]) == (
        code,
        "李娜娜",
    )
    assert events(account_id)[-1] == (
        "profile_changed",
        {
            "account_id": account_id,
            "account_kind": "organization",
            "reverify": True,
            "changed_fields": sorted(
                ["credit_code", "legal_representative", "main_agent", "phone"]
            ),
        },
    )
    assert code not in str(events(account_id))
    assert body["credit_code"] != code


def test_an_organisation_gets_registrations_answers(deps, otp):
    rng = random.Random()
    taken, _ = register_org(deps, otp, rng)
    body, registered = register_org(deps, otp, rng)
    account_id = registered["account_id"]
    fail(deps, account_id, kind="organization", final=True)
    # the same main agent (same mobile) needs no new code
    same_agent = {**body["main_agent"]}
    same_agent.pop("sms_code")
    expired = gen.organization_person(
        rng, doc_long_term=False, doc_valid_to="2021-01-01"
    )
    with pytest.raises(InvalidInput) as err:
        profile.update_profile(
            deps,
            account_id,
            {
                "credit_code": "91350100M000100Y4X",
                "registration_number": "HK-1234",
                "legal_representative": expired,
                "main_agent": same_agent,
            },
        )
    assert field_codes(err.value) == {
        "registration_number": "field_not_editable",
        "credit_code": "credit_code_invalid",
        "legal_representative.doc_valid_to": "doc_expired",
    }
    with pytest.raises(InvalidInput) as err:
        profile.update_profile(
            deps,
            account_id,
            {"credit_code": taken["credit_code"], "main_agent": same_agent},
        )
    assert field_codes(err.value) == {"credit_code": "credit_code_registered"}
    assert otp.verified[-1][1] == "register_organization"  # no code asked or spent
