"""redis_store: values in Redis under the hash of their bytes, with a bounded cache.

Template-owned. `redis_store.save(value) -> key` and `redis_store.load(key)` keep the
shape of the Dash docs' recipe, so its examples work unchanged:

- DataFrames are stored as Parquet (zstd; one row group; each column in the
  encoding that is smallest and fastest to decode for its type, see
  `_parquet_encodings`) and round-trip exactly: dtypes, index, column
  order, missing values, time zones, categoricals, strings. Measured on 1M rows
  against Arrow IPC + zstd (benchmarks/bench_store.py): it saves as fast, stores
  ~13% fewer bytes, so Redis holds more, and loads at least as fast.
- Anything else is JSON (plotly's encoder, so numpy and pandas scalars work); nothing
  is ever pickled, so a value read back can never run code.
- The key is the SHA-256 of the stored bytes: equal values are stored once, a key can
  never point at other data, and every cold load verifies the bytes it got. SHA-256 is
  hardware-accelerated on current x86 and ARM CPUs (faster than BLAKE2 here).
- Each value is one Redis string (a type tag + payload) written with its TTL in one
  SET, so nothing is ever half-written. Loading refreshes the TTL (`STORE_TTL_SECONDS`,
  default 24 h): live sessions keep their data, abandoned data expires.
- Decoded values are cached per process, bounded by bytes (`STORE_CACHE_MB`). A cache
  hit makes no Redis round trip; it refreshes the TTL at most every `ttl / 10`.

The backend is chosen on first use: `REDIS_URL` (redis://, rediss://, unix://) or, when
unset, an in-process fakeredis that warns once (it is not shared between processes).
Call `redis_store.use(client)` to point the store at a given client (tests).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import plotly.utils
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset  # read_table imports it lazily: pay that at startup instead
import pyarrow.parquet as pq
import redis

from .settings import Settings

_PARQUET = b"P1"  # type tags: the first two bytes of every stored value
_JSON = b"J1"
_KEY = re.compile(r"[0-9a-f]{64}")
_VERIFIER = ThreadPoolExecutor(1, thread_name_prefix="redis_store-verify")
T = TypeVar("T")


class StoreError(Exception):
    """Base class of the store's errors; the message says what happened."""


class StoreKeyError(StoreError, KeyError):
    """The key is unknown: its data expired or never existed (reload the page)."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0])


class StoreCorruptError(StoreError):
    """The bytes stored under a key cannot be read back."""


class StoreValueError(StoreError, ValueError):
    """The value cannot be stored: unsupported type or larger than the limit."""


class StoreUnavailableError(StoreError, ConnectionError):
    """Redis cannot be reached."""


class FakeRedisWarning(UserWarning):
    """The store runs on in-process fakeredis: fine for development only."""


def redact(url: str) -> str:
    """`url` with any password replaced by `***`, safe for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass
class _Entry:
    value: Any
    nbytes: int
    refreshed: float  # monotonic time of the last TTL refresh in Redis


