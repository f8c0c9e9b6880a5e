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
not for a business system with several copies. Its registration: README.md here.
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


# What the claims mean, in the words of the page (sso.md: "Who the user is").
ACCOUNT_KINDS = {"person": "自然人", "organization": "法人"}
REAL_NAME = {
    "unverified": "未认证",
    "pending": "认证中",
    "passed": "已通过实名认证",
    "failed": "实名认证未通过",
    "manual_review": "等待人工审核",
    "rejected": "审核未通过",
}
TRUST_LEVELS = {1: "1 级（已注册）", 2: "2 级（已通过实名认证）"}
STYLE = """
body { margin: 0; font: 16px/1.6 "Noto Sans CJK SC", sans-serif; color: #1b1b1b; }
header { background: #8a1c1c; color: #fff; padding: .75rem 1.5rem; }
header p { margin: 0; font-size: 1.25rem; font-weight: bold; }
main { max-width: 44rem; padding: 1rem 1.5rem; }
table { border-collapse: collapse; }
caption { text-align: left; color: #555; padding-bottom: .5rem; }
th, td { text-align: left; padding: .4rem 1rem .4rem 0; border-bottom: 1px solid #ccc; }
a.button { display: inline-block; margin-top: 1rem; padding: .5rem 1.25rem;
  background: #8a1c1c; color: #fff; text-decoration: none; border-radius: 3px; }
footer { padding: 1rem 1.5rem; color: #555; border-top: 1px solid #ccc; }
"""


def page(title: str, body: str) -> str:
    """A whole page: Chinese, titled, in landmarks (header, main, footer)."""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} - 火炬统计</title>"
        '<link rel="stylesheet" href="/demo.css"></head><body>'
        "<header><p>火炬统计</p></header>"
        f"<main><h1>{html.escape(title)}</h1>{body}</main>"
        "<footer>演示业务系统：通过科学技术部政务服务平台单点登录。</footer>"
        "</body></html>"
    )


def who_came_in(claims: dict) -> list[tuple[str, str]]:
    """The rows of the home page: person, account kind, real name, trust level and
    the organisation acted for (``acting_for``), or 本人 (myself)."""
    org = claims.get("acting_for")
    kind = claims.get("account_kind", "")
    status = claims.get("real_name_status", "")
    level = claims.get("trust_level")
    return [
        ("姓名 / 名称", claims.get("name") or ""),
        ("账号类型", ACCOUNT_KINDS.get(kind, kind)),
        ("实名状态", REAL_NAME.get(status, status)),
        ("信任等级", TRUST_LEVELS.get(level, str(level or ""))),
        ("代表单位", f"{org['name']}（{org['unique_code']}）" if org else "本人"),
    ]


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
            resp.text = page(
                "欢迎使用火炬统计",
                '<p><a class="button" href="/login">通过门户登录</a></p>',
            )
            return
        cells = "".join(
            f'<tr><th scope="row">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>'
            for k, v in who_came_in(who["claims"])
        )
        resp.text = page(
            "当前登录",
            f"<table><caption>门户告知本系统的登录信息</caption>{cells}</table>"
            '<p><a class="button" href="/logout">退出</a></p>',
        )

    def on_get_style(self, req, resp):
        resp.content_type = "text/css; charset=utf-8"
        resp.text = STYLE

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
    app.add_route("/demo.css", demo, suffix="style")
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
