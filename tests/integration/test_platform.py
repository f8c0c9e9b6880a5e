"""The foundation, end to end over the real broker, databases and Redis."""

from __future__ import annotations

import io
import time
import uuid

import pytest
import requests
import sqlalchemy as sa
from PIL import Image

from tests.identity_data import PASSWORD
from tests.support import client, events
from tests.support.stack import NAMEKO_SERVICES, RPC_TIMEOUT
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

SERVICES = set(NAMEKO_SERVICES)


def send_canary(stack, request_id: str | None = None) -> requests.Response:
    headers = {"X-Request-ID": request_id} if request_id else {}
    return requests.post(
        f"{stack.url}/dev/pipeline-canaries", headers=headers, timeout=10
    )


def canary_received(stack, canary_id: str) -> dict | None:
    answer = requests.get(f"{stack.url}/dev/pipeline-canaries/{canary_id}", timeout=10)
    answer.raise_for_status()
    body = answer.json()
    return body if body["received"] else None


def test_ready_lists_every_service_up(live_stack):
    body = live_stack.wait_ready()
    assert set(body["services"]) == SERVICES
    assert all(s["status"] == "up" for s in body["services"].values())
    assert body["services"]["accounts"]["stores"] == {"database": True, "redis": True}
    assert body["redis"]["status"] == "up"


def test_one_request_id_reaches_gateway_rpc_and_event_consumer(live_stack):
    request_id = f"req-{uuid.uuid4().hex}"
    answer = send_canary(live_stack, request_id)
    assert answer.status_code == 202
    assert answer.headers["X-Request-ID"] == request_id

    status = wait_for(lambda: canary_received(live_stack, answer.json()["canary_id"]))
    assert status["correlation_id"] == request_id

    def finished(service):
        return [
            line
            for line in live_stack.log_lines(service)
            if line.get("correlation_id") == request_id
            and line.get("message") == "entrypoint finished"
        ]

    accounts_lines = wait_for(lambda: finished("accounts"))
    verification_lines = wait_for(lambda: finished("verification"))
    assert accounts_lines[0]["entrypoint"] == "send_pipeline_canary"
    assert accounts_lines[0]["hop"] == "rpc"
    assert verification_lines[0]["entrypoint"] == "on_accounts_pipeline_canary_sent"
    assert verification_lines[0]["hop"] == "event"
    # the consumer's parent is the RPC worker that wrote the event
    assert verification_lines[0]["parent_call_id"] == accounts_lines[0]["call_id"]
    gateway_lines = [
        line
        for line in live_stack.log_lines("gateway")
        if line.get("correlation_id") == request_id and line.get("hop") == "http"
    ]
    assert gateway_lines and gateway_lines[0]["status"] == 202


def test_ill_formed_request_id_is_replaced(live_stack):
    answer = requests.get(
        f"{live_stack.url}/health",
        headers={"X-Request-ID": "bad id <script>"},
        timeout=5,
    )
    assert answer.status_code == 200
    assert answer.headers["X-Request-ID"] != "bad id <script>"
    assert len(answer.headers["X-Request-ID"]) >= 16


def test_a_killed_service_turns_ready_red_and_requests_503_then_recovers(live_stack):
    live_stack.kill("accounts")

    started = time.monotonic()
    body = wait_for(
        lambda: (
            (r := requests.get(f"{live_stack.url}/ready", timeout=10)).status_code
            == 503
            and r.json()
        ),
        timeout=5,
        what="/ready to turn 503",
    )
    assert time.monotonic() - started < 5
    assert "accounts" in body["down"]
    assert body["services"]["otp"]["status"] == "up"

    started = time.monotonic()
    answer = send_canary(live_stack)
    elapsed = time.monotonic() - started
    assert answer.status_code == 503
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.json()["code"] == "service_unavailable"
    assert elapsed < RPC_TIMEOUT + 1.5  # the test stack's RPC timeout, plus slack

    live_stack.start("accounts")
    live_stack.wait_ready(timeout=30)
    answer = send_canary(live_stack)
    assert answer.status_code == 202
    wait_for(lambda: canary_received(live_stack, answer.json()["canary_id"]))


def _accounts_engine(isolation):
    return sa.create_engine(isolation.db_url("accounts"))


def test_an_event_committed_but_never_published_is_delivered_after_restart(
    live_stack, isolation
):
    """The state a crash between commit and publish leaves: the row is in the
    outbox, unsent, and the process is gone. The relay delivers it on restart."""
    from accounts.models import outbox
    from contracts.accounts import PipelineCanarySent
    from servicekit.outbox import add_event

    live_stack.kill("accounts")
    canary_id = str(uuid.uuid4())
    engine = _accounts_engine(isolation)
    with engine.begin() as conn:
        from sqlalchemy.orm import Session

        with Session(bind=conn) as session:
            add_event(
                session,
                outbox,
                PipelineCanarySent(canary_id=canary_id),
                correlation_id="crash-drill-0001",
            )
            session.flush()
    with engine.connect() as conn:
        unsent = conn.execute(
            sa.select(sa.func.count()).where(outbox.c.sent_at.is_(None))
        ).scalar_one()
    assert unsent >= 1
    assert canary_received(live_stack, canary_id) is None

    live_stack.start("accounts")
    status = wait_for(lambda: canary_received(live_stack, canary_id), timeout=30)
    assert status["correlation_id"] == "crash-drill-0001"

    def marked_sent():
        # the relay marks the row after the broker confirmed it, which may be a
        # moment after the consumer already saw the event
        with engine.connect() as conn:
            return conn.execute(
                sa.select(outbox.c.sent_at).where(
                    outbox.c.envelope["data"]["canary_id"].astext == canary_id
                )
            ).scalar_one()

    assert wait_for(marked_sent, timeout=10) is not None
    engine.dispose()


