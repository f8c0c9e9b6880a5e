"""The login guard: when a login needs a captcha, when a name is locked.

The only place that compares failure counts with the thresholds
(``LOGIN_CAPTCHA_AFTER``, ``LOGIN_LOCK_AFTER``, the per-address ones): the login
and the password change ask it for a verdict and act on it.

Failures are counted in Redis per login name (lower-cased, hashed: an unknown name is
counted exactly like a real one, so the answers never tell whether a name exists) and
per client address. Every copy of the service shares the counters.

An attempt is counted *before* its password is checked (``begin``), so a burst of
parallel requests cannot all slip under the captcha threshold: each gets its own
number. An attempt refused before any check (no captcha, wrong captcha) gives its
number back; a successful login clears the name's count.

Lockout as a weapon: anyone who knows a login name can lock it. The owner escapes
with an SMS code sent to the reserved phone (``accounts.unlock``), which calls
:meth:`LoginGuard.unlock`: the name's count and lock are cleared, and the client
address that proved the phone gets a *pass* for that name (``lock_seconds``
long): from that address alone, the name's lock and the name's captcha do not
apply, so an attacker who keeps locking the name from elsewhere no longer keeps
the owner out. The pass ends at the first wrong password from that address (it
is for the owner, not for guessing), at the next successful login, or after
``captcha_after`` attempts (each attempt uses one atomically, so a parallel burst
from that address gets no more); the per-address counters apply to it as to
everyone.

Fail-open or closed? If Redis is down, ``begin`` raises and the login fails (closed):
without the counters nothing would stop a brute force.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class LoginPolicy:
    """The guard's numbers, no defaults here: they are written once, in
    ``accounts.settings.AccountsSettings`` (``LOGIN_*``), which builds this
    object (``login_policy()``)."""

    captcha_after: int  # failures of a name before a captcha is required
    lock_after: int  # failures of a name within the window that lock it
    window_seconds: int
    lock_seconds: int
    ip_captcha_after: int  # failures from one address before captchas
    ip_block_after: int  # failures from one address before 429s
    ip_window_seconds: int


@dataclass(frozen=True)
class Attempt:
    """The verdict on one login attempt, before its password is checked.

    ``number`` is this attempt's number within the name's window.
    """

    number: int
    locked_for: int = 0  # > 0: refuse, the name is locked for this many seconds
    ip_blocked_for: int = 0  # > 0: refuse, the address failed too often
    captcha_required: bool = False
    passed: bool = False  # this address holds the owner's pass for the name


@dataclass(frozen=True)
class Failure:
    """The verdict on a wrong password."""

    locked_now: bool  # this failure started the lock (announce it once)
    locked_for: int  # > 0: answer "locked", retry after this many seconds
    captcha_next: bool  # the name's next attempt will need a captcha


_GIVE_BACK = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


# One use of an address's pass, atomically: -1 when it has none (or none left), so
# a burst of parallel attempts from that address gets at most the pass's uses.
_TAKE_ONE_USE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return -1
"""


def name_key(login_name: str) -> str:
    return hashlib.sha256(login_name.lower().encode("utf-8")).hexdigest()[:32]


