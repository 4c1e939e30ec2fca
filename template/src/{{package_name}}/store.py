"""redis_store: values in Redis under a keyed hash of their bytes, with a bounded cache.

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
- The key is an HMAC-SHA256 of the stored bytes under a server secret
  (`STORE_KEY_SECRET`, else `SECRET_KEY`, else a random secret the store keeps in
  Redis for every process that shares it): equal values are stored once, a key can
  never point at other data, every cold load verifies the bytes it got, and nobody
  outside the deployment can compute the key of a file they guess, so a key is only
  known to whom it was given. Keys of releases before 0.7.0 (plain SHA-256, which
  anyone could compute) are never read: their data expires unused, and a page that
  still holds one is asked to reload.
- Each value is one Redis string (a type tag + payload) written with its TTL in one
  SET, so nothing is ever half-written. Using a value refreshes its TTL
  (`STORE_TTL_SECONDS`, default 24 h): live sessions keep their data, abandoned data
  expires.
- Redis is the truth, the per-process cache only saves decoding: a cache hit asks
  Redis whether the value is still there (one EXPIRE, no payload, which also renews
  its TTL and shows Redis' LRU eviction that the value is in use), so when Redis
  loses data (a restart, eviction) every worker says so on its next request, instead
  of some serving it from memory while others cannot. That round trip is what a hit
  costs (bench_store.py: ~0.04 ms on a local, busy Redis, ~0.4 ms on an idle one;
  the network's round trip on another host).
- Decoded values are cached per process, bounded by bytes (`STORE_CACHE_MB`) as
  measured from the memory they hold, again as they grow (see `_ByteBoundedCache`).
- Redis that does not answer within `STORE_TIMEOUT_MS` (default 2 s) is reported
  unreachable (`StoreUnavailableError`, naming the URL without its secrets): a paused
  or overloaded Redis costs a request that long, not the 10 s it used to.

The backend is chosen on first use: `REDIS_URL` (redis://, rediss://, unix://) or, when
unset, an in-process fakeredis that warns once (it is not shared between processes).
Call `redis_store.use(client)` to point the store at a given client (tests).
"""

from __future__ import annotations

import hmac
import json
import os
import re
import secrets
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

import numpy as np
import pandas as pd
import plotly.utils
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset  # read_table imports it lazily: pay that at startup instead
import pyarrow.parquet as pq
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .settings import MIN_SECRET_LENGTH, Settings, redact, scrub

_PARQUET = b"P1"  # type tags: the first two bytes of every stored value
_JSON = b"J1"
_KEY = re.compile(r"[0-9a-f]{64}")
# Redis names: "{prefix}:v2:{namespace}:{key}", the namespace one per key secret, so
# that a key made under another secret is unknown (reload), never corrupt. "v1"
# names (plain SHA-256 keys, before 0.7.0) are never read.
_SCHEMA = "v2"
# What a configured secret is specialised to: store keys never equal anything else
# made with SECRET_KEY.
_KEY_CONTEXT = b"redis_store keys"
# Writing a value may take longer than `STORE_TIMEOUT_MS`: its bytes must travel.
_WRITE_TIMEOUT = 10.0
# Rows per Parquet row group: a table's first page in a fresh worker decodes the
# groups that hold its rows, not whole columns (see `StoredTable.take`).
_ROW_GROUP = 16_384
# Schema metadata: the grain of each timestamp column (see `timestamp_grain`).
_GRAINS = b"redis_store.grains"
# A cached group is measured again when used after Arrow's memory changed by this
# much since its last measure, or this long after it (pandas memory is not Arrow's).
_GROWTH = 2**20
_REMEASURE = 1.0
_PACKAGE = __name__.split(".")[0]
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


class _Rekeyed(StoreError):
    """The key secret kept in Redis changed under an operation (another process made
    a new one after Redis lost it): the operation runs again with the new one."""


