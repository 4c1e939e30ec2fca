"""The store: values in Redis under a keyed hash of their bytes, with a bounded cache.

Template-owned. The app uses `redis_store` (`save(value) -> key`, `load(key)`,
`derived(key, name, build)`) and catches `StoreError`; see `redis_store.py` for what
the store guarantees. Its modules:

- `redis_store`: `RedisStore` and the app's instance: values, keys, TTLs, timeouts.
- `key_secret`: the secret store keys are made with, kept in Redis if not configured.
- `redis_clients`: the clients made for `REDIS_URL`, or in-process fakeredis.
- `byte_bounded_cache`: the per-process cache, bounded by the memory values hold.
- `value_codec`: the bytes stored for a value (Parquet or JSON) and what is cached.
- `table_format`: DataFrames as Parquet: encodings, row groups, timestamp grains.
- `stored_table`: `StoredTable`, a stored frame's columns decoded on demand.
- `errors`: the store's errors. `background`: its threads, started on first use.
"""

from .errors import (
    FakeRedisWarning,
    StoreCorruptError,
    StoreError,
    StoreKeyError,
    StoreUnavailableError,
    StoreValueError,
)
from .redis_store import RedisStore, redis_store
from .stored_table import StoredTable
from .table_format import timestamp_grain

__all__ = [
    "FakeRedisWarning",
    "RedisStore",
    "StoreCorruptError",
    "StoreError",
    "StoreKeyError",
    "StoreUnavailableError",
    "StoreValueError",
    "StoredTable",
    "redis_store",
    "timestamp_grain",
]
