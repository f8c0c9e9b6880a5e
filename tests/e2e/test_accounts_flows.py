"""The accounts flows of product.md over HTTP, every service a real process.

SMS codes come from the dev SMS outbox and captcha answers from the dev captcha
helper (otp, ENVIRONMENT=test); verification outcomes are events this test
publishes itself on verification's exchange.
"""

from __future__ import annotations

import concurrent.futures
import random
import uuid

import pytest
import redis
import requests
import sqlalchemy as sa
from contracts.phones import normalize_phone
from contracts.verification import VerificationFailed
from gateway.rpc import RpcPool

from tests import identity_data as gen
from tests.support import client
from tests.support.isolation import REDIS_SERVER
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e


# --- helpers --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registered(stack):
    """One person and one organisation, registered over HTTP with real SMS codes."""
    return {
        "person": client.register_person(stack.url),
        "organization": client.register_organization(stack.url),
    }


@pytest.fixture
def clean_login_counters(isolation):
    """Failed logins are counted per client address too, and every test speaks from
    127.0.0.1: a test that fails on purpose removes its address's count after."""
    yield
    store = redis.Redis.from_url(REDIS_SERVER)
    for key in store.scan_iter(match=f"{isolation.redis_prefix}login-failures-ip:*"):
        store.delete(key)
    store.close()


# --- flows -----------------------------------------------------------------------------------


