"""What callers send accounts: registrations, log-in, profile edits, agents.

The same models are the JSON bodies of the gateway's accounts endpoints: the
gateway reads a body with ``parse(Model, body)`` and the accounts entrypoint reads
the argument again, so a shape error gets the same answer from either.
Shape errors come back together (422 ``validation_failed`` with ``errors``);
the domain rules (password rule and confirmation, a document type allowed for a
region, check characters, the agreement version, uniqueness) are checked by
accounts once the shape is right, and come back together in a second 422.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import ConfigDict, Field, WithJsonSchema

from contracts.accounts.fields import (
    CREDIT_CODE_PATTERN,
    DOCUMENT_RULE,
    ORGANIZATION_CODE_RULE,
    REGISTRATION_NUMBER_PATTERN,
    DocNumber,
    DocType,
    Email,
    Homepage,
    IdentityRegion,
    IsoDate,
    LegalPersonType,
    LoginName,
    MobilePhone,
    Optional,
    OrganizationRegion,
    Password,
    PersonName,
    SmsCode,
    Telephone,
)
from contracts.models import ErrorCode, Model, Secret, Text
from contracts.shapes import (
    NOT_BLANK,
    CaptchaAnswerShape,
    CaptchaIdShape,
    NotNullable,
)

Confirmation = Annotated[
    Secret,
    Field(
        description="The same as `password` (`password_mismatch`).",
        examples=["Zhang-Wei-2024"],
    ),
]
CaptchaId = Annotated[
    str | None, CaptchaIdShape, NotNullable, Field(examples=["c1d2e3f4g5h6i7j8"])
]
CaptchaAnswer = Annotated[
    str | None, CaptchaAnswerShape, NotNullable, Field(examples=["K7PQ"])
]

AgreementVersion = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "minLength": 1}),
    NotNullable,
    Field(
        description="The version of the agreement the user accepted (currently "
        "`2024-01`); missing or not the current one is refused "
        "(`agreement_required`, `agreement_version_outdated`).",
        examples=["2024-01"],
    ),
]
AgreementAccepted = Annotated[
    bool | None,
    Field(
        description="Optional; `false` is refused (`agreement_required`).",
        examples=[True],
    ),
]


class PersonRegistration(Model):
    """``POST /registrations/person`` and ``accounts.register_person``."""

    model_config = ConfigDict(json_schema_extra=DOCUMENT_RULE)

    login_name: LoginName
    password: Password
    password_confirmation: Confirmation
    name: Annotated[PersonName, Field(examples=["张伟"])]
    identity_region: Annotated[IdentityRegion, Field(examples=["mainland"])]
    doc_type: Annotated[
        DocType,
        Field(
            description="mainland: resident_id; hmt: hk_macau_permit, "
            "taiwan_permit, hmt_residence_permit; other: passport, "
            "foreign_permanent_residence.",
            examples=["resident_id"],
        ),
    ]
    doc_number: DocNumber
    phone: MobilePhone
    sms_code: SmsCode
    agreement_version: AgreementVersion = None
    agreement_accepted: AgreementAccepted = None


class OrganizationPersonInput(Model):
    """The legal representative (法定代表人) of an organisation being registered."""

    model_config = ConfigDict(json_schema_extra=DOCUMENT_RULE)

    name: Annotated[PersonName, Field(examples=["李娜"])]
    phone: MobilePhone
    identity_region: Annotated[IdentityRegion, Field(examples=["mainland"])]
    doc_type: Annotated[DocType, Field(examples=["resident_id"])]
    doc_number: DocNumber
    doc_valid_from: IsoDate("doc_valid_from_invalid")
    doc_valid_to: Annotated[
        Optional(IsoDate("doc_valid_to_invalid")),
        Field(description="Required unless `doc_long_term`."),
    ] = None
    doc_long_term: Annotated[bool, Field(description="长期有效.")] = False


class MainAgentInput(OrganizationPersonInput):
    """The main agent (经办人): its mobile, proven by ``sms_code`` (purpose
    ``register_organization``), becomes the organisation's reserved phone."""

    sms_code: SmsCode