class _ByteBoundedCache:
    """Thread-safe LRU of decoded values whose total size stays under `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, value: Any, nbytes: int) -> _Entry:
        entry = _Entry(value, nbytes, time.monotonic())
        if nbytes > self.max_bytes:
            return entry  # would evict everything else and still not fit
        with self._lock:
            if key in self._entries:
                self.nbytes -= self._entries.pop(key).nbytes
            self._entries[key] = entry
            self.nbytes += nbytes
            while self.nbytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.nbytes -= evicted.nbytes
        return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.nbytes = 0

    def __len__(self) -> int:
        return len(self._entries)


class RedisStore:
    """Content-addressed storage of DataFrames and JSON values in Redis.

    Settings come from the environment on first use (see `settings.py`); tests and apps
    can call `use()` or `configure()` first.
    """

    def __init__(self) -> None:
        self._client: redis.Redis | None = None
        self._settings: Settings | None = None
        self._url = ""
        self._cache = _ByteBoundedCache(0)
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    # -- configuration ---------------------------------------------------------------

    def configure(self, settings: Settings | None = None) -> None:
        """Forget the backend and cache; the next call reads `settings` (or the env)."""
        with self._lock:
            self._settings = settings
            self._client = None
            self._cache = _ByteBoundedCache(0)

    def use(self, client: redis.Redis, settings: Settings | None = None) -> None:
        """Point the store at `client` (e.g. a fakeredis or test Redis) from now on."""
        settings = settings or self._settings or Settings.from_env()
        with self._lock:
            self._settings = settings
            self._client = client
            self._url = "the client given to redis_store.use()"
            self._cache = _ByteBoundedCache(settings.store_cache_mb * 2**20)

    @property
    def settings(self) -> Settings:
        self._connect()
        assert self._settings is not None
        return self._settings

    @property
    def cache(self) -> _ByteBoundedCache:
        """The in-process cache of decoded values (for inspection and tests)."""
        self._connect()
        return self._cache

    @property
    def backend(self) -> str:
        """`"redis"` or `"fakeredis"`: what the store talks to."""
        client = self._connect()
        return (
            "fakeredis" if type(client).__module__.startswith("fakeredis") else "redis"
        )

    def _connect(self) -> redis.Redis:
        client = self._client
        if client is not None:
            return client
        with self._lock:
            if self._client is None:
                settings = self._settings or Settings.from_env()
                self._settings = settings
                self._cache = _ByteBoundedCache(settings.store_cache_mb * 2**20)
                self._client, self._url = _client_for(settings)
            return self._client

    # -- public API ------------------------------------------------------------------

    def ping(self) -> bool:
        """Whether the backend answers right now."""
        try:
            return bool(self._connect().ping())
        except redis.RedisError:
            return False

    def save(self, value: Any) -> str:
        """Store `value` (a DataFrame or anything JSON-serialisable); return its key."""
        client = self._connect()
        settings = self.settings
        data, cached, nbytes = _encode(value)
        limit = settings.store_max_value_mb * 2**20
        if len(data) > limit:
            raise StoreValueError(
                f"the value is {len(data) / 2**20:.1f} MiB serialised, over the "
                f"{settings.store_max_value_mb} MiB limit (STORE_MAX_VALUE_MB); "
                "store less data"
            )
        key = hashlib.sha256(data).hexdigest()
        name = self._name(key)
        with _redis_errors(self._url):
            # Same bytes, same key: if it is there, refreshing its TTL is enough.
            if not client.expire(name, settings.store_ttl_seconds):
                client.set(name, data, ex=settings.store_ttl_seconds)
        self._cache.put(key, cached, nbytes)
        return key

    def load(self, key: Any) -> Any:
        """The value saved under `key`; `StoreKeyError` if it expired or never existed.

        `key` may come from the browser (a `dcc.Store` can be edited), so anything but
        a key this store issues is refused with `StoreKeyError`, never looked up.
        Every call returns a value the caller may modify freely: DataFrames are
        copy-on-write copies of the cached one, JSON values are decoded anew.
        """
        return _materialize(self._entry(key).value)

    def derived(
        self, key: Any, name: str, build: Callable[[Any], T], *, arrow: bool = False
    ) -> T:
        """`build(load(key))`, computed once per process and cached beside the value.

        For read-only views of a stored value that are costly to make (e.g. the Arrow
        columns a table filters on). What `build` returns must not be modified; its
        `nbytes` counts against the cache bound. Expired keys raise `StoreKeyError`.

        With `arrow=True` (DataFrames only), `build` gets the stored frame as the
        `pyarrow.Table` Parquet decodes (read-only) instead: no pandas conversion, which
        is what a fresh worker's first table callback would otherwise wait for.
        """
        self._check(key)
        cache_key = f"{key}/{name}"

        def make() -> _Entry:
            cached = self._entry(key).value
            if arrow and not isinstance(cached, _StoredFrame):
                raise StoreValueError(
                    f"the value under key {key[:12]}… is no DataFrame"
                )
            value = build(cached.table() if arrow else _materialize(cached))
            return self._cache.put(cache_key, value, int(getattr(value, "nbytes", 0)))

        return self._cached(cache_key, make, key).value

    # -- internals -------------------------------------------------------------------

    def _check(self, key: Any) -> None:
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise StoreKeyError(f"{key!r} is not a store key; reload the page")

    def _entry(self, key: Any) -> _Entry:
        """The cache entry of the value under `key`, fetched from Redis if needed."""
        self._check(key)
        return self._cached(key, lambda: self._fetch(key), key)

    def _cached(self, cache_key: str, make: Callable[[], _Entry], key: str) -> _Entry:
        """The cache entry under `cache_key` (of `key`'s value), `make()`-d if absent;
        a hit keeps `key` alive in Redis."""
        self._connect()
        entry = self._cache.get(cache_key)
        if entry is None:
            with self._lock:
                loading = self._loading.setdefault(cache_key, threading.Lock())
            try:
                with loading:  # made once, however many threads ask at once
                    entry = self._cache.get(cache_key) or make()
            finally:
                with self._lock:
                    self._loading.pop(cache_key, None)
        elif time.monotonic() - entry.refreshed > self.settings.store_ttl_seconds / 10:
            # Keep live data alive in Redis without a round trip on every hit.
            entry.refreshed = time.monotonic()
            with _redis_errors(self._url):
                self._connect().expire(self._name(key), self.settings.store_ttl_seconds)
        return entry

    def _name(self, key: str) -> str:
        return f"{self.settings.store_prefix}:v1:{key}"

    def _fetch(self, key: str) -> _Entry:
        """Read, verify and decode `key` from Redis, and cache it."""
        ttl = self.settings.store_ttl_seconds
        with _redis_errors(self._url):
            data = self._connect().getex(self._name(key), ex=ttl)
        if data is None:
            raise StoreKeyError(
                f"no data under key {key[:12]}…: it expired ({ttl} s unused) or was "
                "never saved here; reload the page to recreate it"
            )
        # Verify while decoding: both release the GIL, so a cold load pays for the
        # longer of the two, not their sum. Nothing decoded is used unverified.
        digest = _VERIFIER.submit(lambda: hashlib.sha256(data).hexdigest())
        try:
            decoded = _decode(key, data)
        except StoreCorruptError:
            decoded = None  # a mismatch, if any, is the better explanation
        if digest.result() != key:
            raise StoreCorruptError(f"the bytes under key {key[:12]}… do not match it")
        if decoded is None:
            return self._cache.put(key, *_decode(key, data))  # raises its own error
        return self._cache.put(key, *decoded)


@contextmanager
def _redis_errors(url: str) -> Iterator[None]:
    """Turn Redis failures into store errors that say what to do."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise StoreUnavailableError(
            f"Redis at {redact(url)} is unreachable ({error}); check REDIS_URL and "
            "that Redis is running"
        ) from error
    except redis.RedisError as error:
        raise StoreError(
            f"Redis at {redact(url)} refused the command: {error}"
        ) from error


