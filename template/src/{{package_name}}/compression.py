"""Compressed responses: Brotli (or gzip) for every client that accepts it.

Nothing in Dash compresses by default: a first visit to a page with a grid and a graph
moved 8.8 MB, most of it Dash's, AG Grid's and plotly.js's bundles. Here:

- Dash's bundles (`_dash-component-suites/`) go out as Brotli at its best level
  (quality 11: 1.9 MB for those 8.7 MB, against 2.2-2.4 MB at the levels fast enough
  for a request). Quality 11 takes 16 s of CPU for plotly.js alone, so it runs once per
  machine in a background thread at idle priority (on a server busy all the time, it
  waits) and lands in a disk cache that every worker and every restart reads; until it
  lands, a worker answers with quality 5 (plotly.js: 0.15 s, once per worker, kept in
  memory).
- Everything else that compresses (the page, layout, callback JSON, CSS) is compressed
  per response at a fast level (Brotli 4, gzip 6): a callback's 77 KB figure in 2 ms.

Why here and not `Dash(compress=True)` (flask-compress): it compresses every response
on each request at one level (Brotli 4: 2.4 MB for the bundles, with the CPU spent on
each of them again and again) and keeps no cache across workers. A reverse proxy
(nginx's gzip_static) would add a container and only gzip without a module nginx's
image lacks. Fingerprinted bundles keep Dash's year-long `Cache-Control`; the others
keep their validator, made weak (`W/"..."`) as the bytes now depend on the encoding,
so a revisit still gets a 304.

Turn it off with `COMPRESS=off` where a proxy in front compresses already. BREACH (a
secret and attacker-chosen text in one compressed HTTPS response) does not apply to
the app's own responses: they hold no secret a visitor could not read anyway.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import queue
import threading
import time
from pathlib import Path
from typing import Final

import brotli
from dash import Dash
from flask import Request, Response, request

from .store.background import idle_priority

MIN_SIZE: Final = 1024  # bytes; smaller bodies gain less than the header costs
BUNDLE_QUALITY: Final = 11  # Brotli's best: computed once, in the background
FAST_QUALITY: Final = 5  # a bundle's Brotli until the best one is cached
DYNAMIC_QUALITY: Final = 4  # per response: ~100 MB/s
GZIP_LEVEL: Final = 6
COMPRESSIBLE: Final = frozenset(
    {
        "application/javascript",
        "application/json",
        "image/svg+xml",
        "image/x-icon",
        "text/css",
        "text/csv",
        "text/html",
        "text/javascript",
        "text/plain",
    }
)
BUNDLES: Final = "/_dash-component-suites/"
MAX_FILE: Final = 4 * 2**20  # an asset file larger than this goes out as it is
# Brotli 11 of the largest bundle takes 16 s; a lock older than this was abandoned.
STALE_LOCK_SECONDS: Final = 600


def compress_responses(app: Dash, cache_dir: Path | None = None) -> None:
    """Compress `app`'s responses for clients that accept Brotli or gzip.

    Args:
        app: the Dash app; its Flask server gets an `after_request` hook.
        cache_dir: where the best-compressed bundles are kept for every worker
            (default: `$XDG_CACHE_HOME/<package>/compressed`, else `~/.cache/...`).
    """
    bundles = BundleCache(cache_dir or default_cache_dir(app.config.name))
    prefix = f"{app.config.routes_pathname_prefix.rstrip('/')}{BUNDLES}"

    def compress(response: Response) -> Response:
        encoding = accepted_encoding(request, response)
        if encoding is None:
            return response
        source = response.response
        response.direct_passthrough = False  # an asset file: read it whole
        body = response.get_data()
        if source is not response.response and hasattr(source, "close"):
            source.close()  # the file, now read: not left open until the response ends
        if len(body) < MIN_SIZE:  # a body of unknown length, small after all
            return response
        if request.path.startswith(prefix):
            # The path names the bundle's version; the ETag (when there is one) its bytes.
            key = f"{request.path} {response.get_etag()[0]} {len(body)}"
            compressed = bundles.get(key, body, encoding)
        else:
            compressed = compress_bytes(body, encoding, DYNAMIC_QUALITY)
        response.set_data(compressed)
        response.headers["Content-Encoding"] = encoding
        etag = response.get_etag()[0]
        if etag:
            response.set_etag(etag, weak=True)
            # Dash compared the strong tag; a revisit sends the weak one: a 304 here.
            response.make_conditional(request)
        return response

    app.server.after_request(compress)


def accepted_encoding(req: Request, response: Response) -> str | None:
    """'br' or 'gzip' if `response` should be compressed for `req`, else None."""
    response.vary.add("Accept-Encoding")
    size = response.content_length
    if (
        req.method == "HEAD"
        or response.status_code != 200
        or "Content-Encoding" in response.headers
        or "no-transform" in response.headers.get("Cache-Control", "")
        or response.mimetype not in COMPRESSIBLE
        or (size is not None and size < MIN_SIZE)
        # A stream (a download generated row by row) stays one; a file is read whole
        # if it is an asset's size.
        or (response.is_streamed and not response.direct_passthrough)
        or (response.direct_passthrough and (size is None or size > MAX_FILE))
    ):
        return None
    encoding = req.accept_encodings.best_match(["br", "gzip"])
    return encoding if encoding in ("br", "gzip") else None


def compress_bytes(body: bytes, encoding: str, quality: int) -> bytes:
    """`body` compressed as `encoding`: 'br' at `quality`, or 'gzip'."""
    if encoding == "br":
        return brotli.compress(body, quality=quality)
    return gzip.compress(body, GZIP_LEVEL, mtime=0)


def default_cache_dir(name: str) -> Path:
    """The user's cache folder for this app's compressed bundles."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / name / "compressed"


