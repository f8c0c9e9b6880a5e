"""Appeals by persons and organisations, and their review (product.md flow 6.2-6.3),
as plain functions (no Nameko import).

An appeal stores what the appellant proved (a mobile, by an SMS code of purpose
``appeal``) and claimed (name, document, unit), encrypted, with their document
images re-encoded and encrypted, and answers a public id (``apl_``) and a secret
ticket (kept as a hash). A reviewer sees the account it matches (accounts' blind
index) and what differs, and decides. Approval writes the decision, its audit row,
the event and a durable work item in one transaction; the work item sets the
temporary password at accounts (once per appeal) and has otp send it (deduplicated
by the appeal id), so a crash between the two loses nothing and sends one SMS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts import review
from contracts.accounts import DOC_TYPES_BY_REGION, IDENTITY_REGIONS
from contracts.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    ServiceError,
    field_error,
)
from contracts.masking import mask_phone
from contracts.phones import PhoneInvalid, normalize_phone
from servicekit.images import ImageRejected, clean_image, review_view
from servicekit.workqueue import RetryLater, enqueue
from sqlalchemy.orm import Session

from recovery import repository as repo
from recovery.flow import AppealStatus, AppealTrigger, advance_appeal
from recovery.models import appeals, work_items
from recovery.store import require_quota

_log = logging.getLogger("recovery.appeals")

PERSON_FILES = ("id_front", "id_back")
ORGANIZATION_FILES = ("licence", "id_front", "id_back")
RECOVER_ACCOUNT = "recover_account"
NOTIFY_REJECTION = "notify_rejection"
PURGE_FILES = "purge_appeal_files"
SMS_CODE = re.compile(r"^\d{6}$")
# kinds of servicekit.crypto values (part of every ciphertext's associated data)
NAME, DOC_NUMBER, PHONE, UNIT_NAME = "name", "doc_number", "phone", "unit_name"
# every encrypted text column with its kind (what a key rotation rewrites)
ENCRYPTED_COLUMNS = (
    (appeals.c.name_enc, NAME),
    (appeals.c.doc_number_enc, DOC_NUMBER),
    (appeals.c.unit_name_enc, UNIT_NAME),
    (appeals.c.phone_enc, PHONE),
)


@dataclass(frozen=True)
class AppealSettings:
    max_file_bytes: int = 1024 * 1024  # APPEAL_MAX_FILE_BYTES
    max_pixels: int = 25_000_000  # APPEAL_MAX_PIXELS
    retention_seconds: float = 30 * 86400  # APPEAL_FILE_RETENTION_SECONDS
    client_per_hour: int = 60  # RECOVERY_CLIENT_PER_HOUR
    subject_per_hour: int = 10  # RECOVERY_SUBJECT_PER_HOUR
    lookup_ttl_seconds: int = 1800  # ORG_LOOKUP_TTL_SECONDS


@dataclass
class AppealDeps:
    session: Session
    emit: Callable[[str, dict], str]  # the outbox, in the session's transaction
    cipher: Any  # servicekit.crypto.PersonalDataCipher
    accounts: Any
    otp: Any
    quotas: Any  # recovery.store.Quotas
    lookups: Any  # recovery.store.LookupStore
    settings: AppealSettings
    clock: Callable[[], datetime]
    correlation_id: str | None = None
    parent_call_id: str | None = None


def _invalid(errors: list[dict]) -> InvalidInput:
    first = errors[0]
    return InvalidInput(first["code"], first["message"], {"errors": errors})


def ticket_hash(ticket: str) -> str:
    # A ticket is 192 random bits: a plain hash cannot be reversed or guessed.
    return hashlib.sha256(ticket.encode()).hexdigest()


def file_aad(appeal_id: str, field: str) -> bytes:
    return f"appeal_files:{appeal_id}:{field}".encode()


def password_aad(appeal_id: str) -> bytes:
    return f"appeal_temporary_password:{appeal_id}".encode()


def temporary_password(length: int = 14) -> str:
    """Random, with every character class the password rule asks for."""
    pools = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "#%+-=?@")
    chars = [secrets.choice(pool) for pool in pools]
    everything = "".join(pools)
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


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


def _images(files: object, expected: tuple[str, ...], deps: AppealDeps, errors: list):
    files = files if isinstance(files, dict) else {}
    errors += [
        field_error(n, "unexpected_file", f"{n} is not expected")
        for n in files
        if n not in expected
    ]
    cleaned = {}
    for name in expected:
        if name not in files:
            errors.append(field_error(name, "file_missing", f"{name} is required"))
            continue
        try:
            raw = base64.b64decode(files[name], validate=True)
        except (binascii.Error, ValueError, TypeError):
            errors.append(field_error(name, "image_corrupt", "the file is not base64"))
            continue
        try:
            cleaned[name] = clean_image(
                raw, deps.settings.max_file_bytes, deps.settings.max_pixels
            )
        except ImageRejected as rejected:
            errors.append(field_error(name, rejected.code, rejected.message))
    return cleaned


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
        raise InvalidInput(code_name, "The SMS code is wrong or expired", details)


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
            kind=kind,
            status=AppealStatus.SUBMITTED.value,
            ticket_hash=ticket_hash(ticket),
            phone_enc=c.encrypt(phone, PHONE),
            correlation_id=deps.correlation_id,
            submitted_at=now,
            updated_at=now,
            **values,
        )
        for name, image in cleaned.items():
            repo.insert_file(
                deps.session,
                appeal_id=appeal_id,
                field=name,
                media_type=image.media_type,
                width=image.width,
                height=image.height,
                size=len(image.data),
                key_id=c.active_key_id,
                ciphertext=c.encrypt_bytes(image.data, file_aad(appeal_id, name)),
                created_at=now,
            )
        deps.emit("appeal_submitted", {"appeal_id": appeal_id, "kind": kind})
    return {"appeal_id": appeal_id, "ticket": ticket, "status": "submitted"}


# --- submitting ------------------------------------------------------------------------


def submit_person_appeal(
    deps: AppealDeps, appeal: object, files: object, client_ip: object
) -> dict:
    """A natural person's appeal: ``{appeal_id, ticket, status}``.

    Every field and image is checked first (all errors together, nothing
    stored, the SMS code not spent); then the quotas, then the code (purpose
    ``appeal``) at otp; then the appeal, its images and ``appeal_submitted`` in
    one transaction. Raises ``InvalidInput``, ``RateLimited``, ``Unavailable``.
    """
    data = appeal if isinstance(appeal, dict) else {}
    errors: list[dict] = []
    name = _text(data, "name", errors, 50)
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
    doc_number = _text(data, "doc_number", errors, 40)
    phone = _phone(data, "phone", errors)
    code = _sms_code(data, errors)
    cleaned = _images(files, PERSON_FILES, deps, errors)
    if errors:
        raise _invalid(errors)
    doc_number = "".join(doc_number.split()).upper()  # type: ignore[union-attr]
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
            "matched_account_id": match["account_id"] if match else None,
            "matched_login_name": match["login_name"] if match else None,
            "name_matches": match["name_matches"] if match else None,
        },
        cleaned,
        phone,  # type: ignore[arg-type]
    )


def start_organization_lookup(
    deps: AppealDeps,
    unit_name: object,
    captcha_id: object,
    captcha_answer: object,
    client_ip: object,
) -> dict:
    """Organisation appeal step 1: ``{lookup_id, expires_in}`` for any name (an
    unknown unit answers the same). Raises ``InvalidInput`` (``required``,
    ``unit_name_invalid``, ``captcha_invalid``), ``RateLimited``."""
    errors: list[dict] = []
    name = _text({"unit_name": unit_name}, "unit_name", errors, 200)
    if not isinstance(captcha_id, str) or not isinstance(captcha_answer, str):
        errors.append(field_error("captcha_answer", "captcha_invalid", "Required"))
    if errors:
        raise _invalid(errors)
    require_quota(
        deps.quotas,
        "client:lookup",
        str(client_ip or "unknown"),
        deps.settings.client_per_hour,
    )
    try:
        deps.otp.check_captcha(captcha_id=captcha_id, answer=captcha_answer)
    except InvalidInput:
        raise _invalid(
            [field_error("captcha_answer", "captcha_invalid", "Wrong or expired")]
        ) from None
    found = deps.accounts.find_organization_for_appeal(unit_name=name)
    lookup_id = "lku_" + secrets.token_urlsafe(18)
    deps.lookups.put(
        lookup_id,
        {
            "unit_name_enc": deps.cipher.encrypt(name, UNIT_NAME),
            "account_id": found["account_id"] if found else None,
            "login_name": found["login_name"] if found else None,
        },
        deps.settings.lookup_ttl_seconds,
    )
    return {"lookup_id": lookup_id, "expires_in": deps.settings.lookup_ttl_seconds}


def submit_organization_appeal(
    deps: AppealDeps, appeal: object, files: object, client_ip: object
) -> dict:
    """Organisation appeal step 2: ``{appeal_id, ticket, status}``. ``appeal``:
    ``lookup_id, contact_name, contact_phone, sms_code``; files ``licence,
    id_front, id_back``. Raises ``InvalidInput`` (``lookup_invalid`` for an
    unknown or expired lookup, and the person appeal's codes), ``RateLimited``."""
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
    cleaned = _images(files, ORGANIZATION_FILES, deps, errors)
    if errors:
        raise _invalid(errors)
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
    _spend_code(deps, phone, code, "sms_code")  # type: ignore[arg-type]
    return _store(
        deps,
        "organization",
        {
            "name_enc": deps.cipher.encrypt(name, NAME),
            "unit_name_enc": lookup["unit_name_enc"],
            "matched_account_id": lookup["account_id"],
            "matched_login_name": lookup["login_name"],
        },
        cleaned,
        phone,  # type: ignore[arg-type]
    )


def get_appeal_status(deps: AppealDeps, appeal_id: object, ticket: object) -> dict:
    """``{appeal_id, status, submitted_at, decided_at, reason}`` (the reason on a
    rejection). An unknown id and a wrong ticket are the same ``NotFound``
    (``appeal_not_found``); the ticket is compared in constant time."""
    row = None
    if repo.is_appeal_id(appeal_id):
        with deps.session.begin():
            row = repo.get_appeal(deps.session, appeal_id)
    offered = ticket_hash(ticket) if isinstance(ticket, str) else ""
    stored = row.ticket_hash if row is not None else ticket_hash("")
    if row is None or not secrets.compare_digest(stored, offered):
        raise NotFound("appeal_not_found", "No such appeal, or the ticket is wrong.")
    public = {"approved": "approved", "recovered": "approved"}.get(
        row.status, row.status
    )
    return {
        "appeal_id": row.appeal_id,
        "status": public,
        "submitted_at": row.submitted_at.isoformat(),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "reason": row.reason if row.status == AppealStatus.REJECTED else None,
    }


# --- review -----------------------------------------------------------------------------


def review_summary(row) -> dict:
    return {
        "case_id": row.appeal_id,
        "kind": "appeal",
        "status": row.status,
        "account_id": row.matched_account_id,
        "account_kind": row.kind,
        "submitted_at": row.submitted_at.isoformat(),
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
    }


def list_review_cases(
    deps: AppealDeps, status: str | None, limit: int, offset: int
) -> dict:
    status = status or AppealStatus.SUBMITTED.value
    review.check_page(status, [s.value for s in AppealStatus], limit, offset)
    with deps.session.begin():
        rows, total = repo.review_page(deps.session, status, limit, offset)
    return {"items": [review_summary(r) for r in rows], "total": total}


def get_review_case(deps: AppealDeps, case_id: object) -> dict:
    """One appeal for a reviewer: what was claimed (masked where the API masks),
    the matched account, what differs, the decoded images and the decisions."""
    if not repo.is_appeal_id(case_id):
        raise NotFound("case_not_found", "No such review case.")
    with deps.session.begin():
        row = repo.get_appeal(deps.session, case_id)
        if row is None:
            raise NotFound("case_not_found", "No such review case.")
        stored = repo.files(deps.session, case_id)
        decisions = repo.decisions(deps.session, case_id)
    c = deps.cipher
    claimed = {
        "name": c.decrypt(row.name_enc, NAME),
        "phone": mask_phone(c.decrypt(row.phone_enc, PHONE)),
    }
    differences = []
    if row.kind == "person":
        number = c.decrypt(row.doc_number_enc, DOC_NUMBER)
        claimed.update(
            identity_region=row.identity_region,
            doc_type=row.doc_type,
            doc_number=number[:3] + "*" * max(len(number) - 5, 1) + number[-2:],
        )
        if row.matched_account_id and row.name_matches is False:
            differences.append("name")
    else:
        claimed["unit_name"] = c.decrypt(row.unit_name_enc, UNIT_NAME)
    if row.matched_account_id is None:
        differences.append("no_matching_account")
    files = [
        review_view(
            f.field,
            f.media_type,
            f.width,
            f.height,
            c.decrypt_bytes(f.ciphertext, file_aad(case_id, f.field)),
        )
        for f in stored
    ]
    return {
        **review_summary(row),
        "claimed": claimed,
        "matched_account": (
            {"account_id": row.matched_account_id, "login_name": row.matched_login_name}
            if row.matched_account_id
            else None
        ),
        "differences": differences,
        "files": files,
        "decisions": [review.decision_record(d) for d in decisions],
    }


def decide_review_case(
    deps: AppealDeps,
    case_id: object,
    decision: object,
    reason: object,
    reviewer_id: object,
) -> dict:
    """Approve or reject a submitted appeal. The state change, the audit row, the
    event and the durable work that follows (recover the account and send the
    SMS, or send the rejection) are one transaction. Raises ``InvalidInput``
    (``decision_invalid``, ``reason_required``, ``reason_too_long``),
    ``NotFound`` (``case_not_found``), ``Conflict`` (``case_closed``;
    ``no_matching_account``: an appeal that matches no account cannot be
    approved). Emits ``appeal_approved`` or ``appeal_rejected``."""
    reason = review.checked_decision(decision, reason, reviewer_id)
    if not repo.is_appeal_id(case_id):
        raise NotFound("case_not_found", "No such review case.")
    trigger = (
        AppealTrigger.REVIEWER_APPROVED
        if decision == "approve"
        else AppealTrigger.REVIEWER_REJECTED
    )
    session = deps.session
    with session.begin():
        row = repo.get_appeal(session, case_id, for_update=True)
        if row is None:
            raise NotFound("case_not_found", "No such review case.")
        if row.status != AppealStatus.SUBMITTED:
            raise Conflict(
                "case_closed",
                "The appeal is not waiting for a review.",
                {"case_status": row.status},
            )
        if decision == "approve" and row.matched_account_id is None:
            raise Conflict(
                "no_matching_account",
                "The appeal matches no account; it can only be rejected.",
            )
        target = advance_appeal(row.status, trigger)
        now = deps.clock()
        moved = repo.transition(
            session,
            case_id,
            from_status=row.status,
            to_status=target.value,
            now=now,
            decided_at=now,
            reason=reason,
        )
        if not moved:  # a second guard beside the lock: the row left `submitted`
            raise Conflict(
                "case_closed",
                "The appeal is not waiting for a review.",
                {"case_status": repo.get_appeal(session, case_id).status},
            )
        repo.insert_decision(
            session,
            appeal_id=case_id,
            reviewer_id=str(reviewer_id),
            decision=decision,
            reason=reason,
            from_status=row.status,
            to_status=target.value,
            decided_at=now,
            correlation_id=deps.correlation_id,
        )
        common = {
            "correlation_id": deps.correlation_id,
            "parent_call_id": deps.parent_call_id,
        }
        if decision == "approve":
            password = temporary_password()
            enqueue(
                session,
                work_items,
                kind=RECOVER_ACCOUNT,
                ref=case_id,
                # the temporary password, encrypted: the item may run again after a
                # crash and must send the same password it set
                payload={
                    "password_enc": base64.b64encode(
                        deps.cipher.encrypt_bytes(
                            password.encode(), password_aad(case_id)
                        )
                    ).decode()
                },
                **common,
            )
            deps.emit(
                "appeal_approved",
                {
                    "appeal_id": case_id,
                    "kind": row.kind,
                    "account_id": row.matched_account_id,
                },
            )
        else:
            enqueue(session, work_items, kind=NOTIFY_REJECTION, ref=case_id, **common)
            deps.emit("appeal_rejected", {"appeal_id": case_id, "kind": row.kind})
        enqueue(
            session,
            work_items,
            kind=PURGE_FILES,
            ref=case_id,
            delay=deps.settings.retention_seconds,
            **common,
        )
        updated = repo.get_appeal(session, case_id)
        decisions = repo.decisions(session, case_id)
    return {
        **review_summary(updated),
        "decisions": [review.decision_record(d) for d in decisions],
    }


# --- the durable work after a decision ------------------------------------------------


def recover_account(deps: AppealDeps, appeal_id: str, payload: dict) -> str:
    """Set the temporary password at accounts (once per appeal id) and have otp
    send it (once per appeal id), then mark the appeal ``recovered``.

    Safe to run again after a crash at any point: both calls are idempotent by
    the appeal id, and the password is the one kept (encrypted) in the item.
    Raises :class:`RetryLater` while accounts or otp cannot answer."""
    with deps.session.begin():
        row = repo.get_appeal(deps.session, appeal_id)
    if row is None or row.status != AppealStatus.APPROVED:
        return "skipped"
    password = deps.cipher.decrypt_bytes(
        base64.b64decode(payload["password_enc"]), password_aad(appeal_id)
    ).decode()
    phone = deps.cipher.decrypt(row.phone_enc, PHONE)
    try:
        result = deps.accounts.set_temporary_password(
            account_id=row.matched_account_id,
            password=password,
            phone=phone,
            request_id=appeal_id,
        )
        deps.otp.send_notice(
            phone=phone,
            template="temporary_password",
            params={"login_name": result["login_name"], "password": password},
            dedupe_key=appeal_id,
        )
    except ServiceError as exc:
        if exc.error_code in ("dependency_unavailable", "unavailable"):
            raise RetryLater(exc.error_code) from None
        raise
    with deps.session.begin():
        moved = repo.transition(
            deps.session,
            appeal_id,
            from_status=AppealStatus.APPROVED.value,
            to_status=advance_appeal(
                AppealStatus.APPROVED, AppealTrigger.PASSWORD_SENT
            ).value,
            now=deps.clock(),
        )
        repo.forget_work_payload(deps.session, RECOVER_ACCOUNT, appeal_id)
    return "recovered" if moved else "skipped"


def notify_rejection(deps: AppealDeps, appeal_id: str) -> str:
    """Send the reviewer's reason to the appeal's phone (once: otp dedupes by key)."""
    with deps.session.begin():
        row = repo.get_appeal(deps.session, appeal_id)
    if row is None or row.status != AppealStatus.REJECTED:
        return "skipped"
    reason = "".join(ch for ch in (row.reason or "") if ch.isprintable())[:64]
    try:
        deps.otp.send_notice(
            phone=deps.cipher.decrypt(row.phone_enc, PHONE),
            template="appeal_rejected",
            params={"ticket": appeal_id, "reason": reason or "-"},
            dedupe_key=appeal_id + ":rejected",
        )
    except ServiceError as exc:
        if exc.error_code in ("dependency_unavailable", "unavailable"):
            raise RetryLater(exc.error_code) from None
        raise
    return "sent"


def purge_files(deps: AppealDeps, appeal_id: str) -> int:
    """Delete a decided appeal's images (``APPEAL_FILE_RETENTION_SECONDS`` after
    the decision). Idempotent."""
    with deps.session.begin():
        return repo.delete_files(deps.session, appeal_id)
