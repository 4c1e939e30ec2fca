"""`{a} <op> {b}`: two columns of the DataTable compared row by row, in Arrow.

Each side is read through its JavaScript views (`Cells`: numbers, strings, upper-cased
strings, dates, from `column_values`), and the comparison follows `compare` row by row
with kernels; `contains` with a column as needle searches each distinct needle's rows
at once when needles are few.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import javascript as js
from .column_values import (
    ARROW_OPS,
    UTF16_OPS,
    ColumnSource,
    Mask,
    high_values,
    js_dates,
    js_numbers,
    js_texts,
    js_uppers,
)
from .substring import contains


class Cells:
    """A column's JSON cells row by row, with the JS views a comparison reads."""

    def __init__(self, source: ColumnSource, name: str) -> None:
        self.source, self.name = source, name
        kind = source.kind(name)
        self.is_number = pa.types.is_floating(kind)
        self.is_text = pa.types.is_string(kind)
        self.is_bool = pa.types.is_boolean(kind)
        # Whether the views below read it (else `_row_pairs` compares in Python).
        self.known = self.is_number or self.is_text or self.is_bool
        column = source.column(name)
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        self.column: pa.Array = column
        self.valid = pc.is_valid(column)

    def _spread(self, values: pa.Array) -> pa.Array:
        _, indices = self.source.slots(self.name)
        return values if indices is None else values.take(indices)

    def numbers(self) -> pa.Array:
        """JS `Number(cell)`, null (0 in JS) where the cell is null."""
        return (
            self.column
            if self.is_number
            else self._spread(js_numbers(self.source, self.name)[0])
        )

    def numeric(self) -> pa.Array:
        if self.is_number:
            return self.valid
        return pc.fill_null(self._spread(js_numbers(self.source, self.name)[1]), False)

    def texts(self) -> pa.Array:
        return (
            self.column
            if self.is_text
            else self._spread(js_texts(self.source, self.name))
        )

    def uppers(self) -> pa.Array:
        return self._spread(js_uppers(self.source, self.name))

    def distinct(self, upper: bool) -> tuple[pa.Array, pa.Array | None]:
        """The JS strings (upper-cased if `upper`) of the column's distinct values,
        and the indices that spread them to the rows (None: one value per row)."""
        _, indices = self.source.slots(self.name)
        return (js_uppers if upper else js_texts)(self.source, self.name), indices

    def dates(self) -> pa.Array:
        return self._spread(js_dates(self.source, self.name))

    def high(self, texts: Callable[[ColumnSource, str], pa.Array]) -> pa.Array:
        """Which cells' `texts` hold characters from U+E000 up (see `text_order`)."""
        return pc.fill_null(
            self._spread(high_values(self.source, self.name, texts)), False
        )

    def strings(self) -> pa.Array:
        """Where the cell is a JS string."""
        return self.valid if self.is_text else pa.array(np.zeros(len(self.valid), bool))


def two_columns(op: str, insensitive: bool, left: Cells, right: Cells) -> Mask:
    """`{left} <op> {right}` on each row, as `compare` (no value is null after), for
    columns the views read (`Cells.known`)."""
    both = pc.and_(left.valid, right.valid)
    if op == "datestartswith":
        return _date_prefixes(left.dates(), right.dates())
    if op == "contains":
        some_text = pc.and_(both, pc.or_(left.strings(), right.strings()))
        if left.name == right.name:  # a text holds itself
            return some_text
        haystacks = left.uppers() if insensitive else left.texts()
        return _row_contains(haystacks, right.distinct(insensitive), some_text)
    if insensitive:
        high = pc.or_(left.high(js_uppers), right.high(js_uppers))
        uppers = _row_order(op, left.uppers(), right.uppers(), high)
        result = pc.and_(both, pc.fill_null(uppers, False))
        if op == "=":  # numbers first
            numeric = pc.and_(left.numeric(), right.numeric())
            numbers = pc.equal(left.numbers(), right.numbers())
            result = pc.if_else(numeric, numbers, result)
        return result
    if op in ("=", "!="):
        numeric = pc.and_(left.numeric(), right.numeric())
        numbers = pc.equal(left.numbers(), right.numbers())
        strict = _strictly_equal(left, right)
        equal = strict if op == "!=" else pc.if_else(numeric, numbers, strict)
        return equal if op == "=" else pc.invert(equal)
    # Two strings compare as strings; anything else as numbers (null is 0).
    numbers = ARROW_OPS[op](
        pc.fill_null(left.numbers(), 0.0), pc.fill_null(right.numbers(), 0.0)
    )
    numbers = pc.fill_null(numbers, False)
    if not (left.is_text and right.is_text):
        return numbers
    high = pc.or_(left.high(js_texts), right.high(js_texts))
    texts = pc.fill_null(_row_order(op, left.texts(), right.texts(), high), False)
    return pc.if_else(pc.and_(left.valid, right.valid), texts, numbers)


