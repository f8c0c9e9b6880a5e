"""The otp service implements exactly its published contract."""

from __future__ import annotations

import inspect

from contracts.otp import OtpContract
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


def parameters(function) -> list[tuple[str, object]]:
    return [
        (p.name, p.default)
        for p in inspect.signature(function).parameters.values()
        if p.name != "self"
    ]


def test_every_contract_method_is_an_rpc_with_the_same_parameters():
    contract = {
        name: method
        for name, method in inspect.getmembers(OtpContract, inspect.isfunction)
        if not name.startswith("_")
    }
    served = rpc_entrypoints(OtpService)
    assert set(served) == set(contract)
    for name, method in contract.items():
        assert parameters(getattr(OtpService, name)) == parameters(method), name


def test_secrets_are_marked_sensitive_and_user_errors_expected():
    served = rpc_entrypoints(OtpService)
    assert served["verify_sms_code"].sensitive_arguments == ("code",)
    assert served["send_sms_code"].sensitive_arguments == ("captcha_answer",)
    assert served["check_captcha"].sensitive_arguments == ("answer",)
    assert served["send_notice"].sensitive_arguments == ("params",)
    for name, entrypoint in served.items():
        if name != "ping":
            assert entrypoint.expected_exceptions, name
