"""The DataTable's filter language: lexer and parser, ported from dash-table's sources.

The specification is `src/core/syntax-tree/{lexer,syntaxer}.ts` and
`src/dash-table/syntax-tree/{lexeme,lexicon}/*.ts` in the table's source map
(`dash/dash_table/async-table.js.map`). The port keeps their quirks on purpose: the
native table is the oracle, and a query means here what it means in the browser.
`parse(query)` returns a `Query`; `filter_query.py` evaluates it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from .js import LINE_END, SPACE, is_numeric, to_number


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


def _nesting(tokens: list[Token]) -> int:
    return sum(t.lexeme.nesting for t in tokens)


def _after(*kinds: Kind, first: bool = False) -> Callable[[list[Token]], bool]:
    return lambda tokens: first if not tokens else tokens[-1].lexeme.kind in kinds


_IF_LOGICAL = _after(Kind.BLOCK_CLOSE, Kind.EXPRESSION, Kind.UNARY)
_IF_RELATIONAL = _after(Kind.EXPRESSION)
_IF_OPEN = _after(Kind.BLOCK_OPEN, Kind.LOGICAL, Kind.UNARY, first=True)
_IF_NOT = _after(Kind.LOGICAL, Kind.UNARY, first=True)
_IF_EXPRESSION = _after(Kind.BLOCK_OPEN, Kind.LOGICAL, Kind.RELATIONAL, first=True)


def _if_close(tokens: list[Token]) -> bool:
    return (
        bool(tokens)
        and tokens[-1].lexeme.kind
        in (Kind.BLOCK_CLOSE, Kind.BLOCK_OPEN, Kind.EXPRESSION, Kind.UNARY)
        and _nesting(tokens) > 0
    )


def _terminal(tokens: list[Token]) -> bool:
    return _nesting(tokens) == 0


def _terminal_expression(tokens: list[Token]) -> bool:
    return (
        _terminal(tokens)
        and len(tokens) > 1
        and tokens[-2].lexeme.kind is Kind.RELATIONAL
    )


# (lexeme, may it stand here?, may the query end with it?) in the lexicon's order:
# the first lexeme that may stand here and matches wins.
_LEXICON: Final = (
    (AND, _IF_LOGICAL, lambda _: False),
    (OR, _IF_LOGICAL, lambda _: False),
    (BLOCK_CLOSE, _if_close, _terminal),
    (BLOCK_OPEN, _IF_OPEN, lambda _: False),
    *((op, _IF_RELATIONAL, lambda _: False) for op in RELATIONAL),
    *((op, _IF_RELATIONAL, _terminal) for op in UNARY),
    (NOT, _IF_NOT, lambda _: False),
    *((exp, _IF_EXPRESSION, _terminal_expression) for exp in (FIELD, STRING, VALUE)),
)
# What the table's filter row reads a query with (lexicon/columnMulti.ts, operator
# "and"): no blocks, no `!`, no `||`. See `filter_row_statements`.
_FILTER_ROW_LEXICON: Final = (
    (AND, _IF_LOGICAL, lambda _: False),
    *((op, _IF_RELATIONAL, lambda _: False) for op in RELATIONAL),
    *((op, _IF_RELATIONAL, lambda _: True) for op in UNARY),
    *((exp, _IF_EXPRESSION, _terminal_expression) for exp in (FIELD, STRING, VALUE)),
)
_LEADING_SPACE = re.compile(f"{_WS}+")


def lex(query: str, lexicon: tuple = _LEXICON) -> tuple[list[Token], bool, str | None]:
    """Tokens, whether the query may end there, and the text no lexeme could read.

    As in the table, whitespace is skipped before each token, so a query that ends
    in whitespace leaves an empty remainder that nothing reads: it is invalid.
    """
    tokens: list[Token] = []
    rest = query
    while rest:
        space = _LEADING_SPACE.match(rest)
        rest = rest[space.end() :] if space else rest
        for lexeme, allowed, _ in lexicon:
            if not allowed(tokens):
                continue
            match = lexeme.regexp.match(rest)
            if match:
                break
        else:
            return tokens, False, rest
        value = match[lexeme.match_group]
        tokens.append(Token(lexeme, value))
        rest = rest[len(value) :]
    if not tokens:
        return tokens, True, None
    ends = next(end for lexeme, _, end in lexicon if lexeme is tokens[-1].lexeme)
    return tokens, bool(ends(tokens)), None


class _Invalid(Exception):
    pass


def _parse(tokens: list[Token]) -> Node:
    """core/syntax-tree/syntaxer.ts: split at the loosest operator outside blocks."""
    nesting, pivot_index, pivot_rank = 0, -1, None
    for index, token in enumerate(tokens):
        priority = token.lexeme.priority
        # JS ranks with `priority || -1`, so 0 (relational, unary) ranks as -1.
        if nesting == 0 and priority is not None:
            rank = priority or -1
            if pivot_rank is None or rank > pivot_rank:
                pivot_index, pivot_rank = index, rank
        nesting += token.lexeme.nesting
    if pivot_rank is None:
        raise _Invalid("nothing to evaluate")
    pivot = tokens[pivot_index]
    kind = pivot.lexeme.kind
    if kind is Kind.LOGICAL:
        return Node(
            pivot,
            left=_parse(tokens[:pivot_index]),
            right=_parse(tokens[pivot_index + 1 :]),
        )
    # The other syntaxers read their operands from the start of the list, not from
    # the pivot (relational: tokens 0..2, unary: 0..1, `!` and `(`: token 0).
    if pivot.lexeme is NOT:
        return Node(tokens[0], right=_parse(tokens[1:]))
    if pivot.lexeme is BLOCK_OPEN:
        return Node(tokens[0], block=_parse(tokens[1:-1]))
    if kind is Kind.RELATIONAL:
        left, op, right = [*tokens, None, None, None][:3]  # type: ignore[list-item]
        return Node(op, left=left and Node(left), right=right and Node(right))
    left, op = [*tokens, None, None][:2]  # type: ignore[list-item]
    return Node(op, left=left and Node(left))


def parse(query: str) -> Query:
    """Parse `query` as the DataTable does; an invalid query says why in `error`."""
    if not isinstance(query, str):
        return Query(str(query), False, error="a filter query must be a string")
    tokens, complete, failed = lex(query)
    if failed is not None:
        where = f"from {failed!r}" if failed else "at its end (trailing space?)"
        return Query(
            query, False, error=f"cannot read the query {where}", tokens=tokens
        )
    if not complete:
        return Query(query, False, error="the query is incomplete", tokens=tokens)
    if not tokens:
        return Query(query, True, tokens=tokens)
    try:
        tree = _parse(tokens)
    except _Invalid as error:
        return Query(
            query, False, error=f"the query does not parse: {error}", tokens=tokens
        )
    return Query(query, True, tree=tree, tokens=tokens)


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
