"""Where CPU-heavy image work runs: on real threads, a few at a time, never on the
eventlet hub.

A Nameko service runs every call on one hub; a 25 Mpx PNG decoded there holds every
other call of the process for a second or more (issue 12). ``eventlet.tpool`` runs a
function on a real thread (Pillow releases the GIL while it decodes and encodes) but
its threads are shared and many; the semaphore in front lets at most ``size`` of our
jobs run at once, so a burst of uploads queues behind itself and the rest of the
service keeps answering.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from eventlet import patcher, tpool
from eventlet.semaphore import Semaphore

DEFAULT_SIZE = 2  # IMAGE_DECODE_THREADS: with 2 cores, the hub keeps one in practice

T = TypeVar("T")


class DecodePool:
    """At most ``size`` jobs at once on ``eventlet.tpool``'s threads; the others
    wait (green threads, so waiting blocks nobody else)."""

    def __init__(self, size: int = DEFAULT_SIZE):
        if size < 1:
            raise ValueError("a decode pool needs at least one thread")
        self.size = size
        self._slots = Semaphore(size)

    def run(self, job: Callable[..., T], *args: object) -> T:
        """``job(*args)`` on a pool thread; its result or its exception.

        In a process eventlet has not patched (plain threads: scripts, tests that
        call the use cases from threads) there is no hub to keep free and
        ``tpool`` would wait on the wrong thread's hub: the job runs on the
        calling thread."""
        if not patcher.is_monkey_patched("thread"):
            return job(*args)
        with self._slots:
            return tpool.execute(job, *args)


@functools.cache
def decode_pool(size: int = DEFAULT_SIZE) -> DecodePool:
    """The process's one pool of this size (settings are read once at start, so
    in practice one pool per process)."""
    return DecodePool(size)
