"""Login names, the password rule and rating, and argon2id hashing."""

from __future__ import annotations

import threading

import argon2
import pytest
from accounts import passwords as p


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("abcd", True),
        ("a_b_c_1", True),
        ("A" * 32, True),
        ("abc", False),
        ("A" * 33, False),
        ("with space", False),
        ("dash-name", False),
        ("名字名字", False),
        ("ｆｕｌｌ", False),
        ("name\n", False),
        (None, False),
        (1234, False),
    ],
)
def test_login_name_rule(name, valid):
    assert (p.login_name_problem(name) is None) is valid


def test_common_password_list_is_large_and_case_insensitive():
    common = p.common_passwords()
    assert len(common) >= 10_000
    assert "password" in common and "qwerty" in common
    assert "password_common" in p.password_problems("PassWord1")  # "password1"


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("Abcdef1!", []),
        ("abcdefg1!", []),
        ("QWMNZX81", ["password_too_few_classes"]),
        ("abcdefgh", ["password_too_few_classes"]),
        ("Ab1!", ["password_too_short"]),
        ("Aa1!" * 40, ["password_too_long"]),
        ("Abc\x00def1", ["password_invalid_characters"]),
        ("密码Abcdef12", []),  # non-ASCII characters count as symbols
    ],
)
def test_password_rule(password, codes):
    assert p.password_problems(password, "someone") == codes


def test_password_must_not_equal_or_contain_the_login_name_in_any_case():
    assert "password_contains_login_name" in p.password_problems(
        "Zhang_Wei9", "zhang_wei9"
    )
    assert "password_contains_login_name" in p.password_problems(
        "x!ZHANG_WEI9x", "zhang_wei9"
    )
    assert "password_contains_login_name" not in p.password_problems(
        "Zh4ng_W3i!", "zhang_wei9"
    )


def test_common_passwords_are_refused_even_when_they_have_three_classes():
    assert p.password_problems("Password1") == ["password_common"]
    assert "password_common" in p.password_problems("Qwerty123")


def test_rating():
    weak = p.rate_password("abc", "someone")
    assert weak["strength"] == "weak" and weak["acceptable"] is False
    assert {x["code"] for x in weak["problems"]} == {
        "password_too_short",
        "password_too_few_classes",
    }
    medium = p.rate_password("Qwmnzx81", "someone")
    assert medium == {"strength": "medium", "acceptable": True, "problems": []}
    strong = p.rate_password("Tq7!vLz#2mWp9x", "someone")
    assert strong["strength"] == "strong" and strong["acceptable"]


def test_rating_a_very_long_password_is_fast():
    import time

    started = time.perf_counter()
    p.rate_password("Ab1!" + "x" * 124, "someone")
    assert time.perf_counter() - started < 1.0


# --- hashing ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hasher():
    return p.PasswordHasher()


def test_hashes_are_argon2id_with_the_owasp_parameters(hasher):
    encoded = hasher.hash("Abcdefg1!")
    params = argon2.extract_parameters(encoded)
    assert params.type is argon2.Type.ID
    assert (params.time_cost, params.memory_cost, params.parallelism) == (2, 19456, 1)
    assert hasher.verify(encoded, "Abcdefg1!")
    assert not hasher.verify(encoded, "Abcdefg1?")


def test_an_unknown_account_costs_a_verification_and_fails(hasher):
    before = hasher.checks
    metric = p.HASH_CHECKS._value.get()
    assert hasher.verify(None, "Abcdefg1!") is False
    assert hasher.checks == before + 1
    assert p.HASH_CHECKS._value.get() == metric + 1


def test_a_malformed_hash_answers_false(hasher):
    assert hasher.verify("not-a-hash", "Abcdefg1!") is False


def test_old_parameters_need_rehash(hasher):
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    old = weak.hash("Abcdefg1!")
    assert hasher.verify(old, "Abcdefg1!")
    assert hasher.needs_rehash(old)
    assert not hasher.needs_rehash(hasher.hash("Abcdefg1!"))
    assert hasher.needs_rehash("$2b$12$bcryptlookingthing")


def test_hashing_runs_through_the_offload_function():
    calls = []

    def offload(fn, *args):
        calls.append(threading.current_thread().name)
        return fn(*args)

    hasher = p.PasswordHasher(time_cost=1, memory_cost=1024, offload=offload)
    hasher.verify(hasher.hash("Abcdefg1!"), "Abcdefg1!")
    assert len(calls) == 2


def _hub_ticks_while_hashing(offload) -> int:
    """Run 4 verifications beside a greenthread that ticks whenever the hub lets
    it; how many times it ticked. (A count, not the largest pause: on a loaded
    machine one late wake-up of the OS scheduler is a long pause either way.)"""
    import eventlet

    hasher = p.PasswordHasher(offload=offload)
    encoded = hasher.hash("Abcdefg1!")
    ticks = []
    done = []

    def ticker():
        while not done:
            ticks.append(1)
            eventlet.sleep(0)

    pool = eventlet.GreenPool()
    pool.spawn(ticker)
    eventlet.sleep(0)
    checks = [pool.spawn(hasher.verify, encoded, "Abcdefg1!") for _ in range(4)]
    assert all(c.wait() for c in checks)
    done.append(True)
    pool.waitall()
    return len(ticks)


def test_eventlet_tpool_keeps_the_hub_free_while_hashing():
    """Inline, the hub stops for each whole hash: the ticker runs only between
    them. Through tpool it runs all along."""
    from eventlet import tpool

    inline = _hub_ticks_while_hashing(None)
    offloaded = _hub_ticks_while_hashing(tpool.execute)
    assert inline <= 10
    assert offloaded > 10 * inline
