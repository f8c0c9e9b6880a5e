"""The recovery Nameko service: entrypoints only (convert, call a handler, answer)."""

import servicekit  # noqa: F401, I001 - configures psycopg for eventlet before anything else

from datetime import UTC, datetime

from contracts.errors import ServiceError
from nameko.rpc import RpcProxy
from servicekit.context import CallId, CorrelationId
from servicekit.crypto import PersonalData
from servicekit.database import Database
from servicekit.health import ping_result
from servicekit.jsonlog import WorkerLogging
from servicekit.metrics import Metrics
from servicekit.redis import Redis
from servicekit.rpc import rpc
from servicekit.tracing import Tracing
from servicekit.workqueue import work_item

from recovery import appeal_intake, appeal_review, appeal_work, appeals, resets
from recovery.dependencies import Remote, Settings
from recovery.models import outbox
from recovery.store import LookupStore, Quotas, ResetStore

EXPECTED = (ServiceError,)
UPLOAD_SECRETS = (
    "files",
    "appeal.name",
    "appeal.doc_number",
    "appeal.phone",
    "appeal.sms_code",
)
ORG_SECRETS = (
    "files",
    "appeal.contact_name",
    "appeal.contact_phone",
    "appeal.sms_code",
)


def _now() -> datetime:
    return datetime.now(UTC)


class RecoveryService:
    name = "recovery"

    log = WorkerLogging()
    tracing = Tracing()
    metrics = Metrics()
    db = Database(outbox=outbox)
    redis = Redis()
    crypto = PersonalData()
    settings = Settings()
    accounts_rpc = RpcProxy("accounts")
    otp_rpc = RpcProxy("otp")
    correlation_id = CorrelationId()
    call_id = CallId()

    def _publish(self, event_type, data):
        with self.db.session.begin():
            self.db.emit(event_type, data)

    def _reset_deps(self) -> resets.ResetDeps:
        timeout = self.settings["rpc_timeout"]
        return resets.ResetDeps(
            store=ResetStore(self.redis),
            quotas=Quotas(self.redis),
            accounts=Remote(self.accounts_rpc, "accounts", timeout),
            otp=Remote(self.otp_rpc, "otp", timeout),
            cipher=self.crypto,
            publish=self._publish,
            settings=self.settings["reset"],
            clock=_now,
        )

    def _appeal_deps(self, work: bool = False) -> appeals.AppealDeps:
        timeout = self.settings["work_rpc_timeout" if work else "rpc_timeout"]
        return appeals.AppealDeps(
            session=self.db.session,
            emit=self.db.emit,
            cipher=self.crypto,
            accounts=Remote(self.accounts_rpc, "accounts", timeout),
            otp=Remote(self.otp_rpc, "otp", timeout),
            quotas=Quotas(self.redis),
            lookups=LookupStore(self.redis),
            settings=self.settings["appeal"],
            clock=_now,
            correlation_id=self.correlation_id,
            parent_call_id=self.call_id,
        )

    @rpc
    def ping(self):
        return ping_result(self.name, database=self.db.ping(), redis=self.redis.ping())

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("captcha_answer",))
    def start_password_reset(self, login_name, captcha_id, captcha_answer, client_ip):
        return resets.start_password_reset(
            self._reset_deps(), login_name, captcha_id, captcha_answer, client_ip
        )

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("phone",))
    def send_reset_code(self, reset_id, phone, client_ip):
        return resets.send_reset_code(self._reset_deps(), reset_id, phone, client_ip)

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("sms_code", "new_password"))
    def complete_password_reset(self, reset_id, sms_code, new_password, client_ip):
        return resets.complete_password_reset(
            self._reset_deps(), reset_id, sms_code, new_password, client_ip
        )

    # --- appeals ----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=UPLOAD_SECRETS)
    def submit_person_appeal(self, appeal, files, client_ip):
        return appeal_intake.submit_person_appeal(
            self._appeal_deps(), appeal, files, client_ip
        )

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("captcha_answer",))
    def start_organization_lookup(
        self, unit_name, captcha_id, captcha_answer, client_ip
    ):
        return appeal_intake.start_organization_lookup(
            self._appeal_deps(), unit_name, captcha_id, captcha_answer, client_ip
        )

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=ORG_SECRETS)
    def submit_organization_appeal(self, appeal, files, client_ip):
        return appeal_intake.submit_organization_appeal(
            self._appeal_deps(), appeal, files, client_ip
        )

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("ticket",))
    def get_appeal_status(self, appeal_id, ticket):
        return appeal_intake.get_appeal_status(self._appeal_deps(), appeal_id, ticket)

    # --- review (the gateway routes "apl_" case ids here) -------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_review_cases(self, status=None, limit=50, offset=0):
        return appeal_review.list_review_cases(
            self._appeal_deps(), status, limit, offset
        )

    @rpc(expected_exceptions=EXPECTED)
    def get_review_case(self, case_id):
        return appeal_review.get_review_case(self._appeal_deps(), case_id)

    @rpc(expected_exceptions=EXPECTED)
    def decide_review_case(self, case_id, decision, reason, reviewer_id):
        return appeal_review.decide_review_case(
            self._appeal_deps(), case_id, decision, reason, reviewer_id
        )

    @work_item(appeals.RECOVER_ACCOUNT)
    def recover_account(self, item):
        return appeal_work.recover_account(
            self._appeal_deps(work=True), item["ref"], item["payload"]
        )

    @work_item(appeals.NOTIFY_REJECTION)
    def notify_rejection(self, item):
        return appeal_work.notify_rejection(self._appeal_deps(work=True), item["ref"])

    @work_item(appeals.PURGE_FILES)
    def purge_appeal_files(self, item):
        return appeal_work.purge_files(self._appeal_deps(work=True), item["ref"])
