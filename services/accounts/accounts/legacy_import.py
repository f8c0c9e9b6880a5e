"""Importing the accounts of the former systems (product.md flow 10).

``python -m accounts.cli import-legacy FILE [--dry-run]`` reads the file's rows and
checks each by registration's rules (``legacy_rows``: the columns, the rules); a row
that fails is refused with its line number and reason, and nothing of it is stored.

- The same ``source_system`` + ``legacy_id`` again is *already there*: skipped,
  so running a file again changes nothing.
- A login name, document or credit code already in use (by any account, or by an
  earlier row of the file) is a *conflict*: refused and reported, the existing
  account untouched.
- A person's phone becomes its reserved phone, as the former system had it. An
  organisation's is kept (encrypted) as *claimed* only: it was never proven, so
  the organisation proves a phone at its first login (``phone_proof_required``)
  before SMS recovery can reach it. An imported organisation is ``domestic`` (its
  credit code says so) with legal-person type ``other`` until it changes it in my
  information; its legal representative and main agent are not known.
- Every imported account starts verification like a registered one: the
  registration event (``person_registered`` / ``organization_registered``), in
  the same transaction as the account (outbox).

Rows are checked and written in batches of :data:`BATCH` (one look-up per kind
of key, one multi-row insert per table, one transaction): a batch that loses a
unique key to a concurrent registration is rolled back and written row by row.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from contracts.accounts import OrganizationRegistered, PersonRegistered
from contracts.errors import InvalidInput
from servicekit.outbox import outbox_row
from sqlalchemy.exc import IntegrityError

from accounts import passwords, personal_data
from accounts.deps import Deps
from accounts.duplicates import Duplicate
from accounts.legacy_rows import (
    ORGANIZATION_LEGAL_PERSON_TYPE,
    ORGANIZATION_REGION,
    Checked,
    check_row,
    refusal_reason,
)
from accounts.models import accounts, legacy_origins, organizations, outbox, persons

BATCH = 1000

CONFLICTS = {
    "login_name": "login_name_taken",
    "doc_number": "document_registered",
    "credit_code": "credit_code_registered",
}


@dataclass
class Report:
    """What an import did: counts, and one line per refused row."""

    dry_run: bool = False
    imported: int = 0
    already_imported: int = 0
    refused: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def refuse(self, line: int, reason: str, detail: str, conflict=False) -> None:
        self.refused[reason] += 1
        kind = "conflict" if conflict else "refused"
        self.problems.append(f"line {line}: {kind}: {detail}")

    def summary(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "imported": self.imported,
            "already_imported": self.already_imported,
            "refused": sum(self.refused.values()),
            "refused_by_reason": dict(sorted(self.refused.items())),
        }


# --- one batch ---------------------------------------------------------------------------


@dataclass
class Seen:
    """Keys taken by earlier rows of this run (a file may repeat itself)."""

    pairs: set = field(default_factory=set)
    names: set = field(default_factory=set)
    doc_indexes: set = field(default_factory=set)
    code_indexes: set = field(default_factory=set)


@dataclass
class Taken:
    """Keys of a batch already in the database (one query per kind)."""

    pairs: set
    names: set
    doc_indexes: set
    code_indexes: set


def _taken(deps: Deps, batch: list[Checked]) -> Taken:
    repo = deps.repo
    pairs = set()
    for system in {c.row.source_system for c in batch}:
        ids = [c.row.legacy_id for c in batch if c.row.source_system == system]
        pairs |= {(system, i) for i in repo.imported_legacy_ids(system, ids)}
    docs = [c.doc_index for c in batch if c.doc_index]
    codes = [c.code_index for c in batch if c.code_index]
    return Taken(
        pairs=pairs,
        names=repo.taken_login_names([c.canonical_name for c in batch]),
        doc_indexes=repo.registered_document_indexes(docs) if docs else set(),
        code_indexes=repo.registered_code_indexes(codes) if codes else set(),
    )


def _conflict(checked: Checked, taken: Taken, seen: Seen) -> str | None:
    """The field whose value an account (or an earlier row) already uses."""
    keys = (
        ("login_name", checked.canonical_name, taken.names, seen.names),
        ("doc_number", checked.doc_index, taken.doc_indexes, seen.doc_indexes),
        ("credit_code", checked.code_index, taken.code_indexes, seen.code_indexes),
    )
    for name, value, in_database, in_file in keys:
        if value and (value in in_database or value in in_file):
            return name
    return None


def _admitted(
    deps: Deps, batch: list[Checked], seen: Seen, report: Report
) -> list[Checked]:
    """The rows of a batch to write: not imported before, no key in use."""
    taken = _taken(deps, batch)
    admitted = []
    for checked in batch:
        pair = (checked.row.source_system, checked.row.legacy_id)
        if pair in taken.pairs or pair in seen.pairs:
            report.already_imported += 1
            continue
        conflict = _conflict(checked, taken, seen)
        if conflict:
            reason = CONFLICTS[conflict]
            report.refuse(checked.line, reason, f"{conflict}: {reason}", True)
            continue
        seen.pairs.add(pair)
        seen.names.add(checked.canonical_name)
        seen.doc_indexes.add(checked.doc_index)
        seen.code_indexes.add(checked.code_index)
        admitted.append(checked)
    return admitted


def _person_rows(deps: Deps, checked: Checked, account_id: uuid.UUID) -> dict:
    row, document = checked.row, checked.document
    return {
        "account_id": account_id,
        "name": row.name,
        "identity_region": document.identity_region,
        "doc_type": document.doc_type,
        **personal_data.doc_columns(deps.cipher, document.doc_type, document.number),
        "gender": document.gender,
        "birth_date": document.birth_date,
        "email": row.email,
    }


def _organization_row(deps: Deps, checked: Checked, account_id: uuid.UUID) -> dict:
    return {
        "account_id": account_id,
        "name": checked.row.name,
        "region": ORGANIZATION_REGION,
        "legal_person_type": ORGANIZATION_LEGAL_PERSON_TYPE,
        "code_kind": "credit_code",
        "code_enc": deps.cipher.encrypt(checked.credit_code, personal_data.ORG_CODE),
        "code_index": checked.code_index,
    }


def _event(checked: Checked, account_id: uuid.UUID):
    if checked.row.account_kind == "person":
        return PersonRegistered(
            account_id=str(account_id),
            account_kind="person",
            identity_region=checked.document.identity_region,
            doc_type=checked.document.doc_type,
        )
    return OrganizationRegistered(
        account_id=str(account_id),
        account_kind="organization",
        region=ORGANIZATION_REGION,
        legal_person_type=ORGANIZATION_LEGAL_PERSON_TYPE,
    )


def _rows_of(deps: Deps, checked: Checked, now: datetime) -> dict:
    """Every row one imported account is made of, by table (insert order)."""
    row = checked.row
    account_id = uuid.uuid4()
    person = row.account_kind == "person"
    phone = personal_data.phone_columns(deps.cipher, row.phone)
    account = {
        "id": account_id,
        "kind": row.account_kind,
        "login_name": row.login_name,
        "password_hash": passwords.legacy_stored(row.password_hash),
        "role": "user",
        "must_change_password": False,
        "password_changed_at": now,
        "phone_enc": phone["phone_enc"] if person else None,
        "phone_index": phone["phone_index"] if person else None,
        "real_name_status": "pending",
        "real_name_changed_at": now,
        "created_at": row.created_at or now,
        "updated_at": now,
    }
    origin = {
        "account_id": account_id,
        "source_system": row.source_system,
        "legacy_id": row.legacy_id,
        "imported_at": now,
        "claimed_phone_enc": None if person else phone["phone_enc"],
    }
    return {
        accounts: [account],
        persons: [_person_rows(deps, checked, account_id)] if person else [],
        organizations: [] if person else [_organization_row(deps, checked, account_id)],
        legacy_origins: [origin],
        outbox: [outbox_row(_event(checked, account_id), correlation_id=None, now=now)],
    }


def _merge(parts: Iterable[dict]) -> dict:
    merged: dict = {}
    for part in parts:
        for table, values in part.items():
            merged.setdefault(table, []).extend(values)
    return merged


def _write(deps: Deps, admitted: list[Checked], report: Report) -> None:
    """All the batch in one transaction; when a concurrent registration took a
    key meanwhile, row by row (each its own savepoint) instead."""
    now = deps.clock()
    parts = [(c, _rows_of(deps, c, now)) for c in admitted]
    try:
        with deps.repo.transaction():
            deps.repo.add_imported(_merge(p for _, p in parts))
        report.imported += len(parts)
        return
    except (Duplicate, IntegrityError):
        pass
    for checked, rows in parts:
        try:
            with deps.repo.transaction():
                deps.repo.add_imported(rows)
        except Duplicate as duplicate:
            _lost_race(checked, duplicate.field, report)
            continue
        report.imported += 1


def _lost_race(checked: Checked, field_name: str, report: Report) -> None:
    if field_name == "legacy_id":
        report.already_imported += 1
        return
    field_name = "credit_code" if field_name == "code" else field_name
    reason = CONFLICTS[field_name]
    report.refuse(checked.line, reason, f"{field_name}: {reason}", True)


# --- the file ----------------------------------------------------------------------------


def import_rows(
    deps: Deps,
    rows: Iterable[tuple[int, dict]],
    dry_run: bool = False,
    advance: Callable[[int], None] = lambda n: None,
) -> Report:
    """Import ``(line, row)`` pairs (:func:`read_rows`); ``advance(n)`` after
    each batch of ``n`` rows (the progress bar). ``dry_run`` checks everything,
    the database's keys included, and writes nothing."""
    report = Report(dry_run=dry_run)
    seen = Seen()
    batch: list[Checked] = []
    count = 0
    for line, raw in rows:
        count += 1
        try:
            batch.append(check_row(deps, line, raw))
        except InvalidInput as exc:
            code, detail = refusal_reason(exc)
            report.refuse(line, code, detail)
        if count == BATCH:
            _finish_batch(deps, batch, seen, report, dry_run)
            advance(count)
            batch, count = [], 0
    _finish_batch(deps, batch, seen, report, dry_run)
    advance(count)
    return report


def _finish_batch(
    deps: Deps, batch: list[Checked], seen: Seen, report: Report, dry_run: bool
) -> None:
    if not batch:
        return
    with deps.repo.transaction():
        admitted = _admitted(deps, batch, seen, report)
    if dry_run:
        report.imported += len(admitted)
    else:
        _write(deps, admitted, report)
