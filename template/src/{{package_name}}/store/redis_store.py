"""redis_store: values in Redis under a keyed hash of their bytes, with a bounded cache.

Template-owned. `redis_store.save(value) -> key` and `redis_store.load(key)` keep the
shape of the Dash docs' recipe, so its examples work unchanged:

- DataFrames are stored as Parquet (zstd; row groups of 16,384 rows; each column in
  the encoding that is smallest and fastest to decode for its type, see
  `table_format`) and round-trip exactly: dtypes, index, column order, missing
  values, time zones, categoricals, strings. Measured on 1M rows
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
  measured from the memory they hold, again as they grow (see `byte_bounded_cache`).
- Redis that does not answer within `STORE_TIMEOUT_MS` (default 2 s) is reported
  unreachable (`StoreUnavailableError`, naming the URL without its secrets): a paused
  or overloaded Redis costs a request that long, not the 10 s it used to.

The backend is chosen on first use: `REDIS_URL` (redis://, rediss://, unix://) or, when
unset, an in-process fakeredis that warns once (it is not shared between processes).
Call `redis_store.use(client)` to point the store at a given client (tests).
"""

from __future__ import annotations

import hmac
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import redis

from ..settings import Settings, redact, scrub
from .background import OnDemandPool
from .byte_bounded_cache import ByteBoundedCache, CacheEntry, Unmeasured
from .errors import (
    StoreCorruptError,
    StoreError,
    StoreKeyError,
    StoreUnavailableError,
    StoreValueError,
)
from .key_secret import Keys, KeySecret
from .redis_clients import clients_for
from .stored_table import StoredFrame
from .value_codec import decode, encode, materialize

_KEY = re.compile(r"[0-9a-f]{64}")
# Redis names: "{prefix}:v2:{namespace}:{key}", the namespace one per key secret, so
# that a key made under another secret is unknown (reload), never corrupt. "v1"
# names (plain SHA-256 keys, before 0.7.0) are never read.
_SCHEMA = "v2"
# Verifies the bytes of a cold load while they are decoded (see `RedisStore._fetch`).
_VERIFIER = OnDemandPool("redis_store-verify")
T = TypeVar("T")


class RedisStore(KeySecret, Unmeasured):
    """Keyed-hash addressed storage of DataFrames and JSON values in Redis.

    Settings come from the environment on first use (see `settings.py`); tests and apps
    can call `use()` or `configure()` first.
    """

    def __init__(self) -> None:
        self._client: redis.Redis | None = None  # reads and small commands
        self._writer: redis.Redis | None = None  # writes of values: a longer timeout
        self._settings: Settings | None = None
        self._url = ""
        self._cache = ByteBoundedCache(0)
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self._keys: Keys | None = None
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
            self._cache = ByteBoundedCache(0)

    def use(self, client: redis.Redis, settings: Settings | None = None) -> None:
        """Point the store at `client` (e.g. a fakeredis or test Redis) from now on."""
        settings = settings or self._settings or Settings.from_env()
        with self._lock:
            self._disconnect()
            self._settings = settings
            self._client = self._writer = client
            self._url = "the client given to redis_store.use()"
            self._keys = None
            self._cache = ByteBoundedCache(settings.store_cache_mb * 2**20)

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
    def cache(self) -> ByteBoundedCache:
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
                self._cache = ByteBoundedCache(settings.store_cache_mb * 2**20)
                self._client, self._writer, self._url = clients_for(settings)
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
        data, cached = encode(value)
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
        converting = isinstance(cached, StoredFrame) and not cached.has_frame
        value = materialize(cached)
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

        def make(keys: Keys) -> CacheEntry:
            cached = self._cached(key, lambda: self._fetch(key, keys), key, keys).value
            if arrow and not isinstance(cached, StoredFrame):
                raise StoreValueError(
                    f"the value under key {key[:12]}… is no DataFrame"
                )
            value = build(cached.table() if arrow else materialize(cached))
            return self._cache.put(cache_key, value, base=key)

        return self._keyed(
            lambda keys: self._cached(cache_key, lambda: make(keys), key, keys)
        ).value

    # -- internals -------------------------------------------------------------------

    def _check(self, key: Any) -> None:
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            shown = repr(key) if len(repr(key)) <= 80 else f"{repr(key)[:60]}…"
            raise StoreKeyError(f"{shown} is not a store key; reload the page")

    def _entry(self, key: Any) -> CacheEntry:
        """The cache entry of the value under `key`, fetched from Redis if needed."""
        self._check(key)
        return self._keyed(
            lambda keys: self._cached(key, lambda: self._fetch(key, keys), key, keys)
        )

    def _cached(
        self, cache_key: str, make: Callable[[], CacheEntry], key: str, keys: Keys
    ) -> CacheEntry:
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

    def _name(self, key: str, keys: Keys | None = None) -> str:
        keys = keys or self._current_keys()
        return f"{self.settings.store_prefix}:{_SCHEMA}:{keys.namespace}:{key}"

    def _save(self, data: bytes, cached: Any, keys: Keys) -> str:
        key = keys.key(data)
        name = self._name(key, keys)
        # Same bytes, same key: if it is there, refreshing its TTL is enough.
        if not self._round_trip(keys, lambda redis: redis.expire(name, self._ttl)):
            with self._redis():
                assert self._writer is not None
                self._writer.set(name, data, ex=self._ttl)
        self._cache.put(key, cached)
        return key

    def _fetch(self, key: str, keys: Keys) -> CacheEntry:
        """Read, verify and decode `key` from Redis, and cache it."""
        name = self._name(key, keys)
        data = self._round_trip(keys, lambda redis: redis.getex(name, ex=self._ttl))
        if data is None:
            raise self._unknown(key)
        # Verify while decoding: both release the GIL, so a cold load pays for the
        # longer of the two, not their sum. Nothing decoded is used unverified.
        digest = _VERIFIER.submit(keys.key, data)
        try:
            decoded = decode(key, data)
        except StoreCorruptError:
            decoded = None  # a mismatch, if any, is the better explanation
        if not hmac.compare_digest(digest.result(), key):
            raise StoreCorruptError(f"the bytes under key {key[:12]}… do not match it")
        if decoded is None:
            decoded = decode(key, data)  # raises its own error
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


redis_store = RedisStore()
