"""The DataTable's filter query, evaluated on a whole table at once as the browser
would: `FilterQuery`, one of the two `RowFilter`s (AG Grid's `FilterModel` is the other).

`FilterQuery(text)` parses once (`datatable_language`); `.mask(view)` gives the rows to
keep as an Arrow boolean array, computed column-wise; `.matches(row)` evaluates one
row the slow, obvious way (`datatable_reference`) and is the reference the fast path
is tested against.

This module walks the query's tree and picks, per comparison, the way to compute it:
a constant, `column_comparisons` (one column against a value: kernels over the column
or its distinct values, with the views of `column_values` cached on the view),
`two_column_comparisons`, or the reference once per distinct value where no kernel
applies. So every comparison costs a few kernels on a million rows, whatever the
query; the query's size is bounded by the language's limits.

Where the native table would throw (a case-insensitive operator on an empty cell, a
tree the parser built without an operator, a missing column in a query its filter
row reads), the comparison counts as not matching: the rest of the query still
applies and nothing raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .column_comparisons import column_against, fill_nulls, unary_column, value_against
from .column_values import ColumnSource, Mask
from .datatable_language import (
    AND,
    BLOCK_OPEN,
    FIELD,
    NOT,
    OR,
    Kind,
    Node,
    comparison_key,
    field_name,
    filter_row_statements,
    literal,
    parse,
)
from .datatable_reference import (
    UNARY_TESTS,
    NoMissingColumns,
    _each_value,
    _op,
    _row_pairs,
    compare,
    row_matches,
    unless_throws,
)
from .javascript import UNDEFINED, JsTypeError, JsValue
from .two_column_comparisons import Cells, two_columns

T = TypeVar("T")
V = TypeVar("V")


class _Field(str):
    """An operand naming a column of the source. Its values are read only where
    they count: a comparison that can run on the column's dictionary codes never
    converts it. (Columns may come in chunks, as text decoded from Parquet does.)"""


# -- the whole query ---------------------------------------------------------------


class FilterQuery:
    """A parsed DataTable `filter_query`: `valid`, `problem`, `mask()`, `matches()`.

    Takes any value a client may send (the property comes from the browser) and
    never raises. What it will not apply (not text, a lone surrogate, over a limit of
    `datatable_language`: MAX_QUERY_LENGTH, MAX_NESTING, MAX_COMPARISONS...; or not the table's
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

    @property
    def memo_key(self) -> str:
        """What the query keeps, as a key (`RowFilter`): its text; "" for every row,
        so that all queries that keep every row (a client's huge invalid text
        included) share one memo entry and none is kept."""
        return "" if self.keeps_everything else self.text

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
            row = NoMissingColumns(row)
        return _fold(
            self.tree,
            lambda node: row_matches(node, row),
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


# Where the table throws on a missing column (see datatable_language.filter_row_statements), a
# comparison with one does not match, rather than compare with `undefined`.


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
    mask = unary_column(name, source, value)
    if mask is not None:
        return mask if isinstance(mask, bool) else source.derived(value, name, mask)
    column = source.column(value)
    assert column is not None
    return _each_value(column, test, lambda: source.encoded(value))


def _relational(node: Node, source: ColumnSource) -> Mask:
    op, insensitive = _op(node.token)
    try:
        lhs = _operand(node.left, source)
        rhs = _operand(node.right, source)
    except JsTypeError:
        return False
    left_is_column, right_is_column = isinstance(lhs, _Field), isinstance(rhs, _Field)
    if not left_is_column and not right_is_column:
        return unless_throws(lambda: compare(op, insensitive, lhs, rhs))
    if left_is_column and right_is_column:
        left, right = Cells(source, lhs), Cells(source, rhs)
        if not (left.known and right.known):  # types the columns' views lack
            return _row_pairs(op, insensitive, left.column, right.column)
        return two_columns(op, insensitive, left, right)
    name, value = (lhs, rhs) if left_is_column else (rhs, lhs)

    def test(cell: JsValue) -> bool:
        if left_is_column:
            return compare(op, insensitive, cell, value)
        return compare(op, insensitive, value, cell)

    if value is UNDEFINED:  # a missing column: no cell compares with it otherwise
        return unless_throws(lambda: test(None))
    kind = source.kind(name)
    if left_is_column or op in _MIRRORED:
        flipped = op if left_is_column else _MIRRORED[op]
        fast = column_against(flipped, insensitive, source, name, kind, value)
    else:
        fast = value_against(op, insensitive, source, name, kind, value)
    if fast is not None:
        return fast if isinstance(fast, bool) else fill_nulls(fast, lambda: test(None))
    column = source.column(name)
    assert column is not None
    return _each_value(column, test, lambda: source.encoded(name))


# `value <op> {field}` is `{field} <mirrored op> value` (contains is not symmetric).
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
