"""Every route of the CAS 3.0 façade, registered in this one place (from app.py)."""

from __future__ import annotations

from contracts.sso import SsoClient

from gateway.cas import resources as r


def add_routes(app, ctx) -> None:
    sso = ctx.client(SsoClient)
    settings = ctx.settings
    app.add_route(
        r.LOGIN,
        r.Login(sso, ctx.auth, settings.oidc_login_url, settings.oidc_choice_url),
    )
    # CAS 3.0 with attributes; CAS 2.0's endpoint without them
    app.add_route(r.VALIDATE_P3, r.Validate(sso, True, settings.retry_after))
    app.add_route(r.VALIDATE, r.Validate(sso, False, settings.retry_after))
    app.add_route(r.LOGOUT, r.Logout(sso, ctx.auth))
