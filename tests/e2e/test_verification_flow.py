"""Real-name verification end to end with the real accounts and otp services.

accounts' registration and login are called over RPC (the gateway serves no
registration or login route yet); everything verification owns goes through the
gateway over HTTP, and accounts shows the outcome it consumed from verification's
events (``get_me``).
"""

from __future__ import annotations

import json
import random
import re
import secrets
import subprocess
import sys
import time

import pytest
import requests
from contracts.phones import normalize_phone
from gateway.rpc import RpcPool
from PIL import Image

from tests import identity_data as gen
from tests.support.stack import ROOT
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

CODE = re.compile(r"(\d{6})")


class Platform:
    def __init__(self, stack, registry):
        self.stack = stack
        self.registry = registry
        self.rpc = RpcPool(stack.isolation.amqp_uri, timeout=10)
        self.rng = random.Random()

    def call(self, service, method, **kwargs):
        return self.rpc.call(service, method, **kwargs)

    def sms_code(self, phone: str, purpose: str) -> str:
        captcha = self.call("otp", "create_captcha")
        answer = self.call(
            "otp", "get_captcha_answer", captcha_id=captcha["captcha_id"]
        )
        client_ip = f"198.18.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
        self.call(
            "otp",
            "send_sms_code",
            phone=phone,
            purpose=purpose,
            captcha_id=captcha["captcha_id"],
            captcha_answer=answer["answer"],
            client_ip=client_ip,
        )
        messages = wait_for(
            lambda: self.call("otp", "read_sms_outbox", phone=phone), timeout=15
        )
        return CODE.search(messages[0]["text"]).group(1)

    def register_person(self, in_registry: bool) -> dict:
        name = "测试" + "".join(
            self.rng.choice("伟芳娜敏静丽强磊军洋") for _ in range(2)
        )
        body = gen.person_registration(self.rng, name=name)
        if in_registry:
            with self.registry.open("a", encoding="utf-8") as handle:
                handle.write(f"person,{name},resident_id,{body['doc_number']},,\n")
        phone = normalize_phone(body["phone"])
        body["sms_code"] = self.sms_code(phone, "register_person")
        registered = self.call("accounts", "register_person", registration=body)
        logged_in = self.call(
            "accounts",
            "log_in",
            login_name=body["login_name"],
            password=body["password"],
        )
        return {**registered, "token": logged_in["token"]}

    def reviewer(self) -> dict:
        login = "rv_" + secrets.token_hex(4)
        created = subprocess.run(
            [
                sys.executable,
                "-m",
                "accounts.cli",
                "create-reviewer",
                "--login-name",
                login,
                "--name",
                "审核员",
            ],
            cwd=ROOT / "services/accounts",
            env=self.stack.env(),
            capture_output=True,
            text=True,
            check=True,
        )
        temporary = json.loads(created.stdout)["temporary_password"]
        first = self.call("accounts", "log_in", login_name=login, password=temporary)
        assert first["must_change_password"]
        session = self.call("accounts", "resolve_session", token=first["token"])
        new_password = "Rev1ewer!" + secrets.token_hex(4)
        self.call(
            "accounts",
            "change_password",
            account_id=session["account_id"],
            session_id=session["session_id"],
            current_password=temporary,
            new_password=new_password,
            new_password_confirmation=new_password,
        )
        return {"account_id": session["account_id"], "token": first["token"]}

    def http(self, method: str, path: str, token: str, **kwargs) -> requests.Response:
        return requests.request(
            method,
            f"{self.stack.url}{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            **kwargs,
        )

    def my_verification(self, token: str) -> dict:
        answer = self.http("GET", "/me/verification", token)
        answer.raise_for_status()
        return answer.json()

    def accounts_status(self, account_id: str) -> str:
        return self.call("accounts", "get_me", account_id=account_id)[
            "real_name_status"
        ]


