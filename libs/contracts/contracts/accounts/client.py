"""``AccountsClient``: the contract of the ``accounts`` service, one method per RPC.

Field errors are ``InvalidInput`` with ``details["errors"] = [{field, code,
message}]``; nested fields are written ``main_agent.sms_code``. Document numbers
and phones are masked in every answer (phones ``18*****141``; documents first 3
and last 2 characters) and never appear in events, which carry ids and kinds only.

Consumed: ``verification.verification_passed`` / ``verification_failed`` /
``verification_review_requested`` with ``data {account_id, reason_code?, final?}``
(``final`` on a failure means a reviewer's rejection).
"""

from __future__ import annotations

from contracts.accounts import fields, replies, requests
from contracts.accounts.events import EVENTS
from contracts.client import ServiceClient


class AccountsClient(ServiceClient):
    name = "accounts"
    events = EVENTS

    def echo(self, value: str) -> str:
        """Return ``value`` unchanged: no store, no rule.

        The benchmarks' floor: the gateway's dev-only ``GET /api/v1/dev/echo``
        makes this one RPC, so a real endpoint's cost can be set against what one
        HTTP request plus one RPC costs on the same machine (bench/README.md).
        """
        return self._call("echo", locals())

    def send_pipeline_canary(self, canary_id: str) -> replies.CanaryResult:
        """Write a ``pipeline_canary_sent`` event through the outbox.

        Operators use it to prove the event path (outbox, relay, broker, consumer)
        works end to end; ``verification.get_pipeline_canary`` tells whether it
        arrived. Emits ``pipeline_canary_sent {canary_id}``. Idempotent per id.
        Raises ``InvalidInput`` (``canary_id_invalid``) for an id that is not a
        UUID.
        """
        return self._call("send_pipeline_canary", locals())

    def register_person(
        self, registration: requests.PersonRegistration
    ) -> replies.Registered:
        """Register a natural person (product.md flow 1).

        ``registration``: ``login_name, password, password_confirmation, name,
        identity_region, doc_type, doc_number, phone, sms_code,
        agreement_version``. The SMS code (purpose ``register_person``) is spent
        at otp once the shape, password, document and agreement rules pass;
        ``login_name_taken`` and ``document_registered`` come only after it is
        spent (the main agent's code for an organisation). The account starts
        ``pending`` verification. Emits ``person_registered``.

        Raises ``InvalidInput`` with every field error (``required``,
        ``login_name_invalid``, ``login_name_taken``, ``password_too_weak``,
        ``password_mismatch``, ``identity_region_invalid``, ``doc_type_invalid``,
        ``doc_type_not_allowed_for_region``, ``doc_number_invalid``,
        ``document_registered``, ``phone_invalid``, ``sms_code_invalid``,
        ``sms_code_expired``, ``agreement_required``,
        ``agreement_version_outdated``) and creates nothing; ``Unavailable`` when
        otp does not answer.
        """
        return self._call("register_person", locals())

    def register_organization(
        self, registration: requests.OrganizationRegistration
    ) -> replies.Registered:
        """Register an organisation (product.md flow 2).

        ``registration``: ``login_name, password, password_confirmation, name,
        region, legal_person_type, credit_code`` (domestic) or
        ``registration_number`` (hmt, overseas), optional ``name_en, short_name,
        homepage, area``; ``legal_representative {name, phone, identity_region,
        doc_type, doc_number, doc_valid_from, doc_valid_to | doc_long_term}``;
        ``main_agent {... the same, sms_code}``; ``agreement_version``. The main
        agent's phone, proven by its code (purpose ``register_organization``),
        becomes the reserved phone. Emits ``organization_registered``.

        Raises ``InvalidInput`` (as ``register_person`` plus ``region_invalid``,
        ``legal_person_type_invalid``, ``credit_code_invalid``,
        ``credit_code_registered``, ``registration_number_invalid``,
        ``registration_number_registered``, ``doc_valid_from_invalid``,
        ``doc_valid_to_invalid``, ``doc_expired``), nested fields as
        ``main_agent.doc_number``; creates nothing on error.
        """
        return self._call("register_organization", locals())

    def get_agreement(
        self,
        kind: fields.AgreementKind,
        language: fields.AgreementLanguage = "zh-CN",
    ) -> replies.Agreement:
        """The current agreement of a registration of ``kind`` (its version is
        the one ``register_person`` / ``register_organization`` check), in
        ``language``. Raises ``InvalidInput`` for an unknown kind or language."""
        return self._call("get_agreement", locals())

    def check_login_name(self, login_name: fields.LoginName) -> replies.LoginNameCheck:
        """Whether a login name is free (case-insensitively, across both kinds).

        Raises ``InvalidInput`` (``login_name_invalid``) for a malformed name.
        """
        return self._call("check_login_name", locals())

    def check_document(
        self,
        identity_region: fields.IdentityRegion,
        doc_type: fields.DocType,
        doc_number: fields.DocNumber,
        captcha_id: str | None,
        captcha_answer: str | None,
    ) -> replies.DocumentCheckResult:
        """Whether a person account already uses this document.

        The document is validated first (``InvalidInput``, captcha not spent),
        then the captcha is checked and spent at otp: ``CaptchaRequired`` when
        missing, ``InvalidInput`` (``captcha_invalid``) when wrong.
        """
        return self._call("check_document", locals())

    def rate_password(
        self, password: str, login_name: str | None = None
    ) -> replies.PasswordRating:
        """Rate a candidate password against the rule; never stores or logs it."""
        return self._call("rate_password", locals())

    def log_in(
        self,
        login_name: str | None,
        password: str | None,
        client_ip: str | None = None,
        captcha_id: str | None = None,
        captcha_answer: str | None = None,
    ) -> replies.LoggedIn:
        """Check the password (argon2id) and open a new session.

        An unknown login name costs one hash check too and gets the same answer
        as a wrong password. Failures are counted per login name and per client
        address: after 3 (``LOGIN_CAPTCHA_AFTER``) a captcha is required, after 5
        within 15 minutes (``LOGIN_LOCK_AFTER``, ``LOGIN_FAILURE_WINDOW``) the
        name is locked for 15 minutes (``LOGIN_LOCK_SECONDS``); success clears
        the name's count. A hash made with old parameters is upgraded, and so
        is an imported account's former-system hash (flow 10) at its first good
        login; ``phone_proof_required`` tells an imported organisation to prove
        a phone before SMS recovery can reach it.

        Raises ``Unauthenticated`` (``invalid_credentials`` with
        ``details["captcha_required"]``; ``temporary_password_expired``;
        ``legacy_password_reset_required``: the right password, but a weak
        imported hash after ``LEGACY_WEAK_HASH_DEADLINE``: reset it by SMS),
        ``CaptchaRequired``, ``InvalidInput`` (``captcha_invalid``), ``Locked``
        (``account_locked``, ``details["retry_after"]``), ``RateLimited``
        (``login_rate_limited``), ``Unavailable`` (otp down while a captcha is
        needed). Emits ``account_locked``.
        """
        return self._call("log_in", locals())

    def send_unlock_code(
        self, request: requests.UnlockCodeRequest, client_ip: str
    ) -> None:
        """Check and spend the captcha, then, only when ``request.phone`` is the
        reserved phone of ``request.login_name``, have otp send a code (purpose
        ``login_unlock``; otp's send quotas apply, ``client_ip`` is the end
        user's address). Answers the same (nothing) whether or not the name
        exists, is locked or has that phone, and whether otp refused the send for
        a quota. Raises ``CaptchaRequired`` (``captcha_required``),
        ``InvalidInput`` (``captcha_invalid``).
        """
        return self._call("send_unlock_code", locals())

    def unlock_login(self, request: requests.LoginUnlock, client_ip: str) -> None:
        """Spend the ``login_unlock`` code sent to the reserved phone: the name's
        failed logins and lock are cleared and ``client_ip`` may log in to it
        without the name's captcha or lock for ``LOGIN_LOCK_SECONDS`` (until its
        first wrong password or a successful login). Raises ``InvalidInput``
        (``sms_code_invalid`` with the tries left, ``sms_code_expired``); an
        unknown name or a phone that is not the reserved one answers
        ``sms_code_expired``, as for a code never sent.
        """
        return self._call("unlock_login", locals())

    def resolve_session(
        self, token: str, csrf_token: str | None = None
    ) -> replies.Session:
        """The live session of a token, its idle expiry pushed forward.

        ``csrf_ok`` tells whether ``csrf_token`` is the one issued at login (the
        gateway requires it on unsafe methods when the token came from the
        cookie). Raises ``Unauthenticated`` (``session_invalid``).
        """
        return self._call("resolve_session", locals())

    def log_out(self, token: str) -> replies.LoggedOut:
        """End the session of ``token``: ``{ended}``. Never raises for an ended one."""
        return self._call("log_out", locals())

    def get_identity_claims(self, account_id: str) -> replies.IdentityClaims:
        """Who the account is, for sso's claims and admission rules: ``{account_id,
        kind, name, real_name_status, represented_organizations}`` (a person's
        agencies now), without the profile (nothing of it decrypted).
        Raises ``NotFound`` ``account_not_found``."""
        return self._call("get_identity_claims", locals())

    def get_personal_claims(
        self,
        account_id: str,
        groups: list[replies.PersonalClaim],
        masked: bool = True,
    ) -> replies.PersonalClaims:
        """Personal data a business system may receive, for sso: ``phone``
        (``phone_number``, ``phone_number_verified``) and ``identity``
        (``document_type``, ``document_number``: a person's identity document, an
        organisation's credit code or registration number). Only the groups asked
        are read and decrypted; ``masked`` (the default) masks them here, so a
        full value leaves accounts only when asked for. Raises ``NotFound``
        ``account_not_found``."""
        return self._call("get_personal_claims", locals())

    def get_session_lifetimes(self, session_ids: list[str]) -> replies.SessionLifetimes:
        """For each session id (as ``resolve_session`` answers it): the seconds
        until it expires, or None when it has ended (expired, logged out, ended by
        a password change). Extends nothing."""
        return self._call("get_session_lifetimes", locals())

    def get_me(self, account_id: str) -> replies.Me:
        """My information, masked: ``{account_id, kind, login_name, role,
        must_change_password, real_name_status, real_name_reason,
        agreement_version, created_at, profile}``. A person's profile: ``name,
        gender, birth_date, ethnicity, title, email, mobile, telephone,
        identity_region, doc_type, doc_number, derived_from_document``; an
        organisation's: ``name, name_en, short_name, homepage, region,
        legal_person_type, area, code_kind, unique_code, mobile,
        legal_representative, main_agent``; ``origin`` (``source_system,
        imported_at``) for an account imported from a former system, and
        ``phone_proof_required``. Raises ``NotFound``."""
        return self._call("get_me", locals())

    def update_profile(
        self, account_id: str, changes: requests.ProfileChanges
    ) -> replies.Me:
        """Change my information; returns what ``get_me`` returns.

        Person: ``name, ethnicity, title, email, telephone`` and, unless they come
        from the identity document, ``gender, birth_date``. Organisation: ``name,
        name_en, short_name, homepage, area, legal_person_type``. Any change
        emits ``profile_changed``; changing a verified field (a person's name; an
        organisation's name or legal-person type) sets the status back to
        ``pending`` and the event's ``reverify`` to true.
        After a failed real-name check (``failed``, ``rejected``) the identity
        may be corrected with registration's checks (person: ``identity_region,
        doc_type, doc_number``; organisation: ``credit_code`` or
        ``registration_number``, ``legal_representative``, ``main_agent`` with
        ``sms_code`` of purpose ``change_phone`` when its mobile changes); a
        correction restarts verification like a verified field. A document or
        code another account uses is answered after the rules and the SMS proof
        (``document_registered``, ``credit_code_registered``...).
        Raises ``InvalidInput`` (``field_not_editable`` and the field rules),
        ``RateLimited`` (``corrections_rate_limited``: too many corrections),
        ``Forbidden`` (staff), ``NotFound``.
        """
        return self._call("update_profile", locals())

    def change_phone(
        self, account_id: str, phone: fields.MobilePhone, sms_code: fields.SmsCode
    ) -> replies.Me:
        """Change the reserved phone (a person's mobile; an organisation's main
        agent's mobile) with an SMS code sent to the new phone (purpose
        ``change_phone``); returns what ``get_me`` returns. Emits
        ``profile_changed`` (``changed_fields`` ``["phone"]``, ``reverify`` false).
        Raises ``InvalidInput`` (``phone_invalid``, ``phone_unchanged``,
        ``sms_code_invalid``, ``sms_code_expired``), ``Forbidden`` (staff),
        ``NotFound``."""
        return self._call("change_phone", locals())

    def change_password(
        self,
        account_id: str,
        session_id: str,
        current_password: str,
        new_password: str,
        new_password_confirmation: str | None = None,
        client_ip: str | None = None,
    ) -> replies.SessionsEnded:
        """Change the password and end every session of the account except
        ``session_id``: ``{sessions_ended}``. Clears ``must_change_password``.
        Raises ``InvalidInput`` (``current_password_wrong``, ``password_too_weak``,
        ``password_mismatch``, ``password_unchanged``), ``Locked`` (wrong current
        passwords count as failed logins), ``NotFound``. Emits
        ``password_changed``.
        """
        return self._call("change_password", locals())

    def get_verification_subject(self, account_id: str) -> replies.VerificationSubject:
        """The data real-name verification checks for ``account_id``, in clear.

        Called by the verification service only. Raises ``NotFound``
        (``account_not_found``) for an unknown id.
        """
        return self._call("get_verification_subject", locals())

    def claimed_identity_for_review(
        self, account_id: str, reviewer_id: str
    ) -> replies.ClaimedIdentity:
        """What the person or organisation ``account_id`` claims to be, for the
        reviewer ``reviewer_id`` of its verification case: a person's name,
        identity region, document type and full number; an organisation's name,
        region, legal-person type, full credit code (or registration number), its
        legal representative (name, identity region, document type and full
        number) and main agent (name, masked mobile). Read now, from the
        account's current data.

        Called by the verification service only, which audits the view. Raises
        ``Forbidden`` (``reviewer_required``: ``reviewer_id`` is not a reviewer's
        account), ``NotFound`` (``account_not_found``: no person or organisation
        has this id).
        """
        return self._call("claimed_identity_for_review", locals())

    # --- agents (代办, product.md flow 7) -------------------------------------------

    def designate_agent(
        self, account_id: str, login_name: fields.LoginName
    ) -> replies.DesignatedAgent:
        """The organisation ``account_id`` designates the natural person with
        this login name (case-insensitive) as its agent: ``{agent: {person_id,
        login_name, name, granted_at}}``. ``name`` is masked (first character,
        then one ``*`` per other character): the organisation confirms it chose
        the right person without learning full names by trying login names.
        Designating a revoked agent again re-activates it with a new
        ``granted_at``. Emits ``agent_designated``.

        Raises ``Forbidden``: ``organization_only`` (the account is a person or
        staff), ``organization_not_verified`` (its ``real_name_status`` is not
        ``passed``; ``AGENTS_REQUIRE_VERIFIED_ORGANIZATION``). ``InvalidInput``
        on field ``login_name``: ``required``, ``login_name_invalid``,
        ``agent_not_found`` (no person has that name: the same answer for an
        organisation's or a staff member's name), ``agent_already_designated``,
        ``agent_limit_reached`` (``AGENTS_PER_ORGANIZATION`` active agents;
        ``details["limit"]``). ``NotFound`` (``account_not_found``).
        Designations of one organisation are serialised (its account row is
        locked), so two at once never both pass the checks.
        """
        return self._call("designate_agent", locals())

    def list_agents(self, account_id: str) -> replies.Agents:
        """The active agents of the organisation ``account_id``, oldest grant
        first: ``{items: [{person_id, login_name, name, granted_at}]}`` (names
        masked as in ``designate_agent``). Raises ``Forbidden``
        (``organization_only``), ``NotFound`` (``account_not_found``)."""
        return self._call("list_agents", locals())

    def revoke_agent(self, account_id: str, person_id: str) -> replies.AgentRevocation:
        """The organisation ``account_id`` revokes its agent ``person_id``, at
        once (``acts_for`` answers false from now on): ``{person_id,
        revoked_at}``. Emits ``agent_revoked``. Raises ``Forbidden``
        (``organization_only``), ``NotFound`` (``agent_not_found``: not an
        active agent of this organisation, or not an id; ``account_not_found``).
        """
        return self._call("revoke_agent", locals())

    def list_represented_organizations(
        self, account_id: str
    ) -> replies.RepresentedOrganizations:
        """The organisations the person ``account_id`` is an active agent of,
        oldest grant first: ``{items: [{organization_id, name, unique_code,
        granted_at}]}`` (``unique_code`` masked, first 3 and last 2 characters).
        Raises ``Forbidden`` (``person_only``), ``NotFound``
        (``account_not_found``)."""
        return self._call("list_represented_organizations", locals())

    def acts_for(self, person_id: str, organization_id: str) -> bool:
        """Whether the person ``person_id`` is, right now, an active agent of the
        organisation ``organization_id`` (for business systems and single
        sign-on: may this logged-in person act for that organisation?). Read
        on every call, never cached, so a revocation counts at once. False for
        unknown or malformed ids; never raises (``Unavailable`` aside). It does
        not look at either account's real-name status: a caller that needs a
        verified person or organisation asks for that too."""
        return self._call("acts_for", locals())

    # --- recovery (called by the recovery service only) ---------------------------

    def find_account_for_recovery(
        self, login_name: str
    ) -> replies.RecoveryAccount | None:
        """The person or organisation a reset by login name is for:
        ``{account_id, kind, masked_phone}``, or None for an unknown name, a
        staff account, an account without a reserved phone or a malformed name.
        Never raises for the name (the caller answers the same either way)."""
        return self._call("find_account_for_recovery", locals())

    def reserved_phone_matches(self, account_id: str, phone: str) -> bool:
        """Whether ``phone`` is the account's reserved phone (compared by blind
        index in constant time). False for an unknown account or a malformed
        phone, after the same work. Never raises."""
        return self._call("reserved_phone_matches", locals())

    def reset_password(
        self, account_id: str, new_password: str
    ) -> replies.SessionsEnded:
        """Set the password a user chose in a reset: the registration rule,
        ``must_change_password`` cleared, every session ended:
        ``{sessions_ended}``. Raises ``InvalidInput`` (``password_too_weak``,
        ``required``), ``NotFound`` (``account_not_found``). Emits
        ``password_changed`` (reason ``reset``)."""
        return self._call("reset_password", locals())

    def set_temporary_password(
        self,
        account_id: str,
        password: str,
        phone: fields.MobilePhone,
        request_id: fields.RequestId,
    ) -> replies.TemporaryPasswordSet:
        """An approved appeal: ``password`` becomes a temporary password (expires
        in 24 hours, must be changed at the next login), ``phone`` the reserved
        phone, every session ends. Applied once per ``request_id`` (a retry
        changes nothing and answers ``applied: false``):
        ``{account_id, login_name, applied}``. Raises ``InvalidInput``
        (``phone_invalid``, ``request_id_invalid``, ``password_too_weak``),
        ``NotFound`` (``account_not_found``). Emits ``password_changed``
        (reason ``appeal``) when applied."""
        return self._call("set_temporary_password", locals())

    def find_person_for_appeal(
        self, doc_type: str, doc_number: str, name: str
    ) -> replies.AppealPerson | None:
        """The person account holding this document (blind index):
        ``{account_id, login_name, name_matches}``, or None. For reviewers
        only (through recovery); never raises."""
        return self._call("find_person_for_appeal", locals())

    def find_organization_for_appeal(
        self,
        unit_name: str,
        credit_code: str | None = None,
        registration_number: str | None = None,
    ) -> replies.AppealOrganizations:
        """Every organisation an organisation appeal could be about: the one whose
        credit code (or, for a unit outside the mainland, registration number) is
        the given one first, then every one registered under exactly
        ``unit_name``, oldest first, at most ``MAX_APPEAL_CANDIDATES``
        (``truncated`` says when there were more); masked for reviewers
        (through recovery). The code is checked by the registration's rule
        first: raises ``InvalidInput`` (``credit_code_required`` when neither is
        given, ``credit_code_invalid``, ``registration_number_invalid``)."""
        return self._call("find_organization_for_appeal", locals())
