"""Look-ups for the recovery service (and only for it): find the account a
recovery is about, and check the phone it claims.

Recovery's answers must look the same whether or not an account exists, so these
do the same work (one query, one decrypt or one blind index) either way.
"""

from __future__ import annotations

import secrets
import unicodedata
import uuid

from contracts.accounts.replies import MAX_APPEAL_CANDIDATES
from contracts.errors import field_error, invalid_fields
from contracts.masking import mask_name
from contracts.phones import PhoneInvalid, normalize_phone

from accounts import documents, passwords, personal_data
from accounts.deps import Deps

# Compared with when an account id is unusable, so an unknown id costs the same query.
_NO_ACCOUNT = uuid.UUID(int=0)
_DECOY_PHONE = "+8613000000000"
_decoy_ciphertext: list[str] = []


def _decoy_phone(cipher) -> str:
    """A stored-form phone to decrypt when there is none (same work)."""
    if not _decoy_ciphertext:
        _decoy_ciphertext.append(
            personal_data.phone_columns(cipher, _DECOY_PHONE)["phone_enc"]
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
        canonical = _DECOY_PHONE
        valid = False
    else:
        valid = True
    offered = deps.cipher.blind_index(canonical, personal_data.PHONE)
    with deps.repo.transaction():
        stored = deps.repo.reserved_phone_index(_account_key_or_none(account_id))
    same = secrets.compare_digest(stored or "", offered)
    return bool(valid and stored and same)


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


def _appeal_code_indexes(
    cipher, credit_code: object, registration_number: object
) -> list[str]:
    """The blind indexes the appeal's code could have, after the registration's
    rule for it (``documents``). A credit code is unique nationwide; a
    registration number within its region, so both regions outside the mainland
    are asked. Raises ``InvalidInput``."""
    given = {
        field: value
        for field, value in (
            ("credit_code", credit_code),
            ("registration_number", registration_number),
        )
        if isinstance(value, str) and value.strip()
    }
    if not given:
        raise invalid_fields(
            [
                field_error(
                    "credit_code",
                    "credit_code_required",
                    "Enter the unit's unified social credit code (or, outside the "
                    "mainland, its registration number)",
                )
            ]
        )
    field, raw = next(iter(given.items()))  # the credit code when both are given
    try:
        if field == "credit_code":
            code = documents.check_credit_code(raw)
            return [personal_data.org_code_index(cipher, field, "domestic", code)]
        code = documents.check_registration_number(raw)
    except documents.IdentityRuleError as broken:
        raise invalid_fields(
            [field_error(field, broken.code, broken.message)]
        ) from None
    return [
        personal_data.org_code_index(cipher, field, region, code)
        for region in ("hmt", "overseas")
    ]


def _candidate(cipher, row, unit_name: str) -> dict:
    return {
        "account_id": str(row.id),
        "login_name": row.login_name,
        "unit_name": row.name,
        "code_kind": row.code_kind,
        "masked_code": personal_data.masked_org_code(cipher, row.code_enc),
        "legal_representative": (
            mask_name(row.legal_representative) if row.legal_representative else None
        ),
        "masked_main_agent_phone": personal_data.masked_phone(
            cipher, row.main_agent_phone_enc
        ),
        "registered_at": row.created_at.isoformat(),
        "real_name_status": row.real_name_status,
        "code_matches": bool(row.code_matches),
        "name_matches": row.name == unit_name,
    }


def find_organization_for_appeal(
    deps: Deps,
    unit_name: object,
    credit_code: object = None,
    registration_number: object = None,
) -> dict:
    """Every organisation an appeal could be about (``{candidates, truncated}``):
    the one holding the given code first, then every one registered under
    exactly this name, oldest first; never one picked silently. For recovery's
    reviewers: the login name is shown to staff only, the rest masked. Raises
    ``InvalidInput`` for a missing or invalid code (the registration's rule)."""
    indexes = _appeal_code_indexes(deps.cipher, credit_code, registration_number)
    name = unicodedata.normalize(
        "NFC", unit_name.strip() if isinstance(unit_name, str) else ""
    )
    limit = MAX_APPEAL_CANDIDATES
    with deps.repo.transaction():
        rows = deps.repo.organizations_for_appeal(name, indexes, limit + 1)
    return {
        "candidates": [_candidate(deps.cipher, row, name) for row in rows[:limit]],
        "truncated": len(rows) > limit,
    }
