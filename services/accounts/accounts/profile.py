"""My information (product.md flow 5): read it masked, change it, change the
reserved phone.

A change to a field the identity authority checked (a person's name; an
organisation's name or legal-person type) sends the account back to verification,
as does correcting the identity after a failed check (``accounts.corrections``).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from contracts.accounts import PhoneChange, ProfileChanged, ProfileChanges
from contracts.errors import Forbidden, NotFound
from contracts.models import parse

from accounts import agents, corrections, documents, field_rules, personal_data
from accounts.deps import Deps
from accounts.otp_checks import verify_sms
from accounts.validation import FieldErrors, single

DERIVED_FROM_DOCUMENT = documents.DERIVED_FROM_DOCUMENT

PERSON_EDITABLE = (
    "name",
    "ethnicity",
    "title",
    "email",
    "telephone",
    "gender",
    "birth_date",
)
PERSON_VERIFIED = ("name",)
# The model allows an organisation's 200; a person's name is shorter.
PERSON_NAME_MAX = 100
ORG_EDITABLE = (
    "name",
    "name_en",
    "short_name",
    "homepage",
    "area",
    "legal_person_type",
)
ORG_VERIFIED = ("name", "legal_person_type")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _person_profile(deps: Deps, account, person) -> dict:
    c = deps.cipher
    return {
        "name": person.name,
        "gender": person.gender,
        "birth_date": _iso(person.birth_date),
        "ethnicity": person.ethnicity,
        "title": person.title,
        "email": person.email,
        "mobile": personal_data.masked_phone(c, account.phone_enc),
        "telephone": personal_data.masked_telephone(c, person.telephone_enc),
        "identity_region": person.identity_region,
        "doc_type": person.doc_type,
        "doc_number": personal_data.masked_document(c, person.doc_number_enc),
        "derived_from_document": person.doc_type in DERIVED_FROM_DOCUMENT,
    }


def _org_person_view(deps: Deps, row) -> dict | None:
    if row is None:
        return None
    c = deps.cipher
    return {
        "name": row.name,
        "mobile": personal_data.masked_phone(c, row.phone_enc),
        "identity_region": row.identity_region,
        "doc_type": row.doc_type,
        "doc_number": personal_data.masked_document(c, row.doc_number_enc),
        "doc_valid_from": _iso(row.doc_valid_from),
        "doc_valid_to": _iso(row.doc_valid_to),
        "doc_long_term": row.doc_long_term,
    }


def _organization_profile(deps: Deps, account, org, people) -> dict:
    return {
        "name": org.name,
        "name_en": org.name_en,
        "short_name": org.short_name,
        "homepage": org.homepage,
        "region": org.region,
        "legal_person_type": org.legal_person_type,
        "area": org.area,
        "code_kind": org.code_kind,
        "unique_code": personal_data.masked_org_code(deps.cipher, org.code_enc),
        "mobile": personal_data.masked_phone(deps.cipher, account.phone_enc),
        "legal_representative": _org_person_view(
            deps, people.get("legal_representative")
        ),
        "main_agent": _org_person_view(deps, people.get("main_agent")),
    }


def get_identity_claims(deps: Deps, account_id: object) -> dict:
    """Who the account is, for single sign-on: ``{account_id, kind, name,
    real_name_status, represented_organizations}``: two plain columns and a
    person's agencies (no profile decrypted; only the organisations' codes, to
    mask them). Raises ``NotFound``."""
    key = field_rules.account_key(account_id)
    with deps.repo.transaction():
        account = deps.repo.get_account(key)
        if account is None:
            raise NotFound("account_not_found", "No such account.")
        name = deps.repo.get_account_name(key, account.kind)
        organizations = (
            agents.represented(deps, key) if account.kind == "person" else []
        )
    return {
        "account_id": str(account.id),
        "kind": account.kind,
        "name": name,
        "real_name_status": account.real_name_status,
        "represented_organizations": organizations,
    }


def get_me(deps: Deps, account_id: object) -> dict:
    """My information, masked (product.md flow 5): ``{account_id, kind,
    login_name, role, must_change_password, real_name_status, real_name_reason,
    agreement_version, created_at, profile, origin, phone_proof_required}``.
    Raises ``NotFound``."""
    key = field_rules.account_key(account_id)
    with deps.repo.transaction():
        account = deps.repo.get_account(key)
        if account is None:
            raise NotFound("account_not_found", "No such account.")
        if account.kind == "person":
            profile = _person_profile(deps, account, deps.repo.get_person(key))
        elif account.kind == "organization":
            profile = _organization_profile(
                deps,
                account,
                deps.repo.get_organization(key),
                deps.repo.get_organization_people(key),
            )
        else:
            staff = deps.repo.get_staff_member(key)
            profile = {"name": staff.name if staff else None}
        origin = deps.repo.get_legacy_origin(key)
    return {
        "account_id": str(account.id),
        "kind": account.kind,
        "login_name": account.login_name,
        "role": account.role,
        "must_change_password": account.must_change_password,
        "real_name_status": account.real_name_status,
        "real_name_reason": account.real_name_reason,
        "agreement_version": account.agreement_version,
        "created_at": account.created_at.isoformat(),
        "profile": profile,
        "origin": _origin(origin),
        "phone_proof_required": account.kind == "organization"
        and account.phone_index is None,
    }


def _origin(row) -> dict | None:
    """Where an imported account came from (flow 10); None for the others."""
    if row is None:
        return None
    return {
        "source_system": row.source_system,
        "imported_at": row.imported_at.isoformat(),
    }


def _editable(
    changes: ProfileChanges,
    editable: tuple,
    errors: FieldErrors,
    identity: tuple = (),
    correctable: tuple = (),
) -> list[str]:
    """The fields sent, each one this kind of account may change; the others
    are ``field_not_editable``: an ``identity`` field too, unless it is
    ``correctable`` now (after a failed real-name check: ``corrections``)."""
    sent = list(changes.dump())  # the fields sent, extras included
    for name in sent:
        if name in identity and name not in correctable:
            errors.add(name, "field_not_editable", corrections.NOT_NOW)
        elif name not in editable and name not in correctable:
            errors.add(name, "field_not_editable", "This field cannot be changed here")
    return [name for name in sent if name in editable]


def _required(values: dict, names: tuple, errors: FieldErrors) -> None:
    for name in names:
        if name in values and values[name] is None:
            errors.add(name, "required", "This field is required")


def _person_changes(
    deps: Deps,
    changes: ProfileChanges,
    person,
    errors: FieldErrors,
    correctable: tuple = (),
) -> dict:
    identity = corrections.PERSON_CORRECTABLE
    sent = _editable(changes, PERSON_EDITABLE, errors, identity, correctable)
    values: dict[str, Any] = {}
    for name in sent:
        if (
            name in ("gender", "birth_date")
            and person.doc_type in DERIVED_FROM_DOCUMENT
        ):
            errors.add(
                name, "field_not_editable", "This comes from the identity document"
            )
            continue
        values[name] = getattr(changes, name)
    _required(values, ("name",), errors)
    if values.get("name") and len(values["name"]) > PERSON_NAME_MAX:
        errors.add("name", "name_invalid", f"At most {PERSON_NAME_MAX} characters")
    born = values.get("birth_date")
    if born and not (documents.EARLIEST_BIRTH_DATE <= born <= deps.today()):
        errors.add("birth_date", "birth_date_invalid", "Not a real birth date")
    return values


def _org_changes(
    changes: ProfileChanges, errors: FieldErrors, correctable: tuple = ()
) -> dict:
    values = {
        name: getattr(changes, name)
        for name in _editable(
            changes, ORG_EDITABLE, errors, corrections.ORG_CORRECTABLE, correctable
        )
    }
    _required(values, ("name", "legal_person_type"), errors)
    return values


def _stored_changes(deps: Deps, values: dict, current) -> tuple[list, dict]:
    """``(changed field names, column values to store)``: only what differs."""
    changed = []
    stored: dict[str, Any] = {}
    for name, value in values.items():
        if name == "telephone":
            old = (
                deps.cipher.decrypt(current.telephone_enc, personal_data.TELEPHONE)
                if current.telephone_enc
                else None
            )
            if value != old:
                changed.append(name)
                stored["telephone_enc"] = (
                    deps.cipher.encrypt(value, personal_data.TELEPHONE)
                    if value
                    else None
                )
        elif getattr(current, name) != value:
            changed.append(name)
            stored[name] = value
    return changed, stored


def update_profile(deps: Deps, account_id: str, changes: ProfileChanges | dict) -> dict:
    """Change my information; fields absent from ``changes`` stay as they are.

    Any change emits ``profile_changed {account_id, account_kind, reverify,
    changed_fields}``; changing a verified field (a person's name; an
    organisation's name or legal-person type) or correcting the identity after
    a failed check (``accounts.corrections``) also sets ``real_name_status``
    back to ``pending`` with ``reverify`` true, so verification starts again.
    Returns what ``get_me`` returns. Raises ``InvalidInput``
    (``field_not_editable``, the field rules, registration's SMS and uniqueness
    errors for a correction), ``RateLimited``, ``Forbidden``, ``NotFound``.
    """
    changes = parse(ProfileChanges, changes)
    key = field_rules.account_key(account_id)
    errors = FieldErrors()
    with deps.repo.transaction():
        account = deps.repo.get_account(key, for_update=True)
        if account is None:
            raise NotFound("account_not_found", "No such account.")
        correctable = corrections.allowed(account.kind, account.real_name_status)
        names = [n for n in corrections.sent(changes, account.kind) if n in correctable]
        if account.kind == "person":
            current = deps.repo.get_person(key)
            values = _person_changes(deps, changes, current, errors, correctable)
            correction = corrections.person(deps, changes, names, current, errors)
            verified = PERSON_VERIFIED + corrections.PERSON_CORRECTABLE
        elif account.kind == "organization":
            current = deps.repo.get_organization(key)
            values = _org_changes(changes, errors, correctable)
            correction = corrections.organization(
                deps,
                changes,
                names,
                current,
                deps.repo.get_organization_people(key),
                errors,
            )
            verified = ORG_VERIFIED + corrections.ORG_CORRECTABLE
        else:
            raise Forbidden(
                "profile_not_editable", "Staff profiles are kept by operators."
            )
        errors.raise_if_any()
        if correction is not None:
            corrections.prove_and_check(deps, key, correction)
        changed, stored = _stored_changes(deps, values, current)
        if stored:
            if account.kind == "person":
                deps.repo.update_person(key, **stored)
            else:
                deps.repo.update_organization(key, **stored)
        if correction is not None and correction.changed:
            # after the plain fields: a corrected resident ID's gender and birth
            # date win over values sent with it
            code_kind = getattr(current, "code_kind", "credit_code")
            corrections.write(deps, key, correction, code_kind)
            changed += correction.changed
        if changed:
            _record_change(deps, key, account.kind, changed, verified, deps.clock())
    return get_me(deps, key)


def _record_change(
    deps: Deps, key: uuid.UUID, kind: str, changed: list, verified: tuple, now
) -> None:
    reverify = any(name in verified for name in changed)
    account_values: dict[str, Any] = {"updated_at": now}
    if reverify:
        account_values.update(
            real_name_status="pending",
            real_name_reason=None,
            real_name_changed_at=now,
        )
    deps.repo.update_account(key, **account_values)
    deps.emit(
        ProfileChanged(
            account_id=str(key),
            account_kind=kind,
            reverify=reverify,
            changed_fields=sorted(changed),
        )
    )


def change_phone(deps: Deps, account_id: str, phone: str, sms_code: str) -> dict:
    """Change the reserved phone (a person's mobile; an organisation's main
    agent's mobile), proven by an SMS code sent to the new phone with purpose
    ``change_phone``.

    The input and the account are checked before the code is spent. Returns what
    ``get_me`` returns. Raises ``InvalidInput`` (``phone_invalid``,
    ``phone_unchanged``, ``sms_code_invalid``, ``sms_code_expired``...),
    ``Forbidden`` (staff), ``NotFound``. Emits ``profile_changed`` (``reverify``
    false: the phone is not checked by the identity authority).
    """
    key = field_rules.account_key(account_id)
    change = parse(PhoneChange, {"phone": phone, "sms_code": sms_code})
    canonical, code = change.phone, change.sms_code
    with deps.repo.transaction():
        account = deps.repo.get_account(key)
    if account is None:
        raise NotFound("account_not_found", "No such account.")
    if account.kind not in ("person", "organization"):
        raise Forbidden("profile_not_editable", "Staff profiles are kept by operators.")
    columns = personal_data.phone_columns(deps.cipher, canonical)
    if account.phone_index == columns["phone_index"]:
        raise single("phone", "phone_unchanged", "This is already your phone")
    verify_sms(deps, canonical, "change_phone", code, "sms_code")
    now = deps.clock()
    with deps.repo.transaction():
        deps.repo.get_account(key, for_update=True)
        deps.repo.update_account(key, updated_at=now, **columns)
        if account.kind == "organization":
            deps.repo.update_organization_person(key, "main_agent", **columns)
        deps.emit(
            ProfileChanged(
                account_id=str(key),
                account_kind=account.kind,
                reverify=False,
                changed_fields=["phone"],
            )
        )
    return get_me(deps, key)
