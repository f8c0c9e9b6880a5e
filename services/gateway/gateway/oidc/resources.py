"""The OpenID Provider's endpoints and the service catalogue (spec sso.md)."""

from __future__ import annotations

import threading
from urllib.parse import urlencode

import falcon
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from contracts import errors as ce
from contracts.models import parse
from contracts.sso import (
    ActingChoiceRequest,
    ProviderMetadata,
    SsoClient,
    SsoLoggedOut,
)

from gateway.auth import clear_session_cookie
from gateway.errors import Problem
from gateway.oidc.client_auth import TOKEN_AUTH_METHODS, TOKEN_PATH
from gateway.oidc.server import (
    FalconRequest,
    Provider,
    SelectionRequired,
    login_redirect,
    read_form,
)
from gateway.schemas import read_json

AUTHORIZE = "/oidc/authorize"
TOKEN = TOKEN_PATH
USERINFO = "/oidc/userinfo"
JWKS = "/oidc/jwks"
LOGOUT = "/oidc/logout"
DISCOVERY = "/.well-known/openid-configuration"


class Providers:
    """The process's :class:`Provider`, built on first use with ``sso``'s issuer
    (one setting, ``SSO_ISSUER``, owned by sso)."""

    def __init__(self, sso: SsoClient):
        self.sso = sso
        self._provider: Provider | None = None
        self._lock = threading.Lock()

    def get(self) -> Provider:
        if self._provider is None:
            info = self.sso.get_provider_info()
            with self._lock:
                if self._provider is None:
                    self._provider = Provider(
                        self.sso, info.issuer, tuple(info.scopes_supported)
                    )
                    self.info = info
        return self._provider


# parameters Authlib quotes in an error description, which RFC 6749 §5.2 limits to
# printable ASCII: a value outside it is refused here, before Authlib would raise
ECHOED_PARAMETERS = ("redirect_uri", "response_type")


def _unquotable(req: falcon.Request) -> OAuth2Error | None:
    """``invalid_request`` when a parameter Authlib echoes is not printable ASCII
    (no registered redirect URI or response type is)."""
    for name in ECHOED_PARAMETERS:
        value = req.get_param(name)
        if value is not None and invalid_error_characters(value):
            return InvalidRequestError(f"{name} is not a registered value")
    return None


def _session_of(auth, req: falcon.Request) -> dict | None:
    """The portal session's account, or None when there is none usable."""
    try:
        return auth.require_account(req)
    except Problem:
        return None


class Authorize:
    """OIDC Core §3.1.2: the portal's session says who; the code goes back to the
    registered redirect URI with ``state`` and ``iss``. No session: the login page,
    which comes back here (``next``)."""

    def __init__(self, providers: Providers, auth, login_url: str, choice_url: str):
        self.providers = providers
        self.auth = auth
        self.login_url = login_url
        self.choice_url = choice_url

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        provider = self.providers.get()
        request = FalconRequest(req, provider.issuer.issuer, {})
        user = _session_of(self.auth, req)
        try:
            refused = _unquotable(req)
            if refused:
                raise refused
            grant = provider.get_consent_grant(request, end_user=user)
        except OAuth2Error as error:
            provider.error_reply(request, error).render(resp)
            return
        if user is None:
            raise falcon.HTTPFound(login_redirect(self.login_url, req.relative_uri))
        try:
            reply = provider.create_authorization_response(
                request, grant_user=user, grant=grant
            )
        except SelectionRequired:
            # an agent: as myself, or for which organisation? (POST
            # /api/v1/sso/acting-choices, then back here with acting_choice)
            raise falcon.HTTPFound(
                login_redirect(self.choice_url, req.relative_uri)
            ) from None
        reply.render(resp)


class Token:
    """RFC 6749 §4.1.3 with PKCE; client authentication by Authlib, tokens by sso."""

    def __init__(self, providers: Providers, max_body_bytes: int):
        self.providers = providers
        self.max_body_bytes = max_body_bytes

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        provider = self.providers.get()
        form = read_form(req, self.max_body_bytes)
        request = FalconRequest(req, provider.issuer.issuer, form)
        provider.create_token_response(request).render(resp)


def _bearer_error(code: str | None, description: str) -> Problem:
    """RFC 6750 §3: the challenge says why; the body is the gateway's problem."""
    challenge = 'Bearer realm="oidc"'
    if code:
        challenge += f', error="{code}", error_description="{description}"'
    return Problem(
        401, code or "not_authenticated", description, {"WWW-Authenticate": challenge}
    )


class UserInfo:
    """OIDC Core §5.3: the claims of the access token's scope (RFC 6750 errors)."""

    def __init__(self, sso: SsoClient, max_body_bytes: int):
        self.sso = sso
        self.max_body_bytes = max_body_bytes

    def _answer(self, token: str | None, resp: falcon.Response) -> None:
        if not token:
            raise _bearer_error(None, "Send the access token as a Bearer token.")
        try:
            resp.media = self.sso.get_userinfo(access_token=token).dump()
        except ce.Unauthenticated:
            raise _bearer_error(
                "invalid_token", "The access token is not valid."
            ) from None

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._answer(_bearer(req), resp)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        form = read_form(req, self.max_body_bytes)
        self._answer(_bearer(req) or form.get("access_token", [None])[0], resp)


