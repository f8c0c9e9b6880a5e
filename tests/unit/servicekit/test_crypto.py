"""Personal-data encryption: round trip, rotation, tamper detection, key policy."""

from __future__ import annotations

import base64
import os

import pytest
from servicekit.crypto import (
    DEV_BLIND_INDEX_KEY,
    DEV_PII_KEYS,
    CryptoConfigError,
    DecryptionError,
    PersonalDataCipher,
    parse_keys,
)


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def prod_config(**overrides):
    config = {
        "ENVIRONMENT": "production",
        "PII_KEYS": f"k1:{key()}",
        "BLIND_INDEX_KEY": key(),
    }
    config.update(overrides)
    return config


def test_round_trip_and_no_plain_text_in_the_stored_form():
    cipher = PersonalDataCipher.from_config({})
    stored = cipher.encrypt("13812345678", "phone")
    assert stored.startswith("v1.dev1.")
    assert "13812345678" not in stored
    assert cipher.decrypt(stored, "phone") == "13812345678"
    # a fresh nonce each time: equal values do not give equal ciphertexts
    assert cipher.encrypt("13812345678", "phone") != stored


def test_a_ciphertext_moved_to_another_kind_does_not_decrypt():
    cipher = PersonalDataCipher.from_config({})
    stored = cipher.encrypt("11010519491231002X", "doc_number")
    with pytest.raises(DecryptionError):
        cipher.decrypt(stored, "phone")


def test_a_tampered_ciphertext_does_not_decrypt():
    cipher = PersonalDataCipher.from_config({})
    stored = cipher.encrypt("11010519491231002X", "doc_number")
    flipped = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]
    for bad in (flipped, "v1.dev1.", "v2.dev1.abc", "plain", "v1.nokey.abcd"):
        with pytest.raises(DecryptionError):
            cipher.decrypt(bad, "doc_number")


def test_rotation_old_values_stay_readable_new_ones_use_the_active_key():
    old_key, new_key = key(), key()
    index = key()
    before = PersonalDataCipher.from_config(
        {"PII_KEYS": f"k1:{old_key}", "BLIND_INDEX_KEY": index}
    )
    stored = before.encrypt("E12345678", "doc_number")
    after = PersonalDataCipher.from_config(
        {
            "PII_KEYS": f"k1:{old_key},k2:{new_key}",
            "PII_ACTIVE_KEY_ID": "k2",
            "BLIND_INDEX_KEY": index,
        }
    )
    assert after.decrypt(stored, "doc_number") == "E12345678"
    assert after.needs_reencryption(stored)
    fresh = after.encrypt("E12345678", "doc_number")
    assert after.key_id_of(fresh) == "k2" and not after.needs_reencryption(fresh)
    # the blind index does not depend on the encryption keys
    assert before.blind_index("E12345678", "doc_number") == after.blind_index(
        "E12345678", "doc_number"
    )


def test_blind_index_is_keyed_and_separates_kinds():
    a = PersonalDataCipher.from_config({})
    b = PersonalDataCipher.from_config({"BLIND_INDEX_KEY": key()})
    assert a.blind_index("13812345678", "phone") == a.blind_index(
        "13812345678", "phone"
    )
    assert a.blind_index("13812345678", "phone") != b.blind_index(
        "13812345678", "phone"
    )
    assert a.blind_index("13812345678", "phone") != a.blind_index(
        "13812345678", "doc_number"
    )
    assert "13812345678" not in a.blind_index("13812345678", "phone")


def test_production_refuses_development_keys_and_missing_keys():
    with pytest.raises(CryptoConfigError, match="production"):
        PersonalDataCipher.from_config({"ENVIRONMENT": "production"})
    with pytest.raises(CryptoConfigError, match="development PII"):
        PersonalDataCipher.from_config(prod_config(PII_KEYS=DEV_PII_KEYS))
    with pytest.raises(CryptoConfigError, match="development PII"):
        PersonalDataCipher.from_config(
            prod_config(PII_KEYS=f"k1:{key()},{DEV_PII_KEYS}", PII_ACTIVE_KEY_ID="k1")
        )
    with pytest.raises(CryptoConfigError, match="index"):
        PersonalDataCipher.from_config(prod_config(BLIND_INDEX_KEY=DEV_BLIND_INDEX_KEY))
    assert PersonalDataCipher.from_config(prod_config())


def test_development_and_test_fall_back_to_the_development_keys():
    for environment in ("dev", "test"):
        cipher = PersonalDataCipher.from_config({"ENVIRONMENT": environment})
        assert cipher.active_key_id == "dev1"


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "nokey",
        "k1:notbase64!!",
        f"k1:{base64.b64encode(b'short').decode()}",
        f"k 1:{base64.b64encode(os.urandom(32)).decode()}",
        "k1:{0},k1:{0}".format(base64.b64encode(os.urandom(32)).decode()),
    ],
)
def test_malformed_key_specs_are_refused(spec):
    with pytest.raises(CryptoConfigError):
        parse_keys(spec)


def test_url_safe_base64_keys_are_accepted():
    raw = os.urandom(32)
    spec = "k1:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert parse_keys(spec) == {"k1": raw}


def test_several_keys_need_an_active_key_id():
    with pytest.raises(CryptoConfigError, match="PII_ACTIVE_KEY_ID"):
        PersonalDataCipher.from_config({"PII_KEYS": f"a:{key()},b:{key()}"})
    with pytest.raises(CryptoConfigError, match="active key"):
        PersonalDataCipher.from_config(
            {"PII_KEYS": f"a:{key()}", "PII_ACTIVE_KEY_ID": "b"}
        )


# --- binary values (uploaded images) -------------------------------------------------


def _binary_cipher(keys=None, active="k1"):
    from servicekit.crypto import PersonalDataCipher

    keys = keys or {"k1": b"\x01" * 32}
    return PersonalDataCipher(keys, active, b"\x02" * 32)


def test_bytes_round_trip_and_the_blob_names_its_key():
    cipher = _binary_cipher()
    blob = cipher.encrypt_bytes(b"\x89PNG image", b"materials:vrf_1:id_front")
    assert b"PNG" not in blob
    assert cipher.key_id_of_bytes(blob) == "k1"
    assert cipher.decrypt_bytes(blob, b"materials:vrf_1:id_front") == b"\x89PNG image"


def test_a_binary_blob_moved_to_another_row_or_tampered_does_not_decrypt():
    from servicekit.crypto import DecryptionError

    cipher = _binary_cipher()
    blob = cipher.encrypt_bytes(b"x" * 40, b"row-1")
    with pytest.raises(DecryptionError):
        cipher.decrypt_bytes(blob, b"row-2")
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    with pytest.raises(DecryptionError):
        cipher.decrypt_bytes(bytes(tampered), b"row-1")


def test_binary_blobs_stay_readable_after_rotation():
    old = _binary_cipher().encrypt_bytes(b"old", b"a")
    rotated = _binary_cipher({"k1": b"\x01" * 32, "k2": b"\x03" * 32}, "k2")
    assert rotated.decrypt_bytes(old, b"a") == b"old"
    assert rotated.key_id_of_bytes(rotated.encrypt_bytes(b"new", b"a")) == "k2"
