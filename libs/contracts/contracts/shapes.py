"""What the published JSON Schema of a message states beyond the checks its model
runs itself.

Some rules a schema can state are checked by the receiving service, not by the
model, because the service answers them with its own code and in its own order
(``password_too_weak`` with the other domain errors, 428 ``captcha_required``
before any field error, ``doc_type_not_allowed_for_region``...). Checking them in
the model would change those answers; leaving them out of the schema would make the
document looser than the API. So the model *states* them here, in its JSON Schema,
and the service keeps *checking* them: one place for the documented shape, the
answers callers always got.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from contracts.models import ErrorCode

CAPTCHA_ID: dict[str, Any] = {
    "type": "string",
    "pattern": "^[A-Za-z0-9_-]{16,64}$",
    "description": "The `captcha_id` of `POST /captchas`.",
}
CAPTCHA_ANSWER: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "description": "The characters in the picture; case and spaces do not matter.",
}
SMS_CODE: dict[str, Any] = {"type": "string", "pattern": "^[0-9]{6}$"}
NEW_PASSWORD: dict[str, Any] = {
    "type": "string",
    "minLength": 8,
    "maxLength": 128,
    "description": "At least 8 characters (at most 128), 3 of upper / lower / "
    "digit / symbol, no control characters, not containing the login name, not "
    "a common password (`password_too_weak`).",
}
PHONE: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 32,
    "description": "A mobile number that can receive SMS (libphonenumber's "
    "numbering plan of its region decides); mainland numbers may omit +86, "
    "numbers of other regions are in E.164 (`+852...`). Spaces and `-` are "
    "ignored.",
}


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


NotNullable = Field(json_schema_extra=_no_default)
"""For an optional field whose documented shape is a string: the document states
no ``default: null`` (null is not what a caller should send; the service reads it
as not given)."""

CaptchaIdShape = WithJsonSchema(CAPTCHA_ID)
CaptchaAnswerShape = WithJsonSchema(CAPTCHA_ANSWER)


def _spent_captcha(shape: WithJsonSchema, example: str) -> Any:
    """A captcha field the receiving service spends: anything wrong with it, a
    missing value too, is ``captcha_invalid``."""
    return Annotated[
        str,
        ErrorCode("captcha_invalid", when_missing=True),
        shape,
        NotNullable,
        Field(examples=[example]),
    ]


SpentCaptchaId = _spent_captcha(CaptchaIdShape, "c1d2e3f4g5h6i7j8")
SpentCaptchaAnswer = _spent_captcha(CaptchaAnswerShape, "K7PX")
SmsCodeShape = WithJsonSchema(SMS_CODE)
NewPasswordShape = WithJsonSchema(NEW_PASSWORD)
PhoneShape = WithJsonSchema(PHONE)

NOT_BLANK = {"pattern": r"\S"}
"""Text that holds something besides spaces (blank counts as missing)."""
