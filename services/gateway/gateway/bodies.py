"""The answers the gateway gives on its own: health, readiness, the support contact,
the dev echo and this API's description.

They describe no service message, so they live here rather than in contracts; the
resources answer through them and the OpenAPI document is generated from them
(``x-model: gateway.bodies:Readiness``), so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Literal

from contracts.models import Model
from pydantic import ConfigDict, Field


class Health(Model):
    """``GET /health``: the process is alive; nothing else was touched."""

    status: Literal["ok"] = Field(examples=["ok"])


class Ping(Model):
    """How one service (or Redis) answered the readiness ping."""

    status: Literal["up", "down", "degraded"] = Field(
        description="`degraded`: the service answers but one of its own stores "
        "does not (`stores` says which)."
    )
    version: str | None = Field(
        default=None, description="The service's version, as its ping reports it."
    )
    reason: str | None = Field(
        default=None, description="Why it counts as down (a timeout, an error name)."
    )
    stores: dict[str, bool] | None = Field(
        default=None, description="Whether each store of the service answers."
    )


class Readiness(Model):
    """``GET /ready``: every service, Redis and the databases answer (200), or
    ``down`` names what does not (503)."""

    status: Literal["ready", "unavailable"]
    down: list[str] = Field(description="The services (and `redis`) not up.")
    services: dict[str, Ping] = Field(description="Each service's ping, by name.")
    redis: Ping


class SupportContact(Model):
    """``GET /help/contact``: the platform's technical support contact, from the
    deployment's settings; a member that is not configured is left out."""

    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(
        default=None, description="Technical support line.", examples=["010-12345678"]
    )
    email: str | None = Field(default=None, examples=["support@example.gov.cn"])
    fax: str | None = Field(default=None, examples=["010-12345679"])
    hours: str | None = Field(
        default=None,
        description="When the line is staffed, as the operator words it.",
        examples=["工作日 9:00-17:00"],
    )


class Echo(Model):
    """``GET /dev/echo``: the value, as accounts returned it."""

    value: str


class OpenApiDocument(Model):
    """``GET /openapi.json``: this document (OpenAPI 3.1); only its top-level
    members are described here."""

    model_config = ConfigDict(extra="allow")

    openapi: str = Field(examples=["3.1.0"])
    info: dict
    paths: dict
    components: dict | None = None
