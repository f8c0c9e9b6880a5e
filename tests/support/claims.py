"""What a verification case's reviewer is expected to read of the identity an
account claimed at registration (accounts' ``claimed_identity_for_review``)."""

from __future__ import annotations

from contracts.masking import mask_phone
from contracts.phones import normalize_phone


def claimed_person(person: dict) -> dict:
    """What a case's reviewer reads of a registered person (or of an
    organisation's legal representative): the document in full."""
    return {
        key: person[key]
        for key in ("name", "identity_region", "doc_type", "doc_number")
    }


def claimed_organization(body: dict) -> dict:
    """What a case's reviewer reads of an organisation registered with ``body``:
    its code and legal representative in full, its main agent's phone masked
    (it is in no image)."""
    agent = body["main_agent"]
    return {
        "name": body["name"],
        "region": body["region"],
        "legal_person_type": body["legal_person_type"],
        "code_kind": "credit_code",
        "unique_code": body["credit_code"],
        "legal_representative": claimed_person(body["legal_representative"]),
        "main_agent": {
            "name": agent["name"],
            "mobile": mask_phone(normalize_phone(agent["phone"])),
        },
    }
