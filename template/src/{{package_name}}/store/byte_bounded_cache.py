"""The per-process cache of decoded values, bounded by the memory they hold.

Redis is the truth (see `redis_store`); this cache only saves decoding. Sizes are
measured, not declared, because cached values grow while they are used.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

# A cached group is measured again when used after Arrow's memory changed by this
# much since its last measure, or this long after it (pandas memory is not Arrow's).
_GROWTH = 2**20
_REMEASURE = 1.0
_PACKAGE = __name__.split(".")[0]


class Unmeasured:
    """Base of this package's objects that hold cached values rather than data of
    their own (the store, its cache): `held_bytes` never walks into them, or a value
    that refers to the store would count the whole cache."""


@dataclass
class CacheEntry:
    """A cached value, the key of the value it is derived from, and its size."""

    value: Any
    base: str | None = None  # the key of the value this one is derived from
    nbytes: int = 0  # as last measured


class ByteBoundedCache(Unmeasured):
    """Thread-safe LRU of decoded values whose total size stays under `max_bytes`.

    Sizes are measured from the memory values hold (`held_bytes`), not declared,
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
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._groups: dict[str, list[str]] = {}  # base key -> its cached keys
        self._used: set[str] = set()  # groups used since they were last measured
        self._measured = (0.0, 0)  # when, and Arrow's memory then
        self._lock = threading.Lock()

    def get(self, cache_key: str) -> CacheEntry | None:
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

    def put(self, cache_key: str, value: Any, base: str | None = None) -> CacheEntry:
        """Cache `value` (derived from the value under `base`, if given) and measure
        its group; a group larger than the bound is not kept."""
        entry = CacheEntry(value, base)
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
                sizes[group] = [held_bytes(entry.value, seen) for _, entry in entries]
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


def held_bytes(value: Any, seen: set[int]) -> int:
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
            if not isinstance(item, Unmeasured):
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
