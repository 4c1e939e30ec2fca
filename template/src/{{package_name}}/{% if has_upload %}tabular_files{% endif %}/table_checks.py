"""The checks every table passes once read: a frame `redis_store` can keep exactly.

Rows, unique flat column names, and object columns Arrow stores as one flat type
(no nested values, no numbers mixed with text).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
import pyarrow as pa

from .limits import FileLimits
from .wording import json_type, names


def checked(df: pd.DataFrame, limits: FileLimits) -> pd.DataFrame:
    """`df` if it is a table `redis_store` can keep exactly, else an `UploadError`."""
    if len(df) == 0:
        raise limits.error("the table has no rows of data")
    if isinstance(df.columns, pd.MultiIndex):
        raise limits.error("the table has several levels of column names")
    limits.check_shape(len(df), len(df.columns))
    check_unique([str(column) for column in df.columns], limits)
    for column in df.columns:
        if df[column].dtype == object:
            _check_cells(df[column], limits)
    return df


def check_unique(column_names: list[str], limits: FileLimits) -> None:
    duplicates = sorted(name for name, n in Counter(column_names).items() if n > 1)
    if duplicates:
        raise limits.error(f"duplicate column names: {names(duplicates)}")


def is_nan(value: Any) -> bool:
    """Whether `value` is a missing scalar (None, NaN, NaT, pd.NA); arrays are not."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays and other non-scalars
        return False


def _check_cells(values: pd.Series, limits: FileLimits) -> None:
    """Values Arrow keeps as one flat type: no nesting, no mixed numbers and text."""
    kinds = {json_type(v) for v in values if v is not None and not is_nan(v)}
    if kinds & {"an object", "an array"}:
        raise limits.error(
            f"column {values.name!r} holds nested objects or arrays; flatten them "
            "into plain columns"
        )
    try:
        pa.array(values, from_pandas=True)
    except (pa.ArrowException, OverflowError):
        found = " and ".join(sorted(k.split(" ", 1)[1] + "s" for k in kinds))
        raise limits.error(
            f"column {values.name!r} mixes {found}; use one type per column"
            if len(kinds) > 1
            else f"column {values.name!r} holds values that cannot be stored "
            f"({found}, e.g. integers beyond 64 bits)"
        ) from None
