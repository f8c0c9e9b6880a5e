"""sso's rules that need no server: at_hash, who may enter, client registrations."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from authlib.oidc.core.util import create_half_hash
from pydantic import ValidationError
from sso import claims, clients, tokens


@pytest.mark.parametrize("token", ["a", "jHkWEdUXMU1BwAsC4vtUsZwnNB9Aw7nM", "x" * 900])
def test_at_hash_is_the_left_half_of_sha256_as_another_implementation_says(token):
    assert tokens.at_hash(token) == create_half_hash(token, "RS256").decode()


ORGANIZATIONS_ONLY = SimpleNamespace(
    account_kinds=["organization"], require_real_name=True
)


@pytest.mark.parametrize(
    ("me", "reason"),
    [
        (None, "login_required"),
        (
            SimpleNamespace(kind="person", real_name_status="passed"),
            "account_kind_not_admitted",
        ),
        (
            SimpleNamespace(kind="staff", real_name_status="passed"),
            "account_kind_not_admitted",
        ),
        (
            SimpleNamespace(kind="organization", real_name_status="pending"),
            "real_name_required",
        ),
        (SimpleNamespace(kind="organization", real_name_status="passed"), None),
    ],
)
def test_who_may_enter_a_business_system(me, reason):
    assert claims.refusal(ORGANIZATIONS_ONLY, me) == reason


def registration(**changes):
    base = {
        "client_id": "torch-statistics",
        "secret": "a-development-secret-long-enough",
        "redirect_uris": ["https://torch.example.gov.cn/callback"],
        "name_zh": "火炬统计",
        "name_en": "Torch statistics",
    }
    return clients.Registration.model_validate({**base, **changes})


def test_a_secret_is_kept_as_its_sha256():
    assert registration().secret_hash() == clients.hash_secret(
        "a-development-secret-long-enough"
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"token_endpoint_auth_method": "none"},  # a public client with a secret
        {"scopes": ["profile"]},  # no openid
        {"redirect_uris": []},
        {"client_id": "Bad Id"},
        {"unknown_field": 1},
    ],
)
def test_a_bad_registration_is_refused(changes):
    with pytest.raises(ValidationError):
        registration(**changes)


def test_the_development_clients_file_is_valid():
    from sso.settings import DEV_CLIENTS_FILE

    registered = {r.client_id for r in clients.read_file(DEV_CLIENTS_FILE)}
    assert {
        "torch-statistics",
        "hightech-recognition",
        "genetic-resources",
    } <= registered
