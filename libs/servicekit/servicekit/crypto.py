"""Encryption of personal data at rest: AES-256-GCM with key ids for rotation.

    keyring = Keyring.from_config(config)
    blob = keyring.encrypt(b"...", aad=b"verification_materials:vrf_x:id_front")
    keyring.decrypt(blob, aad=b"verification_materials:vrf_x:id_front")

A blob is ``version(1) | len(key_id)(1) | key_id | nonce(12) | ciphertext+tag``:
it names the key that sealed it, so old rows stay readable after a new key becomes
current (rotation = add a key, make it current, re-encrypt at leisure). The ``aad``
binds a blob to where it belongs (table, row, column): a blob copied to another row
does not decrypt.

Config: ``ENCRYPTION_KEYS`` = ``id:base64key[,id:base64key...]`` (32-byte keys),
``ENCRYPTION_KEY_ID`` = the id new blobs are sealed with. Key ids beginning with
``dev`` are development keys; with ``ENVIRONMENT=production`` they are refused
(fail closed: a production service must not start with a key from the repository).
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nameko.extensions import DependencyProvider

_VERSION = 1
_NONCE = 12


class DecryptionFailed(Exception):
    """The blob is damaged, sealed with an unknown key, or bound to other ``aad``."""


class Keyring:
    def __init__(self, keys: dict[str, bytes], current_key_id: str):
        if current_key_id not in keys:
            raise ValueError(f"the current key id {current_key_id!r} has no key")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"key {key_id!r} must be 32 bytes")
            if not key_id or len(key_id.encode()) > 255:
                raise ValueError("key ids must be 1-255 bytes")
        self._aead = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.current_key_id = current_key_id

    @classmethod
    def from_config(cls, config: dict) -> Keyring:
        spec = str(config.get("ENCRYPTION_KEYS") or "")
        keys: dict[str, bytes] = {}
        for entry in filter(None, (e.strip() for e in spec.split(","))):
            key_id, _, encoded = entry.partition(":")
            try:
                keys[key_id] = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"ENCRYPTION_KEYS: key {key_id!r} is not base64") from None
        current = str(config.get("ENCRYPTION_KEY_ID") or "")
        environment = str(config.get("ENVIRONMENT") or os.environ.get("ENVIRONMENT", ""))
        if environment == "production" and any(k.startswith("dev") for k in keys):
            raise ValueError("development encryption keys are refused in production")
        return cls(keys, current)

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        key_id = self.current_key_id.encode()
        nonce = os.urandom(_NONCE)
        sealed = self._aead[self.current_key_id].encrypt(nonce, plaintext, aad)
        return bytes([_VERSION, len(key_id)]) + key_id + nonce + sealed

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        """The plaintext; raises :class:`DecryptionFailed` otherwise."""
        blob = bytes(blob)
        if len(blob) < 2 or blob[0] != _VERSION:
            raise DecryptionFailed("unknown blob format")
        end = 2 + blob[1]
        key_id = blob[2:end].decode(errors="replace")
        aead = self._aead.get(key_id)
        if aead is None:
            raise DecryptionFailed(f"no key {key_id!r} in the keyring")
        nonce, sealed = blob[end : end + _NONCE], blob[end + _NONCE :]
        try:
            return aead.decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise DecryptionFailed("the blob does not authenticate") from None

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        return bytes(blob[2 : 2 + blob[1]]).decode(errors="replace")


class Crypto(DependencyProvider):
    """Injects the service's :class:`Keyring` (built once, in ``setup``)."""

    def setup(self):
        self.keyring = Keyring.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> Keyring:
        return self.keyring
