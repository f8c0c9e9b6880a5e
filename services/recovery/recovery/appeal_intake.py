"""Submitting an appeal and the appellant's view of it (plain functions).

Every field and the cheap checks of every image (size, type, header) come first (all
errors together, nothing stored, the SMS code not spent); then the quotas; then the
images are decoded and re-encoded on servicekit's bounded pool, off the event loop
(an image that does not decode is refused there, the code still not spent); then the
code (purpose ``appeal``) at otp; then the appeal, its first history entry, its
images and ``appeal_submitted`` in one transaction.
"""

from __future__ import annotations

import json
import re
import secrets

from contracts.accounts import DOC_TYPES_BY_REGION, IDENTITY_REGIONS
from contracts.errors import InvalidInput, NotFound, field_error, invalid_fields
from contracts.phones import PhoneInvalid, normalize_phone
from contracts.recovery.events import AppealSubmitted
from servicekit.decode_pool import decode_pool
from servicekit.images import (
    CleanImage,
    Upload,
    decode_uploads,
    encrypted_columns,
    inspect_uploads,
)

from recovery import repository as repo
from recovery.appeals import (
    CANDIDATES,
    DOC_NUMBER,
    NAME,
    PHONE,
    TICKET,
    UNIT_CODE,
    UNIT_NAME,
    AppealDeps,
    file_aad,
    ticket_hash,
)
from recovery.flow import AppealState
from recovery.guards import require_captcha, require_quota

PERSON_FILES = ("id_front", "id_back")
ORGANIZATION_FILES = ("licence", "id_front", "id_back")
SMS_CODE = re.compile(r"^\d{6}$")
# what the appellant is told about an appeal in each state
PUBLIC_STATE = {AppealState.RECOVERED: AppealState.APPROVED.value}


# --- input ------------------------------------------------------------------------------


def _text(data: dict, name: str, errors: list, max_chars: int) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.append(field_error(name, "required", "This field is required"))
        return None
    if not isinstance(value, str) or len(value.strip()) > max_chars:
        errors.append(
            field_error(name, f"{name}_invalid", f"At most {max_chars} characters")
        )
        return None
    return value.strip()


def _phone(data: dict, name: str, errors: list) -> str | None:
    value = data.get(name)
    if value in (None, ""):
        errors.append(field_error(name, "required", "This field is required"))
        return None
    try:
        return normalize_phone(value)
    except PhoneInvalid as exc:
        errors.append(field_error(name, "phone_invalid", str(exc)))
        return None


def _sms_code(data: dict, errors: list) -> str | None:
    value = data.get("sms_code")
    if not isinstance(value, str) or not SMS_CODE.fullmatch(value):
        errors.append(field_error("sms_code", "sms_code_invalid", "6 digits"))
        return None
    return value


def _images(
    files: object, expected: tuple[str, ...], deps: AppealDeps, errors: list
) -> dict[str, Upload]:
    """Every expected image through the cheap checks (nothing decoded yet)."""
    files = files if isinstance(files, dict) else {}
    limits = deps.settings
    inspected, refused = inspect_uploads(
        files, expected, limits.max_file_bytes, limits.max_pixels
    )
    errors += refused
    return inspected


def _decoded(deps: AppealDeps, inspected: dict[str, Upload]) -> dict[str, CleanImage]:
    """The inspected images decoded and re-encoded on the bounded pool (after the
    quotas: an anonymous caller spends no CPU on images before them); raises
    ``InvalidInput`` with every image that does not decode."""
    return decode_uploads(inspected, decode_pool(deps.settings.decode_threads))


def _document(data: dict, errors: list) -> tuple[object, object, str | None]:
    """``(identity_region, doc_type, doc_number)`` of a person's appeal."""
    region = data.get("identity_region")
    doc_type = data.get("doc_type")
    if region not in IDENTITY_REGIONS:
        errors.append(
            field_error("identity_region", "identity_region_invalid", "Unknown region")
        )
    elif doc_type not in DOC_TYPES_BY_REGION[region]:
        errors.append(
            field_error("doc_type", "doc_type_not_allowed_for_region", "Not here")
        )
    return region, doc_type, _text(data, "doc_number", errors, 40)


# --- quotas, the SMS code, storing ----------------------------------------------------


def _count_appeal(deps: AppealDeps, client_ip: object, phone: str) -> None:
    """One appeal more for the client's address and for the proven phone."""
    require_quota(
        deps.quotas,
        "client:appeal",
        str(client_ip or "unknown"),
        deps.settings.client_per_hour,
    )
    require_quota(
        deps.quotas,
        "phone:appeal",
        deps.cipher.blind_index(phone, PHONE),
        deps.settings.subject_per_hour,
    )


