"""Evaluate a DataTable filter query on a whole table at once, as the browser would.

`FilterQuery(text)` parses once; `.mask(view)` gives the rows to keep as an Arrow
boolean array, computed column-wise with pyarrow.compute; `.matches(row)` evaluates
one row the slow, obvious way and is the reference the fast path is tested against.

Where the native table would throw (a case-insensitive operator on an empty cell, a
tree the parser built without an operator, a missing column in a query its filter
row reads), the comparison counts as not matching: the rest of the query still
applies and nothing raises.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import js
from .grammar import (
    AND,
    BLOCK_OPEN,
    FIELD,
    NOT,
    OR,
    Kind,
    Node,
    Token,
    field_name,
    filter_row_statements,
    literal,
    parse,
)
from .js import UNDEFINED, JsTypeError, JsValue
from .substring import contains

Mask = pa.BooleanArray | pa.ChunkedArray | bool  # a constant stands for every row


class _Field(str):
    """An operand naming a column of the source. Its values are read only where
    they count: a comparison that can run on the column's dictionary codes never
    converts it. (Columns may come in chunks, as text decoded from Parquet does.)"""


class ColumnSource(Protocol):
    """What the filter reads: JSON-typed Arrow columns (see table_view.TableView)."""

    num_rows: int

    def column(self, name: str) -> pa.Array | pa.ChunkedArray | None: ...

    def kind(self, name: str) -> pa.DataType | None: ...  # column(name).type, cheaply

    def is_plain_text(self, name: str) -> bool: ...

    def encoded(self, name: str) -> pa.DictionaryArray: ...


# -- one value (the reference semantics, from lexeme/relational.ts and unary.ts) -----


def _upper(value: JsValue) -> str:
    return js.to_upper(js.to_string(value))


def _nil(value: JsValue) -> bool:
    return value is None or value is UNDEFINED


def compare(op: str, insensitive: bool, lhs: JsValue, rhs: JsValue) -> bool:
    """`lhs <op> rhs` as the table evaluates it; raises JsTypeError where JS throws."""
    if op == "contains":
        if _nil(lhs) or _nil(rhs) or not (isinstance(lhs, str) or isinstance(rhs, str)):
            return False
        if insensitive:
            return _upper(rhs) in _upper(lhs)
        return js.to_string(rhs) in js.to_string(lhs)
    if op == "datestartswith":
        left = js.normalize_date(_date_text(lhs))
        right = js.normalize_date(_date_text(rhs))
        return left is not None and right is not None and left.startswith(right)
    if op == "=":
        if js.is_numeric(lhs) and js.is_numeric(rhs):
            return js.to_number(lhs) == js.to_number(rhs)
        if insensitive:
            return _upper(lhs) == _upper(rhs)
        return js.strictly_equal(lhs, rhs)
    if insensitive:
        lhs, rhs = _upper(lhs), _upper(rhs)
    if op == "!=":
        return not js.strictly_equal(lhs, rhs)
    if op == "<":
        return js.less_than(lhs, rhs)
    if op == "<=":
        return js.less_or_equal(lhs, rhs)
    if op == ">":
        return js.less_than(rhs, lhs)
    if op == ">=":
        return js.less_or_equal(rhs, lhs)
    raise ValueError(f"unknown operator {op!r}")


def _date_text(value: JsValue) -> JsValue:
    return js.number_to_string(value) if _is_number(value) else value


def _is_number(value: JsValue) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def _is_prime(number: float) -> bool:
    """checkPrimality() for JS numbers, without its trial division on big integers."""
    if number == 2:
        return True
    if number < 2 or math.fmod(number, 2) == 0:
        return False
    if not number.is_integer():
        return True  # no odd integer divides a fraction: the JS loop finds nothing
    n = int(number)
    small = (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
    if n in small:
        return True
    if any(n % p == 0 for p in small):
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in small:  # deterministic Miller-Rabin below 3.3e24 (odd n < 2**53 here)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


UNARY_TESTS: dict[str, Callable[[JsValue], bool]] = {
    "is blank": lambda v: _nil(v) or v == "",
    "is bool": lambda v: isinstance(v, bool),
    "is even": lambda v: _is_number(v) and math.fmod(v, 2) == 0,
    "is nil": _nil,
    "is num": _is_number,
    "is object": lambda v: False,  # JSON cells and literals are never objects here
    "is odd": lambda v: _is_number(v) and math.fmod(v, 2) == 1,
    "is prime": lambda v: _is_number(v) and _is_prime(v),
    "is str": lambda v: isinstance(v, str),
}


def _safe(test: Callable[[], bool]) -> bool:
    try:
        return test()
    except JsTypeError:
        return False


# -- the whole query ---------------------------------------------------------------


class FilterQuery:
    """A parsed DataTable `filter_query`: `valid`, `error`, `mask()`, `matches()`."""

    def __init__(self, text: str | None) -> None:
        parsed = parse(text or "")
        self.text = parsed.text
        self.valid = parsed.valid
        self.error = parsed.error
        self.tree = parsed.tree
        self._row_statements = filter_row_statements(self.text) if self.valid else None

    def _table_throws(self, has_column: Callable[[str], bool]) -> bool:
        """Whether the table's filter row would throw on a missing column here."""
        return any(
            statement.left is None
            or statement.left.token.lexeme is not FIELD
            or not has_column(field_name(statement.left.token))
            for statement in self._row_statements or ()
        )

    @property
    def keeps_everything(self) -> bool:
        """Invalid and empty queries filter nothing; so does a tree with no operator."""
        return not self.valid or self.tree is None or not _evaluates(self.tree)

    def matches(self, row: Mapping[str, JsValue]) -> bool:
        """Whether the native table keeps `row` (a dict of JSON values)."""
        if self.keeps_everything:
            return True
        assert self.tree is not None
        if self._table_throws(lambda name: name in row):
            row = _NoMissingColumns(row)
        return _row(self.tree, row)

    def mask(self, source: ColumnSource) -> pa.BooleanArray | None:
        """The rows of `source` the native table keeps; None when it keeps them all."""
        if self.keeps_everything:
            return None
        assert self.tree is not None
        if self._table_throws(lambda name: source.kind(name) is not None):
            source = _NoMissingColumnsSource(source)
        mask = _columns(self.tree, source)
        if isinstance(mask, bool):
            return None if mask else pa.array(np.zeros(source.num_rows, dtype=bool))
        return mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask


