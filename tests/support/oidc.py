"""Single sign-on in tests, as a business system and a browser see it: the
development clients, the portal's origin and discovery, a browser carrying the
portal's session cookie (not following redirects), PKCE, the code and token
requests, userinfo, pyoidc's authorize step, an agent's choice of organisation and a
back-channel logout endpoint. Used by tests/e2e/test_sso*.py and test_cas.py."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
import sqlalchemy as sa
from oic.oic import Client as OicClient
from oic.oic.message import AuthorizationResponse

from tests.support import client
from tests.support.isolation import free_port

TORCH = "torch-statistics"
TORCH_SECRET = "torch-statistics-dev-secret-not-for-production"
TORCH_REDIRECT = "http://127.0.0.1:8090/callback"
HIGHTECH = "hightech-recognition"
HIGHTECH_SECRET = "hightech-recognition-dev-secret-not-for-production"
PUBLIC = "genetic-resources"
PUBLIC_REDIRECT = "http://127.0.0.1:8092/callback"
SESSION_COOKIE = "__Host-session"


# --- helpers --------------------------------------------------------------------------------


def origin(stack) -> str:
    return stack.url.rsplit("/api/v1", 1)[0]


def discovery(stack) -> dict:
    answer = requests.get(
        f"{origin(stack)}/.well-known/openid-configuration", timeout=10
    )
    assert answer.status_code == 200
    return answer.json()


def browse(url: str, session_token: str | None) -> requests.Response:
    """The browser opens ``url`` (not following the redirect it answers)."""
    headers = {"Cookie": f"{SESSION_COOKIE}={session_token}"} if session_token else {}
    return requests.get(url, headers=headers, allow_redirects=False, timeout=10)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(stack, client_id=TORCH, redirect_uri=TORCH_REDIRECT, **params) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid profile",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        **params,
    }
    query = {k: v for k, v in query.items() if v is not None}
    return f"{origin(stack)}/oidc/authorize?{urlencode(query)}"


def code_for(stack, token, client_id=TORCH, redirect_uri=TORCH_REDIRECT):
    """(code, verifier) of one authorize step with PKCE S256."""
    verifier, challenge = pkce()
    answer = browse(
        authorize_url(
            stack,
            client_id,
            redirect_uri,
            code_challenge=challenge,
            code_challenge_method="S256",
        ),
        token,
    )
    assert answer.status_code == 302, answer.text
    return query_of(answer.headers["Location"])["code"], verifier


def redeem(stack, code, verifier, client_id=TORCH, secret=TORCH_SECRET, **form):
    """The token request, the client authenticating with HTTP Basic (or, with
    ``post=True`` in ``form``, in the body)."""
    auth = (client_id, secret)
    if form.pop("post", False):
        form.update(client_id=client_id, client_secret=secret)
        auth = None
    return requests.post(
        f"{origin(stack)}/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": TORCH_REDIRECT,
            "code_verifier": verifier,
            **form,
        },
        auth=auth,
        timeout=10,
    )


def userinfo(stack, access_token: str) -> requests.Response:
    return requests.get(
        f"{origin(stack)}/oidc/userinfo",
        headers=client.bearer(access_token),
        timeout=10,
    )


def sso_database(stack):
    return sa.create_engine(stack.isolation.db_url("sso"), poolclass=sa.pool.NullPool)


def at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def oic_authorize(rp: OicClient, session_token: str, client_id: str, redirect_uri: str):
    """pyoidc's authorization request (PKCE S256, state, nonce) opened by the
    browser with the portal session: (the parsed response, the redirect's
    Location, (state, nonce, verifier))."""
    challenge, verifier = rp.add_code_challenge()
    state, nonce = secrets.token_urlsafe(8), secrets.token_urlsafe(8)
    request = rp.construct_AuthorizationRequest(
        request_args={
            "client_id": client_id,
            "response_type": "code",
            "scope": ["openid", "profile"],
            "redirect_uri": redirect_uri,
            "state": state,
            "nonce": nonce,
            **challenge,
        }
    )
    answer = browse(request.request(rp.authorization_endpoint), session_token)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    response = rp.parse_response(
        AuthorizationResponse, info=urlsplit(location).query, sformat="urlencoded"
    )
    return response, location, (state, nonce, verifier)


class BackChannelReceiver:
    """A business system's back-channel logout endpoint (Back-Channel Logout 1.0
    §2.5): while ``down`` it refuses (503); then it keeps each ``logout_token``."""

    def __init__(self, down: bool = False):
        self.down = down
        self.refused = 0
        self.tokens: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                if receiver.down:
                    receiver.refused += 1
                    self.send_response(503)
                else:
                    receiver.tokens.extend(form.get("logout_token", []))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/backchannel-logout"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def choose_acting_for(stack, agent_token: str, organization_id: str | None) -> str:
    """The agent answers the portal's question "as whom?" (``POST
    /api/v1/sso/acting-choices``): for ``organization_id``, or None for themself.
    Returns the choice id the authorize or CAS login request takes back as
    ``acting_choice``."""
    choice = requests.post(
        f"{stack.url}/sso/acting-choices",
        json={"organization_id": organization_id},
        headers=client.bearer(agent_token),
        timeout=10,
    )
    assert choice.status_code == 201, choice.text
    return choice.json()["choice_id"]
