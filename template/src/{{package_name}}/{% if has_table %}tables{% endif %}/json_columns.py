"""A DataFrame's columns as the JSON the table components send the browser, in Arrow.

`json_column` converts a pandas column (numbers as float64 with NaN and infinities as
null, as JSON has neither; booleans; text; datetimes as ISO 8601 text in one form per
column, `datetime_format`); `json_arrow` does the same from a stored Arrow column
without pandas. `TableView` keeps what these make, per column.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..store import timestamp_grain

_DISTINCT_SAMPLE: Final = (
    65_536  # rows sampled to tell a column of mostly distinct values
)


def take_cells(column: pa.Array | pa.ChunkedArray, rows: pa.Array) -> pa.Array:
    """`column.take(rows)`; for a page of a chunked column, cell by cell
    (ChunkedArray.take concatenates the chunks first: ~2 ms a page at 1M rows)."""
    if isinstance(column, pa.Array) or len(rows) > 1000:
        return column.take(rows)
    return pa.array([column[row].as_py() for row in rows.to_pylist()], column.type)


def frame_columns(table: pa.Table) -> tuple[list[Any], list[str]]:
    """The DataFrame column names stored in `table`, and their fields (the index,
    when Parquet keeps it as columns, is left out, as in `table.to_pandas()`)."""
    meta = table.schema.pandas_metadata or {}
    index = {name for name in meta.get("index_columns", []) if isinstance(name, str)}
    fields = [name for name in table.column_names if name not in index]
    names = {
        column.get("field_name"): column.get("name")
        for column in meta.get("columns", [])
    }
    return [names.get(field, field) for field in fields], fields


def decategorized(series: pd.Series) -> pd.Series:
    """A categorical column as its values; others as they are."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return series
    categories = series.dtype.categories.dtype
    if series.hasnans and categories.kind in "iub":  # no missing ints or bools
        return series.astype("float64" if categories.kind != "b" else object)
    return series.astype(categories)


def json_column(series: pd.Series, datetime_fmt: str | None = None) -> pa.Array:
    """`series` as the JSON values the table would hold, in an Arrow array.

    Datetimes become ISO text in `datetime_fmt` (see `datetime_format`; decided from
    the whole column, so that every slice of it reads the same).
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return json_column(decategorized(series), datetime_fmt)
    if pd.api.types.is_bool_dtype(dtype):
        return pa.array(series, pa.bool_(), from_pandas=True)
    if pd.api.types.is_numeric_dtype(dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return pa.array(values, pa.float64(), mask=~np.isfinite(values))
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return datetime_text(
            timestamps(series), datetime_fmt or datetime_format(series)
        )
    if pd.api.types.is_timedelta64_dtype(dtype):
        return pa.array(series.astype(str).where(series.notna(), None), pa.string())
    try:
        array = pa.array(series, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        array = None
    if array is not None and (
        pa.types.is_string(array.type)
        or pa.types.is_large_string(array.type)
        or pa.types.is_null(array.type)
    ):
        return array.cast(pa.string())
    text = series.map(lambda v: None if v is None or v is pd.NA else str(v))
    return pa.array(text, pa.string(), from_pandas=True)


def is_json_like(kind: pa.DataType) -> bool:
    """Arrow types whose JSON form `json_arrow` makes without pandas."""
    return (
        pa.types.is_boolean(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_null(kind)
    )


def is_text_dictionary(kind: pa.DataType) -> bool:
    return pa.types.is_dictionary(kind) and (
        pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
    )


def mostly_distinct(column: pa.Array | pa.ChunkedArray) -> bool:
    """Whether `column` has no nulls and its first rows (a sample: counting them all
    would cost what encoding does) are more than half distinct."""
    if column.null_count:
        return False
    sample = column.slice(0, _DISTINCT_SAMPLE)
    return pc.count_distinct(sample).as_py() * 2 > len(sample)


def json_arrow(column: Any) -> pa.Array | pa.ChunkedArray:
    """What `json_column` makes of the pandas column that `column` decodes to."""
    kind = column.type
    if pa.types.is_boolean(kind):
        return whole(column)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        values = whole(column.cast(pa.float64(), safe=False))
        finite = pc.is_finite(values)
        if pc.all(finite).as_py() is not False:  # all finite or null: no copy
            return values
        return pc.if_else(finite, values, None)  # NaN, ±inf: null
    return column.cast(pa.string())  # text (kept in its chunks), or all null


def undictionary(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A dictionary-encoded column (categorical, or repeated text) as its values."""
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def whole(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def datetime_format(series: pd.Series) -> str:
    """The column's ISO 8601 form: date only for naive whole days, else with the time
    (seconds, or microseconds if some value has a fraction) and the offset if any."""
    tz = getattr(series.dtype, "tz", None)
    naive = series.dt.tz_localize(None) if tz is not None else series
    values = naive.to_numpy()  # datetime64 in the series' own unit: no overflow
    ticks = values[~np.isnat(values)].view(np.int64)
    grain = timestamp_grain(ticks, np.datetime_data(values.dtype)[0])
    return iso_format(grain, tz is not None)


def iso_format(grain: str, aware: bool) -> str:
    """`datetime_format` of timestamps of `grain` (see `timestamp_grain`; the offsets
    of time zones are whole seconds: UTC or wall ticks give one grain)."""
    if grain == "day" and not aware:
        return "%Y-%m-%d"
    fraction = ".us" if grain == "fraction" else ""
    return "%Y-%m-%dT%H:%M:%S" + ("%z" if aware else "") + fraction


def timestamps(series: pd.Series) -> pa.Array:
    values = pa.array(series, from_pandas=True)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def datetime_text(values: pa.Array, fmt: str) -> pa.Array:
    """ISO 8601 text of Arrow timestamps, in their column's `fmt` (datetime_format)."""
    if fmt == "%Y-%m-%d":
        return values.cast(pa.date32(), safe=False).cast(pa.string())
    fmt, unit = (fmt[:-3], "us") if fmt.endswith(".us") else (fmt, "s")
    values = values.cast(pa.timestamp(unit, tz=values.type.tz), safe=False)
    years = pc.min_max(pc.year(values)).as_py()
    low, high = years["min"] or 1000, years["max"] or 1000
    if values.type.tz is None and 1000 <= low <= high <= 9999:
        # Arrow's cast writes "YYYY-MM-DD HH:MM:SS[.ffffff]", ~25x faster than strftime.
        return pc.utf8_replace_slice(values.cast(pa.string()), 10, 11, "T")
    return pc.strftime(values, format=fmt)
