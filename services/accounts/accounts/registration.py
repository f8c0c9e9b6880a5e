"""Registration: a natural person (product.md flow 1) and an organisation (flow 2).

Four gates, in this order, so that registration tells nobody whether a document,
credit code or login name is in use before they prove the phone (issue 12: it was
a free, unthrottled oracle beside the captcha-guarded ``/documents/check``):

1. the form's shape (its model's, ``contracts.accounts``), its errors together;
2. every domain rule that reveals nothing stored (password rule, document and
   credit-code checksums, validity dates, agreement), together;
3. the SMS code for the phone (the main agent's for an organisation), spent at
   otp: a typo in 1 or 2 does not burn it; just before it, the document's (or
   code's) quota per hour (``accounts.target_quotas``), so that many phones
   cannot poll one document either;
4. uniqueness (login name, document, credit code), together: a specific conflict
   is fine now, its asker has proven a phone and spent a code for it.

Nothing is created on an error, and the database's unique keys still settle a
race between two registrations (``Duplicate`` becomes the same field error).
Personal data never reaches a log line or an event: events carry ids and kinds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from contracts.accounts import (
    OrganizationPersonInput,
    OrganizationRegistered,
    OrganizationRegistration,
    PersonRegistered,
    PersonRegistration,
)
from contracts.events import Event
from contracts.models import parse

from accounts import documents, field_rules, personal_data, target_quotas
from accounts.deps import Deps
from accounts.duplicates import Duplicate
from accounts.otp_checks import verify_sms
from accounts.validation import FieldErrors


def _open_account(
    deps: Deps,
    kind: str,
    login_name: str,
    password: str,
    phone: str,
    agreement: str,
    add_details: Callable[[uuid.UUID], Event],
    code_field: str = "credit_code",
) -> dict:
    """What both registrations end with, once the form is valid and the SMS code
    spent: the account row, then what ``add_details`` writes for the kind (it
    answers the event to emit), in one transaction. A unique key lost to a
    concurrent registration becomes the field error."""
    password_hash = deps.hasher.hash(password)
    now = deps.clock()
    account_id = uuid.uuid4()
    row = {
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
    try:
        with deps.repo.transaction():
            deps.repo.add_account(**row)
            deps.emit(add_details(account_id))
    except Duplicate as duplicate:
        raise field_rules.duplicate_error(duplicate, code_field) from None
    return _registered(account_id, kind, login_name, agreement)


def _registered(account_id: uuid.UUID, kind: str, login_name: str, agreement: str):
    return {
        "account_id": str(account_id),
        "kind": kind,
        "login_name": login_name,
        "real_name_status": "pending",
        "agreement_version": agreement,
    }


def _count_target(deps: Deps, index: str) -> None:
    """One registration of this document or organisation code (its blind index),
    counted before the SMS code is spent: past the quota, ``RateLimited``
    (``registration_rate_limited``) and the code stays unspent."""
    target_quotas.require(
        deps,
        "registration",
        index,
        deps.settings.registrations_per_document_per_hour,
        "registration_rate_limited",
    )


def _refuse_taken(
    deps: Deps, login_name: str, key_field: str, key_registered: Callable[[], bool]
) -> None:
    """Raise ``InvalidInput`` listing the login name and the key (``key_field``:
    document or organisation code) that are in use, both read in one transaction.

    Called only after the SMS code is spent, so its answer goes to someone who
    proved a phone."""
    with deps.repo.transaction():
        login_name_taken = deps.repo.login_name_taken(login_name)
        key_taken = key_registered()
    errors = FieldErrors()
    for field, in_use in (("login_name", login_name_taken), (key_field, key_taken)):
        if in_use:
            errors.add(field, *field_rules.TAKEN[field])
    errors.raise_if_any()


def register_person(deps: Deps, registration: PersonRegistration | dict) -> dict:
    """Register a natural person (product.md flow 1).

    Returns ``{account_id, kind, login_name, real_name_status, agreement_version}``.
    Raises ``InvalidInput``: the shape errors of the model together, else every
    domain error together, else the SMS code's, else the login name and
    document in use (the module's order); creates nothing. Emits
    ``person_registered``.
    """
    form = parse(PersonRegistration, registration)
    errors = FieldErrors()
    login_name = form.login_name
    password = field_rules.new_password(
        form.password, form.password_confirmation, errors, login_name
    )
    document = field_rules.document(
        form.identity_region, form.doc_type, form.doc_number, errors, deps.today()
    )
    agreement = field_rules.agreement(
        form.agreement_version,
        form.agreement_accepted,
        errors,
        deps.settings.agreement_versions["person"],
    )
    doc_index = (
        personal_data.doc_index(deps.cipher, document.doc_type, document.number)
        if document
        else None
    )
    errors.raise_if_any()

    _count_target(deps, doc_index)
    verify_sms(deps, form.phone, "register_person", form.sms_code, "sms_code")
    _refuse_taken(
        deps,
        login_name,
        "doc_number",
        lambda: deps.repo.person_document_registered(doc_index),
    )

    def add_person(account_id: uuid.UUID) -> PersonRegistered:
        deps.repo.add_person(
            account_id=account_id,
            name=form.name,
            identity_region=document.identity_region,
            doc_type=document.doc_type,
            **personal_data.doc_columns(
                deps.cipher, document.doc_type, document.number
            ),
            gender=document.gender,
            birth_date=document.birth_date,
        )
        return PersonRegistered(
            account_id=str(account_id),
            account_kind="person",
            identity_region=document.identity_region,
            doc_type=document.doc_type,
        )

    return _open_account(
        deps, "person", login_name, password, form.phone, agreement, add_person
    )


def register_organization(
    deps: Deps, registration: OrganizationRegistration | dict
) -> dict:
    """Register an organisation (product.md flow 2).

    The main agent's mobile, proven by its SMS code, becomes the reserved phone.
    Returns ``{account_id, kind, login_name, real_name_status, agreement_version}``.
    Raises ``InvalidInput``: the shape errors of the model together (nested
    fields as ``legal_representative.doc_number``), else every domain error
    together, else the main agent's SMS code's, else the login name and code in
    use (the module's order); creates nothing. Emits ``organization_registered``.
    """
    form = parse(OrganizationRegistration, registration)
    errors = FieldErrors()
    today = deps.today()
    login_name = form.login_name
    password = field_rules.new_password(
        form.password, form.password_confirmation, errors, login_name
    )
    code_field, code = field_rules.organization_code(
        form.region, form.credit_code, form.registration_number, errors
    )
    legal = field_rules.organization_person(
        form.legal_representative, errors, "legal_representative", today
    )
    agent = field_rules.organization_person(
        form.main_agent, errors, "main_agent", today
    )
    agreement = field_rules.agreement(
        form.agreement_version,
        form.agreement_accepted,
        errors,
        deps.settings.agreement_versions["organization"],
    )
    code_index = (
        personal_data.org_code_index(deps.cipher, code_field, form.region, code)
        if code
        else None
    )
    errors.raise_if_any()

    _count_target(deps, code_index)
    agent_form = form.main_agent
    verify_sms(
        deps,
        agent_form.phone,
        "register_organization",
        agent_form.sms_code,
        "main_agent.sms_code",
    )
    _refuse_taken(
        deps,
        login_name,
        code_field,
        lambda: deps.repo.organization_code_registered(code_index),
    )

    def add_organization(account_id: uuid.UUID) -> OrganizationRegistered:
        deps.repo.add_organization(
            account_id=account_id,
            name=form.name,
            region=form.region,
            legal_person_type=form.legal_person_type,
            code_kind=code_field,
            code_enc=deps.cipher.encrypt(code, personal_data.ORG_CODE),
            code_index=code_index,
            name_en=form.name_en,
            short_name=form.short_name,
            homepage=form.homepage,
            area=form.area,
        )
        for role, person, document in (
            ("legal_representative", form.legal_representative, legal),
            ("main_agent", agent_form, agent),
        ):
            _add_org_person(deps, account_id, role, person, document)
        return OrganizationRegistered(
            account_id=str(account_id),
            account_kind="organization",
            region=form.region,
            legal_person_type=form.legal_person_type,
        )

    return _open_account(
        deps,
        "organization",
        login_name,
        password,
        agent_form.phone,
        agreement,
        add_organization,
        code_field,
    )


def _add_org_person(
    deps: Deps,
    organization: uuid.UUID,
    role: str,
    person: OrganizationPersonInput,
    doc: documents.Document,
) -> None:
    deps.repo.add_organization_person(
        organization_id=organization,
        role=role,
        **personal_data.org_person_columns(deps.cipher, person, doc),
    )