def _spend_code(deps: AppealDeps, phone: str, code: str, field: str) -> None:
    try:
        deps.otp.verify_sms_code(phone=phone, purpose="appeal", code=code)
    except InvalidInput as exc:
        code_name = exc.error_code
        if code_name not in ("sms_code_invalid", "sms_code_expired"):
            code_name = "sms_code_invalid"
        details = {"errors": [field_error(field, code_name, "Wrong or expired")]}
        if "tries_left" in exc.details:
            details["tries_left"] = exc.details["tries_left"]
        raise InvalidInput(
            code_name, "The SMS code is wrong or expired", details
        ) from None


def _store(
    deps: AppealDeps, kind: str, values: dict, cleaned: dict, phone: str
) -> dict:
    appeal_id = repo.new_appeal_id()
    ticket = secrets.token_urlsafe(24)
    now = deps.clock()
    c = deps.cipher
    with deps.session.begin():
        repo.insert_appeal(
            deps.session,
            appeal_id=appeal_id,
            created_at=now,
            kind=kind,
            ticket_hash=ticket_hash(ticket),
            ticket_enc=c.encrypt(ticket, TICKET),
            phone_enc=c.encrypt(phone, PHONE),
            correlation_id=deps.correlation_id,
            **values,
        )
        for name, image in cleaned.items():
            repo.insert_file(
                deps.session,
                appeal_id=appeal_id,
                field=name,
                created_at=now,
                **encrypted_columns(image, c, file_aad(appeal_id, name)),
            )
        deps.emit(AppealSubmitted(appeal_id=appeal_id, kind=kind))
    return {"appeal_id": appeal_id, "ticket": ticket, "status": "submitted"}


# --- submitting ------------------------------------------------------------------------


def submit_person_appeal(
    deps: AppealDeps, appeal: object, files: object, client_ip: object
) -> dict:
    """A natural person's appeal: ``{appeal_id, ticket, status}``. Raises
    ``InvalidInput``, ``RateLimited``, ``Unavailable``."""
    data = appeal if isinstance(appeal, dict) else {}
    errors: list[dict] = []
    name = _text(data, "name", errors, 50)
    region, doc_type, doc_number = _document(data, errors)
    phone = _phone(data, "phone", errors)
    code = _sms_code(data, errors)
    inspected = _images(files, PERSON_FILES, deps, errors)
    if errors:
        raise invalid_fields(errors)
    doc_number = "".join(doc_number.split()).upper()  # type: ignore[union-attr]
    _count_appeal(deps, client_ip, phone)  # type: ignore[arg-type]
    cleaned = _decoded(deps, inspected)
    _spend_code(deps, phone, code, "sms_code")  # type: ignore[arg-type]
    match = deps.accounts.find_person_for_appeal(
        doc_type=doc_type, doc_number=doc_number, name=name
    )
    c = deps.cipher
    return _store(
        deps,
        "person",
        {
            "name_enc": c.encrypt(name, NAME),
            "identity_region": region,
            "doc_type": doc_type,
            "doc_number_enc": c.encrypt(doc_number, DOC_NUMBER),
            "matched_account_id": match.account_id if match else None,
            "matched_login_name": match.login_name if match else None,
            "name_matches": match.name_matches if match else None,
        },
        cleaned,
        phone,  # type: ignore[arg-type]
    )


def _unit_code(credit_code: object, registration_number: object) -> tuple[str, str]:
    """``(kind, code)`` as given (accounts has checked it): the credit code when
    both are."""
    for kind, value in (
        ("credit_code", credit_code),
        ("registration_number", registration_number),
    ):
        if isinstance(value, str) and value.strip():
            return kind, "".join(value.split()).upper()
    raise AssertionError("accounts refuses a look-up without a code")


def start_organization_lookup(
    deps: AppealDeps,
    unit_name: object,
    captcha_id: object,
    captcha_answer: object,
    client_ip: object,
    credit_code: object = None,
    registration_number: object = None,
) -> dict:
    """Organisation appeal step 1: ``{lookup_id, expires_in}`` for any name and
    code (an unknown unit answers the same). Every organisation the appeal could
    be about (accounts: the one holding the code, every one with the name) is
    kept with the look-up for the reviewer; none is picked here. Raises
    ``InvalidInput`` (``required``, ``unit_name_invalid``, ``captcha_invalid``,
    and accounts' ``credit_code_required``, ``credit_code_invalid``,
    ``registration_number_invalid``), ``RateLimited``."""
    errors: list[dict] = []
    name = _text({"unit_name": unit_name}, "unit_name", errors, 200)
    if not isinstance(captcha_id, str) or not isinstance(captcha_answer, str):
        errors.append(field_error("captcha_answer", "captcha_invalid", "Required"))
    if errors:
        raise invalid_fields(errors)
    require_quota(
        deps.quotas,
        "client:lookup",
        str(client_ip or "unknown"),
        deps.settings.client_per_hour,
    )
    require_quota(  # per unit name, whoever asks (keyed, never in clear)
        deps.quotas,
        "unit:lookup",
        deps.cipher.blind_index(name, UNIT_NAME),
        deps.settings.subject_per_hour,
    )
    # accounts checks the code by the registration's rule first (a missing or
    # invalid code is refused before the captcha is spent, as a document check
    # is); its answer stays here until the captcha is solved
    found = deps.accounts.find_organization_for_appeal(
        unit_name=name,
        credit_code=credit_code,
        registration_number=registration_number,
    )
    require_captcha(deps.otp, captcha_id, captcha_answer)
    code_kind, code = _unit_code(credit_code, registration_number)
    c = deps.cipher
    lookup_id = "lku_" + secrets.token_urlsafe(18)
    deps.lookups.put(
        lookup_id,
        {
            "unit_name_enc": c.encrypt(name, UNIT_NAME),
            "unit_code_kind": code_kind,
            "unit_code_enc": c.encrypt(code, UNIT_CODE),
            "candidates_enc": c.encrypt(json.dumps(found.dump()), CANDIDATES),
        },
        deps.settings.lookup_ttl_seconds,
    )
    return {"lookup_id": lookup_id, "expires_in": deps.settings.lookup_ttl_seconds}


