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
"""

from __future__ import annotations

from typing import TypedDict

from contracts.base import ServiceContract

RESET_ID_PREFIX = "rst_"


class ResetStarted(TypedDict):
    reset_id: str
    masked_phone: str  # 18*****141
    expires_in: int


class ResetCodeSent(TypedDict):
    expires_in: int
    resend_after: int


class RecoveryContract(ServiceContract):
    name = "recovery"
    events = ("password_reset_completed",)

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
