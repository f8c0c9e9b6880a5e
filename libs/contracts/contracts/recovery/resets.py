"""The messages of recovery's reset by login name (product.md flow 8, three steps):
what each step takes and answers.

Shape rules live here (lengths, formats) with the codes recovery has always
answered; what needs recovery's state or another service (the reset flow, the SMS
code) stays in recovery, after these pass.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints

from contracts.models import ErrorCode, MaybeText, Model, empty_is_missing
from contracts.shapes import (
    CaptchaAnswerShape,
    CaptchaIdShape,
    NewPasswordShape,
    NotNullable,
    PhoneShape,
    SmsCodeShape,
)

RESET_ID_PREFIX = "rst_"
MAX_LOGIN_NAME_CHARS = 64


class PasswordResetStart(Model):
    """``POST /recovery/password-resets``: a login name and a solved captcha.

    Without a captcha the answer is 428 ``captcha_required`` (not a field error),
    so the model lets the captcha fields be missing and recovery refuses them.
    """

    model_config = ConfigDict(
        json_schema_extra={"required": ["login_name", "captcha_id", "captcha_answer"]}
    )
    first_error_on_top: ClassVar[bool] = True

    login_name: Annotated[
        str,
        StringConstraints(max_length=MAX_LOGIN_NAME_CHARS),
        BeforeValidator(empty_is_missing),
        ErrorCode("login_name_invalid"),
        Field(
            description="Any name up to 64 characters; an unknown one gets the "
            "same answer.",
            json_schema_extra={"minLength": 1},
            examples=["zhang_wei"],
        ),
    ]
    captcha_id: Annotated[
        MaybeText, CaptchaIdShape, NotNullable, Field(examples=["c1d2e3f4g5h6i7j8"])
    ] = None
    captcha_answer: Annotated[
        MaybeText, CaptchaAnswerShape, NotNullable, Field(examples=["K7PX"])
    ] = None


class PasswordResetPhone(Model):
    """``POST /recovery/password-resets/{reset_id}/sms-code``: the reserved phone in
    full. recovery checks it after the flow (404, 410 and 409 come first)."""

    model_config = ConfigDict(json_schema_extra={"required": ["phone"]})

    phone: Annotated[
        MaybeText,
        PhoneShape,
        NotNullable,
        Field(
            description="The account's reserved mobile in full; mainland numbers may "
            "omit +86.",
            examples=["13800138000"],
        ),
    ] = None


class PasswordResetCompletion(Model):
    """``POST /recovery/password-resets/{reset_id}/complete``: the SMS code and the
    new password. recovery checks them after the flow (404, 410 and 409 first)."""

    model_config = ConfigDict(
        json_schema_extra={"required": ["sms_code", "new_password"]}
    )

    sms_code: Annotated[
        MaybeText,
        SmsCodeShape,
        NotNullable,
        Field(description="The 6-digit SMS code.", examples=["123456"]),
    ] = None
    new_password: Annotated[
        MaybeText,
        NewPasswordShape,
        NotNullable,
        Field(
            description="The new password (the registration's rule).",
            examples=["Quiet-Harbor-42"],
        ),
    ] = None


class ResetStarted(Model):
    reset_id: str = Field(examples=["rst_Vd1c8..."])
    masked_phone: str = Field(
        description="The reserved phone, masked.", examples=["18*****141"]
    )
    expires_in: int = Field(description="Seconds the flow stays valid.")


class ResetCodeSent(Model):
    """The code is queued for delivery."""

    expires_in: int = Field(description="Seconds the code stays valid.")
    resend_after: int = Field(description="Seconds before another code may be sent.")
