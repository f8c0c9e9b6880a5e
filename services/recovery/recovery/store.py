"""Redis: reset flows (JSON, compare-and-set) and the per-step quotas (counted by
servicekit's rate limiter).

A flow is one key holding its JSON; every change is a compare-and-set against the
text that was read (one Lua step), so two racing requests cannot both move it.
The key outlives ``expires_at`` by a retention time, so a late step is answered
410 (expired) instead of 404 (never existed). A flow's times are datetimes
everywhere but here: in Redis they are epoch seconds (``dump_flow``/``load_flow``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from servicekit.ratelimit import FixedWindows
from servicekit.redis import Keyspace

_REPLACE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0
"""


# a reset flow's times: datetimes in Python, epoch seconds in its JSON
TIME_FIELDS = ("created_at", "updated_at", "expires_at")


def dump_flow(flow: dict) -> str:
    """The JSON a flow is stored as."""
    return json.dumps(
        {
            name: value.timestamp() if name in TIME_FIELDS and value else value
            for name, value in flow.items()
        }
    )


def load_flow(text: str) -> dict:
    """The flow ``dump_flow`` stored (times back to timezone-aware UTC)."""
    flow = json.loads(text)
    for name in TIME_FIELDS:
        if flow.get(name) is not None:
            flow[name] = datetime.fromtimestamp(flow[name], UTC)
    return flow


class ResetStore:
    def __init__(self, keyspace: Keyspace):
        self.keyspace = keyspace
        self.redis = keyspace.client
        self._replace = self.redis.register_script(_REPLACE)

    def _key(self, reset_id: str) -> str:
        return self.keyspace.key("recovery", "reset", reset_id)

    def create(self, flow: dict, keep_seconds: int) -> None:
        self.redis.set(self._key(flow["id"]), dump_flow(flow), ex=keep_seconds, nx=True)

    def get(self, reset_id: str) -> tuple[str, dict] | None:
        """``(raw text, flow)`` or None; the raw text is what ``replace`` compares."""
        raw = self.redis.get(self._key(reset_id))
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else raw
        return text, load_flow(text)

    def replace(self, reset_id: str, read: str, flow: dict) -> bool:
        """Store ``flow`` if the key still holds ``read``; False when it moved."""
        return bool(
            self._replace(keys=[self._key(reset_id)], args=[read, dump_flow(flow)])
        )


class Quotas(FixedWindows):
    """recovery's named quotas, counted by servicekit's one rate limiter; keys
    under ``<REDIS_KEY_PREFIX>recovery:quota``."""

    def __init__(self, keyspace: Keyspace):
        super().__init__(keyspace, "recovery:quota")


class LookupStore:
    """Organisation look-ups (appeal step 1): JSON with a time to live."""

    def __init__(self, keyspace: Keyspace):
        self.keyspace = keyspace

    def _key(self, lookup_id: str) -> str:
        return self.keyspace.key("recovery", "lookup", lookup_id)

    def put(self, lookup_id: str, value: dict, ttl_seconds: int) -> None:
        self.keyspace.client.set(
            self._key(lookup_id), json.dumps(value), ex=ttl_seconds
        )

    def get(self, lookup_id: str) -> dict | None:
        raw = self.keyspace.client.get(self._key(lookup_id))
        return json.loads(raw) if raw is not None else None
