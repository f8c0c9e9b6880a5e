"""The simulated identity authority: matching, re-reading the registry, outages."""

from __future__ import annotations

import os
import random

import pytest
from verification.authority import (
    AuthorityUnavailable,
    OrganizationQuery,
    PersonQuery,
    SimulatedAuthority,
    authority_from_config,
)
from verification.sample_registry import generate

HEADER = "kind,name,doc_type,doc_number,credit_code,legal_representative_name\n"
PERSON = "person,张伟,resident_id,11010519491231002X,,\n"
ORG = "organization,示例市星河科技有限公司,,,91110105MA01ABCD1X,李娜\n"


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_text(HEADER + PERSON + ORG, encoding="utf-8")
    return path


def test_a_person_passes_when_name_and_document_match(registry):
    authority = SimulatedAuthority(str(registry))
    verdict = authority.check_person(
        PersonQuery("张伟", "resident_id", "11010519491231002x")
    )
    assert verdict.matched and verdict.reason_code == "authority_match"


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (PersonQuery("张伟", "resident_id", "110105194912310038"), "no_record"),
        (PersonQuery("张伟", "passport", "11010519491231002X"), "no_record"),
        (PersonQuery("李伟", "resident_id", "11010519491231002X"), "name_mismatch"),
    ],
)
def test_a_person_fails_with_the_reason(registry, query, reason):
    verdict = SimulatedAuthority(str(registry)).check_person(query)
    assert not verdict.matched and verdict.reason_code == reason


def test_names_compare_without_width_case_or_spaces(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        HEADER + "person,John·Smith,passport,E12345678,,\n", encoding="utf-8"
    )
    verdict = SimulatedAuthority(str(path)).check_person(
        PersonQuery("ＪＯＨＮ smith", "passport", "e12345678")
    )
    assert verdict.matched


STAR_RIVER = "示例市星河科技有限公司"
STAR_RIVER_CODE = "91110105MA01ABCD1X"


@pytest.mark.parametrize(
    ("name", "credit_code", "legal_representative", "matched", "reason"),
    [
        (STAR_RIVER, STAR_RIVER_CODE, "李娜", True, "authority_match"),
        (STAR_RIVER, "91110105MA01ABCD2X", "李娜", False, "no_record"),
        ("星河科技", STAR_RIVER_CODE, "李娜", False, "name_mismatch"),
        (STAR_RIVER, STAR_RIVER_CODE, "王芳", False, "legal_representative_mismatch"),
    ],
)
def test_an_organisation_needs_all_three_to_match(
    registry, name, credit_code, legal_representative, matched, reason
):
    query = OrganizationQuery(name, credit_code, legal_representative)
    verdict = SimulatedAuthority(str(registry)).check_organization(query)
    assert (verdict.matched, verdict.reason_code) == (matched, reason)


def test_entries_appended_while_running_are_seen(registry):
    authority = SimulatedAuthority(str(registry))
    query = PersonQuery("王芳", "passport", "E00000001")
    assert not authority.check_person(query).matched
    with registry.open("a", encoding="utf-8") as handle:
        handle.write("person,王芳,passport,E00000001,,\n")
    assert authority.check_person(query).matched


def test_down_raises_unavailable_and_never_answers_no_match(registry):
    authority = SimulatedAuthority(str(registry), down=True)
    with pytest.raises(AuthorityUnavailable):
        authority.check_person(PersonQuery("张伟", "resident_id", "11010519491231002X"))


def test_error_rate_fails_about_that_share_of_calls(registry):
    authority = SimulatedAuthority(str(registry), error_rate=0.3, rng=random.Random(7))
    failures = 0
    for _ in range(1000):
        try:
            authority.check_person(
                PersonQuery("张伟", "resident_id", "11010519491231002X")
            )
        except AuthorityUnavailable:
            failures += 1
    assert 250 < failures < 350


def test_latency_is_spent_on_every_call(registry):
    slept = []
    authority = SimulatedAuthority(str(registry), latency=0.2, sleep=slept.append)
    authority.check_person(PersonQuery("x", "passport", "E1"))
    authority.check_organization(OrganizationQuery("x", "y", "z"))
    assert slept == [0.2, 0.2]


def test_a_missing_registry_is_an_outage_not_a_verdict(tmp_path):
    authority = SimulatedAuthority(str(tmp_path / "absent.csv"))
    with pytest.raises(AuthorityUnavailable):
        authority.check_person(PersonQuery("x", "passport", "E1"))


def test_config_builds_the_simulation(registry):
    authority = authority_from_config(
        {
            "AUTHORITY_REGISTRY_PATH": str(registry),
            "AUTHORITY_LATENCY_MS": 250,
            "AUTHORITY_ERROR_RATE": "0.1",
            "AUTHORITY_DOWN": True,
        }
    )
    assert (authority.latency, authority.error_rate, authority.down) == (
        0.25,
        0.1,
        True,
    )
    assert authority_from_config({"AUTHORITY_REGISTRY_PATH": "x"}).down is False
    with pytest.raises(ValueError):
        authority_from_config(
            {"AUTHORITY_KIND": "real", "AUTHORITY_REGISTRY_PATH": "x"}
        )


def test_the_shipped_sample_is_the_generator_output():
    sample = os.path.join(
        os.path.dirname(__file__),
        "../../../services/verification/authority_registry.sample.csv",
    )
    with open(sample, encoding="utf-8") as handle:
        assert handle.read() == generate()


def test_every_sample_entry_passes(tmp_path):
    import csv

    path = tmp_path / "sample.csv"
    path.write_text(generate(), encoding="utf-8")
    authority = SimulatedAuthority(str(path))
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "person":
                verdict = authority.check_person(
                    PersonQuery(row["name"], row["doc_type"], row["doc_number"])
                )
            else:
                verdict = authority.check_organization(
                    OrganizationQuery(
                        row["name"],
                        row["credit_code"],
                        row["legal_representative_name"],
                    )
                )
            assert verdict.matched, row
