"""Contract of the ``accounts`` service: accounts, credentials, sessions, profiles."""

from __future__ import annotations

from typing import TypedDict

from contracts.base import ServiceContract


class CanaryResult(TypedDict):
    canary_id: str


class AccountsContract(ServiceContract):
    name = "accounts"
    events = ("pipeline_canary_sent",)

    def send_pipeline_canary(self, canary_id: str) -> CanaryResult:
        """Write a ``pipeline_canary_sent`` event through the outbox.

        Operators use it to prove the event path (outbox, relay, broker, consumer)
        works end to end; ``verification.get_pipeline_canary`` tells whether it
        arrived. Emits ``pipeline_canary_sent {canary_id}``. Idempotent per id.
        Raises ``InvalidInput`` (``canary_id_invalid``) for an id that is not a
        UUID.
        """
        raise NotImplementedError
