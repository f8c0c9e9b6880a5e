"""Contract of the ``verification`` service: real-name verification and its review."""

from __future__ import annotations

from typing import TypedDict

from contracts.base import ServiceContract


class CanaryStatus(TypedDict):
    canary_id: str
    received: bool
    received_at: str | None
    correlation_id: str | None


class VerificationContract(ServiceContract):
    name = "verification"
    events = ()

    def get_pipeline_canary(self, canary_id: str) -> CanaryStatus:
        """Whether ``accounts``' ``pipeline_canary_sent`` for this id has arrived.

        ``received`` is false until the event is handled; never raises for an
        unknown id.
        """
        raise NotImplementedError
