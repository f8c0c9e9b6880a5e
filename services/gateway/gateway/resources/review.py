"""The reviewers' queue: verification cases and recovery's appeals.

A case id says which service owns it by its prefix (``vrf_`` verification,
``apl_`` recovery's appeals); each kind of case is listed by its owner. Every
route needs the reviewer role. Both owners answer the shapes of ``contracts.review``
and the decision body is read once, here, by its model.
"""

from __future__ import annotations

from typing import Any, Protocol

from contracts import errors as ce
from contracts.models import dump, parse
from contracts.recovery import APPEAL_ID_PREFIX, RecoveryClient
from contracts.review import ReviewDecisionRequest
from contracts.verification import CASE_ID_PREFIX as VERIFICATION_PREFIX
from contracts.verification import VerificationClient

from gateway.errors import Problem
from gateway.schemas import read_json

REVIEWER = "reviewer"

# kind -> case id prefix
REVIEW_KINDS: dict[str, str] = {
    "verification": VERIFICATION_PREFIX,
    "appeal": APPEAL_ID_PREFIX,
}


class ReviewOwner(Protocol):
    """What the owner of a kind of case answers: ``VerificationClient`` and
    ``RecoveryClient`` (appeals) both are."""

    def list_review_cases(
        self, status: Any = None, limit: int = 50, offset: int = 0
    ) -> Any: ...

    def get_review_case(self, case_id: str, reviewer_id: str) -> Any: ...

    def decide_review_case(
        self, case_id: str, decision: Any, reason: Any, reviewer_id: str, **choice: Any
    ) -> Any: ...


def require_reviewer(req, ctx) -> dict:
    """The caller's account if it is a reviewer; 401 / 403 otherwise."""
    account = ctx.auth.require_account(req)
    if account["role"] != REVIEWER:
        raise Problem(403, "forbidden", "This needs the reviewer role.")
    return account


def owner_of(owners: dict[str, ReviewOwner], case_id: str) -> ReviewOwner:
    for kind, prefix in REVIEW_KINDS.items():
        if case_id.startswith(prefix):
            return owners[kind]
    raise Problem(404, "case_not_found", "No such review case.")


def read_case(owners: dict[str, ReviewOwner], case_id: str, reviewer_id: str) -> Any:
    """One case as the reviewer ``reviewer_id`` opens it (the API and the
    console). Both owners audit every view: they are told who is looking."""
    owner = owner_of(owners, case_id)
    return owner.get_review_case(case_id=case_id, reviewer_id=reviewer_id)


def _int_param(req, name: str, default: int, low: int, high: int) -> int:
    raw = req.get_param(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise invalid_parameter(
            name,
            f"{name}_invalid",
            f"{name} must be an integer from {low} to {high}.",
            "out of range",
        )
    return value


def invalid_parameter(name: str, code: str, detail: str, message: str) -> Problem:
    """422 ``code`` for the query parameter ``name``, its error beside it."""
    return Problem(
        422, code, detail, errors=[{"field": name, "code": code, "message": message}]
    )


class ReviewCases:
    def __init__(self, ctx, owners: dict[str, ReviewOwner]):
        self.ctx = ctx
        self.owners = owners

    def on_get(self, req, resp):
        require_reviewer(req, self.ctx)
        kind = req.get_param("kind")
        if kind is not None and kind not in REVIEW_KINDS:
            raise invalid_parameter(
                "kind",
                "kind_invalid",
                "kind must be one of " + ", ".join(REVIEW_KINDS),
                "unknown",
            )
        status = req.get_param("status")
        limit = _int_param(req, "limit", 50, 1, 200)
        offset = _int_param(req, "offset", 0, 0, 10**9)
        items, total = [], 0
        for name in [kind] if kind else list(REVIEW_KINDS):
            try:
                page = self.owners[name].list_review_cases(
                    status=status, limit=limit, offset=offset
                )
            except ce.InvalidInput as error:
                # without a kind, a status only one kind has lists that kind only
                if kind is not None or error.error_code != "status_invalid":
                    raise
                continue
            page = dump(page)
            items += page["items"]
            total += page["total"]
        resp.media = {"items": items, "total": total}


class ReviewCase:
    def __init__(self, ctx, owners: dict[str, ReviewOwner]):
        self.ctx = ctx
        self.owners = owners

    def on_get(self, req, resp, case_id):
        reviewer = require_reviewer(req, self.ctx)
        resp.media = dump(read_case(self.owners, case_id, reviewer["account_id"]))


class ReviewDecision:
    def __init__(self, ctx, owners: dict[str, ReviewOwner]):
        self.ctx = ctx
        self.owners = owners

    def on_post(self, req, resp, case_id):
        reviewer = require_reviewer(req, self.ctx)
        raw = read_json(req, self.ctx.settings.max_body_bytes)
        owner = owner_of(self.owners, case_id)  # an unknown id is 404 before 422
        body = parse(ReviewDecisionRequest, raw)
        resp.media = dump(
            owner.decide_review_case(
                case_id=case_id,
                decision=body.decision,
                reason=body.reason,
                reviewer_id=reviewer["account_id"],
                **_choice(case_id, body),
            )
        )


def _choice(case_id: str, body: ReviewDecisionRequest) -> dict:
    """The approved account an appeal's decision names (its owner checks it is
    one of the candidates); a verification case has one account and refuses it."""
    if body.account_id is None:
        return {}
    if not case_id.startswith(APPEAL_ID_PREFIX):
        raise Problem(
            422,
            "account_id_not_expected",
            "A verification case has one account: send no account_id.",
            errors=[
                {
                    "field": "account_id",
                    "code": "account_id_not_expected",
                    "message": "only for appeals",
                }
            ],
        )
    return {"account_id": body.account_id}


def add_routes(app, ctx) -> None:
    owners: dict[str, ReviewOwner] = {
        "verification": ctx.client(VerificationClient),
        "appeal": ctx.client(RecoveryClient),
    }
    app.add_route(f"{ctx.api}/admin/review-cases", ReviewCases(ctx, owners))
    app.add_route(f"{ctx.api}/admin/review-cases/{{case_id}}", ReviewCase(ctx, owners))
    app.add_route(
        f"{ctx.api}/admin/review-cases/{{case_id}}/decision",
        ReviewDecision(ctx, owners),
    )
