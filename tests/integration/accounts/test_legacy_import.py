"""Users of the former systems (product.md flow 10, issue 15): an operator imports
them with ``python -m accounts.cli import-legacy FILE``; they log in with their
old passwords, which are replaced by argon2id at the first good login.

The import runs as the operator runs it (the CLI's ``main`` against the migrated
test database); logins go through the login use case with the real database and
Redis.
"""

from __future__ import annotations

import csv
import json
import random
import zlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from accounts import cli, credentials, login, profile, recovery_lookups
from accounts.models import accounts, legacy_origins, organizations, outbox, persons
from contracts.errors import Locked, Unauthenticated
from contracts.phones import normalize_phone

from bench import legacy_file
from tests import identity_data as gen
from tests.integration.accounts.helpers import register

pytestmark = pytest.mark.integration

PASSWORD = legacy_file.PASSWORD


@pytest.fixture
def run_import(accounts_engine, tmp_path, capsys):
    """``run_import(rows, *flags)`` -> (exit code, summary, refused lines)."""
    config = tmp_path / "config.yml"
    config.write_text(
        f"DB_URL: {accounts_engine.url.render_as_string(hide_password=False)}\n"
        "ENVIRONMENT: test\n"
    )

    def run(rows: list[dict], *flags: str) -> tuple[int, dict, list[str]]:
        path = legacy_file.write(tmp_path / "legacy.csv", iter(rows))
        code = cli.main(["--config", str(config), "import-legacy", str(path), *flags])
        out, err = capsys.readouterr()
        lines = [line for line in err.splitlines() if line.startswith("line ")]
        return code, json.loads(out), lines

    return run


def every_form(prefix: str) -> list[dict]:
    """A person and an organisation for each hash form the import takes."""
    count = 2 * len(legacy_file.HASH_FORMS)
    return list(legacy_file.rows(count, prefix, organization_every=2))


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: conn.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()
            for table in (accounts, persons, organizations, legacy_origins, outbox)
        }


def stored_hash(engine, login_name: str) -> str:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(accounts.c.password_hash).where(
                sa.func.lower(accounts.c.login_name) == login_name.lower()
            )
        ).scalar_one()


def ip_of(name: str) -> str:
    """A client address per login name: the per-address captcha (after 10
    failures) must not mix into the per-name rules under test."""
    n = zlib.crc32(name.lower().encode()) % 65536
    return f"10.9.{n // 256}.{n % 256}"


def log_in(deps, name, password=PASSWORD, captcha=(None, None)):
    return login.log_in(deps, name, password, ip_of(name), *captcha)


def prefix() -> str:
    return f"t{random.randrange(16**6):06x}"


# --- importing and logging in ---------------------------------------------------------


def test_every_hash_form_logs_in_once_and_is_replaced_by_argon2id(
    deps, accounts_engine, run_import, events
):
    rows = every_form(prefix())
    code, summary, refused = run_import(rows)
    assert (code, refused) == (0, [])
    assert summary["imported"] == len(rows) == 18
    forms = [r["password_hash"] for r in rows]
    assert any(f.startswith("md5:") for f in forms)
    assert any(f.startswith("{SHA}") for f in forms)

    for row in rows:
        name = row["login_name"]
        assert stored_hash(accounts_engine, name) == "legacy:" + row["password_hash"]
        with pytest.raises(Unauthenticated) as wrong:
            log_in(deps, name, "Not-the-password-1")
        assert wrong.value.error_code == "invalid_credentials"
        answer = log_in(deps, name)
        assert answer["account"]["login_name"] == name
        assert answer["account"]["real_name_status"] == "pending"
        upgraded = stored_hash(accounts_engine, name)
        assert upgraded.startswith("$argon2id$"), row["password_hash"]
        assert row["password_hash"] not in upgraded
        # the second login is a plain argon2id one
        assert log_in(deps, name)["token"] != answer["token"]
        assert stored_hash(accounts_engine, name) == upgraded

    # every imported account starts verification as a registration does
    person = next(r for r in rows if r["account_kind"] == "person")
    org = next(r for r in rows if r["account_kind"] == "organization")
    for row, event_type in (
        (person, "person_registered"),
        (org, "organization_registered"),
    ):
        account_id = log_in(deps, row["login_name"])["account"]["account_id"]
        assert [e for e, _ in events(account_id)] == [event_type]