def test_a_redelivered_event_changes_nothing_the_second_time(live_stack, isolation):
    from accounts.models import outbox

    answer = send_canary(live_stack)
    canary_id = answer.json()["canary_id"]
    first = wait_for(lambda: canary_received(live_stack, canary_id))

    engine = _accounts_engine(isolation)
    with engine.begin() as conn:
        conn.execute(
            outbox.update()
            .where(outbox.c.envelope["data"]["canary_id"].astext == canary_id)
            .values(sent_at=None)
        )

    def handled_twice():
        lines = [
            line
            for line in live_stack.log_lines("verification")
            if line.get("entrypoint") == "on_accounts_pipeline_canary_sent"
            and line.get("message") == "entrypoint finished"
            and line.get("correlation_id") == first["correlation_id"]
        ]
        return len(lines) >= 2

    wait_for(handled_twice, timeout=15, what="the event to be delivered again")
    assert canary_received(live_stack, canary_id) == first
    engine.dispose()


def test_two_copies_of_a_service_share_its_rpc_load(live_stack):
    live_stack.start("accounts", copy=1)

    def served_by(copy: int) -> int:
        path = live_stack.log_path("accounts", copy)
        text = path.read_text(errors="replace") if path.exists() else ""
        return sum(
            1
            for raw in text.splitlines()
            if '"entrypoint": "send_pipeline_canary"' in raw
            and '"message": "entrypoint finished"' in raw
        )

    before = {copy: served_by(copy) for copy in (0, 1)}

    def both_serving():
        for _ in range(10):
            assert send_canary(live_stack).status_code == 202
        counts = {copy: served_by(copy) - before[copy] for copy in (0, 1)}
        return counts if all(counts.values()) else None

    counts = wait_for(
        both_serving, timeout=30, interval=0.1, what="both copies to serve"
    )
    assert counts[0] > 0 and counts[1] > 0


# --- the events, against their contracts -----------------------------------------------

OUTBOX_SERVICES = ("accounts", "verification", "recovery")  # otp: test_otp_live


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (90, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def test_every_event_the_services_wrote_matches_its_contract_model(
    live_stack, isolation
):
    """Real flows through the gateway make accounts and verification write each
    kind of event they consume from each other; then every row of every outbox
    (this test's and any earlier test's of the run) must parse as the model its
    contract declares for its ``(source, event_type)``, with no field beyond it."""
    url = live_stack.url
    assert send_canary(live_stack).status_code == 202
    person, _ = client.register_person(url, registry=live_stack.authority_registry)
    # an organisation the authority does not know fails; its materials go to a
    # reviewer, who rejects them (a final failure)
    body, _ = client.register_organization(url)
    answer = client.log_in_solving_captcha(url, body["login_name"], PASSWORD)
    token = answer.json()["token"]

    def my_status() -> str:
        answer = requests.get(
            f"{url}/me/verification", headers=client.bearer(token), timeout=10
        )
        return answer.json()["status"]

    wait_for(lambda: my_status() == "failed", what="the organisation to fail")
    files = {
        name: (f"{name}.png", _png(), "image/png")
        for name in ("id_front", "id_back", "licence")
    }
    uploaded = requests.post(
        f"{url}/me/verification/materials",
        files=files,
        headers=client.bearer(token),
        timeout=30,
    )
    assert uploaded.status_code == 202, uploaded.text
    reviewer = client.reviewer_session(url, live_stack.env())  # password_changed
    decided = client.decide(
        url, reviewer["token"], uploaded.json()["case_id"], "reject", "unreadable"
    )
    assert decided.status_code == 200, decided.text
    answer = client.log_in_solving_captcha(url, person["login_name"], PASSWORD)
    changed = requests.patch(
        f"{url}/me/profile",
        json={"email": f"p{uuid.uuid4().hex[:8]}@example.com"},
        headers=client.bearer(answer.json()["token"]),
        timeout=10,
    )
    assert changed.status_code == 200, changed.text

    expected = {
        ("accounts", "pipeline_canary_sent"),
        ("accounts", "person_registered"),
        ("accounts", "organization_registered"),
        ("accounts", "profile_changed"),
        ("accounts", "password_changed"),
        ("verification", "verification_passed"),
        ("verification", "verification_failed"),
        ("verification", "verification_review_requested"),
    }

    def written() -> list[dict] | None:
        envelopes = [
            envelope
            for service in OUTBOX_SERVICES
            for envelope in events.outbox_envelopes(isolation.db_url(service))
        ]
        kinds = {(e["source"], e["event_type"]) for e in envelopes}
        return envelopes if expected <= kinds else None

    envelopes = wait_for(written, timeout=20, what="every kind of event written")
    assert events.contract_breaches(envelopes) == []
    assert {e["data"].get("status") for e in envelopes} >= {"passed", "rejected"}
