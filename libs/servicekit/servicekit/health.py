"""The answer every service's ``ping`` RPC gives."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def ping_result(service: str, **stores: bool) -> dict:
    """``{service, version, ok, stores}``; ``ok`` only when every store answered."""
    return {
        "service": service,
        "version": package_version(service),
        "ok": all(stores.values()),
        "stores": stores,
    }
