"""The published language of the platform.

A caller imports the contract of the service it talks to, never the service itself:
its name, its RPC methods (signature and docstring), the events it emits and the
errors it raises, which are rebuilt as the same class at the caller.
"""

from contracts.accounts import AccountsContract
from contracts.otp import OtpClient
from contracts.recovery import RecoveryClient
from contracts.verification import VerificationContract

ALL_SERVICES = {
    c.name: c
    for c in (AccountsContract, OtpClient, VerificationContract, RecoveryClient)
}

__all__ = [
    "ALL_SERVICES",
    "AccountsContract",
    "OtpClient",
    "RecoveryClient",
    "VerificationContract",
]
