"""The rows of a former system's import file (product.md flow 10): its columns, reading
it, and registration's rules applied to each row.

The file is a UTF-8 CSV with a header row and the columns of :data:`COLUMNS` (empty
where not applicable). Each row goes through registration's rules: the login-name
rule, the document checks of its type (``field_rules.document``), the credit code
(GB 32100), the phone; and the former system's hash must be a form libpass verifies
(``passwords.legacy_hash_problem``). A row that fails is refused with its line
number and reason (:func:`refusal_reason`). What is done with the rows that pass is
``legacy_import``'s job.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from contracts.accounts.fields import (
    DocNumber,
    DocType,
    Email,
    IdentityRegion,
    LoginName,
    MobilePhone,
    Optional,
)
from contracts.errors import InvalidInput
from contracts.models import Model, Text, parse
from pydantic import BeforeValidator, StringConstraints

from accounts import documents, field_rules, passwords, personal_data
from accounts.deps import CHINA, Deps
from accounts.validation import FieldErrors

COLUMNS = (
    "source_system",
    "legacy_id",
    "login_name",
    "account_kind",
    "name",
    "identity_region",
    "doc_type",
    "doc_number",
    "credit_code",
    "phone",
    "email",
    "password_hash",
    "created_at",
)
PERSON_ONLY = ("identity_region", "doc_type", "doc_number")
ORGANIZATION_ONLY = ("credit_code",)
# What an imported organisation is until it says otherwise (my information).
ORGANIZATION_REGION = "domestic"
ORGANIZATION_LEGAL_PERSON_TYPE = "other"


def _created_at(value: Any) -> Any:
    """ISO 8601 date or date-time; without an offset it is China time."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and len(value) == 10:
        value = f"{value}T00:00:00"
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError("A date or date-time, ISO 8601") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


class LegacyRow(Model):
    """One row of the import file, by shape (the rules are checked after)."""

    source_system: Literal["programme_centre", "hgr_approval"]
    legacy_id: Text(64)
    login_name: LoginName
    account_kind: Literal["person", "organization"]
    name: Text(200)
    identity_region: Optional(IdentityRegion) = None
    doc_type: Optional(DocType) = None
    doc_number: Optional(DocNumber) = None
    credit_code: Optional(Text(32)) = None
    phone: MobilePhone
    email: Optional(Email) = None
    password_hash: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    created_at: Annotated[datetime | None, BeforeValidator(_created_at)] = None


@dataclass
class Checked:
    """A row that passed every rule, with what its keys are stored as."""

    line: int
    row: LegacyRow
    canonical_name: str
    document: documents.Document | None = None
    doc_index: str | None = None
    credit_code: str | None = None
    code_index: str | None = None


class FileProblem(Exception):
    """The file cannot be read as an import file (its header, its encoding)."""


# --- reading ---------------------------------------------------------------------------


def read_rows(path) -> Iterator[tuple[int, dict]]:
    """``(line number, row)`` of every data row; raises :class:`FileProblem`."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames or []
        except UnicodeDecodeError as exc:
            raise FileProblem(f"not UTF-8: {exc.reason}") from None
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise FileProblem(f"missing columns: {', '.join(missing)}")
        try:
            for row in reader:
                yield reader.line_num, row
        except UnicodeDecodeError as exc:
            raise FileProblem(
                f"not UTF-8 after line {reader.line_num}: {exc.reason}"
            ) from None


# --- checking one row --------------------------------------------------------------------


def _not_applicable(row: LegacyRow, names: Iterable[str], errors: FieldErrors):
    for name in names:
        if getattr(row, name) is not None:
            errors.add(name, "not_applicable", f"Leave empty for a {row.account_kind}")


def _person_rules(deps: Deps, row: LegacyRow, checked: Checked, errors: FieldErrors):
    _not_applicable(row, ORGANIZATION_ONLY, errors)
    if len(row.name) > 100:
        errors.add("name", "name_invalid", "At most 100 characters")
    given = [row.identity_region, row.doc_type, row.doc_number]
    for name, value in zip(PERSON_ONLY, given, strict=True):
        if value is None:
            errors.add(name, "required", "This field is required")
    if None in given:
        return
    document = field_rules.document(*given, errors, deps.today())
    if document is not None:
        checked.document = document
        checked.doc_index = personal_data.doc_index(
            deps.cipher, document.doc_type, document.number
        )


def _organization_rules(
    deps: Deps, row: LegacyRow, checked: Checked, errors: FieldErrors
):
    _not_applicable(row, PERSON_ONLY, errors)
    if row.credit_code is None:
        errors.add("credit_code", "required", "This field is required")
        return
    try:
        code = documents.check_credit_code(row.credit_code)
    except documents.IdentityRuleError as exc:
        errors.add("credit_code", exc.code, exc.message)
        return
    checked.credit_code = code
    checked.code_index = personal_data.org_code_index(
        deps.cipher, "credit_code", ORGANIZATION_REGION, code
    )


def check_row(deps: Deps, line: int, raw: dict) -> Checked:
    """The row by shape and by registration's rules; raises ``InvalidInput``
    with every field error of the row."""
    row = parse(LegacyRow, {c: raw.get(c) for c in COLUMNS})
    errors = FieldErrors()
    checked = Checked(line, row, passwords.canonical_login_name(row.login_name))
    if row.account_kind == "person":
        _person_rules(deps, row, checked, errors)
    else:
        _organization_rules(deps, row, checked, errors)
    problem = passwords.legacy_hash_problem(row.password_hash)
    if problem:
        errors.add("password_hash", problem, "Not a hash form the platform verifies")
    if row.created_at and row.created_at > deps.clock():
        errors.add("created_at", "created_at_invalid", "Not a future date")
    errors.raise_if_any()
    return checked


def refusal_reason(exc: InvalidInput) -> tuple[str, str]:
    """``(first code, every "field: code" of the error)``."""
    errors = exc.details.get("errors") or [
        {"field": "", "code": exc.error_code, "message": exc.message}
    ]
    detail = "; ".join(f"{e['field']}: {e['code']}" for e in errors)
    return errors[0]["code"], detail
