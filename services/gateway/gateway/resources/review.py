"""The reviewers' queue: verification cases (and, with recovery, appeals).

A case id says which service owns it by its prefix (``vrf_`` verification,
``apl_`` recovery's appeals); each kind of case is listed by its owner. Every
route needs the reviewer role.
"""

from __future__ import annotations

from contracts import errors as ce
from contracts.recovery import APPEAL_ID_PREFIX, RecoveryClient
from contracts.verification import CASE_ID_PREFIX as VERIFICATION_PREFIX

from gateway.errors import Problem
from gateway.middleware import rpc_context
from gateway.schemas import read_json

REVIEWER = "reviewer"

# kind -> (owning service, case id prefix); each owner implements list_review_cases,
# get_review_case and decide_review_case with the same shapes.
REVIEW_KINDS: dict[str, tuple[str, str]] = {
    "verification": ("verification", VERIFICATION_PREFIX),
    "appeal": ("recovery", APPEAL_ID_PREFIX),
}


def require_reviewer(req, ctx) -> dict:
    """The caller's account if it is a reviewer; 401 / 403 otherwise."""
    account = ctx.auth.require_account(req)
    if account["role"] != REVIEWER:
        raise Problem(403, "forbidden", "This needs the reviewer role.")
    return account


def owner_of(case_id: str) -> str:
    for service, prefix in REVIEW_KINDS.values():
        if case_id.startswith(prefix):
            return service
    raise Problem(404, "case_not_found", "No such review case.")


def _int_param(req, name: str, default: int, low: int, high: int) -> int:
    raw = req.get_param(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise Problem(
            422,
            f"{name}_invalid",
            f"{name} must be an integer from {low} to {high}.",
            errors=[
                {"field": name, "code": f"{name}_invalid", "message": "out of range"}
            ],
        )
    return value


class _Queue:
    """Calls a case's owner: recovery through its typed client, verification
    through the RPC pool (until it has one)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.recovery = ctx.client(RecoveryClient)

    def _rpc(self, service: str, method: str, **kwargs) -> dict:
        return self.ctx.rpc.call(service, method, context=rpc_context(), **kwargs)

    def page(self, service: str, status: str | None, limit: int, offset: int) -> dict:
        if service == RecoveryClient.name:
            return self.recovery.list_review_cases(
                status=status, limit=limit, offset=offset
            ).dump()
        return self._rpc(
            service, "list_review_cases", status=status, limit=limit, offset=offset
        )

    def case(self, service: str, case_id: str) -> dict:
        if service == RecoveryClient.name:
            return self.recovery.get_review_case(case_id=case_id).dump()
        return self._rpc(service, "get_review_case", case_id=case_id)

    def decide(self, service: str, case_id: str, body: dict, reviewer_id: str) -> dict:
        decision, reason = body.get("decision"), body.get("reason")
        if service == RecoveryClient.name:
            return self.recovery.decide_review_case(
                case_id=case_id,
                decision=decision,
                reason=reason,
                reviewer_id=reviewer_id,
            ).dump()
        return self._rpc(
            service,
            "decide_review_case",
            case_id=case_id,
            decision=decision,
            reason=reason,
            reviewer_id=reviewer_id,
        )


class ReviewCases(_Queue):
    def on_get(self, req, resp):
        require_reviewer(req, self.ctx)
        kind = req.get_param("kind")
        if kind is not None and kind not in REVIEW_KINDS:
            raise Problem(
                422,
                "kind_invalid",
                "kind must be one of " + ", ".join(REVIEW_KINDS),
                errors=[
                    {"field": "kind", "code": "kind_invalid", "message": "unknown"}
                ],
            )
        status = req.get_param("status")
        limit = _int_param(req, "limit", 50, 1, 200)
        offset = _int_param(req, "offset", 0, 0, 10**9)
        items, total = [], 0
        for name in [kind] if kind else list(REVIEW_KINDS):
            service, _ = REVIEW_KINDS[name]
            try:
                answer = self.page(service, status, limit, offset)
            except ce.InvalidInput as error:
                # without a kind, a status only one kind has lists that kind only
                if kind is not None or error.error_code != "status_invalid":
                    raise
                continue
            items += answer["items"]
            total += answer["total"]
        resp.media = {"items": items, "total": total}


class ReviewCase(_Queue):
    def on_get(self, req, resp, case_id):
        require_reviewer(req, self.ctx)
        resp.media = self.case(owner_of(case_id), case_id)


class ReviewDecision(_Queue):
    def on_post(self, req, resp, case_id):
        reviewer = require_reviewer(req, self.ctx)
        body = read_json(req, self.ctx.settings.max_body_bytes)
        resp.media = self.decide(
            owner_of(case_id), case_id, body, reviewer["account_id"]
        )


def add_routes(app, ctx) -> None:
    app.add_route(f"{ctx.api}/admin/review-cases", ReviewCases(ctx))
    app.add_route(f"{ctx.api}/admin/review-cases/{{case_id}}", ReviewCase(ctx))
    app.add_route(
        f"{ctx.api}/admin/review-cases/{{case_id}}/decision", ReviewDecision(ctx)
    )
