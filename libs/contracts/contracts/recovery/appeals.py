"""The messages of recovery's appeals: what a person's or an organisation's appeal,
the organisation look-up before it and the status look-up take and answer.

Shape rules live here (lengths, enums, formats, the document types a region
allows, the image formats by their first bytes) with the codes recovery has always
answered; what needs recovery's state or another service (the SMS code, the
look-up, decoding the images) stays in recovery, after these pass.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from contracts.accounts import DOC_TYPES_BY_REGION
from contracts.accounts.fields import CREDIT_CODE_PATTERN, REGISTRATION_NUMBER_PATTERN
from contracts.models import (
    ErrorCode,
    Model,
    blank_is_missing,
    empty_is_missing,
    rule_error,
)
from contracts.phones import Phone
from contracts.shapes import NOT_BLANK, SpentCaptchaAnswer, SpentCaptchaId

ISO_TIME = {"format": "date-time"}

APPEAL_ID_PREFIX = "apl_"
PERSON_APPEAL_FILES = ("id_front", "id_back")
ORGANIZATION_APPEAL_FILES = ("licence", "id_front", "id_back")
MAX_APPEAL_FILE_BYTES = 1024 * 1024
APPEAL_STATUSES = ("submitted", "approved", "recovered", "rejected")

# the first bytes of the image formats an appeal accepts
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"


# --- field types ---------------------------------------------------------------------


def Trimmed(max_length: int) -> Any:
    """Text trimmed of surrounding spaces, at most ``max_length`` characters; blank
    is ``required``, anything else wrong ``<field>_invalid``."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=max_length),
        BeforeValidator(blank_is_missing),
    ]


def _upload(encoded: str) -> str:
    """An image in base64: JPEG or PNG by its first bytes, at most 1 MB (recovery
    decodes and re-encodes it, and may refuse it then: ``image_corrupt``,
    ``image_too_large``)."""
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise rule_error("image_corrupt", "the file is not base64") from None
    if len(data) > MAX_APPEAL_FILE_BYTES:
        raise rule_error(
            "file_too_large", f"an image may be at most {MAX_APPEAL_FILE_BYTES} bytes"
        )
    if not data.startswith((_JPEG, _PNG)):
        raise rule_error(
            "file_type_unsupported", "only JPEG and PNG images are accepted"
        )
    return encoded


Upload = Annotated[
    str,
    AfterValidator(_upload),
    ErrorCode("file_missing", when_missing=True),
    Field(
        description="The image file's bytes in base64 (the gateway encodes the "
        "multipart file part).",
        examples=[
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgAB"
        ],
    ),
]
SmsCode = Annotated[
    str,
    StringConstraints(pattern=r"^\d{6}$"),
    ErrorCode("sms_code_invalid", when_missing=True),
    Field(description="The 6-digit SMS code (purpose `appeal`).", examples=["123456"]),
]
ProvenPhone = Annotated[
    Phone,
    BeforeValidator(empty_is_missing),
    Field(
        description="The mobile the SMS code was sent to; mainland numbers may omit "
        "+86.",
        examples=["13800138000"],
    ),
]


# --- the appeal and its look-ups -------------------------------------------------------


class PersonAppeal(Model):
    """A natural person's appeal (the multipart form of
    ``POST /recovery/appeals/person``, its files in base64). Every field error
    comes at once, the first one's code on top."""

    first_error_on_top: ClassVar[bool] = True

    name: Annotated[Trimmed(50), Field(examples=["张伟"])]
    identity_region: Annotated[
        Literal["mainland", "hmt", "other"],
        ErrorCode("identity_region_invalid", when_missing=True),
        Field(examples=["mainland"]),
    ]
    doc_type: Annotated[
        str | None,
        ErrorCode("doc_type_not_allowed_for_region", when_missing=True),
        Field(
            description="A document type the identity region allows.",
            examples=["resident_id"],
            validate_default=True,
        ),
    ] = None
    doc_number: Annotated[Trimmed(40), Field(examples=["11010519491231002X"])]
    phone: ProvenPhone
    sms_code: SmsCode
    id_front: Upload
    id_back: Upload

    @field_validator("doc_type", mode="before")
    @classmethod
    def _allowed_in_region(cls, value: Any, info: ValidationInfo) -> Any:
        region = info.data.get("identity_region")
        if region is None:  # the region is refused already: nothing to compare
            return value if isinstance(value, str) else None
        if value not in DOC_TYPES_BY_REGION[region]:
            raise rule_error(
                "doc_type_not_allowed_for_region", "Not a document of this region"
            )
        return value

    def claims(self) -> dict[str, Any]:
        """The claimed fields, without the files."""
        return self.model_dump(exclude=set(PERSON_APPEAL_FILES))

    def uploads(self) -> dict[str, str]:
        """The files by name, in base64."""
        return {name: getattr(self, name) for name in PERSON_APPEAL_FILES}


