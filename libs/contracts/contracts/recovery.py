"""Contract of the ``recovery`` service: password resets and appeals.

The reset by login name is three steps, in order and once, within
``RESET_TTL_SECONDS`` (15 minutes). Out of order or replayed: ``Conflict``
(``reset_step_not_allowed``); expired: ``Gone`` (``reset_expired``); dead after
``RESET_MAX_ATTEMPTS`` wrong phones or codes: ``Gone`` (``reset_failed``); unknown
id: ``NotFound`` (``reset_not_found``). Every step counts against quotas per
client address and per login name or phone (``RateLimited``,
``recovery_rate_limited``). An unknown login name gets the same answers as a known
one and no SMS is ever sent for it.

Events (source ``recovery``; ids only, never personal data):

``password_reset_completed``  ``{reset_id, account_id}``
``appeal_submitted``          ``{appeal_id, kind}``
``appeal_approved``           ``{appeal_id, kind, account_id}``
``appeal_rejected``           ``{appeal_id, kind}``

Appeals are review cases with ids prefixed ``apl_`` (``APPEAL_ID_PREFIX``); the
gateway routes them here by that prefix. ``list_review_cases``,
``get_review_case`` and ``decide_review_case`` answer the same shapes as
verification's, with ``kind: "appeal"``.
"""

from __future__ import annotations

from typing import TypedDict

from contracts.base import ServiceContract

RESET_ID_PREFIX = "rst_"
APPEAL_ID_PREFIX = "apl_"
PERSON_APPEAL_FILES = ("id_front", "id_back")
ORGANIZATION_APPEAL_FILES = ("licence", "id_front", "id_back")
MAX_APPEAL_FILE_BYTES = 1024 * 1024
APPEAL_STATUSES = ("submitted", "approved", "recovered", "rejected")


class ResetStarted(TypedDict):
    reset_id: str
    masked_phone: str  # 18*****141
    expires_in: int


class ResetCodeSent(TypedDict):
    expires_in: int
    resend_after: int


class RecoveryContract(ServiceContract):
    name = "recovery"
    events = (
        "password_reset_completed",
        "appeal_submitted",
        "appeal_approved",
        "appeal_rejected",
    )

    def start_password_reset(
        self, login_name: str, captcha_id: str, captcha_answer: str, client_ip: str
    ) -> ResetStarted:
        """Step 1: the login name and a captcha make a reset flow.

        For an unknown login name the flow's masked phone is made from a keyed
        hash of the name (the same every time). Raises ``InvalidInput``
        (``required``, ``login_name_invalid``, ``captcha_invalid``),
        ``CaptchaRequired``, ``RateLimited``, ``Unavailable``.
        """
        raise NotImplementedError

    def send_reset_code(
        self, reset_id: str, phone: str, client_ip: str
    ) -> ResetCodeSent:
        """Step 2: the reserved phone in full; if it matches, otp sends a code
        (purpose ``password_reset``). A wrong phone spends an attempt:
        ``InvalidInput`` (``phone_mismatch``, ``details["attempts_left"]``).
        Also ``InvalidInput`` (``required``, ``phone_invalid``), ``NotFound``,
        ``Gone``, ``Conflict``, ``RateLimited``, ``Unavailable``.
        """
        raise NotImplementedError

    def complete_password_reset(
        self, reset_id: str, sms_code: str, new_password: str, client_ip: str
    ) -> None:
        """Step 3: the code and a new password (the registration rule) set the
        password and end every session of the account. A weak password spends
        nothing (``InvalidInput``, ``password_too_weak``); a wrong code spends an
        attempt (``sms_code_invalid`` / ``sms_code_expired`` with
        ``attempts_left``). Also ``NotFound``, ``Gone``, ``Conflict``,
        ``RateLimited``, ``Unavailable``. Emits ``password_reset_completed``.
        """
        raise NotImplementedError

    def submit_person_appeal(self, appeal: dict, files: dict, client_ip: str) -> dict:
        """A natural person's appeal: ``{appeal_id, ticket, status}``.

        ``appeal``: ``name, identity_region, doc_type, doc_number, phone,
        sms_code`` (purpose ``appeal``); ``files``: ``id_front``, ``id_back`` in
        base64 (JPEG or PNG by content, at most 1 MB, re-encoded and stored
        encrypted). Every field is checked before the code is spent and nothing
        is stored on an error. Raises ``InvalidInput`` (``required``,
        ``identity_region_invalid``, ``doc_type_not_allowed_for_region``,
        ``phone_invalid``, ``sms_code_invalid``, ``sms_code_expired``,
        ``file_missing``, ``unexpected_file``, ``file_too_large``,
        ``file_type_unsupported``, ``image_corrupt``, ``image_too_large``),
        ``RateLimited``, ``Unavailable``. Emits ``appeal_submitted``.
        """
        raise NotImplementedError

    def start_organization_lookup(
        self, unit_name: str, captcha_id: str, captcha_answer: str, client_ip: str
    ) -> dict:
        """Organisation appeal step 1: ``{lookup_id, expires_in}``, the same for
        a known and an unknown unit name. Raises ``InvalidInput``
        (``required``, ``unit_name_invalid``, ``captcha_invalid``),
        ``RateLimited``, ``Unavailable``."""
        raise NotImplementedError

    def submit_organization_appeal(
        self, appeal: dict, files: dict, client_ip: str
    ) -> dict:
        """Organisation appeal step 2: ``{appeal_id, ticket, status}``.
        ``appeal``: ``lookup_id, contact_name, contact_phone, sms_code``;
        ``files``: ``licence, id_front, id_back``. Raises ``InvalidInput``
        (``lookup_invalid`` and the person appeal's codes), ``RateLimited``,
        ``Unavailable``. Emits ``appeal_submitted``."""
        raise NotImplementedError

    def get_appeal_status(self, appeal_id: str, ticket: str) -> dict:
        """``{appeal_id, status, submitted_at, decided_at, reason}``; ``status``
        is ``submitted``, ``approved`` or ``rejected`` (with the reviewer's
        reason). Raises ``NotFound`` (``appeal_not_found``) for an unknown id
        and a wrong ticket alike."""
        raise NotImplementedError

    def list_review_cases(
        self, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict:
        """Appeals for reviewers, oldest first; by default ``submitted``.
        Raises ``InvalidInput`` (``status_invalid``, ``limit_invalid``)."""
        raise NotImplementedError

    def get_review_case(self, case_id: str) -> dict:
        """One appeal: the claimed data (masked by ``contracts.masking``),
        ``matched_account`` (``{account_id, login_name}`` or null),
        ``differences``, the images as data URLs, the ``history`` (every state
        change: ``{status, trigger, at}``, oldest first) and the decisions. Raises
        ``NotFound`` (``case_not_found``)."""
        raise NotImplementedError

    def decide_review_case(
        self, case_id: str, decision: str, reason: str, reviewer_id: str
    ) -> dict:
        """Approve or reject a ``submitted`` appeal, audited. Approval sets a
        temporary password (24 hours, must be changed) and the appeal's phone as
        the reserved phone at accounts, and sends the login name and password by
        SMS, durably and once; rejection sends the reason. Raises
        ``InvalidInput`` (``decision_invalid``, ``reason_required``),
        ``NotFound`` (``case_not_found``), ``Conflict`` (``case_closed``,
        ``no_matching_account``). Emits ``appeal_approved`` or
        ``appeal_rejected``."""
        raise NotImplementedError
