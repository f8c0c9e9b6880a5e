"""My information: masked, changing a verified field, the reserved phone, the
verification subject, the field rules.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from accounts import profile, real_name, recovery_lookups
from contracts.errors import InvalidInput, NotFound
from contracts.phones import normalize_phone

from tests import identity_data as gen
from tests.integration.accounts.helpers import outcome, register, register_org

pytestmark = pytest.mark.integration


def test_me_is_masked_with_gender_and_birth_date_from_the_id(deps, otp):
    doc = gen.resident_id(born=date(1988, 8, 8), gender="female")
    body, registered = register(deps, otp, doc_number=doc, phone="13812345141")
    me = profile.get_me(deps, registered["account_id"])
    assert me["real_name_status"] == "pending" and me["real_name_reason"] is None
    shown = me["profile"]
    assert shown["mobile"] == "13*****141"
    assert shown["doc_number"] == doc[:3] + "********" + doc[-2:]
    assert shown["gender"] == "female"
    assert shown["birth_date"] == "1988-08-08"
    assert shown["derived_from_document"] is True
    assert body["phone"] not in str(me) and doc not in str(me)
    with pytest.raises(NotFound):
        profile.get_me(deps, str(uuid.uuid4()))


def test_changing_a_verified_field_restarts_verification(deps, otp, events):
    _, registered = register(deps, otp)
    account_id = registered["account_id"]
    real_name.apply_verification_outcome(
        deps, outcome("verification_passed", account_id, deps.clock())
    )
    deps.repo.session.commit()
    assert profile.get_me(deps, account_id)["real_name_status"] == "passed"

    me = profile.update_profile(
        deps,
        account_id,
        {"title": "工程师", "email": "zw@example.cn", "telephone": "010-12345678"},
    )
    assert me["real_name_status"] == "passed"  # unverified fields only
    assert me["profile"]["telephone"] == "01*****678"
    assert events(account_id)[-1] == (
        "profile_changed",
        {
            "account_id": account_id,
            "account_kind": "person",
            "reverify": False,
            "changed_fields": ["email", "telephone", "title"],
        },
    )

    me = profile.update_profile(deps, account_id, {"name": "张伟伟"})
    assert me["real_name_status"] == "pending"
    assert events(account_id)[-1] == (
        "profile_changed",
        {
            "account_id": account_id,
            "account_kind": "person",
            "reverify": True,
            "changed_fields": ["name"],
        },
    )
    # the same values again are no change and no event
    count = len(events(account_id))
    profile.update_profile(deps, account_id, {"name": "张伟伟", "title": "工程师"})
    assert len(events(account_id)) == count
    assert "12345678" not in str(events(account_id))


def test_a_person_changes_the_reserved_phone_with_a_code_sent_to_it(deps, otp, events):
    body, registered = register(deps, otp, phone="13812345141")
    account_id = registered["account_id"]
    new = "+8613998765432"
    me = profile.change_phone(
        deps, account_id, "13998765432", otp.issue_code(new, "change_phone")
    )
    assert me["profile"]["mobile"] == "13*****432"
    assert me["real_name_status"] == "pending"  # as before: phones are not verified
    assert recovery_lookups.reserved_phone_matches(deps, account_id, new)
    assert not recovery_lookups.reserved_phone_matches(deps, account_id, body["phone"])
    assert events(account_id)[-1] == (
        "profile_changed",
        {
            "account_id": account_id,
            "account_kind": "person",
            "reverify": False,
            "changed_fields": ["phone"],
        },
    )
    assert "13998765432" not in str(events(account_id))


def test_an_organisation_changes_its_main_agents_phone(deps, otp):
    _, registered = register_org(deps, otp)
    account_id = registered["account_id"]
    new = "+8613698765433"
    me = profile.change_phone(
        deps, account_id, new, otp.issue_code(new, "change_phone")
    )
    assert me["profile"]["mobile"] == "13*****433"
    assert me["profile"]["main_agent"]["mobile"] == "13*****433"
    assert recovery_lookups.reserved_phone_matches(deps, account_id, new)


def test_a_phone_change_is_refused_before_the_code_is_spent(deps, otp, events):
    body, registered = register(deps, otp, phone="13812345142")
    account_id = registered["account_id"]
    before = len(events(account_id))
    cases = [
        ("1381234", "123456", "phone", "phone_invalid"),
        ("13812345142", "123456", "phone", "phone_unchanged"),
        ("13912345143", "12ab", "sms_code", "sms_code_invalid"),
    ]
    for phone, code, field, error in cases:
        with pytest.raises(InvalidInput) as err:
            profile.change_phone(deps, account_id, phone, code)
        assert {e["field"]: e["code"] for e in err.value.details["errors"]} == {
            field: error
        }
    # a wrong code for the right phone is refused by otp, and nothing changes
    otp.issue_code("+8613912345143", "change_phone")
    with pytest.raises(InvalidInput) as err:
        profile.change_phone(deps, account_id, "13912345143", "000000")
    assert err.value.details["errors"][0]["code"] == "sms_code_invalid"
    assert otp.verified == [(normalize_phone(body["phone"]), "register_person")]
    assert recovery_lookups.reserved_phone_matches(deps, account_id, body["phone"])
    assert len(events(account_id)) == before


def test_the_verification_subject_is_in_clear_for_verification(deps, otp):
    body, registered = register(deps, otp)
    assert real_name.get_verification_subject(deps, registered["account_id"]) == {
        "account_id": registered["account_id"],
        "account_kind": "person",
        "name": body["name"],
        "identity_region": "mainland",
        "doc_type": "resident_id",
        "doc_number": body["doc_number"],
    }
    with pytest.raises(NotFound):
        real_name.get_verification_subject(deps, str(uuid.uuid4()))


def test_profile_field_rules(deps, otp):
    _, registered = register(deps, otp)
    changes = {
        "gender": "female",
        "birth_date": "1990-01-01",
        "login_name": "new_name",
        "email": "not-an-email",
        "name": "",
    }
    # the shape (the model's rules) first, then the rules of the account
    with pytest.raises(InvalidInput) as err:
        profile.update_profile(deps, registered["account_id"], changes)
    assert {e["field"]: e["code"] for e in err.value.details["errors"]} == {
        "email": "email_invalid",
    }
    changes["email"] = "wei@example.cn"
    with pytest.raises(InvalidInput) as err:
        profile.update_profile(deps, registered["account_id"], changes)
    assert {e["field"]: e["code"] for e in err.value.details["errors"]} == {
        "gender": "field_not_editable",
        "birth_date": "field_not_editable",
        "login_name": "field_not_editable",
        "name": "required",
    }


def test_a_passport_holder_sets_gender_and_birth_date(deps, otp):
    _, registered = register(
        deps, otp, identity_region="other", doc_type="passport", doc_number="E98765432"
    )
    me = profile.update_profile(
        deps, registered["account_id"], {"gender": "male", "birth_date": "1979-05-04"}
    )
    assert (me["profile"]["gender"], me["profile"]["birth_date"]) == (
        "male",
        "1979-05-04",
    )
