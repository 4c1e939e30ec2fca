"""What the DataTable filter derives from one column alone, per distinct value.

A comparison reads a column through JavaScript's eyes: its cells as `String(cell)`,
upper-cased, as `Number(cell)`, as normalised dates. Each view is computed once per
column over its distinct values (`ColumnSource.slots`: the dictionary, or the rows of
a column of mostly distinct values), kept with the view (`ColumnSource.derived`), and
spread to the rows by `per_value`. `ColumnSource` is what every filter module reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import javascript as js

Mask = pa.BooleanArray | pa.ChunkedArray | bool  # a constant stands for every row
T = TypeVar("T")


class ColumnSource(Protocol):
    """What the filter reads: JSON-typed Arrow columns (see table_view.TableView)."""

    num_rows: int

    def column(self, name: str) -> pa.Array | pa.ChunkedArray | None: ...

    def kind(self, name: str) -> pa.DataType | None: ...  # column(name).type, cheaply

    def encoded(self, name: str) -> pa.DictionaryArray: ...

    # The values a per-value computation runs on, and the indices spreading its
    # results to the rows (None: the values are the rows).
    def slots(self, name: str) -> tuple[pa.Array, pa.Array | None]: ...

    # The strftime form of a datetime column's ISO text; None for other columns.
    def date_format(self, name: str) -> str | None: ...

    # `build()`, made once per column and `what`, and kept as long as the source.
    def derived(self, name: str, what: str, build: Callable[[], T]) -> T: ...


ARROW_OPS = {
    "=": pc.equal,
    "!=": pc.not_equal,
    "<": pc.less,
    "<=": pc.less_equal,
    ">": pc.greater,
    ">=": pc.greater_equal,
}


def per_value(
    source: ColumnSource, name: str, compute: Callable[[], pa.Array]
) -> pa.Array:
    """`compute()`, a result per distinct value of column `name` (its dictionary,
    or its rows: `ColumnSource.slots`), spread to the rows: null where the cell is."""
    _, indices = source.slots(name)
    return compute() if indices is None else compute().take(indices)


def _distinct(source: ColumnSource, name: str) -> tuple[pa.Array, pa.DataType]:
    values, _ = source.slots(name)
    return values, values.type


def js_texts(source: ColumnSource, name: str) -> pa.Array:
    """JS `String(value)` of each distinct value of column `name`."""

    def build() -> pa.Array:
        values, kind = _distinct(source, name)
        if pa.types.is_floating(kind):
            return js.number_texts(values)
        if pa.types.is_boolean(kind):
            return pc.if_else(values, "true", "false")
        return values.cast(pa.string())

    return source.derived(name, "texts", build)


def js_uppers(source: ColumnSource, name: str) -> pa.Array:
    """JS `String(value).toUpperCase()` of each distinct value of column `name`."""
    return source.derived(
        name, "upper texts", lambda: js.upper_texts(js_texts(source, name))
    )


def js_numbers(source: ColumnSource, name: str) -> tuple[pa.Array, pa.Array]:
    """JS `Number(value)` of each distinct value of column `name`, and whether
    fast-isnumeric calls it a number."""

    def build() -> tuple[pa.Array, pa.Array]:
        values, kind = _distinct(source, name)
        if pa.types.is_floating(kind):
            return values, pa.array(np.ones(len(values), dtype=bool))
        if pa.types.is_boolean(kind):
            return values.cast(pa.float64()), pa.array(np.zeros(len(values), bool))
        return js.text_numbers(values.cast(pa.string()))

    return source.derived(name, "numbers", build)


def js_dates(source: ColumnSource, name: str) -> pa.Array:
    """The table's `normalizeDate` of each distinct value of column `name` (numbers
    as their text, as `datestartswith` reads them); null where not a date."""

    def build() -> pa.Array:
        values, kind = _distinct(source, name)
        if pa.types.is_floating(kind):
            return js.number_dates(values)
        if pa.types.is_string(kind):
            return js.normalize_dates(values.cast(pa.string()))
        return pa.nulls(len(values), pa.string())

    return source.derived(name, "dates", build)


def high_values(
    source: ColumnSource, name: str, texts: Callable[[ColumnSource, str], pa.Array]
) -> pa.Array:
    """`js.has_high` of `texts(source, name)` (`js_texts` or `js_uppers`), cached."""
    return source.derived(
        name, f"high {texts.__name__}", lambda: js.has_high(texts(source, name))
    )


def text_order(
    op: str, values: pa.Array, text: str, high: Callable[[], pa.Array]
) -> pa.Array:
    """`values <op> text` as JS compares strings (by UTF-16 code units). Arrow
    compares UTF-8 bytes, which orders alike unless both sides hold characters from
    U+E000 up: the values `high()` marks are compared in Python then."""
    result = ARROW_OPS[op](values, text)
    if op in ("=", "!=") or not any(c >= "\ue000" for c in text):
        return result
    marked = high()
    if not pc.any(marked).as_py():
        return result
    order = UTF16_OPS[op]
    key = js.utf16(text)
    checked = [order(js.utf16(v), key) for v in values.filter(marked).to_pylist()]
    return pc.replace_with_mask(result, marked, pa.array(checked, pa.bool_()))


UTF16_OPS: dict[str, Callable[[bytes, bytes], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
