"""The recovery Nameko service: entrypoints only (convert, call a handler, answer)."""

import servicekit  # noqa: F401, I001 - configures psycopg for eventlet before anything else


from contracts.accounts import AccountsClient
from contracts.base import PingResult
from contracts.errors import ServiceError
from contracts.events import Event
from contracts.models import MaybeText
from contracts.otp import OtpClient
from contracts import recovery as contract
from contracts.review import ReviewCaseList
from nameko.rpc import RpcProxy
from servicekit.clock import utc_now
from servicekit.database import Database
from servicekit.health import ping_result
from servicekit.calls import TimedCaller
from servicekit.providers import BuiltOnce, StoringService
from servicekit.rpc import rpc
from servicekit.workqueue import work_item

from recovery import appeal_intake, appeal_review, appeal_work, appeals, resets
from recovery.dependencies import use_case_settings
from recovery.models import outbox
from recovery.store import LookupStore, Quotas, ResetStore

EXPECTED = (ServiceError,)
# the appeal's personal data and its images never reach a log line
UPLOAD_SECRETS = tuple(
    f"appeal.{key}"
    for key in (
        "name",
        "doc_number",
        "phone",
        "sms_code",
        *contract.PERSON_APPEAL_FILES,
    )
)
LOOKUP_SECRETS = tuple(
    f"lookup.{key}" for key in ("captcha_answer", "credit_code", "registration_number")
)
ORG_SECRETS = tuple(
    f"appeal.{key}"
    for key in (
        "contact_name",
        "contact_phone",
        "sms_code",
        *contract.ORGANIZATION_APPEAL_FILES,
    )
)


class RecoveryService(StoringService):
    name = "recovery"

    db = Database(outbox=outbox)
    settings = BuiltOnce(use_case_settings)
    accounts_rpc = RpcProxy("accounts")
    otp_rpc = RpcProxy("otp")

    def _publish(self, event: Event) -> None:
        with self.db.session.begin():
            self.db.emit(event)

    def _otp(self, timeout: float) -> OtpClient:
        """otp's typed client over servicekit's one timed adapter."""
        return OtpClient(TimedCaller(self.otp_rpc, "otp", timeout).call)

    def _accounts(self, timeout: float) -> AccountsClient:
        """accounts' typed client over servicekit's one timed adapter."""
        return AccountsClient(TimedCaller(self.accounts_rpc, "accounts", timeout).call)

    def _reset_deps(self) -> resets.ResetDeps:
        timeout = self.settings["rpc_timeout"]
        return resets.ResetDeps(
            store=ResetStore(self.redis),
            quotas=Quotas(self.redis),
            accounts=self._accounts(timeout),
            otp=self._otp(timeout),
            cipher=self.crypto,
            publish=self._publish,
            settings=self.settings["reset"],
            clock=utc_now,
        )

    def _appeal_deps(self, work: bool = False) -> appeals.AppealDeps:
        timeout = self.settings["work_rpc_timeout" if work else "rpc_timeout"]
        return appeals.AppealDeps(
            session=self.db.session,
            emit=self.db.emit,
            cipher=self.crypto,
            accounts=self._accounts(timeout),
            otp=self._otp(timeout),
            quotas=Quotas(self.redis),
            lookups=LookupStore(self.redis),
            settings=self.settings["appeal"],
            clock=utc_now,
            correlation_id=self.correlation_id,
            parent_call_id=self.call_id,
        )

    @rpc
    def ping(self) -> PingResult:
        return ping_result(self.name, database=self.db.ping(), redis=self.redis.ping())

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("captcha_answer",))
    def start_password_reset(
        self,
        login_name: str,
        captcha_id: MaybeText,
        captcha_answer: MaybeText,
        client_ip: str,
    ) -> contract.ResetStarted:
        return resets.start_password_reset(
            self._reset_deps(), login_name, captcha_id, captcha_answer, client_ip
        )

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("phone",))
    def send_reset_code(
        self, reset_id: str, phone: MaybeText, client_ip: str
    ) -> contract.ResetCodeSent:
        return resets.send_reset_code(self._reset_deps(), reset_id, phone, client_ip)

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("sms_code", "new_password"))
    def complete_password_reset(
        self,
        reset_id: str,
        sms_code: MaybeText,
        new_password: MaybeText,
        client_ip: str,
    ) -> None:
        return resets.complete_password_reset(
            self._reset_deps(), reset_id, sms_code, new_password, client_ip
        )

    # --- appeals ----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=UPLOAD_SECRETS)
    def submit_person_appeal(
        self, appeal: contract.PersonAppeal, client_ip: str
    ) -> contract.AppealTicket:
        return appeal_intake.submit_person_appeal(
            self._appeal_deps(), appeal.claims(), appeal.uploads(), client_ip
        )

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=LOOKUP_SECRETS)
    def start_organization_lookup(
        self, lookup: contract.OrganizationLookupRequest, client_ip: str
    ) -> contract.OrganizationLookup:
        return appeal_intake.start_organization_lookup(
            self._appeal_deps(),
            lookup.unit_name,
            lookup.captcha_id,
            lookup.captcha_answer,
            client_ip,
            lookup.credit_code,
            lookup.registration_number,
        )

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=ORG_SECRETS)
    def submit_organization_appeal(
        self, appeal: contract.OrganizationAppeal, client_ip: str
    ) -> contract.AppealTicket:
        return appeal_intake.submit_organization_appeal(
            self._appeal_deps(), appeal.claims(), appeal.uploads(), client_ip
        )

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("ticket",))
    def get_appeal_status(
        self, appeal_id: str, ticket: str | None
    ) -> contract.AppealStatus:
        return appeal_intake.get_appeal_status(self._appeal_deps(), appeal_id, ticket)

    # --- review (the gateway routes "apl_" case ids here) -------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_review_cases(
        self, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> ReviewCaseList:
        return appeal_review.list_review_cases(
            self._appeal_deps(), status, limit, offset
        )

    @rpc(expected_exceptions=EXPECTED)
    def get_review_case(
        self, case_id: str, reviewer_id: str
    ) -> contract.AppealReviewCase:
        return appeal_review.get_review_case(self._appeal_deps(), case_id, reviewer_id)

    @rpc(expected_exceptions=EXPECTED)
    def decide_review_case(
        self,
        case_id: str,
        decision: MaybeText,
        reason: MaybeText,
        reviewer_id: str,
        account_id: MaybeText = None,
    ) -> contract.DecidedAppeal:
        return appeal_review.decide_review_case(
            self._appeal_deps(), case_id, decision, reason, reviewer_id, account_id
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
