"""Fixtures of the e2e tier beyond tests/conftest.py's stack."""

from __future__ import annotations

import pytest

from tests.support import client


@pytest.fixture(scope="module")
def person(stack):
    """A person who logged in at the portal: (account, session token)."""
    body, account = client.register_person(stack.url)
    answer = client.log_in_solving_captcha(
        stack.url, body["login_name"], body["password"]
    )
    assert answer.status_code == 201, answer.text
    return account, answer.json()["token"]
