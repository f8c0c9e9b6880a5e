"""What accounts answers: one model per RPC reply (every field it returns)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.accounts.fields import (
    AccountId,
    AccountKind,
    RealNameStatus,
    Role,
    Timestamp,
)
from contracts.models import Model


class CanaryResult(Model):
    """``accounts.send_pipeline_canary``: the id of the canary written."""

    canary_id: str = Field(json_schema_extra={"format": "uuid"})


class Registered(Model):
    """The account exists; verification has started (``pending``)."""

    account_id: AccountId
    kind: Literal["person", "organization"]
    login_name: str
    real_name_status: RealNameStatus
    agreement_version: str


class LoginNameCheck(Model):
    login_name: str
    available: bool


class DocumentCheckResult(Model):
    registered: bool = Field(description="Whether a person account uses it.")


class PasswordProblem(Model):
    code: str
    message: str


class PasswordRating(Model):
    """``weak`` when the password breaks the rule (then ``acceptable`` is false
    and ``problems`` says why); otherwise ``medium`` or ``strong``."""

    strength: Literal["weak", "medium", "strong"]
    acceptable: bool
    problems: list[PasswordProblem]


class AccountSummary(Model):
    account_id: AccountId
    kind: AccountKind
    login_name: str
    role: Role
    real_name_status: RealNameStatus


class LoggedIn(Model):
    """``accounts.log_in``: a new session."""

    token: str
    csrf_token: str
    expires_in: int = Field(description="Idle timeout, seconds.")
    max_age: int = Field(description="Absolute lifetime, seconds.")
    must_change_password: bool
    account: AccountSummary


class SessionOpened(Model):
    """``POST /sessions``: the session, as the browser or API client gets it (the
    token is also set in the ``__Host-session`` cookie)."""

    token: str = Field(
        description="Opaque, 256 random bits; send it as `Authorization: Bearer "
        "<token>`."
    )
    csrf_token: str = Field(
        description="With the cookie, unsafe methods send it as `X-CSRF-Token`."
    )
    expires_in: int = Field(
        description="Seconds the session survives without use (30 min); it ends "
        "at the latest 12 h after the login."
    )
    account: AccountSummary
    must_change_password: bool


class Session(Model):
    """``accounts.resolve_session``: the live session of a token."""

    session_id: str
    account_id: str
    kind: AccountKind
    role: Role
    login_name: str
    must_change_password: bool
    csrf_ok: bool


class LoggedOut(Model):
    ended: bool


class PersonProfile(Model):
    name: str | None
    gender: Literal["male", "female"] | None
    birth_date: str | None
    ethnicity: str | None
    title: str | None
    email: str | None
    mobile: str | None = Field(description="Masked: first 2 and last 3 digits.")
    telephone: str | None = Field(description="Masked.")
    identity_region: str
    doc_type: str
    doc_number: str | None = Field(description="Masked: first 3 and last 2.")
    derived_from_document: bool = Field(
        description="Gender and birth date come from the identity document."
    )


class OrganizationPersonView(Model):
    name: str | None = None
    mobile: str | None = Field(default=None, description="Masked.")
    identity_region: str | None = None
    doc_type: str | None = None
    doc_number: str | None = Field(default=None, description="Masked.")
    doc_valid_from: str | None = None
    doc_valid_to: str | None = None
    doc_long_term: bool | None = None


class OrganizationProfile(Model):
    name: str | None
    name_en: str | None
    short_name: str | None
    homepage: str | None
    region: str
    legal_person_type: str
    area: str | None
    code_kind: Literal["credit_code", "registration_number"]
    unique_code: str | None = Field(description="Masked: first 3 and last 2.")
    mobile: str | None = Field(description="Masked.")
    legal_representative: OrganizationPersonView | None
    main_agent: OrganizationPersonView | None


class StaffProfile(Model):
    name: str | None


class Me(Model):
    """My information, masked (``GET /me``)."""

    account_id: AccountId
    kind: AccountKind
    login_name: str
    role: Role
    must_change_password: bool
    real_name_status: RealNameStatus
    real_name_reason: str | None
    agreement_version: str | None
    created_at: Timestamp
    profile: PersonProfile | OrganizationProfile | StaffProfile


class SessionsEnded(Model):
    sessions_ended: int


class VerificationSubject(Model):
    """What the identity authority is asked about one account (personal data, in
    clear: for the verification service only, never logged or put in events)."""

    account_id: str
    account_kind: Literal["person", "organization"]
    name: str | None = None
    identity_region: str | None = None
    doc_type: str | None = None
    doc_number: str | None = None
    registration_region: str | None = None
    credit_code: str | None = None
    legal_representative_name: str | None = None


class Agent(Model):
    """A natural person an organisation designated as its agent (代办人)."""

    person_id: AccountId
    login_name: str
    name: str = Field(
        description="Masked: the first character, then one `*` per other "
        "character (张**)."
    )
    granted_at: Timestamp


class DesignatedAgent(Model):
    agent: Agent


class Agents(Model):
    items: list[Agent]


class AgentRevocation(Model):
    person_id: str
    revoked_at: Timestamp


class RepresentedOrganization(Model):
    """An organisation a person is an active agent of."""

    organization_id: AccountId
    name: str
    unique_code: str = Field(description="Masked: first 3 and last 2 characters.")
    granted_at: Timestamp


class RepresentedOrganizations(Model):
    items: list[RepresentedOrganization]


class RecoveryAccount(Model):
    account_id: str
    kind: Literal["person", "organization"]
    masked_phone: str


class TemporaryPasswordSet(Model):
    account_id: str
    login_name: str
    applied: bool


class AppealPerson(Model):
    account_id: str
    login_name: str
    name_matches: bool


class AppealOrganization(Model):
    account_id: str
    login_name: str


class Agreement(Model):
    """``accounts.get_agreement`` and ``GET /agreements/{kind}``: the agreement a
    registration of this kind must accept now. Send ``version`` back as the
    registration's ``agreement_version``; an older one is refused
    (``agreement_version_outdated``)."""

    kind: Literal["person", "organization"]
    version: str = Field(examples=["2024-01"])
    language: Literal["zh-CN", "en"]
    title: str = Field(examples=["自然人实名认证协议"])
    text: str = Field(description="The full text, paragraphs separated by blank lines.")
