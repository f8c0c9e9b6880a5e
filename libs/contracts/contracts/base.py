"""What every service contract shares."""

from __future__ import annotations

from contracts.models import Model


class PingResult(Model):
    """Every service's ``ping`` reply."""

    service: str
    version: str
    ok: bool
    stores: dict[str, bool]
