"""The accounts use cases, as plain functions (no Nameko import).

Each takes its collaborators in a :class:`Deps` (repository, cipher, hasher, otp,
sessions, throttle, outbox writer, settings, clock), so tests can pass real ones
or fakes. Every function's docstring names what it returns and raises; the
contract (``contracts/accounts.py``) is the public version of the same text.

Personal data never reaches a log line or an event: events carry ids and kinds.
"""

from __future__ import annotations

import logging
import secrets
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from contracts.accounts import LEGAL_PERSON_TYPES, ORGANIZATION_REGIONS
from contracts.errors import (
    CaptchaRequired,
    Forbidden,
    InvalidInput,
    Locked,
    NotFound,
    RateLimited,
    Unauthenticated,
    field_error,
)
from contracts.phones import PhoneInvalid, normalize_phone

from accounts import documents, passwords, personal_data
from accounts import validation as v
from accounts.documents import IdentityRuleError
from accounts.repository import Duplicate, Repository
from accounts.throttle import LoginPolicy, LoginThrottle
from accounts.validation import FieldErrors, single

_log = logging.getLogger("accounts.handlers")

# China has one time zone and no daylight saving: "today" for document dates.
CHINA = timezone(timedelta(hours=8), "CST")
DERIVED_FROM_DOCUMENT = ("resident_id", "hmt_residence_permit")


@dataclass(frozen=True)
class Settings:
    agreement_versions: dict[str, str] = field(
        default_factory=lambda: {"person": "2024-01", "organization": "2024-01"}
    )
    login: LoginPolicy = field(default_factory=LoginPolicy)
    temporary_password_hours: int = 72
    appeal_temporary_password_hours: int = 24
    # Flow 7: active agents per organisation, and whether only a verified
    # (real_name_status passed) organisation may designate them.
    agents_per_organization: int = 20
    agents_require_verified_organization: bool = True


@dataclass
class Deps:
    repo: Repository
    cipher: Any  # servicekit.crypto.PersonalDataCipher
    hasher: passwords.PasswordHasher
    otp: Any  # accounts.dependencies.OtpClient (check_captcha, verify_sms_code)
    sessions: Any  # accounts.sessions.SessionStore
    throttle: LoginThrottle
    emit: Callable[[str, dict], str]
    settings: Settings
    clock: Callable[[], datetime]

    def today(self) -> date:
        return self.clock().astimezone(CHINA).date()


# --- shared field rules ----------------------------------------------------------------


def _as_dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _login_name(data: dict, errors: FieldErrors) -> str | None:
    value = data.get("login_name")
    if value is None or value == "":
        errors.add("login_name", "required", "This field is required")
        return None
    problem = passwords.login_name_problem(value)
    if problem:
        errors.add("login_name", *problem)
        return None
    return value


def _new_password(
    data: dict,
    errors: FieldErrors,
    login_name: str | None,
    field_name: str = "password",
    confirmation: str = "password_confirmation",
    confirmation_required: bool = True,
) -> str | None:
    password = v.raw_string(data, field_name, errors)
    if password is None:
        if confirmation_required and data.get(confirmation) in (None, ""):
            errors.add(confirmation, "required", "This field is required")
        return None
    problems = passwords.password_problems(password, login_name)
    if problems:
        errors.add(
            field_name,
            "password_too_weak",
            "; ".join(passwords.PROBLEM_MESSAGES[p] for p in problems),
        )
    repeated = data.get(confirmation)
    if repeated is None and not confirmation_required:
        return None if problems else password
    if repeated != password:
        errors.add(confirmation, "password_mismatch", "The passwords do not match")
        return None
    return None if problems else password


def _document(
    data: dict, errors: FieldErrors, today: date
) -> documents.Document | None:
    """identity_region + doc_type + doc_number, validated together."""
    before = len(errors.errors)
    for name in ("identity_region", "doc_type", "doc_number"):
        if data.get(name) in (None, ""):
            errors.add(name, "required", "This field is required")
    region, doc_type = data.get("identity_region"), data.get("doc_type")
    for name, code, message in documents.check_region_and_type(region, doc_type):
        if data.get(name) not in (None, ""):
            errors.add(name, code, message)
    if len(errors.errors) > before:
        return None
    try:
        return documents.parse_document(region, doc_type, data["doc_number"], today)
    except IdentityRuleError as exc:
        errors.add("doc_number", exc.code, exc.message)
        return None


def _agreement(data: dict, errors: FieldErrors, current: str) -> str | None:
    version = data.get("agreement_version")
    if data.get("agreement_accepted") is False or version in (None, ""):
        errors.add(
            "agreement_version", "agreement_required", "Read and accept the agreement"
        )
        return None
    if version != current:
        errors.add(
            "agreement_version",
            "agreement_version_outdated",
            f"The current agreement is version {current}; read and accept it",
        )
        return None
    return version


