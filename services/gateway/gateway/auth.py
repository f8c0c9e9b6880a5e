"""Who is calling: the gateway resolves the session through accounts (which owns
sessions, so a logout or password change revokes them at once).

Resources call :func:`require_account` (any logged-in account) or
:func:`require_role`. The token comes from ``Authorization: Bearer <token>`` or
the session cookie; with the cookie, unsafe methods also need the
``X-CSRF-Token`` the login returned (accounts checks it: ``csrf_ok``).
"""

from __future__ import annotations

import falcon

from gateway.errors import Problem
from gateway.middleware import rpc_context

SESSION_COOKIE = "session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_token(req: falcon.Request) -> tuple[str | None, bool]:
    """(token, came_from_cookie)."""
    header = req.get_header("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip(), False
    cookie = (req.get_cookie_values(SESSION_COOKIE) or [None])[0]
    return (cookie, True) if cookie else (None, False)


def require_account(req: falcon.Request, ctx) -> dict:
    """``{account_id, account_kind, role}`` of the caller; 401 without a live session.

    accounts' ``resolve_session`` raises ``Unauthenticated`` (``session_invalid``)
    for an unknown, ended or expired token (401 through gateway/errors.py).
    """
    cached = getattr(req.context, "account", None)
    if cached is not None:
        return cached
    token, from_cookie = session_token(req)
    if token is None:
        raise Problem(401, "unauthenticated", "Log in first.")
    csrf = req.get_header("X-CSRF-Token")
    answer = ctx.rpc.call(
        "accounts",
        "resolve_session",
        context=rpc_context(),
        token=token,
        csrf_token=csrf,
    )
    if from_cookie and req.method not in SAFE_METHODS and not answer.get("csrf_ok"):
        # fail closed: a cookie alone never authorises a state change
        raise Problem(403, "csrf_failed", "Send the X-CSRF-Token the login returned.")
    account = {
        "account_id": answer["account_id"],
        "account_kind": answer.get("account_kind") or answer.get("kind"),
        "role": answer.get("role"),
    }
    req.context.account = account
    return account


def require_role(req: falcon.Request, ctx, role: str) -> dict:
    """The caller's account if it holds ``role``; 403 otherwise."""
    account = require_account(req, ctx)
    if account["role"] != role:
        raise Problem(403, "forbidden", f"This needs the {role} role.")
    return account