@pytest.fixture(scope="module")
def platform(stack):
    for service in ("accounts", "otp", "verification", "recovery", "gateway"):
        if not stack.is_running(service):
            stack.start(service)
    stack.wait_ready(timeout=60)
    return Platform(stack, stack.authority_registry)


def png() -> bytes:
    import io

    out = io.BytesIO()
    Image.new("RGB", (160, 100), (40, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def test_a_registered_person_in_the_registry_is_passed_within_seconds(platform):
    started = time.monotonic()
    person = platform.register_person(in_registry=True)
    assert person["real_name_status"] == "pending"
    status = wait_for(
        lambda: (
            (s := platform.my_verification(person["token"]))["status"] == "passed" and s
        ),
        timeout=10,
    )
    elapsed = time.monotonic() - started
    assert status["reason_code"] == "authority_match"
    wait_for(
        lambda: platform.accounts_status(person["account_id"]) == "passed", timeout=10
    )
    print(f"\nregistration -> passed (verification and accounts) in {elapsed:.2f}s")
    assert elapsed < 10


def test_a_person_not_in_the_registry_fails_uploads_and_a_reviewer_approves(platform):
    person = platform.register_person(in_registry=False)
    token = person["token"]
    failed = wait_for(
        lambda: (s := platform.my_verification(token))["status"] == "failed" and s,
        timeout=10,
    )
    assert failed["reason_code"] == "no_record"
    wait_for(lambda: platform.accounts_status(person["account_id"]) == "failed")

    files = {
        "id_front": ("front.png", png(), "image/png"),
        "id_back": ("back.png", png(), "image/png"),
    }
    uploaded = platform.http("POST", "/me/verification/materials", token, files=files)
    assert uploaded.status_code == 202, uploaded.text
    case_id = uploaded.json()["case_id"]
    wait_for(lambda: platform.accounts_status(person["account_id"]) == "manual_review")

    # an ordinary account is not a reviewer
    assert platform.http("GET", "/admin/review-cases", token).status_code == 403

    reviewer = platform.reviewer()
    queue = platform.http("GET", "/admin/review-cases", reviewer["token"]).json()
    assert case_id in [c["case_id"] for c in queue["items"]]
    case = platform.http(
        "GET", f"/admin/review-cases/{case_id}", reviewer["token"]
    ).json()
    assert [f["field"] for f in case["files"]] == ["id_back", "id_front"]
    decided = platform.http(
        "POST",
        f"/admin/review-cases/{case_id}/decision",
        reviewer["token"],
        json={"decision": "approve", "reason": "the document images match"},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["decisions"][0]["reviewer_id"] == reviewer["account_id"]
    again = platform.http(
        "POST",
        f"/admin/review-cases/{case_id}/decision",
        reviewer["token"],
        json={"decision": "reject", "reason": "second thoughts"},
    )
    assert again.status_code == 409 and again.json()["code"] == "case_closed"

    mine = platform.my_verification(token)
    assert (mine["status"], mine["reason_code"]) == ("passed", "reviewer_approved")
    assert [h["status"] for h in mine["history"]] == [
        "pending",
        "failed",
        "manual_review",
        "passed",
    ]
    wait_for(lambda: platform.accounts_status(person["account_id"]) == "passed")


def test_registrations_made_while_verification_is_stopped_all_reach_an_outcome(
    platform,
):
    stack = platform.stack
    stack.kill("verification", sig=9)
    people = [platform.register_person(in_registry=i % 2 == 0) for i in range(20)]
    assert {platform.accounts_status(p["account_id"]) for p in people} == {"pending"}
    started = time.monotonic()
    stack.start("verification")

    def outcomes():
        statuses = [platform.accounts_status(p["account_id"]) for p in people]
        return statuses if "pending" not in statuses else None

    statuses = wait_for(outcomes, timeout=60, interval=0.5)
    print(
        f"\n20 registrations made while stopped: all decided "
        f"{time.monotonic() - started:.2f}s after start (process start included)"
    )
    assert sorted(statuses) == ["failed"] * 10 + ["passed"] * 10
