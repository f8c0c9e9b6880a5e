"""Contract of the ``sso`` service: single sign-on into business systems.

``sso`` owns the business systems (OAuth 2 / OpenID Connect clients), the
authorization codes, the tokens, the signing keys (shared by every copy, rotated),
the claims it assembles from ``accounts`` and the audit of every release of personal
data. The gateway hosts the OpenID Provider's HTTP endpoints (spec sso.md) and calls
these RPCs; it never sees a client secret, a private key or a code's stored hash.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from contracts.client import ServiceClient
from contracts.events import Event
from contracts.models import Model
from contracts.sso_cas import CasRpcs

TokenAuthMethod = Literal[
    "client_secret_basic", "client_secret_post", "private_key_jwt", "none"
]
SigningAlg = Literal["RS256", "ES256"]
AccountKind = Literal["person", "organization"]

# Why a caller may not enter a business system (the catalogue and the authorize step).
REFUSALS = {
    "account_selection_required": "请选择以本人身份还是代表单位进入。",
    "not_an_agent": "您不是该单位的代办人。",
    "login_required": "请先登录。",
    "account_kind_not_admitted": "该业务系统不接受此类账号。",
    "real_name_required": "该业务系统要求先完成实名认证。",
    "client_disabled": "该业务系统已停用。",
}


class ProviderInfo(Model):
    """What the discovery document and the authorization response need."""

    issuer: str
    id_token_signing_alg_values_supported: list[SigningAlg]
    scopes_supported: list[str]
    claims_supported: list[str]
    code_ttl_seconds: int


class ClientInfo(Model):
    """A business system as the authorize and token endpoints check it (no secret)."""

    client_id: str
    name_zh: str
    name_en: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str] = Field(default_factory=list)
    scopes: list[str]
    token_endpoint_auth_method: TokenAuthMethod
    id_token_signed_response_alg: SigningAlg = "RS256"  # noqa: S105 - an algorithm
    enabled: bool = True
    jwks: dict[str, Any] | None = Field(
        default=None,
        description="``private_key_jwt``: the client's public keys (RFC 7517), "
        "which sign its client assertions (RFC 7523).",
    )


class CodeGrant(Model):
    """An authorization code to keep: what the authorize step decided."""

    code: str = Field(description="The code as the client gets it (stored hashed).")
    client_id: str
    redirect_uri: str
    scope: str
    account_id: str
    session_id: str
    auth_time: int | None = None
    nonce: str | None = None
    code_challenge: str
    code_challenge_method: Literal["S256"]
    acting_choice: str | None = Field(
        default=None,
        description="The ``choice_id`` of ``choose_acting_for`` (an agent's answer "
        "to: as myself, or for which organisation).",
    )
    select_account: bool = Field(
        default=False, description="``prompt=select_account``: ask even a non-agent."
    )


class CodeSaved(Model):
    expires_in: int


class ActingChoiceRequest(Model):
    """``POST /api/v1/sso/acting-choices``: the agent's answer before entering a
    business system: as myself (``organization_id`` null) or for an organisation
    that designated me."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"organization_id": "5b0f3c2e-8d6a-4f1e-9c37-2a4b6d8e0f11"},
                {"organization_id": None},
            ]
        }
    )

    organization_id: str | None = Field(
        default=None, description="The organisation; null: as myself."
    )


class ActingChoice(Model):
    """A one-time answer, bound to the portal session, that the next authorize
    request of that session carries as ``acting_choice``."""

    choice_id: str
    expires_in: int


class ActingFor(Model):
    """The organisation an agent acts for, as business systems receive it."""

    organization_id: str
    name: str
    unique_code: str = Field(description="Masked: first 3 and last 2 characters.")
    role: Literal["agent"] = "agent"


