"""sso's settings: one pydantic-settings class, read once at start
(``servicekit.settings``: the container config, then the environment, then these
defaults)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from servicekit.settings import WorkSettings

DEV_CLIENTS_FILE = Path(__file__).resolve().parents[1] / "clients.dev.yml"


class SsoSettings(WorkSettings):
    # The provider's public origin: the `iss` of every token and of the
    # authorization response, and the base of the discovery document's URLs.
    issuer: str = Field("http://127.0.0.1:8080", alias="SSO_ISSUER", min_length=1)
    # An authorization code lives at most a minute (sso.md), single use.
    code_ttl_seconds: int = Field(60, alias="SSO_CODE_TTL", ge=1, le=60)
    access_token_ttl_seconds: int = Field(
        600, alias="SSO_ACCESS_TOKEN_TTL", ge=30, le=3600
    )
    id_token_ttl_seconds: int = Field(600, alias="SSO_ID_TOKEN_TTL", ge=30, le=3600)
    # The business systems registered by configuration, loaded at every start
    # (new clients added, existing ones updated; a secret only when first added).
    clients_file: str = Field(str(DEV_CLIENTS_FILE), alias="SSO_CLIENTS_FILE")
    # how long an agent's answer (as myself / for an organisation) waits for its
    # authorize request
    choice_ttl_seconds: int = Field(300, alias="SSO_CHOICE_TTL", ge=10, le=3600)
    rpc_timeout: float = Field(5.0, alias="SSO_RPC_TIMEOUT", gt=0)
    # seconds to wait for a business system's back-channel logout endpoint; then
    # the logout token is sent again later (well inside WORK_LEASE_SECONDS)
    backchannel_timeout: float = Field(5.0, alias="SSO_BACKCHANNEL_TIMEOUT", gt=0)
    # seconds between two sweeps for sessions that expired (sso.sessions): a
    # business system learns of an expiry at most this late
    session_sweep_seconds: float = Field(
        5.0, alias="SSO_SESSION_SWEEP_SECONDS", gt=0, le=300
    )

    @property
    def key_publish_seconds(self) -> int:
        """How long a retired signing key stays in the JWKS: until every token it
        signed has expired, with a minute to spare for clocks."""
        return max(self.access_token_ttl_seconds, self.id_token_ttl_seconds) + 60
