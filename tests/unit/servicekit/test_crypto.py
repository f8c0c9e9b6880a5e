"""Encryption at rest: round trip, key ids for rotation, aad binding, dev keys."""

from __future__ import annotations

import base64
import os

import pytest
from servicekit.crypto import DecryptionFailed, Keyring


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


K1, K2 = os.urandom(32), os.urandom(32)


def test_round_trip_and_the_blob_names_its_key():
    keyring = Keyring({"k1": K1}, "k1")
    blob = keyring.encrypt(b"secret image", b"table:row:col")
    assert b"secret image" not in blob
    assert Keyring.key_id_of(blob) == "k1"
    assert keyring.decrypt(blob, b"table:row:col") == b"secret image"


def test_two_encryptions_differ():
    keyring = Keyring({"k1": K1}, "k1")
    assert keyring.encrypt(b"x", b"a") != keyring.encrypt(b"x", b"a")


def test_a_blob_moved_to_another_row_does_not_decrypt():
    keyring = Keyring({"k1": K1}, "k1")
    blob = keyring.encrypt(b"x", b"row-1")
    with pytest.raises(DecryptionFailed):
        keyring.decrypt(blob, b"row-2")


def test_a_tampered_blob_does_not_decrypt():
    keyring = Keyring({"k1": K1}, "k1")
    blob = bytearray(keyring.encrypt(b"x" * 50, b"a"))
    blob[-1] ^= 1
    with pytest.raises(DecryptionFailed):
        keyring.decrypt(bytes(blob), b"a")


def test_rotation_keeps_old_blobs_readable():
    old = Keyring({"k1": K1}, "k1").encrypt(b"old", b"a")
    rotated = Keyring.from_config({"ENCRYPTION_KEYS": f"k1:{b64(K1)},k2:{b64(K2)}",
                                   "ENCRYPTION_KEY_ID": "k2"})
    assert rotated.decrypt(old, b"a") == b"old"
    assert Keyring.key_id_of(rotated.encrypt(b"new", b"a")) == "k2"
    with pytest.raises(DecryptionFailed):
        Keyring({"k2": K2}, "k2").decrypt(old, b"a")


def test_production_refuses_development_keys():
    config = {"ENCRYPTION_KEYS": f"dev1:{b64(K1)}", "ENCRYPTION_KEY_ID": "dev1"}
    assert Keyring.from_config({**config, "ENVIRONMENT": "test"}).current_key_id == "dev1"
    with pytest.raises(ValueError):
        Keyring.from_config({**config, "ENVIRONMENT": "production"})


@pytest.mark.parametrize(
    "config",
    [
        {"ENCRYPTION_KEYS": "k1:" + b64(b"short"), "ENCRYPTION_KEY_ID": "k1"},
        {"ENCRYPTION_KEYS": "k1:not base64!", "ENCRYPTION_KEY_ID": "k1"},
        {"ENCRYPTION_KEYS": "k1:" + b64(K1), "ENCRYPTION_KEY_ID": "k9"},
    ],
)
def test_bad_key_configuration_is_refused_at_start(config):
    with pytest.raises(ValueError):
        Keyring.from_config(config)
