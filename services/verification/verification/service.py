"""The verification Nameko service: entrypoints only (convert, call a handler, answer)."""

import servicekit  # noqa: F401, I001 - configures psycopg for eventlet before anything else


from contracts import errors as ce
from contracts.accounts.events import (
    OrganizationRegistered,
    PersonRegistered,
    PipelineCanarySent,
    ProfileChanged,
)
from contracts.base import PingResult
from contracts.events import Envelope
from contracts.review import (
    AccountKind,
    ReviewCaseList,
    ReviewCaseSummary,
    ReviewDecisionKind,
    ReviewReason,
)
from contracts.verification import (
    PipelineCanaryStatus,
    ReviewStatus,
    VerificationReviewCase,
    VerificationStatus,
)
from nameko.rpc import RpcProxy
from servicekit.clock import utc_now
from servicekit.database import Database
from servicekit.health import ping_result
from servicekit.idempotency import consume, first_delivery
from servicekit.providers import BuiltOnce, StoringService
from servicekit.rpc import rpc
from servicekit.workqueue import work_item

from verification import canaries, case_intake, case_review, case_work
from verification.cases import CHECK_CASE, PURGE_MATERIALS
from verification.authority import authority_from_config
from verification.dependencies import (
    AccountsClaims,
    AccountsSubjects,
    use_case_settings,
)
from verification.models import outbox, processed_events

EXPECTED = (ce.ServiceError,)

# The accounts events that open a verification case.
Registration = PersonRegistered | OrganizationRegistered | ProfileChanged


class VerificationService(StoringService):
    name = "verification"

    db = Database(outbox=outbox)
    authority = BuiltOnce(authority_from_config)
    settings = BuiltOnce(use_case_settings)
    accounts = RpcProxy("accounts")

    @rpc
    def ping(self) -> PingResult:
        return ping_result(self.name, database=self.db.ping(), redis=self.redis.ping())

    @rpc
    def get_pipeline_canary(self, canary_id: str) -> PipelineCanaryStatus:
        with self.db.session.begin():
            return canaries.get_pipeline_canary(self.db.session, canary_id)

    @consume(PipelineCanarySent)
    def on_accounts_pipeline_canary_sent(
        self, envelope: Envelope[PipelineCanarySent]
    ) -> None:
        session = self.db.session
        with session.begin():
            if first_delivery(
                session, processed_events, envelope.event_id, "pipeline_canary_sent"
            ):
                canaries.record_pipeline_canary(
                    session,
                    envelope.data.canary_id,
                    envelope.correlation_id,
                    utc_now(),
                )

    # --- cases, opened by accounts' events ------------------------------------------

    def _open_case(self, envelope: Envelope[Registration], consumer: str) -> None:
        session = self.db.session
        with session.begin():
            if first_delivery(session, processed_events, envelope.event_id, consumer):
                case_intake.open_case(
                    session,
                    event_id=envelope.event_id,
                    account_id=envelope.data.account_id,
                    account_kind=envelope.data.account_kind,
                    occurred_at=envelope.occurred_at,
                    correlation_id=envelope.correlation_id,
                    now=utc_now(),
                    parent_call_id=self.call_id,
                )

    @consume(PersonRegistered)
    def on_accounts_person_registered(
        self, envelope: Envelope[PersonRegistered]
    ) -> None:
        self._open_case(envelope, "person_registered")

    @consume(OrganizationRegistered)
    def on_accounts_organization_registered(
        self, envelope: Envelope[OrganizationRegistered]
    ) -> None:
        self._open_case(envelope, "organization_registered")

    @consume(ProfileChanged)
    def on_accounts_profile_changed(self, envelope: Envelope[ProfileChanged]) -> None:
        if envelope.data.reverify:
            self._open_case(envelope, "profile_changed")

    @work_item(CHECK_CASE)
    def check_case(self, item):
        return case_work.check_case(
            self.db.session,
            self.db.emit,
            case_id=item["ref"],
            subjects=AccountsSubjects(self.accounts, self.settings["subject_timeout"]),
            authority=self.authority,
            clock=utc_now,
        )

    # --- the user's view and materials ----------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def get_verification(self, account_id: str) -> VerificationStatus:
        return case_intake.get_verification(self.db.session, account_id)

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("files",))
    def submit_materials(
        self, account_id: str, account_kind: AccountKind, files: dict[str, str]
    ) -> ReviewCaseSummary:
        return case_intake.submit_materials(
            self.db.session,
            self.db.emit,
            account_id=account_id,
            account_kind=account_kind,
            files=files,
            cipher=self.crypto,
            limits=self.settings["image_limits"],
            clock=utc_now,
        )

    # --- review -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_review_cases(
        self, status: ReviewStatus | None = None, limit: int = 50, offset: int = 0
    ) -> ReviewCaseList:
        return case_review.list_review_cases(self.db.session, status, limit, offset)

    @rpc(expected_exceptions=EXPECTED)
    def get_review_case(self, case_id: str, reviewer_id: str) -> VerificationReviewCase:
        return case_review.get_review_case(
            self.db.session,
            case_id,
            self.crypto,
            reviewer_id=reviewer_id,
            claims=AccountsClaims(self.accounts, self.settings["subject_timeout"]),
            correlation_id=self.correlation_id,
            clock=utc_now,
        )

    @rpc(expected_exceptions=EXPECTED)
    def decide_review_case(
        self,
        case_id: str,
        decision: ReviewDecisionKind,
        reason: ReviewReason,
        reviewer_id: str,
    ) -> VerificationReviewCase:
        return case_review.decide_review_case(
            self.db.session,
            self.db.emit,
            case_id=case_id,
            decision=decision,
            reason=reason,
            reviewer_id=reviewer_id,
            correlation_id=self.correlation_id,
            clock=utc_now,
            retention_seconds=self.settings["retention_seconds"],
            parent_call_id=self.call_id,
        )

    @work_item(PURGE_MATERIALS)
    def purge_materials(self, item):
        return case_work.purge_materials(self.db.session, case_id=item["ref"])