class OrganizationRegistration(Model):
    """``POST /registrations/organization`` and ``accounts.register_organization``.

    ``credit_code`` (GB 32100-2015) is required for a ``domestic`` organisation,
    ``registration_number`` for the others; nested field errors are named like
    ``main_agent.doc_number``.
    """

    model_config = ConfigDict(json_schema_extra=ORGANIZATION_CODE_RULE)

    login_name: LoginName
    password: Password
    password_confirmation: Confirmation
    name: Annotated[
        Text(200), Field(json_schema_extra=NOT_BLANK, examples=["测试科技有限公司"])
    ]
    name_en: Annotated[Optional(Text(200)), Field(examples=["Test Tech Co., Ltd."])] = (
        None
    )
    short_name: Annotated[Optional(Text(100)), Field(examples=["测试科技"])] = None
    homepage: Optional(Homepage) = None
    area: Annotated[Optional(Text(100)), Field(examples=["福建省福州市"])] = None
    region: Annotated[OrganizationRegion, Field(examples=["domestic"])]
    legal_person_type: Annotated[LegalPersonType, Field(examples=["enterprise"])]
    credit_code: Annotated[
        Optional(Text(64)),
        Field(
            description="Required when `region` is `domestic`: 18 characters "
            "(GB 32100-2015, no I, O, S, V or Z), the last a mod-31 check "
            "character.",
            json_schema_extra={"pattern": CREDIT_CODE_PATTERN},
            examples=["91350100M000100Y43"],
        ),
    ] = None
    registration_number: Annotated[
        Optional(Text(64)),
        Field(
            description="Required when `region` is `hmt` or `overseas`.",
            json_schema_extra={"pattern": REGISTRATION_NUMBER_PATTERN},
            examples=["HK-12345678"],
        ),
    ] = None
    # A block that is no object is reported as missing, as accounts always did.
    legal_representative: Annotated[OrganizationPersonInput, ErrorCode("required")]
    main_agent: Annotated[MainAgentInput, ErrorCode("required")]
    agreement_version: AgreementVersion = None
    agreement_accepted: AgreementAccepted = None


class DocumentQuery(Model):
    """``POST /documents/check``: is this document registered? The captcha is
    checked (and spent) only once the document is valid."""

    model_config = ConfigDict(
        json_schema_extra={
            **DOCUMENT_RULE,
            "required": [
                "identity_region",
                "doc_type",
                "doc_number",
                "captcha_id",
                "captcha_answer",
            ],
        }
    )

    identity_region: Annotated[IdentityRegion, Field(examples=["mainland"])]
    doc_type: Annotated[DocType, Field(examples=["resident_id"])]
    doc_number: DocNumber
    captcha_id: CaptchaId = None
    captcha_answer: CaptchaAnswer = None


class PasswordCandidate(Model):
    """``POST /password-strength``: a password being typed, never stored."""

    password: Annotated[str, Field(examples=["Zhang-Wei-2024"])]
    login_name: Annotated[str | None, Field(examples=["zhang_wei"])] = None


class Credentials(Model):
    """``POST /sessions``: log in. A missing or malformed name or password is
    answered like a wrong one (401 ``invalid_credentials``)."""

    login_name: Annotated[str | None, Field(examples=["zhang_wei"])] = None
    password: Annotated[str | None, Field(examples=["Zhang-Wei-2024"])] = None
    captcha_id: Annotated[
        CaptchaId, Field(description="When a captcha is required.")
    ] = None
    captcha_answer: CaptchaAnswer = None


class MainAgentCorrection(OrganizationPersonInput):
    """The main agent, corrected after a failed real-name check: as registered,
    with ``sms_code`` (purpose ``change_phone``, sent to the new mobile) required
    only when the mobile changes (it is the organisation's reserved phone)."""

    sms_code: Annotated[
        Optional(SmsCode),
        Field(description="Required when `phone` differs from the stored one."),
    ] = None


CORRECTION_DESCRIPTION = (
    "Only after a failed real-name check (`real_name_status` `failed` or "
    "`rejected`; `field_not_editable` otherwise), with the checks of registration; "
    "a correction starts verification again."
)