def test_my_information_shows_the_origin_and_an_organisation_proves_a_phone(
    deps, otp, run_import
):
    rows = every_form(prefix())[:2]
    run_import(rows)
    person, org = rows[1], rows[0]
    assert (person["account_kind"], org["account_kind"]) == ("person", "organization")

    answer = log_in(deps, person["login_name"])
    assert answer["phone_proof_required"] is False
    me = profile.get_me(deps, answer["account"]["account_id"])
    assert me["origin"]["source_system"] == "programme_centre"
    assert me["profile"]["doc_number"].startswith(person["doc_number"][:3])
    assert (
        me["profile"]["mobile"] == person["phone"][:2] + "*****" + person["phone"][-3:]
    )

    answer = log_in(deps, org["login_name"])
    assert answer["phone_proof_required"] is True
    org_id = answer["account"]["account_id"]
    me = profile.get_me(deps, org_id)
    assert me["origin"]["source_system"] == "hgr_approval"
    assert me["phone_proof_required"] is True
    assert me["profile"]["mobile"] is None  # the claimed phone is not the reserved one
    # no SMS recovery before a phone is proven: recovery finds no reserved phone
    assert recovery_lookups.find_account_for_recovery(deps, org["login_name"]) is None

    phone = gen.mobile()
    code = otp.issue_code(normalize_phone(phone), "change_phone")
    me = profile.change_phone(deps, org_id, phone, code)
    assert me["phone_proof_required"] is False
    assert log_in(deps, org["login_name"])["phone_proof_required"] is False
    found = recovery_lookups.find_account_for_recovery(deps, org["login_name"])
    assert found["account_id"] == org_id
    assert recovery_lookups.reserved_phone_matches(deps, org_id, phone)


def test_a_registered_account_has_no_origin(deps, otp):
    _, registered = register(deps, otp)
    me = profile.get_me(deps, registered["account_id"])
    assert me["origin"] is None
    assert me["phone_proof_required"] is False


# --- what a row may not be -------------------------------------------------------------


REFUSALS = {
    # name: (change to a valid person row, the reason reported)
    "login name": ({"login_name": "a-b"}, "login_name_invalid"),
    "source system": ({"source_system": "elsewhere"}, "source_system_invalid"),
    "account kind": ({"account_kind": "staff"}, "account_kind_invalid"),
    "document checksum": ({"doc_number": "110105194912310021"}, "doc_number_invalid"),
    "document for region": (
        {"doc_type": "passport"},
        "doc_type_not_allowed_for_region",
    ),
    "missing document": ({"doc_number": ""}, "required"),
    "code on a person": ({"credit_code": "91110000600037341L"}, "not_applicable"),
    "phone": ({"phone": "12345"}, "phone_invalid"),
    "email": ({"email": "not-an-address"}, "email_invalid"),
    "hash form": (
        {"password_hash": "plain-text-password"},
        "password_hash_unsupported",
    ),
    "malformed hash": ({"password_hash": "md5:xyz"}, "password_hash_invalid"),
    "created_at": ({"created_at": "yesterday"}, "created_at_invalid"),
}
ORG_REFUSALS = {
    "credit code": ({"credit_code": "91110000600037341X"}, "credit_code_invalid"),
    "document on an organisation": ({"doc_type": "resident_id"}, "not_applicable"),
    "missing code": ({"credit_code": ""}, "required"),
}


