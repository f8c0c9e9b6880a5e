"""The events accounts emits (source ``accounts``): ids and kinds only, never
personal data, codes or passwords."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from contracts.accounts.fields import (
    DocType,
    IdentityRegion,
    LegalPersonType,
    OrganizationRegion,
)
from contracts.events import Event

_SSO = "single sign-on (the sso service, issue 14)"


class AccountsEvent(Event):
    """Every event accounts emits."""

    source: ClassVar[str] = "accounts"


class PipelineCanarySent(AccountsEvent):
    """An operator's canary went through the outbox (docs/runbook.md);
    verification records its arrival."""

    event_type: ClassVar[str] = "pipeline_canary_sent"

    canary_id: str


class PersonRegistered(AccountsEvent):
    """A natural person registered; verification starts on it."""

    event_type: ClassVar[str] = "person_registered"

    account_id: str
    account_kind: Literal["person"]
    identity_region: IdentityRegion
    doc_type: DocType


class OrganizationRegistered(AccountsEvent):
    """An organisation registered; verification starts on it."""

    event_type: ClassVar[str] = "organization_registered"

    account_id: str
    account_kind: Literal["organization"]
    region: OrganizationRegion
    legal_person_type: LegalPersonType


class ProfileChanged(AccountsEvent):
    """My information changed; ``reverify`` when a verified field changed
    (verification starts again). ``changed_fields`` names the fields, never
    their values."""

    event_type: ClassVar[str] = "profile_changed"

    account_id: str
    account_kind: Literal["person", "organization"]
    reverify: bool
    changed_fields: list[str]


class PasswordChanged(AccountsEvent):
    """A password was changed by its user, chosen in a reset, or set as a
    temporary password by an approved appeal; the account's other sessions end."""

    event_type: ClassVar[str] = "password_changed"
    subscribers: ClassVar[str] = (
        "the security monitoring of the operations team (sso consumes it to "
        "send back-channel logout tokens for the ended sessions)"
    )

    account_id: str
    account_kind: Literal["person", "organization", "staff"]
    reason: Literal["changed", "reset", "appeal"]
    kept_session_id: str | None = Field(
        default=None,
        description="The one session that lives on (the one that changed the "
        "password); every other session of the account ended.",
    )


class AccountLocked(AccountsEvent):
    """A login name was locked after too many failed logins."""

    event_type: ClassVar[str] = "account_locked"
    subscribers: ClassVar[str] = (
        "the security monitoring of the operations team (alerts on password "
        f"guessing); {_SSO} to end the account's sessions. No service of the "
        "platform consumes it yet."
    )

    account_id: str
    account_kind: Literal["person", "organization", "staff"]
    locked_seconds: int = Field(description="How long the name stays locked.")


class AgentDesignated(AccountsEvent):
    """An organisation made a natural person its agent (again, after a
    revocation)."""

    event_type: ClassVar[str] = "agent_designated"
    subscribers: ClassVar[str] = (
        "the audit log of the operations team (who may act for which "
        f"organisation, and since when); {_SSO} asks ``acts_for`` instead. No "
        "service of the platform consumes it."
    )

    organization_id: str
    person_id: str


class AgentRevoked(AccountsEvent):
    """An organisation revoked its agent: ``acts_for`` answers false at once."""

    event_type: ClassVar[str] = "agent_revoked"
    subscribers: ClassVar[str] = (
        f"{_SSO}, to end the person's sessions that act for the organisation; "
        "and the audit log of the operations team. No service of the platform "
        "consumes it yet."
    )

    organization_id: str
    person_id: str


EVENTS = (
    PipelineCanarySent,
    PersonRegistered,
    OrganizationRegistered,
    ProfileChanged,
    PasswordChanged,
    AccountLocked,
    AgentDesignated,
    AgentRevoked,
)
