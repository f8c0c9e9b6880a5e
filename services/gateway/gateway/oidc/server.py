"""Authlib's authorization server bound to Falcon and to the ``sso`` service.

Authlib checks the protocol (request parsing, client authentication methods,
redirect URI, response type, scope, ``prompt``, ``state``, PKCE, ``iss`` in the
authorization response) and shapes every error; every piece of state lives in
``sso`` and is reached through its contract: clients, secrets, codes (stored
hashed, consumed once), tokens and the signing keys. The gateway holds no secret
and no private key.

The token request is one RPC, ``exchange_code``: what Authlib would ask of the
storage in four steps (the client's secret, the code, PKCE, the tokens) ``sso``
does in one transaction. So two pieces of Authlib are deferred to it, not skipped:
``check_client_secret`` and the ``private_key_jwt`` assertion's ``jti`` check
(``validate_jti``) answer "go on" and hand the credential to ``exchange_code``,
which authenticates the client before it touches the code; and the code's
redirect URI and PKCE verifier are checked by ``sso`` in the statement that
consumes it (Authlib then checks them again on what ``sso`` answers, which agree).

Rules kept here on top of Authlib's defaults (sso.md):
- PKCE with ``S256`` for every client: no challenge, or ``plain``, is refused at
  the authorize step (``invalid_request`` to the redirect URI);
- the redirect URI must be given and equal one registered (no prefix, no default);
- a code is redeemed by ``sso`` in one step, so a second redemption fails and
  revokes what the first issued.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs, parse_qsl, urlencode

import falcon
from authlib.oauth2.rfc6749 import (
    AccessDeniedError,
    AuthorizationServer,
    InvalidClientError,
    InvalidRequestError,
    OAuth2Payload,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import CODE_VERIFIER_PATTERN
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.errors import AccountSelectionRequiredError
from contracts import errors as ce
from contracts.sso import (
    ClientInfo,
    CodeExchanged,
    CodeGrant,
    SsoClient,
    TokenRequest,
)

from gateway.oidc.client_auth import (
    TOKEN_AUTH_METHODS,
    TOKEN_PATH,
    PrivateKeyJWT,
    RegisteredClient,
    client_secret,
)


class FalconPayload(OAuth2Payload):
    """The request's parameters: the query, then a form body."""

    def __init__(self, params: dict[str, list[str]]):
        self._datalist = params

    @property
    def data(self) -> dict[str, str]:
        return {key: values[0] for key, values in self._datalist.items()}

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class FalconRequest(OAuth2Request):
    """An Authlib request read from a Falcon one. ``uri`` is rebuilt on the
    issuer's origin: behind a proxy that ends TLS the gateway sees plain http."""

    def __init__(self, req: falcon.Request, issuer: str, form: dict[str, list[str]]):
        uri = issuer.rstrip("/") + req.path
        if req.query_string:
            uri += "?" + req.query_string
        headers = {}
        if (authorization := req.get_header("Authorization")) is not None:
            headers["Authorization"] = authorization
        super().__init__(req.method, uri, headers=headers)
        self._args = {k: v[0] for k, v in _query(req).items()}
        self._form = {k: v[0] for k, v in form.items()}
        merged = dict(_query(req))
        for key, values in form.items():
            merged.setdefault(key, []).extend(values)
        self.payload = FalconPayload(merged)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


def _query(req: falcon.Request) -> dict[str, list[str]]:
    return parse_qs(req.query_string or "", keep_blank_values=True)


