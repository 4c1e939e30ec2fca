"""What the store writes for a value, and what it caches for it.

A stored value is a type tag (its first two bytes) and a payload: DataFrames as
Parquet (`table_format`), anything else as JSON (plotly's encoder, so numpy and
pandas scalars work). Nothing is ever pickled, so a value read back can never run
code.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import plotly.utils
import pyarrow as pa

from .errors import StoreCorruptError, StoreValueError
from .stored_table import StoredFrame, StoredTable
from .table_format import parquet_bytes

_PARQUET = b"P1"  # type tags: the first two bytes of every stored value
_JSON = b"J1"


def encode(value: Any) -> tuple[bytes, Any]:
    """Bytes to store for `value`, and what to cache for it."""
    if isinstance(value, pd.DataFrame):
        # Copy-on-write: later changes to the caller's frame never reach the cache.
        return (
            _PARQUET + parquet_bytes(value).to_pybytes(),
            StoredFrame(frame=value.copy(deep=False)),
        )
    try:
        payload = json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder).encode()
    except (TypeError, ValueError) as error:
        raise StoreValueError(
            f"a {type(value).__name__} cannot be stored: {error}. Store a DataFrame or "
            "a JSON-serialisable value"
        ) from error
    return _JSON + payload, payload


def decode(key: str, data: bytes) -> Any:
    """What to cache for stored `data`: a DataFrame, or JSON bytes."""
    tag = data[:2]
    if tag == _JSON:
        return data[2:]
    if tag != _PARQUET:
        raise StoreCorruptError(f"the value under key {key[:12]}… has an unknown type")
    try:
        return StoredFrame(table=StoredTable.parquet(pa.py_buffer(data).slice(2)))
    except (pa.ArrowException, OSError, ValueError) as error:
        raise StoreCorruptError(
            f"the value under key {key[:12]}… is unreadable: {error}"
        ) from error


def materialize(cached: Any) -> Any:
    """A fresh value for the caller from what the cache holds."""
    if isinstance(cached, bytes):
        return json.loads(cached)
    return cached.frame().copy(deep=False)