class UnlockCodeRequest(Model):
    """``POST /login/unlock-codes``: the owner of a locked login name asks for an
    SMS code (purpose ``login_unlock``) to the reserved phone, given in full.

    The answer is the same 202 whether or not the name exists, is locked or has
    this reserved phone; a code is sent only when the phone is the name's reserved
    phone. Without a captcha the answer is 428 ``captcha_required``.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "required": ["login_name", "phone", "captcha_id", "captcha_answer"]
        }
    )
    first_error_on_top: ClassVar[bool] = True

    login_name: LoginName
    phone: Annotated[
        MobilePhone,
        ErrorCode("phone_invalid", when_missing=True),
        Field(description="The account's reserved phone, in full."),
    ]
    captcha_id: CaptchaId = None
    captcha_answer: CaptchaAnswer = None


class LoginUnlock(Model):
    """``POST /login/unlock``: the code of ``POST /login/unlock-codes`` clears the
    name's failed logins and lock, and lets this client log in to it without the
    name's captcha for the lock's length (15 minutes)."""

    login_name: LoginName
    phone: Annotated[
        MobilePhone,
        ErrorCode("phone_invalid", when_missing=True),
        Field(description="The account's reserved phone, in full."),
    ]
    sms_code: SmsCode


class ProfileChanges(Model):
    """``PATCH /me/profile``: only the fields to change (``null`` or blank clears
    an optional one). Person: ``name, ethnicity, title, email, telephone`` and,
    unless they come from the identity document, ``gender, birth_date``.
    Organisation: ``name, name_en, short_name, homepage, area,
    legal_person_type``. After a failed real-name check (``failed``,
    ``rejected``) the identity may be corrected too, with the checks of
    registration: a person's ``identity_region, doc_type, doc_number``; an
    organisation's ``credit_code`` (domestic) or ``registration_number``, and
    its ``legal_representative`` and ``main_agent`` (whole blocks, as
    registered; a new main agent's mobile is proven by ``main_agent.sms_code``).
    Any other field is refused by accounts (``field_not_editable``), as is a
    field of the other kind of account or a correction in another status.
    """

    # Kept, not ignored: accounts answers ``field_not_editable`` for them.
    model_config = ConfigDict(
        extra="allow", json_schema_extra={"examples": [{"title": "工程师"}]}
    )

    name: Annotated[
        Optional(Text(200)),
        Field(description="A person's at most 100 characters; may not be emptied."),
    ] = None
    ethnicity: Optional(Text(32)) = None
    title: Optional(Text(100)) = None
    email: Optional(Email) = None
    telephone: Optional(Telephone) = None
    gender: Literal["male", "female"] | None = None
    birth_date: Optional(IsoDate("birth_date_invalid")) = None
    name_en: Optional(Text(200)) = None
    short_name: Optional(Text(100)) = None
    homepage: Optional(Homepage) = None
    area: Optional(Text(100)) = None
    legal_person_type: LegalPersonType | None = None
    identity_region: Annotated[
        IdentityRegion | None,
        Field(description=f"A person's. {CORRECTION_DESCRIPTION}"),
    ] = None
    doc_type: Annotated[
        DocType | None,
        Field(
            description="A person's, for the region (sent or stored). "
            + CORRECTION_DESCRIPTION
        ),
    ] = None
    doc_number: Annotated[
        DocNumber | None,
        Field(
            description="A person's, checked against the rules of its type; "
            "`document_registered` when another account uses it. "
            + CORRECTION_DESCRIPTION
        ),
    ] = None
    credit_code: Annotated[
        Optional(Text(64)),
        Field(
            description="A domestic organisation's (GB 32100-2015); "
            "`credit_code_registered` when another account uses it. "
            + CORRECTION_DESCRIPTION,
            json_schema_extra={"pattern": CREDIT_CODE_PATTERN},
        ),
    ] = None
    registration_number: Annotated[
        Optional(Text(64)),
        Field(
            description="An `hmt` or `overseas` organisation's. "
            + CORRECTION_DESCRIPTION,
            json_schema_extra={"pattern": REGISTRATION_NUMBER_PATTERN},
        ),
    ] = None
    legal_representative: Annotated[
        OrganizationPersonInput | None,
        Field(description=f"The whole block. {CORRECTION_DESCRIPTION}"),
    ] = None
    main_agent: Annotated[
        MainAgentCorrection | None,
        Field(description=f"The whole block. {CORRECTION_DESCRIPTION}"),
    ] = None


class PhoneChange(Model):
    """``PUT /me/phone``: the new reserved phone and the code sent to it (purpose
    ``change_phone``)."""

    phone: MobilePhone
    sms_code: SmsCode


class PasswordChange(Model):
    """``PUT /me/password``: every other session of the account ends."""

    current_password: Annotated[Secret, Field(examples=["Old-Pass-2023"])]
    new_password: Password
    new_password_confirmation: Annotated[
        str | None,
        Field(
            description="Optional; when sent it must equal `new_password`.",
            examples=["Zhang-Wei-2024"],
        ),
    ] = None


class AgentDesignation(Model):
    """``POST /me/agents``: the login name of the natural person to designate."""

    login_name: LoginName
