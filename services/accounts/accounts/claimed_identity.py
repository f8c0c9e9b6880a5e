"""What an account claims to be, for the reviewer of its verification case.

A reviewer compares the uploaded document images with the claim, so the values
that appear in those images are answered in full (a person's document number, an
organisation's credit code, its legal representative's document number: masking
them would hide exactly the typo the reviewer is looking for); what no image
shows (the main agent's mobile) stays masked. The claim is read here, from the
account's current data, on every view: accounts remains the only store of it
(encrypted, re-encrypted by key rotation). The verification service asks for it
and audits every view; accounts checks again that the reader is a reviewer.
"""

from __future__ import annotations

import logging

from contracts.errors import Forbidden, NotFound

from accounts import field_rules, personal_data
from accounts.deps import Deps

_log = logging.getLogger(__name__)

REVIEWER = "reviewer"


def claimed_identity_for_review(
    deps: Deps, account_id: object, reviewer_id: object
) -> dict:
    """The claimed identity of the person or organisation ``account_id``
    (``contracts.accounts.ClaimedIdentity``) for the reviewer ``reviewer_id``.
    Raises ``Forbidden`` (``reviewer_required``) unless ``reviewer_id`` is a
    reviewer's account, ``NotFound`` (``account_not_found``)."""
    key = field_rules.account_key(account_id)
    with deps.repo.transaction():
        _require_reviewer(deps, reviewer_id)
        account = deps.repo.get_account(key)
        if account is None or account.kind not in ("person", "organization"):
            raise NotFound("account_not_found", "No such account.")
        # both kinds' keys, the other one null: the answer always has both
        claimed: dict = {
            "account_id": str(key),
            "account_kind": account.kind,
            "person": None,
            "organization": None,
        }
        if account.kind == "person":
            claimed["person"] = _person(deps, deps.repo.get_person(key))
        else:
            claimed["organization"] = _organization(deps, key)
    # ids only: the values themselves are never logged
    _log.info(
        "claimed identity read for review",
        extra={"account_id": str(key), "reviewer_id": str(reviewer_id)},
    )
    return claimed


def _require_reviewer(deps: Deps, reviewer_id: object) -> None:
    """Fail closed: an id that is no reviewer's account reads nothing (the gateway
    checked the role already; a second check where the data lives)."""
    try:
        reviewer_key = field_rules.account_key(reviewer_id)
    except NotFound:
        reviewer_key = None
    reviewer = deps.repo.get_account(reviewer_key) if reviewer_key else None
    if reviewer is None or reviewer.role != REVIEWER:
        raise Forbidden("reviewer_required", "Only a reviewer reads a claim.")


def _person(deps: Deps, row) -> dict:
    """A person (an account's, or an organisation's legal representative) with
    the document number in full."""
    return {
        "name": row.name,
        "identity_region": row.identity_region,
        "doc_type": row.doc_type,
        "doc_number": deps.cipher.decrypt(row.doc_number_enc, personal_data.DOC_NUMBER),
    }


def _organization(deps: Deps, key) -> dict:
    org = deps.repo.get_organization(key)
    people = deps.repo.get_organization_people(key)
    legal, agent = people.get("legal_representative"), people.get("main_agent")
    return {
        "name": org.name,
        "region": org.region,
        "legal_person_type": org.legal_person_type,
        "code_kind": org.code_kind,
        "unique_code": deps.cipher.decrypt(org.code_enc, personal_data.ORG_CODE),
        "legal_representative": _person(deps, legal) if legal else None,
        "main_agent": (
            {
                "name": agent.name,
                "mobile": personal_data.masked_phone(deps.cipher, agent.phone_enc),
            }
            if agent
            else None
        ),
    }
