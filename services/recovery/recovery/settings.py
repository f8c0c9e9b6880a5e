"""recovery's settings: one pydantic-settings class, read once at start.

Read by :meth:`RecoverySettings.from_config` (the container config, then the
environment, then the defaults; see ``servicekit.settings``). The defaults are
the use cases' own (``ResetSettings``, ``AppealSettings``: what a test gets
without configuring anything), taken from there so they are written once; the
``WORK_*`` knobs come from ``servicekit.settings.WorkSettings``.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from servicekit.settings import UploadWorkSettings

from recovery.appeals import AppealSettings
from recovery.resets import ResetSettings


class RecoverySettings(UploadWorkSettings):
    rpc_timeout: float = Field(5.0, alias="RECOVERY_RPC_TIMEOUT", gt=0)
    work_rpc_timeout: float = Field(5.0, alias="RECOVERY_WORK_RPC_TIMEOUT", gt=0)
    reset_ttl_seconds: int = Field(
        ResetSettings.ttl_seconds, alias="RESET_TTL_SECONDS", ge=1
    )
    reset_max_attempts: int = Field(
        ResetSettings.max_attempts, alias="RESET_MAX_ATTEMPTS", ge=1
    )
    reset_keep_seconds: int = Field(
        ResetSettings.keep_seconds, alias="RESET_KEEP_SECONDS", ge=1
    )
    client_per_hour: int = Field(
        ResetSettings.client_per_hour, alias="RECOVERY_CLIENT_PER_HOUR", ge=0
    )
    subject_per_hour: int = Field(
        ResetSettings.subject_per_hour, alias="RECOVERY_SUBJECT_PER_HOUR", ge=0
    )
    org_lookup_ttl_seconds: int = Field(
        AppealSettings.lookup_ttl_seconds, alias="ORG_LOOKUP_TTL_SECONDS", ge=1
    )
    appeal_max_file_bytes: int = Field(
        AppealSettings.max_file_bytes, alias="APPEAL_MAX_FILE_BYTES", ge=1
    )
    appeal_max_pixels: int = Field(
        AppealSettings.max_pixels, alias="APPEAL_MAX_PIXELS", ge=1
    )
    appeal_file_retention_seconds: float = Field(
        AppealSettings.retention_seconds, alias="APPEAL_FILE_RETENTION_SECONDS", gt=0
    )

    @model_validator(mode="after")
    def _work_calls_end_inside_the_lease(self) -> RecoverySettings:
        # a work item makes two calls: together they must end well inside the
        # lease, or a second copy could run the same item at once
        if 2 * self.work_rpc_timeout >= self.work_lease_seconds / 2:
            raise ValueError(
                "RECOVERY_WORK_RPC_TIMEOUT must be under a quarter of WORK_LEASE_SECONDS"
            )
        return self

    @property
    def reset(self) -> ResetSettings:
        return ResetSettings(
            ttl_seconds=self.reset_ttl_seconds,
            max_attempts=self.reset_max_attempts,
            keep_seconds=self.reset_keep_seconds,
            client_per_hour=self.client_per_hour,
            subject_per_hour=self.subject_per_hour,
        )

    @property
    def appeal(self) -> AppealSettings:
        return AppealSettings(
            max_file_bytes=self.appeal_max_file_bytes,
            max_pixels=self.appeal_max_pixels,
            retention_seconds=self.appeal_file_retention_seconds,
            client_per_hour=self.client_per_hour,
            subject_per_hour=self.subject_per_hour,
            lookup_ttl_seconds=self.org_lookup_ttl_seconds,
            decode_threads=self.image_decode_threads,
        )
