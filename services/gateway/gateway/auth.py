"""Who is calling: the session behind a bearer token or the session cookie.

Sessions belong to ``accounts``; the gateway only carries the token and asks
``accounts.resolve_session`` on each authenticated request (so a logout or a
password change takes effect at once on every gateway process). Any area's
resource does::

    account = self.auth.require_account(req)          # 401 / 403 as problems
    account["account_id"], account["kind"], account["role"]

Browsers use the cookie (``Secure``, ``HttpOnly``, ``SameSite=Lax``); a request
authenticated by the cookie with an unsafe method must carry the
``X-CSRF-Token`` issued at login. API clients send ``Authorization: Bearer``,
which no other site can make a browser send, so it needs no CSRF token.
"""

from __future__ import annotations

from datetime import UTC, datetime

import falcon
from contracts import errors as ce
from contracts.accounts import AccountsClient

from gateway.clients import service_client
from gateway.errors import Problem

# __Host-: the browser only accepts it Secure, for Path=/, without a Domain, so no
# sibling sub-domain can set or shadow it.
SESSION_COOKIE = "__Host-session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def unauthenticated(code: str, detail: str) -> Problem:
    return Problem(401, code, detail, {"WWW-Authenticate": 'Bearer realm="api"'})


def presented_token(req: falcon.Request) -> tuple[str | None, str | None]:
    """``(token, "bearer" | "cookie")``; the header wins over the cookie."""
    header = req.get_header("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthenticated(
                "authorization_invalid", "Use 'Authorization: Bearer <token>'."
            )
        return token.strip(), "bearer"
    cookies = req.get_cookie_values(SESSION_COOKIE)
    if cookies:
        return cookies[0], "cookie"
    return None, None


def set_session_cookie(resp: falcon.Response, token: str, max_age: int) -> None:
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        secure=True,
        http_only=True,
        same_site="Lax",
    )


def clear_session_cookie(resp: falcon.Response) -> None:
    """Expire the session cookie with the attributes it was set with: a browser
    ignores a ``__Host-`` cookie without ``Secure`` and ``Path=/``, so
    ``Response.unset_cookie`` (no ``Secure``) would leave the old one in place."""
    resp.set_cookie(
        SESSION_COOKIE,
        "",
        expires=_EPOCH,
        path="/",
        secure=True,
        http_only=True,
        same_site="Lax",
    )


class Authenticator:
    def __init__(self, rpc):
        self.accounts = service_client(rpc, AccountsClient)

    def require_account(
        self,
        req: falcon.Request,
        allow_temporary: bool = False,
        csrf_token: str | None = None,
    ) -> dict:
        """The caller's session: ``{session_id, account_id, kind, role,
        login_name, must_change_password}``, also kept as ``req.context.account``
        and its token as ``req.context.session_token``.

        401 ``not_authenticated`` / ``session_invalid`` / ``authorization_invalid``;
        403 ``csrf_token_invalid`` (cookie, unsafe method, no or wrong token);
        403 ``password_change_required`` while a temporary password is in use,
        unless ``allow_temporary`` (changing the password, logging out).
        ``csrf_token``: the token a page's form carried, instead of the header.
        """
        cached = getattr(req.context, "account", None)
        if cached is not None:
            return cached
        token, source = presented_token(req)
        if token is None:
            raise unauthenticated("not_authenticated", "Log in first.")
        try:
            session = self.accounts.resolve_session(
                token=token, csrf_token=csrf_token or req.get_header(CSRF_HEADER)
            )
        except ce.Unauthenticated:
            raise unauthenticated(
                "session_invalid", "The session has ended; log in again."
            ) from None
        if (
            source == "cookie"
            and req.method not in SAFE_METHODS
            and not session.csrf_ok
        ):
            raise Problem(
                403,
                "csrf_token_invalid",
                f"Send the {CSRF_HEADER} header the login returned.",
            )
        if session.must_change_password and not allow_temporary:
            raise Problem(
                403,
                "password_change_required",
                "A temporary password is in use: change it first (PUT /api/v1/me/password).",
            )
        account = session.model_dump(exclude={"csrf_ok"})
        req.context.account = account
        req.context.session_token = token
        return account