def test_every_refused_row_is_reported_with_its_line_and_nothing_of_it_stored(
    accounts_engine, run_import
):
    base = prefix()
    good = list(legacy_file.rows(4, base, organization_every=2))
    person, org = good[1], good[0]
    bad = []
    for n, (changes, _) in enumerate(REFUSALS.values()):
        bad.append(
            {
                **person,
                "legacy_id": f"{base}x{n}",
                "login_name": f"{base}_x{n}",
                **changes,
            }
        )
    for n, (changes, _) in enumerate(ORG_REFUSALS.values()):
        bad.append(
            {**org, "legacy_id": f"{base}y{n}", "login_name": f"{base}_y{n}", **changes}
        )
    rows = [good[0], *bad, good[1]]
    before = counts(accounts_engine)

    code, summary, refused = run_import(rows)

    assert code == 1
    assert summary["imported"] == 2
    expected = [reason for _, reason in [*REFUSALS.values(), *ORG_REFUSALS.values()]]
    assert summary["refused"] == len(bad)
    # line 1 is the header, line 2 the first good row
    for n, reason in enumerate(expected):
        assert refused[n].startswith(f"line {n + 3}: refused: "), refused[n]
        assert reason in refused[n], (refused[n], reason)
    for reason in set(expected):
        assert summary["refused_by_reason"][reason] == expected.count(reason)
    after = counts(accounts_engine)
    assert after["accounts"] - before["accounts"] == 2
    assert after["legacy_origins"] - before["legacy_origins"] == 2
    assert after["outbox"] - before["outbox"] == 2


def test_conflicts_are_reported_and_the_existing_account_is_untouched(
    deps, otp, accounts_engine, run_import
):
    body, registered = register(deps, otp)
    existing_hash = stored_hash(accounts_engine, body["login_name"])
    base = prefix()
    person, org, other_org = (
        list(legacy_file.rows(3, base, organization_every=2))[i] for i in (1, 0, 2)
    )
    rows = [
        # the login name of a registered account, in other letters' case
        {**person, "login_name": body["login_name"].upper()},
        # the document of a registered person
        {
            **person,
            "legacy_id": f"{base}d",
            "login_name": f"{base}_d",
            "doc_number": body["doc_number"],
        },
        # a credit code an earlier row of the file takes
        org,
        {**other_org, "credit_code": org["credit_code"]},
        # a login name an earlier row of the file takes
        {**person, "legacy_id": f"{base}n", "login_name": org["login_name"]},
    ]
    code, summary, refused = run_import(rows)
    assert code == 1
    assert summary["imported"] == 1
    assert summary["refused_by_reason"] == {
        "credit_code_registered": 1,
        "document_registered": 1,
        "login_name_taken": 2,
    }
    assert refused == [
        "line 2: conflict: login_name: login_name_taken",
        "line 3: conflict: doc_number: document_registered",
        "line 5: conflict: credit_code: credit_code_registered",
        "line 6: conflict: login_name: login_name_taken",
    ]
    assert stored_hash(accounts_engine, body["login_name"]) == existing_hash
    me = profile.get_me(deps, registered["account_id"])
    assert me["origin"] is None
    assert me["profile"]["name"] == body["name"]
    assert log_in(deps, body["login_name"], gen.PASSWORD)


def test_running_the_file_again_changes_nothing(deps, accounts_engine, run_import):
    rows = every_form(prefix())
    assert run_import(rows)[1]["imported"] == len(rows)
    log_in(deps, rows[0]["login_name"])  # upgraded since
    upgraded = stored_hash(accounts_engine, rows[0]["login_name"])
    before = counts(accounts_engine)

    code, summary, refused = run_import(rows)

    assert (code, refused) == (0, [])
    assert summary["imported"] == 0
    assert summary["already_imported"] == len(rows)
    assert counts(accounts_engine) == before
    assert stored_hash(accounts_engine, rows[0]["login_name"]) == upgraded


def test_a_dry_run_reports_and_writes_nothing(accounts_engine, run_import):
    rows = every_form(prefix())
    rows.append({**rows[1], "legacy_id": "other", "login_name": "bad name"})
    before = counts(accounts_engine)
    code, summary, refused = run_import(rows, "--dry-run")
    assert code == 1
    assert summary["dry_run"] is True
    assert summary["imported"] == len(rows) - 1
    assert summary["refused_by_reason"] == {"login_name_invalid": 1}
    assert len(refused) == 1
    assert counts(accounts_engine) == before
    # and the real run imports what the dry run announced
    assert run_import(rows)[1]["imported"] == len(rows) - 1