# Where the table throws on a missing column (see grammar.filter_row_statements), a
# comparison with one does not match, rather than compare with `undefined`.


class _NoMissingColumns(dict):
    def get(self, name: str, default: JsValue = None) -> JsValue:
        if name not in self:
            raise JsTypeError(f"column {name} not found")
        return self[name]


class _NoMissingColumnsSource:
    def __init__(self, source: ColumnSource) -> None:
        self._source = source
        self.num_rows = source.num_rows

    def column(self, name: str) -> pa.Array | pa.ChunkedArray | None:
        column = self._source.column(name)
        if column is None:
            raise JsTypeError(f"column {name} not found")
        return column

    def kind(self, name: str) -> pa.DataType | None:
        kind = self._source.kind(name)
        if kind is None:
            raise JsTypeError(f"column {name} not found")
        return kind

    def is_plain_text(self, name: str) -> bool:
        return self._source.is_plain_text(name)

    def encoded(self, name: str) -> pa.DictionaryArray:
        return self._source.encoded(name)


def _evaluates(node: Node) -> bool:
    lexeme = node.token.lexeme
    return lexeme.kind not in (Kind.EXPRESSION, Kind.BLOCK_CLOSE)


def _resolve_row(node: Node | None, row: Mapping[str, JsValue]) -> JsValue:
    if node is None or node.token.lexeme.kind is not Kind.EXPRESSION:
        raise JsTypeError("not an operand")
    if node.token.lexeme is FIELD:
        return row.get(field_name(node.token), UNDEFINED)
    return literal(node.token)


