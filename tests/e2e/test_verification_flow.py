"""Real-name verification end to end: every service a real process, everything
over HTTP as a user and a reviewer would do it (registration, login, /me, the
materials upload, the review queue); SMS codes and captcha answers come from the
dev helpers.
"""

from __future__ import annotations

import io
import json
import random
import secrets
import subprocess
import sys
import time

import pytest
import requests
from PIL import Image

from tests.support import client
from tests.support.stack import ROOT
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


class Platform:
    def __init__(self, stack, registry):
        self.stack = stack
        self.url = stack.url
        self.registry = registry
        self.rng = random.Random()

    def log_in(self, login_name: str, password: str) -> dict:
        answer = client.log_in_solving_captcha(self.url, login_name, password)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def register_person(self, in_registry: bool, request_id: str | None = None) -> dict:
        body, registered = client.register_person(
            self.url,
            client.person_body(self.rng),
            registry=self.registry if in_registry else None,
            headers={"X-Request-ID": request_id} if request_id else None,
        )
        logged_in = self.log_in(body["login_name"], body["password"])
        return {**registered, "token": logged_in["token"], "body": body}

    def reviewer(self) -> dict:
        """A reviewer made with accounts' operator CLI, past its first login."""
        login, temporary = client.create_reviewer(self.stack.env())
        first = self.log_in(login, temporary)
        assert first["must_change_password"]
        # a temporary password opens nothing but the password change
        assert (
            self.http("GET", "/admin/review-cases", first["token"]).status_code == 403
        )
        new_password = "Rev1ewer!" + secrets.token_hex(4)
        client.change_password(self.url, first["token"], temporary, new_password)
        me = self.http("GET", "/me", first["token"]).json()
        return {"account_id": me["account_id"], "token": first["token"]}

    def http(self, method: str, path: str, token: str, **kwargs) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            **kwargs,
        )

    def decide(
        self, case_id: str, reviewer: dict, decision: str, reason: str
    ) -> requests.Response:
        return client.decide(self.url, reviewer["token"], case_id, decision, reason)

    def my_verification(self, token: str) -> dict:
        answer = self.http("GET", "/me/verification", token)
        answer.raise_for_status()
        return answer.json()

    def me(self, token: str) -> dict:
        answer = self.http("GET", "/me", token)
        answer.raise_for_status()
        return answer.json()


@pytest.fixture(scope="module")
def platform(stack):
    stack.start_stopped(timeout=60)
    return Platform(stack, stack.authority_registry)


def png() -> bytes:
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
    # accounts shows the outcome it consumed from verification's event
    wait_for(lambda: platform.me(person["token"])["real_name_status"] == "passed")
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
    wait_for(lambda: platform.me(token)["real_name_status"] == "failed")

    files = {
        "id_front": ("front.png", png(), "image/png"),
        "id_back": ("back.png", png(), "image/png"),
    }
    uploaded = platform.http("POST", "/me/verification/materials", token, files=files)
    assert uploaded.status_code == 202, uploaded.text
    case_id = uploaded.json()["case_id"]
    wait_for(lambda: platform.me(token)["real_name_status"] == "manual_review")

    # an ordinary account is not a reviewer
    assert platform.http("GET", "/admin/review-cases", token).status_code == 403
    case_path = f"/admin/review-cases/{case_id}"
    assert platform.http("GET", case_path, token).status_code == 403

    reviewer = platform.reviewer()
    queue = platform.http("GET", "/admin/review-cases", reviewer["token"]).json()
    assert case_id in [c["case_id"] for c in queue["items"]]
    case = platform.http("GET", case_path, reviewer["token"]).json()
    assert [f["field"] for f in case["files"]] == ["id_back", "id_front"]
    # beside the images, what the person claims, in full
    claimed, body = case["claimed_identity"]["person"], person["body"]
    assert (claimed["name"], claimed["doc_type"], claimed["doc_number"]) == (
        body["name"],
        body["doc_type"],
        body["doc_number"],
    )
    # the refused look recorded nothing; the reviewer's is in the audit
    assert [v["reviewer_id"] for v in case["views"]] == [reviewer["account_id"]]
    decided = platform.decide(case_id, reviewer, "approve", "the document images match")
    assert decided.status_code == 200, decided.text
    assert decided.json()["decisions"][0]["reviewer_id"] == reviewer["account_id"]
    again = platform.decide(case_id, reviewer, "reject", "second thoughts")
    assert again.status_code == 409 and again.json()["code"] == "case_closed"

    mine = platform.my_verification(token)
    assert (mine["status"], mine["reason_code"]) == ("passed", "reviewer_approved")
    assert [h["status"] for h in mine["history"]] == [
        "pending",
        "failed",
        "manual_review",
        "passed",
    ]
    me = wait_for(
        lambda: (m := platform.me(token))["real_name_status"] == "passed" and m
    )
    assert me["real_name_reason"] is None


def test_registrations_made_while_verification_is_stopped_all_reach_an_outcome(
    platform,
):
    stack = platform.stack
    stack.kill("verification", sig=9)
    people = [platform.register_person(in_registry=i % 2 == 0) for i in range(20)]
    assert {platform.me(p["token"])["real_name_status"] for p in people} == {"pending"}
    started = time.monotonic()
    stack.start("verification")

    def outcomes():
        statuses = [platform.me(p["token"])["real_name_status"] for p in people]
        return statuses if "pending" not in statuses else None

    statuses = wait_for(outcomes, timeout=60, interval=0.5)
    print(
        f"\n20 registrations made while stopped: all decided "
        f"{time.monotonic() - started:.2f}s after start (process start included)"
    )
    assert sorted(statuses) == ["failed"] * 10 + ["passed"] * 10


def test_one_registration_is_traced_through_the_identity_check(platform):
    request_id = f"vrf-trace-{secrets.token_hex(8)}"
    person = platform.register_person(in_registry=True, request_id=request_id)
    wait_for(lambda: platform.me(person["token"])["real_name_status"] == "passed")

    def hops():
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "servicekit.trace",
                request_id,
                str(platform.stack.log_dir),
                "--json",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        found = json.loads(result.stdout)
        # the last hop (accounts applying the outcome) is logged after its commit
        done = any(
            h["what"].startswith("event on_verification_verification_passed")
            for h in found
        )
        return found if done else None

    found = wait_for(hops, timeout=15, what="the whole path in the logs")
    path = [(h["depth"], h["hop"], h["service"], h["what"]) for h in found]
    assert not [h for h in found if h["orphan"]], json.dumps(found, indent=1)

    def depth_of(prefix: str) -> int:
        return next(d for d, _, _, what in path if what.startswith(prefix))

    # registered -> event -> the check's attempt -> its RPC and its outcome event
    event = depth_of("event on_accounts_person_registered")
    attempt = depth_of("work_item check_case attempt 1")
    assert attempt == event + 1
    assert depth_of("rpc get_verification_subject") == attempt + 1
    assert depth_of("outbox_relay published verification_passed") == attempt + 1
    assert depth_of("event on_verification_verification_passed") == attempt + 2
