"""What the service builds from its settings at start (``servicekit.providers``)."""

from __future__ import annotations

from recovery.settings import RecoverySettings


def use_case_settings(config: dict) -> dict:
    """The settings the use cases need (``RecoverySettings``), read once at start."""
    settings = RecoverySettings.from_config(config)
    return {
        "reset": settings.reset,
        "appeal": settings.appeal,
        "rpc_timeout": settings.rpc_timeout,
        "work_rpc_timeout": settings.work_rpc_timeout,
    }