def _op(token: Token) -> tuple[str, bool]:
    # `relOp[0] == 'i'` in the table: a capital `I` prefix is case-sensitive there.
    return token.lexeme.name, token.value[0] == "i"


def _row(node: Node | None, row: Mapping[str, JsValue]) -> bool:
    if node is None:
        return False
    lexeme = node.token.lexeme
    if lexeme is AND:
        left, right = _row(node.left, row), _row(node.right, row)
        return left and right
    if lexeme is OR:
        return _row(node.left, row) or _row(node.right, row)
    if lexeme is NOT:
        return not _row(node.right, row)
    if lexeme is BLOCK_OPEN:
        return _row(node.block, row)
    if lexeme.kind is Kind.RELATIONAL:
        op, insensitive = _op(node.token)
        return _safe(
            lambda: compare(
                op,
                insensitive,
                _resolve_row(node.left, row),
                _resolve_row(node.right, row),
            )
        )
    if lexeme.kind is Kind.UNARY:
        return _safe(lambda: UNARY_TESTS[lexeme.name](_resolve_row(node.left, row)))
    return False  # no operator here: JS throws, we do not match


# -- whole columns -------------------------------------------------------------------


def _and(left: Mask, right: Mask) -> Mask:
    if isinstance(left, bool):
        return right if left else False
    if isinstance(right, bool):
        return left if right else False
    return pc.and_(left, right)


def _or(left: Mask, right: Mask) -> Mask:
    if isinstance(left, bool):
        return True if left else right
    if isinstance(right, bool):
        return True if right else left
    return pc.or_(left, right)


def _not(mask: Mask) -> Mask:
    return (not mask) if isinstance(mask, bool) else pc.invert(mask)


def _columns(node: Node | None, source: ColumnSource) -> Mask:
    if node is None:
        return False
    lexeme = node.token.lexeme
    if lexeme is AND:
        return _and(_columns(node.left, source), _columns(node.right, source))
    if lexeme is OR:
        return _or(_columns(node.left, source), _columns(node.right, source))
    if lexeme is NOT:
        return _not(_columns(node.right, source))
    if lexeme is BLOCK_OPEN:
        return _columns(node.block, source)
    if lexeme.kind is Kind.RELATIONAL:
        return _relational(node, source)
    if lexeme.kind is Kind.UNARY:
        return _unary(node, source)
    return False


def _operand(node: Node | None, source: ColumnSource) -> _Field | JsValue:
    """A `_Field` for a column of `source`, else the JS value; raises JsTypeError if
    neither."""
    if node is None or node.token.lexeme.kind is not Kind.EXPRESSION:
        raise JsTypeError("not an operand")
    if node.token.lexeme is FIELD:
        name = field_name(node.token)
        return UNDEFINED if source.kind(name) is None else _Field(name)
    return literal(node.token)


def _unary(node: Node, source: ColumnSource) -> Mask:
    test = UNARY_TESTS[node.token.lexeme.name]
    try:
        value = _operand(node.left, source)
    except JsTypeError:
        return False
    if isinstance(value, _Field):
        column = source.column(value)
        assert column is not None
        return _each_value(column, test, lambda: source.encoded(value))
    return test(value)


def _relational(node: Node, source: ColumnSource) -> Mask:
    op, insensitive = _op(node.token)
    try:
        lhs = _operand(node.left, source)
        rhs = _operand(node.right, source)
    except JsTypeError:
        return False
    left_is_column, right_is_column = isinstance(lhs, _Field), isinstance(rhs, _Field)
    if not left_is_column and not right_is_column:
        return _safe(lambda: compare(op, insensitive, lhs, rhs))
    if left_is_column and right_is_column:
        left, right = source.column(lhs), source.column(rhs)
        assert left is not None
        assert right is not None
        pairs = zip(left.to_pylist(), right.to_pylist(), strict=True)
        return pa.array(
            [_safe(lambda a=a, b=b: compare(op, insensitive, a, b)) for a, b in pairs],
            pa.bool_(),
        )
    if left_is_column:
        name, value, flipped = lhs, rhs, op
    else:
        name, value, flipped = rhs, lhs, _MIRRORED.get(op)

    def test(cell: JsValue) -> bool:
        if left_is_column:
            return compare(op, insensitive, cell, value)
        return compare(op, insensitive, value, cell)

    fast = flipped and _fast(flipped, insensitive, source, name, value)
    if fast is not None:
        return _fill_nulls(fast, lambda: test(None))
    column = source.column(name)
    assert column is not None
    return _each_value(column, test, lambda: source.encoded(name))


