"""The columns of a frame as the charts see them: named as strings, typed as numbers,
dates or text, and turned into the values plotly draws, with text escaped.

Text from the data (column names, category labels, values on an axis) is escaped in
every string of a figure: plotly.js renders a subset of HTML in them, so a cell holding
`<a href="...">` would otherwise be a live link in the legend.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .limits import GraphError, shown

_PER_MS = {
    "s": 1e-3,
    "ms": 1.0,
    "us": 1e3,
    "ns": 1e6,
}  # datetime64 ticks per millisecond


def column_names(df: pd.DataFrame) -> dict[str, Any]:
    """The frame's columns by name as a string (the dropdowns' values)."""
    names = {str(column): column for column in df.columns}
    if len(names) != len(df.columns):
        raise GraphError(
            "column names must be distinct as strings, got "
            f"{[str(c) for c in df.columns]}"
        )
    return names


def unknown_column(role: str, name: Any, names: Sequence[str]) -> str:
    """The message for a column `name` (for x, y or colour) the frame does not have."""
    listed = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
    return (
        f"{role}: there is no column {shown(name)} in the data (columns: "
        f"{listed or 'none'})"
    )


def column_named(
    df: pd.DataFrame, columns: dict[str, Any], role: str, name: str | None
) -> pd.Series | None:
    """The column named `name` (None for none), or a GraphError naming the problem."""
    if name is None:
        return None
    if not isinstance(name, str) or name not in columns:
        raise GraphError(unknown_column(role, name, list(columns)))
    return df[columns[name]]


def default_columns(df: pd.DataFrame) -> dict[str, str | None]:
    """The x, y and colour a new graph of `df` shows, chosen from the dtypes.

    x: the first datetime column, else the first numeric one, else the first
    column; y: the first numeric column that is not x; colour: the first other
    column of text, categories or booleans with at most 20 distinct values.
    """
    columns = column_names(df)
    numeric = [n for n, c in columns.items() if is_number(df[c])]
    dates = [n for n, c in columns.items() if is_datetime(df[c])]
    x = (dates or numeric or list(columns) or [None])[0]
    y = next((n for n in numeric if n != x), None)
    color = None
    for name, label in columns.items():
        series = df[label]
        if name in (x, y) or is_number(series) or is_datetime(series):
            continue
        # A look at the first rows rules most text columns out without a full scan.
        try:
            few = series.iloc[:1000].nunique() <= 20 and series.nunique() <= 20
        except TypeError:  # unhashable values (lists, dicts)
            few = False
        if few:
            color = name
            break
    return {"x": x, "y": y, "color": color}


def dtype(series: pd.Series) -> Any:
    """The dtype of the values (a categorical's categories), without converting."""
    kind = series.dtype
    return kind.categories.dtype if isinstance(kind, pd.CategoricalDtype) else kind


def is_number(series: pd.Series) -> bool:
    """Numbers (not booleans), categorical or not."""
    kind = dtype(series)
    return pd.api.types.is_numeric_dtype(kind) and not pd.api.types.is_bool_dtype(kind)


def is_datetime(series: pd.Series) -> bool:
    """Dates and times, with a time zone or without, categorical or not."""
    return pd.api.types.is_datetime64_any_dtype(dtype(series))


def plain(series: pd.Series) -> pd.Series:
    """Categoricals as their categories' type, time zones as wall-clock time."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(series.dtype.categories.dtype)
    if getattr(series.dtype, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    return series


def plotted(series: pd.Series, *, escape: bool = True) -> np.ndarray:
    """What plotly draws for `series`: numbers as float64, datetimes as float64
    milliseconds since 1970 for a date axis (both sent as binary, NaN where missing),
    anything else as text (None where missing), `escaped` unless `escape` is False."""
    series = plain(series)
    if is_number(series):
        return series.to_numpy(dtype="float64", na_value=np.nan)
    if is_datetime(series):
        ticks = series.to_numpy()
        ms = ticks.view(np.int64) / _PER_MS[np.datetime_data(ticks.dtype)[0]]
        ms[np.isnat(ticks)] = np.nan
        return ms
    text = series.astype(str).to_numpy(dtype=object)
    text[series.isna().to_numpy()] = None
    if escape:
        text[:] = [escaped(value) for value in text]
    return text


def date_axis(series: pd.Series | None) -> bool:
    """Whether `series` is drawn on a date axis (its values are milliseconds)."""
    return series is not None and is_datetime(series)


def as_numbers(series: pd.Series, role: str, name: str | None, why: str) -> np.ndarray:
    """`series` as float64 (booleans as 0/1), or a GraphError saying why it must be."""
    if not pd.api.types.is_numeric_dtype(dtype(series)):
        raise GraphError(f"{why}: {role} {name!r} must be numeric, not {series.dtype}")
    return plain(series).to_numpy(dtype="float64", na_value=np.nan)


def labels_of(labels: list[Any], codes: np.ndarray) -> np.ndarray:
    """The labels of `codes`; numbers (and dates, as ms) as a typed array."""
    picked = [labels[c] for c in codes]
    typed = np.asarray(picked)
    return typed if typed.dtype.kind in "fiu" else np.array(picked, dtype=object)


def escaped(text: Any) -> Any:
    """`text` with `&`, `<` and `>` as HTML entities: plotly.js renders a subset of
    HTML in its strings (`<a href>` is a live link) and shows entities as the
    characters they stand for. None stays None."""
    return None if text is None else html.escape(str(text), quote=False)