def _verify_sms(
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


def _check_captcha(deps: Deps, captcha_id: object, captcha_answer: object) -> None:
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


def _validity(data: dict, errors: FieldErrors, today: date) -> dict | None:
    valid_from = v.a_date(data, "doc_valid_from", errors)
    long_term = data.get("doc_long_term", False)
    if not isinstance(long_term, bool):
        errors.add("doc_long_term", "doc_long_term_invalid", "true or false")
        return None
    valid_to = v.a_date(data, "doc_valid_to", errors, required=not long_term)
    if valid_from and valid_from > today:
        errors.add("doc_valid_from", "doc_valid_from_invalid", "Not a future date")
        return None
    if long_term and valid_to is not None:
        errors.add(
            "doc_valid_to",
            "doc_valid_to_invalid",
            "Leave empty for a long-term document",
        )
        return None
    if valid_to is not None and valid_from is not None and valid_to <= valid_from:
        errors.add("doc_valid_to", "doc_valid_to_invalid", "Must be after the start")
        return None
    if valid_to is not None and valid_to < today:
        errors.add("doc_valid_to", "doc_expired", "The document has expired")
        return None
    if valid_from is None:
        return None
    return {
        "doc_valid_from": valid_from,
        "doc_valid_to": valid_to,
        "doc_long_term": long_term,
    }


def _account_row(
    deps: Deps,
    account_id: uuid.UUID,
    kind: str,
    login_name: str,
    password_hash: str,
    phone: str,
    agreement: str,
    now: datetime,
) -> dict:
    return {
        "id": account_id,
        "kind": kind,
        "login_name": login_name,
        "password_hash": password_hash,
        "role": "user",
        "must_change_password": False,
        "password_changed_at": now,
        **personal_data.phone_columns(deps.cipher, phone),
        # Verification starts by itself on the registration event.
        "real_name_status": "pending",
        "real_name_changed_at": now,
        "agreement_version": agreement,
        "agreement_accepted_at": now,
        "created_at": now,
        "updated_at": now,
    }


def _duplicate_error(
    duplicate: Duplicate, code_field: str = "credit_code"
) -> InvalidInput:
    if duplicate.field == "login_name":
        return single("login_name", "login_name_taken", "This login name is taken")
    if duplicate.field == "doc_number":
        return single(
            "doc_number", "document_registered", "This document is already registered"
        )
    code = f"{code_field}_registered"
    return single(code_field, code, "This organisation is already registered")


# --- the event pipeline canary ----------------------------------------------------------


def send_pipeline_canary(emit, canary_id: str) -> dict:
    """Emit ``pipeline_canary_sent``; ``emit`` writes to the outbox."""
    try:
        canonical = str(uuid.UUID(canary_id))
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput(
            "canary_id_invalid",
            "canary_id must be a UUID",
            {"errors": [field_error("canary_id", "canary_id_invalid", "not a UUID")]},
        ) from None
    emit("pipeline_canary_sent", {"canary_id": canonical})
    return {"canary_id": canonical}


# --- registration ---------------------------------------------------------------------


def register_person(deps: Deps, registration: object) -> dict:
    """Register a natural person (product.md flow 1).

    Returns ``{account_id, kind, login_name, real_name_status, agreement_version}``.
    Raises ``InvalidInput`` with every field error together and creates nothing;
    the SMS code is spent at otp only once everything else is valid. Emits
    ``person_registered``.
    """
    data = _as_dict(registration)
    errors = FieldErrors()
    today = deps.today()
    login_name = _login_name(data, errors)
    password = _new_password(data, errors, login_name)
    name = v.text(data, "name", errors, max_length=100)
    document = _document(data, errors, today)
    phone = v.phone(data, "phone", errors)
    code = v.sms_code(data, "sms_code", errors)
    agreement = _agreement(data, errors, deps.settings.agreement_versions["person"])
    doc_index = (
        personal_data.doc_index(deps.cipher, document.doc_type, document.number)
        if document
        else None
    )
    with deps.repo.transaction():
        if login_name and deps.repo.login_name_taken(login_name):
            errors.add("login_name", "login_name_taken", "This login name is taken")
        if doc_index and deps.repo.person_document_registered(doc_index):
            errors.add(
                "doc_number",
                "document_registered",
                "This document is already registered",
            )
    errors.raise_if_any()

    _verify_sms(deps, phone, "register_person", code, "sms_code")
    password_hash = deps.hasher.hash(password)
    now = deps.clock()
    account_id = uuid.uuid4()
    try:
        with deps.repo.transaction():
            deps.repo.add_account(
                **_account_row(
                    deps,
                    account_id,
                    "person",
                    login_name,
                    password_hash,
                    phone,
                    agreement,
                    now,
                )
            )
            deps.repo.add_person(
                account_id=account_id,
                name=name,
                identity_region=document.identity_region,
                doc_type=document.doc_type,
                **personal_data.doc_columns(
                    deps.cipher, document.doc_type, document.number
                ),
                gender=document.gender,
                birth_date=document.birth_date,
            )
            deps.emit(
                "person_registered",
                {
                    "account_id": str(account_id),
                    "account_kind": "person",
                    "identity_region": document.identity_region,
                    "doc_type": document.doc_type,
                },
            )
    except Duplicate as duplicate:
        raise _duplicate_error(duplicate) from None
    return {
        "account_id": str(account_id),
        "kind": "person",
        "login_name": login_name,
        "real_name_status": "pending",
        "agreement_version": agreement,
    }


def _org_person(
    data: dict, parent: FieldErrors, block: str, today: date, with_sms: bool
) -> dict | None:
    """The legal representative or main agent block, validated."""
    value = data.get(block)
    if not isinstance(value, dict):
        parent.add(block, "required", "This block is required")
        return None
    errors = parent.nested(block)
    before = len(errors.errors)
    name = v.text(value, "name", errors, max_length=100)
    phone = v.phone(value, "phone", errors)
    code = v.sms_code(value, "sms_code", errors) if with_sms else None
    document = _document(value, errors, today)
    validity = _validity(value, errors, today)
    if len(errors.errors) > before:
        return None
    return {
        "name": name,
        "phone": phone,
        "sms_code": code,
        "document": document,
        **validity,
    }


def register_organization(deps: Deps, registration: object) -> dict:
    """Register an organisation (product.md flow 2).

    The main agent's mobile, proven by its SMS code, becomes the reserved phone.
    Returns ``{account_id, kind, login_name, real_name_status, agreement_version}``.
    Raises ``InvalidInput`` with every field error together (nested fields as
    ``legal_representative.doc_number``) and creates nothing. Emits
    ``organization_registered``.
    """
    data = _as_dict(registration)
    errors = FieldErrors()
    today = deps.today()
    login_name = _login_name(data, errors)
    password = _new_password(data, errors, login_name)
    name = v.text(data, "name", errors, max_length=200)
    region = v.choice(data, "region", ORGANIZATION_REGIONS, errors)
    legal_type = v.choice(data, "legal_person_type", LEGAL_PERSON_TYPES, errors)
    extras = {
        "name_en": v.text(data, "name_en", errors, required=False, max_length=200),
        "short_name": v.text(
            data, "short_name", errors, required=False, max_length=100
        ),
        "homepage": v.homepage(data, "homepage", errors),
        "area": v.text(data, "area", errors, required=False, max_length=100),
    }
    code_field = (
        "credit_code" if region in (None, "domestic") else "registration_number"
    )
    code = None
    if data.get(code_field) in (None, ""):
        errors.add(code_field, "required", "This field is required")
    elif region is not None:
        try:
            if code_field == "credit_code":
                code = documents.check_credit_code(data[code_field])
            else:
                code = documents.check_registration_number(data[code_field])
        except IdentityRuleError as exc:
            errors.add(code_field, exc.code, exc.message)
    legal = _org_person(data, errors, "legal_representative", today, with_sms=False)
    agent = _org_person(data, errors, "main_agent", today, with_sms=True)
    agreement = _agreement(
        data, errors, deps.settings.agreement_versions["organization"]
    )
    code_index = (
        personal_data.org_code_index(deps.cipher, code_field, region, code)
        if code
        else None
    )
    with deps.repo.transaction():
        if login_name and deps.repo.login_name_taken(login_name):
            errors.add("login_name", "login_name_taken", "This login name is taken")
        if code_index and deps.repo.organization_code_registered(code_index):
            errors.add(
                code_field,
                f"{code_field}_registered",
                "This organisation is already registered",
            )
    errors.raise_if_any()

    _verify_sms(
        deps,
        agent["phone"],
        "register_organization",
        agent["sms_code"],
        "main_agent.sms_code",
    )
    password_hash = deps.hasher.hash(password)
    now = deps.clock()
    account_id = uuid.uuid4()
    try:
        with deps.repo.transaction():
            deps.repo.add_account(
                **_account_row(
                    deps,
                    account_id,
                    "organization",
                    login_name,
                    password_hash,
                    agent["phone"],
                    agreement,
                    now,
                )
            )
            deps.repo.add_organization(
                account_id=account_id,
                name=name,
                region=region,
                legal_person_type=legal_type,
                code_kind=code_field,
                code_enc=deps.cipher.encrypt(code, personal_data.ORG_CODE),
                code_index=code_index,
                **extras,
            )
            for role, person in (
                ("legal_representative", legal),
                ("main_agent", agent),
            ):
                doc = person["document"]
                deps.repo.add_organization_person(
                    organization_id=account_id,
                    role=role,
                    name=person["name"],
                    **personal_data.phone_columns(deps.cipher, person["phone"]),
                    identity_region=doc.identity_region,
                    doc_type=doc.doc_type,
                    **personal_data.doc_columns(deps.cipher, doc.doc_type, doc.number),
                    doc_valid_from=person["doc_valid_from"],
                    doc_valid_to=person["doc_valid_to"],
                    doc_long_term=person["doc_long_term"],
                )
            deps.emit(
                "organization_registered",
                {
                    "account_id": str(account_id),
                    "account_kind": "organization",
                    "region": region,
                    "legal_person_type": legal_type,
                },
            )
    except Duplicate as duplicate:
        raise _duplicate_error(duplicate, code_field) from None
    return {
        "account_id": str(account_id),
        "kind": "organization",
        "login_name": login_name,
        "real_name_status": "pending",
        "agreement_version": agreement,
    }


# --- checks ------------------------------------------------------------------------------


def check_login_name(deps: Deps, login_name: object) -> dict:
    """``{login_name, available}``. Raises ``InvalidInput`` (``login_name_invalid``)."""
    problem = passwords.login_name_problem(login_name)
    if problem:
        raise single("login_name", *problem)
    taken = deps.repo.login_name_taken(login_name)  # one read, no transaction
    return {"login_name": login_name, "available": not taken}


def check_document(
    deps: Deps,
    identity_region: object,
    doc_type: object,
    doc_number: object,
    captcha_id: object,
    captcha_answer: object,
) -> dict:
    """``{registered}``: whether a person account already uses this document.

    The document is validated first (``InvalidInput`` without spending the
    captcha); then the captcha is checked and spent (``CaptchaRequired`` when
    missing, ``InvalidInput``/``captcha_invalid`` when wrong).
    """
    errors = FieldErrors()
    document = _document(
        {
            "identity_region": identity_region,
            "doc_type": doc_type,
            "doc_number": doc_number,
        },
        errors,
        deps.today(),
    )
    errors.raise_if_any()
    _check_captcha(deps, captcha_id, captcha_answer)
    index = personal_data.doc_index(deps.cipher, document.doc_type, document.number)
    with deps.repo.transaction():
        return {"registered": deps.repo.person_document_registered(index)}


def rate_password(password: object, login_name: object = None) -> dict:
    """``{strength, acceptable, problems: [{code, message}]}``."""
    if not isinstance(password, str):
        raise single("password", "required", "This field is required")
    name = login_name if isinstance(login_name, str) else None
    return passwords.rate_password(password, name)


# --- log in, sessions -------------------------------------------------------------------


def _invalid_credentials(captcha_next: bool) -> Unauthenticated:
    return Unauthenticated(
        "invalid_credentials",
        "The login name or the password is wrong.",
        {"captcha_required": captcha_next},
    )


def log_in(
    deps: Deps,
    login_name: object,
    password: object,
    client_ip: str | None = None,
    captcha_id: object = None,
    captcha_answer: object = None,
) -> dict:
    """Check the password and open a session.

    Returns ``{token, csrf_token, expires_in, max_age, must_change_password,
    account: {account_id, kind, login_name, role, real_name_status}}``.
    Raises ``Unauthenticated`` (``invalid_credentials``, the same for an unknown
    name, which costs the same hash check), ``CaptchaRequired`` once a name (or
    the client address) has failed often enough, ``InvalidInput``
    (``captcha_invalid``), ``Locked`` (``account_locked``, ``retry_after``),
    ``RateLimited`` (``login_rate_limited``). Emits ``account_locked``.
    """
    if not (
        isinstance(login_name, str)
        and isinstance(password, str)
        and 0 < len(login_name) <= 64
        and 0 < len(password) <= passwords.PASSWORD_MAX
    ):
        # No stored account can match: answer like a wrong password, without
        # counting (there is nothing to guess) or hashing.
        raise _invalid_credentials(False)
    policy = deps.settings.login
    attempt = deps.throttle.begin(login_name, client_ip or "")
    if attempt.locked_for:
        raise Locked(
            "account_locked",
            "Too many failed logins; try again later.",
            {"retry_after": attempt.locked_for},
        )
    if attempt.ip_blocked_for:
        raise RateLimited(
            "login_rate_limited",
            "Too many failed logins from this address; try again later.",
            {"retry_after": attempt.ip_blocked_for},
        )
    if attempt.captcha_required:
        try:
            _check_captcha(deps, captcha_id, captcha_answer)
        except Exception:
            deps.throttle.give_back(login_name)
            raise

    account = deps.repo.find_for_login(login_name)  # one read, no transaction
    if not deps.hasher.verify(account.password_hash if account else None, password):
        locked_now = deps.throttle.failed(login_name, client_ip or "", attempt)
        if locked_now and account is not None:
            with deps.repo.transaction():
                deps.emit(
                    "account_locked",
                    {
                        "account_id": str(account.id),
                        "account_kind": account.kind,
                        "locked_seconds": policy.lock_seconds,
                    },
                )
            _log.warning("account locked after failed logins")
        if attempt.number >= policy.lock_after:
            raise Locked(
                "account_locked",
                "Too many failed logins; try again later.",
                {"retry_after": policy.lock_seconds},
            )
        raise _invalid_credentials(attempt.number >= policy.captcha_after)

    deps.throttle.succeeded(login_name)
    now = deps.clock()
    if (
        account.must_change_password
        and account.temporary_password_expires_at is not None
        and account.temporary_password_expires_at <= now
    ):
        raise Unauthenticated(
            "temporary_password_expired",
            "The temporary password has expired; recover the password again.",
        )
    if deps.hasher.needs_rehash(account.password_hash):
        upgraded = deps.hasher.hash(password)
        with deps.repo.transaction():
            deps.repo.set_password_hash_if_unchanged(
                account.id, account.password_hash, upgraded
            )
    summary = {
        "account_id": str(account.id),
        "kind": account.kind,
        "login_name": account.login_name,
        "role": account.role,
    }
    session = deps.sessions.create(
        {**summary, "must_change_password": account.must_change_password}
    )
    return {
        "token": session["token"],
        "csrf_token": session["csrf_token"],
        "expires_in": session["expires_in"],
        "max_age": session["max_age"],
        "must_change_password": account.must_change_password,
        "account": {**summary, "real_name_status": account.real_name_status},
    }


def resolve_session(deps: Deps, token: object, csrf_token: object = None) -> dict:
    """The live session of ``token``: ``{session_id, account_id, kind, role,
    login_name, must_change_password, csrf_ok}``. Raises ``Unauthenticated``
    (``session_invalid``) for an unknown, ended or expired token."""
    session = deps.sessions.resolve(token, csrf_token)
    if session is None:
        raise Unauthenticated("session_invalid", "Log in again.")
    return {
        "session_id": session["session_id"],
        "account_id": session["account_id"],
        "kind": session["kind"],
        "role": session["role"],
        "login_name": session["login_name"],
        "must_change_password": session["must_change_password"],
        "csrf_ok": session["csrf_ok"],
    }


def log_out(deps: Deps, token: object) -> dict:
    """End the session; ``{ended}`` is false when it had already ended."""
    return {"ended": deps.sessions.end(token)}


# --- my information ---------------------------------------------------------------------


def _account_id(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("account_not_found", "No such account.") from None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _person_profile(deps: Deps, account, person) -> dict:
    c = deps.cipher
    return {
        "name": person.name,
        "gender": person.gender,
        "birth_date": _iso(person.birth_date),
        "ethnicity": person.ethnicity,
        "title": person.title,
        "email": person.email,
        "mobile": personal_data.masked_phone(c, account.phone_enc),
        "telephone": personal_data.masked_telephone(c, person.telephone_enc),
        "identity_region": person.identity_region,
        "doc_type": person.doc_type,
        "doc_number": personal_data.masked_document(c, person.doc_number_enc),
        "derived_from_document": person.doc_type in DERIVED_FROM_DOCUMENT,
    }


def _org_person_view(deps: Deps, row) -> dict | None:
    if row is None:
        return None
    c = deps.cipher
    return {
        "name": row.name,
        "mobile": personal_data.masked_phone(c, row.phone_enc),
        "identity_region": row.identity_region,
        "doc_type": row.doc_type,
        "doc_number": personal_data.masked_document(c, row.doc_number_enc),
        "doc_valid_from": _iso(row.doc_valid_from),
        "doc_valid_to": _iso(row.doc_valid_to),
        "doc_long_term": row.doc_long_term,
    }


def _organization_profile(deps: Deps, account, org, people) -> dict:
    return {
        "name": org.name,
        "name_en": org.name_en,
        "short_name": org.short_name,
        "homepage": org.homepage,
        "region": org.region,
        "legal_person_type": org.legal_person_type,
        "area": org.area,
        "code_kind": org.code_kind,
        "unique_code": personal_data.masked_org_code(deps.cipher, org.code_enc),
        "mobile": personal_data.masked_phone(deps.cipher, account.phone_enc),
        "legal_representative": _org_person_view(
            deps, people.get("legal_representative")
        ),
        "main_agent": _org_person_view(deps, people.get("main_agent")),
    }


def get_me(deps: Deps, account_id: object) -> dict:
    """My information, masked (product.md flow 5): ``{account_id, kind,
    login_name, role, must_change_password, real_name_status, real_name_reason,
    agreement_version, created_at, profile}``. Raises ``NotFound``."""
    key = _account_id(account_id)
    with deps.repo.transaction():
        account = deps.repo.get_account(key)
        if account is None:
            raise NotFound("account_not_found", "No such account.")
        if account.kind == "person":
            profile = _person_profile(deps, account, deps.repo.get_person(key))
        elif account.kind == "organization":
            profile = _organization_profile(
                deps,
                account,
                deps.repo.get_organization(key),
                deps.repo.get_organization_people(key),
            )
        else:
            staff = deps.repo.get_staff_member(key)
            profile = {"name": staff.name if staff else None}
    return {
        "account_id": str(account.id),
        "kind": account.kind,
        "login_name": account.login_name,
        "role": account.role,
        "must_change_password": account.must_change_password,
        "real_name_status": account.real_name_status,
        "real_name_reason": account.real_name_reason,
        "agreement_version": account.agreement_version,
        "created_at": account.created_at.isoformat(),
        "profile": profile,
    }


PERSON_EDITABLE = (
    "name",
    "ethnicity",
    "title",
    "email",
    "telephone",
    "gender",
    "birth_date",
)
PERSON_VERIFIED = ("name",)
ORG_EDITABLE = (
    "name",
    "name_en",
    "short_name",
    "homepage",
    "area",
    "legal_person_type",
)
ORG_VERIFIED = ("name", "legal_person_type")


def _person_changes(deps: Deps, changes: dict, person, errors: FieldErrors) -> dict:
    values: dict[str, Any] = {}
    for name in changes:
        if name not in PERSON_EDITABLE:
            errors.add(name, "field_not_editable", "This field cannot be changed here")
        elif (
            name in ("gender", "birth_date")
            and person.doc_type in DERIVED_FROM_DOCUMENT
        ):
            errors.add(
                name, "field_not_editable", "This comes from the identity document"
            )
    if "name" in changes:
        values["name"] = v.text(changes, "name", errors, max_length=100)
    for name, limit in (("ethnicity", 32), ("title", 100)):
        if name in changes:
            values[name] = v.text(
                changes, name, errors, required=False, max_length=limit
            )
    if "email" in changes:
        values["email"] = v.email(changes, "email", errors)
    if "telephone" in changes:
        number = v.telephone(changes, "telephone", errors)
        values["telephone"] = number
    if "gender" in changes and changes["gender"] is not None:
        values["gender"] = v.choice(changes, "gender", ("male", "female"), errors)
    elif "gender" in changes:
        values["gender"] = None
    if "birth_date" in changes:
        born = v.a_date(changes, "birth_date", errors, required=False)
        if born and not (documents.EARLIEST_BIRTH_DATE <= born <= deps.today()):
            errors.add("birth_date", "birth_date_invalid", "Not a real birth date")
        values["birth_date"] = born
    return values


def _org_changes(changes: dict, errors: FieldErrors) -> dict:
    values: dict[str, Any] = {}
    for name in changes:
        if name not in ORG_EDITABLE:
            errors.add(name, "field_not_editable", "This field cannot be changed here")
    if "name" in changes:
        values["name"] = v.text(changes, "name", errors, max_length=200)
    for name, limit in (("name_en", 200), ("short_name", 100), ("area", 100)):
        if name in changes:
            values[name] = v.text(
                changes, name, errors, required=False, max_length=limit
            )
    if "homepage" in changes:
        values["homepage"] = v.homepage(changes, "homepage", errors)
    if "legal_person_type" in changes:
        values["legal_person_type"] = v.choice(
            changes, "legal_person_type", LEGAL_PERSON_TYPES, errors
        )
    return values


def update_profile(deps: Deps, account_id: object, changes: object) -> dict:
    """Change my information; fields absent from ``changes`` stay as they are.

    Any change emits ``profile_changed {account_id, account_kind, reverify,
    changed_fields}``; changing a verified field (a person's name; an
    organisation's name or legal-person type) also sets ``real_name_status``
    back to ``pending`` with ``reverify`` true, so verification starts again.
    Returns what ``get_me`` returns. Raises
    ``InvalidInput`` (``field_not_editable`` and the field rules), ``NotFound``.
    """
    if not isinstance(changes, dict):
        raise single("", "body_invalid", "Send an object of the fields to change")
    key = _account_id(account_id)
    errors = FieldErrors()
    with deps.repo.transaction():
        account = deps.repo.get_account(key, for_update=True)
        if account is None:
            raise NotFound("account_not_found", "No such account.")
        if account.kind == "person":
            current = deps.repo.get_person(key)
            values = _person_changes(deps, changes, current, errors)
            verified = PERSON_VERIFIED
        elif account.kind == "organization":
            current = deps.repo.get_organization(key)
            values = _org_changes(changes, errors)
            verified = ORG_VERIFIED
        else:
            raise Forbidden(
                "profile_not_editable", "Staff profiles are kept by operators."
            )
        errors.raise_if_any()
        changed = []
        stored: dict[str, Any] = {}
        for name, value in values.items():
            if name == "telephone":
                old = (
                    deps.cipher.decrypt(current.telephone_enc, personal_data.TELEPHONE)
                    if current.telephone_enc
                    else None
                )
                if value != old:
                    changed.append(name)
                    stored["telephone_enc"] = (
                        deps.cipher.encrypt(value, personal_data.TELEPHONE)
                        if value
                        else None
                    )
            elif getattr(current, name) != value:
                changed.append(name)
                stored[name] = value
        now = deps.clock()
        if stored:
            if account.kind == "person":
                deps.repo.update_person(key, **stored)
            else:
                deps.repo.update_organization(key, **stored)
        reverify = any(name in verified for name in changed)
        if changed:
            account_values: dict[str, Any] = {"updated_at": now}
            if reverify:
                account_values.update(
                    real_name_status="pending",
                    real_name_reason=None,
                    real_name_changed_at=now,
                )
            deps.repo.update_account(key, **account_values)
            deps.emit(
                "profile_changed",
                {
                    "account_id": str(key),
                    "account_kind": account.kind,
                    "reverify": reverify,
                    "changed_fields": sorted(changed),
                },
            )
    return get_me(deps, key)


def change_phone(
    deps: Deps, account_id: object, phone: object, sms_code: object
) -> dict:
    """Change the reserved phone (a person's mobile; an organisation's main
    agent's mobile), proven by an SMS code sent to the new phone with purpose
    ``change_phone``.

    The input and the account are checked before the code is spent. Returns what
    ``get_me`` returns. Raises ``InvalidInput`` (``phone_invalid``,
    ``phone_unchanged``, ``sms_code_invalid``, ``sms_code_expired``...),
    ``Forbidden`` (staff), ``NotFound``. Emits ``profile_changed`` (``reverify``
    false: the phone is not checked by the identity authority).
    """
    key = _account_id(account_id)
    errors = FieldErrors()
    data = {"phone": phone, "sms_code": sms_code}
    canonical = v.phone(data, "phone", errors)
    code = v.sms_code(data, "sms_code", errors)
    errors.raise_if_any()
    with deps.repo.transaction():
        account = deps.repo.get_account(key)
    if account is None:
        raise NotFound("account_not_found", "No such account.")
    if account.kind not in ("person", "organization"):
        raise Forbidden("profile_not_editable", "Staff profiles are kept by operators.")
    columns = personal_data.phone_columns(deps.cipher, canonical)
    if account.phone_index == columns["phone_index"]:
        raise single("phone", "phone_unchanged", "This is already your phone")
    _verify_sms(deps, canonical, "change_phone", code, "sms_code")
    now = deps.clock()
    with deps.repo.transaction():
        deps.repo.get_account(key, for_update=True)
        deps.repo.update_account(key, updated_at=now, **columns)
        if account.kind == "organization":
            deps.repo.update_organization_person(key, "main_agent", **columns)
        deps.emit(
            "profile_changed",
            {
                "account_id": str(key),
                "account_kind": account.kind,
                "reverify": False,
                "changed_fields": ["phone"],
            },
        )
    return get_me(deps, key)


def change_password(
    deps: Deps,
    account_id: object,
    session_id: object,
    current_password: object,
    new_password: object,
    new_password_confirmation: object = None,
    client_ip: str | None = None,
) -> dict:
    """Change the password; every other session of the account ends.

    A temporary password (``must_change_password``) is replaced the same way and
    the flag clears. Returns ``{sessions_ended}``. Raises ``InvalidInput``
    (``current_password_wrong``, ``password_too_weak``, ``password_mismatch``,
    ``password_unchanged``), ``Locked`` after too many wrong current passwords
    (the login counters), ``NotFound``. Emits ``password_changed``.
    """
    key = _account_id(account_id)
    with deps.repo.transaction():
        account = deps.repo.get_account(key)
    if account is None:
        raise NotFound("account_not_found", "No such account.")
    errors = FieldErrors()
    data = {
        "current_password": current_password,
        "new_password": new_password,
        "new_password_confirmation": new_password_confirmation,
    }
    current = v.raw_string(data, "current_password", errors)
    new = _new_password(
        data,
        errors,
        account.login_name,
        field_name="new_password",
        confirmation="new_password_confirmation",
        confirmation_required=False,
    )
    errors.raise_if_any()
    attempt = deps.throttle.begin(account.login_name, client_ip or "")
    if attempt.locked_for or attempt.ip_blocked_for:
        raise Locked(
            "account_locked",
            "Too many wrong passwords; try again later.",
            {"retry_after": attempt.locked_for or attempt.ip_blocked_for},
        )
    if not deps.hasher.verify(account.password_hash, current):
        deps.throttle.failed(account.login_name, client_ip or "", attempt)
        raise single(
            "current_password",
            "current_password_wrong",
            "The current password is wrong",
        )
    deps.throttle.succeeded(account.login_name)
    if new == current:
        raise single(
            "new_password", "password_unchanged", "Choose a password you do not use now"
        )
    _store_new_password(deps, key, account.kind, new, "changed")
    # After the commit: a crash here leaves other sessions alive until they expire
    # (at most the idle timeout), never a changed password without the event.
    keep = session_id if isinstance(session_id, str) else None
    ended = deps.sessions.end_all_except(str(key), keep)
    if keep:
        deps.sessions.update(keep, must_change_password=False)
    return {"sessions_ended": ended}


def get_verification_subject(deps: Deps, account_id: object) -> dict:
    """What verification checks, in clear (persons: name and document;
    organisations: name, region, code, legal representative's name). For the
    verification service only: never logged, never in an event. Raises
    ``NotFound`` (``account_not_found``)."""
    key = _account_id(account_id)
    with deps.repo.transaction():
        account = deps.repo.get_account(key)
        if account is None or account.kind not in ("person", "organization"):
            raise NotFound("account_not_found", "No such account.")
        subject = {"account_id": str(key), "account_kind": account.kind}
        if account.kind == "person":
            person = deps.repo.get_person(key)
            subject.update(
                name=person.name,
                identity_region=person.identity_region,
                doc_type=person.doc_type,
                doc_number=deps.cipher.decrypt(
                    person.doc_number_enc, personal_data.DOC_NUMBER
                ),
            )
        else:
            org = deps.repo.get_organization(key)
            legal = deps.repo.get_organization_people(key).get("legal_representative")
            subject.update(
                name=org.name,
                registration_region=org.region,
                credit_code=deps.cipher.decrypt(org.code_enc, personal_data.ORG_CODE),
                legal_representative_name=legal.name if legal else None,
            )
    return subject


# --- verification outcomes --------------------------------------------------------------

OUTCOME_STATUS = {
    "verification_passed": "passed",
    "verification_failed": "failed",
    "verification_review_requested": "manual_review",
}


def apply_verification_outcome(deps: Deps, envelope: dict) -> bool:
    """Keep ``real_name_status`` current from a verification event.

    ``envelope["data"]``: ``{account_id, reason_code?, final?}``; a failed outcome
    with ``final: true`` (a reviewer's rejection) becomes ``rejected``. An outcome
    older than the account's last data change is stale and ignored. True when
    the status changed. Unknown accounts are ignored (logged).
    """
    data = envelope.get("data") or {}
    status = OUTCOME_STATUS[envelope["event_type"]]
    if status == "failed" and data.get("final"):
        status = "rejected"
    reason = data.get("reason_code") or data.get("reason")
    if status == "passed":
        reason = None
    occurred_at = datetime.fromisoformat(envelope["occurred_at"])
    try:
        key = uuid.UUID(str(data.get("account_id")))
    except ValueError:
        _log.warning("verification outcome without a valid account id")
        return False
    applied = deps.repo.set_real_name_status(
        key, status, reason, occurred_at, deps.clock()
    )
    if not applied:
        _log.info(
            "verification outcome not applied (unknown account or stale)",
            extra={"account_id": str(key), "event_type": envelope["event_type"]},
        )
    return applied


# --- agents (代办, product.md flow 7) --------------------------------------------------


def _agent_view(row) -> dict:
    return {
        "person_id": str(row.person_id),
        "login_name": row.login_name,
        "name": personal_data.mask_name(row.name),
        "granted_at": row.granted_at.isoformat(),
    }


def _organization_for_agents(deps: Deps, key: uuid.UUID, for_update: bool = False):
    account = deps.repo.get_account(key, for_update=for_update)
    if account is None:
        raise NotFound("account_not_found", "No such account.")
    if account.kind != "organization":
        raise Forbidden(
            "organization_only", "Only an organisation account designates agents."
        )
    return account


def _agent_not_found() -> InvalidInput:
    # The same answer for no account, an organisation and a staff member: the
    # caller learns only that no natural person has that name.
    return single(
        "login_name", "agent_not_found", "No natural-person account has this name"
    )


def _already_designated() -> InvalidInput:
    return single(
        "login_name",
        "agent_already_designated",
        "This person is already an agent of the organisation",
    )


def designate_agent(deps: Deps, account_id: object, login_name: object) -> dict:
    """The organisation designates the natural person with ``login_name`` as
    its agent (re-activating a revoked designation with a new ``granted_at``).

    Returns ``{agent: {person_id, login_name, name (masked), granted_at}}``.
    Raises ``Forbidden`` (``organization_only``, ``organization_not_verified``),
    ``InvalidInput`` on ``login_name`` (``required``, ``login_name_invalid``,
    ``agent_not_found``, ``agent_already_designated``, ``agent_limit_reached``),
    ``NotFound``. Emits ``agent_designated``.
    """
    key = _account_id(account_id)
    settings = deps.settings
    with deps.repo.transaction():
        # The organisation's row, locked: designations of one organisation run
        # one at a time, so the cap and the "already designated" check hold
        # under races (the primary key would still refuse a duplicate pair).
        org = _organization_for_agents(deps, key, for_update=True)
        now = deps.clock()  # after the lock: one organisation's grants in order
        if (
            settings.agents_require_verified_organization
            and org.real_name_status != "passed"
        ):
            raise Forbidden(
                "organization_not_verified",
                "Pass real-name verification before designating agents.",
            )
        errors = FieldErrors()
        name = _login_name({"login_name": login_name}, errors)
        errors.raise_if_any()
        person = deps.repo.find_person_by_login_name(name)
        if person is None:
            raise _agent_not_found()
        existing = deps.repo.get_agent(key, person.id)
        if existing is not None and existing.revoked_at is None:
            raise _already_designated()
        limit = settings.agents_per_organization
        if deps.repo.count_active_agents(key) >= limit:
            full = single(
                "login_name",
                "agent_limit_reached",
                f"At most {limit} active agents; revoke one first",
            )
            raise InvalidInput(
                full.error_code, full.message, {**full.details, "limit": limit}
            )
        if not deps.repo.grant_agent(key, person.id, now):
            # Unreachable while the lock above is taken; the key decides if not.
            raise _already_designated()
        deps.emit(
            "agent_designated",
            {"organization_id": str(key), "person_id": str(person.id)},
        )
    return {
        "agent": {
            "person_id": str(person.id),
            "login_name": person.login_name,
            "name": personal_data.mask_name(person.name),
            "granted_at": now.isoformat(),
        }
    }


def list_agents(deps: Deps, account_id: object) -> dict:
    """``{items: [{person_id, login_name, name (masked), granted_at}]}``: the
    organisation's active agents, oldest grant first. Raises ``Forbidden``
    (``organization_only``), ``NotFound``."""
    key = _account_id(account_id)
    with deps.repo.transaction():
        _organization_for_agents(deps, key)
        rows = deps.repo.active_agents(key)
    return {"items": [_agent_view(row) for row in rows]}


def revoke_agent(deps: Deps, account_id: object, person_id: object) -> dict:
    """End the organisation's designation of ``person_id`` at once:
    ``{person_id, revoked_at}``. Raises ``Forbidden`` (``organization_only``),
    ``NotFound`` (``agent_not_found``, ``account_not_found``). Emits
    ``agent_revoked``."""
    key = _account_id(account_id)
    now = deps.clock()
    with deps.repo.transaction():
        _organization_for_agents(deps, key)
        try:
            person = uuid.UUID(str(person_id))
        except ValueError:
            person = None
        if person is None or not deps.repo.revoke_agent(key, person, now):
            raise NotFound(
                "agent_not_found", "This person is not an agent of the organisation."
            )
        deps.emit(
            "agent_revoked", {"organization_id": str(key), "person_id": str(person)}
        )
    return {"person_id": str(person), "revoked_at": now.isoformat()}


def list_represented_organizations(deps: Deps, account_id: object) -> dict:
    """``{items: [{organization_id, name, unique_code (masked), granted_at}]}``:
    the organisations the person is an active agent of. Raises ``Forbidden``
    (``person_only``), ``NotFound``."""
    key = _account_id(account_id)
    with deps.repo.transaction():
        account = deps.repo.get_account(key)
        if account is None:
            raise NotFound("account_not_found", "No such account.")
        if account.kind != "person":
            raise Forbidden(
                "person_only", "Only a natural person acts as an organisation's agent."
            )
        rows = deps.repo.represented_organizations(key)
    return {
        "items": [
            {
                "organization_id": str(row.organization_id),
                "name": row.name,
                "unique_code": personal_data.masked_org_code(deps.cipher, row.code_enc),
                "granted_at": row.granted_at.isoformat(),
            }
            for row in rows
        ]
    }


def acts_for(deps: Deps, person_id: object, organization_id: object) -> bool:
    """Whether ``person_id`` is an active agent of ``organization_id`` now (one
    read, nothing cached). False for malformed ids; never raises."""
    try:
        person = uuid.UUID(str(person_id))
        organization = uuid.UUID(str(organization_id))
    except ValueError:
        return False
    return deps.repo.acts_for(person, organization)


# --- recovery (called by the recovery service only) ----------------------------------

# Compared with when an account id is unusable, so an unknown id costs the same query.
_NO_ACCOUNT = uuid.UUID(int=0)
_decoy_ciphertext: list[str] = []


def _decoy_phone(cipher) -> str:
    """A stored-form phone to decrypt when there is none (same work)."""
    if not _decoy_ciphertext:
        _decoy_ciphertext.append(
            personal_data.phone_columns(cipher, "+8613000000000")["phone_enc"]
        )
    return _decoy_ciphertext[0]


def _account_key_or_none(account_id: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(account_id))
    except ValueError:
        return _NO_ACCOUNT


def find_account_for_recovery(deps: Deps, login_name: object) -> dict | None:
    """``{account_id, kind, masked_phone}`` of a person or organisation with a
    reserved phone, or None (unknown name, staff, no phone). Never raises for
    a malformed name: the caller must answer the same either way."""
    # One query and one decrypt whether or not the name exists: recovery's
    # answers must not differ in time between a known and an unknown name.
    name = login_name if isinstance(login_name, str) else ""
    malformed = bool(passwords.login_name_problem(name))
    with deps.repo.transaction():
        row = deps.repo.find_for_recovery("" if malformed else name)
    usable = (
        row is not None and row.kind in ("person", "organization") and row.phone_enc
    )
    masked = personal_data.masked_phone(
        deps.cipher, row.phone_enc if usable else _decoy_phone(deps.cipher)
    )
    if not usable:
        return None
    return {"account_id": str(row.id), "kind": row.kind, "masked_phone": masked}


def reserved_phone_matches(deps: Deps, account_id: object, phone: object) -> bool:
    """Whether ``phone`` is the account's reserved phone (blind index, compared in
    constant time). An unknown account or a malformed phone is False, after the
    same work."""
    try:
        canonical = normalize_phone(phone)  # type: ignore[arg-type]
    except PhoneInvalid:
        canonical = "+8613000000000"
        valid = False
    else:
        valid = True
    offered = deps.cipher.blind_index(canonical, personal_data.PHONE)
    with deps.repo.transaction():
        stored = deps.repo.reserved_phone_index(_account_key_or_none(account_id))
    same = secrets.compare_digest(stored or "", offered)
    return bool(valid and stored and same)


def reset_password(deps: Deps, account_id: object, new_password: object) -> dict:
    """Set a new password chosen by the user (recovery's reset): the password rule
    as at registration, ``must_change_password`` cleared, every session ended.
    Returns ``{sessions_ended}``. Raises ``InvalidInput`` (``password_too_weak``,
    ``required``), ``NotFound`` (``account_not_found``). Emits
    ``password_changed`` (reason ``reset``)."""
    key = _account_id(account_id)
    with deps.repo.transaction():
        account = deps.repo.get_account(key)
    if account is None:
        raise NotFound("account_not_found", "No such account.")
    errors = FieldErrors()
    new = _new_password(
        {"new_password": new_password},
        errors,
        account.login_name,
        field_name="new_password",
        confirmation="new_password_confirmation",
        confirmation_required=False,
    )
    errors.raise_if_any()
    _store_new_password(deps, key, account.kind, new, "reset")
    return {"sessions_ended": deps.sessions.end_all_except(str(key), None)}


def set_temporary_password(
    deps: Deps,
    account_id: object,
    password: object,
    phone: object,
    request_id: object,
    processed: Callable[[str], bool],
) -> dict:
    """An approved appeal: a temporary password (expires in
    ``temporary_password_hours``, must be changed at the next login), the
    appeal's proven phone as the reserved phone, every session ended.

    Applied once per ``request_id``: ``processed(request_id)`` records it in
    the same transaction and says whether this is the first time. Returns
    ``{account_id, login_name, applied}``. Raises ``InvalidInput``
    (``phone_invalid``, ``request_id_invalid``, ``password_too_weak``),
    ``NotFound`` (``account_not_found``). Emits ``password_changed`` (reason
    ``appeal``) when applied."""
    key = _account_id(account_id)
    errors = FieldErrors()
    canonical = v.phone({"phone": phone}, "phone", errors)
    if not isinstance(request_id, str) or not 1 <= len(request_id) <= 64:
        errors.add("request_id", "request_id_invalid", "1 to 64 characters")
    if not isinstance(password, str) or passwords.password_problems(password):
        errors.add("password", "password_too_weak", "not a valid password")
    errors.raise_if_any()
    new_hash = deps.hasher.hash(password)  # type: ignore[arg-type]
    now = deps.clock()
    with deps.repo.transaction():
        account = deps.repo.get_account(key, for_update=True)
        if account is None or account.kind not in ("person", "organization"):
            raise NotFound("account_not_found", "No such account.")
        applied = processed(request_id)  # type: ignore[arg-type]
        if applied:
            deps.repo.update_account(
                key,
                password_hash=new_hash,
                password_changed_at=now,
                must_change_password=True,
                temporary_password_expires_at=now
                + timedelta(hours=deps.settings.appeal_temporary_password_hours),
                updated_at=now,
                **personal_data.phone_columns(deps.cipher, canonical),
            )
            deps.emit(
                "password_changed",
                {
                    "account_id": str(key),
                    "account_kind": account.kind,
                    "reason": "appeal",
                },
            )
    if applied:
        deps.sessions.end_all_except(str(key), None)
    return {
        "account_id": str(key),
        "login_name": account.login_name,
        "applied": applied,
    }


def find_person_for_appeal(
    deps: Deps, doc_type: object, doc_number: object, name: object
) -> dict | None:
    """The person account holding this document (blind index):
    ``{account_id, login_name, name_matches}``, or None. For recovery's
    reviewers: the login name is shown to staff only."""
    if not isinstance(doc_type, str) or not isinstance(doc_number, str):
        return None
    index = personal_data.doc_index(
        deps.cipher, doc_type, documents.normalize(doc_number)
    )
    with deps.repo.transaction():
        row = deps.repo.find_person_by_document(index)
    if row is None:
        return None
    return {
        "account_id": str(row.id),
        "login_name": row.login_name,
        "name_matches": isinstance(name, str) and name.strip() == row.name,
    }


def find_organization_for_appeal(deps: Deps, unit_name: object) -> dict | None:
    """The organisation account registered under exactly this name:
    ``{account_id, login_name}``, or None."""
    if not isinstance(unit_name, str) or not 1 <= len(unit_name.strip()) <= 200:
        return None
    with deps.repo.transaction():
        row = deps.repo.find_organization_by_name(unit_name.strip())
    if row is None:
        return None
    return {"account_id": str(row.id), "login_name": row.login_name}


# --- reviewers (operator CLI) -----------------------------------------------------------


def temporary_password(length: int = 16) -> str:
    """Random, meets the password rule (all four classes)."""
    alphabet = string.ascii_letters + string.digits + "!#%+-=?@"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if not passwords.password_problems(candidate):
            return candidate


def create_reviewer(deps: Deps, login_name: object, name: object) -> dict:
    """Create a reviewer account with a temporary password that must be changed at
    the first login. Returns ``{account_id, login_name, temporary_password,
    expires_at}`` (the password is shown once, to the operator). Raises
    ``InvalidInput`` (``login_name_invalid``, ``login_name_taken``, ``required``)."""
    errors = FieldErrors()
    data = {"login_name": login_name, "name": name}
    login = _login_name(data, errors)
    display = v.text(data, "name", errors, max_length=100)
    errors.raise_if_any()
    password = temporary_password()
    password_hash = deps.hasher.hash(password)
    now = deps.clock()
    expires_at = now + timedelta(hours=deps.settings.temporary_password_hours)
    account_id = uuid.uuid4()
    try:
        with deps.repo.transaction():
            deps.repo.add_account(
                id=account_id,
                kind="staff",
                login_name=login,
                password_hash=password_hash,
                role="reviewer",
                must_change_password=True,
                temporary_password_expires_at=expires_at,
                password_changed_at=now,
                real_name_status="unverified",
                real_name_changed_at=now,
                created_at=now,
                updated_at=now,
            )
            deps.repo.add_staff_member(account_id=account_id, name=display)
    except Duplicate as duplicate:
        raise _duplicate_error(duplicate) from None
    return {
        "account_id": str(account_id),
        "login_name": login,
        "temporary_password": password,
        "expires_at": expires_at.isoformat(),
    }


def _store_new_password(deps: Deps, key, kind: str, new: str, reason: str) -> None:
    """Hash and store a chosen password, with its ``password_changed`` event."""
    new_hash = deps.hasher.hash(new)
    now = deps.clock()
    with deps.repo.transaction():
        deps.repo.update_account(
            key,
            password_hash=new_hash,
            password_changed_at=now,
            must_change_password=False,
            temporary_password_expires_at=None,
            updated_at=now,
        )
        deps.emit(
            "password_changed",
            {"account_id": str(key), "account_kind": kind, "reason": reason},
        )