def _client_for(settings: Settings) -> tuple[redis.Redis, str]:
    if settings.redis_url:
        client = redis.Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=2,
            socket_timeout=10,
            health_check_interval=30,
        )
        return client, settings.redis_url
    import fakeredis

    warnings.warn(
        "REDIS_URL is not set: redis_store uses in-process fakeredis. Data is not "
        "shared between processes or workers and is lost on restart; set REDIS_URL "
        "in production.",
        FakeRedisWarning,
        stacklevel=4,
    )
    return fakeredis.FakeRedis(), "fakeredis (in-process)"


def _encode(value: Any) -> tuple[bytes, Any, int]:
    """Bytes to store for `value`, what to cache for it, and the cached size."""
    if isinstance(value, pd.DataFrame):
        table = _arrow(value)
        sink = pa.BufferOutputStream()
        dictionary, encodings = _parquet_encodings(table)
        pq.write_table(
            table,
            sink,
            compression="zstd",
            compression_level=3,
            use_dictionary=dictionary,
            column_encoding=encodings,
            row_group_size=max(table.num_rows, 1),
            write_statistics=False,  # nothing reads them; they cost save time
        )
        # Copy-on-write: later changes to the caller's frame never reach the cache.
        return (
            _PARQUET + sink.getvalue().to_pybytes(),
            _StoredFrame(frame=value.copy(deep=False)),
            table.nbytes,
        )
    try:
        payload = json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder).encode()
    except (TypeError, ValueError) as error:
        raise StoreValueError(
            f"a {type(value).__name__} cannot be stored: {error}. Store a DataFrame or "
            "a JSON-serialisable value"
        ) from error
    return _JSON + payload, payload, len(payload)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """`frame` as the Arrow table Parquet stores."""
    try:
        # A frame without columns keeps its length only if its index is a column.
        keep_index = True if len(frame.columns) == 0 else None
        return pa.Table.from_pandas(frame, preserve_index=keep_index)
    except (pa.ArrowException, TypeError, ValueError) as error:
        raise StoreValueError(f"this DataFrame cannot be stored: {error}") from error


