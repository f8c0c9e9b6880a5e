"""A demo business system, Torch statistics (火炬统计): the relying party a business
system team copies. Started by `make up` on its own port (8090).

It is built with maintained client libraries, not with the provider's own:
requests-oauthlib for the code flow (PKCE S256, state) and PyJWT's PyJWKClient to
check the ID token's signature against the provider's JWKS (plus iss, aud, nonce).
Its home page shows who came in, for which organisation and at which trust level;
its logout ends the portal session too (RP-initiated logout) and returns to the
portal.

    DEMO_ISSUER        the provider (http://127.0.0.1:8080)
    DEMO_CLIENT_ID     torch-statistics
    DEMO_CLIENT_SECRET its development secret (services/sso/clients.dev.yml)
    DEMO_BIND          127.0.0.1:8090; its redirect URI is http://<bind>/callback
    DEMO_AFTER_LOGOUT  where the provider returns after logout (the portal)

State (pending logins, sessions) is kept in this one process: enough for a demo,
not for a business system with several copies.
"""

from __future__ import annotations

import html
import os
import secrets
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, make_server

import falcon
import jwt
import requests
from requests_oauthlib import OAuth2Session

# the provider speaks plain http on a development machine
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

ISSUER = os.environ.get("DEMO_ISSUER", "http://127.0.0.1:8080").rstrip("/")
CLIENT_ID = os.environ.get("DEMO_CLIENT_ID", "torch-statistics")
CLIENT_SECRET = os.environ.get(
    "DEMO_CLIENT_SECRET", "torch-statistics-dev-secret-not-for-production"
)
BIND = os.environ.get("DEMO_BIND", "127.0.0.1:8090")
REDIRECT_URI = f"http://{BIND}/callback"
AFTER_LOGOUT = os.environ.get("DEMO_AFTER_LOGOUT", f"{ISSUER}/")
COOKIE = "torch_session"


class Provider:
    """The provider's metadata and keys, fetched once."""

    def __init__(self, issuer: str):
        self.issuer = issuer
        self._meta: dict | None = None
        self._jwks: jwt.PyJWKClient | None = None

    @property
    def meta(self) -> dict:
        if self._meta is None:
            answer = requests.get(
                f"{self.issuer}/.well-known/openid-configuration", timeout=10
            )
            answer.raise_for_status()
            self._meta = answer.json()
            if self._meta["issuer"] != self.issuer:
                raise RuntimeError("the provider names another issuer")
            self._jwks = jwt.PyJWKClient(self._meta["jwks_uri"])
        return self._meta

    def id_token_claims(self, id_token: str, nonce: str) -> dict:
        self.meta  # noqa: B018 - loads the JWKS client
        key = self._jwks.get_signing_key_from_jwt(id_token).key
        claims = jwt.decode(
            id_token,
            key,
            algorithms=self.meta["id_token_signing_alg_values_supported"],
            audience=CLIENT_ID,
            issuer=self.issuer,
        )
        if claims.get("nonce") != nonce:
            raise falcon.HTTPBadRequest(title="nonce mismatch")
        return claims


def cookie(req) -> str:
    return (req.get_cookie_values(COOKIE) or [""])[0]


def page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><body><h1>火炬统计</h1>{body}</body></html>"
    )


class App:
    def __init__(self, provider: Provider):
        self.provider = provider
        self.pending: dict[str, tuple[str, str]] = {}  # state -> (verifier, nonce)
        self.sessions: dict[str, dict] = {}

    def session(self, client: OAuth2Session | None = None) -> OAuth2Session:
        return client or OAuth2Session(
            CLIENT_ID,
            redirect_uri=REDIRECT_URI,
            scope=["openid", "profile"],
            pkce="S256",
        )

    def on_get(self, req, resp):
        """The home page: who came in, for which organisation, trust level."""
        resp.content_type = falcon.MEDIA_HTML
        who = self.sessions.get(cookie(req))
        if who is None:
            resp.text = page("火炬统计", '<p><a href="/login">通过门户登录</a></p>')
            return
        claims = who["claims"]
        org = claims.get("acting_for")
        rows = [
            ("姓名 / 名称", claims.get("name") or ""),
            ("账号类型", claims.get("account_kind", "")),
            ("信任等级", str(claims.get("trust_level", ""))),
            ("代表单位", f"{org['name']}（{org['unique_code']}）" if org else "本人"),
        ]
        cells = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        resp.text = page(
            "火炬统计", f'<table>{cells}</table><p><a href="/logout">退出</a></p>'
        )

    def on_get_login(self, req, resp):
        """Our own login (also the initiate_login_uri): off to the provider."""
        iss = req.get_param("iss")
        if iss is not None and iss.rstrip("/") != ISSUER:
            raise falcon.HTTPBadRequest(title="unknown issuer")
        client = self.session()
        nonce = secrets.token_urlsafe(16)
        url, state = client.authorization_url(
            self.provider.meta["authorization_endpoint"], nonce=nonce
        )
        self.pending[state] = (client._code_verifier, nonce)
        raise falcon.HTTPFound(url)

    def on_get_callback(self, req, resp):
        state = req.get_param("state") or ""
        if req.get_param("iss", default="").rstrip("/") != ISSUER:
            raise falcon.HTTPBadRequest(title="missing or wrong iss (RFC 9207)")
        if req.get_param("error") or state not in self.pending:
            raise falcon.HTTPBadRequest(title=req.get_param("error") or "unknown state")
        verifier, nonce = self.pending.pop(state)
        client = OAuth2Session(CLIENT_ID, redirect_uri=REDIRECT_URI, state=state)
        tokens = client.fetch_token(
            self.provider.meta["token_endpoint"],
            code=req.get_param("code"),
            client_secret=CLIENT_SECRET,
            code_verifier=verifier,
        )
        claims = self.provider.id_token_claims(tokens["id_token"], nonce)
        session_id = secrets.token_urlsafe(24)
        self.sessions[session_id] = {"claims": claims, "id_token": tokens["id_token"]}
        resp.set_cookie(COOKIE, session_id, path="/", secure=False, http_only=True)
        raise falcon.HTTPFound("/")

    def on_get_logout(self, req, resp):
        """Our session ends, then the portal's (RP-initiated logout)."""
        who = self.sessions.pop(cookie(req), None)
        resp.unset_cookie(COOKIE, path="/")
        params = {"client_id": CLIENT_ID, "post_logout_redirect_uri": AFTER_LOGOUT}
        if who:
            params["id_token_hint"] = who["id_token"]
        end = self.provider.meta["end_session_endpoint"]
        raise falcon.HTTPFound(f"{end}?{urlencode(params)}")


def create_app() -> falcon.App:
    app = falcon.App()
    demo = App(Provider(ISSUER))
    app.add_route("/", demo)
    app.add_route("/login", demo, suffix="login")
    app.add_route("/callback", demo, suffix="callback")
    app.add_route("/logout", demo, suffix="logout")
    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        print(f"torch-statistics {self.address_string()} {format % args}", flush=True)


def main() -> None:
    host, _, port = BIND.rpartition(":")
    print(f"torch-statistics on http://{BIND} (provider {ISSUER})", flush=True)
    make_server(
        host, int(port), create_app(), handler_class=_QuietHandler
    ).serve_forever()


if __name__ == "__main__":
    main()
