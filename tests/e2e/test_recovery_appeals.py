"""Appeals end to end over HTTP: a person who lost the login name and the phone
appeals, a reviewer approves, the temporary password arrives by SMS (dev outbox),
the person logs in, must change it, and then logs in with a password of their own.
"""

from __future__ import annotations

import re

import pytest
import requests

from tests import identity_data as gen
from tests.e2e.test_verification_flow import Platform as VerificationPlatform
from tests.e2e.test_verification_flow import png
from tests.support import client
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

TEMPORARY = re.compile(r"登录名：(\w+)，临时密码：([^。]+)。")
OWN_PASSWORD = "My-0wn-Passw0rd!"


class Platform(VerificationPlatform):
    def captcha(self) -> dict:
        return client.captcha(self.url)

    def sms_code(self, phone: str, purpose: str) -> str:
        return client.sms_code(self.url, phone, purpose)

    def log_in(self, login_name: str, password: str) -> dict:
        """Always with a solved captcha: earlier tests of the run may have made
        127.0.0.1 fail logins often enough that accounts asks for one (428)."""
        answer = requests.post(
            f"{self.url}/sessions",
            json={"login_name": login_name, "password": password, **self.captcha()},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        return answer.json()

    def log_in_status(self, login_name: str, password: str) -> int:
        return requests.post(
            f"{self.url}/sessions",
            json={"login_name": login_name, "password": password, **self.captcha()},
            timeout=10,
        ).status_code


@pytest.fixture(scope="module")
def platform(stack):
    stack.start_stopped(timeout=60)
    return Platform(stack, stack.authority_registry)


def outbox(platform, phone: str) -> list[dict]:
    return requests.get(
        f"{platform.url}/dev/sms-outbox", params={"phone": phone}, timeout=10
    ).json()["messages"]


def temporary_password_sms(platform, phone: str) -> tuple[str, str]:
    def arrived():
        for message in outbox(platform, phone):
            found = TEMPORARY.search(message["text"])
            if found:
                return found.groups()
        return None

    return wait_for(arrived, timeout=20, interval=0.2, what="the temporary password")


def images(*names: str) -> dict:
    return {name: (f"{name}.png", png(), "image/png") for name in names}


def person_appeal(platform, person: dict, phone: str) -> requests.Response:
    code = platform.sms_code(phone, "appeal")
    return requests.post(
        f"{platform.url}/recovery/appeals/person",
        data={
            "name": person["name"],
            "identity_region": "mainland",
            "doc_type": "resident_id",
            "doc_number": person["doc_number"],
            "phone": phone,
            "sms_code": code,
        },
        files=images("id_front", "id_back"),
        timeout=30,
    )


def register(platform) -> dict:
    body = gen.person_registration(platform.rng, name="测试" + "申诉")
    body["sms_code"] = platform.sms_code(body["phone"], "register_person")
    answer = requests.post(
        f"{platform.url}/registrations/person", json=body, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return body


def approve(platform, reviewer: dict, appeal_id: str) -> requests.Response:
    return platform.decide(appeal_id, reviewer, "approve", "证件与账户一致")


def replace_temporary_password(platform, login_name: str, temporary: str) -> dict:
    """Log in with the temporary password (it must be changed), change it, and log
    in with the new one as an ordinary account; that login's answer."""
    first = platform.log_in(login_name, temporary)
    assert first["must_change_password"] is True
    changed = platform.http(
        "PUT",
        "/me/password",
        first["token"],
        json={
            "current_password": temporary,
            "new_password": OWN_PASSWORD,
            "new_password_confirmation": OWN_PASSWORD,
        },
    )
    assert changed.status_code == 204, changed.text
    own = platform.log_in(login_name, OWN_PASSWORD)
    assert own["must_change_password"] is False
    return own


def test_a_person_appeal_recovers_the_account_end_to_end(platform):
    person = register(platform)
    new_phone = gen.mobile(platform.rng)
    submitted = person_appeal(platform, person, new_phone)
    assert submitted.status_code == 202, submitted.text
    appeal = submitted.json()
    assert appeal["appeal_id"].startswith("apl_") and appeal["ticket"]

    status_url = f"{platform.url}/recovery/appeals/{appeal['appeal_id']}"
    status = requests.get(status_url, params={"ticket": appeal["ticket"]}, timeout=10)
    assert status.status_code == 200 and status.json()["status"] == "submitted"
    wrong = requests.get(status_url, params={"ticket": "not-it"}, timeout=10)
    assert wrong.status_code == 404

    reviewer = platform.reviewer()
    queue = platform.http(
        "GET", "/admin/review-cases", reviewer["token"], params={"kind": "appeal"}
    ).json()
    assert appeal["appeal_id"] in [c["case_id"] for c in queue["items"]]
    case = platform.http(
        "GET", f"/admin/review-cases/{appeal['appeal_id']}", reviewer["token"]
    ).json()
    assert case["kind"] == "appeal"
    assert case["matched_account"]["login_name"] == person["login_name"]
    assert case["differences"] == []
    assert {f["field"] for f in case["files"]} == {"id_front", "id_back"}
    assert person["doc_number"] not in str(case["claimed"])  # masked

    decided = approve(platform, reviewer, appeal["appeal_id"])
    assert decided.status_code == 200, decided.text
    assert decided.json()["decisions"][0]["reviewer_id"] == reviewer["account_id"]
    again = approve(platform, reviewer, appeal["appeal_id"])
    assert again.status_code == 409

    login_name, temporary = temporary_password_sms(platform, new_phone)
    assert login_name == person["login_name"]
    assert len(outbox(platform, new_phone)) == 2  # the appeal code, the password
    assert platform.log_in_status(login_name, person["password"]) == 401
    own = replace_temporary_password(platform, login_name, temporary)
    # the appeal's phone is the reserved phone now
    assert platform.me(own["token"])["profile"]["mobile"].endswith(new_phone[-3:])
    final = requests.get(status_url, params={"ticket": appeal["ticket"]}, timeout=10)
    assert final.json()["status"] == "approved"


def test_a_rejected_appeal_sends_the_reason_and_changes_nothing(platform):
    person = register(platform)
    phone = gen.mobile(platform.rng)
    appeal = person_appeal(platform, person, phone).json()
    reviewer = platform.reviewer()
    rejected = platform.decide(
        appeal["appeal_id"], reviewer, "reject", "证件照片不清晰"
    )
    assert rejected.status_code == 200, rejected.text
    wait_for(
        lambda: any("证件照片不清晰" in m["text"] for m in outbox(platform, phone)),
        timeout=20,
        what="the rejection SMS",
    )
    platform.log_in(person["login_name"], person["password"])
    status = requests.get(
        f"{platform.url}/recovery/appeals/{appeal['appeal_id']}",
        params={"ticket": appeal["ticket"]},
        timeout=10,
    ).json()
    assert status["status"] == "rejected" and status["reason"] == "证件照片不清晰"


REJECTED_SMS = re.compile(r"受理编号：(apl_[0-9a-f]{32})，查询码：([A-Za-z0-9_-]+)）")


def test_the_rejection_sms_alone_is_enough_to_look_the_appeal_up(platform):
    """Issue 12, finding 10: the appellant who kept nothing from the submission
    (no answer, no ticket) reads the rejection SMS and looks the appeal up with
    exactly what it says."""
    person = register(platform)
    phone = gen.mobile(platform.rng)
    submitted = person_appeal(platform, person, phone)
    assert submitted.status_code == 202, submitted.text
    appeal_id = submitted.json()["appeal_id"]
    del submitted  # from here on, only the SMS
    rejected = platform.decide(appeal_id, platform.reviewer(), "reject", "材料不全")
    assert rejected.status_code == 200, rejected.text
    text = wait_for(
        lambda: next(
            (m["text"] for m in outbox(platform, phone) if "材料不全" in m["text"]),
            None,
        ),
        timeout=20,
        what="the rejection SMS",
    )
    found = REJECTED_SMS.search(text)
    assert found, f"the SMS does not say what the look-up needs: {text}"
    sms_appeal_id, sms_ticket = found.groups()
    status = requests.get(
        f"{platform.url}/recovery/appeals/{sms_appeal_id}",
        params={"ticket": sms_ticket},
        timeout=10,
    )
    assert status.status_code == 200, status.text
    assert status.json()["status"] == "rejected"
    assert status.json()["reason"] == "材料不全"
    # still one rejection SMS (the notice stays deduplicated)
    assert sum("材料不全" in m["text"] for m in outbox(platform, phone)) == 1


def test_a_bad_appeal_is_refused_whole(platform):
    answer = requests.post(
        f"{platform.url}/recovery/appeals/person",
        data={"name": "", "identity_region": "mars", "phone": "123", "sms_code": "x"},
        files={"id_front": ("a.png", b"not an image", "image/png")},
        timeout=30,
    )
    assert answer.status_code == 422, answer.text
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {
        "name",
        "identity_region",
        "phone",
        "sms_code",
        "id_front",
        "id_back",
    } <= fields
    big = requests.post(
        f"{platform.url}/recovery/appeals/person",
        files={
            "id_front": ("a.png", b"\x89PNG" + b"0" * (1024 * 1024 + 10), "image/png")
        },
        timeout=30,
    )
    assert big.status_code == 422 and big.json()["code"] == "file_too_large"


def register_organization(platform, name: str) -> tuple[dict, dict]:
    """A domestic organisation registered under ``name`` (its own credit code):
    the form sent and the answer (``account_id``)."""
    body = gen.organization_registration(platform.rng, name=name)
    agent = body["main_agent"]
    agent["sms_code"] = platform.sms_code(agent["phone"], "register_organization")
    registered = requests.post(
        f"{platform.url}/registrations/organization", json=body, timeout=10
    )
    assert registered.status_code == 201, registered.text
    return body, registered.json()


def look_up(platform, unit_name: str, **codes) -> requests.Response:
    return requests.post(
        f"{platform.url}/recovery/organization-lookups",
        json={"unit_name": unit_name, **codes, **platform.captcha()},
        timeout=10,
    )


def organization_appeal(platform, lookup_id: str, contact: str) -> str:
    submitted = requests.post(
        f"{platform.url}/recovery/appeals/organization",
        data={
            "lookup_id": lookup_id,
            "contact_name": "赵敏",
            "contact_phone": contact,
            "sms_code": platform.sms_code(contact, "appeal"),
        },
        files=images("licence", "id_front", "id_back"),
        timeout=30,
    )
    assert submitted.status_code == 202, submitted.text
    return submitted.json()["appeal_id"]


def test_an_organisation_appeal_recovers_the_account_end_to_end(platform):
    body, registered = register_organization(
        platform, f"恢复测试{platform.rng.randrange(10**6)}有限公司"
    )
    looked_up = look_up(platform, body["name"], credit_code=body["credit_code"])
    assert looked_up.status_code == 201, looked_up.text
    unknown = look_up(
        platform,
        "不存在的单位" + body["name"],
        credit_code=gen.credit_code(platform.rng),
    )
    assert unknown.status_code == 201 and set(unknown.json()) == set(looked_up.json())

    contact = gen.mobile(platform.rng)
    appeal_id = organization_appeal(platform, looked_up.json()["lookup_id"], contact)

    reviewer = platform.reviewer()
    case = platform.http("GET", f"/admin/review-cases/{appeal_id}", reviewer["token"])
    assert case.json()["matched_account"]["login_name"] == body["login_name"]
    # one candidate: shown, and implied by the approval
    (only,) = case.json()["candidates"]
    assert only["account_id"] == registered["account_id"] and only["differences"] == []
    assert case.json()["differences"] == []
    assert approve(platform, reviewer, appeal_id).status_code == 200

    login_name, temporary = temporary_password_sms(platform, contact)
    assert login_name == body["login_name"]
    replace_temporary_password(platform, login_name, temporary)


def test_eight_organisations_of_one_name_the_reviewer_names_the_one_recovered(
    platform,
):
    """Issue 12, finding 7: eight organisations share one name (each its own
    credit code). The look-up needs a valid code; the appeal with the sixth
    one's code shows the reviewer every namesake, that one first, masked, with
    what differs; approving without naming one is refused; approving it sends
    the temporary password for that account, and the oldest is untouched."""
    name = f"同名单位{platform.rng.randrange(10**8)}有限公司"
    units = [register_organization(platform, name) for _ in range(8)]
    body, target = units[5]
    code = body["credit_code"]

    missing = look_up(platform, name)
    assert (missing.status_code, missing.json()["code"]) == (
        422,
        "credit_code_required",
    )
    wrong_check = code[:-1] + ("1" if code[-1] != "1" else "2")
    invalid = look_up(platform, name, credit_code=wrong_check)
    assert (invalid.status_code, invalid.json()["code"]) == (422, "credit_code_invalid")
    assert invalid.json()["errors"][0]["field"] == "credit_code"

    looked_up = look_up(platform, name, credit_code=code)
    assert looked_up.status_code == 201, looked_up.text
    contact = gen.mobile(platform.rng)
    appeal_id = organization_appeal(platform, looked_up.json()["lookup_id"], contact)

    reviewer = platform.reviewer()
    path = f"/admin/review-cases/{appeal_id}"
    case = platform.http("GET", path, reviewer["token"]).json()
    candidates = case["candidates"]
    assert case["matched_account"] is None and case["account_id"] is None
    assert "several_candidates" in case["differences"]
    assert candidates[0]["account_id"] == target["account_id"]
    assert {c["account_id"] for c in candidates} == {r["account_id"] for _, r in units}
    assert candidates[0]["differences"] == []
    assert all(c["differences"] == ["credit_code"] for c in candidates[1:])
    shown = str(case)
    for unit, _ in units:  # masked: no full code, legal representative or phone
        assert unit["credit_code"] not in shown
        assert unit["main_agent"]["phone"] not in shown
    assert body["legal_representative"]["name"] not in shown
    assert case["claimed"]["credit_code"] == code[:3] + "*" * 8 + code[-2:]
    assert {
        "unit_name",
        "masked_code",
        "legal_representative",
        "registered_at",
        "real_name_status",
        "masked_main_agent_phone",
    } <= set(candidates[0])

    unnamed = approve(platform, reviewer, appeal_id)
    assert (unnamed.status_code, unnamed.json()["code"]) == (422, "candidate_required")
    assert platform.http("GET", path, reviewer["token"]).json()["status"] == "submitted"
    decided = platform.http(
        "POST",
        f"{path}/decision",
        reviewer["token"],
        json={
            "decision": "approve",
            "reason": "营业执照上的信用代码与第一个候选一致",
            "account_id": target["account_id"],
        },
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["account_id"] == target["account_id"]

    login_name, temporary = temporary_password_sms(platform, contact)
    assert login_name == body["login_name"]
    assert platform.log_in(login_name, temporary)["must_change_password"] is True
    oldest, _ = units[0]  # what the look-up used to pick: untouched
    assert platform.log_in(oldest["login_name"], oldest["password"])


def test_killing_recovery_between_approval_and_sms_loses_nothing_and_sends_once(
    platform,
):
    """The crash drill: otp is down when the reviewer approves, so the work item
    sets the temporary password at accounts and then cannot send it (it retries
    with back-off). recovery is then killed (SIGKILL) in that state. After otp
    and recovery come back, the item runs again: accounts does not apply the
    password a second time (request id = appeal id), otp sends exactly one SMS
    (dedupe key = appeal id, also for the calls that waited in otp's queue), and
    that SMS's password is the one that works."""
    stack = platform.stack
    person = register(platform)
    phone = gen.mobile(platform.rng)
    appeal = person_appeal(platform, person, phone).json()
    reviewer = platform.reviewer()
    session = platform.log_in(person["login_name"], person["password"])

    stack.kill("otp")
    try:
        assert approve(platform, reviewer, appeal["appeal_id"]).status_code == 200
        # accounts applied the temporary password: it ended the person's sessions
        wait_for(
            lambda: platform.http("GET", "/me", session["token"]).status_code == 401,
            timeout=20,
            what="the temporary password to be set while otp is down",
        )
        stack.kill("recovery")  # SIGKILL between the password and the SMS
    finally:
        stack.start("otp")
    stack.start("recovery")
    stack.wait_ready(timeout=60)

    def recovered():
        case = platform.http(
            "GET", f"/admin/review-cases/{appeal['appeal_id']}", reviewer["token"]
        )
        return case.status_code == 200 and case.json()["status"] == "recovered"

    wait_for(recovered, timeout=60, interval=0.3, what="the appeal to be recovered")
    login_name, temporary = temporary_password_sms(platform, phone)
    messages = outbox(platform, phone)
    notices = [m for m in messages if "临时密码" in m["text"]]
    print(
        f"\nSMS to the appeal's phone: {len(messages)} ({len(notices)} with a password)"
    )
    assert len(notices) == 1
    assert len(messages) == 2  # the appeal's code and one password
    assert platform.log_in(login_name, temporary)["must_change_password"] is True


def test_images_are_deleted_the_configured_time_after_the_decision(platform):
    stack = platform.stack
    stack.kill("recovery")
    stack.start("recovery", APPEAL_FILE_RETENTION_SECONDS="1")
    stack.wait_ready(timeout=60)
    try:
        person = register(platform)
        appeal = person_appeal(platform, person, gen.mobile(platform.rng)).json()
        reviewer = platform.reviewer()
        path = f"/admin/review-cases/{appeal['appeal_id']}"
        assert len(platform.http("GET", path, reviewer["token"]).json()["files"]) == 2
        rejected = platform.decide(appeal["appeal_id"], reviewer, "reject", "重复申诉")
        assert rejected.status_code == 200
        wait_for(
            lambda: platform.http("GET", path, reviewer["token"]).json()["files"] == [],
            timeout=20,
            what="the appeal's images to be deleted",
        )
        # the audit stays
        case = platform.http("GET", path, reviewer["token"]).json()
        assert case["decisions"][0]["reason"] == "重复申诉"
    finally:
        stack.kill("recovery")
        stack.start("recovery")
        stack.wait_ready(timeout=60)