class BundleCache:
    """Each bundle compressed once per worker, and once per machine at the best level.

    In memory, by path and ETag (a few dozen bundles: no bound needed). On disk, by the
    SHA-256 of the bundle's bytes, so an upgrade of Dash or a component library never
    serves an old file; a file read from disk must decompress to those bytes (5 ms per
    MB, once per worker): a truncated or foreign file is ignored, never served.
    """

    def __init__(self, folder: Path, background: bool = True) -> None:
        """`background=False` compresses at the best level at once (for tests)."""
        self.folder = folder
        self._background = background
        # (key, encoding) -> (compressed, SHA-256 of the bundle if the best is to come)
        self._memory: dict[tuple[str, str], tuple[bytes, str | None]] = {}
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._work: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def get(self, key: str, body: bytes, encoding: str) -> bytes:
        """`body` compressed as `encoding`, the best the cache has so far."""
        found = self._memory.get((key, encoding))
        if found is not None and found[1] is None:
            return found[0]
        digest = found[1] if found else hashlib.sha256(body).hexdigest()
        best = self._read(digest, body) if encoding == "br" else None
        if best is not None:
            self._memory[key, encoding] = (best, None)
            return best
        if found is not None:
            return found[0]
        quick = compress_bytes(body, encoding, FAST_QUALITY)
        if encoding == "br":
            self._compress_best_later(digest, body)
        # gzip's fast output is as good as it gets; Brotli's waits for the best.
        self._memory[key, encoding] = (quick, digest if encoding == "br" else None)
        return quick

    def _path(self, digest: str) -> Path:
        return self.folder / f"{digest}.br"

    def _read(self, digest: str, body: bytes) -> bytes | None:
        """The best compression of `body` from the disk cache, if it is there and
        decompresses to `body`."""
        try:
            data = self._path(digest).read_bytes()
            if brotli.decompress(data) == body:
                return data
        except (OSError, brotli.error):
            pass
        return None

    def _compress_best_later(self, digest: str, body: bytes) -> None:
        """Queue the best compression of `body` for the background thread (once)."""
        with self._lock:
            if digest in self._pending:
                return
            self._pending.add(digest)
            if not self._background:
                self._compress_best(digest, body)
                return
            if self._thread is None:
                # A daemon: a process that exits (a test run, a worker replaced) does
                # not wait for it; a file it leaves half-written is never served.
                self._thread = threading.Thread(
                    target=self._compress_queued, name="compress-bundles", daemon=True
                )
                self._thread.start()
        self._work.put((digest, body))

    def _compress_queued(self) -> None:
        idle_priority()
        while True:
            self._compress_best(*self._work.get())

    def _compress_best(self, digest: str, body: bytes) -> None:
        """Write the best compression of `body` to the disk cache, atomically, unless
        another worker is writing it (its lock file is there, and fresh)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = self._path(digest).with_suffix(".lock")
            if _stale(lock):  # left by a worker killed while it compressed
                lock.unlink(missing_ok=True)
            try:
                os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                return
            try:
                partial = lock.with_suffix(f".{os.getpid()}.part")
                partial.write_bytes(brotli.compress(body, quality=BUNDLE_QUALITY))
                partial.replace(self._path(digest))
            finally:
                lock.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only or full disk: the quick compression serves on


def _stale(lock: Path) -> bool:
    try:
        return time.time() - lock.stat().st_mtime > STALE_LOCK_SECONDS
    except OSError:
        return False
