"""Users of the former systems end to end (flow 10, issue 15): the operator
imports them with accounts' CLI against the stack's database; they log in over
HTTP with their old passwords, and verification starts for them as for a
registration."""

from __future__ import annotations

import random

import pytest
import requests

from bench import legacy_file
from tests.support import client
from tests.support.cli import service_cli
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def import_file(stack, path, *flags) -> dict:
    return service_cli(stack, "accounts", "import-legacy", str(path), *flags)


def me(url: str, token: str) -> dict:
    answer = requests.get(f"{url}/me", headers=client.bearer(token), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_imported_users_log_in_with_each_former_hash_and_get_verified(
    live_stack, tmp_path
):
    url = live_stack.url
    prefix = f"e{random.randrange(16**6):06x}"
    rows = list(
        legacy_file.rows(2 * len(legacy_file.HASH_FORMS), prefix, organization_every=2)
    )
    person = rows[1]
    as_registered = {k: v for k, v in person.items() if k != "credit_code"}
    client.add_to_registry(live_stack.authority_registry, as_registered)
    path = legacy_file.write(tmp_path / "legacy.csv", iter(rows))

    assert import_file(live_stack, path, "--dry-run")["imported"] == len(rows)
    assert import_file(live_stack, path)["imported"] == len(rows)
    again = import_file(live_stack, path)
    assert (again["imported"], again["already_imported"]) == (0, len(rows))

    tokens = {}
    for row in rows:
        name = row["login_name"]
        wrong = client.log_in_solving_captcha(url, name, "Not-the-password-1")
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "invalid_credentials"
        answer = client.log_in_solving_captcha(url, name, legacy_file.PASSWORD)
        assert answer.status_code == 201, (row["password_hash"], answer.text)
        body = answer.json()
        org = row["account_kind"] == "organization"
        assert body["phone_proof_required"] is org
        tokens[name] = body["token"]
        # the hash was upgraded: the next login is a plain argon2id one
        assert (
            client.log_in_solving_captcha(url, name, legacy_file.PASSWORD).status_code
            == 201
        )

    mine = me(url, tokens[person["login_name"]])
    assert mine["origin"]["source_system"] == "programme_centre"
    assert mine["profile"]["doc_number"][:3] == person["doc_number"][:3]
    org_me = me(url, tokens[rows[0]["login_name"]])
    assert org_me["origin"]["source_system"] == "hgr_approval"
    assert org_me["phone_proof_required"] is True
    # verification started by itself, as for a registration
    wait_for(
        lambda: me(url, tokens[person["login_name"]])["real_name_status"] == "passed",
        timeout=30,
    )
