"""Evaluate a DataTable filter query on a whole table at once, as the browser would.

`FilterQuery(text)` parses once; `.mask(view)` gives the rows to keep as an Arrow
boolean array, computed column-wise with pyarrow.compute; `.matches(row)` evaluates
one row the slow, obvious way and is the reference the fast path is tested against.

The fast path runs Arrow kernels over the column, or over its distinct values (its
dictionary) and spreads the results to the rows. What depends on the column alone
(its JS numbers, number strings, upper-cased text, normalised dates, primality) is
computed once per column and cached on the view (`ColumnSource.derived`); Python
runs per value only for the few values Arrow cannot read as JavaScript does (see
`js`'s whole-column section). So every comparison costs a few kernels on a million
rows, whatever the query; the query's size is bounded by the grammar.

Where the native table would throw (a case-insensitive operator on an empty cell, a
tree the parser built without an operator, a missing column in a query its filter
row reads), the comparison counts as not matching: the rest of the query still
applies and nothing raises.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

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
    comparison_key,
    field_name,
    filter_row_statements,
    literal,
    parse,
)
from .js import UNDEFINED, JsTypeError, JsValue
from .substring import contains

Mask = pa.BooleanArray | pa.ChunkedArray | bool  # a constant stands for every row
T = TypeVar("T")
V = TypeVar("V")


class _Field(str):
    """An operand naming a column of the source. Its values are read only where
    they count: a comparison that can run on the column's dictionary codes never
    converts it. (Columns may come in chunks, as text decoded from Parquet does.)"""


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
    """A parsed DataTable `filter_query`: `valid`, `problem`, `mask()`, `matches()`.

    Takes any value a client may send (the property comes from the browser) and
    never raises. What it will not apply (not text, a lone surrogate, over a limit of
    `grammar`: MAX_QUERY_LENGTH, MAX_NESTING, MAX_COMPARISONS...; or not the table's
    syntax) is `valid` False, keeps every row as the native table does, and says why
    in `problem`, a phrase for the user ("the filter is longer than 2,000
    characters"); `problem` is None for a valid or empty query (None and "" are
    empty).
    """

    def __init__(self, text: Any) -> None:
        parsed = parse("" if text is None else text)
        self.text = parsed.text
        self.valid = parsed.valid
        self.error = parsed.error  # `problem`, or "" (its name before 0.7)
        self.problem: str | None = parsed.error or None
        self.tree = parsed.tree
        self._row_statements = filter_row_statements(self.text) if self.valid else None

    def __repr__(self) -> str:
        return f"FilterQuery({self.text!r})"

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
        return _fold(
            self.tree,
            lambda node: _row(node, row),
            lambda both, left, right: (
                (left and right) if both is AND else left or right
            ),
            lambda kept: not kept,
        )

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

    def encoded(self, name: str) -> pa.DictionaryArray:
        return self._source.encoded(name)

    def slots(self, name: str) -> tuple[pa.Array, pa.Array | None]:
        return self._source.slots(name)

    def date_format(self, name: str) -> str | None:
        return self._source.date_format(name)

    def derived(self, name: str, what: str, build: Callable[[], T]) -> T:
        return self._source.derived(name, what, build)


def _evaluates(node: Node) -> bool:
    lexeme = node.token.lexeme
    return lexeme.kind not in (Kind.EXPRESSION, Kind.BLOCK_CLOSE)


def _fold(
    tree: Node,
    leaf: Callable[[Node], V],
    both: Callable[[Any, V, V], V],
    negate: Callable[[V], V],
) -> V:
    """The value of `tree`: `leaf(node)` for comparisons (and False for nodes the
    table cannot evaluate), combined by `&&`, `||` and `!`, from a work list, not by
    recursion: `&&` chains and `!`s make trees as deep as the query is long."""
    values: list[Any] = []
    work: list[tuple[Node | None, bool]] = [(tree, False)]
    while work:
        node, children_done = work.pop()
        lexeme = node.token.lexeme if node is not None else None
        if node is None:
            values.append(False)  # an operand the parser left out: JS throws
        elif lexeme is AND or lexeme is OR:
            if children_done:
                right = values.pop()
                values.append(both(lexeme, values.pop(), right))
            else:
                work += [(node, True), (node.right, False), (node.left, False)]
        elif lexeme is NOT:
            if children_done:
                values.append(negate(values.pop()))
            else:
                work += [(node, True), (node.right, False)]
        elif lexeme is BLOCK_OPEN:
            work.append((node.block, False))
        elif lexeme is not None and lexeme.kind in (Kind.RELATIONAL, Kind.UNARY):
            values.append(leaf(node))
        else:
            values.append(False)  # no operator here: JS throws, we do not match
    return values.pop()


def _resolve_row(node: Node | None, row: Mapping[str, JsValue]) -> JsValue:
    if node is None or node.token.lexeme.kind is not Kind.EXPRESSION:
        raise JsTypeError("not an operand")
    if node.token.lexeme is FIELD:
        return row.get(field_name(node.token), UNDEFINED)
    return literal(node.token)


def _op(token: Token) -> tuple[str, bool]:
    # `relOp[0] == 'i'` in the table: a capital `I` prefix is case-sensitive there.
    return token.lexeme.name, token.value[0] == "i"


def _row(node: Node, row: Mapping[str, JsValue]) -> bool:
    """One comparison of the query on one row (the reference)."""
    lexeme = node.token.lexeme
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
    return _safe(lambda: UNARY_TESTS[lexeme.name](_resolve_row(node.left, row)))


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


def _columns(tree: Node, source: ColumnSource) -> Mask:
    """The rows `tree` keeps; a comparison that occurs more than once runs once."""
    seen: dict[tuple[Any, ...], Mask] = {}

    def leaf(node: Node) -> Mask:
        key = comparison_key(node)
        if key not in seen:
            if node.token.lexeme.kind is Kind.RELATIONAL:
                seen[key] = _relational(node, source)
            else:
                seen[key] = _unary(node, source)
        return seen[key]

    return _fold(
        tree,
        leaf,
        lambda both, left, right: (_and if both is AND else _or)(left, right),
        _not,
    )


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
    name = node.token.lexeme.name
    test = UNARY_TESTS[name]
    try:
        value = _operand(node.left, source)
    except JsTypeError:
        return False
    if not isinstance(value, _Field):
        return test(value)
    mask = _unary_column(name, source, value)
    if mask is not None:
        return mask if isinstance(mask, bool) else source.derived(value, name, mask)
    column = source.column(value)
    assert column is not None
    return _each_value(column, test, lambda: source.encoded(value))


def _unary_column(
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
        return _two_columns(op, insensitive, _Cells(source, lhs), _Cells(source, rhs))
    name, value = (lhs, rhs) if left_is_column else (rhs, lhs)

    def test(cell: JsValue) -> bool:
        if left_is_column:
            return compare(op, insensitive, cell, value)
        return compare(op, insensitive, value, cell)

    if value is UNDEFINED:  # a missing column: no cell compares with it otherwise
        return _safe(lambda: test(None))
    kind = source.kind(name)
    if left_is_column or op in _MIRRORED:
        flipped = op if left_is_column else _MIRRORED[op]
        fast = _column_against(flipped, insensitive, source, name, kind, value)
    else:
        fast = _value_against(op, insensitive, source, name, kind, value)
    if fast is not None:
        return fast if isinstance(fast, bool) else _fill_nulls(fast, lambda: test(None))
    column = source.column(name)
    assert column is not None
    return _each_value(column, test, lambda: source.encoded(name))


# `value <op> {field}` is `{field} <mirrored op> value` (contains is not symmetric).
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


def _fill_nulls(mask: pa.Array, for_null: Callable[[], bool]) -> pa.BooleanArray:
    """`mask` for cells with a value; what JS gives for null elsewhere (the fast
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


def _column_against(
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
            return _per_value(
                source, name, lambda: contains(_uppers(source, name), upper)
            )
        if is_number:
            return _per_value(
                source, name, lambda: contains(_texts(source, name), needle)
            )
        return contains(source.column(name), needle)
    numeric = js.is_numeric(value)
    if insensitive:
        # Both numeric: compared as numbers; else their upper-cased strings.
        target = js.to_upper(js.to_string(value))

        def upper_cased() -> pa.Array:
            texts = _text_order(
                op, _uppers(source, name), target, lambda: _high(source, name, _uppers)
            )
            if op != "=" or not numeric:
                return texts
            numbers, is_numeric = _numbers(source, name)
            return pc.if_else(is_numeric, pc.equal(numbers, js.to_number(value)), texts)

        return _per_value(source, name, upper_cased)
    if is_number:
        column = source.column(name)
        if isinstance(value, str) and op == "!=":  # a number is never === a string
            return pc.if_else(pc.is_valid(column), True, pa.scalar(None, pa.bool_()))
        if isinstance(value, str) and op == "=" and not numeric:
            return pc.equal(column, math.nan)  # strict: never equal
        return _ARROW_OPS[op](column, js.to_number(value))
    if op in ("=", "!="):
        if not isinstance(value, str):  # a number: never === a string
            if op == "!=":
                return True
            return _per_value(source, name, lambda: _number_equal(source, name, value))
        if op == "=" and numeric:
            return _per_value(source, name, lambda: _number_equal(source, name, value))
        return _text_equal(op, source.encoded(name), value)
    if isinstance(value, str):  # text against text: UTF-16 order
        return _per_value(
            source,
            name,
            lambda: _text_order(
                op, _texts(source, name), value, lambda: _high(source, name, _texts)
            ),
        )
    # Text against a number: compared as numbers (NaN compares false).
    return _per_value(
        source, name, lambda: _ARROW_OPS[op](_numbers(source, name)[0], value)
    )


def _number_equal(source: ColumnSource, name: str, value: JsValue) -> pa.Array:
    """Which distinct texts of column `name` are numbers equal to `value`."""
    numbers, numeric = _numbers(source, name)
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


def _value_against(
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
        date = js.normalize_date(_date_text(value))
        if date is None:
            return False
        prefixes = pa.array([date[:size] for size in range(len(date) + 1)])
        return _per_value(
            source, name, lambda: pc.is_in(_dates(source, name), value_set=prefixes)
        )
    if pa.types.is_floating(kind) and not isinstance(value, str):
        return False  # neither side is text
    haystack = js.to_string(value)
    texts = _texts
    if insensitive:
        haystack, texts = js.to_upper(haystack), _uppers
    return _per_value(
        source,
        name,
        lambda: pa.array(
            [text in haystack for text in texts(source, name).to_pylist()], pa.bool_()
        ),
    )


def _date_starts(source: ColumnSource, name: str, value: JsValue) -> Mask:
    """`{name} datestartswith value`: the normalised dates of the cells start with
    the normalised date of the value."""
    prefix = js.normalize_date(_date_text(value))
    if prefix is None:
        return False
    fmt = source.date_format(name)
    if fmt is None or not _iso_years(source, name):
        return _per_value(
            source,
            name,
            lambda: pc.fill_null(pc.starts_with(_dates(source, name), prefix), False),
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


# -- what depends on a column alone, per distinct value (cached on the source) -------


def _per_value(
    source: ColumnSource, name: str, compute: Callable[[], pa.Array]
) -> pa.Array:
    """`compute()`, a result per distinct value of column `name` (its dictionary,
    or its rows: `ColumnSource.slots`), spread to the rows: null where the cell is."""
    _, indices = source.slots(name)
    return compute() if indices is None else compute().take(indices)


def _distinct(source: ColumnSource, name: str) -> tuple[pa.Array, pa.DataType]:
    values, _ = source.slots(name)
    return values, values.type


def _texts(source: ColumnSource, name: str) -> pa.Array:
    """JS `String(value)` of each distinct value of column `name`."""

    def build() -> pa.Array:
        values, kind = _distinct(source, name)
        if pa.types.is_floating(kind):
            return js.number_texts(values)
        if pa.types.is_boolean(kind):
            return pc.if_else(values, "true", "false")
        return values.cast(pa.string())

    return source.derived(name, "texts", build)


def _uppers(source: ColumnSource, name: str) -> pa.Array:
    """JS `String(value).toUpperCase()` of each distinct value of column `name`."""
    return source.derived(
        name, "upper texts", lambda: js.upper_texts(_texts(source, name))
    )


def _numbers(source: ColumnSource, name: str) -> tuple[pa.Array, pa.Array]:
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


def _dates(source: ColumnSource, name: str) -> pa.Array:
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


def _high(
    source: ColumnSource, name: str, texts: Callable[[ColumnSource, str], pa.Array]
) -> pa.Array:
    """`js.has_high` of `texts(source, name)` (`_texts` or `_uppers`), cached."""
    return source.derived(
        name, f"high {texts.__name__}", lambda: js.has_high(texts(source, name))
    )


def _text_order(
    op: str, values: pa.Array, text: str, high: Callable[[], pa.Array]
) -> pa.Array:
    """`values <op> text` as JS compares strings (by UTF-16 code units). Arrow
    compares UTF-8 bytes, which orders alike unless both sides hold characters from
    U+E000 up: the values `high()` marks are compared in Python then."""
    result = _ARROW_OPS[op](values, text)
    if op in ("=", "!=") or not any(c >= "\ue000" for c in text):
        return result
    marked = high()
    if not pc.any(marked).as_py():
        return result
    order = _UTF16_OPS[op]
    key = js.utf16(text)
    checked = [order(js.utf16(v), key) for v in values.filter(marked).to_pylist()]
    return pc.replace_with_mask(result, marked, pa.array(checked, pa.bool_()))


_UTF16_OPS: dict[str, Callable[[bytes, bytes], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _each_value(
    column: pa.Array,
    test: Callable[[JsValue], bool],
    encode: Callable[[], pa.DictionaryArray] | None = None,
) -> pa.BooleanArray:
    """Apply `test` once per distinct value (null included) and spread the results:
    for booleans (two values) and the rare comparisons with no column-wise path."""
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


# -- two columns: `{a} <op> {b}`, row by row in Arrow ---------------------------------


class _Cells:
    """A column's JSON cells row by row, with the JS views a comparison reads."""

    def __init__(self, source: ColumnSource, name: str) -> None:
        self.source, self.name = source, name
        kind = source.kind(name)
        self.is_number = pa.types.is_floating(kind)
        self.is_text = pa.types.is_string(kind)
        self.is_bool = pa.types.is_boolean(kind)
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
            else self._spread(_numbers(self.source, self.name)[0])
        )

    def numeric(self) -> pa.Array:
        if self.is_number:
            return self.valid
        return pc.fill_null(self._spread(_numbers(self.source, self.name)[1]), False)

    def texts(self) -> pa.Array:
        return (
            self.column
            if self.is_text
            else self._spread(_texts(self.source, self.name))
        )

    def uppers(self) -> pa.Array:
        return self._spread(_uppers(self.source, self.name))

    def distinct(self, upper: bool) -> tuple[pa.Array, pa.Array | None]:
        """The JS strings (upper-cased if `upper`) of the column's distinct values,
        and the indices that spread them to the rows (None: one value per row)."""
        _, indices = self.source.slots(self.name)
        return (_uppers if upper else _texts)(self.source, self.name), indices

    def dates(self) -> pa.Array:
        return self._spread(_dates(self.source, self.name))

    def high(self, texts: Callable[[ColumnSource, str], pa.Array]) -> pa.Array:
        """Which cells' `texts` hold characters from U+E000 up (see `_text_order`)."""
        return pc.fill_null(self._spread(_high(self.source, self.name, texts)), False)

    def strings(self) -> pa.Array:
        """Where the cell is a JS string."""
        return self.valid if self.is_text else pa.array(np.zeros(len(self.valid), bool))


def _two_columns(op: str, insensitive: bool, left: _Cells, right: _Cells) -> Mask:
    """`{left} <op> {right}` on each row, as `compare` (no value is null after)."""
    known = (left.is_number or left.is_text or left.is_bool) and (
        right.is_number or right.is_text or right.is_bool
    )
    if not known:
        return _row_pairs(op, insensitive, left.column, right.column)
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
        high = pc.or_(left.high(_uppers), right.high(_uppers))
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
    numbers = _ARROW_OPS[op](
        pc.fill_null(left.numbers(), 0.0), pc.fill_null(right.numbers(), 0.0)
    )
    numbers = pc.fill_null(numbers, False)
    if not (left.is_text and right.is_text):
        return numbers
    high = pc.or_(left.high(_texts), right.high(_texts))
    texts = pc.fill_null(_row_order(op, left.texts(), right.texts(), high), False)
    return pc.if_else(pc.and_(left.valid, right.valid), texts, numbers)


def _strictly_equal(left: _Cells, right: _Cells) -> pa.Array:
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
    `high` marks compared in Python, see `_text_order`)."""
    result = _ARROW_OPS[op](left, right)
    if op in ("=", "!=") or not pc.any(high).as_py():
        return result
    order = _UTF16_OPS[op]
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
    `_Cells.distinct`).

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


def _row_pairs(op: str, insensitive: bool, left: pa.Array, right: pa.Array) -> pa.Array:
    """`compare` on each row in Python: for column types the views above lack."""
    pairs = zip(left.to_pylist(), right.to_pylist(), strict=True)
    return pa.array(
        [_safe(lambda a=a, b=b: compare(op, insensitive, a, b)) for a, b in pairs],
        pa.bool_(),
    )


# -- primality of whole columns --------------------------------------------------------


def primes(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """`_is_prime` of each number (null: False): whole odd numbers by a vectorised
    Miller-Rabin test, fractions and the rest by their sign and parity."""
    numbers = values.to_numpy(zero_copy_only=False)  # NaN where null
    with np.errstate(invalid="ignore"):
        result = numbers == 2
        odd = (numbers > 2) & (np.fmod(numbers, 2) != 0)
        fraction = odd & (numbers != np.floor(numbers))
    result |= fraction
    whole = odd & ~fraction  # odd integers below 2**53 (larger floats are even)
    if whole.any():
        distinct, where = np.unique(
            numbers[whole].astype(np.uint64), return_inverse=True
        )
        result[whole] = _odd_primes(distinct)[where]
    return result


_SMALL_PRIMES = (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61)
# Deterministic Miller-Rabin bases: below 4,759,123,141; below 2**64 (Sinclair).
_FEW_BASES, _BASES = (2, 7, 61), (2, 325, 9375, 28178, 450775, 9780504, 1795265022)


def _odd_primes(n: np.ndarray) -> np.ndarray:
    """Which of the odd integers `n` (3 <= n < 2**53, uint64) are prime."""
    prime = np.ones(len(n), dtype=bool)
    for p in _SMALL_PRIMES:  # trial division settles most composites cheaply
        prime &= (n % p != 0) | (n == p)
    # What it left above 61**2 may still be composite: Miller-Rabin decides.
    unsure = np.flatnonzero(prime & (n > _SMALL_PRIMES[-1] ** 2))
    if len(unsure):
        candidates = n[unsure]
        bases = _FEW_BASES if candidates.max() < 4_759_123_141 else _BASES
        for base in bases:
            if not len(candidates):
                break
            composite = ~_strong_probable_prime(candidates, base)
            prime[unsure[composite]] = False
            unsure, candidates = unsure[~composite], candidates[~composite]
    return prime


def _strong_probable_prime(n: np.ndarray, base: int) -> np.ndarray:
    """Whether each odd `n` passes Miller-Rabin's test to `base`."""
    one = np.ones(len(n), dtype=np.uint64)
    minus_one = n - one
    d, s = minus_one.copy(), np.zeros(len(n), dtype=np.int64)
    while True:
        even = (d & one) == 0
        if not even.any():
            break
        d[even] >>= one[even]
        s[even] += 1
    a = np.uint64(base) % n
    trivial = a == 0  # the base is a multiple of n: it says nothing
    x = _power(a, d, n)
    passed = trivial | (x == one) | (x == minus_one)
    for round_ in range(1, int(s.max())):
        x = _multiply(x, x, n)
        passed |= (x == minus_one) & (round_ < s)
    return passed


def _power(base: np.ndarray, exponent: np.ndarray, n: np.ndarray) -> np.ndarray:
    """`base ** exponent % n` elementwise (square and multiply)."""
    result = np.ones(len(n), dtype=np.uint64)
    base, exponent = base.copy(), exponent.copy()
    one = np.uint64(1)
    while exponent.any():
        odd = (exponent & one) == one
        result = np.where(odd, _multiply(result, base, n), result)
        base = _multiply(base, base, n)
        exponent >>= one
    return result


def _multiply(a: np.ndarray, b: np.ndarray, n: np.ndarray) -> np.ndarray:
    """`a * b % n` for uint64 a, b < n < 2**53, whose product overflows 64 bits.

    The quotient from floats is off by at most a few units: the remainder computed
    with wrapping 64-bit arithmetic is then exact up to those few multiples of n."""
    quotient = np.floor(a.astype(np.float64) * b.astype(np.float64) / n).astype(
        np.uint64
    )
    rest = (a * b - quotient * n).view(np.int64)  # exact modulo 2**64
    size = n.view(np.int64)
    while (low := rest < 0).any():
        rest[low] += size[low]
    while (high := rest >= size).any():
        rest[high] -= size[high]
    return rest.view(np.uint64)