class OrganizationAppeal(Model):
    """An organisation's appeal, step 2 (the multipart form of
    ``POST /recovery/appeals/organization``, its files in base64)."""

    first_error_on_top: ClassVar[bool] = True

    lookup_id: Annotated[
        str,
        StringConstraints(min_length=1, max_length=64),
        ErrorCode("lookup_invalid", when_missing=True),
        Field(description="From step 1.", examples=["lku_q8Yd0..."]),
    ]
    contact_name: Annotated[Trimmed(50), Field(examples=["李娜"])]
    contact_phone: ProvenPhone
    sms_code: SmsCode
    licence: Upload
    id_front: Upload
    id_back: Upload

    def claims(self) -> dict[str, Any]:
        """The claimed fields, without the files."""
        return self.model_dump(exclude=set(ORGANIZATION_APPEAL_FILES))

    def uploads(self) -> dict[str, str]:
        """The files by name, in base64."""
        return {name: getattr(self, name) for name in ORGANIZATION_APPEAL_FILES}


class OrganizationLookupRequest(Model):
    """``POST /recovery/organization-lookups``: the unit's name, its unified social
    credit code (or, for a unit registered outside the mainland, its registration
    number) and a captcha.

    Neither code: ``credit_code_required``. The code's rule is the
    registration's, applied by accounts before the captcha is spent
    (``credit_code_invalid``, ``registration_number_invalid``); when both are
    given the credit code is used.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["credit_code"]},
                {"required": ["registration_number"]},
            ]
        }
    )
    first_error_on_top: ClassVar[bool] = True

    unit_name: Annotated[
        Trimmed(200),
        Field(
            description="The unit's registered name.",
            json_schema_extra={"minLength": 1, **NOT_BLANK},
            examples=["示例科技有限公司"],
        ),
    ]
    # before credit_code: its rule reads whether this one was given
    registration_number: Annotated[
        Trimmed(64) | None,
        BeforeValidator(blank_is_missing),
        ErrorCode("registration_number_invalid"),
        Field(
            description="A unit registered outside the mainland (`hmt`, `overseas`): "
            "its registration number, instead of a credit code.",
            json_schema_extra={"pattern": REGISTRATION_NUMBER_PATTERN},
            examples=["HK-12345678"],
        ),
    ] = None
    credit_code: Annotated[
        Trimmed(64) | None,
        BeforeValidator(blank_is_missing),
        ErrorCode("credit_code_invalid", when_missing=True),
        Field(
            description="The unit's unified social credit code (GB 32100-2015: 18 "
            "characters, no I, O, S, V or Z, the last a mod-31 check character), "
            "checked as at registration. Required unless `registration_number` is "
            "given.",
            json_schema_extra={"pattern": CREDIT_CODE_PATTERN},
            examples=["91350100M000100Y43"],
            validate_default=True,
        ),
    ] = None
    captcha_id: SpentCaptchaId
    captcha_answer: SpentCaptchaAnswer

    @field_validator("credit_code", mode="after")
    @classmethod
    def _a_code_is_given(cls, value: str | None, info: ValidationInfo) -> str | None:
        # a refused registration number is missing from info.data: already reported
        given = info.data.get("registration_number", "refused")
        if value is None and given is None:
            raise rule_error(
                "credit_code_required",
                "Enter the unit's unified social credit code (or, outside the "
                "mainland, its registration number)",
            )
        return value


class OrganizationLookup(Model):
    lookup_id: str = Field(examples=["lku_q8Yd0..."])
    expires_in: int = Field(description="Seconds the look-up stays valid.")


class AppealTicket(Model):
    """The appeal waits for a reviewer. ``ticket`` is shown once."""

    appeal_id: str = Field(examples=["apl_0123456789abcdef0123456789abcdef"])
    ticket: str = Field(description="Needed to read the status; shown only now.")
    status: Literal["submitted"]


class AppealStatus(Model):
    """An appeal as its appellant sees it (``recovered`` is shown as ``approved``)."""

    appeal_id: str
    status: Literal["submitted", "approved", "rejected"]
    submitted_at: str = Field(json_schema_extra=ISO_TIME)
    decided_at: str | None = Field(json_schema_extra=ISO_TIME)
    reason: str | None = Field(description="The reviewer's, on a rejection.")