def _bearer(req: falcon.Request) -> str | None:
    scheme, _, token = (req.get_header("Authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


class Jwks:
    """RFC 7517: the public keys; old ones kept until their tokens expire."""

    cacheable = True  # public keys; a relying party refetches on an unknown kid

    def __init__(self, sso: SsoClient):
        self.sso = sso

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.sso.get_jwks().dump()
        resp.cache_control = ["public", "max-age=60"]


class Discovery:
    """OIDC Discovery 1.0 §4, with RFC 9207's ``iss`` support stated."""

    cacheable = True

    def __init__(self, providers: Providers):
        self.providers = providers

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.providers.get()
        info = self.providers.info
        issuer = info.issuer.rstrip("/")
        resp.media = ProviderMetadata(
            issuer=info.issuer,
            authorization_endpoint=issuer + AUTHORIZE,
            token_endpoint=issuer + TOKEN,
            userinfo_endpoint=issuer + USERINFO,
            jwks_uri=issuer + JWKS,
            end_session_endpoint=issuer + LOGOUT,
            response_types_supported=["code"],
            response_modes_supported=["query"],
            grant_types_supported=["authorization_code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=list(
                info.id_token_signing_alg_values_supported
            ),
            token_endpoint_auth_methods_supported=list(TOKEN_AUTH_METHODS),
            # private_key_jwt: the algorithms a client assertion may be signed with
            token_endpoint_auth_signing_alg_values_supported=["RS256", "ES256"],
            code_challenge_methods_supported=["S256"],
            scopes_supported=info.scopes_supported,
            claims_supported=info.claims_supported,
            authorization_response_iss_parameter_supported=True,
            request_parameter_supported=False,
            claims_parameter_supported=False,
            backchannel_logout_supported=True,
            backchannel_logout_session_supported=True,
        ).dump()
        resp.cache_control = ["public", "max-age=300"]


class Services:
    """``GET /api/v1/services``: the catalogue, with for the caller whether it may
    enter each business system and why not (no session: ``login_required``)."""

    def __init__(self, sso: SsoClient, auth):
        self.sso = sso
        self.auth = auth

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        account = _session_of(self.auth, req)
        account_id = account["account_id"] if account else None
        resp.media = self.sso.list_services(account_id=account_id).dump()


class ActingChoices:
    """``POST /api/v1/sso/acting-choices``: an agent's answer (as myself, or for an
    organisation that designated them), kept by sso for this session's next
    authorize request (``acting_choice``)."""

    def __init__(self, sso: SsoClient, auth, max_body_bytes: int):
        self.sso = sso
        self.auth = auth
        self.max_body_bytes = max_body_bytes

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        account = self.auth.require_account(req)
        choice = parse(ActingChoiceRequest, read_json(req, self.max_body_bytes))
        resp.status = falcon.HTTP_201
        resp.media = self.sso.choose_acting_for(
            session_id=account["session_id"],
            account_id=account["account_id"],
            organization_id=choice.organization_id,
        ).dump()


def _hinted(target, account: dict | None) -> bool:
    """Whether the hint names this portal session: its account and, when the ID
    token carries a ``sid``, this very session (not an earlier or another one)."""
    if not account or target.subject != account["account_id"]:
        return False
    return target.session_id is None or target.session_id == account["session_id"]


class Logout:
    """RP-Initiated Logout 1.0: the portal session named by a valid
    ``id_token_hint`` (its account and its ``sid``) ends, and the browser goes
    back to the business system's registered ``post_logout_redirect_uri`` (with
    ``state``), or nowhere."""

    def __init__(self, sso: SsoClient, auth, max_body_bytes: int):
        self.sso = sso
        self.auth = auth
        self.max_body_bytes = max_body_bytes

    def _answer(self, req, resp, params: dict[str, str]) -> None:
        target = self.sso.check_logout(
            id_token_hint=params.get("id_token_hint") or None,
            client_id=params.get("client_id") or None,
            post_logout_redirect_uri=params.get("post_logout_redirect_uri") or None,
        )
        account = _session_of(self.auth, req)
        ended = _hinted(target, account)
        if ended:
            self.sso.end_session(session_id=account["session_id"])
            self.auth.accounts.log_out(token=req.context.session_token)
            clear_session_cookie(resp)
        if target.redirect_uri:
            back = target.redirect_uri
            if params.get("state"):
                separator = "&" if "?" in back else "?"
                back += separator + urlencode({"state": params["state"]})
            resp.status = falcon.HTTP_302
            resp.set_header("Location", back)
            return
        resp.media = SsoLoggedOut(logged_out=ended).dump()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._answer(
            req, resp, {k: v for k, v in req.params.items() if isinstance(v, str)}
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        form = read_form(req, self.max_body_bytes)
        self._answer(req, resp, {k: v[0] for k, v in form.items()})
