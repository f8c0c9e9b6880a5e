"""verification's settings: one pydantic-settings class, defaults written once.

Read by :meth:`VerificationSettings.from_config` (the container config, then the
environment, then these defaults; see ``servicekit.settings``). The ``WORK_*``
knobs come from ``servicekit.settings.WorkSettings``; ``ENVIRONMENT`` and the
personal-data keys stay in ``config.yml``, read by ``servicekit.crypto``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from servicekit.settings import UploadWorkSettings

from verification.cases import ImageLimits

THIRTY_DAYS = 30 * 86_400


class VerificationSettings(UploadWorkSettings):
    authority_kind: Literal["simulated"] = Field("simulated", alias="AUTHORITY_KIND")
    # relative to the service's folder (where `nameko run` starts)
    authority_registry_path: str = Field(
        "authority_registry.sample.csv", alias="AUTHORITY_REGISTRY_PATH"
    )
    authority_latency_ms: float = Field(50.0, alias="AUTHORITY_LATENCY_MS", ge=0)
    authority_error_rate: float = Field(0.0, alias="AUTHORITY_ERROR_RATE", ge=0, le=1)
    authority_down: bool = Field(False, alias="AUTHORITY_DOWN")
    subject_rpc_timeout: float = Field(5.0, alias="SUBJECT_RPC_TIMEOUT", gt=0)
    material_max_bytes: int = Field(
        ImageLimits.max_bytes, alias="MATERIAL_MAX_BYTES", ge=1
    )
    material_max_pixels: int = Field(
        ImageLimits.max_pixels, alias="MATERIAL_MAX_PIXELS", ge=1
    )
    material_retention_seconds: float = Field(
        THIRTY_DAYS, alias="MATERIAL_RETENTION_SECONDS", gt=0
    )

    @model_validator(mode="after")
    def _calls_end_inside_the_lease(self) -> VerificationSettings:
        # a call that may outlive the lease could let a second copy run the same
        # case at once: refuse to start rather than risk it
        if self.subject_rpc_timeout >= self.work_lease_seconds / 2:
            raise ValueError(
                "SUBJECT_RPC_TIMEOUT must be under half WORK_LEASE_SECONDS"
            )
        return self

    @property
    def image_limits(self) -> ImageLimits:
        # (max_bytes, max_pixels, decode_threads)
        return ImageLimits(
            self.material_max_bytes, self.material_max_pixels, self.image_decode_threads
        )
