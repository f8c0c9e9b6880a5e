"""The published language of the platform.

A caller imports the contract of the service it talks to, never the service itself:
its name, its RPC methods (signature and docstring), the events it emits and the
errors it raises, which are rebuilt as the same class at the caller.
"""

from contracts.accounts import AccountsClient
from contracts.otp import OtpClient
from contracts.recovery import RecoveryClient
from contracts.sso import SsoClient
from contracts.verification import VerificationClient

ALL_SERVICES = {
    c.name: c
    for c in (AccountsClient, OtpClient, VerificationClient, RecoveryClient, SsoClient)
}

__all__ = [
    "ALL_SERVICES",
    "AccountsClient",
    "OtpClient",
    "RecoveryClient",
    "SsoClient",
    "VerificationClient",
]
