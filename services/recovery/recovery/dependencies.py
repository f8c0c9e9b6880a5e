"""This service's own dependency provider: its settings, read once."""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from recovery.settings import RecoverySettings


class Settings(DependencyProvider):
    """The settings the use cases need, read once at start (``RecoverySettings``)."""

    def setup(self):
        settings = RecoverySettings.from_config(self.container.config)
        self.value = {
            "reset": settings.reset,
            "appeal": settings.appeal,
            "rpc_timeout": settings.rpc_timeout,
            "work_rpc_timeout": settings.work_rpc_timeout,
        }

    def get_dependency(self, worker_ctx) -> dict:
        return self.value
