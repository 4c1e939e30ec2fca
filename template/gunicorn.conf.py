"""Gunicorn settings, read by `gunicorn <package>.app:server` run from this folder.

Workers: WEB_CONCURRENCY, else 2 per core + 1 (at most 8). Several workers need
REDIS_URL: the fakeredis fallback lives inside one process, so workers would not see
each other's data; this file refuses to start them rather than serve missing data.

Memory: reading an upload takes several times the file's size at its peak (a 40 MB
CSV: 300 MB more), and the allocators (Python's, glibc's, Arrow's) keep what is freed
for later, so a worker's RSS would stay near the peak of the largest requests it
served, and creep up (measured: 166 MB idle, 613 MB after six 20-50 MB uploads). Two
bounds:

- After each request whose body is over 1 MiB (an upload), the worker hands the
  memory it freed back to the system (glibc's `malloc_trim`, Arrow's
  `release_unused`; 2 to 50 ms): 280 MB after the same six uploads, most of it the
  frames `redis_store` caches (STORE_CACHE_MB).
- Each worker is replaced after MAX_REQUESTS requests (default 1,000; 0: never), plus
  a random 0 to MAX_REQUESTS_JITTER more (default a tenth of MAX_REQUESTS), so that
  workers do not restart together: a bound on whatever creeps up still. Only with
  REDIS_URL: on the fakeredis fallback, a worker keeps the app's data in itself and a
  restart would lose it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from typing import Any


def _whole_number(name: str, default: int, least: int = 0) -> int:
    """The environment variable `name` as a whole number >= `least` (`default` if
    unset or empty); anything else stops gunicorn with the variable's name, not a
    traceback."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and int(text) >= least):
        raise SystemExit(f"{name} must be a whole number >= {least}, not {text!r}")
    return int(text)


bind = f"0.0.0.0:{os.environ.get('PORT', '8050')}"
workers = _whole_number("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8), 1)
timeout = 60
accesslog = "-"
_SHARED_STORE = bool(os.environ.get("REDIS_URL", "").strip())
max_requests = _whole_number("MAX_REQUESTS", 1000) if _SHARED_STORE else 0
max_requests_jitter = _whole_number("MAX_REQUESTS_JITTER", max_requests // 10)

_LARGE_REQUEST = 2**20  # bytes of body after which memory is handed back
_libc_name = ctypes.util.find_library("c")
_LIBC = ctypes.CDLL(_libc_name) if _libc_name else None
# glibc only: musl and macOS have no malloc_trim (and no need of it).
_malloc_trim = getattr(_LIBC, "malloc_trim", None)


def on_starting(server: Any) -> None:
    """Refuse several workers on the per-process fakeredis store."""
    if server.cfg.workers > 1 and not _SHARED_STORE:
        raise SystemExit(
            f"refusing to start {server.cfg.workers} workers without REDIS_URL: the "
            "fallback store (fakeredis) is per process, so workers would not share "
            "data. Set REDIS_URL, or run one worker (-w 1) for a demo."
        )


def post_request(worker: Any, req: Any, environ: dict[str, Any], resp: Any) -> None:
    """After a large request, hand the memory it freed back to the system."""
    length = str(environ.get("CONTENT_LENGTH") or "")
    if length.isdigit() and int(length) > _LARGE_REQUEST:
        release_memory()


def release_memory() -> None:
    """Return freed memory to the system: Arrow's pool, then the C heap."""
    import pyarrow  # already imported by the app: this costs nothing

    pyarrow.default_memory_pool().release_unused()
    if _malloc_trim is not None:
        _malloc_trim(0)
