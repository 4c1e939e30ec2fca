"""redis_store: values in Redis under the hash of their bytes, with a bounded cache.

Template-owned. `redis_store.save(value) -> key` and `redis_store.load(key)` keep the
shape of the Dash docs' recipe, so its examples work unchanged:

- DataFrames are stored as Parquet (zstd; row groups of 16,384 rows; each column in
  the encoding that is smallest and fastest to decode for its type, see
  `_parquet_encodings`) and round-trip exactly: dtypes, index, column
  order, missing values, time zones, categoricals, strings. Measured on 1M rows
  against Arrow IPC + zstd (benchmarks/bench_store.py): it saves as fast, stores
  ~13% fewer bytes, so Redis holds more, and loads at least as fast. The schema
  metadata also records each timestamp column's grain (`timestamp_grain`): a table
  shows a page of dates without decoding the whole column.
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
import os
import re
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import numpy as np
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
# Rows per Parquet row group: a table's first page in a fresh worker decodes the
# groups that hold its rows, not whole columns (see `StoredTable.take`).
_ROW_GROUP = 16_384
# Schema metadata: the grain of each timestamp column (see `timestamp_grain`).
_GRAINS = b"redis_store.grains"
_VERIFIER = ThreadPoolExecutor(1, thread_name_prefix="redis_store-verify")


def _idle_priority() -> None:
    """Run the calling thread only when a CPU is otherwise idle (Linux): background
    decoding must not slow down the requests it works ahead for."""
    if hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


_DECODER = ThreadPoolExecutor(
    1, thread_name_prefix="redis_store-decode", initializer=_idle_priority
)
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

        With `arrow=True` (DataFrames only), `build` gets the stored frame as a
        `StoredTable` (read-only Arrow columns, decoded on first use) instead: no
        pandas conversion and no column decoded before it is needed, which is what a
        fresh worker's first table callback would otherwise wait for.
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
        table = _with_grains(_arrow(value))
        sink = pa.BufferOutputStream()
        dictionary, encodings = _parquet_encodings(table)
        pq.write_table(
            table,
            sink,
            compression="zstd",
            compression_level=3,
            use_dictionary=dictionary,
            column_encoding=encodings,
            row_group_size=_ROW_GROUP,
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


def timestamp_grain(ticks: np.ndarray, unit: str) -> str:
    """The coarsest unit that integer timestamp `ticks` of `unit` are whole multiples
    of: "day", "second" or "fraction" (of a second); what their ISO form shows."""
    second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    if not (ticks % (86_400 * second)).any():
        return "day"
    return "fraction" if (ticks % second).any() else "second"


def _column_grain(column: pa.ChunkedArray, unit: str) -> str:
    """`timestamp_grain` of a timestamp column's values, nulls aside."""
    return timestamp_grain(pc.drop_null(column.cast(pa.int64())).to_numpy(), unit)


def _with_grains(table: pa.Table) -> pa.Table:
    """`table` with the grain of each timestamp column in its schema metadata: a
    fresh worker then knows how to show a column's dates without decoding it."""
    grains = {
        field.name: _column_grain(column, field.type.unit)
        for field, column in zip(table.schema, table.columns, strict=True)
        if pa.types.is_timestamp(field.type)
    }
    if not grains:
        return table
    metadata = {**(table.schema.metadata or {}), _GRAINS: json.dumps(grains).encode()}
    return table.replace_schema_metadata(metadata)


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
        elif _is_text(kind) and not _repeats(column):
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
        table = StoredTable.parquet(pa.py_buffer(data).slice(2))  # no copy
        return _StoredFrame(table=table), table.nbytes
    except (pa.ArrowException, OSError, ValueError) as error:
        raise StoreCorruptError(
            f"the value under key {key[:12]}… is unreadable: {error}"
        ) from error


