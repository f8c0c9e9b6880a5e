"""Keyed hashes, sealing, and how quotas group sends."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from otp.keyring import Keyring
from otp.quotas import client_bucket, global_day

KEYRING = Keyring("k" * 40)


def test_a_code_mac_is_bound_to_purpose_phone_and_key():
    mac = KEYRING.code_mac("appeal", "+8613800138000", "123456")
    assert mac != KEYRING.code_mac("register_person", "+8613800138000", "123456")
    assert mac != KEYRING.code_mac("appeal", "+8613900139000", "123456")
    assert mac != Keyring("j" * 40).code_mac("appeal", "+8613800138000", "123456")
    assert "123456" not in mac


def test_references_name_no_phone():
    ref = KEYRING.phone_ref("+8613800138000")
    assert "13800138000" not in ref and len(ref) == 32


def test_a_sealed_message_opens_only_for_its_id():
    sealed = KEYRING.seal({"phone": "+8613800138000", "text": "246810"}, "m1")
    assert "246810" not in sealed
    assert KEYRING.unseal(sealed, "m1")["text"] == "246810"
    with pytest.raises(InvalidTag):
        KEYRING.unseal(sealed, "m2")


@pytest.mark.parametrize(
    "address, bucket",
    [
        ("198.51.100.7", "198.51.100.7"),
        (" 198.51.100.7 ", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("", "unknown"),
        (None, "unknown"),
        ("localhost", "unknown"),
    ],
)
def test_client_buckets(address, bucket):
    assert client_bucket(address) == bucket


def test_the_global_day_turns_at_midnight_in_china():
    midnight_china = 1_759_939_200_000  # 2025-10-08 16:00 UTC
    before, reset_before = global_day(midnight_china - 1)
    after, reset_after = global_day(midnight_china)
    assert before != after
    assert reset_before == 1 and reset_after == 86_400_000