def _strictly_equal(left: Cells, right: Cells) -> pa.Array:
    """`a === b` on each row: both null, or the same JSON type and value."""
    both_null = pc.and_(pc.invert(left.valid), pc.invert(right.valid))
    same_type = (
        (left.is_number and right.is_number)
        or (left.is_text and right.is_text)
        or (left.is_bool and right.is_bool)
    )
    if not same_type:
        return both_null
    return pc.or_(both_null, pc.fill_null(pc.equal(left.column, right.column), False))


def _row_order(op: str, left: pa.Array, right: pa.Array, high: pa.Array) -> pa.Array:
    """`left <op> right` on each row of two string arrays, in UTF-16 order (the rows
    `high` marks compared in Python, see `text_order`)."""
    result = ARROW_OPS[op](left, right)
    if op in ("=", "!=") or not pc.any(high).as_py():
        return result
    order = UTF16_OPS[op]
    pairs = zip(
        left.filter(high).to_pylist(), right.filter(high).to_pylist(), strict=True
    )
    checked = [
        a is not None and b is not None and order(js.utf16(a), js.utf16(b))
        for a, b in pairs
    ]
    return pc.replace_with_mask(result, high, pa.array(checked, pa.bool_()))


#: Up to this many distinct needles, `_row_contains` searches each needle's rows with
#: one kernel call (~30 µs each); beyond, Python tests row by row (~0.1 µs a row).
_NEEDLE_GROUPS = 256


def _row_contains(
    haystacks: pa.Array, needles: tuple[pa.Array, pa.Array | None], where: pa.Array
) -> pa.Array:
    """Whether each haystack holds its row's needle, where `where` holds. `needles`:
    the distinct needles and the indices that spread them to the rows (see
    `Cells.distinct`).

    No kernel takes a needle per row. When the needles are few (a category column:
    `{name} contains {category}`, 1M rows: ~30 ms against ~130 ms row by row),
    each needle's rows are searched for it at once.
    """
    values, indices = needles
    if indices is None or len(values) > _NEEDLE_GROUPS:
        every = values if indices is None else values.take(indices)
        return _each_row_contains(haystacks, every, where)
    found = np.zeros(len(where), bool)
    rows = np.flatnonzero(pc.fill_null(where, False).to_numpy(zero_copy_only=False))
    if not len(rows):
        return pa.array(found)
    # The rows of each needle together (a radix sort of 16-bit codes), their
    # haystacks taken once in that order and searched a slice per needle.
    codes = pc.fill_null(indices, 0).to_numpy()[rows].astype(np.uint16)
    order = np.argsort(codes, kind="stable")
    rows = rows[order]
    bounds = np.searchsorted(codes[order], np.arange(len(values) + 1))
    haystacks = haystacks.take(rows)
    hits = []
    for code, needle in enumerate(values.to_pylist()):
        start, stop = bounds[code], bounds[code + 1]
        if start < stop:
            group = haystacks.slice(start, stop - start)
            if needle is None:  # null needles only where `where` is false
                hits.append(np.zeros(stop - start, bool))
            else:
                found_in = pc.fill_null(contains(group, needle), False)
                hits.append(found_in.to_numpy(zero_copy_only=False))
    found[rows] = np.concatenate(hits)
    return pa.array(found)


def _each_row_contains(
    haystacks: pa.Array, needles: pa.Array, where: pa.Array
) -> pa.Array:
    """`_row_contains` row by row, in Python (~0.1 µs a row)."""
    # Only a needle no longer than its haystack may be in it.
    fits = pc.less_equal(pc.utf8_length(needles), pc.utf8_length(haystacks))
    where = pc.fill_null(pc.and_(where, fits), False)
    found = np.zeros(len(where), bool)
    rows = np.flatnonzero(where.to_numpy(zero_copy_only=False))
    pairs = zip(
        haystacks.take(rows).to_pylist(), needles.take(rows).to_pylist(), strict=True
    )
    found[rows] = [needle in haystack for haystack, needle in pairs]
    return pa.array(found)


def _date_prefixes(dates: pa.Array, prefixes: pa.Array) -> pa.Array:
    """Whether each normalised date starts with its row's (one kernel per length:
    normalised dates have few lengths)."""
    lengths = pc.utf8_length(prefixes)
    result = pa.array(np.zeros(len(dates), bool))
    for size in pc.unique(lengths.filter(pc.is_valid(lengths))).to_pylist():
        starts = pc.equal(pc.utf8_slice_codeunits(dates, 0, size), prefixes)
        this_size = pc.equal(lengths, size)
        result = pc.or_(result, pc.fill_null(pc.and_(this_size, starts), False))
    return result
