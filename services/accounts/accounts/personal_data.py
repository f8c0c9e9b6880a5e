"""Personal data in and out of storage: encrypt + index on the way in, decrypt +
mask on the way out. The only place that knows which kind each value is; how a
value is masked is ``contracts.masking``'s rule, the same in every service."""

from __future__ import annotations

from contracts.masking import (
    mask_credit_code,
    mask_document,
    mask_phone,
    mask_telephone,
)

from accounts.models import (
    accounts,
    legacy_origins,
    organization_people,
    organizations,
    persons,
)

# Blind-index / associated-data kinds. A kind is part of every index and ciphertext:
# changing one makes existing rows unreadable, so they never change.
PHONE = "phone"
TELEPHONE = "telephone"
DOC_NUMBER = "doc_number"
ORG_CODE = "org_code"

# Every encrypted column, with its kind (what the re-encryption job rewrites).
ENCRYPTED_COLUMNS = (
    (accounts.c.phone_enc, PHONE),
    (persons.c.doc_number_enc, DOC_NUMBER),
    (persons.c.telephone_enc, TELEPHONE),
    (organizations.c.code_enc, ORG_CODE),
    (organization_people.c.phone_enc, PHONE),
    (organization_people.c.doc_number_enc, DOC_NUMBER),
    (legacy_origins.c.claimed_phone_enc, PHONE),
)


def phone_columns(cipher, e164: str, prefix: str = "phone") -> dict:
    return {
        f"{prefix}_enc": cipher.encrypt(e164, PHONE),
        f"{prefix}_index": cipher.blind_index(e164, PHONE),
    }


def doc_columns(cipher, doc_type: str, number: str) -> dict:
    return {
        "doc_number_enc": cipher.encrypt(number, DOC_NUMBER),
        "doc_number_index": doc_index(cipher, doc_type, number),
    }


def doc_index(cipher, doc_type: str, number: str) -> str:
    """Document numbers are unique per document type (a passport number and a
    permit number may coincide)."""
    return cipher.blind_index(f"{doc_type}:{number}", DOC_NUMBER)


def org_code_index(cipher, code_kind: str, region: str, code: str) -> str:
    """Credit codes are unique nationwide; registration numbers per region."""
    scope = "cn" if code_kind == "credit_code" else region
    return cipher.blind_index(f"{code_kind}:{scope}:{code}", ORG_CODE)


def org_person_columns(cipher, person, doc) -> dict:
    """The stored columns of a legal representative or main agent (``person``:
    an ``OrganizationPersonInput``; ``doc``: its checked ``documents.Document``)."""
    return {
        "name": person.name,
        **phone_columns(cipher, person.phone),
        "identity_region": doc.identity_region,
        "doc_type": doc.doc_type,
        **doc_columns(cipher, doc.doc_type, doc.number),
        "doc_valid_from": person.doc_valid_from,
        "doc_valid_to": person.doc_valid_to,
        "doc_long_term": person.doc_long_term,
    }


def masked_phone(cipher, stored: str | None) -> str | None:
    return mask_phone(cipher.decrypt(stored, PHONE)) if stored else None


def masked_document(cipher, stored: str | None) -> str | None:
    return mask_document(cipher.decrypt(stored, DOC_NUMBER)) if stored else None


def masked_org_code(cipher, stored: str | None) -> str | None:
    return mask_credit_code(cipher.decrypt(stored, ORG_CODE)) if stored else None


def masked_telephone(cipher, stored: str | None) -> str | None:
    return mask_telephone(cipher.decrypt(stored, TELEPHONE)) if stored else None
