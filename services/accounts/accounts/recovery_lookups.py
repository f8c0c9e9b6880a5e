"""Look-ups for the recovery service (and only for it): find the account a
recovery is about, and check the phone it claims.

Recovery's answers must look the same whether or not an account exists, so these
do the same work (one query, one decrypt or one blind index) either way.
"""

from __future__ import annotations

import secrets
import uuid

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
