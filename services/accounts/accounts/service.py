"""The accounts Nameko service: entrypoints only (convert, call a handler, answer)."""

from datetime import UTC, datetime

import servicekit  # noqa: F401 - configures psycopg for eventlet before anything else
from contracts.errors import ServiceError
from nameko.rpc import RpcProxy
from servicekit.crypto import PersonalData
from servicekit.database import Database
from servicekit.health import ping_result
from servicekit.idempotency import consume, first_delivery
from servicekit.jsonlog import WorkerLogging
from servicekit.metrics import Metrics
from servicekit.redis import Redis
from servicekit.rpc import rpc
from servicekit.tracing import Tracing

from accounts import (
    agents,
    canary,
    credentials,
    login,
    profile,
    real_name,
    recovery_lookups,
    registration_checks,
)
from accounts import registration as registering
from accounts.dependencies import AccountsRuntime, OtpClient
from accounts.deps import Deps
from accounts.login_guard import LoginGuard
from accounts.models import outbox, processed_events
from accounts.repository import Repository
from accounts.sessions import SessionStore


def _now() -> datetime:
    return datetime.now(UTC)


class AccountsService:
    name = "accounts"

    log = WorkerLogging()
    tracing = Tracing()
    metrics = Metrics()
    db = Database(outbox=outbox)
    redis = Redis()
    pii = PersonalData()
    runtime = AccountsRuntime()
    otp_rpc = RpcProxy("otp")

    def _deps(self) -> Deps:
        return Deps(
            repo=Repository(self.db.session),
            cipher=self.pii,
            hasher=self.runtime.hasher,
            otp=OtpClient(self.otp_rpc, self.runtime.otp_timeout),
            sessions=SessionStore(self.redis, self.runtime.session_policy),
            guard=LoginGuard(self.redis, self.runtime.settings.login),
            emit=self.db.emit,
            settings=self.runtime.settings,
            clock=_now,
        )

    @rpc
    def ping(self):
        return ping_result(self.name, database=self.db.ping(), redis=self.redis.ping())

    @rpc
    def echo(self, value):
        return value

    @rpc(expected_exceptions=ServiceError)
    def send_pipeline_canary(self, canary_id):
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
    def register_person(self, registration):
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
    def register_organization(self, registration):
        return registering.register_organization(self._deps(), registration)

    @rpc(expected_exceptions=ServiceError)
    def check_login_name(self, login_name):
        return registration_checks.check_login_name(self._deps(), login_name)

    @rpc(
        expected_exceptions=ServiceError,
        sensitive_arguments=("doc_number", "captcha_answer"),
    )
    def check_document(
        self, identity_region, doc_type, doc_number, captcha_id, captcha_answer
    ):
        return registration_checks.check_document(
            self._deps(),
            identity_region,
            doc_type,
            doc_number,
            captcha_id,
            captcha_answer,
        )

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("password",))
    def rate_password(self, password, login_name=None):
        return registration_checks.rate_password(password, login_name)

    @rpc(
        expected_exceptions=ServiceError,
        sensitive_arguments=("password", "captcha_answer"),
    )
    def log_in(
        self, login_name, password, client_ip=None, captcha_id=None, captcha_answer=None
    ):
        return login.log_in(
            self._deps(), login_name, password, client_ip, captcha_id, captcha_answer
        )

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("token", "csrf_token"))
    def resolve_session(self, token, csrf_token=None):
        return login.resolve_session(self._deps(), token, csrf_token)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("token",))
    def log_out(self, token):
        return login.log_out(self._deps(), token)

    @rpc(expected_exceptions=ServiceError)
    def get_me(self, account_id):
        return profile.get_me(self._deps(), account_id)

    @rpc(
        expected_exceptions=ServiceError,
        sensitive_arguments=("changes.telephone", "changes.email"),
    )
    def update_profile(self, account_id, changes):
        return profile.update_profile(self._deps(), account_id, changes)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("phone", "sms_code"))
    def change_phone(self, account_id, phone, sms_code):
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
        account_id,
        session_id,
        current_password,
        new_password,
        new_password_confirmation=None,
        client_ip=None,
    ):
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
    def get_verification_subject(self, account_id):
        return real_name.get_verification_subject(self._deps(), account_id)

    # --- agents (flow 7) ------------------------------------------------------------

    @rpc(expected_exceptions=ServiceError)
    def designate_agent(self, account_id, login_name):
        return agents.designate_agent(self._deps(), account_id, login_name)

    @rpc(expected_exceptions=ServiceError)
    def list_agents(self, account_id):
        return agents.list_agents(self._deps(), account_id)

    @rpc(expected_exceptions=ServiceError)
    def revoke_agent(self, account_id, person_id):
        return agents.revoke_agent(self._deps(), account_id, person_id)

    @rpc(expected_exceptions=ServiceError)
    def list_represented_organizations(self, account_id):
        return agents.list_represented_organizations(self._deps(), account_id)

    @rpc(expected_exceptions=ServiceError)
    def acts_for(self, person_id, organization_id):
        return agents.acts_for(self._deps(), person_id, organization_id)

    # --- recovery (called by the recovery service only) ---------------------------

    @rpc(expected_exceptions=ServiceError)
    def find_account_for_recovery(self, login_name):
        return recovery_lookups.find_account_for_recovery(self._deps(), login_name)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("phone",))
    def reserved_phone_matches(self, account_id, phone):
        return recovery_lookups.reserved_phone_matches(self._deps(), account_id, phone)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("new_password",))
    def reset_password(self, account_id, new_password):
        return credentials.reset_password(self._deps(), account_id, new_password)

    @rpc(expected_exceptions=ServiceError, sensitive_arguments=("password", "phone"))
    def set_temporary_password(self, account_id, password, phone, request_id):
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
    def find_person_for_appeal(self, doc_type, doc_number, name):
        return recovery_lookups.find_person_for_appeal(
            self._deps(), doc_type, doc_number, name
        )

    @rpc(expected_exceptions=ServiceError)
    def find_organization_for_appeal(self, unit_name):
        return recovery_lookups.find_organization_for_appeal(self._deps(), unit_name)

    @consume("verification", "verification_passed")
    def on_verification_verification_passed(self, envelope):
        self._apply_outcome(envelope, "on_verification_verification_passed")

    @consume("verification", "verification_failed")
    def on_verification_verification_failed(self, envelope):
        self._apply_outcome(envelope, "on_verification_verification_failed")

    @consume("verification", "verification_review_requested")
    def on_verification_verification_review_requested(self, envelope):
        self._apply_outcome(envelope, "on_verification_verification_review_requested")

    def _apply_outcome(self, envelope, consumer):
        session = self.db.session
        with session.begin():
            if first_delivery(
                session, processed_events, envelope["event_id"], consumer
            ):
                real_name.apply_verification_outcome(self._deps(), envelope)