# `value <op> {field}` is `{field} <mirrored op> value` (contains is not symmetric).
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


def _fill_nulls(mask: pa.Array, for_null: Callable[[], bool]) -> pa.BooleanArray:
    """`mask` for cells with a value; what JS gives for null elsewhere (`_fast`
    masks are null exactly where the cell is)."""
    if mask.null_count == 0:
        return mask
    return pc.fill_null(mask, _safe(for_null))


_ARROW_OPS = {
    "=": pc.equal,
    "!=": pc.not_equal,
    "<": pc.less,
    "<=": pc.less_equal,
    ">": pc.greater,
    ">=": pc.greater_equal,
}


def _fast(
    op: str, insensitive: bool, source: ColumnSource, name: str, value: JsValue
) -> pa.Array | None:
    """`{name} <op> value` with Arrow kernels where they agree with JS; else None.

    Null cells come back null, and only they (the caller fills them). Order and
    case-insensitive matching use Arrow only on ASCII text, where its byte order and
    case folding are JavaScript's. Equality on text runs on its dictionary codes.
    """
    kind = source.kind(name)
    if kind is not None and pa.types.is_floating(kind):
        if insensitive or op not in _ARROW_OPS or not isinstance(value, float | str):
            return None
        column = source.column(name)
        if isinstance(value, str) and op == "!=":  # a number is never === a string
            return pc.if_else(pc.is_valid(column), True, pa.scalar(None, pa.bool_()))
        if isinstance(value, str) and op == "=" and not js.is_numeric(value):
            return pc.equal(column, math.nan)  # strict: never equal
        return _ARROW_OPS[op](column, js.to_number(value))
    if kind is None or not pa.types.is_string(kind) or not isinstance(value, str):
        return None
    if op == "contains":
        if not insensitive:
            return contains(source.column(name), value)
        if value.isascii() and source.is_plain_text(name):
            return contains(pc.ascii_lower(source.column(name)), value.lower())
        return None
    # `!=` is always strict; a non-numeric side makes `=` strict: string equality,
    # done on the dictionary codes (one integer compare a row).
    if not insensitive and (op == "!=" or (op == "=" and not js.is_numeric(value))):
        encoded = source.encoded(name)
        position = pc.index(encoded.dictionary, value).as_py()
        if position < 0:
            valid = pc.is_valid(encoded.indices)
            equal = pc.if_else(valid, False, pa.scalar(None, pa.bool_()))
        else:
            equal = pc.equal(encoded.indices, position)
        return equal if op == "=" else pc.invert(equal)
    if (
        op in ("<", "<=", ">", ">=")
        and not insensitive
        and value.isascii()
        and source.is_plain_text(name)
    ):
        return _ARROW_OPS[op](source.column(name), value)
    return None


def _each_value(
    column: pa.Array,
    test: Callable[[JsValue], bool],
    encode: Callable[[], pa.DictionaryArray] | None = None,
) -> pa.BooleanArray:
    """Apply `test` once per distinct value (null included) and spread the results."""
    if pa.types.is_boolean(column.type):
        on_true, on_false = _safe(lambda: test(True)), _safe(lambda: test(False))
        result = pc.if_else(column, on_true, on_false)
    else:
        encoded = encode() if encode else pc.dictionary_encode(column)
        values = encoded.dictionary.to_pylist()
        results = pa.array([_safe(lambda v=v: test(v)) for v in values], pa.bool_())
        result = results.take(encoded.indices)
    if column.null_count:
        result = pc.fill_null(result, _safe(lambda: test(None)))
    return result
