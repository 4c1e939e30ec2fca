"""A DataFrame as the table components see it, and the steps of every table callback.

`TableView(frame)` holds one Arrow column per table column id, typed as the JSON the
table receives (see `json_columns`). A callback reads load -> filter -> sort -> page:
`stored_view(key)` (the view cached beside the stored frame), `view.filter(row_filter)`
(the numbers of the rows a `RowFilter` keeps), then `view.page(rows, sort_by,
page_current, page_size)` (a top-k `view.sort` of the rows the page needs, and its
records): a filter mask, a top-k sort and a `take` of one page, never a pandas copy.

What the view derives from one column (its JSON form, dictionary encoding, sort
ranks, the filters' JavaScript views...) is made once and kept by `derived`; the last
filter and sort results are kept in a small LRU (`_orders`) for the next page. One
class, hence one file past 400 lines: every method reads the same per-column memo.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..store import StoredTable, redis_store
from .json_columns import (
    datetime_format,
    datetime_text,
    decategorized,
    frame_columns,
    is_json_like,
    is_text_dictionary,
    iso_format,
    json_arrow,
    json_column,
    mostly_distinct,
    take_cells,
    timestamps,
    undictionary,
    whole,
)
from .paging import Page, page_number, page_size
from .row_filter import RowFilter, check_filter
from .sorting import SortBy, sort_keys, sorted_rows

T = TypeVar("T")
_RECENT: Final = 16  # filter and sort results kept for the next pages
_UNKNOWN: Final = object()  # row numbers no filter of this view gave


class TableView:
    """JSON-typed Arrow columns of a DataFrame, keyed by the table's column ids.

    Columns are converted on first use, so filtering on one column of a wide frame
    converts that column only. The view never modifies `frame`.
    """

    def __init__(self, frame: pd.DataFrame | pa.Table | StoredTable) -> None:
        if isinstance(frame, pa.Table):
            frame = StoredTable.of(frame)
        if isinstance(frame, StoredTable):  # as the store keeps it: no pandas needed
            self._table: StoredTable | None = frame
            self._frame: pd.DataFrame | None = None
            names, fields = frame_columns(frame)
            self.num_rows = frame.num_rows
            self.nbytes = frame.nbytes
        else:
            self._table, self._frame = None, frame
            names, fields = list(frame.columns), []
            self.num_rows = len(frame)
            self.nbytes = int(frame.memory_usage(index=False, deep=False).sum())
        # Cache accounting (nbytes): the JSON view is about the size of the columns.
        ids = [str(name) for name in names]
        if len(set(ids)) != len(ids):
            raise ValueError(
                f"column names must be distinct as strings for the table, got {ids}"
            )
        self.ids = ids
        self._fields = dict(zip(ids, fields, strict=False))
        self._positions = {name: i for i, name in enumerate(ids)}
        self._memo: dict[tuple[str, str], Any] = {}  # see `derived`
        self._paged: set[str] = set()  # columns served page-wise once, unconverted
        # Recent filter masks and sorted row numbers, by filter and sort (LRU).
        self._orders: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def derived(self, name: str, what: str, build: Callable[[], T]) -> T:
        """`build()`, made once per column `name` and `what`, and kept with the view:
        the one memo of what is computed from a column alone (its JSON form, its
        dictionary encoding and sort ranks, the filters' JS numbers, upper-cased
        text, dates...), so that only the first query of a kind pays for it.

        Thread-safe: callbacks share the view. `build` runs outside the lock (it may
        ask for other derived values); if two threads build at once, the first
        result kept is the one every caller gets."""
        key = (name, what)
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        value = build()
        with self._lock:
            return self._memo.setdefault(key, value)

    def _kept(self, name: str, what: str) -> Any:
        """What `derived` keeps for (`name`, `what`), None if nothing yet."""
        with self._lock:
            return self._memo.get((name, what))

    @property
    def frame(self) -> pd.DataFrame:
        """The DataFrame viewed (converted from Arrow on first use if built from it)."""
        if self._frame is None:
            assert self._table is not None
            self._frame = self._table.to_pandas()
        return self._frame

    def column(self, name: str) -> pa.Array | pa.ChunkedArray | None:
        """The column with id `name` (None if there is none: JS `undefined`).

        Text decoded from Parquet stays in its chunks: combining them would copy it."""
        if name not in self._positions:
            return None
        return self.derived(name, "json", lambda: self._json(name))

    def _json(self, name: str) -> pa.Array | pa.ChunkedArray:
        if self._native(name):
            return json_arrow(self._arrow(name))
        return json_column(self._series(name), self._datetime_format(name))

    def _arrow(self, name: str) -> pa.Array | pa.ChunkedArray | None:
        """Column `name` as Arrow, categoricals decoded; None if the view was built
        from pandas."""
        if self._table is None:
            return None
        return undictionary(self._table.column(self._fields[name]))

    def _stored_type(self, name: str) -> pa.DataType | None:
        """The Arrow type of column `name` (of its values, for a dictionary), known
        without decoding it; None if the view was built from pandas."""
        if self._table is None:
            return None
        kind = self._table.schema.field(self._fields[name]).type
        return kind.value_type if pa.types.is_dictionary(kind) else kind

    def kind(self, name: str) -> pa.DataType | None:
        """The Arrow type of column `name` as `column(name)` gives it (None if there
        is none), known without converting a column built from Arrow."""
        if name not in self._positions:
            return None
        column = self._kept(name, "json")
        if column is not None:
            return column.type
        stored = self._stored_type(name)
        if stored is not None and pa.types.is_timestamp(stored):
            return pa.string()  # ISO text
        if stored is not None and self._native(name):
            return json_arrow(pa.array([], stored)).type  # its rules, on no data
        return self.column(name).type  # type: ignore[union-attr]

    def _native(self, name: str) -> bool:
        """Whether column `name` converts from Arrow as `json_column` would from pandas
        (booleans with nulls do not: pandas reads them as objects, which become text)."""
        kind = self._stored_type(name)
        if kind is None or not is_json_like(kind):
            return False
        assert self._table is not None
        return not (
            pa.types.is_boolean(kind)
            and self._table.column(self._fields[name]).null_count
        )

    def series(self, name: str) -> pd.Series:
        """Column `name` as pandas, as the frame holds it (from Arrow, this column
        alone is converted, once, not the frame)."""
        if self._frame is not None or self._table is None:
            return self.frame.iloc[:, self._positions[name]]
        table = self._table
        return self.derived(
            name, "pandas", lambda: table.to_pandas([self._fields[name]]).iloc[:, 0]
        )

    def dtype(self, name: str) -> Any:
        """The pandas dtype of column `name`, known without converting it."""
        if self._table is None or self._kept(name, "pandas") is not None:
            return self.series(name).dtype
        return self.derived(name, "dtype", lambda: self._stored_dtype(name))

    def _stored_dtype(self, name: str) -> Any:
        assert self._table is not None
        if not self._native(name) and pa.types.is_boolean(self._stored_type(name)):
            return np.dtype(object)  # booleans with nulls
        empty = self._table.schema.empty_table().select([self._fields[name]])
        return empty.to_pandas().iloc[:, 0].dtype

    def _series(self, name: str) -> pd.Series:
        """Column `name` as pandas, categoricals decoded."""
        return decategorized(self.series(name))

    def is_plain_text(self, name: str) -> bool:
        """Whether a text column is ASCII only (Arrow then agrees with JS on order/case)."""

        def build() -> bool:
            kind = self.kind(name)
            if kind is None or not pa.types.is_string(kind):
                return False
            # Repeated text: its dictionary says, without converting the column.
            values = self.encoded(name).dictionary if self._coded(name) else None
            text = self.column(name) if values is None else values
            return pc.all(pc.string_is_ascii(text)).as_py() is not False

        return self.derived(name, "plain text", build)

    def _coded(self, name: str) -> pa.ChunkedArray | None:
        """Column `name` as stored, if that is dictionary-encoded text."""
        if self._table is None or name not in self._positions:
            return None
        stored = self._table.column(self._fields[name])
        return stored if is_text_dictionary(stored.type) else None

    def encoded(self, name: str) -> pa.DictionaryArray:
        """Column `name` dictionary-encoded (kept): fast equality on repeated text."""

        def build() -> pa.DictionaryArray:
            stored = self._coded(name)
            if stored is not None:
                # Parquet kept the (categorical) column's dictionary: reuse it.
                return stored.unify_dictionaries().combine_chunks()
            column = self.column(name)
            if isinstance(column, pa.ChunkedArray):  # one dictionary, not many
                column = column.combine_chunks()
            return pc.dictionary_encode(column)

        return self.derived(name, "encoded", build)

    def slots(self, name: str) -> tuple[pa.Array, pa.Array | None]:
        """What a computation per distinct value of column `name` runs on: the
        column's dictionary and the indices that spread its results to the rows;
        or, for a column of mostly distinct values and no nulls, the rows themselves
        and None (encoding 1M distinct strings takes ~0.2 s and saves nothing). Fixed
        per column for the view's life: what `derived` keeps depends on it."""
        by_row = self.derived(
            name,
            "by row",
            lambda: (
                self._kept(name, "encoded") is None
                and self._coded(name) is None
                and mostly_distinct(self.column(name))  # type: ignore[arg-type]
            ),
        )
        if by_row:
            return whole(self.column(name)), None  # type: ignore[arg-type]
        encoded = self.encoded(name)
        return encoded.dictionary, encoded.indices

    def date_format(self, name: str) -> str | None:
        """The strftime form in which column `name` holds datetimes as ISO text
        (see `datetime_format`); None if it holds no datetimes."""
        if name not in self._positions:
            return None
        return self._datetime_format(name)

    def sort_key(self, name: str) -> pa.Array:
        """What to sort column `name` by: text by its rank among the distinct values
        (kept; integers sort several times faster), anything else as it is."""
        if not pa.types.is_string(self.kind(name)):
            return self.column(name)  # type: ignore[return-value]

        def build() -> pa.Array:
            encoded = self.encoded(name)
            distinct = pc.rank(
                encoded.dictionary, sort_keys="ascending", tiebreaker="dense"
            )
            return distinct.take(encoded.indices)  # nulls stay null: last

        return self.derived(name, "rank", build)

    def records(self, rows: pa.Array | Sequence[int]) -> list[dict[str, Any]]:
        """The rows at positions `rows` as the table's `data` (JSON values)."""
        rows = pa.array(rows, pa.int64())
        first = self._first_cells(rows)
        if self._table is not None:
            self._table.decode_rest()  # for the next pages
        columns = {
            name: first[name] if name in first else self._cells(name, rows)
            for name in self.ids
        }
        return (
            pa.table(columns).to_pylist() if columns else [{} for _ in range(len(rows))]
        )

    def _first_cells(self, rows: pa.Array) -> dict[str, pa.Array]:
        """The native and date columns not shown yet, at `rows` only: a fresh
        worker's first page decodes and converts the page, not whole columns
        (`StoredTable.take`; dates in the form their stored grain gives). The next
        page converts them whole, once."""
        if self._table is None:
            return {}
        names = [
            name
            for name in self.ids
            if self._kept(name, "json") is None
            and self._kept(name, "timestamps") is None
            and name not in self._paged
            and (self._native(name) or pa.types.is_timestamp(self._stored_type(name)))
        ]
        if not names:
            return {}
        self._paged.update(names)
        taken = self._table.take([self._fields[name] for name in names], rows)
        cells = {}
        for name in names:
            column = taken[self._fields[name]]
            fmt = self._datetime_format(name)  # from the stored grain: no decoding
            cells[name] = (
                json_arrow(undictionary(column))
                if fmt is None
                else datetime_text(whole(column), fmt)
            )
        return cells

    def _cells(self, name: str, rows: pa.Array) -> pa.Array:
        """Column `name` at `rows`, converted whole (once)."""
        column = self._kept(name, "json")
        if column is not None:
            return take_cells(column, rows)
        fmt = self._datetime_format(name)
        if fmt is None:
            return take_cells(self.column(name), rows)  # type: ignore[arg-type]

        def build() -> pa.Array:
            arrow = self._arrow(name)
            if arrow is not None and pa.types.is_timestamp(arrow.type):
                return arrow.combine_chunks()
            return timestamps(self._series(name))

        return datetime_text(self.derived(name, "timestamps", build).take(rows), fmt)

    def _datetime_format(self, name: str) -> str | None:
        """The ISO form of a datetime column, decided once from all its values."""

        def build() -> str | None:
            kind = self._stored_type(name)
            if kind is not None and pa.types.is_timestamp(kind):
                grain = self._table.grain(self._fields[name])  # type: ignore[union-attr]
                return iso_format(grain, kind.tz is not None)
            if kind is not None and is_json_like(kind):
                return None
            series = self._series(name)
            is_datetime = pd.api.types.is_datetime64_any_dtype(series.dtype)
            return datetime_format(series) if is_datetime else None

        return self.derived(name, "datetime format", build)

    # -- the steps of a callback: filter -> sort -> page ------------------------------

    def filter(self, row_filter: RowFilter | None) -> pa.Array | None:
        """The numbers (int64, in frame order) of the rows `row_filter` keeps; None
        for every row (no filter, or one that keeps them all).

        `row_filter` is a parsed filter: `FilterQuery(text)` (the DataTable's
        language: callers parse once) or `FilterModel(model)` (AG Grid's); text or
        anything else is a TypeError. Kept for the next page (by its `memo_key`)."""
        check_filter(row_filter)
        if row_filter is None:
            return None
        key = ("filter", type(row_filter).__name__, row_filter.memo_key)
        kept = self._recent(key)
        if kept is None:
            mask = row_filter.mask(self)
            if mask is not None:
                if mask.null_count:
                    mask = pc.fill_null(mask, False)
                # (Faster than pc.indices_nonzero, which gives uint64 to cast.)
                every_row = pa.array(np.arange(self.num_rows, dtype=np.int64))
                numbers = every_row.filter(mask)
                kept = self._remember(key, (numbers, mask))
        return None if kept is None else kept[0]

    def count(self, rows: pa.Array | None) -> int:
        """How many rows `rows` (from `filter`: None is every row) holds."""
        return self.num_rows if rows is None else len(rows)

    def sort(
        self, rows: pa.Array | None, sort_by: SortBy | None, limit: int | None = None
    ) -> pa.Array:
        """The row numbers `rows` (from `filter`; None: every row) in the order of
        `sort_by` (the table's: a list of {column_id, direction}; what it cannot use
        sorts nothing). Only the first `limit` are guaranteed (a top-k selection when
        that is cheaper than a full sort; None: all).

        Missing values sort last in both directions, and ties keep the frame's order,
        so pages never repeat or skip a row. Kept for the next pages."""
        keys = sort_keys(sort_by, self.ids)
        if not keys and rows is not None:
            return rows  # frame order already
        selection, filter_key = self._selection(rows)
        key = ("sort", filter_key, repr(keys))
        kept = None if filter_key is _UNKNOWN else self._recent(key)
        count = self.count(rows)
        if kept is not None and len(kept) >= min(count, limit or count):
            return kept
        columns = {name: self.sort_key(name) for name, _ in keys}
        numbers = sorted_rows(self.num_rows, columns, selection, keys, limit)
        return numbers if filter_key is _UNKNOWN else self._remember(key, numbers)

    def page(
        self, rows: Any, sort_by: SortBy | None, page_current: Any, size: Any
    ) -> Page:
        """One page of records of `rows` (from `filter`; None: every row) sorted by
        `sort_by`; a page past the end (the filter shrank the data) falls back to the
        last page. (A `RowFilter` for `rows` is filtered first, as before 0.8.)

        `page_current` and `size` may be anything a client sends: the size is read
        by `page_size` (at most MAX_PAGE_SIZE rows), and a page that is no whole
        number is the first."""
        if rows is not None and not isinstance(rows, pa.Array):
            rows = self.filter(rows)
        size = page_size(size)
        kept = self.count(rows)
        page, pages = page_number(page_current, size, kept)
        ordered = self.sort(rows, sort_by, limit=(page + 1) * size)
        numbers = ordered[page * size : (page + 1) * size]
        return Page(self.records(numbers), page, pages, kept)

    def order(
        self, row_filter: RowFilter | None, sort_by: SortBy | None, limit: Any = None
    ) -> tuple[pa.Array, int]:
        """`filter` then `sort`: the sorted row numbers (the first `limit` at least)
        and how many rows the filter keeps."""
        rows = self.filter(row_filter)
        return self.sort(rows, sort_by, limit), self.count(rows)

    def _selection(self, rows: pa.Array | None) -> tuple[pa.Array | None, Any]:
        """What selects `rows` for the sort (the filter's mask if `rows` is what
        `filter` gave: filtering is faster than taking) and the key of that filter
        (None: every row; _UNKNOWN: row numbers from elsewhere, not memoised)."""
        if rows is None:
            return None, None
        with self._lock:
            for key, value in self._orders.items():
                if key[0] == "filter" and value[0] is rows:
                    return value[1], key[1:]
        return rows, _UNKNOWN

    def _recent(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            value = self._orders.get(key)
            if value is not None:
                self._orders.move_to_end(key)
        return value

    def _remember(self, key: tuple[Any, ...], value: T) -> T:
        with self._lock:
            self._orders[key] = value
            while len(self._orders) > _RECENT:
                self._orders.popitem(last=False)
        return value


def filter_frame(df: pd.DataFrame, row_filter: RowFilter | None) -> pd.DataFrame:
    """The rows of `df` that `row_filter` keeps (a new frame; every row for None)."""
    check_filter(row_filter)
    mask = None if row_filter is None else row_filter.mask(TableView(df))
    return (
        df.copy(deep=False) if mask is None else df[mask.to_numpy(zero_copy_only=False)]
    )


def stored_view(key: Any) -> TableView:
    """The `TableView` of the DataFrame stored under `key`, cached beside it.

    Built once per process (`redis_store.derived` under the name "table-view") and
    shared by the table components' callbacks: read it, never modify it. Raises the
    store's `StoreKeyError`, like `redis_store.load`, for an expired or unknown key.
    """
    return redis_store.derived(key, "table-view", TableView, arrow=True)
