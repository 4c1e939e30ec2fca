"""The store's background threads, each started on first use, never at import.

A process that imports the package but never loads a value from Redis (a CLI, a test
collection, gunicorn's master before it forks) starts no thread, and a worker forked
from it inherits none.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class OnDemandPool:
    """A pool of one thread, made when it is first given work (thread-safe)."""

    def __init__(
        self, name: str, initializer: Callable[[], None] | None = None
    ) -> None:
        self.name = name
        self._initializer = initializer
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(
        self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Future[T]:
        """Run `fn(*args, **kwargs)` in the pool's thread."""
        pool = self._pool
        if pool is None:
            with self._lock:  # one pool, however many threads ask first at once
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(
                        1, thread_name_prefix=self.name, initializer=self._initializer
                    )
                pool = self._pool
        return pool.submit(fn, *args, **kwargs)


def idle_priority() -> None:
    """Run the calling thread only when a CPU is otherwise idle (Linux): background
    decoding must not slow down the requests it works ahead for."""
    if hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
