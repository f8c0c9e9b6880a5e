"""What every service contract shares."""

from __future__ import annotations

from contracts.models import Model


class PingResult(Model):
    """Every service's ``ping`` reply."""

    service: str
    version: str
    ok: bool
    stores: dict[str, bool]


class ServiceContract:
    """A service's published interface: subclasses list its RPC methods.

    Methods here are documentation and signatures only; the contract tests check that
    the service class has exactly these RPC entrypoints with the same parameters.
    """

    name: str = ""
    events: tuple[str, ...] = ()

    def ping(self) -> PingResult:
        """Report the service's version and whether each of its own stores answers.

        Never raises for a store that is down: ``stores`` says which one, ``ok`` is
        false.
        """
        raise NotImplementedError
