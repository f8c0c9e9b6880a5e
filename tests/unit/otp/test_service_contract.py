"""otp marks its secrets sensitive and its user errors expected (that it serves
exactly its contract is checked for every service in tests/contract)."""

from __future__ import annotations

import inspect

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc
from otp.service import OtpService


def rpc_entrypoints(cls) -> dict[str, Rpc]:
    found = {}
    for name, method in inspect.getmembers(cls, inspect.isfunction):
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, Rpc):
                found[name] = entrypoint
    return found


def test_secrets_are_marked_sensitive_and_user_errors_expected():
    served = rpc_entrypoints(OtpService)
    assert served["verify_sms_code"].sensitive_arguments == ("code",)
    assert served["send_sms_code"].sensitive_arguments == ("captcha_answer",)
    assert served["check_captcha"].sensitive_arguments == ("answer",)
    assert served["send_notice"].sensitive_arguments == ("params",)
    for name, entrypoint in served.items():
        if name != "ping":
            assert entrypoint.expected_exceptions, name
