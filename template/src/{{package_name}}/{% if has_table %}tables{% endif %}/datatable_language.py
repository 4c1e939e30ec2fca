"""The DataTable's filter language: lexer and parser, ported from dash-table's sources.

The specification is `src/core/syntax-tree/{lexer,syntaxer}.ts` and
`src/dash-table/syntax-tree/{lexeme,lexicon}/*.ts` in the table's source map
(`dash/dash_table/async-table.js.map`). The port keeps their quirks on purpose: the
native table is the oracle, and a query means here what it means in the browser.
`parse(query)` returns a `Query`; `datatable_filter.FilterQuery` evaluates it. One
file (past 400 lines) because the lexicon, the lexer and the parser are one port of
one syntax tree, read side by side with its source; split, each part would only make
sense with the others open.

A query comes from the browser, so anyone can send any text (or any JSON value). The
lexer and the parser take time linear in the query's length and never recurse; a
query longer than MAX_QUERY_LENGTH characters, nested deeper than MAX_NESTING levels
or making more than MAX_COMPARISONS distinct comparisons (each a few passes over a
column; MAX_CONTAINS of them `contains`, the costliest) is refused: `Query.valid`
False, and `error` says why.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from .javascript import LINE_END, SPACE, is_numeric, is_text, to_number

# What one query may cost: a table's filter row writes queries of a few hundred
# characters, and a query's work (one pass over the column per comparison) grows with
# its length. A level is one `(` block or one `!`.
MAX_QUERY_LENGTH: Final = 2_000
MAX_NESTING: Final = 32
MAX_COMPARISONS: Final = 24  # distinct ones: a repeated comparison runs once
# Of which `contains`, the costliest: each scans a column's text (~25 ms a million
# rows), and one whose needle is a column (`{a} contains {b}`, `'text' contains {b}`)
# runs in Python, row by row or value by value (~0.1 s): it counts as 4.
MAX_CONTAINS: Final = 8
_NEEDLE_COLUMN_CONTAINS = 4


class Kind(Enum):
    """Lexeme types (core/syntax-tree/lexicon.ts)."""

    BLOCK_CLOSE = "close-block"
    BLOCK_OPEN = "open-block"
    LOGICAL = "logical-operator"
    RELATIONAL = "relational-operator"
    UNARY = "unary-operator"
    EXPRESSION = "expression"


@dataclass(frozen=True)
class Lexeme:
    """One entry of the lexicon: what it matches, where it may stand, how it parses."""

    name: str  # "and", "=", "contains", "is blank", "field", "value", ...
    kind: Kind
    regexp: re.Pattern[str]
    match_group: int = 0
    priority: float | None = None
    nesting: int = 0


@dataclass
class Token:
    lexeme: Lexeme
    value: str  # the matched text, e.g. "icontains", "{sale price}", "'a b'"


@dataclass
class Node:
    """A parsed tree node: the token it stands for and its operands."""

    token: Token
    left: Node | None = None
    right: Node | None = None
    block: Node | None = None


@dataclass
class Query:
    """A parsed filter query. `valid` is False where the native table ignores it."""

    text: str
    valid: bool
    tree: Node | None = None
    error: str = ""
    tokens: list[Token] = field(default_factory=list)


_I = re.ASCII | re.IGNORECASE
_WS = f"[{SPACE}]"
_ANY = f"[^{LINE_END}]"  # JS `.`


def _lexeme(
    name: str, kind: Kind, pattern: str, flags: int = 0, **kw: object
) -> Lexeme:
    return Lexeme(name, kind, re.compile(pattern, flags), **kw)  # type: ignore[arg-type]


def _relational(name: str, symbol: str, word: str | None) -> Lexeme:
    alternatives = re.escape(symbol) + (f"|({word})(?={_WS}|\\Z)" if word else "")
    return _lexeme(
        name,
        Kind.RELATIONAL,
        f"((i|s)?({alternatives}))",
        _I,
        match_group=1,
        priority=0,
    )


AND: Final = _lexeme("&&", Kind.LOGICAL, f"(and{_WS}|&&)", _I, priority=2)
OR: Final = _lexeme("||", Kind.LOGICAL, f"(or{_WS}|\\|\\|)", _I, priority=3)
BLOCK_CLOSE: Final = _lexeme(")", Kind.BLOCK_CLOSE, r"\)", nesting=-1)
BLOCK_OPEN: Final = _lexeme("(", Kind.BLOCK_OPEN, r"\(", priority=1, nesting=1)
RELATIONAL: Final = (
    _lexeme(
        "contains",
        Kind.RELATIONAL,
        f"((i|s)?contains)(?={_WS}|\\Z)",
        _I,
        match_group=1,
        priority=0,
    ),
    _lexeme(
        "datestartswith",
        Kind.RELATIONAL,
        f"((datestartswith)(?={_WS}|\\Z))",
        _I,
        match_group=1,
        priority=0,
    ),
    _relational("=", "=", "eq"),
    _relational(">=", ">=", "ge"),
    _relational(">", ">", "gt"),
    _relational("<=", "<=", "le"),
    _relational("<", "<", "lt"),
    _relational("!=", "!=", "ne"),
)
UNARY: Final = tuple(
    _lexeme(f"is {word}", Kind.UNARY, f"(is {word})", _I, priority=0)
    for word in ("blank", "bool", "even", "nil", "num", "object", "odd", "prime", "str")
)
NOT: Final = _lexeme("!", Kind.UNARY, "!", priority=1.5)
# (Concatenated, not f-strings: regex braces would need doubling.)
FIELD: Final = _lexeme("field", Kind.EXPRESSION, r"\{(([^{}\\]|\\" + _ANY + r")+)\}")
STRING: Final = _lexeme(
    "string",
    Kind.EXPRESSION,
    rf"(('([^'\\]|\\{_ANY})*')|(\"([^\"\\]|\\{_ANY})*\")|(`([^`\\]|\\{_ANY})*`))",
)
VALUE: Final = _lexeme(
    "value",
    Kind.EXPRESSION,
    r"(([^" + SPACE + r"'\"`{}()\\]|\\" + _ANY + r")+)(?:[" + SPACE + r")]|\Z)",
    match_group=1,
)


# -- where each lexeme may stand (dash-table/syntax-tree/lexicon/{index,query}.ts) ---
# Each test sees the tokens so far and their nesting (open blocks), kept as the lexer
# goes: summing the nesting anew for each token made lexing quadratic.

Allowed = Callable[[list[Token], int], bool]


def _after(*kinds: Kind, first: bool = False) -> Allowed:
    return lambda tokens, _: first if not tokens else tokens[-1].lexeme.kind in kinds


_IF_LOGICAL = _after(Kind.BLOCK_CLOSE, Kind.EXPRESSION, Kind.UNARY)
_IF_RELATIONAL = _after(Kind.EXPRESSION)
_IF_OPEN = _after(Kind.BLOCK_OPEN, Kind.LOGICAL, Kind.UNARY, first=True)
_IF_NOT = _after(Kind.LOGICAL, Kind.UNARY, first=True)
_IF_EXPRESSION = _after(Kind.BLOCK_OPEN, Kind.LOGICAL, Kind.RELATIONAL, first=True)


def _if_close(tokens: list[Token], nesting: int) -> bool:
    return (
        bool(tokens)
        and tokens[-1].lexeme.kind
        in (Kind.BLOCK_CLOSE, Kind.BLOCK_OPEN, Kind.EXPRESSION, Kind.UNARY)
        and nesting > 0
    )


def _terminal(_: list[Token], nesting: int) -> bool:
    return nesting == 0


def _terminal_expression(tokens: list[Token], nesting: int) -> bool:
    return (
        nesting == 0 and len(tokens) > 1 and tokens[-2].lexeme.kind is Kind.RELATIONAL
    )


def _never(_: list[Token], __: int) -> bool:
    return False


def _always(_: list[Token], __: int) -> bool:
    return True


# (lexeme, may it stand here?, may the query end with it?) in the lexicon's order:
# the first lexeme that may stand here and matches wins.
_LEXICON: Final = (
    (AND, _IF_LOGICAL, _never),
    (OR, _IF_LOGICAL, _never),
    (BLOCK_CLOSE, _if_close, _terminal),
    (BLOCK_OPEN, _IF_OPEN, _never),
    *((op, _IF_RELATIONAL, _never) for op in RELATIONAL),
    *((op, _IF_RELATIONAL, _terminal) for op in UNARY),
    (NOT, _IF_NOT, _never),
    *((exp, _IF_EXPRESSION, _terminal_expression) for exp in (FIELD, STRING, VALUE)),
)
# What the table's filter row reads a query with (lexicon/columnMulti.ts, operator
# "and"): no blocks, no `!`, no `||`. See `filter_row_statements`.
_FILTER_ROW_LEXICON: Final = (
    (AND, _IF_LOGICAL, _never),
    *((op, _IF_RELATIONAL, _never) for op in RELATIONAL),
    *((op, _IF_RELATIONAL, _always) for op in UNARY),
    *((exp, _IF_EXPRESSION, _terminal_expression) for exp in (FIELD, STRING, VALUE)),
)
_LEADING_SPACE = re.compile(f"{_WS}+")


def lex(query: str, lexicon: tuple = _LEXICON) -> tuple[list[Token], bool, str | None]:
    """Tokens, whether the query may end there, and the text no lexeme could read.

    As in the table, whitespace is skipped before each token, so a query that ends
    in whitespace leaves an empty remainder that nothing reads: it is invalid. Each
    lexeme's pattern is matched in place (no copy of the rest of the query per token).
    """
    tokens: list[Token] = []
    nesting, position, end = 0, 0, len(query)
    while position < end:
        space = _LEADING_SPACE.match(query, position)
        position = space.end() if space else position
        for lexeme, allowed, _ in lexicon:
            if not allowed(tokens, nesting):
                continue
            match = lexeme.regexp.match(query, position)
            if match:
                break
        else:
            return tokens, False, query[position:]
        value = match[lexeme.match_group]
        tokens.append(Token(lexeme, value))
        nesting += lexeme.nesting
        position += len(value)
    if not tokens:
        return tokens, True, None
    ends = next(end for lexeme, _, end in lexicon if lexeme is tokens[-1].lexeme)
    return tokens, bool(ends(tokens, nesting)), None


class _Invalid(Exception):
    pass


class _TooCostly(_Invalid):
    pass


def _rank(token: Token) -> float | None:
    # JS ranks with `priority || -1`, so 0 (relational, unary) ranks as -1.
    priority = token.lexeme.priority
    return None if priority is None else priority or -1


_RANKS: Final = (3, 2, 1.5, 1, -1)  # ||, &&, !, (, the operators: loosest first


def _parse(tokens: list[Token]) -> Node:
    """core/syntax-tree/syntaxer.ts: split at the loosest operator outside blocks.

    The syntaxer recurses into the parts; this makes the same splits from a work
    list, since a query's parts may nest (or chain `&&`s) thousands deep. Each part's
    operator is the first of the highest rank among its tokens at its own block level
    (the level of its first token): found by bisecting that level's positions of each
    rank, not by a scan of the part, so the whole parse is O(n log n), not O(n**2).
    """
    levels, nesting = [], 0  # the open blocks before each token
    for token in tokens:
        levels.append(nesting)
        nesting += token.lexeme.nesting
    positions: dict[tuple[int, float], list[int]] = {}
    for index, token in enumerate(tokens):
        rank = _rank(token)
        if rank is not None:
            positions.setdefault((levels[index], rank), []).append(index)

    def pivot(start: int, end: int) -> int:
        for rank in _RANKS:
            found = positions.get((levels[start], rank), ())
            at = bisect.bisect_left(found, start)
            if at < len(found) and found[at] < end:
                return found[at]
        raise _Invalid("nothing to evaluate")

    comparisons: dict[tuple[Any, ...], int] = {}  # key: weight against MAX_CONTAINS
    root = Node(tokens[0])  # a placeholder: its `block` receives the tree
    # (first token, end, node to attach to, its attribute, levels of `!` and `(`)
    work: list[tuple[int, int, Node, str, int]] = [(0, len(tokens), root, "block", 0)]
    while work:
        start, end, parent, slot, depth = work.pop()
        if start >= end:
            raise _Invalid("nothing to evaluate")
        index = pivot(start, end)
        lexeme = tokens[index].lexeme
        if lexeme.kind is Kind.LOGICAL:
            node = Node(tokens[index])
            work += [
                (start, index, node, "left", depth),
                (index + 1, end, node, "right", depth),
            ]
        # The other syntaxers read their operands from the start of the list, not from
        # the pivot (relational: tokens 0..2, unary: 0..1, `!` and `(`: token 0).
        elif lexeme is NOT or lexeme is BLOCK_OPEN:
            if depth == MAX_NESTING:
                raise _TooCostly(f"the filter nests deeper than {MAX_NESTING} levels")
            node = Node(tokens[start])
            if lexeme is NOT:
                work.append((start + 1, end, node, "right", depth + 1))
            else:
                work.append((start + 1, end - 1, node, "block", depth + 1))
        else:
            # The table would read `undefined` as the operator: invalid (not a crash).
            size = 3 if lexeme.kind is Kind.RELATIONAL else 2
            if end - start < 2:
                raise _Invalid("an operator lacks its operand")
            operands = [Node(token) for token in tokens[start : min(start + size, end)]]
            node = Node(tokens[start + 1], left=operands[0])
            if size == 3 and len(operands) == 3:
                node.right = operands[2]
            _count(comparisons, node)
        setattr(parent, slot, node)
    assert root.block is not None
    return root.block


def _count(comparisons: dict[tuple[Any, ...], int], node: Node) -> None:
    """Note the comparison `node` makes (and its weight against MAX_CONTAINS); raise
    if the query makes too many."""
    weight = 0
    if node.token.lexeme.name == "contains":
        right, left = node.right, node.left
        if right is not None and right.token.lexeme is FIELD:
            weight = _NEEDLE_COLUMN_CONTAINS
        elif left is not None and left.token.lexeme is FIELD:
            weight = 1
    comparisons[comparison_key(node)] = weight
    if len(comparisons) > MAX_COMPARISONS:
        raise _TooCostly(f"the filter makes more than {MAX_COMPARISONS} comparisons")
    if sum(comparisons.values()) > MAX_CONTAINS:
        raise _TooCostly(
            f"the filter makes more than {MAX_CONTAINS} contains comparisons (one "
            f"whose needle is a column counts as {_NEEDLE_COLUMN_CONTAINS})"
        )


def parse(query: Any) -> Query:
    """Parse `query` as the DataTable does; an invalid query says why in `error`.

    Anything but a string is invalid, and so is a string that holds a lone
    surrogate or exceeds a limit (MAX_QUERY_LENGTH, MAX_NESTING, MAX_COMPARISONS,
    MAX_CONTAINS).
    """
    if not isinstance(query, str):
        return Query("", False, error="the filter must be text")
    if len(query) > MAX_QUERY_LENGTH:
        return Query(
            query,
            False,
            error=f"the filter is longer than {MAX_QUERY_LENGTH:,} characters",
        )
    if not is_text(query):
        return Query(
            query, False, error="the filter is not valid Unicode (a lone surrogate)"
        )
    tokens, complete, failed = lex(query)
    if failed is not None:
        where = f"from {_excerpt(failed)}" if failed else "at its end (trailing space?)"
        return Query(
            query, False, error=f"cannot read the query {where}", tokens=tokens
        )
    if not complete:
        return Query(query, False, error="the query is incomplete", tokens=tokens)
    if not tokens:
        return Query(query, True, tokens=tokens)
    try:
        tree = _parse(tokens)
    except _TooCostly as error:
        return Query(query, False, error=str(error), tokens=tokens)
    except _Invalid as error:
        return Query(
            query, False, error=f"the query does not parse: {error}", tokens=tokens
        )
    return Query(query, True, tree=tree, tokens=tokens)


def _excerpt(text: str, size: int = 30) -> str:
    """The start of `text` for a message, quoted."""
    return repr(text[:size]) + ("…" if len(text) > size else "")


def filter_row_statements(query: str) -> list[Node] | None:
    """The comparisons the table's filter row splits `query` into, or None if it
    does not read it (MultiColumnsSyntaxTree, getSingleColumnMap).

    The table then looks up the left operand of each as a column and throws ("column
    ... not found") if there is none: the one place where a missing column breaks the
    native table rather than reading as `undefined`.
    """
    tokens, complete, failed = lex(query, _FILTER_ROW_LEXICON)
    if failed is not None or not complete or not tokens:
        return None
    fields = [t.value for t in tokens if t.lexeme is FIELD]
    if len(fields) != len(set(fields)):  # respectsBasicSyntax
        return None
    try:
        tree = _parse(tokens)
    except _Invalid:
        return None
    statements, pending = [], [tree]
    while pending:
        node = pending.pop()
        if node.token.lexeme.kind in (Kind.RELATIONAL, Kind.UNARY):
            statements.append(node)
        pending += [n for n in (node.left, node.right, node.block) if n is not None]
    return statements


# -- operand values (dash-table/syntax-tree/lexeme/expression.ts) ---------------------

_UNESCAPE = re.compile(rf"\\({_ANY})")


def unescape(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text)


def field_name(token: Token) -> str:
    """The column id in `{...}`, escapes removed."""
    return unescape(token.value[1:-1])


def literal(token: Token) -> float | str:
    """A string or bare value as the table reads it: bare numbers become numbers."""
    if token.lexeme is STRING:
        return unescape(token.value[1:-1])
    if is_numeric(token.value):
        return to_number(token.value)
    return unescape(token.value)


def comparison_key(node: Node) -> tuple[Any, ...]:
    """What a comparison node computes, as a key: equal keys, equal rows. The
    operator as the table reads it (`contains`, `scontains` and `Contains` are one)
    and the operands' values (`{sale\\ price}` is `{sale price}`)."""
    token = node.token
    insensitive = token.lexeme.kind is Kind.RELATIONAL and token.value[0] == "i"
    return (
        token.lexeme.name,
        insensitive,
        _operand_key(node.left),
        _operand_key(node.right),
    )


def _operand_key(node: Node | None) -> tuple[str, str] | None:
    if node is None:
        return None
    token = node.token
    if token.lexeme is FIELD:
        return "field", field_name(token)
    if token.lexeme.kind is Kind.EXPRESSION:
        return "value", repr(literal(token))  # repr: 5.0 is not '5', -0.0 not 0.0
    return token.lexeme.name, token.value  # no operand: the comparison is false
