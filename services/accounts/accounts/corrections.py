"""Correcting the identity after a failed real-name check (issue 12, finding 9).

A typo in a document number used to be final: once the identity authority said
no, the fields it checked could not be changed. Now, while ``real_name_status`` is
``failed`` or ``rejected`` (and only then: a ``pending`` or ``passed`` identity
stays as it is, and ``manual_review`` waits for the reviewer), the owner may
correct what registration took:

- a person: ``identity_region``, ``doc_type``, ``doc_number`` (the region and
  type default to the stored ones; gender and birth date follow a resident ID);
- an organisation: its ``credit_code`` (domestic) or ``registration_number``, its
  ``legal_representative`` and its ``main_agent`` (whole blocks, as registered).

Registration's rules apply, from the same functions (``field_rules``), in
registration's order: every rule that reveals nothing stored, then the SMS proof
where a phone changes (the main agent's mobile is the reserved phone: a code of
purpose ``change_phone`` sent to the new one, as ``profile.change_phone``), then
uniqueness, answered with registration's field errors. Each correction that
reaches the uniqueness check counts against ``IDENTITY_CORRECTIONS_PER_DAY`` per
account, so an account that failed its check is no free oracle of who is
registered (finding 1). A correction is a change of verified data:
``profile_changed`` with ``reverify`` restarts verification.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from contracts.accounts import ProfileChanges

from accounts import documents, field_rules, personal_data, target_quotas
from accounts.deps import Deps
from accounts.duplicates import Duplicate
from accounts.otp_checks import verify_sms
from accounts.validation import FieldErrors

CORRECTABLE_STATUSES = frozenset({"failed", "rejected"})
PERSON_CORRECTABLE = ("identity_region", "doc_type", "doc_number")
ORG_CORRECTABLE = (
    "credit_code",
    "registration_number",
    "legal_representative",
    "main_agent",
)
CORRECTABLE = {"person": PERSON_CORRECTABLE, "organization": ORG_CORRECTABLE}
NOT_NOW = "This can be corrected only after a failed real-name verification"

_QUOTA_WINDOW = 86_400


@dataclass
class Correction:
    """What a valid correction writes: ``changed`` names the fields (never
    values); the columns per table; the SMS proof and the unique key to check."""

    changed: list[str] = field(default_factory=list)
    person: dict[str, Any] = field(default_factory=dict)
    organization: dict[str, Any] = field(default_factory=dict)
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    account: dict[str, Any] = field(default_factory=dict)
    sms: tuple[str, str, str] | None = None  # (phone, code, field name)
    unique: tuple[str, Any] | None = None  # (field name, "is it taken?")


def allowed(kind: str, status: str) -> tuple[str, ...]:
    """The identity fields an account of ``kind`` may correct in ``status``."""
    return CORRECTABLE.get(kind, ()) if status in CORRECTABLE_STATUSES else ()


def sent(changes: ProfileChanges, kind: str) -> list[str]:
    """The identity fields of ``kind`` in ``changes``."""
    return [name for name in changes.dump() if name in CORRECTABLE.get(kind, ())]


def _required(changes: ProfileChanges, names: list[str], errors: FieldErrors):
    for name in names:
        if getattr(changes, name) is None:
            errors.add(name, "required", "This field is required")


def person(
    deps: Deps, changes: ProfileChanges, names: list[str], current, errors
) -> Correction | None:
    """A person's document, corrected; None when nothing is sent or a rule
    failed (``errors``)."""
    if not names:
        return None
    _required(changes, names, errors)
    if any(getattr(changes, name) is None for name in names):
        return None
    number = changes.doc_number
    if "doc_number" not in names:
        number = deps.cipher.decrypt(current.doc_number_enc, personal_data.DOC_NUMBER)
    document = field_rules.document(
        changes.identity_region or current.identity_region,
        changes.doc_type or current.doc_type,
        number,
        errors,
        deps.today(),
    )
    if document is None or errors:
        return None
    columns = {
        "identity_region": document.identity_region,
        "doc_type": document.doc_type,
        **personal_data.doc_columns(deps.cipher, document.doc_type, document.number),
    }
    if document.doc_type in documents.DERIVED_FROM_DOCUMENT:
        columns.update(gender=document.gender, birth_date=document.birth_date)
    index = columns["doc_number_index"]
    correction = Correction(person=columns)
    correction.changed = [
        name
        for name, old, new in (
            ("identity_region", current.identity_region, document.identity_region),
            ("doc_type", current.doc_type, document.doc_type),
            ("doc_number", current.doc_number_index, index),
        )
        if old != new
    ]
    if current.doc_number_index != index:
        correction.unique = (
            "doc_number",
            lambda: deps.repo.person_document_registered(index),
        )
    return correction


def _block_changed(columns: dict, stored) -> bool:
    """Whether a legal representative's or main agent's stored row differs
    (encrypted values compare by their blind index)."""
    if stored is None:
        return True
    return any(
        getattr(stored, name) != value
        for name, value in columns.items()
        if not name.endswith("_enc")
    )


def _org_block(deps, changes, role, people, errors, correction) -> None:
    block = getattr(changes, role)
    doc = field_rules.organization_person(block, errors, role, deps.today())
    if doc is None:
        return
    columns = personal_data.org_person_columns(deps.cipher, block, doc)
    stored = people.get(role)
    if not _block_changed(columns, stored):
        return
    correction.changed.append(role)
    correction.people[role] = columns
    if role != "main_agent" or (
        stored is not None and stored.phone_index == columns["phone_index"]
    ):
        return
    # the main agent's mobile is the reserved phone: proven like a phone change
    correction.changed.append("phone")
    correction.account = personal_data.phone_columns(deps.cipher, block.phone)
    if block.sms_code is None:
        errors.add("main_agent.sms_code", "required", "Prove the new mobile")
    else:
        correction.sms = (block.phone, block.sms_code, "main_agent.sms_code")


def organization(
    deps: Deps, changes: ProfileChanges, names: list[str], org, people, errors
) -> Correction | None:
    """An organisation's code and people, corrected; None when nothing is sent
    or a rule failed (``errors``)."""
    if not names:
        return None
    correction = Correction()
    code_fields = [n for n in names if n in ("credit_code", "registration_number")]
    for name in code_fields:
        if name != org.code_kind:
            errors.add(
                name,
                "field_not_editable",
                f"This organisation is identified by its {org.code_kind}",
            )
    if org.code_kind in code_fields:
        code_field, code = field_rules.organization_code(
            org.region, changes.credit_code, changes.registration_number, errors
        )
        if code is not None:
            index = personal_data.org_code_index(
                deps.cipher, code_field, org.region, code
            )
            if index != org.code_index:
                correction.changed.append(code_field)
                correction.organization = {
                    "code_enc": deps.cipher.encrypt(code, personal_data.ORG_CODE),
                    "code_index": index,
                }
                correction.unique = (
                    code_field,
                    lambda: deps.repo.organization_code_registered(index),
                )
    _required(
        changes,
        [n for n in names if n in ("legal_representative", "main_agent")],
        errors,
    )
    for role in ("legal_representative", "main_agent"):
        if role in names and getattr(changes, role) is not None:
            _org_block(deps, changes, role, people, errors, correction)
    return None if errors else correction


def prove_and_check(deps: Deps, account_id: uuid.UUID, correction: Correction):
    """After every rule passed: the SMS proof of a new phone, the quota, then
    the unique key (registration's field error when another account has it)."""
    if correction.sms is not None:
        phone, code, field_name = correction.sms
        verify_sms(deps, phone, "change_phone", code, field_name)
    if correction.unique is None:
        return
    _count(deps, account_id)
    field_name, taken = correction.unique
    if taken():
        errors = FieldErrors()
        errors.add(field_name, *field_rules.TAKEN[field_name])
        errors.raise_if_any()


def _count(deps: Deps, account_id: uuid.UUID) -> None:
    """One use of the account's daily corrections of a unique key. Redis errors
    go through (fail closed): without the count the answer is an oracle."""
    target_quotas.require(
        deps,
        "identity-corrections",
        str(account_id),
        deps.settings.identity_corrections_per_day,
        "corrections_rate_limited",
        window=_QUOTA_WINDOW,
        message="Too many corrections today; try again later.",
    )


def write(deps: Deps, key: uuid.UUID, correction: Correction, code_field: str):
    """Store the correction (in the caller's transaction); a unique key another
    account took meanwhile is registration's field error."""
    try:
        if correction.person:
            deps.repo.update_person(key, **correction.person)
        if correction.organization:
            deps.repo.update_organization(key, **correction.organization)
    except Duplicate as duplicate:
        raise field_rules.duplicate_error(duplicate, code_field) from None
    for role, columns in correction.people.items():
        deps.repo.update_organization_person(key, role, **columns)
    if correction.account:
        deps.repo.update_account(key, **correction.account)