class LoginGuard:
    """``keyspace`` is servicekit's Redis ``Keyspace`` (client + key prefix)."""

    def __init__(self, keyspace, policy: LoginPolicy):
        self.redis = keyspace.client
        self.key = keyspace.key
        self.policy = policy

    def _keys(self, login_name: str, client_ip: str) -> tuple[str, str, str]:
        name = name_key(login_name)
        return (
            self.key("login-failures", name),
            self.key("login-lock", name),
            self.key("login-failures-ip", client_ip or "unknown"),
        )

    def _pass_key(self, login_name: str, client_ip: str) -> str:
        return self.key("login-pass", name_key(login_name), client_ip or "unknown")

    def begin(self, login_name: str, client_ip: str) -> Attempt:
        """Count an attempt and say whether it may go on (one Redis round trip)."""
        failures, lock, ip = self._keys(login_name, client_ip)
        pipe = self.redis.pipeline(transaction=False)
        pipe.ttl(lock)
        pipe.incr(failures)
        pipe.expire(failures, self.policy.window_seconds, nx=True)
        pipe.get(ip)
        pipe.ttl(ip)
        pipe.eval(_TAKE_ONE_USE, 1, self._pass_key(login_name, client_ip))
        lock_ttl, number, _, ip_failures, ip_ttl, passes_left = pipe.execute()
        ip_failures = int(ip_failures or 0)
        if passes_left >= 0:
            return self._begin_with_pass(number, ip_failures, ip_ttl)
        if lock_ttl and lock_ttl > 0:
            self.give_back(login_name)
            return Attempt(number, locked_for=lock_ttl)
        if ip_failures >= self.policy.ip_block_after:
            self.give_back(login_name)
            return Attempt(number, ip_blocked_for=max(ip_ttl, 1))
        if number > self.policy.lock_after:
            # Parallel attempts beyond the last allowed one: as good as locked.
            self.give_back(login_name)
            return Attempt(number, locked_for=self.policy.lock_seconds)
        captcha = (
            number > self.policy.captcha_after
            or ip_failures >= self.policy.ip_captcha_after
        )
        return Attempt(number, captcha_required=captcha)

    def _begin_with_pass(self, number: int, ip_failures: int, ip_ttl: int) -> Attempt:
        """The owner's address after an SMS unlock: the name's lock and captcha
        do not apply (others cause them), the address's own limits do."""
        if ip_failures >= self.policy.ip_block_after:
            return Attempt(number, ip_blocked_for=max(ip_ttl, 1), passed=True)
        captcha = ip_failures >= self.policy.ip_captcha_after
        return Attempt(number, captcha_required=captcha, passed=True)

    def give_back(self, login_name: str) -> None:
        """Un-count an attempt that was refused before its password was checked.

        Never below zero (the window may have ended meanwhile): a negative count
        would hand out free attempts.
        """
        failures, _, _ = self._keys(login_name, "")
        self.redis.eval(_GIVE_BACK, 1, failures)

    def failed(self, login_name: str, client_ip: str, attempt: Attempt) -> Failure:
        """Record a wrong password and say how to answer it.

        The attempt numbered ``lock_after`` locks the name for ``lock_seconds``;
        ``locked_now`` is true for the one failure that set the lock.
        """
        failures, lock, ip = self._keys(login_name, client_ip)
        pipe = self.redis.pipeline(transaction=False)
        pipe.incr(ip)
        pipe.expire(ip, self.policy.ip_window_seconds, nx=True)
        if attempt.passed:
            pipe.delete(self._pass_key(login_name, client_ip))
        pipe.execute()
        captcha_next = attempt.number >= self.policy.captcha_after
        if attempt.number < self.policy.lock_after:
            return Failure(locked_now=False, locked_for=0, captcha_next=captcha_next)
        locked = self.redis.set(lock, "1", ex=self.policy.lock_seconds, nx=True)
        self.redis.delete(failures)
        return Failure(
            locked_now=bool(locked),
            locked_for=self.policy.lock_seconds,
            captcha_next=captcha_next,
        )

    def succeeded(self, login_name: str, client_ip: str = "") -> None:
        """A right password: the name's count starts again, the address's pass
        (if any) is used up."""
        failures, _, _ = self._keys(login_name, "")
        self.redis.delete(failures, self._pass_key(login_name, client_ip))

    def unlock(self, login_name: str, client_ip: str) -> None:
        """The owner proved the reserved phone: clear the name's count and lock,
        and give ``client_ip`` a pass for the name for ``lock_seconds``, good for
        ``captcha_after`` attempts (what a fresh name gets without a captcha)."""
        failures, lock, _ = self._keys(login_name, client_ip)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(failures, lock)
        uses = max(self.policy.captcha_after, 1)  # what a fresh name gets
        pipe.set(
            self._pass_key(login_name, client_ip), uses, ex=self.policy.lock_seconds
        )
        pipe.execute()