class StoredTable:
    """The Arrow columns of a stored DataFrame, decoded column by column.

    What `redis_store.derived(..., arrow=True)` hands its builder. Loaded from Redis,
    nothing is decoded up front: a fresh worker's first table callback decodes the
    columns it filters and sorts on (each column once, whoever asks first) and reads
    only the row groups of the page it shows from the rest (`take`). Once that page
    is out, `decode_rest()` decodes the other columns in a background thread at idle
    priority, for the next page (measured on 2 vCPUs: decoding every column in the
    background from the start made the first callback slower, median 280 ms against
    226 ms without). Repeated text comes as the dictionary Parquet stored (no million
    strings to build; filter and sort on its codes); `to_pandas()` gives it back as
    text.
    """

    def __init__(
        self,
        schema: pa.Schema,
        num_rows: int,
        nbytes: int,
        columns: dict[str, pa.ChunkedArray],
        parquet: _Parquet | None = None,
    ) -> None:
        self.schema, self.num_rows, self.nbytes = schema, num_rows, nbytes
        self._columns = columns
        self._parquet = parquet
        grains = (schema.metadata or {}).get(_GRAINS)
        self._grains: dict[str, str] = json.loads(grains) if grains else {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._decoding = False

    @classmethod
    def of(cls, table: pa.Table) -> StoredTable:
        """All columns of `table`, decoded already (a frame saved in this process)."""
        columns = dict(zip(table.column_names, table.columns, strict=True))
        return cls(table.schema, table.num_rows, table.nbytes, columns)

    @classmethod
    def parquet(cls, payload: pa.Buffer) -> StoredTable:
        """The table in Parquet `payload`: its footer read, no column decoded yet."""
        metadata = pq.read_metadata(pa.BufferReader(payload))
        schema = metadata.schema.to_arrow_schema()
        parquet = _Parquet(payload, metadata, _dictionary_text(metadata, schema))
        groups = [metadata.row_group(i) for i in range(metadata.num_row_groups)]
        nbytes = sum(group.total_byte_size for group in groups)  # uncompressed
        return cls(schema, metadata.num_rows, nbytes, {}, parquet)

    @property
    def column_names(self) -> list[str]:
        return self.schema.names

    @property
    def decoded(self) -> list[str]:
        """The columns decoded whole so far (for inspection and tests)."""
        return [name for name in self.schema.names if name in self._columns]

    def grain(self, name: str) -> str:
        """The grain of timestamp column `name` (see `timestamp_grain`): recorded when
        the frame was saved, so nothing is decoded; else learnt from its values."""
        grain = self._grains.get(name)
        if grain is None:
            unit = self.schema.field(name).type.unit
            grain = self._grains[name] = _column_grain(self.column(name), unit)
        return grain

    def column(self, name: str) -> pa.ChunkedArray:
        """Column `name`, decoded whole (once between requests asking at once)."""
        column = self._columns.get(name)
        if column is not None:
            return column
        with self._lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            column = self._columns.get(name)
            if column is None:
                column = self._columns.setdefault(name, self._read(name))
            return column

    def decode_rest(self) -> None:
        """Decode the columns not decoded yet in a background thread, at idle
        priority (once; call it when a first page is out)."""
        with self._lock:
            if self._decoding or self._parquet is None:
                return
            self._decoding = True
        _DECODER.submit(self._decode_rest)

    def _decode_rest(self) -> None:
        # Takes no lock a request could wait on at this thread's idle priority: a
        # request that needs a column first decodes it itself; the first copy wins.
        for name in self.schema.names:
            if name not in self._columns:
                try:
                    self._columns.setdefault(name, self._read(name))
                except StoreCorruptError:  # the request that needs it says so
                    return

    def _read(self, name: str) -> pa.ChunkedArray:
        assert self._parquet is not None
        with _readable(f"column {name!r} of the stored frame"):
            # One thread per column read: parallel reads would queue in Arrow's
            # shared pool behind the background decoder's.
            reader = self._parquet.reader()
            return reader.read(columns=[name], use_threads=False).column(0)

    def take(self, names: list[str], rows: pa.Array) -> dict[str, pa.ChunkedArray]:
        """Columns `names` at positions `rows`. Of columns not decoded yet, only the
        row groups that hold `rows` are read (a page's worth, not whole columns)."""
        if len(rows) == 0:  # nothing to decode
            return {
                name: pa.chunked_array([], self.schema.field(name).type)
                for name in names
            }
        pending = [name for name in names if name not in self._columns]
        taken = {}
        if self._parquet is not None and pending and len(rows) <= 1000:
            starts = self._parquet.starts
            positions = rows.to_numpy(zero_copy_only=False).astype(np.int64)
            group_of = np.searchsorted(starts, positions, side="right") - 1
            groups = np.unique(group_of)
            if len(groups) <= (len(starts) - 1) // 4:  # else whole columns cost as much
                with _readable(f"columns {pending} of the stored frame"):
                    part = self._parquet.reader().read_row_groups(
                        groups.tolist(), columns=pending, use_threads=False
                    )
                # Where each group begins in `part`, then each row within its group.
                begins = np.cumsum([0, *np.diff(starts)[groups][:-1]])
                local = pa.array(
                    begins[np.searchsorted(groups, group_of)]
                    + positions
                    - starts[group_of]
                )
                taken = {name: part.column(name).take(local) for name in pending}
        return {
            name: taken[name] if name in taken else self.column(name).take(rows)
            for name in names
        }

    def to_pandas(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The stored DataFrame, or only `columns` of it; repeated text as text."""
        fields, arrays = [], []
        for name in self.schema.names if columns is None else columns:
            field, array = self.schema.field(name), self.column(name)
            kind = self._parquet.coded.get(name) if self._parquet else None
            if kind is not None:
                field, array = field.with_type(kind), array.cast(kind)
            fields.append(field)
            arrays.append(array)
        schema = pa.schema(fields, metadata=self.schema.metadata)  # pandas dtypes
        return pa.Table.from_arrays(arrays, schema=schema).to_pandas(split_blocks=True)


@dataclass(frozen=True)
class _Parquet:
    """Stored Parquet bytes, their footer, and which text columns are dictionaries."""

    payload: pa.Buffer
    metadata: pq.FileMetaData
    coded: dict[str, pa.DataType]

    @cached_property
    def starts(self) -> np.ndarray:
        """The first row of each row group, then the row count."""
        groups = range(self.metadata.num_row_groups)
        return np.cumsum([0, *(self.metadata.row_group(i).num_rows for i in groups)])

    def reader(self) -> pq.ParquetFile:
        """A reader of its own for each decode: threads never share one."""
        return pq.ParquetFile(
            pa.BufferReader(self.payload),
            metadata=self.metadata,
            read_dictionary=list(self.coded),
        )


def _dictionary_text(
    metadata: pq.FileMetaData, schema: pa.Schema
) -> dict[str, pa.DataType]:
    """The text columns stored dictionary-encoded (repeated text, see
    `_parquet_encodings`), with their types; not categoricals, which Arrow reads as
    dictionaries anyway."""
    if metadata.num_row_groups == 0:
        return {}
    group = metadata.row_group(0)
    coded = {}
    for index in range(group.num_columns):
        chunk = group.column(index)
        name = chunk.path_in_schema
        if name in schema.names and chunk.has_dictionary_page:
            kind = schema.field(name).type
            if _is_text(kind):
                coded[name] = kind
    return coded


@contextmanager
def _readable(what: str) -> Iterator[None]:
    """Parquet that fails to decode (verified bytes, so not written by this store)
    as the store's error, which components show as a message."""
    try:
        yield
    except (pa.ArrowException, OSError, ValueError) as error:  # OSError: bad pages
        raise StoreCorruptError(f"{what} is unreadable: {error}") from error


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


class _StoredFrame:
    """A cached DataFrame: as pandas, as a `StoredTable`, or both; each made on first
    use. Saving caches the caller's frame; loading from Redis caches the undecoded
    `StoredTable`, so table views start without a pandas conversion."""

    def __init__(
        self, frame: pd.DataFrame | None = None, table: StoredTable | None = None
    ) -> None:
        self._frame, self._table = frame, table
        self._lock = threading.Lock()

    def frame(self) -> pd.DataFrame:
        with self._lock:
            if self._frame is None:
                assert self._table is not None
                self._frame = self._table.to_pandas()
            return self._frame

    def table(self) -> StoredTable:
        with self._lock:
            if self._table is None:
                assert self._frame is not None
                self._table = StoredTable.of(_arrow(self._frame))
            return self._table


def _materialize(cached: Any) -> Any:
    """A fresh value for the caller from what the cache holds."""
    if isinstance(cached, bytes):
        return json.loads(cached)
    return cached.frame().copy(deep=False)


redis_store = RedisStore()
