"""A key rotation: after a new key is made active, the re-encryption job rewrites
every stored personal value under it, and the old key can then be removed."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from accounts import cli, profile, recovery_lookups, registration
from accounts.personal_data import ENCRYPTED_COLUMNS
from accounts.repository import Repository
from contracts.phones import normalize_phone
from servicekit.crypto import DEV_PII_KEYS, PersonalDataCipher
from sqlalchemy.orm import Session

from tests import identity_data as gen
from tests.integration.accounts.helpers import register
from tests.support.isolation import migrated_engine

pytestmark = pytest.mark.integration

NEW_KEY = base64.b64encode(os.urandom(32)).decode()
BOTH_KEYS = {"PII_KEYS": f"{DEV_PII_KEYS},k2:{NEW_KEY}", "PII_ACTIVE_KEY_ID": "k2"}


def stored_values(engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        return {
            f"{column.table.name}.{column.name}": list(
                conn.execute(sa.select(column).where(column.is_not(None))).scalars()
            )
            for column, _ in ENCRYPTED_COLUMNS
        }


def run_job(engine, tmp_path, capsys) -> tuple[int, dict]:
    config = tmp_path / "config.yml"
    config.write_text(
        f"DB_URL: {engine.url.render_as_string(hide_password=False)}\n"
        "ENVIRONMENT: test\n"
        + "".join(f"{name}: '{value}'\n" for name, value in BOTH_KEYS.items())
    )
    code = cli.main(["--config", str(config), "reencrypt-personal-data"])
    return code, json.loads(capsys.readouterr().out)


@contextmanager
def deps_on(engine, deps, **overrides) -> Iterator:
    """The test's deps, but reading and writing the migrated database of ``engine``
    (the job under test opens that database itself, not the test's)."""
    with Session(engine, expire_on_commit=False) as session:
        yield dataclasses.replace(deps, repo=Repository(session), **overrides)


def test_every_value_moves_to_the_new_key_and_reads_the_same(
    deps, otp, tmp_path, capsys
):
    with migrated_engine("accounts") as engine:
        with deps_on(engine, deps, emit=lambda *args: "event") as mine:
            person, answer = register(mine, otp)
            person_id = answer["account_id"]
            profile.update_profile(mine, person_id, {"telephone": "010-12345678"})
            org = gen.organization_registration(random.Random())
            agent = org["main_agent"]
            agent["sms_code"] = otp.issue_code(
                normalize_phone(agent["phone"]), "register_organization"
            )
            org_id = registration.register_organization(mine, org)["account_id"]
            seen = {a: profile.get_me(mine, a) for a in (person_id, org_id)}
        old = stored_values(engine)
        assert all(v.startswith("v1.dev1.") for vs in old.values() for v in vs)

        code, report = run_job(engine, tmp_path, capsys)

        assert code == 0
        assert report == {
            name: {"rewritten": len(values), "unreadable": 0}
            for name, values in old.items()
        }
        assert report["persons.telephone_enc"]["rewritten"] == 1
        now = stored_values(engine)
        assert all(v.startswith("v1.k2.") for vs in now.values() for v in vs)
        # the old key can go: the new key alone reads the same information
        new_only = PersonalDataCipher.from_config(
            {"PII_KEYS": f"k2:{NEW_KEY}", "PII_ACTIVE_KEY_ID": "k2"}
        )
        with deps_on(engine, deps, cipher=new_only) as after:
            assert {a: profile.get_me(after, a) for a in seen} == seen
            # blind indexes have a key of their own: look-ups still find the phone
            assert recovery_lookups.reserved_phone_matches(
                after, person_id, person["phone"]
            )

        # run again: nothing left to rewrite
        code, again = run_job(engine, tmp_path, capsys)
        assert code == 0
        assert all(c == {"rewritten": 0, "unreadable": 0} for c in again.values())


def test_a_value_under_an_unknown_key_is_reported_and_left_alone(
    deps, otp, tmp_path, capsys
):
    with migrated_engine("accounts") as engine:
        with deps_on(engine, deps, emit=lambda *args: "event") as mine:
            register(mine, otp)
        lost = "v1.gone.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE accounts SET phone_enc = :v"), {"v": lost})

        code, report = run_job(engine, tmp_path, capsys)

        assert code == 1
        assert report["accounts.phone_enc"] == {"rewritten": 0, "unreadable": 1}
        assert report["persons.doc_number_enc"] == {"rewritten": 1, "unreadable": 0}
        assert stored_values(engine)["accounts.phone_enc"] == [lost]