@dataclass(frozen=True)
class _Keys:
    """What store keys are made with, and where their values live in Redis."""

    secret: bytes  # the HMAC key
    namespace: str  # in every value's Redis name: one per secret
    shared: bytes | None = None  # the random secret kept in Redis, if that is it

    @classmethod
    def of(cls, secret: bytes, shared: bytes | None = None) -> _Keys:
        key = hmac.digest(secret, _KEY_CONTEXT, "sha256")
        namespace = hmac.digest(key, b"namespace", "sha256").hex()[:16]
        return cls(key, namespace, shared)

    def key(self, data: bytes) -> str:
        """The key of stored bytes `data` (the OpenSSL HMAC releases the GIL)."""
        return hmac.digest(self.secret, data, "sha256").hex()


@dataclass
class _Entry:
    value: Any
    base: str | None = None  # the key of the value this one is derived from
    nbytes: int = 0  # as last measured


class _ByteBoundedCache:
    """Thread-safe LRU of decoded values whose total size stays under `max_bytes`.

    Sizes are measured from the memory values hold (`_held_bytes`), not declared,
    because values grow after they are cached: a frame loaded from Redis holds its
    Parquet bytes, then each column it decodes; a value derived from it (a table's
    view) its own caches. A value derived from the one under `key` is cached as
    "key/name" in `key`'s group, which is measured as a whole (memory a derived value
    shares with its base counts once), used together (a hit on a derived value keeps
    its base fresh) and evicted together (a derived value keeps its base's memory
    alive).

    Values grow while they are used, after the cache handed them out: so the groups
    used since their last measure are measured again on the next hit (on any group)
    once Arrow's memory changed by `_GROWTH` or `_REMEASURE` seconds went by, and the
    least recently used groups are evicted while the total is over the bound. The
    bound can be exceeded by what requests in flight add, until the next hit.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._groups: dict[str, list[str]] = {}  # base key -> its cached keys
        self._used: set[str] = set()  # groups used since they were last measured
        self._measured = (0.0, 0)  # when, and Arrow's memory then
        self._lock = threading.Lock()

    def get(self, cache_key: str) -> _Entry | None:
        """The entry under `cache_key`, as recently used (after measuring the groups
        used before, if they may have grown)."""
        with self._lock:
            entry = self._entries.get(cache_key)
            if entry is None:
                return None
            if entry.base in self._entries:
                self._entries.move_to_end(entry.base)
            self._entries.move_to_end(cache_key)
            group = entry.base or cache_key
            when, arrow = self._measured
            due = (
                time.monotonic() - when > _REMEASURE
                or abs(pa.total_allocated_bytes() - arrow) > _GROWTH
            )
            used = self._used | {group}
            if due:  # measured now; this group stays used: it grows in this request
                self._used = {group}
            else:
                self._used = used
        if due:
            self._measure(used)
        return entry

    def put(self, cache_key: str, value: Any, base: str | None = None) -> _Entry:
        """Cache `value` (derived from the value under `base`, if given) and measure
        its group; a group larger than the bound is not kept."""
        entry = _Entry(value, base)
        group = base or cache_key
        with self._lock:
            self._pop(cache_key, derived=False)
            self._entries[cache_key] = entry
            members = self._groups.setdefault(group, [])
            if base is None:
                members.insert(0, cache_key)  # measured first: see `_measure`
            else:
                members.append(cache_key)
            self._used.add(group)
        self._measure({group})
        return entry

    def measure(self, key: str | None = None) -> int:
        """Measure the value under `key` and what is derived from it (default: every
        value) now, evict what no longer fits, and return the total."""
        self._measure(set(self._groups) if key is None else {key})
        return self.nbytes

    def _measure(self, groups: set[str]) -> None:
        with self._lock:
            self._measured = (time.monotonic(), pa.total_allocated_bytes())
            members = {
                group: [(key, self._entries[key]) for key in self._groups[group]]
                for group in groups
                if group in self._groups  # else evicted meanwhile
            }
        sizes, again = {}, set()
        for group, entries in members.items():
            seen: set[int] = set()
            try:  # base first: what a derived value shares with it counts there
                sizes[group] = [_held_bytes(entry.value, seen) for _, entry in entries]
            except RuntimeError:  # a dict grew under the walk: measure next time
                again.add(group)
        with self._lock:
            self._used |= again
            for group, measured in sizes.items():
                for (key, entry), size in zip(members[group], measured, strict=True):
                    if self._entries.get(key) is entry:
                        self.nbytes += size - entry.nbytes
                        entry.nbytes = size
                # A group over the bound on its own goes first, not all the others.
                if sum(measured) > self.max_bytes:
                    self._drop(group)
            while self.nbytes > self.max_bytes and self._entries:
                self._pop(next(iter(self._entries)), derived=True)

    def discard(self, key: str) -> None:
        """Forget the value under `key` and every value derived from it."""
        with self._lock:
            self._drop(key)

    def _drop(self, group: str) -> None:
        """Forget a group (lock held)."""
        for cache_key in list(self._groups.get(group, [])):
            self._pop(cache_key, derived=True)

    def _pop(self, cache_key: str, derived: bool) -> None:
        """Forget `cache_key` (and, with `derived`, what is derived from it)."""
        entry = self._entries.pop(cache_key, None)
        if entry is None:
            return
        self.nbytes -= entry.nbytes
        group = entry.base or cache_key
        members = self._groups.get(group, [])
        members.remove(cache_key)
        if derived and entry.base is None:
            for member in members:  # they hold the base's memory: it goes with them
                self.nbytes -= self._entries.pop(member).nbytes
            members.clear()
        if not members:
            self._groups.pop(group, None)
            self._used.discard(group)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._groups.clear()
            self._used.clear()
            self.nbytes = 0

    def __len__(self) -> int:
        return len(self._entries)


class RedisStore:
    """Keyed-hash addressed storage of DataFrames and JSON values in Redis.

    Settings come from the environment on first use (see `settings.py`); tests and apps
    can call `use()` or `configure()` first.
    """

    def __init__(self) -> None:
        self._client: redis.Redis | None = None  # reads and small commands
        self._writer: redis.Redis | None = None  # writes of values: a longer timeout
        self._settings: Settings | None = None
        self._url = ""
        self._cache = _ByteBoundedCache(0)
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self._keys: _Keys | None = None
        self._keys_lock = threading.Lock()
        self._owned = False  # whether the store made its clients (it closes them)
        self._stalled_until = 0.0  # monotonic time until which Redis is not asked

    # -- configuration ---------------------------------------------------------------

    def configure(self, settings: Settings | None = None) -> None:
        """Forget the backend and cache; the next call reads `settings` (or the env)."""
        with self._lock:
            self._disconnect()
            self._settings = settings
            self._keys = None
            self._cache = _ByteBoundedCache(0)

    def use(self, client: redis.Redis, settings: Settings | None = None) -> None:
        """Point the store at `client` (e.g. a fakeredis or test Redis) from now on."""
        settings = settings or self._settings or Settings.from_env()
        with self._lock:
            self._disconnect()
            self._settings = settings
            self._client = self._writer = client
            self._url = "the client given to redis_store.use()"
            self._keys = None
            self._cache = _ByteBoundedCache(settings.store_cache_mb * 2**20)

    def _disconnect(self) -> None:
        """Close the clients the store made (not one given to `use()`: the caller's)."""
        if self._owned:
            for client in (self._client, self._writer):
                if client is not None:
                    client.close()  # twice for fakeredis (both): harmless
        self._client = self._writer = None
        self._owned = False
        self._stalled_until = 0.0

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
                self._client, self._writer, self._url = _clients_for(settings)
                self._owned = True
            return self._client

    # -- public API ------------------------------------------------------------------

    def ping(self) -> bool:
        """Whether the backend answers right now."""
        try:
            client = self._connect()
            with self._redis():
                return bool(client.ping())
        except StoreError:
            return False

    def save(self, value: Any) -> str:
        """Store `value` (a DataFrame or anything JSON-serialisable); return its key."""
        self._connect()
        settings = self.settings
        data, cached = _encode(value)
        limit = settings.store_max_value_mb * 2**20
        if len(data) > limit:
            raise StoreValueError(
                f"the value is {len(data) / 2**20:.1f} MiB serialised, over the "
                f"{settings.store_max_value_mb} MiB limit (STORE_MAX_VALUE_MB); "
                "store less data"
            )
        return self._keyed(lambda keys: self._save(data, cached, keys))

    def load(self, key: Any) -> Any:
        """The value saved under `key`; `StoreKeyError` if it expired or never existed.

        `key` may come from the browser (a `dcc.Store` can be edited), so anything but
        a key this store issues is refused with `StoreKeyError`, never looked up.
        Every call returns a value the caller may modify freely: DataFrames are
        copy-on-write copies of the cached one, JSON values are decoded anew.
        """
        cached = self._entry(key).value
        converting = isinstance(cached, _StoredFrame) and not cached.has_frame
        value = _materialize(cached)
        if converting:  # the cached value now holds a pandas frame too
            self._cache.measure(key)
        return value

    def derived(
        self, key: Any, name: str, build: Callable[[Any], T], *, arrow: bool = False
    ) -> T:
        """`build(load(key))`, computed once per process and cached beside the value.

        For read-only views of a stored value that are costly to make (e.g. the Arrow
        columns a table filters on). What `build` returns must not be modified. The
        memory it holds counts against the cache bound, measured again as it grows:
        the Arrow, NumPy and pandas data it reaches through containers and objects
        of this package (others count their `nbytes`), less what the stored value
        holds already. Expired keys raise `StoreKeyError`.

        With `arrow=True` (DataFrames only), `build` gets the stored frame as a
        `StoredTable` (read-only Arrow columns, decoded on first use) instead: no
        pandas conversion and no column decoded before it is needed, which is what a
        fresh worker's first table callback would otherwise wait for.
        """
        self._check(key)
        cache_key = f"{key}/{name}"

        def make(keys: _Keys) -> _Entry:
            cached = self._cached(key, lambda: self._fetch(key, keys), key, keys).value
            if arrow and not isinstance(cached, _StoredFrame):
                raise StoreValueError(
                    f"the value under key {key[:12]}… is no DataFrame"
                )
            value = build(cached.table() if arrow else _materialize(cached))
            return self._cache.put(cache_key, value, base=key)

        return self._keyed(
            lambda keys: self._cached(cache_key, lambda: make(keys), key, keys)
        ).value

    # -- internals -------------------------------------------------------------------

    def _check(self, key: Any) -> None:
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            shown = repr(key) if len(repr(key)) <= 80 else f"{repr(key)[:60]}…"
            raise StoreKeyError(f"{shown} is not a store key; reload the page")

    def _entry(self, key: Any) -> _Entry:
        """The cache entry of the value under `key`, fetched from Redis if needed."""
        self._check(key)
        return self._keyed(
            lambda keys: self._cached(key, lambda: self._fetch(key, keys), key, keys)
        )

    def _cached(
        self, cache_key: str, make: Callable[[], _Entry], key: str, keys: _Keys
    ) -> _Entry:
        """The cache entry under `cache_key` (of `key`'s value), `make()`-d if absent;
        a hit checks that Redis still holds `key` (and keeps it alive there)."""
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
        elif not self._round_trip(
            keys, lambda redis: redis.expire(self._name(key, keys), self._ttl)
        ):
            # Redis lost it: answer as every worker without it in memory does.
            self._cache.discard(key)
            raise self._unknown(key)
        return entry

    @property
    def _ttl(self) -> int:
        return self.settings.store_ttl_seconds

    def _unknown(self, key: str) -> StoreKeyError:
        return StoreKeyError(
            f"no data under key {key[:12]}…: it expired ({self._ttl} s unused) or was "
            "never saved here; reload the page to recreate it"
        )

    def _name(self, key: str, keys: _Keys | None = None) -> str:
        keys = keys or self._current_keys()
        return f"{self.settings.store_prefix}:{_SCHEMA}:{keys.namespace}:{key}"

    def _save(self, data: bytes, cached: Any, keys: _Keys) -> str:
        key = keys.key(data)
        name = self._name(key, keys)
        # Same bytes, same key: if it is there, refreshing its TTL is enough.
        if not self._round_trip(keys, lambda redis: redis.expire(name, self._ttl)):
            with self._redis():
                assert self._writer is not None
                self._writer.set(name, data, ex=self._ttl)
        self._cache.put(key, cached)
        return key

    def _fetch(self, key: str, keys: _Keys) -> _Entry:
        """Read, verify and decode `key` from Redis, and cache it."""
        name = self._name(key, keys)
        data = self._round_trip(keys, lambda redis: redis.getex(name, ex=self._ttl))
        if data is None:
            raise self._unknown(key)
        # Verify while decoding: both release the GIL, so a cold load pays for the
        # longer of the two, not their sum. Nothing decoded is used unverified.
        digest = _VERIFIER.submit(keys.key, data)
        try:
            decoded = _decode(key, data)
        except StoreCorruptError:
            decoded = None  # a mismatch, if any, is the better explanation
        if not hmac.compare_digest(digest.result(), key):
            raise StoreCorruptError(f"the bytes under key {key[:12]}… do not match it")
        if decoded is None:
            decoded = _decode(key, data)  # raises its own error
        return self._cache.put(key, decoded)

    @contextmanager
    def _redis(self) -> Iterator[None]:
        """Redis failures as store errors that say what to do, without a secret (the
        URL redacted, and whatever of it Redis' error quotes). Redis that did not
        answer in time is not asked again for as long: a page that makes several
        calls while Redis is paused waits once, and so do requests meanwhile."""
        url = self._url
        if time.monotonic() < self._stalled_until:
            raise StoreUnavailableError(
                f"Redis at {redact(url)} is unreachable (no answer a moment ago); "
                "check REDIS_URL and that Redis is running"
            )
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as error:
            if isinstance(error, redis.TimeoutError):
                timeout = self.settings.store_timeout_ms / 1000
                self._stalled_until = time.monotonic() + timeout
            raise StoreUnavailableError(
                f"Redis at {redact(url)} is unreachable ({scrub(str(error), url)}); "
                "check REDIS_URL and that Redis is running"
            ) from error
        except redis.RedisError as error:
            raise StoreError(
                f"Redis at {redact(url)} refused the command: {scrub(str(error), url)}"
            ) from error

    # -- the key secret --------------------------------------------------------------

    def _keyed(self, operation: Callable[[_Keys], T]) -> T:
        """`operation(keys)`; once more, with the new keys, if it found that another
        process renewed the secret kept in Redis (after Redis lost it)."""
        try:
            return operation(self._current_keys())
        except _Rekeyed:
            return operation(self._current_keys())

    def _current_keys(self) -> _Keys:
        keys = self._keys
        if keys is None:
            settings = self.settings
            with self._keys_lock:
                if self._keys is None:
                    secret = settings.store_key_secret or settings.secret_key
                    # A short SECRET_KEY (e.g. "dev") would make keys guessable:
                    # then the secret kept in Redis, as if none were set.
                    if secret and len(secret) >= MIN_SECRET_LENGTH:
                        self._keys = _Keys.of(secret.encode())
                    else:
                        self._keys = self._shared_keys(secrets.token_hex(32).encode())
                keys = self._keys
        return keys

    def _secret_name(self) -> str:
        return f"{self.settings.store_prefix}:key-secret"

    def _shared_keys(self, offer: bytes) -> _Keys:
        """The keys of the secret kept in Redis, which is `offer` if there was none.

        With no secret configured, every process sharing a Redis agrees on this one,
        which only Redis' clients can read (who can read the data anyway)."""
        name = self._secret_name()
        with self._redis():
            pipe = self._connect().pipeline(transaction=False)
            pipe.set(name, offer, nx=True)  # no TTL: volatile-* eviction keeps it
            pipe.get(name)
            _, stored = pipe.execute()
        secret = stored or offer  # deleted in between: the next round trip says so
        return _Keys.of(secret, shared=secret)

    def _round_trip(self, keys: _Keys, command: Callable[[Any], Any]) -> Any:
        """What `command(client)` returns. With a secret kept in Redis, the same round
        trip checks it is still `keys`'s: raises `_Rekeyed` if it changed."""
        client = self._connect()
        with self._redis():
            if keys.shared is None:
                return command(client)
            pipe = client.pipeline(transaction=False)
            command(pipe)
            pipe.get(self._secret_name())
            result, stored = pipe.execute()
        if stored != keys.shared:
            self._renew_keys(keys, stored)
        return result

    def _renew_keys(self, seen: _Keys, stored: bytes | None) -> None:
        """Redis does not hold `seen`'s secret: it lost it (offer it back) or another
        process made a new one (use it). Raise `_Rekeyed` if the keys changed."""
        assert seen.shared is not None  # only a secret kept in Redis is checked
        with self._keys_lock:
            if self._keys is seen:
                renewed = (
                    self._shared_keys(seen.shared)
                    if stored is None
                    else _Keys.of(stored, shared=stored)
                )
                if renewed.shared != seen.shared:
                    self._keys = renewed
                    # Values cached under the old keys: no page can name them now.
                    self._cache.clear()
            current = self._keys
        if current is not seen:
            raise _Rekeyed(
                "the store's key secret in Redis changed twice in one request (Redis "
                "lost its data?); reload the page"
            )


def _clients_for(settings: Settings) -> tuple[redis.Redis, redis.Redis, str]:
    """The reading and the writing client for `settings`, and the URL they use."""
    url = settings.redis_url
    if url:
        timeout = settings.store_timeout_ms / 1000
        # A command whose connection Redis closed under it (a restart) is retried
        # once, at once, on a new one; a timeout is not: a paused Redis costs one
        # timeout, not several (whatever redis-py's default retries become).
        options = {
            "socket_connect_timeout": timeout,
            "health_check_interval": 30,
            "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        }
        try:
            reader = redis.Redis.from_url(url, socket_timeout=timeout, **options)
            writer = redis.Redis.from_url(
                url, socket_timeout=max(timeout, _WRITE_TIMEOUT), **options
            )
        except (ValueError, TypeError):  # their messages may quote a password
            raise StoreError(
                f"REDIS_URL={redact(url)} is not a valid Redis URL: check its host, "
                "port, database and parameters"
            ) from None
        return reader, writer, url
    import fakeredis

    warnings.warn(
        "REDIS_URL is not set: redis_store uses in-process fakeredis. Data is not "
        "shared between processes or workers and is lost on restart; set REDIS_URL "
        "in production.",
        FakeRedisWarning,
        stacklevel=4,
    )
    client = fakeredis.FakeRedis()
    return client, client, "fakeredis (in-process)"


def _encode(value: Any) -> tuple[bytes, Any]:
    """Bytes to store for `value`, and what to cache for it."""
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
        )
    try:
        payload = json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder).encode()
    except (TypeError, ValueError) as error:
        raise StoreValueError(
            f"a {type(value).__name__} cannot be stored: {error}. Store a DataFrame or "
            "a JSON-serialisable value"
        ) from error
    return _JSON + payload, payload


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


