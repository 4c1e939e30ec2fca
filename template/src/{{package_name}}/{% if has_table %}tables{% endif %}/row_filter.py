"""What a table filter is (`RowFilter`): the one abstraction that the DataTable's
`FilterQuery` and AG Grid's `FilterModel` implement, and `TableView.filter` takes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pyarrow as pa

if TYPE_CHECKING:
    from .table_view import TableView


@runtime_checkable
class RowFilter(Protocol):
    """A parsed filter: the DataTable's `FilterQuery` or AG Grid's `FilterModel`.

    `memo_key` names what it keeps (equal keys, equal rows); `mask` gives the rows to
    keep, None for all of them.
    """

    @property
    def memo_key(self) -> str: ...

    def mask(self, view: TableView) -> pa.BooleanArray | None: ...


def check_filter(row_filter: Any) -> None:
    """Raise TypeError unless `row_filter` is a `RowFilter` or None: a filter's text
    is parsed once by its caller (`FilterQuery(text)`), never here."""
    # What `isinstance(row_filter, RowFilter)` checks, without its cost (~0.1 ms a
    # call): this runs on every callback.
    if row_filter is None or (
        callable(getattr(row_filter, "mask", None)) and hasattr(row_filter, "memo_key")
    ):
        return
    if isinstance(row_filter, str):
        raise TypeError(
            "a table filter must be parsed first: pass FilterQuery(text) (or a "
            f"FilterModel), not the text {row_filter[:60]!r}"
        )
    raise TypeError(
        "a table filter is a FilterQuery, a FilterModel or None, not "
        f"{type(row_filter).__name__}"
    )
