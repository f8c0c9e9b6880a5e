"""Registration: a natural person (product.md flow 1) and an organisation (flow 2).

Every field error is reported together and nothing is created; the SMS code is spent
at otp only once everything else is valid. Personal data never reaches a log line or
an event: events carry ids and kinds.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from contracts.accounts import LEGAL_PERSON_TYPES, ORGANIZATION_REGIONS

from accounts import documents, field_rules, personal_data
from accounts import validation as v
from accounts.deps import Deps
from accounts.documents import IdentityRuleError
from accounts.otp_checks import verify_sms
from accounts.repository import Duplicate
from accounts.validation import FieldErrors


def _account_row(
    deps: Deps,
    account_id: uuid.UUID,
    kind: str,
    login_name: str,
    password_hash: str,
    phone: str,
    agreement: str,
    now: datetime,
) -> dict:
    return {
        "id": account_id,
        "kind": kind,
        "login_name": login_name,
        "password_hash": password_hash,
        "role": "user",
        "must_change_password": False,
        "password_changed_at": now,
        **personal_data.phone_columns(deps.cipher, phone),
        # Verification starts by itself on the registration event.
        "real_name_status": "pending",
        "real_name_changed_at": now,
        "agreement_version": agreement,
        "agreement_accepted_at": now,
        "created_at": now,
        "updated_at": now,
    }


def _registered(account_id: uuid.UUID, kind: str, login_name: str, agreement: str):
    return {
        "account_id": str(account_id),
        "kind": kind,
        "login_name": login_name,
        "real_name_status": "pending",
        "agreement_version": agreement,
    }


def register_person(deps: Deps, registration: object) -> dict:
    """Register a natural person (product.md flow 1).

    Returns ``{account_id, kind, login_name, real_name_status, agreement_version}``.
    Raises ``InvalidInput`` with every field error together and creates nothing;
    the SMS code is spent at otp only once everything else is valid. Emits
    ``person_registered``.
    """
    data = field_rules.as_dict(registration)
    errors = FieldErrors()
    today = deps.today()
    login_name = field_rules.login_name(data, errors)
    password = field_rules.new_password(data, errors, login_name)
    name = v.text(data, "name", errors, max_length=100)
    document = field_rules.document(data, errors, today)
    phone = v.phone(data, "phone", errors)
    code = v.sms_code(data, "sms_code", errors)
    agreement = field_rules.agreement(
        data, errors, deps.settings.agreement_versions["person"]
    )
    doc_index = (
        personal_data.doc_index(deps.cipher, document.doc_type, document.number)
        if document
        else None
    )
    with deps.repo.transaction():
        if login_name and deps.repo.login_name_taken(login_name):
            errors.add("login_name", "login_name_taken", "This login name is taken")
        if doc_index and deps.repo.person_document_registered(doc_index):
            errors.add(
                "doc_number",
                "document_registered",
                "This document is already registered",
            )
    errors.raise_if_any()

    verify_sms(deps, phone, "register_person", code, "sms_code")
    password_hash = deps.hasher.hash(password)
    now = deps.clock()
    account_id = uuid.uuid4()
    row = _account_row(
        deps, account_id, "person", login_name, password_hash, phone, agreement, now
    )
    try:
        with deps.repo.transaction():
            deps.repo.add_account(**row)
            deps.repo.add_person(
                account_id=account_id,
                name=name,
                identity_region=document.identity_region,
                doc_type=document.doc_type,
                **personal_data.doc_columns(
                    deps.cipher, document.doc_type, document.number
                ),
                gender=document.gender,
                birth_date=document.birth_date,
            )
            deps.emit(
                "person_registered",
                {
                    "account_id": str(account_id),
                    "account_kind": "person",
                    "identity_region": document.identity_region,
                    "doc_type": document.doc_type,
                },
            )
    except Duplicate as duplicate:
        raise field_rules.duplicate_error(duplicate) from None
    return _registered(account_id, "person", login_name, agreement)


def _org_person(
    data: dict, parent: FieldErrors, block: str, today: date, with_sms: bool
) -> dict | None:
    """The legal representative or main agent block, validated."""
    value = data.get(block)
    if not isinstance(value, dict):
        parent.add(block, "required", "This block is required")
        return None
    errors = parent.nested(block)
    before = len(errors.errors)
    name = v.text(value, "name", errors, max_length=100)
    phone = v.phone(value, "phone", errors)
    code = v.sms_code(value, "sms_code", errors) if with_sms else None
    document = field_rules.document(value, errors, today)
    validity = field_rules.validity(value, errors, today)
    if len(errors.errors) > before:
        return None
    return {
        "name": name,
        "phone": phone,
        "sms_code": code,
        "document": document,
        **validity,
    }


def _org_code(data: dict, errors: FieldErrors, region: str | None):
    """``(field name, code)``: the credit code (mainland) or the registration
    number (elsewhere), checked; the code is None when it is not valid."""
    code_field = (
        "credit_code" if region in (None, "domestic") else "registration_number"
    )
    code = None
    if data.get(code_field) in (None, ""):
        errors.add(code_field, "required", "This field is required")
    elif region is not None:
        try:
            if code_field == "credit_code":
                code = documents.check_credit_code(data[code_field])
            else:
                code = documents.check_registration_number(data[code_field])
        except IdentityRuleError as exc:
            errors.add(code_field, exc.code, exc.message)
    return code_field, code


def _org_extras(data: dict, errors: FieldErrors) -> dict:
    return {
        "name_en": v.text(data, "name_en", errors, required=False, max_length=200),
        "short_name": v.text(
            data, "short_name", errors, required=False, max_length=100
        ),
        "homepage": v.homepage(data, "homepage", errors),
        "area": v.text(data, "area", errors, required=False, max_length=100),
    }


def register_organization(deps: Deps, registration: object) -> dict:
    """Register an organisation (product.md flow 2).

    The main agent's mobile, proven by its SMS code, becomes the reserved phone.
    Returns ``{account_id, kind, login_name, real_name_status, agreement_version}``.
    Raises ``InvalidInput`` with every field error together (nested fields as
    ``legal_representative.doc_number``) and creates nothing. Emits
    ``organization_registered``.
    """
    data = field_rules.as_dict(registration)
    errors = FieldErrors()
    today = deps.today()
    login_name = field_rules.login_name(data, errors)
    password = field_rules.new_password(data, errors, login_name)
    name = v.text(data, "name", errors, max_length=200)
    region = v.choice(data, "region", ORGANIZATION_REGIONS, errors)
    legal_type = v.choice(data, "legal_person_type", LEGAL_PERSON_TYPES, errors)
    extras = _org_extras(data, errors)
    code_field, code = _org_code(data, errors, region)
    legal = _org_person(data, errors, "legal_representative", today, with_sms=False)
    agent = _org_person(data, errors, "main_agent", today, with_sms=True)
    agreement = field_rules.agreement(
        data, errors, deps.settings.agreement_versions["organization"]
    )
    code_index = (
        personal_data.org_code_index(deps.cipher, code_field, region, code)
        if code
        else None
    )
    with deps.repo.transaction():
        if login_name and deps.repo.login_name_taken(login_name):
            errors.add("login_name", "login_name_taken", "This login name is taken")
        if code_index and deps.repo.organization_code_registered(code_index):
            errors.add(
                code_field,
                f"{code_field}_registered",
                "This organisation is already registered",
            )
    errors.raise_if_any()

    verify_sms(
        deps,
        agent["phone"],
        "register_organization",
        agent["sms_code"],
        "main_agent.sms_code",
    )
    password_hash = deps.hasher.hash(password)
    now = deps.clock()
    account_id = uuid.uuid4()
    row = _account_row(
        deps,
        account_id,
        "organization",
        login_name,
        password_hash,
        agent["phone"],
        agreement,
        now,
    )
    try:
        with deps.repo.transaction():
            deps.repo.add_account(**row)
            deps.repo.add_organization(
                account_id=account_id,
                name=name,
                region=region,
                legal_person_type=legal_type,
                code_kind=code_field,
                code_enc=deps.cipher.encrypt(code, personal_data.ORG_CODE),
                code_index=code_index,
                **extras,
            )
            for role, person in (
                ("legal_representative", legal),
                ("main_agent", agent),
            ):
                _add_org_person(deps, account_id, role, person)
            deps.emit(
                "organization_registered",
                {
                    "account_id": str(account_id),
                    "account_kind": "organization",
                    "region": region,
                    "legal_person_type": legal_type,
                },
            )
    except Duplicate as duplicate:
        raise field_rules.duplicate_error(duplicate, code_field) from None
    return _registered(account_id, "organization", login_name, agreement)


def _add_org_person(deps: Deps, organization: uuid.UUID, role: str, person: dict):
    doc = person["document"]
    deps.repo.add_organization_person(
        organization_id=organization,
        role=role,
        name=person["name"],
        **personal_data.phone_columns(deps.cipher, person["phone"]),
        identity_region=doc.identity_region,
        doc_type=doc.doc_type,
        **personal_data.doc_columns(deps.cipher, doc.doc_type, doc.number),
        doc_valid_from=person["doc_valid_from"],
        doc_valid_to=person["doc_valid_to"],
        doc_long_term=person["doc_long_term"],
    )