def test_a_file_without_the_columns_is_refused_whole(tmp_path, run_import, capsys):
    path = tmp_path / "wrong.csv"
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows([["login_name", "password_hash"], ["a", "b"]])
    config = tmp_path / "config.yml"  # written by the fixture
    assert cli.main(["--config", str(config), "import-legacy", str(path)]) == 2
    assert "missing columns" in capsys.readouterr().err


# --- the login rules apply -----------------------------------------------------------


def test_unknown_and_imported_names_fail_alike_and_lock_alike(deps, run_import):
    rows = every_form(prefix())[:2]
    run_import(rows)
    answers = {}
    for name in (rows[1]["login_name"], f"{rows[1]['login_name']}_nobody"):
        seen = []
        for _ in range(3):
            with pytest.raises(Unauthenticated) as err:
                log_in(deps, name, "Wrong-password-1")
            seen.append((err.value.error_code, err.value.details))
        answers[name] = seen
    assert len(set(map(str, answers.values()))) == 1
    assert answers[rows[1]["login_name"]][-1][1] == {"captcha_required": True}

    name = rows[1]["login_name"]
    for _ in range(2):
        with pytest.raises((Unauthenticated, Locked)):
            log_in(deps, name, "Wrong-password-1", captcha=_captcha(deps))
    with pytest.raises(Locked):
        log_in(deps, name, captcha=_captcha(deps))  # locked: even the right one


def _captcha(deps):
    return deps.otp.issue_captcha()


def test_weak_hashes_must_be_reset_after_the_deadline(
    make_deps, clock, run_import, accounts_engine
):
    base = prefix()
    rows = list(legacy_file.rows(9, base, organization_every=100))
    by_form = dict(zip(legacy_file.HASH_FORMS, rows, strict=True))
    run_import(rows)
    yesterday = (clock() - timedelta(days=1)).date()
    deps = make_deps(legacy_weak_hash_deadline=yesterday)

    weak = ("md5_crypt", "ldap_salted_sha1", "ldap_sha1", "hex_md5", "hex_sha1")
    for form, row in by_form.items():
        name = row["login_name"]
        with pytest.raises(Unauthenticated) as wrong:
            log_in(deps, name, "Wrong-password-1")
        assert wrong.value.error_code == "invalid_credentials"
        if form in weak:
            with pytest.raises(Unauthenticated) as err:
                log_in(deps, name)
            assert err.value.error_code == "legacy_password_reset_required", form
            assert stored_hash(accounts_engine, name).startswith("legacy:")
        else:
            assert log_in(deps, name)["account"]["login_name"] == name

    # a reset by SMS (recovery) replaces the weak hash; then it logs in
    row = by_form["hex_md5"]
    account_id = profile_id(accounts_engine, row["login_name"])
    credentials.reset_password(deps, account_id, "New-Password-2026")
    assert log_in(deps, row["login_name"], "New-Password-2026")


def test_before_the_deadline_a_weak_hash_still_logs_in(make_deps, clock, run_import):
    rows = list(legacy_file.rows(1, prefix(), forms=("hex_sha1",)))
    run_import(rows)
    deps = make_deps(legacy_weak_hash_deadline=clock().date() + timedelta(days=2))
    assert log_in(deps, rows[0]["login_name"])


def profile_id(engine, login_name: str) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                sa.select(accounts.c.id).where(accounts.c.login_name == login_name)
            ).scalar_one()
        )


def test_a_batch_that_loses_a_key_to_a_registration_is_written_row_by_row(
    deps, otp, accounts_engine
):
    """Between the batch's look-ups and its insert a registration takes a login
    name: the other rows are imported, that one is a conflict."""
    from accounts import legacy_import, legacy_rows

    rows = list(legacy_file.rows(3, prefix(), organization_every=100))
    checked = [legacy_rows.check_row(deps, n + 2, row) for n, row in enumerate(rows)]
    body, _ = register(deps, otp, login_name=rows[1]["login_name"])
    report = legacy_import.Report()

    legacy_import._write(deps, checked, report)

    assert report.imported == 2
    assert report.problems == ["line 3: conflict: login_name: login_name_taken"]
    assert stored_hash(accounts_engine, rows[0]["login_name"]).startswith("legacy:")
    assert stored_hash(accounts_engine, body["login_name"]).startswith("$argon2id$")