def read_form(req: falcon.Request, limit: int) -> dict[str, list[str]]:
    if not (req.content_type or "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = req.bounded_stream.read(limit + 1)
    if len(body) > limit:
        raise falcon.HTTPContentTooLarge()
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


@dataclass
class Reply:
    """What Authlib answers, before Falcon renders it."""

    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return dict(self.headers).get("Location")

    @location.setter
    def location(self, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k != "Location"]
        self.headers.append(("Location", value))

    def render(self, resp: falcon.Response) -> None:
        resp.status = self.status
        for name, value in self.headers:
            resp.set_header(name, value)
        if isinstance(self.body, dict | list):
            resp.media = dict(self.body)
        elif self.body:
            resp.text = str(self.body)


class StoredCode:
    """A code ``sso`` consumed and issued tokens for (Authlib's code mixin)."""

    def __init__(self, exchanged: CodeExchanged):
        self.exchanged = exchanged
        self.code_challenge = exchanged.code_challenge
        self.code_challenge_method = "S256"

    def get_redirect_uri(self) -> str | None:
        return self.exchanged.redirect_uri

    def get_scope(self) -> str:
        return self.exchanged.tokens.scope

    def get_nonce(self) -> None:
        return None  # in the ID token sso signed

    def get_auth_time(self) -> int | None:
        return None


class SelectionRequired(Exception):
    """The person is an agent and must answer as whom they enter (the portal's
    choice page), then come back with ``acting_choice``."""


def _prompts(request: OAuth2Request) -> list[str]:
    return (request.payload.data.get("prompt") or "").split()


class CodeFlow(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(TOKEN_AUTH_METHODS)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        user = request.user
        data = request.payload.data
        try:
            self.server.sso.save_authorization_code(
                grant=CodeGrant(
                    code=code,
                    client_id=request.client.client_id,
                    redirect_uri=request.payload.redirect_uri,
                    scope=request.scope,
                    account_id=user["account_id"],
                    session_id=user["session_id"],
                    nonce=data.get("nonce") or None,
                    code_challenge=data["code_challenge"],
                    code_challenge_method=data["code_challenge_method"],
                    acting_choice=data.get("acting_choice") or None,
                    select_account="select_account" in _prompts(request),
                )
            )
        except ce.Forbidden as exc:
            redirect_uri = request.payload.redirect_uri
            if exc.error_code != "account_selection_required":
                # the account may not enter this business system (sso.md)
                raise AccessDeniedError(
                    description=exc.error_code, redirect_uri=redirect_uri
                ) from None
            if "none" in _prompts(request):
                raise AccountSelectionRequiredError(redirect_uri=redirect_uri) from None
            raise SelectionRequired() from None

    def query_authorization_code(self, code: str, client: RegisteredClient):
        """The whole token request in one RPC (``exchange_code``); None when the
        code cannot be used (Authlib answers ``invalid_grant``)."""
        request = self.request
        verifier = request.form.get("code_verifier") or ""
        if not CODE_VERIFIER_PATTERN.match(verifier):
            # RFC 7636 §4.4.1, before the code is spent (as Authlib's own check)
            raise InvalidRequestError("Invalid or missing 'code_verifier'.")
        exchanged = self.server.sso.exchange_code(
            request=TokenRequest(
                client_id=client.client_id,
                auth_method=request.auth_method,
                client_secret=client_secret(request),
                client_assertion=request.form.get("client_assertion") or None,
                code=code,
                redirect_uri=request.payload.redirect_uri,
                code_verifier=verifier,
            )
        )
        if exchanged.refused == "invalid_client":
            status = 401 if request.auth_method == "client_secret_basic" else 400
            raise InvalidClientError(
                status_code=status, description="The client did not authenticate."
            )
        return None if exchanged.tokens is None else StoredCode(exchanged)

    def delete_authorization_code(self, authorization_code: StoredCode) -> None:
        """Nothing: ``sso`` consumed the code when it was redeemed."""

    def authenticate_user(self, authorization_code: StoredCode) -> None:
        return None  # sso issued the tokens for the code's account

    def create_token_response(self):
        """The tokens ``sso`` issued in ``exchange_code`` (Authlib has checked the
        request, the redirect URI and the PKCE verifier against its answer)."""
        code: StoredCode = self.request.authorization_code
        return 200, code.exchanged.tokens.dump(), self.TOKEN_RESPONSE_HEADER


class S256Required(CodeChallenge):
    """PKCE for every client, ``S256`` only (RFC 7636 §4.4.1 errors)."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send a code_challenge (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is accepted.")
        super().validate_code_challenge(grant, redirect_uri)


class NonceChecks(OpenIDCode):
    """OIDC's authorize-time checks (``nonce``, ``prompt``); the ID token itself is
    signed by ``sso``. A nonce is the relying party's to check in the ID token."""

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False


class Issuer(IssuerParameter):
    def __init__(self, issuer: str):
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


class Provider(AuthorizationServer):
    """The authorization server: Authlib's checks over ``sso``'s state."""

    def __init__(
        self,
        sso: SsoClient,
        issuer: str,
        scopes: tuple[str, ...] = ("openid", "profile"),
    ):
        # scopes: sso's (get_provider_info), with the personal-data ones
        super().__init__(scopes_supported=list(scopes))
        self.sso = sso
        self._clients: dict[str, tuple[float, ClientInfo | None]] = {}
        self.issuer = Issuer(issuer)
        self.register_grant(CodeFlow, [NonceChecks(), S256Required(required=True)])
        self.register_extension(self.issuer)
        # RFC 7523 §3: the assertion's audience is the token endpoint or the issuer
        audiences = [issuer.rstrip("/") + TOKEN_PATH, issuer]
        self.register_client_auth_method(
            PrivateKeyJWT.CLIENT_AUTH_METHOD, PrivateKeyJWT(audiences)
        )

    # One entry asks for its client three times (the consent check, the code, the
    # token request): a client's description is reused for this many seconds, so a
    # disabled client may still be answered for that long by a process.
    CLIENT_SECONDS = 2.0

    def query_client(self, client_id: str) -> RegisteredClient | None:
        now = time.monotonic()
        cached = self._clients.get(client_id)
        if cached is not None and now - cached[0] < self.CLIENT_SECONDS:
            info = cached[1]
        else:
            info = self.sso.get_client(client_id=client_id)
            if len(self._clients) > 1000:  # unknown ids must not grow it forever
                self._clients.clear()
            self._clients[client_id] = (now, info)
        return None if info is None else RegisteredClient(info)

    def save_token(self, token, request) -> None:
        """Nothing: ``sso`` keeps what it issues."""

    def send_signal(self, name, *args, **kwargs) -> None:
        """No listeners: sso logs and audits what happens."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status, body, headers) -> Reply:
        return Reply(status, body, list(headers))

    def error_reply(self, request: OAuth2Request, error) -> Reply:
        """An error answer; sent to the client's redirect URI (with ``iss``) only
        when that URI was checked."""
        reply = self.handle_error_response(request, error)
        if reply.location:
            self.issuer.add_issuer_parameter(self, reply)
        return reply


def login_redirect(login_url: str, authorize_url: str) -> str:
    """``login_url`` (the login or the choice page) with ``next``: the authorize
    request to come back to, without a spent ``acting_choice``."""
    path, _, query = authorize_url.partition("?")
    kept = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if k != "acting_choice"
    ]
    back = f"{path}?{urlencode(kept)}" if kept else path
    separator = "&" if "?" in login_url else "?"
    return f"{login_url}{separator}{urlencode({'next': back})}"
