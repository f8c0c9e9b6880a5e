"""Field rules that several use cases share: a login name, a new password, an
identity document and its validity, the agreement, an account id.

Each adds its problems to a :class:`FieldErrors` (so a request gets every error at
once) and returns the cleaned value, or None when the field is not valid.
"""

from __future__ import annotations

import uuid
from datetime import date

from contracts.errors import InvalidInput, NotFound

from accounts import documents, passwords
from accounts import validation as v
from accounts.documents import IdentityRuleError
from accounts.repository import Duplicate
from accounts.validation import FieldErrors, single


def as_dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def account_key(value: object) -> uuid.UUID:
    """The account id as a UUID; a malformed id is an unknown account."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("account_not_found", "No such account.") from None


def login_name(data: dict, errors: FieldErrors) -> str | None:
    value = data.get("login_name")
    if value is None or value == "":
        errors.add("login_name", "required", "This field is required")
        return None
    problem = passwords.login_name_problem(value)
    if problem:
        errors.add("login_name", *problem)
        return None
    return value


def new_password(
    data: dict,
    errors: FieldErrors,
    login_name: str | None,
    field_name: str = "password",
    confirmation: str = "password_confirmation",
    confirmation_required: bool = True,
) -> str | None:
    """A password the user chooses: the password rule, and the repeated copy."""
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


def document(data: dict, errors: FieldErrors, today: date) -> documents.Document | None:
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


def validity(data: dict, errors: FieldErrors, today: date) -> dict | None:
    """A document's validity period: from, to (or long-term), not expired."""
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


def agreement(data: dict, errors: FieldErrors, current: str) -> str | None:
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


def duplicate_error(
    duplicate: Duplicate, code_field: str = "credit_code"
) -> InvalidInput:
    """The field error for a unique key the database refused (a race lost)."""
    if duplicate.field == "login_name":
        return single("login_name", "login_name_taken", "This login name is taken")
    if duplicate.field == "doc_number":
        return single(
            "doc_number", "document_registered", "This document is already registered"
        )
    code = f"{code_field}_registered"
    return single(code_field, code, "This organisation is already registered")
