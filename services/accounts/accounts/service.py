"""The accounts Nameko service: entrypoints only (convert, call a handler, answer)."""

import servicekit  # noqa: F401 - configures psycopg for eventlet before anything else
from contracts import accounts as contract
from contracts.accounts import fields
from contracts.base import PingResult
from contracts.errors import ServiceError
from contracts.events import Envelope
from contracts.verification import (
    VerificationFailed,
    VerificationPassed,
    VerificationReviewRequested,
)
from nameko.rpc import RpcProxy
from servicekit.clock import utc_now
from servicekit.database import Database
from servicekit.health import ping_result
from servicekit.idempotency import consume, first_delivery
from servicekit.providers import BuiltOnce, StoringService
from servicekit.ratelimit import FixedWindows
from servicekit.rpc import rpc

from accounts import (
    agents,
    agreements,
    canary,
    claimed_identity,
    credentials,
    login,
    profile,
    real_name,
    recovery_lookups,
    registration_checks,
    sso_claims,
    unlock,
)
from accounts import registration as registering
from accounts.dependencies import Runtime, otp_client
from accounts.deps import Deps
from accounts.login_guard import LoginGuard
from accounts.models import outbox, processed_events
from accounts.repository import Repository
from accounts.sessions import SessionStore


class AccountsService(StoringService):
    name = "accounts"

    db = Database(outbox=outbox)
    runtime = BuiltOnce(Runtime)
    otp_rpc = RpcProxy("otp")

    def _deps(self) -> Deps:
        return Deps(
            repo=Repository(self.db.session),
            cipher=self.crypto,
            hasher=self.runtime.hasher,
            otp=otp_client(self.otp_rpc, self.runtime.otp_timeout),
            sessions=SessionStore(self.redis, self.runtime.session_policy),
            guard=LoginGuard(self.redis, self.runtime.settings.login),
            emit=self.db.emit,
            settings=self.runtime.settings,
            clock=utc_now,
            quotas=FixedWindows(self.redis, "accounts:quota"),
        )

    @rpc
    def ping(self) -> PingResult:
        return ping_result(self.name, database=self.db.ping(), redis=self.redis.ping())

    @rpc
    def echo(self, value: str) -> str:
        return value

    @rpc(expected_exceptions=ServiceError)
    def send_pipeline_canary(self, canary_id: str) -> contract.CanaryResult:
        with self.db.session.begin():
            return canary.send_pipeline_canary(self.db.emit, canary_id)

    @rpc(
        expected_exceptions=ServiceError,
        sensitive_arguments=(
            "registration.password",
            "registration.password_confirmation",
            "registration.sms_code",
            "registration.doc_number",
            "registration.phone",
        ),
    )
    def register_person(
        self, registration: contract.PersonRegistration
    ) -> contract.Registered:
        return registering.register_person(self._deps(), registration)

    @rpc(
        expected_exceptions=ServiceError,
        sensitive_arguments=(
            "registration.password",
            "registration.password_confirmation",
            "registration.credit_code",
            "registration.registration_number",
            "registration.legal_representative.doc_number",
            "registration.legal_representative.phone",
            "registration.main_agent.doc_number",
            "registration.main_agent.phone",
            "registration.main_agent.sms_code",
        ),
    )
    def register_organization(
        self, registration: contract.OrganizationRegistration
    ) -> contract.Registered:
        return registering.register_organization(self._deps(), registration)

    @rpc(expected_exceptions=ServiceError)
    def get_agreement(
        self,
        kind: fields.AgreementKind,
        language: fields.AgreementLanguage = "zh-CN",
    ) -> contract.Agreement:
        versions = self.runtime.settings.agreement_versions
        return agreements.get_agreement(versions, kind, language)

    @rpc(expected_exceptions=ServiceError)
    def check_login_name(self, login_name: fields.LoginName) -> contract.LoginNameCheck:
        return registration_checks.check_login_name(self._deps(), login_name)

    @rpc(
        expected_exceptions=ServiceError,
        sensitive_arguments=("doc_number", "captcha_answer"),
    )
    def check_document(
        self,
        identity_region: fields.IdentityRegion,
        doc_type: fields.DocType,
        doc_number: fields.DocNumber,
        captcha_id: str | None,
        captcha_answer: str | None,
    ) -> contract.DocumentCheckResult:
        return registration_checks.check_document(
            self._deps(),
            identity_region,
            doc_type,
            doc_number,
            captcha_id,
            captcha_answer,
        )

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("password",))
    def rate_password(
        self, password: str, login_name: str | None = None
    ) -> contract.PasswordRating:
        return registration_checks.rate_password(password, login_name)

    @rpc(
        expected_exceptions=ServiceError,
        sensitive_arguments=("password", "captcha_answer"),
    )
    def log_in(
        self,
        login_name: str | None,
        password: str | None,
        client_ip: str | None = None,
        captcha_id: str | None = None,
        captcha_answer: str | None = None,
    ) -> contract.LoggedIn:
        return login.log_in(
            self._deps(), login_name, password, client_ip, captcha_id, captcha_answer
        )

    @rpc(
        expected_exceptions=ServiceError,
        sensitive_arguments=("request.phone", "request.captcha_answer"),
    )
    def send_unlock_code(
        self, request: contract.UnlockCodeRequest, client_ip: str
    ) -> None:
        return unlock.send_unlock_code(self._deps(), request, client_ip)

    @rpc(
        expected_exceptions=ServiceError,
        sensitive_arguments=("request.phone", "request.sms_code"),
    )
    def unlock_login(self, request: contract.LoginUnlock, client_ip: str) -> None:
        return unlock.unlock_login(self._deps(), request, client_ip)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("token", "csrf_token"))
    def resolve_session(
        self, token: str, csrf_token: str | None = None
    ) -> contract.Session:
        return login.resolve_session(self._deps(), token, csrf_token)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("token",))
    def log_out(self, token: str) -> contract.LoggedOut:
        return login.log_out(self._deps(), token)

    @rpc(expected_exceptions=ServiceError)
    def get_identity_claims(self, account_id: str) -> contract.IdentityClaims:
        return profile.get_identity_claims(self._deps(), account_id)

    @rpc(expected_exceptions=ServiceError)
    def get_personal_claims(
        self,
        account_id: str,
        groups: list[contract.PersonalClaim],
        masked: bool = True,
    ) -> contract.PersonalClaims:
        return sso_claims.get_personal_claims(self._deps(), account_id, groups, masked)

    @rpc
    def get_session_lifetimes(
        self, session_ids: list[str]
    ) -> contract.SessionLifetimes:
        sessions = SessionStore(self.redis, self.runtime.session_policy)
        return {
            "items": [
                {"session_id": session_id, "expires_in": seconds}
                for session_id, seconds in sessions.lifetimes(list(session_ids))
            ]
        }

    @rpc(expected_exceptions=ServiceError)
    def get_me(self, account_id: str) -> contract.Me:
        return profile.get_me(self._deps(), account_id)

    @rpc(
        expected_exceptions=ServiceError,
        sensitive_arguments=(
            "changes.telephone",
            "changes.email",
            "changes.doc_number",
            "changes.credit_code",
            "changes.registration_number",
            "changes.legal_representative.doc_number",
            "changes.legal_representative.phone",
            "changes.main_agent.doc_number",
            "changes.main_agent.phone",
            "changes.main_agent.sms_code",
        ),
    )
    def update_profile(
        self, account_id: str, changes: contract.ProfileChanges
    ) -> contract.Me:
        return profile.update_profile(self._deps(), account_id, changes)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("phone", "sms_code"))
    def change_phone(
        self, account_id: str, phone: fields.MobilePhone, sms_code: fields.SmsCode
    ) -> contract.Me:
        return profile.change_phone(self._deps(), account_id, phone, sms_code)

    @rpc(
        expected_exceptions=ServiceError,
        sensitive_arguments=(
            "current_password",
            "new_password",
            "new_password_confirmation",
        ),
    )
    def change_password(
        self,
        account_id: str,
        session_id: str,
        current_password: str,
        new_password: str,
        new_password_confirmation: str | None = None,
        client_ip: str | None = None,
    ) -> contract.SessionsEnded:
        return credentials.change_password(
            self._deps(),
            account_id,
            session_id,
            current_password,
            new_password,
            new_password_confirmation,
            client_ip,
        )

    @rpc(expected_exceptions=ServiceError)
    def get_verification_subject(self, account_id: str) -> contract.VerificationSubject:
        return real_name.get_verification_subject(self._deps(), account_id)

    @rpc(expected_exceptions=ServiceError)
    def claimed_identity_for_review(
        self, account_id: str, reviewer_id: str
    ) -> contract.ClaimedIdentity:
        return claimed_identity.claimed_identity_for_review(
            self._deps(), account_id, reviewer_id
        )

    # --- agents (flow 7) ------------------------------------------------------------

    @rpc(expected_exceptions=ServiceError)
    def designate_agent(
        self, account_id: str, login_name: fields.LoginName
    ) -> contract.DesignatedAgent:
        return agents.designate_agent(self._deps(), account_id, login_name)

    @rpc(expected_exceptions=ServiceError)
    def list_agents(self, account_id: str) -> contract.Agents:
        return agents.list_agents(self._deps(), account_id)

    @rpc(expected_exceptions=ServiceError)
    def revoke_agent(self, account_id: str, person_id: str) -> contract.AgentRevocation:
        return agents.revoke_agent(self._deps(), account_id, person_id)

    @rpc(expected_exceptions=ServiceError)
    def list_represented_organizations(
        self, account_id: str
    ) -> contract.RepresentedOrganizations:
        return agents.list_represented_organizations(self._deps(), account_id)

    @rpc(expected_exceptions=ServiceError)
    def acts_for(self, person_id: str, organization_id: str) -> bool:
        return agents.acts_for(self._deps(), person_id, organization_id)

    # --- recovery (called by the recovery service only) ---------------------------

    @rpc(expected_exceptions=ServiceError)
    def find_account_for_recovery(
        self, login_name: str
    ) -> contract.RecoveryAccount | None:
        return recovery_lookups.find_account_for_recovery(self._deps(), login_name)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("phone",))
    def reserved_phone_matches(self, account_id: str, phone: str) -> bool:
        return recovery_lookups.reserved_phone_matches(self._deps(), account_id, phone)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("new_password",))
    def reset_password(
        self, account_id: str, new_password: str
    ) -> contract.SessionsEnded:
        return credentials.reset_password(self._deps(), account_id, new_password)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("password", "phone"))
    def set_temporary_password(
        self,
        account_id: str,
        password: str,
        phone: fields.MobilePhone,
        request_id: fields.RequestId,
    ) -> contract.TemporaryPasswordSet:
        session = self.db.session
        return credentials.set_temporary_password(
            self._deps(),
            account_id,
            password,
            phone,
            request_id,
            processed=lambda rid: first_delivery(
                session, processed_events, rid, "set_temporary_password"
            ),
        )

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("doc_number", "name"))
    def find_person_for_appeal(
        self, doc_type: str, doc_number: str, name: str
    ) -> contract.AppealPerson | None:
        return recovery_lookups.find_person_for_appeal(
            self._deps(), doc_type, doc_number, name
        )

    @rpc(
        expected_exceptions=ServiceError,
        sensitive_arguments=("credit_code", "registration_number"),
    )
    def find_organization_for_appeal(
        self,
        unit_name: str,
        credit_code: str | None = None,
        registration_number: str | None = None,
    ) -> contract.AppealOrganizations:
        return recovery_lookups.find_organization_for_appeal(
            self._deps(), unit_name, credit_code, registration_number
        )

    @consume(VerificationPassed)
    def on_verification_verification_passed(
        self, envelope: Envelope[VerificationPassed]
    ) -> None:
        self._apply_outcome(envelope, "on_verification_verification_passed")

    @consume(VerificationFailed)
    def on_verification_verification_failed(
        self, envelope: Envelope[VerificationFailed]
    ) -> None:
        self._apply_outcome(envelope, "on_verification_verification_failed")

    @consume(VerificationReviewRequested)
    def on_verification_verification_review_requested(
        self, envelope: Envelope[VerificationReviewRequested]
    ) -> None:
        self._apply_outcome(envelope, "on_verification_verification_review_requested")

    def _apply_outcome(
        self, envelope: Envelope[real_name.VerificationOutcome], consumer: str
    ) -> None:
        session = self.db.session
        with session.begin():
            if first_delivery(session, processed_events, envelope.event_id, consumer):
                real_name.apply_verification_outcome(self._deps(), envelope)
