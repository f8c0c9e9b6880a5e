"""Keyed hashes and sealing, all derived from the one secret ``OTP_HMAC_KEY``.

Each use gets its own sub-key (HMAC of a label under the master key), so a value
hashed for one purpose can never be replayed as another:

- ``code_mac``: an SMS code bound to purpose and phone (what Redis keeps of a code);
- ``captcha_mac``: a captcha answer bound to its id (what Redis keeps of a captcha);
- ``phone_ref`` / ``client_ref``: blind references, so Redis keys name no phone
  number or client address;
- ``seal`` / ``unseal``: AES-GCM for a queued SMS (phone and text) between
  acceptance and delivery, the only place a code exists in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _subkey(master: bytes, label: str) -> bytes:
    return hmac.new(master, label.encode(), hashlib.sha256).digest()


class Keyring:
    def __init__(self, master_key: str):
        master = master_key.encode()
        self._code = _subkey(master, "otp/sms-code/v1")
        self._captcha = _subkey(master, "otp/captcha/v1")
        self._ref = _subkey(master, "otp/reference/v1")
        self._aead = AESGCM(_subkey(master, "otp/queue-seal/v1"))

    @staticmethod
    def _mac(key: bytes, *parts: str) -> str:
        # A separator that cannot occur in any part keeps ("a|b", "c") != ("a", "b|c").
        message = "\x1f".join(parts).encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def code_mac(self, purpose: str, phone: str, code: str) -> str:
        return self._mac(self._code, purpose, phone, code)

    def captcha_mac(self, captcha_id: str, answer: str) -> str:
        return self._mac(self._captcha, captcha_id, answer)

    def phone_ref(self, phone: str) -> str:
        return self._mac(self._ref, "phone", phone)[:32]

    def client_ref(self, bucket: str) -> str:
        return self._mac(self._ref, "client", bucket)[:32]

    def notice_ref(self, dedupe_key: str) -> str:
        return self._mac(self._ref, "notice", dedupe_key)[:32]

    def seal(self, payload: dict, associated: str) -> str:
        """Encrypt ``payload`` (JSON) bound to ``associated`` (the message id)."""
        nonce = os.urandom(12)
        data = json.dumps(payload, ensure_ascii=False).encode()
        sealed = self._aead.encrypt(nonce, data, associated.encode())
        return (nonce + sealed).hex()

    def unseal(self, sealed_hex: str, associated: str) -> dict:
        raw = bytes.fromhex(sealed_hex)
        data = self._aead.decrypt(raw[:12], raw[12:], associated.encode())
        return json.loads(data)
