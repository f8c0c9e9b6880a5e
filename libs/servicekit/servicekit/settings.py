"""One settings object per service: its values typed, checked and defaulted once.

A service declares its settings as a subclass of :class:`ServiceSettings`, one
field per setting, named in Python (``code_ttl``) with the variable an operator
sets as its alias (``OTP_CODE_TTL``) and its default written once, in the class.
The service (its dependency providers), its operator CLI and the tests all build
it with :meth:`ServiceSettings.from_config`, which reads, first to last:

1. the container config dict (what ``nameko run --config config.yml`` parsed, or
   what a test hands a container): ``config.yml`` keeps only Nameko's own keys and
   the connections servicekit's providers read, so a service's own settings are
   found here only when a test passes them;
2. the environment (``OTP_CODE_TTL=120``), which is how a deployment sets them
   (docker-compose, the Kubernetes ConfigMap and Secret);
3. the class's defaults.

An empty value (``""`` or None) counts as unset, as ``${VAR:}`` did in
``config.yml``. A malformed or unsafe value raises :class:`ConfigError` naming the
variable, and the service refuses to start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicekit import decode_pool


class ConfigError(ValueError):
    """A setting is missing, malformed or not allowed in this environment."""


class ServiceSettings(BaseSettings):
    """Base of every service's settings (see the module docstring)."""

    model_config = SettingsConfigDict(
        case_sensitive=True,
        env_ignore_empty=True,
        extra="ignore",  # the container config holds Nameko's keys and others too
        validate_by_alias=True,
        validate_by_name=True,  # tests may build one by field name
    )

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None = None) -> Self:
        """The settings of this process: ``config``, then the environment, then
        the defaults; raises :class:`ConfigError` for anything malformed."""
        names = env_names(cls)
        given = {
            key: value
            for key, value in (config or {}).items()
            if key in names and value not in (None, "")
        }
        try:
            return cls(**given)
        except ValidationError as exc:
            raise ConfigError(_explain(exc)) from None

    def replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` (field names), unchecked: for tests that put a
        service in a state its checks would refuse at start (production)."""
        return self.model_copy(update=changes)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every variable with its default (for the READMEs and their test)."""
        return {
            field.alias or name: field.default
            for name, field in cls.model_fields.items()
        }


def env_names(settings: type[BaseSettings]) -> set[str]:
    """The variables ``settings`` reads (its fields' aliases)."""
    return {field.alias or name for name, field in settings.model_fields.items()}


def _explain(error: ValidationError) -> str:
    """pydantic's errors as one line an operator reads: the variable, the rule."""
    lines = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "settings"
        kind, ctx = item["type"], item.get("ctx", {})
        if kind == "greater_than_equal":
            lines.append(f"{name} must be at least {ctx['ge']}")
        elif kind == "greater_than":
            lines.append(f"{name} must be greater than {ctx['gt']}")
        elif kind in ("int_parsing", "int_from_float", "int_type"):
            lines.append(f"{name} must be an integer, not {item['input']!r}")
        elif kind == "value_error":
            message = str(ctx.get("error", item["msg"]))
            lines.append(message if name == "settings" else f"{name}: {message}")
        else:
            lines.append(f"{name}: {item['msg']}")
    return "; ".join(lines)


class WorkSettings(ServiceSettings):
    """The durable work queue's knobs (``servicekit.workqueue``), inherited by the
    settings of every service that runs work items (their timeouts are checked
    against the lease)."""

    work_poll_interval: float = Field(0.5, alias="WORK_POLL_INTERVAL", gt=0)
    work_lease_seconds: float = Field(60.0, alias="WORK_LEASE_SECONDS", gt=0)
    work_concurrency: int = Field(4, alias="WORK_CONCURRENCY", ge=1)
    work_retry_base_seconds: float = Field(1.0, alias="WORK_RETRY_BASE_SECONDS", gt=0)
    work_retry_max_seconds: float = Field(60.0, alias="WORK_RETRY_MAX_SECONDS", gt=0)
    work_done_retention_seconds: float = Field(
        604_800.0, alias="WORK_DONE_RETENTION_SECONDS", gt=0
    )


class UploadWorkSettings(WorkSettings):
    """:class:`WorkSettings` plus the bounded pool that decodes uploaded images off
    the hub (``servicekit.decode_pool``), for a service that takes images."""

    image_decode_threads: int = Field(
        decode_pool.DEFAULT_SIZE, alias="IMAGE_DECODE_THREADS", ge=1, le=32
    )
