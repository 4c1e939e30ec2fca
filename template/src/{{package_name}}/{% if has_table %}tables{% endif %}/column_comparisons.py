"""One column against one value: the fast paths of the DataTable filter.

`{column} <op> value` (or `value <op> {column}`) and `{column} is <test>` on a number or
text column, as Arrow kernels over the column or its distinct values (see
`column_values`); None where a column has no such path (booleans, other types), and
the filter then tests each distinct value with the reference (`_each_value`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import javascript as js
from .column_values import (
    ARROW_OPS,
    ColumnSource,
    Mask,
    high_values,
    js_dates,
    js_numbers,
    js_texts,
    js_uppers,
    per_value,
    text_order,
)
from .datatable_reference import date_text, unless_throws
from .javascript import JsValue
from .primes import primes
from .substring import contains


def unary_column(
    test: str, source: ColumnSource, name: str
) -> Callable[[], pa.Array] | bool | None:
    """`{name} <test>` on a number or text column: a constant, or how to compute it
    (cached by the caller: it depends on the column alone); None for other columns."""
    kind, column = source.kind(name), source.column(name)
    if pa.types.is_floating(kind):
        if test in ("is blank", "is nil"):
            return lambda: pc.is_null(column)
        if test == "is num":
            return lambda: pc.is_valid(column)
        if test in ("is even", "is odd"):
            rest = 0 if test == "is even" else 1
            # (NaN where a cell is null: never equal)
            return lambda: pa.array(
                np.fmod(column.to_numpy(zero_copy_only=False), 2) == rest
            )
        if test == "is prime":
            return lambda: pa.array(primes(column))
        return False  # is str, is bool, is object: never a number
    if pa.types.is_string(kind):
        if test == "is blank":
            return lambda: pc.fill_null(pc.equal(column, ""), True)
        if test == "is nil":
            return lambda: pc.is_null(column)
        if test == "is str":
            return lambda: pc.is_valid(column)
        return False  # text is never a number, a boolean or an object
    return None


def fill_nulls(mask: pa.Array, for_null: Callable[[], bool]) -> pa.BooleanArray:
    """`mask` for cells with a value; what JS gives for null elsewhere (the fast
    masks are null exactly where the cell is)."""
    if mask.null_count == 0:
        return mask
    return pc.fill_null(mask, unless_throws(for_null))


def column_against(
    op: str,
    insensitive: bool,
    source: ColumnSource,
    name: str,
    kind: pa.DataType,
    value: JsValue,
) -> Mask | None:
    """`{name} <op> value` on a number or text column (null where the cell is);
    None for other columns (booleans: `_each_value` tests their two values)."""
    is_number = pa.types.is_floating(kind)
    if not is_number and not pa.types.is_string(kind):
        return None
    if op == "datestartswith":
        return _date_starts(source, name, value)
    if op == "contains":
        if is_number and not isinstance(value, str):
            return False  # neither side is text
        needle = js.to_string(value)
        if insensitive:
            upper = js.to_upper(needle)
            return per_value(
                source, name, lambda: contains(js_uppers(source, name), upper)
            )
        if is_number:
            return per_value(
                source, name, lambda: contains(js_texts(source, name), needle)
            )
        return contains(source.column(name), needle)
    numeric = js.is_numeric(value)
    if insensitive:
        # Both numeric: compared as numbers; else their upper-cased strings.
        target = js.to_upper(js.to_string(value))

        def upper_cased() -> pa.Array:
            texts = text_order(
                op,
                js_uppers(source, name),
                target,
                lambda: high_values(source, name, js_uppers),
            )
            if op != "=" or not numeric:
                return texts
            numbers, is_numeric = js_numbers(source, name)
            return pc.if_else(is_numeric, pc.equal(numbers, js.to_number(value)), texts)

        return per_value(source, name, upper_cased)
    if is_number:
        column = source.column(name)
        if isinstance(value, str) and op == "!=":  # a number is never === a string
            return pc.if_else(pc.is_valid(column), True, pa.scalar(None, pa.bool_()))
        if isinstance(value, str) and op == "=" and not numeric:
            return pc.equal(column, math.nan)  # strict: never equal
        return ARROW_OPS[op](column, js.to_number(value))
    if op in ("=", "!="):
        if not isinstance(value, str):  # a number: never === a string
            if op == "!=":
                return True
            return per_value(source, name, lambda: _number_equal(source, name, value))
        if op == "=" and numeric:
            return per_value(source, name, lambda: _number_equal(source, name, value))
        return _text_equal(op, source.encoded(name), value)
    if isinstance(value, str):  # text against text: UTF-16 order
        return per_value(
            source,
            name,
            lambda: text_order(
                op,
                js_texts(source, name),
                value,
                lambda: high_values(source, name, js_texts),
            ),
        )
    # Text against a number: compared as numbers (NaN compares false).
    return per_value(
        source, name, lambda: ARROW_OPS[op](js_numbers(source, name)[0], value)
    )


def _number_equal(source: ColumnSource, name: str, value: JsValue) -> pa.Array:
    """Which distinct texts of column `name` are numbers equal to `value`."""
    numbers, numeric = js_numbers(source, name)
    return pc.and_(numeric, pc.equal(numbers, js.to_number(value)))


def _text_equal(op: str, encoded: pa.DictionaryArray, value: str) -> pa.Array:
    """`{text} = value` (or !=) as a strict string comparison, on the column's
    dictionary codes: one integer comparison per row."""
    position = pc.index(encoded.dictionary, value).as_py()
    if position < 0:
        valid = pc.is_valid(encoded.indices)
        equal = pc.if_else(valid, False, pa.scalar(None, pa.bool_()))
    else:
        equal = pc.equal(encoded.indices, position)
    return equal if op == "=" else pc.invert(equal)


def value_against(
    op: str,
    insensitive: bool,
    source: ColumnSource,
    name: str,
    kind: pa.DataType,
    value: JsValue,
) -> Mask | None:
    """`value contains {name}` and `value datestartswith {name}` (the column is the
    needle or the prefix); None for columns other than numbers and text."""
    if not (pa.types.is_floating(kind) or pa.types.is_string(kind)):
        return None
    if op == "datestartswith":
        date = js.normalize_date(date_text(value))
        if date is None:
            return False
        prefixes = pa.array([date[:size] for size in range(len(date) + 1)])
        return per_value(
            source, name, lambda: pc.is_in(js_dates(source, name), value_set=prefixes)
        )
    if pa.types.is_floating(kind) and not isinstance(value, str):
        return False  # neither side is text
    haystack = js.to_string(value)
    texts = js_texts
    if insensitive:
        haystack, texts = js.to_upper(haystack), js_uppers
    return per_value(
        source,
        name,
        lambda: pa.array(
            [text in haystack for text in texts(source, name).to_pylist()], pa.bool_()
        ),
    )


def _date_starts(source: ColumnSource, name: str, value: JsValue) -> Mask:
    """`{name} datestartswith value`: the normalised dates of the cells start with
    the normalised date of the value."""
    prefix = js.normalize_date(date_text(value))
    if prefix is None:
        return False
    fmt = source.date_format(name)
    if fmt is None or not _iso_years(source, name):
        return per_value(
            source,
            name,
            lambda: pc.fill_null(pc.starts_with(js_dates(source, name), prefix), False),
        )
    # The ISO text of timestamps, one form for the whole column: its normal form is
    # the text with " " for "T", without the offset, `size` characters long.
    size = 10 if fmt == "%Y-%m-%d" else 26 if fmt.endswith(".us") else 19
    if len(prefix) > size:
        return False
    if len(prefix) > 10:
        prefix = prefix[:10] + "T" + prefix[11:]
    return pc.starts_with(source.column(name), prefix)


def _iso_years(source: ColumnSource, name: str) -> bool:
    """Whether every date of column `name` has a 4-digit year (the text of Arrow's
    cast; strftime writes other years otherwise)."""
    return source.derived(
        name,
        "iso years",
        lambda: (
            pc.all(pc.match_substring_regex(source.column(name), "^[0-9]{4}-")).as_py()
            is not False
        ),
    )
