"""The small pieces of UI text the components share: row counts and problems.

Not a component: plain functions the AIO modules put in their message subcomponents.
"""

from __future__ import annotations

from dash import html


def alert(text: str) -> html.Span:
    """`text` as a problem the user should see: an `aio-problem` span, role alert."""
    return html.Span(text, className="aio-problem", role="alert")


def row_count(total: int, kept: int) -> str:
    """A table's row count: "1,234 rows", or "56 of 1,234 rows" when a filter keeps
    fewer."""
    if kept == total:
        return f"{total:,} rows"
    return f"{kept:,} of {total:,} rows"
