"""Submitting an appeal: a person's stored encrypted once, a refused SMS code or quota
storing nothing, an organisation's with its look-up and the units it could be about.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from contracts import errors as ce
from recovery import appeal_intake, appeal_review, appeals

from tests.integration.recovery.appeal_fakes import (
    CIPHER,
    SETTINGS,
    AccountsProxy,
    OtpProxy,
    unit,
)
from tests.integration.recovery.appeal_helpers import (
    CODE,
    appeal_row,
    audit,
    count_appeals,
    decide,
    events,
    file_count,
    png,
    random_phone,
    recover,
    submit,
    submit_organization,
    work,
)

pytestmark = pytest.mark.integration


def test_a_person_appeal_is_stored_encrypted_once_and_answers_only_its_ticket(
    engine, make
):
    deps = make()
    phone = random_phone()
    answer = submit(deps, phone)
    appeal_id = answer["appeal_id"]
    assert answer["status"] == "submitted" and appeal_id.startswith("apl_")
    row = appeal_row(engine, appeal_id)
    assert (row.kind, row.state, row.doc_type) == ("person", "submitted", "passport")
    assert (row.matched_account_id, row.name_matches) == (
        deps.accounts.account_id,
        True,
    )
    assert phone not in row.phone_enc and "1234567" not in row.doc_number_enc
    assert CIPHER.decrypt(row.phone_enc, appeals.PHONE) == phone
    assert CIPHER.decrypt(row.doc_number_enc, appeals.DOC_NUMBER) == "E1234567"
    assert row.ticket_hash == appeals.ticket_hash(answer["ticket"])
    assert answer["ticket"] not in row.ticket_enc
    assert CIPHER.decrypt(row.ticket_enc, appeals.TICKET) == answer["ticket"]
    assert file_count(engine, appeal_id) == 2
    assert events(engine, appeal_id) == ["appeal_submitted"]
    assert work(engine, appeal_id) == []
    assert deps.otp.calls == [
        ("verify_sms_code", {"phone": phone, "purpose": "appeal"})
    ]

    status = appeal_intake.get_appeal_status(deps(), appeal_id, answer["ticket"])
    assert (status["status"], status["decided_at"], status["reason"]) == (
        "submitted",
        None,
        None,
    )
    for wrong in ("wrong-ticket", None):
        with pytest.raises(ce.NotFound) as hidden:
            appeal_intake.get_appeal_status(deps(), appeal_id, wrong)
        assert hidden.value.error_code == "appeal_not_found"


def test_a_refused_sms_code_or_quota_stores_nothing(engine, make):
    before = count_appeals(engine)
    refusing = make(otp=OtpProxy(code_ok=False))
    with pytest.raises(ce.InvalidInput) as refused:
        submit(refusing)
    assert refused.value.error_code == "sms_code_invalid"
    assert refused.value.details["tries_left"] == 2
    assert refusing.accounts.calls == []  # no lookup for an unproven phone

    tight = make(
        settings=appeals.AppealSettings(client_per_hour=10_000, subject_per_hour=1)
    )
    phone = random_phone()
    submit(tight, phone)
    with pytest.raises(ce.RateLimited) as limited:
        submit(tight, phone)
    assert limited.value.error_code == "recovery_rate_limited"
    assert limited.value.details["retry_after"] > 0
    assert len(tight.otp.calls) == 1  # the second code was never spent
    assert count_appeals(engine) == before + 1


def test_an_organisation_appeal_carries_its_lookup_and_a_stale_lookup_is_refused(
    engine, make
):
    deps = make()
    with pytest.raises(ce.InvalidInput) as captcha:
        appeal_intake.start_organization_lookup(
            deps(), "示例科技有限公司", "cap_1", "no", "ip", CODE
        )
    assert captcha.value.error_code == "captcha_invalid"
    lookup = appeal_intake.start_organization_lookup(
        deps(), " 示例科技有限公司 ", "cap_1", "right", "198.18.0.9", CODE
    )
    assert lookup["expires_in"] == SETTINGS.lookup_ttl_seconds
    appeal = {
        "lookup_id": lookup["lookup_id"],
        "contact_name": "李娜",
        "contact_phone": random_phone(),
        "sms_code": "654321",
    }
    files = {"licence": png(), "id_front": png(), "id_back": png()}
    answer = appeal_intake.submit_organization_appeal(
        deps(), appeal, files, "198.18.0.9"
    )
    row = appeal_row(engine, answer["appeal_id"])
    assert (row.kind, row.matched_account_id) == (
        "organization",
        deps.accounts.account_id,
    )
    assert CIPHER.decrypt(row.unit_name_enc, appeals.UNIT_NAME) == "示例科技有限公司"
    assert CIPHER.decrypt(row.unit_code_enc, appeals.UNIT_CODE) == CODE
    assert file_count(engine, answer["appeal_id"]) == 3
    case = appeal_review.get_review_case(deps(), answer["appeal_id"], "rev_1")
    assert [c["account_id"] for c in case["candidates"]] == [deps.accounts.account_id]
    assert case["candidates"][0]["differences"] == [] == case["differences"]
    assert case["claimed"]["credit_code"] == "913********43"  # masked

    before = count_appeals(engine)
    with pytest.raises(ce.InvalidInput) as stale:
        appeal_intake.submit_organization_appeal(
            deps(), {**appeal, "lookup_id": "lku_gone"}, files, "198.18.0.9"
        )
    assert stale.value.error_code == "lookup_invalid"
    assert count_appeals(engine) == before


def test_a_lookup_without_a_code_is_refused_before_the_captcha_is_spent(make):
    deps = make()
    with pytest.raises(ce.InvalidInput) as refused:
        appeal_intake.start_organization_lookup(
            deps(), "示例科技有限公司", "cap_1", "right", "198.18.0.9"
        )
    assert refused.value.error_code == "credit_code_required"
    assert deps.otp.calls == []  # the captcha is still good


def test_an_appeal_several_units_could_be_about_is_approved_only_for_a_named_one(
    engine, make
):
    """Issue 12, finding 7: eight organisations share the name, the appellant's
    credit code is the first's. The reviewer sees all eight with what differs,
    cannot approve without naming one (nor name another account), and the
    temporary password goes to the one named."""
    units = [unit("acc_code", "unit_by_code")] + [
        unit(f"acc_{i}", f"namesake_{i}", code=False) for i in range(7)
    ]
    deps = make(accounts=AccountsProxy(organizations=units))
    appeal_id = submit_organization(deps)
    row = appeal_row(engine, appeal_id)
    assert row.matched_account_id is None  # several: none picked
    assert "acc_code" not in row.candidates_enc  # encrypted

    case = appeal_review.get_review_case(deps(), appeal_id, "rev_1")
    assert case["account_id"] is None and case["matched_account"] is None
    assert [c["account_id"] for c in case["candidates"]] == [
        u["account_id"] for u in units
    ]
    assert case["candidates"][0]["differences"] == []
    assert all(c["differences"] == ["credit_code"] for c in case["candidates"][1:])
    assert case["differences"] == ["several_candidates"]
    assert {"legal_representative", "masked_main_agent_phone"} <= set(
        case["candidates"][3]
    )

    for account_id, code in (
        (None, "candidate_required"),
        ("acc_x", "candidate_invalid"),
    ):
        with pytest.raises(ce.InvalidInput) as refused:
            appeal_review.decide_review_case(
                deps(), appeal_id, "approve", "licence checked", "rev_1", account_id
            )
        assert refused.value.error_code == code
        assert refused.value.details["errors"][0]["field"] == "account_id"
    assert audit(engine, appeal_id) == [] and work(engine, appeal_id) == []
    assert appeal_row(engine, appeal_id).state == "submitted"

    emitted: list = []
    decided = appeal_review.decide_review_case(
        deps(emitted=lambda *e: emitted.append(e)),
        appeal_id,
        "approve",
        "the licence shows namesake 3's code",
        "rev_1",
        "acc_3",
    )
    assert decided["account_id"] == "acc_3"
    assert emitted[0][1]["account_id"] == "acc_3"
    assert appeal_row(engine, appeal_id).matched_login_name == "namesake_3"
    assert recover(deps, appeal_id) == "recovered"
    (set_call,) = deps.accounts.sets()
    assert set_call["account_id"] == "acc_3"
    case = appeal_review.get_review_case(deps(), appeal_id, "rev_1")
    assert case["matched_account"] == {
        "account_id": "acc_3",
        "login_name": "namesake_3",
    }


def test_one_candidate_is_implied_and_none_cannot_be_approved(engine, make):
    deps = make()
    appeal_id = submit_organization(deps)
    assert decide(deps, appeal_id)["account_id"] == deps.accounts.account_id

    nobody = make(accounts=AccountsProxy(organizations=[]))
    lost = submit_organization(nobody)
    assert appeal_review.get_review_case(nobody(), lost, "rev_1")["differences"] == [
        "no_matching_account"
    ]
    with pytest.raises(ce.Conflict) as unmatched:
        decide(nobody, lost)
    assert unmatched.value.error_code == "no_matching_account"


def test_an_organisation_appeal_stored_before_candidates_needs_its_account_named(
    engine, make
):
    """Appeals stored before migration 0005 matched the oldest unit of the name:
    the reviewer sees ``unit_code_not_given`` and must name the account."""
    deps = make()
    appeal_id = submit_organization(deps)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE appeals SET candidates_enc = NULL, unit_code_enc = NULL,"
                " unit_code_kind = NULL WHERE id = :a"
            ),
            {"a": appeal_id},
        )
    case = appeal_review.get_review_case(deps(), appeal_id, "rev_1")
    assert case["candidates"] == [] and case["differences"] == ["unit_code_not_given"]
    with pytest.raises(ce.InvalidInput) as refused:
        decide(deps, appeal_id)
    assert refused.value.error_code == "candidate_required"
    approved = appeal_review.decide_review_case(
        deps(), appeal_id, "approve", "checked", "rev_1", deps.accounts.account_id
    )
    assert approved["account_id"] == deps.accounts.account_id


def test_one_unit_name_is_looked_up_a_few_times_an_hour_whoever_asks(make):
    tight = make(
        settings=appeals.AppealSettings(client_per_hour=10_000, subject_per_hour=1)
    )
    name = f"示例{uuid.uuid4().hex[:6]}科技有限公司"
    appeal_intake.start_organization_lookup(
        tight(), name, "cap_1", "right", "ip1", CODE
    )
    with pytest.raises(ce.RateLimited) as limited:
        appeal_intake.start_organization_lookup(
            tight(), f" {name} ", "cap_1", "right", "ip2", CODE
        )
    assert limited.value.error_code == "recovery_rate_limited"
    assert limited.value.details["retry_after"] > 0
    assert appeal_intake.start_organization_lookup(
        tight(), name + "分公司", "cap_1", "right", "ip2", CODE
    )["lookup_id"]
