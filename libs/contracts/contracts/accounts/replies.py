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
    phone_proof_required: bool = Field(
        False,
        description="An organisation imported from a former system without a "
        "proven phone: it proves one (`PUT /me/phone`) before SMS recovery can "
        "reach it.",
    )
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
    phone_proof_required: bool = Field(
        False,
        description="True for an organisation imported from a former system "
        "that has no proven phone yet: prove one with `PUT /me/phone` (SMS code, "
        "purpose `change_phone`); until then password recovery by SMS cannot "
        "reach it.",
    )


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


class LegacyOrigin(Model):
    """Where an account imported from a former system came from (flow 10)."""

    source_system: Literal["programme_centre", "hgr_approval"] = Field(
        description="programme_centre: 国家科技计划项目申报中心; hgr_approval: "
        "人类遗传资源行政审批系统."
    )
    imported_at: Timestamp


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
    origin: LegacyOrigin | None = Field(
        None, description="Set for an account imported from a former system."
    )
    phone_proof_required: bool = Field(
        False,
        description="An imported organisation without a proven phone (see "
        "`POST /sessions`).",
    )


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


class ClaimedPerson(Model):
    """A natural person as the account claims it, for a reviewer: the document
    number in full (the reviewer compares it, character by character, with the
    document in the uploaded images, which show it in full anyway)."""

    name: str
    identity_region: str
    doc_type: str
    doc_number: str = Field(description="In full, for the reviewer's comparison.")


class ClaimedMainAgent(Model):
    """An organisation's main agent as a reviewer sees it: the phone is in no
    image, so it stays masked."""

    name: str
    mobile: str | None = Field(description="Masked: first 2 and last 3 digits.")


class ClaimedOrganization(Model):
    """An organisation as the account claims it, for a reviewer."""

    name: str
    region: str
    legal_person_type: str
    code_kind: Literal["credit_code", "registration_number"]
    unique_code: str = Field(
        description="The unified social credit code (`code_kind` `credit_code`) "
        "or registration number, in full: it is printed on the licence."
    )
    legal_representative: ClaimedPerson | None
    main_agent: ClaimedMainAgent | None


class ClaimedIdentity(Model):
    """``accounts.claimed_identity_for_review``: what an account claims to be, as
    the reviewer of its verification compares it with the uploaded images
    (``person`` for a person, ``organization`` for an organisation, the other
    null). Personal data in clear: never logged, never in an event."""

    account_id: str
    account_kind: Literal["person", "organization"]
    person: ClaimedPerson | None = None
    organization: ClaimedOrganization | None = None


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


class IdentityClaims(Model):
    """Who an account is, for single sign-on (``get_identity_claims``): only what
    the claims and the admission rules need, read without decrypting a profile."""

    account_id: AccountId
    kind: AccountKind
    name: str | None = Field(
        description="A person's, an organisation's or a staff member's name."
    )
    real_name_status: RealNameStatus
    represented_organizations: list[RepresentedOrganization] = Field(
        default_factory=list,
        description="A person's: the organisations it is an active agent of now "
        "(as ``list_represented_organizations``), so that sso asks once.",
    )


PersonalClaim = Literal["phone", "identity"]


class PersonalClaims(Model):
    """Personal data for a business system (``get_personal_claims``): only the
    groups asked for, in full or masked (``contracts.masking``) as asked."""

    phone_number: str | None = Field(
        default=None, description="The reserved phone (E.164 in full), if asked."
    )
    phone_number_verified: bool | None = Field(
        default=None,
        description="Proven by an SMS code here (false: imported from a former "
        "system and not proven since).",
    )
    document_type: str | None = Field(
        default=None,
        description="A person's identity document type; an organisation's "
        "``credit_code`` or ``registration_number``.",
    )
    document_number: str | None = None


class SessionLifetime(Model):
    session_id: str
    expires_in: int | None = Field(
        description="Seconds until the session expires (idle or absolute, "
        "whichever comes first); None: it has ended."
    )


class SessionLifetimes(Model):
    """``get_session_lifetimes``: for each session id asked, whether it lives."""

    items: list[SessionLifetime]


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


MAX_APPEAL_CANDIDATES = 20
"""At most this many organisations answer one organisation appeal's look-up."""


class AppealOrganization(Model):
    """One organisation an appeal could be about, as a reviewer compares it:
    masked where the reviewer's view masks (``contracts.masking``)."""

    account_id: str
    login_name: str
    unit_name: str = Field(description="The registered name, in full.")
    code_kind: Literal["credit_code", "registration_number"]
    masked_code: str = Field(
        description="The credit code (or registration number), masked."
    )
    legal_representative: str | None = Field(
        description="The legal representative's name, masked (张**)."
    )
    masked_main_agent_phone: str | None = Field(
        description="The main agent's mobile, masked."
    )
    registered_at: Timestamp
    real_name_status: RealNameStatus
    code_matches: bool = Field(description="Its code is the one the appeal gave.")
    name_matches: bool = Field(description="Its name is the one the appeal gave.")


class AppealOrganizations(Model):
    """Every organisation an appeal could be about: the one holding the given
    code first, then every one with the given name, oldest first."""

    candidates: list[AppealOrganization]
    truncated: bool = Field(
        description=f"More matched than the {MAX_APPEAL_CANDIDATES} answered."
    )


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
