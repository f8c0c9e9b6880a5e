"""Contract of the ``recovery`` service: password resets and appeals."""

from __future__ import annotations

from contracts.base import ServiceContract


class RecoveryContract(ServiceContract):
    name = "recovery"
    events = ()
