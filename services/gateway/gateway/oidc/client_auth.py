"""Who the client is at the token endpoint: the business system as ``sso``
describes it, and the client authentication methods of sso.md. Authlib runs each
method; the credential itself (a secret, an assertion's ``jti``) is checked by
``sso`` in ``exchange_code``, before it touches the code."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import ClientMixin, InvalidClientError, OAuth2Request
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from contracts.sso import ClientInfo
from joserfc.jwk import KeySet

# Client authentication at the token endpoint (sso.md), as discovery publishes it.
TOKEN_AUTH_METHODS = (
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
)
TOKEN_PATH = "/oidc/token"  # noqa: S105 - a path


class RegisteredClient(ClientMixin):
    """A business system as ``sso`` describes it; its credential is checked by
    ``sso`` in ``exchange_code``."""

    def __init__(self, info: ClientInfo):
        self.info = info
        self.client_id = info.client_id

    def get_client_id(self) -> str:
        return self.info.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # OIDC: the redirect URI is always sent, and matched exactly

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = set(self.info.scopes)
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.info.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        """Deferred: ``exchange_code`` compares the secret (sent to it from the
        request) before it touches the code; a wrong one is ``invalid_client``."""
        return True

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method == self.info.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class PrivateKeyJWT(JWTBearerClientAssertion):
    """``private_key_jwt`` (RFC 7523 §2.2) by Authlib: the assertion's signature
    against the client's registered JWKS, ``iss`` = ``sub``, ``aud``, ``exp``;
    the ``jti``'s single use is kept by ``sso`` (``exchange_code``, which checks
    the assertion again with the keys it holds), across every copy."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, audiences: list[str]):
        super().__init__(leeway=30)
        self._audiences = audiences

    def get_audiences(self) -> list[str]:
        return self._audiences

    def validate_jti(self, claims, jti) -> bool:
        return True  # deferred to sso (exchange_code)

    def resolve_client_public_key(self, client: RegisteredClient) -> KeySet:
        if not client.info.jwks:
            raise InvalidClientError(description="The client has no registered keys.")
        return KeySet.import_key_set(client.info.jwks)


def client_secret(request: OAuth2Request) -> str | None:
    """The secret the client sent, in HTTP Basic or in the form."""
    if request.auth_method == "client_secret_basic":
        return extract_basic_authorization(request.headers)[1]
    if request.auth_method == "client_secret_post":
        return request.form.get("client_secret")
    return None
