"""Personal-data encryption: AES-256-GCM with key ids, and a keyed blind index.

A value is stored as ``v1.<key id>.<base64url(nonce + ciphertext + tag)>``; the
key id names the key that encrypted it, so keys can rotate: new values use the
active key, old values stay readable while their key is configured, and
``needs_reencryption`` tells a re-encryption job what to rewrite. The kind of
value (``"phone"``, ``"doc_number"``...) is bound as associated data, so a
ciphertext copied into another column does not decrypt.

The blind index is HMAC-SHA256 over ``kind`` and the (already normalised) value
with a separate key: equal values give equal indexes, so a unique index and
look-ups work without decrypting, and the index reveals nothing without the key.
It cannot rotate without recomputing every index (a migration job), so it has a
key of its own.

Configuration (environment, through each service's ``config.yml``):

``PII_KEYS``           ``kid:base64key,kid:base64key`` (32-byte keys)
``PII_ACTIVE_KEY_ID``  the key id new values are encrypted with
``BLIND_INDEX_KEY``    base64, at least 32 bytes
``ENVIRONMENT``        ``production`` refuses the development keys below, and
                       refuses to start without keys of its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nameko.extensions import DependencyProvider

# Published on purpose (config.yml defaults, tests): never valid in production.
DEV_PII_KEYS = "dev1:ZGV2ZWxvcG1lbnQta2V5LW9uZS1ub3QtYS1zZWNyZXQ="
DEV_BLIND_INDEX_KEY = "ZGV2ZWxvcG1lbnQtYmxpbmQtaW5kZXgta2V5LW5vdC1zZWNyZXQ="

_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")
_VERSION = "v1"
_NONCE_BYTES = 12
_BYTES_VERSION = 1


class CryptoConfigError(ValueError):
    """The keys are missing, malformed, or development keys in production."""


class DecryptionError(ValueError):
    """A stored value cannot be decrypted (unknown key id, tampered, wrong kind)."""


def _b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padding optional; strict about the alphabet."""
    text = text.strip()
    if "-" in text or "_" in text:
        text = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise CryptoConfigError("a key is not valid base64") from None


def parse_keys(spec: str) -> dict[str, bytes]:
    """``"kid:base64,kid:base64"`` → ``{kid: key}``; every key 32 bytes."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in str(spec or "").split(",")):
        if not item:
            continue
        kid, sep, encoded = item.partition(":")
        if not sep or not _KEY_ID.fullmatch(kid):
            raise CryptoConfigError("PII_KEYS entries are kid:base64key")
        key = _b64decode(encoded)
        if len(key) != 32:
            raise CryptoConfigError(f"PII key {kid} is not 32 bytes")
        if kid in keys:
            raise CryptoConfigError(f"PII key id {kid} appears twice")
        keys[kid] = key
    if not keys:
        raise CryptoConfigError("PII_KEYS holds no key")
    return keys


class PersonalDataCipher:
    """Encrypts, decrypts and indexes personal data (thread- and greenlet-safe)."""

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str, index_key: bytes):
        if active_key_id not in keys:
            raise CryptoConfigError(f"the active key id {active_key_id!r} has no key")
        if len(index_key) < 32:
            raise CryptoConfigError("BLIND_INDEX_KEY must be at least 32 bytes")
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}
        self.active_key_id = active_key_id
        self._index_key = index_key

    def encrypt(self, value: str, kind: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead[self.active_key_id].encrypt(
            nonce, value.encode("utf-8"), kind.encode("utf-8")
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{_VERSION}.{self.active_key_id}.{body}"

    def decrypt(self, stored: str, kind: str) -> str:
        try:
            version, kid, body = stored.split(".", 2)
        except (AttributeError, ValueError):
            raise DecryptionError("not an encrypted value") from None
        if version != _VERSION or kid not in self._aead:
            raise DecryptionError(f"no key for {version}.{kid}")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plain = self._aead[kid].decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], kind.encode("utf-8")
            )
        except (InvalidTag, binascii.Error, ValueError):
            raise DecryptionError("the value does not decrypt") from None
        return plain.decode("utf-8")

    # Binary values (uploaded images) are sealed the same way but kept as bytes:
    # ``version(1) | len(key id)(1) | key id | nonce | ciphertext + tag``, with the
    # caller's ``aad`` (e.g. table, row and column) bound as associated data.

    def encrypt_bytes(self, data: bytes, aad: bytes) -> bytes:
        kid = self.active_key_id.encode("ascii")
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead[self.active_key_id].encrypt(nonce, data, aad)
        return bytes([_BYTES_VERSION, len(kid)]) + kid + nonce + sealed

    def decrypt_bytes(self, blob: bytes, aad: bytes) -> bytes:
        blob = bytes(blob)
        if len(blob) < 2 or blob[0] != _BYTES_VERSION:
            raise DecryptionError("not an encrypted binary value")
        end = 2 + blob[1]
        kid = blob[2:end].decode("ascii", errors="replace")
        if kid not in self._aead:
            raise DecryptionError(f"no key for {kid}")
        try:
            return self._aead[kid].decrypt(
                blob[end : end + _NONCE_BYTES], blob[end + _NONCE_BYTES :], aad
            )
        except InvalidTag:
            raise DecryptionError("the value does not decrypt") from None

    @staticmethod
    def key_id_of_bytes(blob: bytes) -> str:
        return bytes(blob[2 : 2 + blob[1]]).decode("ascii", errors="replace")

    def key_id_of(self, stored: str) -> str:
        return stored.split(".", 2)[1]

    def needs_reencryption(self, stored: str) -> bool:
        return self.key_id_of(stored) != self.active_key_id

    def blind_index(self, value: str, kind: str) -> str:
        """Hex HMAC-SHA256 of ``kind`` and ``value``: the same for equal values."""
        message = kind.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()

    @classmethod
    def from_config(cls, config: Mapping) -> PersonalDataCipher:
        """Build from ``PII_KEYS``, ``PII_ACTIVE_KEY_ID``, ``BLIND_INDEX_KEY``.

        In production (``ENVIRONMENT=production``) the development keys are refused
        and there is no default: a deployment without keys does not start.
        """
        environment = str(config.get("ENVIRONMENT") or "dev")
        production = environment == "production"
        key_spec = config.get("PII_KEYS")
        index_spec = config.get("BLIND_INDEX_KEY")
        if not key_spec or not index_spec:
            if production:
                raise CryptoConfigError("production needs PII_KEYS and BLIND_INDEX_KEY")
            key_spec = key_spec or DEV_PII_KEYS
            index_spec = index_spec or DEV_BLIND_INDEX_KEY
        keys = parse_keys(str(key_spec))
        index_key = _b64decode(str(index_spec))
        if production:
            dev_keys = set(parse_keys(DEV_PII_KEYS).values())
            if dev_keys & set(keys.values()):
                raise CryptoConfigError("production refuses the development PII keys")
            if index_key == _b64decode(DEV_BLIND_INDEX_KEY):
                raise CryptoConfigError("production refuses the development index key")
        active = str(config.get("PII_ACTIVE_KEY_ID") or "")
        if not active:
            if len(keys) != 1:
                raise CryptoConfigError("PII_ACTIVE_KEY_ID must name one of PII_KEYS")
            active = next(iter(keys))
        return cls(keys, active, index_key)


class PersonalData(DependencyProvider):
    """Injects the service's :class:`PersonalDataCipher`; a bad key set stops the
    container at start-up (fail closed: no service runs with the wrong keys)."""

    def setup(self):
        self.cipher = PersonalDataCipher.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> PersonalDataCipher:
        return self.cipher