def test_a_person_registers_logs_in_reads_me_changes_profile_and_password(
    live_stack, registered
):
    url = live_stack.url
    body, account = registered["person"]
    assert account["real_name_status"] == "pending"

    # the name and the document are now taken
    taken = requests.get(f"{url}/login-names/{body['login_name'].upper()}", timeout=10)
    assert taken.json() == {
        "login_name": body["login_name"].upper(),
        "available": False,
    }
    check = requests.post(
        f"{url}/documents/check",
        json={
            "identity_region": "mainland",
            "doc_type": "resident_id",
            "doc_number": body["doc_number"],
            **client.captcha(live_stack.url),
        },
        timeout=10,
    )
    assert check.json() == {"registered": True}

    first = client.log_in(live_stack.url, body["login_name"])
    assert first.status_code == 201, first.text
    token = first.json()["token"]
    assert first.json()["account"]["account_id"] == account["account_id"]

    me = requests.get(f"{url}/me", headers=client.bearer(token), timeout=10).json()
    phone = normalize_phone(body["phone"])[3:]
    assert me["profile"]["mobile"] == f"{phone[:2]}*****{phone[-3:]}"
    doc = body["doc_number"]
    assert me["profile"]["doc_number"] == f"{doc[:3]}********{doc[-2:]}"
    assert me["profile"]["birth_date"] == f"{doc[6:10]}-{doc[10:12]}-{doc[12:14]}"
    assert me["profile"]["gender"] == ("male" if int(doc[16]) % 2 else "female")
    assert body["phone"] not in str(me) and doc not in str(me)

    changed = requests.patch(
        f"{url}/me/profile",
        headers=client.bearer(token),
        json={"name": "张伟新", "title": "研究员"},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["profile"]["name"] == "张伟新"
    assert changed.json()["real_name_status"] == "pending"

    second = client.log_in(live_stack.url, body["login_name"]).json()["token"]
    new_password = "Fresh-Pass-2026!"
    changed = requests.put(
        f"{url}/me/password",
        headers=client.bearer(second),
        json={"current_password": gen.PASSWORD, "new_password": new_password},
        timeout=10,
    )
    assert changed.status_code == 204, changed.text
    old = requests.get(f"{url}/me", headers=client.bearer(token), timeout=10)
    assert (old.status_code, old.json()["code"]) == (401, "session_invalid")
    assert (
        requests.get(f"{url}/me", headers=client.bearer(second), timeout=10).status_code
        == 200
    )
    assert client.log_in(live_stack.url, body["login_name"]).status_code == 401
    assert (
        client.log_in(live_stack.url, body["login_name"], new_password).status_code
        == 201
    )

    out = requests.delete(
        f"{url}/sessions/current", headers=client.bearer(second), timeout=10
    )
    assert out.status_code == 204
    assert (
        requests.get(f"{url}/me", headers=client.bearer(second), timeout=10).status_code
        == 401
    )


def test_a_person_changes_the_phone_and_recovery_then_asks_for_the_new_one(live_stack):
    url = live_stack.url
    body, _ = client.register_person(url)
    token = client.log_in(url, body["login_name"]).json()["token"]
    new = gen.mobile(random.Random())
    national = normalize_phone(new)[3:]

    unproven = requests.put(
        f"{url}/me/phone",
        headers=client.bearer(token),
        json={"phone": new, "sms_code": "123456"},
        timeout=10,
    )
    assert unproven.status_code == 422, unproven.text
    # no code was ever sent to that phone: otp calls it expired
    assert unproven.json()["errors"] == [
        {
            "field": "sms_code",
            "code": "sms_code_expired",
            "message": unproven.json()["errors"][0]["message"],
        }
    ]

    code = client.sms_code(url, new, "change_phone")
    changed = requests.put(
        f"{url}/me/phone",
        headers=client.bearer(token),
        json={"phone": new, "sms_code": code},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["profile"]["mobile"] == f"{national[:2]}*****{national[-3:]}"

    # recovery (another service) now shows and accepts only the new phone
    started = requests.post(
        f"{url}/recovery/password-resets",
        json={"login_name": body["login_name"], **client.captcha(url)},
        timeout=10,
    )
    assert started.status_code == 201, started.text
    assert started.json()["masked_phone"] == f"{national[:2]}*****{national[-3:]}"
    base = f"{url}/recovery/password-resets/{started.json()['reset_id']}"
    old = requests.post(f"{base}/sms-code", json={"phone": body["phone"]}, timeout=10)
    assert (old.status_code, old.json()["code"]) == (422, "phone_mismatch")
    sent = requests.post(f"{base}/sms-code", json={"phone": national}, timeout=10)
    assert sent.status_code == 202, sent.text


def test_an_organisation_registers_and_uses_the_cookie_with_csrf(
    live_stack, registered
):
    url = live_stack.url
    body, _ = registered["organization"]
    login = client.log_in(live_stack.url, body["login_name"])
    assert login.status_code == 201
    assert "__Host-session=" in login.headers["Set-Cookie"]
    assert "Secure" in login.headers["Set-Cookie"]
    assert "HttpOnly" in login.headers["Set-Cookie"]
    cookie = {"Cookie": f"__Host-session={login.json()['token']}"}

    me = requests.get(f"{url}/me", headers=cookie, timeout=10).json()
    assert me["kind"] == "organization"
    code = body["credit_code"]
    assert me["profile"]["unique_code"] == f"{code[:3]}********{code[-2:]}"
    assert (
        me["profile"]["legal_representative"]["name"]
        == body["legal_representative"]["name"]
    )

    # verification decides the registration on its own (this organisation is not
    # in the authority's registry): wait for that, so that the status below can
    # only have changed because of the profile change
    decided = wait_for(
        lambda: (
            (m := requests.get(f"{url}/me", headers=cookie, timeout=10).json())[
                "real_name_status"
            ]
            != "pending"
            and m["real_name_status"]
        ),
        timeout=20,
        what="verification to decide the registration",
    )

    refused = requests.patch(
        f"{url}/me/profile", headers=cookie, json={"short_name": "测试"}, timeout=10
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "csrf_token_invalid")
    accepted = requests.patch(
        f"{url}/me/profile",
        headers={**cookie, "X-CSRF-Token": login.json()["csrf_token"]},
        json={"short_name": "测试"},
        timeout=10,
    )
    assert accepted.status_code == 200
    # not a verified field: verification does not start again
    assert accepted.json()["real_name_status"] == decided


def test_registration_field_errors_come_together_and_create_nothing(
    live_stack, registered
):
    """Domain errors come together, and say nothing of the taken login name and
    document; once the SMS code is proven, both conflicts come together."""
    body, _ = registered["person"]
    again = gen.person_registration(
        login_name=body["login_name"].upper(),
        doc_number=body["doc_number"],
        password="weak",
        agreement_version=None,
    )
    answer = requests.post(
        f"{live_stack.url}/registrations/person", json=again, timeout=10
    )
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert {e["field"]: e["code"] for e in answer.json()["errors"]} == {
        "password": "password_too_weak",
        "password_confirmation": "password_mismatch",
        "agreement_version": "agreement_required",
    }
    fixed = gen.person_registration(
        login_name=again["login_name"], doc_number=again["doc_number"]
    )
    wrong_code = requests.post(
        f"{live_stack.url}/registrations/person", json=fixed, timeout=10
    )
    assert wrong_code.status_code == 422
    # no code was sent to this phone: otp calls that expired
    assert {e["field"]: e["code"] for e in wrong_code.json()["errors"]} == {
        "sms_code": "sms_code_expired"
    }
    fixed["sms_code"] = client.sms_code(
        live_stack.url, fixed["phone"], "register_person"
    )
    taken = requests.post(
        f"{live_stack.url}/registrations/person", json=fixed, timeout=10
    )
    assert taken.status_code == 422
    assert {e["field"]: e["code"] for e in taken.json()["errors"]} == {
        "login_name": "login_name_taken",
        "doc_number": "document_registered",
    }
    assert (
        client.log_in(
            live_stack.url, again["login_name"], again["password"]
        ).status_code
        == 401
    )


def test_verification_outcomes_reach_my_information(live_stack, isolation):
    from nameko.standalone.events import event_dispatcher

    body, account = client.register_person(live_stack.url)
    token = client.log_in(live_stack.url, body["login_name"]).json()["token"]
    dispatch = event_dispatcher({"AMQP_URI": isolation.amqp_uri})
    envelope = {
        "event_id": str(uuid.uuid4()),
        "event_type": "verification_failed",
        "source": "verification",
        "occurred_at": "2099-01-01T00:00:00+00:00",
        "correlation_id": None,
        "data": VerificationFailed(
            account_id=account["account_id"],
            account_kind="person",
            case_id="vrf_e2e",
            reason_code="name_mismatch",
            status="failed",
            final=False,
        ).dump(),
    }
    dispatch("verification", "verification_failed", envelope)
    dispatch("verification", "verification_failed", envelope)  # redelivered: once only

    def status():
        me = requests.get(
            f"{live_stack.url}/me", headers=client.bearer(token), timeout=10
        ).json()
        # the real pipeline's own outcome for this person (not in the
        # authority's registry: no_record) may land first; the dispatched one,
        # newer, replaces it
        return me if me["real_name_reason"] == "name_mismatch" else None

    me = wait_for(status, timeout=15, interval=0.1, what="the dispatched outcome")
    assert me["real_name_status"] == "failed"

    def handled():
        return [
            line
            for line in live_stack.log_lines("accounts")
            if line.get("entrypoint") == "on_verification_verification_failed"
            and line.get("message") == "entrypoint finished"
        ]

    wait_for(lambda: len(handled()) >= 2, timeout=15, what="both deliveries handled")


def test_a_thousand_wrong_passwords_cost_a_handful_of_hash_checks(
    live_stack, clean_login_counters
):
    body, _ = client.register_person(
        live_stack.url
    )  # its own account: this one ends locked
    run = f"bf-{uuid.uuid4().hex}"

    def attempt(i: int) -> int:
        answer = requests.post(
            f"{live_stack.url}/sessions",
            json={"login_name": body["login_name"], "password": f"Wrong-{i}-Pass"},
            headers={"X-Request-ID": f"{run}-{i:04d}"},
            timeout=10,
        )
        return answer.status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(attempt, range(1000)))
    assert 201 not in statuses
    assert set(statuses) <= {401, 423, 428, 429}, set(statuses)
    assert statuses.count(401) <= 3

    def hash_checks() -> int:
        return sum(
            1
            for line in live_stack.log_lines("accounts")
            if line.get("message") == "password hash checked"
            and str(line.get("correlation_id", "")).startswith(run)
        )

    def all_answered():
        finished = [
            line
            for line in live_stack.log_lines("accounts")
            if line.get("message") == "entrypoint finished"
            and str(line.get("correlation_id", "")).startswith(run)
        ]
        return len(finished) >= 1000

    wait_for(all_answered, timeout=20, what="every attempt's log line")
    assert hash_checks() <= 3, hash_checks()
    # no captcha was ever solved, so the name is not locked: the right password
    # still needs a captcha, and with one it logs in
    assert client.log_in(live_stack.url, body["login_name"]).status_code == 428
    solved = client.log_in(
        live_stack.url, body["login_name"], **client.captcha(live_stack.url)
    )
    assert solved.status_code == 201, solved.text


def test_an_unknown_name_costs_one_hash_check_and_gets_the_same_answer(
    live_stack, registered, clean_login_counters
):
    body, _ = registered["organization"]
    answers = {}
    for name in (body["login_name"], f"nobody_{uuid.uuid4().hex[:8]}"):
        run = f"un-{uuid.uuid4().hex}"
        answer = requests.post(
            f"{live_stack.url}/sessions",
            json={"login_name": name, "password": "Wrong-Pass-1"},
            headers={"X-Request-ID": run},
            timeout=10,
        )
        answers[name] = (
            answer.status_code,
            answer.json()["code"],
            answer.json()["detail"],
        )

        def checks(run=run):
            return [
                line
                for line in live_stack.log_lines("accounts")
                if line.get("message") == "password hash checked"
                and line.get("correlation_id") == run
            ]

        assert len(wait_for(checks, timeout=10, what="the hash check")) == 1
    first, second = answers.values()
    assert first == second == (401, "invalid_credentials", first[2])


def test_no_document_number_or_phone_in_plain_text_in_the_database_or_logs(
    live_stack, isolation, registered
):
    person, _ = registered["person"]
    org, _ = registered["organization"]
    values = [
        person["doc_number"],
        person["phone"],
        normalize_phone(person["phone"]),
        org["credit_code"],
        org["legal_representative"]["doc_number"],
        org["legal_representative"]["phone"],
        org["main_agent"]["doc_number"],
        org["main_agent"]["phone"],
    ]
    engine = sa.create_engine(isolation.db_url("accounts"))
    dump = []
    with engine.connect() as conn:
        for name in sa.inspect(conn).get_table_names():
            dump.extend(
                repr(tuple(row))
                for row in conn.execute(sa.text(f'SELECT * FROM "{name}"'))
            )
    engine.dispose()
    text = "\n".join(dump)
    assert len(dump) > 5
    for value in values:
        assert value not in text
    logs = "".join(
        path.read_text(errors="replace")
        for service in ("accounts", "gateway")
        for path in live_stack.log_dir.glob(f"{service}-*.log")
    )
    for value in values:
        assert value not in logs


@pytest.fixture
def accounts_rpc(live_stack):
    """An RPC client on the stack's broker, as a business system would hold."""
    pool = RpcPool(live_stack.isolation.amqp_uri, timeout=10)
    yield pool
    pool.close()


def test_an_organisation_designates_an_agent_who_sees_it_until_revoked(
    live_stack, accounts_rpc
):
    url = live_stack.url
    org_body, org = client.register_organization(
        url, registry=live_stack.authority_registry
    )
    person_body, person = client.register_person(url)

    def token_of(login_name: str) -> dict:
        answer = client.log_in_solving_captcha(url, login_name, gen.PASSWORD)
        assert answer.status_code == 201, answer.text
        return client.bearer(answer.json()["token"])

    as_org, as_person = (
        token_of(org_body["login_name"]),
        token_of(person_body["login_name"]),
    )

    # what a business system asks accounts over the broker (single sign-on)
    def acts_for() -> bool:
        return accounts_rpc.call(
            "accounts",
            "acts_for",
            person_id=person["account_id"],
            organization_id=org["account_id"],
        )

    def http(method: str, path: str, headers: dict, **kwargs) -> requests.Response:
        return requests.request(
            method, f"{url}{path}", headers=headers, timeout=10, **kwargs
        )

    # the organisation is in the authority's registry: verification passes it
    wait_for(
        lambda: http("GET", "/me", as_org).json()["real_name_status"] == "passed",
        timeout=30,
        what="the organisation's verification to pass",
    )

    # a person has no agents of its own to designate
    for answer in (
        http("GET", "/me/agents", as_person),
        http("POST", "/me/agents", as_person, json={"login_name": "whoever"}),
    ):
        assert (answer.status_code, answer.json()["code"]) == (403, "organization_only")
    assert http("GET", "/me/organizations", as_person).json() == {"items": []}

    # an organisation's name is no person's
    refused = http(
        "POST", "/me/agents", as_org, json={"login_name": org_body["login_name"]}
    )
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("login_name", "agent_not_found")
    ]

    designated = http(
        "POST",
        "/me/agents",
        as_org,
        json={"login_name": person_body["login_name"].upper()},
    )
    assert designated.status_code == 201, designated.text
    agent = designated.json()["agent"]
    assert agent["person_id"] == person["account_id"]
    assert agent["login_name"] == person_body["login_name"]
    assert agent["name"] == person_body["name"][0] + "*" * (
        len(person_body["name"]) - 1
    )
    assert http("GET", "/me/agents", as_org).json() == {"items": [agent]}
    assert acts_for() is True

    code = org_body["credit_code"]
    mine = http("GET", "/me/organizations", as_person)
    assert mine.status_code == 200
    assert mine.json() == {
        "items": [
            {
                "organization_id": org["account_id"],
                "name": org_body["name"],
                "unique_code": f"{code[:3]}********{code[-2:]}",
                "granted_at": agent["granted_at"],
            }
        ]
    }
    assert code not in mine.text
    organizations = http("GET", "/me/organizations", as_org)
    assert (organizations.status_code, organizations.json()["code"]) == (
        403,
        "person_only",
    )

    revoked = http("DELETE", f"/me/agents/{person['account_id']}", as_org)
    assert revoked.status_code == 204
    assert acts_for() is False  # at once
    assert http("GET", "/me/organizations", as_person).json() == {"items": []}
    assert http("GET", "/me/agents", as_org).json() == {"items": []}
    again = http("DELETE", f"/me/agents/{person['account_id']}", as_org)
    assert (again.status_code, again.json()["code"]) == (404, "agent_not_found")