def _the_one_candidate(deps: AppealDeps, lookup: dict) -> dict:
    """The matched account of a new organisation appeal: the candidate when there
    is exactly one, else none (several wait for the reviewer's pick)."""
    if "candidates_enc" not in lookup:  # a look-up stored before candidates
        return {
            "account_id": lookup.get("account_id"),
            "login_name": lookup.get("login_name"),
        }
    found = json.loads(deps.cipher.decrypt(lookup["candidates_enc"], CANDIDATES))
    candidates = found["candidates"]
    if len(candidates) != 1:
        return {"account_id": None, "login_name": None}
    return candidates[0]


def submit_organization_appeal(
    deps: AppealDeps, appeal: object, files: object, client_ip: object
) -> dict:
    """Organisation appeal step 2: ``{appeal_id, ticket, status}``. ``appeal``:
    ``lookup_id, contact_name, contact_phone, sms_code``; files ``licence,
    id_front, id_back``. The appeal keeps the look-up's unit name, code and
    candidates. Raises ``InvalidInput`` (``lookup_invalid`` for an unknown or
    expired lookup, and the person appeal's codes), ``RateLimited``."""
    data = appeal if isinstance(appeal, dict) else {}
    errors: list[dict] = []
    lookup_id = data.get("lookup_id")
    lookup = (
        deps.lookups.get(lookup_id)
        if isinstance(lookup_id, str) and 0 < len(lookup_id) <= 64
        else None
    )
    if lookup is None:
        errors.append(field_error("lookup_id", "lookup_invalid", "Find the unit again"))
    name = _text(data, "contact_name", errors, 50)
    phone = _phone(data, "contact_phone", errors)
    code = _sms_code(data, errors)
    inspected = _images(files, ORGANIZATION_FILES, deps, errors)
    if errors:
        raise invalid_fields(errors)
    _count_appeal(deps, client_ip, phone)  # type: ignore[arg-type]
    cleaned = _decoded(deps, inspected)
    _spend_code(deps, phone, code, "sms_code")  # type: ignore[arg-type]
    matched = _the_one_candidate(deps, lookup)  # type: ignore[arg-type]
    return _store(
        deps,
        "organization",
        {
            "name_enc": deps.cipher.encrypt(name, NAME),
            "unit_name_enc": lookup["unit_name_enc"],  # type: ignore[index]
            "unit_code_kind": lookup.get("unit_code_kind"),  # type: ignore[union-attr]
            "unit_code_enc": lookup.get("unit_code_enc"),  # type: ignore[union-attr]
            "candidates_enc": lookup.get("candidates_enc"),  # type: ignore[union-attr]
            "matched_account_id": matched["account_id"],
            "matched_login_name": matched["login_name"],
        },
        cleaned,
        phone,  # type: ignore[arg-type]
    )


# --- the appellant's view ----------------------------------------------------------------


def get_appeal_status(deps: AppealDeps, appeal_id: object, ticket: object) -> dict:
    """``{appeal_id, status, submitted_at, decided_at, reason}`` (the reason on a
    rejection; ``status`` is the state, ``recovered`` shown as ``approved``). An
    unknown id and a wrong ticket are the same ``NotFound`` (``appeal_not_found``);
    the ticket is compared in constant time."""
    row = None
    if repo.is_appeal_id(appeal_id):
        with deps.session.begin():
            row = repo.get_appeal(deps.session, appeal_id)
    offered = ticket_hash(ticket) if isinstance(ticket, str) else ""
    stored = row.ticket_hash if row is not None else ticket_hash("")
    if row is None or not secrets.compare_digest(stored, offered):
        raise NotFound("appeal_not_found", "No such appeal, or the ticket is wrong.")
    return {
        "appeal_id": row.id,
        "status": PUBLIC_STATE.get(row.state, row.state),
        "submitted_at": row.created_at.isoformat(),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "reason": row.reason if row.state == AppealState.REJECTED else None,
    }
