"""Proofs checked at otp for a use case: an SMS code, an image captcha.

otp answers with its own error codes; these turn a refusal into the field error
the user sees (and ``CaptchaRequired`` when no captcha was sent).
"""

from __future__ import annotations

from contracts.errors import CaptchaRequired, InvalidInput

from accounts.deps import Deps
from accounts.validation import single


def verify_sms(
    deps: Deps, phone: str, purpose: str, code: str, field_name: str
) -> None:
    """Spend the SMS code at otp; a refusal becomes a field error of ``field_name``."""
    try:
        deps.otp.verify_sms_code(phone=phone, purpose=purpose, code=code)
    except InvalidInput as exc:
        message = "The SMS code is wrong or has expired"
        tries_left = exc.details.get("tries_left")
        if tries_left is not None:
            message += f" ({tries_left} tries left)"
        code_name = exc.error_code
        if code_name not in ("sms_code_invalid", "sms_code_expired"):
            code_name = "sms_code_invalid"
        raise single(field_name, code_name, message) from None


def check_captcha(deps: Deps, captcha_id: object, captcha_answer: object) -> None:
    """Check and spend the captcha. Raises ``CaptchaRequired`` when none was sent,
    ``InvalidInput`` (``captcha_invalid``) when it is wrong or expired."""
    if (
        not isinstance(captcha_id, str)
        or not isinstance(captcha_answer, str)
        or not (captcha_id and captcha_answer)
    ):
        raise CaptchaRequired("captcha_required", "Solve the image captcha first")
    try:
        deps.otp.check_captcha(captcha_id=captcha_id, answer=captcha_answer)
    except InvalidInput:
        raise single(
            "captcha_answer",
            "captcha_invalid",
            "The captcha answer is wrong or expired",
        ) from None
