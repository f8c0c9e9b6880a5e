"""What several accounts integration tests do: register a person or an organisation,
log in, apply a
verification outcome as verification's event would.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from accounts import login, real_name, registration
from contracts.events import Envelope
from contracts.phones import normalize_phone
from contracts.verification import (
    VerificationFailed,
    VerificationPassed,
    VerificationReviewRequested,
)

from tests import identity_data as gen

IP = "198.51.100.7"


def register(deps, otp, rng=None, **overrides) -> tuple[dict, dict]:
    """A person registered as a user registers: ``(the form sent, the answer)``."""
    body = gen.person_registration(rng or random.Random(), **overrides)
    body["sms_code"] = otp.issue_code(normalize_phone(body["phone"]), "register_person")
    return body, registration.register_person(deps, body)


def register_org(deps, otp, rng=None, **overrides) -> tuple[dict, dict]:
    """An organisation registered, its main agent's mobile proven."""
    body = gen.organization_registration(rng or random.Random(), **overrides)
    agent = body["main_agent"]
    agent["sms_code"] = otp.issue_code(
        normalize_phone(agent["phone"]), "register_organization"
    )
    return body, registration.register_organization(deps, body)


def log_in(deps, name, password=gen.PASSWORD, ip=IP, captcha=(None, None)):
    return login.log_in(deps, name, password, ip, *captcha)


OUTCOMES = {
    "verification_passed": (
        VerificationPassed,
        {"reason_code": "authority_match", "status": "passed", "final": False},
    ),
    "verification_failed": (
        VerificationFailed,
        {"reason_code": "no_record", "status": "failed", "final": False},
    ),
    "verification_review_requested": (VerificationReviewRequested, {}),
}


def outcome(event_type, account_id, occurred_at, account_kind="person", **data):
    """A delivered verification event as accounts' consumer receives it; ``data``
    overrides the model's fields."""
    model, defaults = OUTCOMES[event_type]
    return Envelope[model](
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        source="verification",
        occurred_at=occurred_at,
        correlation_id=None,
        data=model(
            account_id=account_id,
            account_kind=account_kind,
            case_id="vrf_test",
            **{**defaults, **data},
        ),
    )


def apply_outcome(deps, event_type, account_id, account_kind="person", **data) -> bool:
    """Accounts' consumer takes a verification outcome of a second from now
    (after the account's last change); whether it changed the account."""
    when = deps.clock() + timedelta(seconds=1)
    with deps.repo.transaction():
        return real_name.apply_verification_outcome(
            deps, outcome(event_type, account_id, when, account_kind, **data)
        )
