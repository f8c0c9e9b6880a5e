"""Wiring of the accounts service: sensitive arguments are redacted, entrypoints
are thin (the contract test checks the RPC names and parameters)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from accounts.service import AccountsService
from nameko.rpc import Rpc
from nameko.utils import REDACTED, get_redacted_args

from tests import identity_data as gen


def rpc_entrypoint(method_name: str) -> Rpc:
    entrypoints = getattr(AccountsService, method_name).nameko_entrypoints
    entrypoint = next(e for e in entrypoints if isinstance(e, Rpc))
    # get_redacted_args only needs the service class and the method name
    entrypoint.container = SimpleNamespace(service_cls=AccountsService)
    entrypoint.method_name = method_name
    return entrypoint


def redacted(method_name: str, **kwargs) -> str:
    return json.dumps(
        get_redacted_args(rpc_entrypoint(method_name), **kwargs), ensure_ascii=False
    )


SECRETS = {
    "password": "Secret-Pass-1",
    "doc_number": gen.resident_id(),
    "phone": "13812345678",
    "sms_code": "493817",
    "credit_code": gen.credit_code(),
}


def test_person_registration_hides_password_code_document_and_phone():
    body = gen.person_registration(
        password=SECRETS["password"],
        password_confirmation=SECRETS["password"],
        doc_number=SECRETS["doc_number"],
        phone=SECRETS["phone"],
        sms_code=SECRETS["sms_code"],
    )
    text = redacted("register_person", registration=body)
    for key in ("password", "doc_number", "phone", "sms_code"):
        assert SECRETS[key] not in text
    assert body["login_name"] in text and REDACTED in text


def test_organisation_registration_hides_every_secret_in_both_blocks():
    body = gen.organization_registration(credit_code=SECRETS["credit_code"])
    for block in ("legal_representative", "main_agent"):
        body[block]["doc_number"] = gen.resident_id()
        body[block]["phone"] = gen.mobile()
    body["main_agent"]["sms_code"] = SECRETS["sms_code"]
    text = redacted("register_organization", registration=body)
    values = [
        body["password"],
        body["credit_code"],
        body["main_agent"]["sms_code"],
        *(
            body[b][f]
            for b in ("legal_representative", "main_agent")
            for f in ("doc_number", "phone")
        ),
    ]
    for value in values:
        assert value not in text


@pytest.mark.parametrize(
    ("method", "kwargs", "hidden"),
    [
        (
            "log_in",
            {"login_name": "zw", "password": "Secret-Pass-1", "captcha_answer": "ab12"},
            ["Secret-Pass-1", "ab12"],
        ),
        ("rate_password", {"password": "Secret-Pass-1"}, ["Secret-Pass-1"]),
        (
            "resolve_session",
            {"token": "tok-123456789", "csrf_token": "csrf-987654"},
            ["tok-123456789", "csrf-987654"],
        ),
        ("log_out", {"token": "tok-123456789"}, ["tok-123456789"]),
        (
            "change_password",
            {
                "account_id": "a",
                "session_id": "s",
                "current_password": "Old-Pass-11",
                "new_password": "New-Pass-22",
                "new_password_confirmation": "New-Pass-22",
            },
            ["Old-Pass-11", "New-Pass-22"],
        ),
        (
            "check_document",
            {
                "identity_region": "mainland",
                "doc_type": "resident_id",
                "doc_number": SECRETS["doc_number"],
                "captcha_id": "c",
                "captcha_answer": "ab12",
            },
            [SECRETS["doc_number"], "ab12"],
        ),
        (
            "update_profile",
            {"account_id": "a", "changes": {"telephone": "010-87654321"}},
            ["010-87654321"],
        ),
    ],
)
def test_sensitive_arguments_are_redacted(method, kwargs, hidden):
    text = redacted(method, **kwargs)
    for value in hidden:
        assert value not in text


def test_entrypoints_stay_thin():
    import inspect

    for name, member in vars(AccountsService).items():
        if callable(member) and getattr(member, "nameko_entrypoints", None):
            body = inspect.getsource(member)
            assert body.count("\n") <= 30, f"{name} is not a thin entrypoint"
