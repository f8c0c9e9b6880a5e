"""Contract of the ``accounts`` service: accounts, credentials, sessions, profiles."""

from __future__ import annotations

from typing import TypedDict

from contracts.base import ServiceContract


class CanaryResult(TypedDict):
    canary_id: str


class VerificationSubject(TypedDict, total=False):
    """What the identity authority is asked about one account (personal data:
    returned only to the verification service, never logged or put in events)."""

    account_id: str
    account_kind: str  # "person" | "organization"
    name: str  # person's name, or the organisation's name
    identity_region: str  # persons: mainland | hmt | other
    doc_type: str  # persons: resident_id, passport, ...
    doc_number: str  # persons: in clear
    registration_region: str  # organisations: domestic | hmt | overseas
    credit_code: str  # organisations: credit code or registration number, in clear
    legal_representative_name: str  # organisations


class AccountsContract(ServiceContract):
    """Events (envelope ``data``, ids and kinds only, never personal data):

    - ``person_registered`` / ``organization_registered``:
      ``{account_id, account_kind}``
    - ``profile_changed``: ``{account_id, account_kind, reverify}`` where
      ``reverify`` is true when a verified field changed (verification starts again)
    - ``password_changed``: ``{account_id}``; ``account_locked``: ``{account_id}``

    Consumes ``verification_passed`` / ``verification_failed`` (and later the
    recovery service's ``appeal_approved``).
    """

    name = "accounts"
    events = (
        "pipeline_canary_sent",
        "person_registered",
        "organization_registered",
        "profile_changed",
        "password_changed",
        "account_locked",
    )

    def send_pipeline_canary(self, canary_id: str) -> CanaryResult:
        """Write a ``pipeline_canary_sent`` event through the outbox.

        Operators use it to prove the event path (outbox, relay, broker, consumer)
        works end to end; ``verification.get_pipeline_canary`` tells whether it
        arrived. Emits ``pipeline_canary_sent {canary_id}``. Idempotent per id.
        Raises ``InvalidInput`` (``canary_id_invalid``) for an id that is not a
        UUID.
        """
        raise NotImplementedError

    def get_verification_subject(self, account_id: str) -> VerificationSubject:
        """The data real-name verification checks for ``account_id``, in clear.

        Called by the verification service only. Raises ``NotFound``
        (``account_not_found``) for an unknown id.
        """
        raise NotImplementedError
