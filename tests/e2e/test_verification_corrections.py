"""No way back after a typo (issue 12, finding 9), end to end over HTTP: a person
whose document number the identity authority does not know corrects it in my
information and is verified; materials rejected by a reviewer are uploaded again
into a new case. Every service a real process; SMS codes from the dev outbox."""

from __future__ import annotations

import random

import pytest
from contracts.masking import mask_document, mask_phone
from contracts.phones import normalize_phone

from tests import identity_data as gen
from tests.e2e.test_verification_flow import Platform, png
from tests.support import client
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture(scope="module")
def platform(stack):
    stack.start_stopped(timeout=60)
    return Platform(stack, stack.authority_registry)


def wait_status(platform: Platform, token: str, status: str) -> dict:
    """``/me/verification`` once it shows ``status``, and ``/me`` once accounts
    consumed the same outcome."""
    mine = wait_for(
        lambda: (s := platform.my_verification(token))["status"] == status and s,
        timeout=15,
        what=f"verification {status}",
    )
    wait_for(
        lambda: platform.me(token)["real_name_status"] == status,
        timeout=15,
        what=f"accounts {status}",
    )
    return mine


def images() -> dict:
    return {
        "id_front": ("front.png", png(), "image/png"),
        "id_back": ("back.png", png(), "image/png"),
    }


def test_a_typo_in_the_document_number_is_corrected_and_verified(platform):
    rng = random.Random()
    right = gen.resident_id(rng)
    body = client.person_body(rng, doc_number=gen.resident_id(rng))  # the typo
    # the authority knows the person with the right number only
    client.add_to_registry(platform.registry, body, doc_number=right)
    _, registered = client.register_person(platform.url, body)
    token = platform.log_in(body["login_name"], body["password"])["token"]
    failed = wait_status(platform, token, "failed")
    assert failed["reason_code"] == "no_record"

    corrected = platform.http("PATCH", "/me/profile", token, json={"doc_number": right})

    assert corrected.status_code == 200, corrected.text
    me = corrected.json()
    assert me["real_name_status"] == "pending"
    assert me["profile"]["doc_number"] == mask_document(right)
    # while the new check runs, the document is locked again
    locked = platform.http("PATCH", "/me/profile", token, json={"doc_number": right})
    assert locked.status_code == 422
    assert locked.json()["errors"][0]["code"] == "field_not_editable"
    passed = wait_status(platform, token, "passed")
    assert passed["reason_code"] == "authority_match"
    assert passed["case_id"] != failed["case_id"]
    assert [(h["case_id"], h["status"]) for h in passed["history"]] == [
        (failed["case_id"], "pending"),
        (failed["case_id"], "failed"),
        (failed["case_id"], "superseded"),
        (passed["case_id"], "pending"),
        (passed["case_id"], "passed"),
    ]
    assert registered["account_id"] == me["account_id"]


def test_a_document_of_another_account_is_refused_after_the_check_failed(platform):
    rng = random.Random()
    other, _ = client.register_person(platform.url, client.person_body(rng))
    person = platform.register_person(in_registry=False)
    wait_status(platform, person["token"], "failed")
    refused = platform.http(
        "PATCH",
        "/me/profile",
        person["token"],
        json={"doc_number": other["doc_number"]},
    )
    assert refused.status_code == 422, refused.text
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("doc_number", "document_registered")
    ]
    assert platform.me(person["token"])["real_name_status"] == "failed"


def test_materials_rejected_by_a_reviewer_are_uploaded_again_into_a_new_case(
    platform,
):
    person = platform.register_person(in_registry=False)
    token = person["token"]
    wait_status(platform, token, "failed")
    first = platform.http("POST", "/me/verification/materials", token, files=images())
    assert first.status_code == 202, first.text
    first_case = first.json()["case_id"]
    wait_status(platform, token, "manual_review")
    # while the case waits for a reviewer, a second upload is refused as before
    early = platform.http("POST", "/me/verification/materials", token, files=images())
    assert early.status_code == 409 and early.json()["code"] == "materials_not_expected"

    reviewer = platform.reviewer()
    rejected = platform.decide(first_case, reviewer, "reject", "the image is blurred")
    assert rejected.status_code == 200, rejected.text
    mine = wait_status(platform, token, "rejected")
    assert mine["can_upload_materials"] is True

    again = platform.http("POST", "/me/verification/materials", token, files=images())

    assert again.status_code == 202, again.text
    second_case = again.json()["case_id"]
    assert second_case != first_case
    assert again.json()["status"] == "manual_review"
    wait_status(platform, token, "manual_review")
    queue = platform.http("GET", "/admin/review-cases", reviewer["token"]).json()
    assert second_case in [c["case_id"] for c in queue["items"]]
    approved = platform.decide(second_case, reviewer, "approve", "clear this time")
    assert approved.status_code == 200, approved.text
    mine = wait_status(platform, token, "passed")
    assert mine["case_id"] == second_case
    assert [h["status"] for h in mine["history"]] == [
        "pending",
        "failed",
        "manual_review",
        "rejected",
        "manual_review",
        "passed",
    ]


def test_an_organisation_corrects_its_legal_representative_and_main_agent(platform):
    rng = random.Random()
    body = client.organization_body(rng)
    right_name = body["legal_representative"]["name"] + "华"
    # the registry of legal persons knows another legal representative
    client.add_to_registry(
        platform.registry, body, legal_representative_name=right_name
    )
    _, registered = client.register_organization(platform.url, body=body)
    token = platform.log_in(body["login_name"], body["password"])["token"]
    failed = wait_status(platform, token, "failed")
    assert failed["reason_code"] == "legal_representative_mismatch"

    legal = {**body["legal_representative"], "name": right_name}
    agent = {**body["main_agent"], "phone": gen.mobile(rng)}
    agent.pop("sms_code")
    changes = {"legal_representative": legal, "main_agent": agent}
    unproven = platform.http("PATCH", "/me/profile", token, json=changes)
    assert unproven.status_code == 422, unproven.text
    assert [(e["field"], e["code"]) for e in unproven.json()["errors"]] == [
        ("main_agent.sms_code", "required")
    ]
    # the main agent's new mobile is the reserved phone: proven as a phone change
    agent["sms_code"] = client.sms_code(platform.url, agent["phone"], "change_phone")
    corrected = platform.http("PATCH", "/me/profile", token, json=changes)

    assert corrected.status_code == 200, corrected.text
    shown = corrected.json()["profile"]
    assert shown["legal_representative"]["name"] == right_name
    assert (
        shown["mobile"]
        == shown["main_agent"]["mobile"]
        == mask_phone(normalize_phone(agent["phone"]))
    )
    passed = wait_status(platform, token, "passed")
    assert passed["case_id"] != failed["case_id"]
    assert registered["account_id"] == corrected.json()["account_id"]
