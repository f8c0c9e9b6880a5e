"""Field rules that several use cases share, beyond a field's shape: a new
password, an identity document and its validity, the agreement, an account id.

The shape of each field was checked by the request's model (``contracts.accounts``).
Each rule here adds its problems to a :class:`FieldErrors` (so a request gets every
domain error at once) and returns the cleaned value, or None when it is not valid.
"""

from __future__ import annotations

import uuid
from datetime import date

from contracts.accounts.fields import LoginName
from contracts.errors import InvalidInput, NotFound
from contracts.models import field_errors, invalid
from pydantic import TypeAdapter, ValidationError

from accounts import documents, passwords
from accounts.documents import IdentityRuleError
from accounts.duplicates import Duplicate
from accounts.validation import FieldErrors, single

_LOGIN_NAME = TypeAdapter(LoginName)


def account_key(value: object) -> uuid.UUID:
    """The account id as a UUID; a malformed id is an unknown account."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("account_not_found", "No such account.") from None


def login_name(value: object) -> str:
    """``value`` as a login name (the contract's ``LoginName``), for a use case
    called without the entrypoint's check; raises ``InvalidInput`` on
    ``login_name`` (``required``, ``login_name_invalid``)."""
    try:
        return _LOGIN_NAME.validate_python(value)
    except ValidationError as exc:
        raise invalid(field_errors(exc, root="login_name")) from None


def new_password(
    password: str,
    confirmation: str | None,
    errors: FieldErrors,
    login_name: str | None,
    field_name: str = "password",
    confirmation_name: str = "password_confirmation",
) -> str | None:
    """A password the user chooses: the password rule, and the repeated copy
    when one was sent."""
    problems = passwords.password_problems(password, login_name)
    if problems:
        errors.add(
            field_name,
            "password_too_weak",
            "; ".join(passwords.PROBLEM_MESSAGES[p] for p in problems),
        )
    if confirmation is not None and confirmation != password:
        errors.add(confirmation_name, "password_mismatch", "The passwords do not match")
        return None
    return None if problems else password


def document(
    identity_region: str,
    doc_type: str,
    doc_number: str,
    errors: FieldErrors,
    today: date,
) -> documents.Document | None:
    """A document type offered for the region, and its number by the rules of
    its type (check characters, birth date, prefixes)."""
    problems = documents.check_region_and_type(identity_region, doc_type)
    for name, code, message in problems:
        errors.add(name, code, message)
    if problems:
        return None
    try:
        return documents.parse_document(identity_region, doc_type, doc_number, today)
    except IdentityRuleError as exc:
        errors.add("doc_number", exc.code, exc.message)
        return None


def validity(
    valid_from: date,
    valid_to: date | None,
    long_term: bool,
    errors: FieldErrors,
    today: date,
) -> bool:
    """A document's validity period: from, to (or long-term), not expired."""
    complete = valid_to is not None or long_term
    if not complete:
        errors.add("doc_valid_to", "required", "This field is required")
    if valid_from > today:
        errors.add("doc_valid_from", "doc_valid_from_invalid", "Not a future date")
        return False
    if long_term and valid_to is not None:
        errors.add(
            "doc_valid_to",
            "doc_valid_to_invalid",
            "Leave empty for a long-term document",
        )
        return False
    if valid_to is not None and valid_to <= valid_from:
        errors.add("doc_valid_to", "doc_valid_to_invalid", "Must be after the start")
        return False
    if valid_to is not None and valid_to < today:
        errors.add("doc_valid_to", "doc_expired", "The document has expired")
        return False
    return complete


def organization_code(
    region: str,
    credit_code: str | None,
    registration_number: str | None,
    errors: FieldErrors,
) -> tuple[str, str | None]:
    """``(field name, code)``: the credit code of a ``domestic`` organisation or
    the registration number of the others, checked; the code is None when it is
    missing or not valid."""
    code_field = "credit_code" if region == "domestic" else "registration_number"
    raw = credit_code if code_field == "credit_code" else registration_number
    if raw is None:
        errors.add(code_field, "required", "This field is required")
        return code_field, None
    try:
        if code_field == "credit_code":
            return code_field, documents.check_credit_code(raw)
        return code_field, documents.check_registration_number(raw)
    except IdentityRuleError as exc:
        errors.add(code_field, exc.code, exc.message)
        return code_field, None


def organization_person(
    person, parent: FieldErrors, block: str, today: date
) -> documents.Document | None:
    """The legal representative's or main agent's document and its validity
    (``person``: an ``OrganizationPersonInput``), errors named ``block.field``."""
    errors = parent.nested(block)
    found = document(
        person.identity_region, person.doc_type, person.doc_number, errors, today
    )
    valid = validity(
        person.doc_valid_from, person.doc_valid_to, person.doc_long_term, errors, today
    )
    return found if valid else None


def agreement(
    version: str | None, accepted: bool | None, errors: FieldErrors, current: str
) -> str | None:
    if accepted is False or not version:
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


TAKEN = {
    "login_name": ("login_name_taken", "This login name is taken"),
    "doc_number": ("document_registered", "This document is already registered"),
    "credit_code": (
        "credit_code_registered",
        "This organisation is already registered",
    ),
    "registration_number": (
        "registration_number_registered",
        "This organisation is already registered",
    ),
}
"""The field error of each unique key of a registration: ``(code, message)``."""


def duplicate_error(
    duplicate: Duplicate, code_field: str = "credit_code"
) -> InvalidInput:
    """The field error for a unique key the database refused (a race lost)."""
    field = duplicate.field
    if field not in ("login_name", "doc_number"):
        field = code_field
    return single(field, *TAKEN[field])