def _parquet_encodings(table: pa.Table) -> tuple[list[str], dict[str, str]]:
    """Per column: dictionary-encoded, or the encoding to use instead.

    Measured on 1M rows (benchmarks/bench_store.py, bench_datatable.py): floats
    byte-stream-split (zstd then compresses them well); integers and timestamps
    delta-encoded (as small as a dictionary for repeated values, ~100x smaller for
    sorted ones, and 8x faster to decode); text dictionary-encoded only when it
    repeats (unique text would overflow the dictionary, which decodes 2x slower).
    """
    dictionary: list[str] = []
    encodings: dict[str, str] = {}
    for field, column in zip(table.schema, table.columns, strict=True):
        kind = field.type
        if pa.types.is_floating(kind):
            encodings[field.name] = "BYTE_STREAM_SPLIT"
        elif pa.types.is_integer(kind) or pa.types.is_timestamp(kind):
            encodings[field.name] = "DELTA_BINARY_PACKED"
        elif (
            pa.types.is_string(kind) or pa.types.is_large_string(kind)
        ) and not _repeats(column):
            encodings[field.name] = "PLAIN"
        else:
            dictionary.append(field.name)
    return dictionary, encodings


def _repeats(column: pa.ChunkedArray, sample: int = 10_000) -> bool:
    """Whether a text column holds few distinct values (judged on its first rows)."""
    head = column.slice(0, sample)
    return pc.count_distinct(head).as_py() <= len(head) // 2


def _decode(key: str, data: bytes) -> tuple[Any, int]:
    """What to cache for stored `data`: a DataFrame, or JSON bytes; and its size."""
    tag = data[:2]
    if tag == _JSON:
        return data[2:], len(data) - 2
    if tag != _PARQUET:
        raise StoreCorruptError(f"the value under key {key[:12]}… has an unknown type")
    try:
        table = pq.read_table(pa.BufferReader(pa.py_buffer(data).slice(2)))  # no copy
        return _StoredFrame(table=table), table.nbytes
    except (pa.ArrowException, ValueError) as error:
        raise StoreCorruptError(
            f"the value under key {key[:12]}… is unreadable: {error}"
        ) from error


class _StoredFrame:
    """A cached DataFrame: as pandas, as Arrow, or both; each made on first use.

    Saving caches the caller's frame; loading from Redis caches the decoded Arrow
    table, so table views start without a pandas conversion. The two share most
    buffers (text, and numbers without missing values).
    """

    def __init__(
        self, frame: pd.DataFrame | None = None, table: pa.Table | None = None
    ) -> None:
        self._frame, self._table = frame, table
        self._lock = threading.Lock()

    def frame(self) -> pd.DataFrame:
        with self._lock:
            if self._frame is None:
                assert self._table is not None
                self._frame = self._table.to_pandas(split_blocks=True)
            return self._frame

    def table(self) -> pa.Table:
        with self._lock:
            if self._table is None:
                assert self._frame is not None
                self._table = _arrow(self._frame)
            return self._table


def _materialize(cached: Any) -> Any:
    """A fresh value for the caller from what the cache holds."""
    if isinstance(cached, bytes):
        return json.loads(cached)
    return cached.frame().copy(deep=False)


redis_store = RedisStore()
