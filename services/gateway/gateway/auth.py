"""Who is calling: the gateway resolves the session through accounts (which owns
sessions, so a logout or password change revokes them at once).

Resources call :func:`require_account` (any logged-in account) or
:func:`require_role`. The token comes from ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import falcon

from gateway.errors import Problem
from gateway.middleware import rpc_context


def session_token(req: falcon.Request) -> str | None:
    header = req.get_header("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def require_account(req: falcon.Request, ctx) -> dict:
    """``{account_id, account_kind, role}`` of the caller; 401 without a live session.

    accounts' ``resolve_session`` raises ``Unauthenticated`` for an unknown or
    expired token (mapped to 401 by gateway/errors.py).
    """
    cached = getattr(req.context, "account", None)
    if cached is not None:
        return cached
    token = session_token(req)
    if token is None:
        raise Problem(401, "unauthenticated", "Log in first.")
    answer = ctx.rpc.call("accounts", "resolve_session", context=rpc_context(), token=token)
    roles = answer.get("roles") or ([answer["role"]] if answer.get("role") else [])
    account = {
        "account_id": answer["account_id"],
        "account_kind": answer["account_kind"],
        "role": answer.get("role") or (roles[0] if roles else None),
        "roles": list(roles),
    }
    req.context.account = account
    return account


def require_role(req: falcon.Request, ctx, role: str) -> dict:
    """The caller's account if it holds ``role``; 403 otherwise."""
    account = require_account(req, ctx)
    if role not in account["roles"]:
        raise Problem(403, "forbidden", f"This needs the {role} role.")
    return account
