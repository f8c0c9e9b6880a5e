"""``RecoveryClient``: the contract of the ``recovery`` service, one method per RPC.

The reset by login name is three steps, in order and once, within
``RESET_TTL_SECONDS`` (15 minutes). Out of order or replayed: ``Conflict``
(``reset_step_not_allowed``); expired: ``Gone`` (``reset_expired``); dead after
``RESET_MAX_ATTEMPTS`` wrong phones or codes: ``Gone`` (``reset_failed``); unknown
id: ``NotFound`` (``reset_not_found``). Every step counts against quotas per
client address and per login name or phone (``RateLimited``,
``recovery_rate_limited``). An unknown login name gets the same answers as a known
one and no SMS is ever sent for it.

Appeals are review cases with ids prefixed ``apl_`` (``APPEAL_ID_PREFIX``); the
gateway routes them here by that prefix. ``list_review_cases``,
``get_review_case`` and ``decide_review_case`` answer the review queue's shapes
(``contracts.review``), with ``kind: "appeal"``.
"""

from __future__ import annotations

from contracts.base import PingResult
from contracts.client import ServiceClient
from contracts.models import MaybeText
from contracts.recovery import appeal_review, appeals, resets
from contracts.recovery.events import EVENTS
from contracts.review import ReviewCaseList


