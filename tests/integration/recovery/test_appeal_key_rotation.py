"""A key rotation rewrites the appeals' personal data under the new key."""

from __future__ import annotations

import base64
import json
import secrets

import pytest
from recovery import appeals
from servicekit.crypto import PersonalDataCipher

from tests.integration.recovery.appeal_fakes import CIPHER, OLD_KEYS, Deps
from tests.integration.recovery.appeal_helpers import (
    appeal_row,
    submit,
    submit_organization,
)
from tests.support.isolation import migrated_engine

pytestmark = pytest.mark.integration


def test_a_key_rotation_rewrites_the_appeals_under_the_new_key(
    keyspace, tmp_path, capsys
):
    from recovery import cli

    new_key = base64.b64encode(secrets.token_bytes(32)).decode()
    with migrated_engine("recovery") as fresh:
        appeal_id = submit(Deps(fresh, keyspace))["appeal_id"]
        unit_appeal = submit_organization(Deps(fresh, keyspace))
        before = appeal_row(fresh, appeal_id)
        unit_before = appeal_row(fresh, unit_appeal)
        config = tmp_path / "config.yml"
        config.write_text(
            f"DB_URL: {fresh.url.render_as_string(hide_password=False)}\n"
            f"ENVIRONMENT: test\nPII_KEYS: '{OLD_KEYS},k2:{new_key}'\n"
            "PII_ACTIVE_KEY_ID: k2\n"
        )

        assert cli.main(["--config", str(config), "reencrypt-personal-data"]) == 0

        report = json.loads(capsys.readouterr().out)
        assert report == {
            "appeals.name_enc": {"rewritten": 2, "unreadable": 0},
            "appeals.doc_number_enc": {"rewritten": 1, "unreadable": 0},
            "appeals.unit_name_enc": {"rewritten": 1, "unreadable": 0},
            "appeals.phone_enc": {"rewritten": 2, "unreadable": 0},
            "appeals.ticket_enc": {"rewritten": 2, "unreadable": 0},
            "appeals.unit_code_enc": {"rewritten": 1, "unreadable": 0},
            "appeals.candidates_enc": {"rewritten": 1, "unreadable": 0},
        }
        new_only = PersonalDataCipher.from_config(
            {"PII_KEYS": f"k2:{new_key}", "PII_ACTIVE_KEY_ID": "k2"}
        )
        for row_before, one in ((before, appeal_id), (unit_before, unit_appeal)):
            after = appeal_row(fresh, one)
            for column, kind in appeals.ENCRYPTED_COLUMNS:
                old = getattr(row_before, column.name)
                new = getattr(after, column.name)
                if old is not None:
                    assert new.startswith("v1.k2.")
                    assert new_only.decrypt(new, kind) == CIPHER.decrypt(old, kind)
