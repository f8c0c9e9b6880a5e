"""Registration, checks and personal-data storage, against PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from accounts import profile, real_name, registration, registration_checks
from accounts.models import accounts, organization_people, organizations
from contracts.errors import CaptchaRequired, InvalidInput, RateLimited
from contracts.phones import normalize_phone

from tests import identity_data as gen
from tests.integration.accounts.helpers import register, register_org

pytestmark = pytest.mark.integration


def codes_of(error: InvalidInput) -> dict[str, str]:
    return {e["field"]: e["code"] for e in error.details["errors"]}


def refusal(call: Callable, *args, **kwargs) -> InvalidInput:
    """The field error ``call`` is refused with: the tests read its codes."""
    with pytest.raises(InvalidInput) as err:
        call(*args, **kwargs)
    return err.value


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def registered_event(answer: dict, account_kind: str, **payload) -> list:
    """The one event a registration emits: ``<kind>_registered`` naming the new
    account, its kind and what the rest of the payload says."""
    return [
        (
            f"{account_kind}_registered",
            {
                "account_id": answer["account_id"],
                "account_kind": account_kind,
                **payload,
            },
        )
    ]


def test_a_person_registers_and_verification_is_pending(deps, otp, events):
    body, answer = register(deps, otp)
    assert answer["kind"] == "person"
    assert answer["login_name"] == body["login_name"]
    assert answer["real_name_status"] == "pending"
    assert answer["agreement_version"] == "2024-01"
    assert events(answer["account_id"]) == registered_event(
        answer, "person", identity_region="mainland", doc_type="resident_id"
    )


def test_every_field_error_comes_back_together_and_nothing_is_created(
    deps, otp, accounts_engine
):
    """Shape errors (the model's) come back together first; once the shape is
    right, every domain error comes back together."""
    before = count(accounts_engine, accounts)
    body = {
        "login_name": "x!",
        "password": "short",
        "password_confirmation": "other",
        "name": "",
        "identity_region": "mainland",
        "doc_type": "passport",
        "doc_number": "E12345",
        "phone": "12345",
        "sms_code": "12",
    }
    shape_errors = {
        "login_name": "login_name_invalid",
        "name": "required",
        "phone": "phone_invalid",
        "sms_code": "sms_code_invalid",
    }
    shape_fixed = dict(
        login_name="zhang_wei_42", name="张伟", phone="13812345678", sms_code="123456"
    )
    domain_errors = {
        "password": "password_too_weak",
        "password_confirmation": "password_mismatch",
        "doc_type": "doc_type_not_allowed_for_region",
        "agreement_version": "agreement_required",
    }
    for fix, expected in [({}, shape_errors), (shape_fixed, domain_errors)]:
        body.update(fix)
        error = refusal(registration.register_person, deps, body)
        assert error.error_code == "validation_failed"
        assert codes_of(error) == expected
    assert count(accounts_engine, accounts) == before
    assert otp.verified == []


def test_an_empty_or_non_object_body_lists_every_required_field(deps):
    error = refusal(registration.register_person, deps, {})
    assert set(codes_of(error)) == {
        "login_name",
        "password",
        "password_confirmation",
        "name",
        "identity_region",
        "doc_type",
        "doc_number",
        "phone",
        "sms_code",
    }
    for body in (None, []):
        error = refusal(registration.register_person, deps, body)
        assert codes_of(error) == {"body": "validation_failed"}


def test_login_names_are_unique_case_insensitively_across_both_kinds(deps, otp):
    body, _ = register(deps, otp)
    error = refusal(register_org, deps, otp, login_name=body["login_name"].upper())
    assert codes_of(error) == {"login_name": "login_name_taken"}
    assert registration_checks.check_login_name(
        deps, body["login_name"].swapcase()
    ) == {
        "login_name": body["login_name"].swapcase(),
        "available": False,
    }
    assert (
        registration_checks.check_login_name(deps, "free_name_12345")["available"]
        is True
    )
    error = refusal(registration_checks.check_login_name, deps, "no")
    assert codes_of(error) == {"login_name": "login_name_invalid"}


def test_a_document_backs_one_person_told_once_the_sms_code_is_spent(deps, otp):
    body, _ = register(deps, otp)
    second = gen.person_registration(doc_number=body["doc_number"].lower())
    second["sms_code"] = otp.issue_code(
        normalize_phone(second["phone"]), "register_person"
    )
    error = refusal(registration.register_person, deps, second)
    assert codes_of(error) == {"doc_number": "document_registered"}
    # the conflict is told only to who proved the phone: the code is spent
    assert (normalize_phone(second["phone"]), "register_person") not in otp.codes
    assert otp.verified[-1] == (normalize_phone(second["phone"]), "register_person")


def test_a_domain_error_does_not_spend_the_sms_code(deps, otp):
    body = gen.person_registration(agreement_accepted=False)
    key = (normalize_phone(body["phone"]), "register_person")
    body["sms_code"] = otp.issue_code(*key)
    error = refusal(registration.register_person, deps, body)
    assert codes_of(error) == {"agreement_version": "agreement_required"}
    assert key in otp.codes


def test_a_wrong_sms_code_creates_nothing(deps, otp, accounts_engine):
    before = count(accounts_engine, accounts)
    body = gen.person_registration(sms_code="123456")
    error = refusal(registration.register_person, deps, body)
    assert codes_of(error) == {"sms_code": "sms_code_invalid"}
    assert "2 tries left" in error.details["errors"][0]["message"]
    assert count(accounts_engine, accounts) == before


def test_the_agreement_must_be_the_current_version(deps, otp):
    error = refusal(register, deps, otp, agreement_version="2019-01")
    assert codes_of(error) == {"agreement_version": "agreement_version_outdated"}
    error = refusal(register, deps, otp, agreement_accepted=False)
    assert codes_of(error) == {"agreement_version": "agreement_required"}


@pytest.mark.parametrize(
    ("region", "doc_type", "number"),
    [
        ("hmt", "hk_macau_permit", "H{:08d}"),
        ("hmt", "taiwan_permit", "{:08d}"),
        ("other", "passport", "E{:08d}"),
    ],
)
def test_persons_of_every_region_register(deps, otp, region, doc_type, number):
    rng = random.Random()
    _, answer = register(
        deps,
        otp,
        rng,
        identity_region=region,
        doc_type=doc_type,
        doc_number=number.format(rng.randrange(10**8)),
        phone="+85261234567" if region == "hmt" else gen.mobile(rng),
    )
    assert answer["real_name_status"] == "pending"


def test_an_organisation_registers_with_its_people(deps, otp, events, accounts_engine):
    body, answer = register_org(deps, otp)
    assert answer["kind"] == "organization"
    assert events(answer["account_id"]) == registered_event(
        answer, "organization", region="domestic", legal_person_type="enterprise"
    )
    with accounts_engine.connect() as conn:
        roles = conn.execute(
            sa.select(organization_people.c.role, organization_people.c.doc_long_term)
            .where(
                organization_people.c.organization_id
                == sa.text(f"'{answer['account_id']}'")
            )
            .order_by(organization_people.c.role)
        ).all()
    assert [tuple(r) for r in roles] == [
        ("legal_representative", True),
        ("main_agent", False),
    ]
    subject = real_name.get_verification_subject(deps, answer["account_id"])
    assert subject == {
        "account_id": answer["account_id"],
        "account_kind": "organization",
        "name": body["name"],
        "registration_region": "domestic",
        "credit_code": body["credit_code"],
        "legal_representative_name": body["legal_representative"]["name"],
    }
    # the reserved phone is the main agent's
    me = profile.get_me(deps, answer["account_id"])
    agent_phone = normalize_phone(body["main_agent"]["phone"])[3:]
    assert me["profile"]["mobile"] == agent_phone[:2] + "*****" + agent_phone[-3:]


def test_a_credit_code_backs_one_organisation(deps, otp):
    body, _ = register_org(deps, otp)
    error = refusal(register_org, deps, otp, credit_code=body["credit_code"].lower())
    assert codes_of(error) == {"credit_code": "credit_code_registered"}


def test_organisation_field_errors_are_nested_and_together(deps, otp, accounts_engine):
    before = count(accounts_engine, organizations)
    rng = random.Random()
    body = gen.organization_registration(
        rng,
        credit_code="91110000600037341X",
        region="domestic",
        legal_person_type="ngo",
        legal_representative=gen.organization_person(
            rng, doc_type="passport", doc_long_term=False
        ),
        main_agent=gen.organization_person(
            rng,
            sms_code="abc",
            doc_valid_from="1990-01-01",
            doc_valid_to="2001-01-01",
            doc_long_term=False,
        ),
    )
    error = refusal(registration.register_organization, deps, body)
    assert codes_of(error) == {
        "legal_person_type": "legal_person_type_invalid",
        "main_agent.sms_code": "sms_code_invalid",
    }
    body["legal_person_type"] = "enterprise"
    body["main_agent"]["sms_code"] = "123456"
    error = refusal(registration.register_organization, deps, body)
    assert codes_of(error) == {
        "credit_code": "credit_code_invalid",
        "legal_representative.doc_type": "doc_type_not_allowed_for_region",
        "legal_representative.doc_valid_to": "required",
        "main_agent.doc_valid_to": "doc_expired",
    }
    assert count(accounts_engine, organizations) == before


def test_a_missing_block_is_one_error(deps):
    body = gen.organization_registration()
    del body["main_agent"]
    body["legal_representative"] = "nobody"
    error = refusal(registration.register_organization, deps, body)
    assert codes_of(error) == {
        "legal_representative": "required",
        "main_agent": "required",
    }


def test_a_long_term_document_has_no_end_date(deps, otp):
    rng = random.Random()
    representative = gen.organization_person(
        rng, doc_long_term=True, doc_valid_to="2040-01-01"
    )
    error = refusal(register_org, deps, otp, rng, legal_representative=representative)
    assert codes_of(error) == {
        "legal_representative.doc_valid_to": "doc_valid_to_invalid"
    }


def test_an_overseas_organisation_registers_with_a_registration_number(deps, otp):
    rng = random.Random()
    _, answer = register_org(
        deps,
        otp,
        rng,
        region="overseas",
        credit_code=None,
        registration_number=f"HRB {rng.randrange(10**6)}",
    )
    me = profile.get_me(deps, answer["account_id"])
    assert me["profile"]["code_kind"] == "registration_number"
    error = refusal(register_org, deps, otp, rng, region="hmt", credit_code=None)
    assert codes_of(error) == {"registration_number": "required"}


def test_check_document_validates_first_then_spends_the_captcha(deps, otp):
    body, _ = register(deps, otp)
    with pytest.raises(InvalidInput):
        registration_checks.check_document(
            deps, "mainland", "resident_id", "123", None, None
        )
    assert otp.captchas_checked == 0
    with pytest.raises(CaptchaRequired):
        registration_checks.check_document(
            deps, "mainland", "resident_id", body["doc_number"], None, None
        )
    captcha = otp.issue_captcha()
    assert registration_checks.check_document(
        deps, "mainland", "resident_id", body["doc_number"], *captcha
    ) == {"registered": True}
    document = ("mainland", "resident_id", body["doc_number"])
    # the same captcha again: captchas are single use
    error = refusal(registration_checks.check_document, deps, *document, *captcha)
    assert codes_of(error) == {"captcha_answer": "captcha_invalid"}
    fresh = gen.resident_id()
    assert registration_checks.check_document(
        deps, "mainland", "resident_id", fresh, *otp.issue_captcha()
    ) == {"registered": False}


def test_one_document_is_checked_a_few_times_an_hour_whoever_asks(make_deps, otp):
    deps = make_deps(document_checks_per_document_per_hour=2)
    document = ("mainland", "resident_id", gen.resident_id())
    for _ in range(2):
        assert registration_checks.check_document(
            deps, *document, *otp.issue_captcha()
        ) == {"registered": False}
    checked = otp.captchas_checked
    with pytest.raises(RateLimited) as err:
        registration_checks.check_document(deps, *document, *otp.issue_captcha())
    assert err.value.error_code == "document_check_rate_limited"
    assert 3590 < err.value.details["retry_after"] <= 3600
    assert otp.captchas_checked == checked  # refused before the captcha is spent
    other = ("mainland", "resident_id", gen.resident_id())
    assert registration_checks.check_document(deps, *other, *otp.issue_captcha())


def test_registrations_of_one_document_are_limited_before_the_code_is_spent(
    make_deps, otp
):
    deps = make_deps(registrations_per_document_per_hour=1)
    body, _ = register(deps, otp)
    again = gen.person_registration(random.Random(), doc_number=body["doc_number"])
    phone = normalize_phone(again["phone"])
    again["sms_code"] = otp.issue_code(phone, "register_person")
    with pytest.raises(RateLimited) as err:
        registration.register_person(deps, again)
    assert err.value.error_code == "registration_rate_limited"
    assert otp.codes[(phone, "register_person")] == again["sms_code"]  # unspent
    org, _ = register_org(make_deps(registrations_per_document_per_hour=1), otp)
    with pytest.raises(RateLimited):
        register_org(deps, otp, credit_code=org["credit_code"])


def test_no_document_number_or_phone_is_stored_in_plain_text(
    deps, otp, accounts_engine
):
    person, _ = register(deps, otp)
    org, _ = register_org(deps, otp)
    secrets_ = [
        person["doc_number"],
        person["phone"],
        org["credit_code"],
        org["legal_representative"]["doc_number"],
        org["legal_representative"]["phone"],
        org["main_agent"]["doc_number"],
        org["main_agent"]["phone"],
    ]
    dump = dump_database(accounts_engine)
    for value in secrets_:
        assert value not in dump
        # nor the middle of it (a masked or reformatted copy)
        assert value[3:-2] not in dump


def dump_database(engine) -> str:
    """Every row of every table, as text."""
    parts = []
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        for name in names:
            for row in conn.execute(sa.text(f'SELECT * FROM "{name}"')):
                parts.append(repr(tuple(row)))
    return "\n".join(parts)


# Nothing about existing documents, credit codes or login names before the SMS
# code is proven (issue 12, finding 1): a wrong or missing code answers the SMS
# error, whatever else is taken.

WRONG_OR_MISSING = [
    pytest.param("999999", "sms_code_invalid", id="wrong"),
    pytest.param(None, "required", id="missing"),
]


def with_code(body: dict, code: str | None) -> dict:
    """``body`` whose SMS code is ``code`` (``None``: no field at all)."""
    body.pop("sms_code", None)
    if code is not None:
        body["sms_code"] = code
    return body


# kind: (register one, a new registration's body, the use case, who holds the code)
SMS_PROVEN = {
    "person": (
        register,
        gen.person_registration,
        registration.register_person,
        None,
    ),
    "organization": (
        register_org,
        gen.organization_registration,
        registration.register_organization,
        "main_agent",
    ),
}


@pytest.mark.parametrize(("code", "expected"), WRONG_OR_MISSING)
@pytest.mark.parametrize(
    ("kind", "taken"),
    [
        ("person", "doc_number"),
        ("person", "login_name"),
        ("organization", "credit_code"),
        ("organization", "login_name"),
    ],
)
def test_a_taken_document_code_or_login_name_is_not_revealed_without_the_sms_code(
    deps, otp, kind, taken, code, expected
):
    register_first, new_body, use_case, holder = SMS_PROVEN[kind]
    first, _ = register_first(deps, otp)
    probe = new_body(**{taken: first[taken]})
    with_code(probe[holder] if holder else probe, code)
    error = refusal(use_case, deps, probe)
    field = f"{holder}.sms_code" if holder else "sms_code"
    assert codes_of(error) == {field: expected}


def test_a_taken_login_name_is_told_once_the_sms_code_is_spent(deps, otp):
    first, _ = register(deps, otp)
    error = refusal(register, deps, otp, login_name=first["login_name"])
    assert codes_of(error) == {"login_name": "login_name_taken"}