def _decode(key: str, data: bytes) -> Any:
    """What to cache for stored `data`: a DataFrame, or JSON bytes."""
    tag = data[:2]
    if tag == _JSON:
        return data[2:]
    if tag != _PARQUET:
        raise StoreCorruptError(f"the value under key {key[:12]}… has an unknown type")
    try:
        return _StoredFrame(table=StoredTable.parquet(pa.py_buffer(data).slice(2)))
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

    @property
    def has_frame(self) -> bool:
        """Whether the pandas frame is made already."""
        return self._frame is not None

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


def _held_bytes(value: Any, seen: set[int]) -> int:
    """The bytes of memory `value` holds: Arrow buffers, NumPy arrays, pandas data and
    bytes, reached through containers and the objects of this package (other objects
    count their `nbytes`, if they have one; the Python objects in an object array are
    not counted). Each buffer counts once across the calls sharing `seen` (by
    address), so memory shared by two values counts once."""
    total = 0
    # Walked objects by id, kept alive: Arrow hands out a new wrapper object for each
    # chunk and buffer, whose id a later one could reuse once it is freed.
    walked: dict[int, Any] = {}
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, (str, int, float)) or id(item) in walked:
            continue
        walked[id(item)] = item
        if isinstance(item, pa.Buffer):
            total += _once(item.address, item.size, seen)
        elif isinstance(item, pa.ChunkedArray):
            stack.extend(item.chunks)
        elif isinstance(item, pa.Array):
            stack.extend(item.buffers())  # a child array's too
            if isinstance(item, pa.DictionaryArray):
                stack.append(item.dictionary)
        elif isinstance(item, (pa.Table, pa.RecordBatch)):
            stack.extend(item.columns)
        elif isinstance(item, np.ndarray):
            while isinstance(item.base, np.ndarray):  # a view: what it views
                item = item.base
            total += _once(item.__array_interface__["data"][0], item.nbytes, seen)
        elif isinstance(item, (bytes, bytearray)):
            total += _once(id(item), len(item), seen)
        elif isinstance(item, (pd.DataFrame, pd.Series, pd.Index)):
            stack.extend(_pandas_parts(item))
        elif isinstance(item, pd.api.extensions.ExtensionArray):
            parts = _array_parts(item)
            if parts is None:
                total += item.nbytes  # e.g. masked arrays: made for pandas alone
            else:
                stack.extend(parts)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif type(item).__module__.split(".")[0] == _PACKAGE:
            if not isinstance(item, (RedisStore, _ByteBoundedCache)):
                stack.extend(getattr(item, "__dict__", {}).values())
        elif isinstance(getattr(item, "nbytes", None), int):
            total += item.nbytes
    return total


def _once(address: int, size: int, seen: set[int]) -> int:
    if address in seen:
        return 0
    seen.add(address)
    return size


def _pandas_parts(item: pd.DataFrame | pd.Series | pd.Index) -> list[Any]:
    """The arrays that hold a pandas object's data, without copying any."""
    if isinstance(item, pd.DataFrame):
        return [item.index, *(column.array for _, column in item.items())]
    if isinstance(item, pd.Series):
        return [item.index, item.array]
    if isinstance(item, pd.RangeIndex):
        return []
    if isinstance(item, pd.MultiIndex):
        return [*item.levels, *item.codes]
    return [item.array]


def _array_parts(array: Any) -> list[Any] | None:
    """The Arrow or NumPy arrays under a pandas extension array, if known."""
    if isinstance(array, pd.arrays.ArrowExtensionArray):
        return [array.__arrow_array__()]  # its own Arrow data, no copy
    if isinstance(array, pd.Categorical):
        return [array.codes, array.categories]
    if isinstance(array, (pd.arrays.DatetimeArray, pd.arrays.TimedeltaArray)):
        return [array.asi8]  # a view of its data
    if isinstance(array, pd.arrays.NumpyExtensionArray):
        return [array.to_numpy()]
    return None


redis_store = RedisStore()
