"""Appeals by persons and organisations (product.md flow 6.2-6.3): what every step
shares.

An appeal stores what the appellant proved (a mobile, by an SMS code of purpose
``appeal``) and claimed (name, document, unit), encrypted, with their document
images re-encoded and encrypted, and answers a public id (``apl_``) and a secret
ticket (kept as a hash for the status look-up, and encrypted: a rejection SMS to the
proven phone carries it, so that SMS alone is enough to look the appeal up). A
reviewer sees the account it matches (accounts' blind index), what differs and the
appeal's history, and decides. Approval writes the
decision, its audit row, the state change, the event and a durable work item in one
transaction; the work item sets the temporary password at accounts (once per
appeal) and has otp send it (deduplicated by the appeal id), so a crash between the
two loses nothing and sends one SMS.

The steps are plain functions (no Nameko import): ``appeal_intake`` (submitting,
the appellant's status), ``appeal_review`` (the review queue), ``appeal_work`` (the
durable work after a decision). This module holds their collaborators, settings,
and the names that bind stored ciphertexts to an appeal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.accounts import AccountsClient
from contracts.events import Event
from contracts.otp import OtpClient
from servicekit.decode_pool import DEFAULT_SIZE as DEFAULT_DECODE_THREADS
from sqlalchemy.orm import Session

from recovery.models import appeals

# the kinds of durable work items
RECOVER_ACCOUNT = "recover_account"
NOTIFY_REJECTION = "notify_rejection"
PURGE_FILES = "purge_appeal_files"
# kinds of servicekit.crypto values (part of every ciphertext's associated data)
NAME, DOC_NUMBER, PHONE, UNIT_NAME = "name", "doc_number", "phone", "unit_name"
TICKET = "ticket"
UNIT_CODE, CANDIDATES = "unit_code", "appeal_candidates"
# every encrypted text column with its kind (what a key rotation rewrites)
ENCRYPTED_COLUMNS = (
    (appeals.c.name_enc, NAME),
    (appeals.c.doc_number_enc, DOC_NUMBER),
    (appeals.c.unit_name_enc, UNIT_NAME),
    (appeals.c.phone_enc, PHONE),
    (appeals.c.ticket_enc, TICKET),
    (appeals.c.unit_code_enc, UNIT_CODE),
    (appeals.c.candidates_enc, CANDIDATES),
)


@dataclass(frozen=True)
class AppealSettings:
    max_file_bytes: int = 1024 * 1024  # APPEAL_MAX_FILE_BYTES
    max_pixels: int = 25_000_000  # APPEAL_MAX_PIXELS
    retention_seconds: float = 30 * 86400  # APPEAL_FILE_RETENTION_SECONDS
    client_per_hour: int = 60  # RECOVERY_CLIENT_PER_HOUR
    subject_per_hour: int = 10  # RECOVERY_SUBJECT_PER_HOUR
    lookup_ttl_seconds: int = 1800  # ORG_LOOKUP_TTL_SECONDS
    decode_threads: int = DEFAULT_DECODE_THREADS  # IMAGE_DECODE_THREADS


@dataclass
class AppealDeps:
    session: Session
    emit: Callable[[Event], str]  # the outbox, in the session's transaction
    cipher: Any  # servicekit.crypto.PersonalDataCipher
    accounts: AccountsClient  # over servicekit.calls.TimedCaller
    otp: OtpClient  # over servicekit.calls.TimedCaller
    quotas: Any  # recovery.store.Quotas
    lookups: Any  # recovery.store.LookupStore
    settings: AppealSettings
    clock: Callable[[], datetime]  # timezone-aware UTC
    correlation_id: str | None = None
    parent_call_id: str | None = None


def stored_candidates(cipher, row) -> dict | None:
    """An organisation appeal's candidates as accounts answered the look-up
    (``contracts.accounts.AppealOrganizations``: ``candidates``, the one holding
    the given code first, and ``truncated``), or None: a person's appeal, or an
    organisation's stored before candidates were kept (migration 0005)."""
    if row.candidates_enc is None:
        return None
    return json.loads(cipher.decrypt(row.candidates_enc, CANDIDATES))


def ticket_hash(ticket: str) -> str:
    # A ticket is 192 random bits: a plain hash cannot be reversed or guessed.
    return hashlib.sha256(ticket.encode()).hexdigest()


def file_aad(appeal_id: str, field: str) -> bytes:
    return f"appeal_files:{appeal_id}:{field}".encode()


def password_aad(appeal_id: str) -> bytes:
    return f"appeal_temporary_password:{appeal_id}".encode()
