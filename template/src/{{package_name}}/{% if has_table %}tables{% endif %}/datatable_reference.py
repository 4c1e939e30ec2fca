"""The DataTable filter on one value or one row: the table's own semantics
(dash-table's `lexeme/relational.ts` and `unary.ts`), written plainly.

`compare` and `UNARY_TESTS` are the reference the column-wise filter is tested
against; `row_matches` evaluates one comparison of a query on a row (a dict of JSON
values). `_each_value` and `_row_pairs` apply them per distinct value or per row:
the fallbacks for what has no column-wise path, and release 0.6's way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pyarrow as pa
import pyarrow.compute as pc

from . import javascript as js
from .datatable_language import FIELD, Kind, Node, Token, field_name, literal
from .javascript import UNDEFINED, JsTypeError, JsValue
from .primes import is_prime


def _upper(value: JsValue) -> str:
    return js.to_upper(js.to_string(value))


def is_nil(value: JsValue) -> bool:
    return value is None or value is UNDEFINED


def compare(op: str, insensitive: bool, lhs: JsValue, rhs: JsValue) -> bool:
    """`lhs <op> rhs` as the table evaluates it; raises JsTypeError where JS throws."""
    if op == "contains":
        if (
            is_nil(lhs)
            or is_nil(rhs)
            or not (isinstance(lhs, str) or isinstance(rhs, str))
        ):
            return False
        if insensitive:
            return _upper(rhs) in _upper(lhs)
        return js.to_string(rhs) in js.to_string(lhs)
    if op == "datestartswith":
        left = js.normalize_date(date_text(lhs))
        right = js.normalize_date(date_text(rhs))
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


def date_text(value: JsValue) -> JsValue:
    return js.number_to_string(value) if is_js_number(value) else value


def is_js_number(value: JsValue) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


UNARY_TESTS: dict[str, Callable[[JsValue], bool]] = {
    "is blank": lambda v: is_nil(v) or v == "",
    "is bool": lambda v: isinstance(v, bool),
    "is even": lambda v: is_js_number(v) and math.fmod(v, 2) == 0,
    "is nil": is_nil,
    "is num": is_js_number,
    "is object": lambda v: False,  # JSON cells and literals are never objects here
    "is odd": lambda v: is_js_number(v) and math.fmod(v, 2) == 1,
    "is prime": lambda v: is_js_number(v) and is_prime(v),
    "is str": lambda v: isinstance(v, str),
}


def unless_throws(test: Callable[[], bool]) -> bool:
    try:
        return test()
    except JsTypeError:
        return False


# comparison with one does not match, rather than compare with `undefined`.


class NoMissingColumns(dict):
    def get(self, name: str, default: JsValue = None) -> JsValue:
        if name not in self:
            raise JsTypeError(f"column {name} not found")
        return self[name]


def _resolve_row(node: Node | None, row: Mapping[str, JsValue]) -> JsValue:
    if node is None or node.token.lexeme.kind is not Kind.EXPRESSION:
        raise JsTypeError("not an operand")
    if node.token.lexeme is FIELD:
        return row.get(field_name(node.token), UNDEFINED)
    return literal(node.token)


def _op(token: Token) -> tuple[str, bool]:
    # `relOp[0] == 'i'` in the table: a capital `I` prefix is case-sensitive there.
    return token.lexeme.name, token.value[0] == "i"


def row_matches(node: Node, row: Mapping[str, JsValue]) -> bool:
    """One comparison of the query on one row (the reference)."""
    lexeme = node.token.lexeme
    if lexeme.kind is Kind.RELATIONAL:
        op, insensitive = _op(node.token)
        return unless_throws(
            lambda: compare(
                op,
                insensitive,
                _resolve_row(node.left, row),
                _resolve_row(node.right, row),
            )
        )
    return unless_throws(lambda: UNARY_TESTS[lexeme.name](_resolve_row(node.left, row)))


def _each_value(
    column: pa.Array,
    test: Callable[[JsValue], bool],
    encode: Callable[[], pa.DictionaryArray] | None = None,
) -> pa.BooleanArray:
    """Apply `test` once per distinct value (null included) and spread the results:
    for booleans (two values) and the rare comparisons with no column-wise path."""
    if pa.types.is_boolean(column.type):
        on_true, on_false = (
            unless_throws(lambda: test(True)),
            unless_throws(lambda: test(False)),
        )
        result = pc.if_else(column, on_true, on_false)
    else:
        encoded = encode() if encode else pc.dictionary_encode(column)
        values = encoded.dictionary.to_pylist()
        results = pa.array(
            [unless_throws(lambda v=v: test(v)) for v in values], pa.bool_()
        )
        result = results.take(encoded.indices)
    if column.null_count:
        result = pc.fill_null(result, unless_throws(lambda: test(None)))
    return result


def _row_pairs(op: str, insensitive: bool, left: pa.Array, right: pa.Array) -> pa.Array:
    """`compare` on each row in Python: for column types the views above lack."""
    pairs = zip(left.to_pylist(), right.to_pylist(), strict=True)
    return pa.array(
        [
            unless_throws(lambda a=a, b=b: compare(op, insensitive, a, b))
            for a, b in pairs
        ],
        pa.bool_(),
    )
