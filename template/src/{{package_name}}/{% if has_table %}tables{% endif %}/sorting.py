"""The sort step: the table's `sort_by` as Arrow sort keys, and the rows in that order
(a top-k selection for the pages near the top, a full sort beyond)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SortBy = Sequence[Mapping[str, Any]]
_ROW: Final = "\x00row"  # the row number: the last sort key, so ties keep frame order


def sort_keys(sort_by: SortBy | None, ids: list[str]) -> list[tuple[str, str]]:
    """`sort_by` as Arrow sort keys; unknown columns sort nothing (as in the table),
    and nor does a column sorted by already (it cannot break the ties it made). A
    `sort_by` longer than the table has columns (from a client: anything) is ignored
    whole, unread."""
    if not isinstance(sort_by, list | tuple) or len(sort_by) > len(ids):
        return []
    keys: dict[str, str] = {}
    known = set(ids)
    for item in sort_by:
        if not isinstance(item, Mapping):
            continue
        column = str(item.get("column_id"))
        direction = item.get("direction")
        if column in known and direction in ("asc", "desc") and column not in keys:
            keys[column] = "ascending" if direction == "asc" else "descending"
    return list(keys.items())


def sorted_rows(
    num_rows: int,
    columns: Mapping[str, pa.Array],
    selection: pa.Array | None,
    keys: Sequence[tuple[str, str]],
    limit: int | None,
) -> pa.Array:
    """The numbers of the selected rows of a table of `num_rows` (`selection`: a
    boolean mask, row numbers, or None for every row), sorted by `keys` over `columns`
    (their sort keys); only the first `limit` are guaranteed. Missing values sort
    last in both directions; ties keep row order."""
    every_row = pa.array(np.arange(num_rows, dtype=np.int64))
    # A record batch, not a table: Arrow's select_k and sorts run ~2x faster.
    table = pa.record_batch({**columns, _ROW: every_row})
    if selection is not None:
        if pa.types.is_boolean(selection.type):
            table = table.filter(selection)
        else:
            table = table.take(selection)
    if not keys:
        return table.column(_ROW)
    order = [*keys, (_ROW, "ascending")]
    # Top-k for the pages near the top (with room for the next ones), a full sort
    # beyond. The row number as last key makes either order total.
    k = None if limit is None else max(2 * limit, 1024)
    if k is not None and k < table.num_rows // 4:
        picked = pc.select_k_unstable(table, k=k, sort_keys=order)
    else:
        picked = pc.sort_indices(
            table, sort_keys=[(name, way, "at_end") for name, way in order]
        )
    return table.column(_ROW).take(picked)
