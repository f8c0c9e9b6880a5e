"""Sessions: opaque random tokens, stored hashed in Redis, idle and absolute expiry.

A token is 256 random bits (``secrets.token_urlsafe(32)``); Redis keeps only its
SHA-256 (the *session id*), so a read of Redis gives no usable token. The session
key expires after the idle timeout and is pushed forward on each use, but never
beyond the absolute lifetime counted from the login. A set per account lists its
session ids so a password change can end all of them but one.

Every copy of the service shares these keys: nothing is held in process memory.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def session_id_of(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SessionPolicy:
    """A session's lifetimes; their defaults are written once, in
    ``accounts.settings.AccountsSettings`` (``SESSION_*``)."""

    idle_seconds: int
    absolute_seconds: int


class SessionStore:
    """``keyspace`` is servicekit's Redis ``Keyspace`` (client + key prefix)."""

    def __init__(
        self,
        keyspace,
        policy: SessionPolicy,
        clock: Callable[[], float] = time.time,
    ):
        self.redis = keyspace.client
        self.key = keyspace.key
        self.policy = policy
        self.clock = clock

    def _session_key(self, session_id: str) -> str:
        return self.key("session", session_id)

    def _account_key(self, account_id: str) -> str:
        return self.key("account-sessions", account_id)

    def create(self, account: dict) -> dict:
        """A new session for ``account`` (``account_id``, ``kind``, ``role``,
        ``login_name``, ``must_change_password``): ``{token, csrf_token,
        session_id, expires_in, max_age}``."""
        token = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(32)
        session_id = session_id_of(token)
        now = self.clock()
        value = {
            **account,
            "created_at": now,
            "absolute_expires_at": now + self.policy.absolute_seconds,
            "csrf_digest": _digest(csrf_token),
        }
        idle = min(self.policy.idle_seconds, self.policy.absolute_seconds)
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self._session_key(session_id), json.dumps(value), ex=idle)
        pipe.sadd(self._account_key(account["account_id"]), session_id)
        pipe.expire(
            self._account_key(account["account_id"]), self.policy.absolute_seconds
        )
        pipe.execute()
        return {
            "token": token,
            "csrf_token": csrf_token,
            "session_id": session_id,
            "expires_in": idle,
            "max_age": self.policy.absolute_seconds,
        }

    def resolve(self, token: object, csrf_token: object = None) -> dict | None:
        """The live session of ``token`` (its idle expiry pushed forward), or None.

        The answer carries ``csrf_ok``: whether ``csrf_token`` is the one issued
        with this session (compared in constant time).
        """
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return None
        session_id = session_id_of(token)
        key = self._session_key(session_id)
        raw = self.redis.get(key)
        if raw is None:
            return None
        value = json.loads(raw)
        remaining = value["absolute_expires_at"] - self.clock()
        if remaining <= 0:
            self.end_by_id(session_id, value["account_id"])
            return None
        self.redis.expire(key, max(1, int(min(self.policy.idle_seconds, remaining))))
        digest = value.pop("csrf_digest", "")
        csrf_ok = (
            isinstance(csrf_token, str)
            and bool(digest)
            and hmac.compare_digest(_digest(csrf_token), digest)
        )
        return {**value, "session_id": session_id, "csrf_ok": csrf_ok}

    def update(self, session_id: str, **fields) -> None:
        """Change fields of a live session, keeping its expiry."""
        key = self._session_key(session_id)
        raw = self.redis.get(key)
        if raw is not None:
            value = json.loads(raw)
            value.update(fields)
            self.redis.set(key, json.dumps(value), keepttl=True, xx=True)

    def end(self, token: object) -> bool:
        """Log out: True when a live session ended."""
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return False
        session_id = session_id_of(token)
        raw = self.redis.get(self._session_key(session_id))
        if raw is None:
            return False
        return self.end_by_id(session_id, json.loads(raw)["account_id"])

    def end_by_id(self, session_id: str, account_id: str) -> bool:
        pipe = self.redis.pipeline(transaction=False)
        pipe.delete(self._session_key(session_id))
        pipe.srem(self._account_key(account_id), session_id)
        deleted, _ = pipe.execute()
        return bool(deleted)

    def end_all_except(self, account_id: str, keep_session_id: str | None) -> int:
        """End every session of the account but ``keep_session_id``; how many."""
        account_key = self._account_key(account_id)
        others = [s for s in self.redis.smembers(account_key) if s != keep_session_id]
        if not others:
            return 0
        pipe = self.redis.pipeline(transaction=False)
        pipe.delete(*[self._session_key(s) for s in others])
        pipe.srem(account_key, *others)
        deleted, _ = pipe.execute()
        return int(deleted)

    def lifetimes(self, session_ids: list[str]) -> list[tuple[str, int | None]]:
        """``(session_id, seconds until it expires or None when ended)`` for each
        id: the key's own expiry, which is the idle timeout capped by the
        absolute lifetime (``create``, ``resolve``). Extends nothing."""
        pipe = self.redis.pipeline(transaction=False)
        for session_id in session_ids:
            pipe.ttl(self._session_key(session_id))
        answers = pipe.execute()
        return [
            (session_id, ttl if ttl > 0 else None)
            for session_id, ttl in zip(session_ids, answers, strict=True)
        ]