class TokensIssued(Model):
    """The token endpoint's answer (RFC 6749 §5.1, OIDC Core §3.1.3.3)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a token type
    expires_in: int
    scope: str
    id_token: str | None = None


class TokenRequest(Model):
    """A token request (RFC 6749 §4.1.3) as the gateway parsed it, with the client's
    credential: sso authenticates the client, redeems the code once, checks the
    redirect URI and the PKCE verifier and issues the tokens, in one transaction."""

    client_id: str
    auth_method: TokenAuthMethod
    client_secret: str | None = None
    client_assertion: str | None = Field(
        default=None, description="``private_key_jwt``: the signed JWT (RFC 7523)."
    )
    code: str
    redirect_uri: str | None = None
    code_verifier: str


class CodeExchanged(Model):
    """The tokens, or why not: ``invalid_client`` (the client did not authenticate;
    the code is untouched) or ``invalid_grant`` (unknown, expired, spent or another
    client's code, another redirect URI, a wrong verifier: the code is spent)."""

    tokens: TokensIssued | None = None
    refused: Literal["invalid_client", "invalid_grant"] | None = None
    redirect_uri: str | None = None
    code_challenge: str | None = None


class UserInfo(Model):
    """OIDC Core §5.3: the claims of the access token's scope."""

    sub: str = Field(
        description="The account id: stable, never a login name or a document number."
    )
    name: str | None = None
    account_kind: AccountKind | None = None
    real_name_status: str | None = None
    trust_level: int | None = Field(
        default=None, description="1: a registered account; 2: real name verified."
    )
    acting_for: ActingFor | None = Field(
        default=None, description="When the person entered as an organisation's agent."
    )
    phone_number: str | None = Field(
        default=None,
        description="Scope ``phone``: the reserved phone, masked unless the business "
        "system is registered as allowed to receive personal data.",
    )
    phone_number_verified: bool | None = None
    document_type: str | None = Field(
        default=None,
        description="Scope ``identity``: a person's identity document type, or an "
        "organisation's ``credit_code`` / ``registration_number``.",
    )
    document_number: str | None = Field(
        default=None,
        description="Scope ``identity``: masked unless the business system is "
        "registered as allowed to receive personal data.",
    )


class OAuthErrorBody(Model):
    """RFC 6749 §5.2: an error of the token endpoint, or of an authorization
    request that cannot be sent back to the client."""

    error: str
    error_description: str | None = None


class ProviderMetadata(Model):
    """OpenID Connect Discovery 1.0 §3 (and RFC 9207's ``iss`` support)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str
    response_types_supported: list[str]
    response_modes_supported: list[str]
    grant_types_supported: list[str]
    subject_types_supported: list[str]
    id_token_signing_alg_values_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    code_challenge_methods_supported: list[str]
    scopes_supported: list[str]
    claims_supported: list[str]
    authorization_response_iss_parameter_supported: bool
    request_parameter_supported: bool
    claims_parameter_supported: bool
    token_endpoint_auth_signing_alg_values_supported: list[str] = Field(
        default_factory=lambda: ["RS256", "ES256"]
    )
    # Back-Channel Logout 1.0 §2.1 (ID and logout tokens carry ``sid``)
    backchannel_logout_supported: bool = True
    backchannel_logout_session_supported: bool = True


class LogoutTarget(Model):
    """Where RP-initiated logout may send the browser: the registered
    ``post_logout_redirect_uri`` of the client the ID token was issued to, or
    nowhere (``redirect_uri`` None) when that cannot be established."""

    client_id: str | None = None
    redirect_uri: str | None = None
    subject: str | None = Field(
        default=None,
        description="The ``sub`` of a valid ID token hint: only that account's "
        "portal session is ended (a logout link alone cannot log anyone out).",
    )
    session_id: str | None = Field(
        default=None,
        description="The portal session the hint's ``sid`` names: only that "
        "session is ended (None: the hint has no sid this provider knows).",
    )


class SsoLoggedOut(Model):
    """``/oidc/logout`` without a registered place to return to."""

    logged_out: bool


class SessionEnded(Model):
    """A portal session's logout fanned out (Back-Channel Logout 1.0)."""

    notified: int = Field(
        description="Business systems the session entered that will get a logout "
        "token (durably: one that is down gets it when it is back)."
    )


class Jwks(Model):
    """The public signing keys (RFC 7517), old keys kept until their tokens expire."""

    keys: list[dict[str, Any]]


class CatalogueEntry(Model):
    """One business system in the catalogue, for the caller."""

    client_id: str
    name_zh: str
    name_en: str
    description: str = ""
    icon: str | None = None
    initiate_login_uri: str | None = None
    enter_url: str | None = Field(
        default=None,
        description="The catalogue's link (OIDC Core §4): the business system's own "
        "login with `iss`, which comes straight back with a code; only when the "
        "caller may enter.",
    )
    may_enter: bool
    reason: str | None = Field(
        default=None, description="Why not: " + ", ".join(f"`{k}`" for k in REFUSALS)
    )
    reason_text: str | None = None


class Catalogue(Model):
    """``GET /api/v1/services``: every enabled business system, for the caller."""

    items: list[CatalogueEntry]


class SsoClient(CasRpcs, ServiceClient):
    """sso's RPCs: the OpenID Provider's here, the CAS façade's in ``CasRpcs``."""

    name = "sso"

    def get_provider_info(self) -> ProviderInfo:
        """The issuer, algorithms, scopes and claims the provider publishes."""
        return self._call("get_provider_info", locals())

    def get_client(self, client_id: str) -> ClientInfo | None:
        """The enabled business system ``client_id``, or None (unknown, disabled)."""
        return self._call("get_client", locals())

    def save_authorization_code(self, grant: CodeGrant) -> CodeSaved:
        """Keep a code for ``grant.client_id`` (its hash), valid ``SSO_CODE_TTL``
        seconds (at most 60). Asks accounts whether the account may enter this
        business system: raises ``Forbidden`` (``account_kind_not_admitted``,
        ``real_name_required``), ``NotFound`` (``client_not_found``). A person who
        is an agent (or ``select_account``) must have answered as whom they enter:
        ``grant.acting_choice`` is consumed, else ``Forbidden``
        (``account_selection_required``; ``not_an_agent`` if revoked since)."""
        return self._call("save_authorization_code", locals())

    def choose_acting_for(
        self, session_id: str, account_id: str, organization_id: str | None
    ) -> ActingChoice:
        """Keep an agent's answer for the next authorize request of this session
        (single use, ``SSO_CHOICE_TTL`` seconds). Raises ``Forbidden``
        (``not_an_agent``: the person is not, now, an agent of that organisation)."""
        return self._call("choose_acting_for", locals())

    def exchange_code(self, request: TokenRequest) -> CodeExchanged:
        """The token request, whole and atomic: authenticate the client by its
        registered method (a secret compared in constant time against its hash;
        ``private_key_jwt``: the assertion's signature against the client's JWKS,
        ``iss`` = ``sub`` = client id, ``aud`` the token endpoint or the issuer,
        ``exp``, and its ``jti`` used once, remembered until ``exp``; ``none``: a
        public client), then consume the code once (bound to the client, alive,
        ``redirect_uri`` equal, S256 of ``code_verifier`` equal to its challenge)
        and issue a JWT access token (RFC 9068) and, for ``openid``, an ID token
        with ``at_hash``, the code's ``nonce`` and ``sid`` (the portal session,
        opaque, per business system) from the claims taken when the code was made
        (a code lives at most 60 s); scopes ``phone`` and ``identity`` add personal
        data, asked from accounts then, masked unless the client may receive it.
        Audits the claims released and emits ``business_system_entered``. A
        replayed code is refused and revokes every token issued from it."""
        return self._call("exchange_code", locals())

    def get_userinfo(self, access_token: str) -> UserInfo:
        """The claims of the token's scope, read fresh from accounts (OIDC Core
        §5.3); audited. Raises ``Unauthenticated`` (``invalid_token``) for a bad
        signature, an expired or revoked token."""
        return self._call("get_userinfo", locals())

    def check_logout(
        self,
        id_token_hint: str | None,
        client_id: str | None,
        post_logout_redirect_uri: str | None,
    ) -> LogoutTarget:
        """RP-Initiated Logout 1.0 §2-3: the client of ``id_token_hint`` (signed by
        this provider; an expired one is accepted) or ``client_id`` (they must
        agree), and ``post_logout_redirect_uri`` only when registered for it,
        exactly. Never raises for a bad hint: the answer then names no redirect."""
        return self._call("check_logout", locals())

    def end_session(self, session_id: str) -> SessionEnded:
        """The portal session ``session_id`` ended: every business system it
        entered with a ``backchannel_logout_uri`` gets a signed logout token
        (``sub`` and the ``sid`` of its ID token), sent as durable work (retried
        with back-off until it is accepted), and every CAS service that validated
        one of its tickets a CAS single logout request (``contracts.sso_cas``).
        Calling it again for the same session notifies nobody twice. Sessions that
        end otherwise (a password change, reset or appeal; expiry) sso learns of
        by itself (``sso.sessions``)."""
        return self._call("end_session", locals())

    def get_jwks(self) -> Jwks:
        """The public keys that may have signed a live token."""
        return self._call("get_jwks", locals())

    def list_services(self, account_id: str | None = None) -> Catalogue:
        """Every enabled business system with, for ``account_id`` (None: not
        logged in), whether it may enter and why not."""
        return self._call("list_services", locals())


# --- events -------------------------------------------------------------------------------


class BusinessSystemEntered(Event):
    """A business system received tokens for an account (ids only)."""

    source: ClassVar[str] = "sso"
    event_type: ClassVar[str] = "business_system_entered"
    subscribers: ClassVar[str] = (
        "the security audit trail and the usage dashboards (metrics pipeline); no "
        "service of the platform acts on it"
    )

    client_id: str
    account_id: str
    code_id: str


SsoClient.events = (BusinessSystemEntered,)
