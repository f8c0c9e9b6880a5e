"""Personal data for single sign-on (``get_personal_claims``): the reserved phone
and the identity document (an organisation's credit code), only the groups sso
asks for, decrypted only for them, and masked here unless sso asks for the full
value (a business system registered as allowed to receive it)."""

from __future__ import annotations

from contracts.errors import NotFound
from contracts.masking import mask_credit_code, mask_document, mask_phone

from accounts import field_rules, personal_data
from accounts.deps import Deps


def _phone(deps: Deps, account, masked: bool) -> dict:
    if not account.phone_enc:
        return {}
    phone = deps.cipher.decrypt(account.phone_enc, personal_data.PHONE)
    # a phone imported from a former system is proven by no SMS code here
    imported = deps.repo.get_legacy_origin(account.id) is not None
    return {
        "phone_number": mask_phone(phone) if masked else phone,
        "phone_number_verified": not imported,
    }


def _identity(deps: Deps, account, masked: bool) -> dict:
    if account.kind == "person":
        row = deps.repo.get_person(account.id)
        kind, stored, mask = row.doc_type, row.doc_number_enc, mask_document
        purpose = personal_data.DOC_NUMBER
    elif account.kind == "organization":
        row = deps.repo.get_organization(account.id)
        kind, stored, mask = row.code_kind, row.code_enc, mask_credit_code
        purpose = personal_data.ORG_CODE
    else:
        return {}
    number = deps.cipher.decrypt(stored, purpose)
    return {
        "document_type": kind,
        "document_number": mask(number) if masked else number,
    }


GROUPS = {"phone": _phone, "identity": _identity}


def get_personal_claims(
    deps: Deps, account_id: object, groups: object, masked: object = True
) -> dict:
    """``{phone_number, phone_number_verified, document_type, document_number}``
    of the ``groups`` asked (``phone``, ``identity``); masked unless ``masked``
    is False. Raises ``NotFound``."""
    key = field_rules.account_key(account_id)
    wanted = [g for g in GROUPS if isinstance(groups, list) and g in groups]
    with deps.repo.transaction():
        account = deps.repo.get_account(key)
        if account is None:
            raise NotFound("account_not_found", "No such account.")
        claims: dict = {}
        for group in wanted:
            claims.update(GROUPS[group](deps, account, masked is not False))
    return claims
