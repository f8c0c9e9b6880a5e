"""Every route of single sign-on, registered in this one place (from app.py)."""

from __future__ import annotations

from contracts.sso import SsoClient

from gateway.oidc import resources as r


def add_routes(app, ctx) -> None:
    sso = ctx.client(SsoClient)
    providers = r.Providers(sso)
    settings = ctx.settings
    app.add_route(r.DISCOVERY, r.Discovery(providers))
    app.add_route(
        r.AUTHORIZE,
        r.Authorize(
            providers, ctx.auth, settings.oidc_login_url, settings.oidc_choice_url
        ),
    )
    app.add_route(r.TOKEN, r.Token(providers, settings.max_body_bytes))
    app.add_route(r.USERINFO, r.UserInfo(sso, settings.max_body_bytes))
    app.add_route(r.JWKS, r.Jwks(sso))
    app.add_route(r.LOGOUT, r.Logout(sso, ctx.auth, settings.max_body_bytes))
    app.add_route(f"{ctx.api}/services", r.Services(sso, ctx.auth))
    app.add_route(
        f"{ctx.api}/sso/acting-choices",
        r.ActingChoices(sso, ctx.auth, settings.max_body_bytes),
    )
