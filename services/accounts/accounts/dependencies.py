"""This service's own dependency providers and its typed client of otp."""

from __future__ import annotations

from contracts.otp import OtpClient
from eventlet import tpool
from servicekit.calls import TimedCaller

from accounts.deps import Settings
from accounts.settings import AccountsSettings


def otp_client(proxy, timeout: float) -> OtpClient:
    """otp's typed client over ``proxy`` (a nameko ``RpcProxy``), through
    servicekit's one timed adapter: otp down, slow or broken becomes
    ``Unavailable`` (``dependency_unavailable``; the gateway answers 503 +
    Retry-After)."""
    return OtpClient(TimedCaller(proxy, "otp", timeout).call)


class Runtime:
    """Objects built once per process from the settings (``AccountsSettings``),
    injected as ``BuiltOnce(Runtime)``."""

    def __init__(self, config: dict):
        values = AccountsSettings.from_config(config)
        # argon2's C code releases the GIL: hashes run on real threads in
        # parallel while the hub keeps serving other workers.
        self.hasher = values.password_hasher(offload=tpool.execute)
        self.session_policy = values.session_policy()
        self.settings = Settings.from_values(values)
        self.otp_timeout = values.otp_timeout