class RecoveryClient(ServiceClient):
    name = "recovery"
    events = EVENTS

    def ping(self) -> PingResult:
        """Report the service's version and whether PostgreSQL and Redis answer.

        Never raises for a store that is down: ``stores`` says which one, ``ok`` is
        false.
        """
        return self._call("ping", locals())

    def start_password_reset(
        self,
        login_name: str,
        captcha_id: MaybeText,
        captcha_answer: MaybeText,
        client_ip: str,
    ) -> resets.ResetStarted:
        """Step 1: the login name and a captcha make a reset flow.

        For an unknown login name the flow's masked phone is made from a keyed
        hash of the name (the same every time). Raises ``InvalidInput``
        (``required``, ``login_name_invalid``, ``captcha_invalid``),
        ``CaptchaRequired`` (no captcha), ``RateLimited``, ``Unavailable``.
        """
        return self._call("start_password_reset", locals())

    def send_reset_code(
        self, reset_id: str, phone: MaybeText, client_ip: str
    ) -> resets.ResetCodeSent:
        """Step 2: the reserved phone in full; if it matches, otp sends a code
        (purpose ``password_reset``). The flow is checked before the phone. A
        wrong phone spends an attempt: ``InvalidInput`` (``phone_mismatch``,
        ``details["attempts_left"]``). Also ``InvalidInput`` (``required``,
        ``phone_invalid``), ``NotFound``, ``Gone``, ``Conflict``, ``RateLimited``,
        ``Unavailable``.
        """
        return self._call("send_reset_code", locals())

    def complete_password_reset(
        self,
        reset_id: str,
        sms_code: MaybeText,
        new_password: MaybeText,
        client_ip: str,
    ) -> None:
        """Step 3: the code and a new password (the registration rule) set the
        password and end every session of the account. The flow is checked
        first; a weak password spends nothing (``InvalidInput``,
        ``password_too_weak``); a wrong code spends an attempt
        (``sms_code_invalid`` / ``sms_code_expired`` with ``attempts_left``). Also
        ``InvalidInput`` (``required``), ``NotFound``, ``Gone``, ``Conflict``,
        ``RateLimited``, ``Unavailable``. Emits ``password_reset_completed``.
        """
        return self._call("complete_password_reset", locals())

    def submit_person_appeal(
        self, appeal: appeals.PersonAppeal, client_ip: str
    ) -> appeals.AppealTicket:
        """A natural person's appeal (its fields and its two images).

        The model's shape errors come together (``required``,
        ``identity_region_invalid``, ``doc_type_not_allowed_for_region``,
        ``phone_invalid``, ``sms_code_invalid``, ``file_missing``,
        ``file_too_large``, ``file_type_unsupported``, ``image_corrupt``); then
        the images are decoded and re-encoded (``image_corrupt``,
        ``image_too_large``); nothing is stored and the code is not spent on an
        error. Then the quotas, then the SMS code (purpose ``appeal``:
        ``sms_code_invalid``, ``sms_code_expired``). The images are stored
        encrypted. Raises ``InvalidInput``, ``RateLimited``, ``Unavailable``.
        Emits ``appeal_submitted``.
        """
        return self._call("submit_person_appeal", locals())

    def start_organization_lookup(
        self, lookup: appeals.OrganizationLookupRequest, client_ip: str
    ) -> appeals.OrganizationLookup:
        """Organisation appeal step 1: the unit's name and its credit code (or
        registration number); the same answer for a known and an unknown unit.
        Every organisation the appeal could be about is kept for the reviewer
        (the one holding the code, and every one with the name). Raises
        ``InvalidInput`` (``required``, ``unit_name_invalid``,
        ``credit_code_required``, ``credit_code_invalid``,
        ``registration_number_invalid``: before the captcha is spent;
        ``captcha_invalid``), ``RateLimited``, ``Unavailable``."""
        return self._call("start_organization_lookup", locals())

    def submit_organization_appeal(
        self, appeal: appeals.OrganizationAppeal, client_ip: str
    ) -> appeals.AppealTicket:
        """Organisation appeal step 2: a contact, a mobile proven by an SMS code
        and three images. Raises ``InvalidInput`` (``lookup_invalid`` for an
        unknown or expired look-up, and the person appeal's codes),
        ``RateLimited``, ``Unavailable``. Emits ``appeal_submitted``."""
        return self._call("submit_organization_appeal", locals())

    def get_appeal_status(
        self, appeal_id: str, ticket: str | None
    ) -> appeals.AppealStatus:
        """The appeal as its appellant sees it; ``reason`` on a rejection. Raises
        ``NotFound`` (``appeal_not_found``) for an unknown id, a wrong ticket and
        no ticket alike."""
        return self._call("get_appeal_status", locals())

    def list_review_cases(
        self, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> ReviewCaseList:
        """Appeals for reviewers, oldest first; by default ``submitted``.
        Raises ``InvalidInput`` (``status_invalid``, ``limit_invalid``)."""
        return self._call("list_review_cases", locals())

    def get_review_case(
        self, case_id: str, reviewer_id: str
    ) -> appeal_review.AppealReviewCase:
        """One appeal as the reviewer ``reviewer_id`` opens it: the claimed data
        (masked by ``contracts.masking``), ``matched_account`` (or null), an
        organisation appeal's ``candidates``, ``differences``, the images as data
        URLs, the ``history`` (every state change, oldest first), the decisions
        and the ``views``. Every view is audited (who, when, the request's
        correlation id) in the transaction that reads the images, so a refused
        view records nothing. Raises ``InvalidInput`` (``reviewer_required``),
        ``NotFound`` (``case_not_found``)."""
        return self._call("get_review_case", locals())

    def decide_review_case(
        self,
        case_id: str,
        decision: MaybeText,
        reason: MaybeText,
        reviewer_id: str,
        account_id: MaybeText = None,
    ) -> appeal_review.DecidedAppeal:
        """Approve or reject a ``submitted`` appeal, audited. Approval sets a
        temporary password (the platform's temporary-password lifetime, must be
        changed) and the appeal's phone as the reserved phone at accounts, and
        sends the login name and password by SMS, durably and once; rejection
        sends the reason. ``account_id`` names the approved account among the
        appeal's candidates: required when it has more than one (and for an
        organisation appeal stored before candidates were kept), implied when it
        has one; a rejection ignores it. Raises ``InvalidInput``
        (``decision_invalid``, ``reason_required``, ``reason_too_long``, every
        error at once; ``candidate_required``, ``candidate_invalid``),
        ``NotFound`` (``case_not_found``), ``Conflict`` (``case_closed``,
        ``no_matching_account``). Emits ``appeal_approved`` (with the approved
        account) or ``appeal_rejected``."""
        return self._call("decide_review_case", locals())
