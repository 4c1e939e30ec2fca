"""Gunicorn settings, read by `gunicorn <package>.app:server` run from this folder.

Workers: WEB_CONCURRENCY processes (default one per core, at most 8), each serving
WEB_THREADS requests at once (gunicorn's gthread worker; default 4; 1: the sync
worker, one request per process). Several workers need REDIS_URL: the fakeredis
fallback lives inside one process, so workers would not see each other's data; this
file refuses to start them rather than serve missing data. The threads of one worker
do share its fakeredis (fakeredis runs each command under one lock, and the store's
cache and tables lock what their callers share), so one threaded worker is allowed.

Chosen from a load test on a shared 2-core host (load average 4-12 from other work:
figures vary up to 2x between runs) with real Redis and MAX_REQUESTS=0, 30 s a run,
each config twice, interleaved (first, second run), no error in any run:

    gunicorn ... -w W --worker-class C --threads T   # one per config and run, then
    uv run python benchmarks/load_table.py --url URL --seconds 30                # A
    uv run python benchmarks/load_table.py --url URL --seconds 30 --slow 1 --uploads 2

A: 16 sessions paging (half), filtering and sorting Gapminder with no pause. B: the
same, plus 2 users uploading a 2.8 MB CSV (~0.4 s of a worker each) and 1 filtering
a 500,000-row table. Table latencies in ms; B's upload p50 in s.

    workers x threads  A req/s   A p50     A p99     B req/s  B p50     B p99      upload
    2 x 1 (sync)       94, 126   156, 118  375, 340  21, 58   872, 346  1483, 613  1.2, 0.4
    3 x 1 (sync)       58, 140   266, 112  398, 178  29, 45   501, 314  1672, 1582 1.3, 1.0
    5 x 1 (sync)       76, 101   197, 131  300, 618  39, 67   389, 228  1045, 1118 2.4, 1.4
    2 x 4 (gthread)    153, 152  95, 84    242, 403  107, 129 115, 88   629, 534   1.1, 1.0
    3 x 4 (gthread)    191, 129  72, 95    220, 439  108, 103 119, 126  545, 577   2.1, 1.9
    2 x 8 (gthread)    164, 156  88, 86    231, 324  132, 96  107, 138  359, 518   1.5, 1.7

Threads win where it matters: with uploads and big filters in the mix (B), those
keep sync workers busy while the table's quick requests queue for a free one (p50
0.2-0.9 s); threaded workers answer them in ~0.1 s and serve 1.5-6x the requests,
and as many or more without slow requests (A). The thread counts measure alike; 2 x 4
had the quickest uploads (each worker runs fewer at once) and takes the least
memory, hence one worker per core, 4 threads. The second sync runs met a quieter host
(load 4-6 against 8-12), which flatters them.

Timeout (60 s) means something else per class. A sync worker is killed when one
request takes longer (the client gets an error; the worker is replaced). A gthread
worker's main loop reports to gunicorn between requests, whatever its threads do, so
a slow request is never cut short: `timeout` only catches a worker that is stuck as a
whole. A request that never ends holds one thread, not the worker.

Memory: reading an upload takes several times the file's size at its peak (a 40 MB
CSV: 300 MB more), and the allocators (Python's, glibc's, Arrow's) keep what is freed
for later, so a worker's RSS would stay near the peak of the largest requests it
served, and creep up (measured: 166 MB idle, 613 MB after six 20-50 MB uploads). Two
bounds:

- After each request whose body is over 1 MiB (an upload), the worker hands the
  memory it freed back to the system (glibc's `malloc_trim`, Arrow's
  `release_unused`; 2 to 50 ms): 280 MB after the same six uploads, most of it the
  frames `redis_store` caches (STORE_CACHE_MB). With threads this runs in the thread
  that served the upload while the others serve on: both calls are thread-safe
  (glibc locks each arena while trimming it, so another thread allocating from it
  waits those milliseconds; only free pages are returned), and they return what is
  free at that moment, so an upload still in flight on another thread keeps its
  memory until its own request ends. Threads also add up: a worker's peak is up to
  WEB_THREADS uploads read at once (4 x 300 MB for 40 MB CSVs), so budget memory per
  worker as threads x the largest upload's peak.
- Each worker is replaced after MAX_REQUESTS requests (default 1,000; 0: never), plus
  a random 0 to MAX_REQUESTS_JITTER more (default half of MAX_REQUESTS), so that
  workers do not restart together: a bound on whatever creeps up still. Workers start
  together and share the load evenly, so they reach MAX_REQUESTS together: with a
  tenth as jitter both restarted in the same second of a soak test (MAX_REQUESTS=150,
  2 workers), leaving none to serve while they imported the app again. Only with
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
workers = _whole_number("WEB_CONCURRENCY", min(os.cpu_count() or 1, 8), 1)
threads = _whole_number("WEB_THREADS", 4, 1)
# gunicorn's gthread worker with one thread would still pay for its event loop.
worker_class = "gthread" if threads > 1 else "sync"
timeout = 60
accesslog = "-"
_SHARED_STORE = bool(os.environ.get("REDIS_URL", "").strip())
max_requests = _whole_number("MAX_REQUESTS", 1000) if _SHARED_STORE else 0
max_requests_jitter = _whole_number("MAX_REQUESTS_JITTER", max_requests // 2)

_LARGE_REQUEST = 2**20  # bytes of body after which memory is handed back
_libc_name = ctypes.util.find_library("c")
_LIBC = ctypes.CDLL(_libc_name) if _libc_name else None
# glibc only: musl and macOS have no malloc_trim (and no need of it).
_malloc_trim = getattr(_LIBC, "malloc_trim", None)


def on_starting(server: Any) -> None:
    """Refuse several workers on the per-process fakeredis store (threads of one
    worker share it: allowed)."""
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
