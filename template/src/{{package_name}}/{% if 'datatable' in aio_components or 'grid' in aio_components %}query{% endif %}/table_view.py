"""A DataFrame as the DataTable sees it, and the filter/sort/page work done on it.

`TableView(frame)` holds one Arrow column per table column id, typed as the JSON the
table receives: numbers as float64 (NaN and infinities as null, as JSON has neither),
booleans, and strings (dates as ISO 8601 text). Build it once per frame and reuse it:
`stored_view(key)` caches it beside the stored frame, so a callback costs a filter
mask, a top-k sort and a `take` of one page, never a pandas copy.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, NamedTuple, Protocol, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..store import StoredTable, redis_store, timestamp_grain
from .filter_query import FilterQuery

_ROW = "\x00row"  # the row number: the last sort key, so ties keep frame order
SortBy = Sequence[Mapping[str, Any]]
T = TypeVar("T")

# The most rows one page serves: `page_size` comes from the browser, and a page is
# JSON for every cell (a million-row page is ~100 MiB). Larger sizes are clamped.
MAX_PAGE_SIZE: Final = 1_000
_DISTINCT_SAMPLE = 65_536  # rows sampled to tell a column of mostly distinct values


class RowFilter(Protocol):
    """A filter other than a DataTable query (e.g. AG Grid's filter model).

    `memo_key` names what it keeps (equal keys, equal rows); `mask` gives the rows to
    keep, None for all of them.
    """

    @property
    def memo_key(self) -> str: ...

    def mask(self, source: TableView) -> pa.BooleanArray | None: ...


# A DataTable `filter_query` (None or "" keeps every row; a string or a parsed
# `FilterQuery`), or any RowFilter.
Filter = str | FilterQuery | RowFilter | None


class Page(NamedTuple):
    """One page of a filtered, sorted table."""

    records: list[dict[str, Any]]  # the table's `data`
    page_current: int  # the page served (the last one if the asked page is past it)
    page_count: int
    kept: int  # rows the filter keeps


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
            names, fields = _frame_columns(frame)
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
        self._columns: dict[str, pa.Array] = {}
        self._pandas: dict[str, pd.Series] = {}  # columns converted one by one
        self._dtypes: dict[str, Any] = {}
        self._plain: dict[str, bool] = {}
        self._encoded: dict[str, pa.DictionaryArray] = {}
        self._by_row: dict[str, bool] = {}  # see `slots`
        self._ranks: dict[str, pa.Array] = {}
        self._formats: dict[str, str | None] = {}
        self._timestamps: dict[str, pa.Array] = {}
        self._derived: dict[tuple[str, str], Any] = {}
        self._paged: set[str] = set()  # columns served page-wise once, unconverted
        self._orders: OrderedDict[tuple[str, str], tuple[pa.Array, int]] = OrderedDict()
        self._lock = threading.Lock()

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
        column = self._columns.get(name)
        if column is None:
            if self._native(name):
                column = _json_arrow(self._arrow(name))
            else:
                column = json_column(self._series(name), self._datetime_format(name))
            self._columns[name] = column
        return column

    def _arrow(self, name: str) -> pa.Array | pa.ChunkedArray | None:
        """Column `name` as Arrow, categoricals decoded; None if the view was built
        from pandas."""
        if self._table is None:
            return None
        return _undictionary(self._table.column(self._fields[name]))

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
        column = self._columns.get(name)
        if column is not None:
            return column.type
        stored = self._stored_type(name)
        if stored is not None and pa.types.is_timestamp(stored):
            return pa.string()  # ISO text
        if stored is not None and self._native(name):
            return _json_arrow(pa.array([], stored)).type  # its rules, on no data
        return self.column(name).type  # type: ignore[union-attr]

    def _native(self, name: str) -> bool:
        """Whether column `name` converts from Arrow as `json_column` would from pandas
        (booleans with nulls do not: pandas reads them as objects, which become text)."""
        kind = self._stored_type(name)
        if kind is None or not _is_json_like(kind):
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
        series = self._pandas.get(name)
        if series is None:
            series = self._table.to_pandas([self._fields[name]]).iloc[:, 0]
            self._pandas[name] = series
        return series

    def dtype(self, name: str) -> Any:
        """The pandas dtype of column `name`, known without converting it."""
        if self._table is None or name in self._pandas:
            return self.series(name).dtype
        if name not in self._dtypes:
            if not self._native(name) and pa.types.is_boolean(self._stored_type(name)):
                self._dtypes[name] = np.dtype(object)  # booleans with nulls
            else:
                empty = self._table.schema.empty_table().select([self._fields[name]])
                self._dtypes[name] = empty.to_pandas().iloc[:, 0].dtype
        return self._dtypes[name]

    def _series(self, name: str) -> pd.Series:
        """Column `name` as pandas, categoricals decoded."""
        return _decategorized(self.series(name))

    def is_plain_text(self, name: str) -> bool:
        """Whether a text column is ASCII only (Arrow then agrees with JS on order/case)."""
        if name not in self._plain:
            kind = self.kind(name)
            if kind is None or not pa.types.is_string(kind):
                self._plain[name] = False
            else:  # repeated text: its dictionary says, without converting the column
                values = self.encoded(name).dictionary if self._coded(name) else None
                text = self.column(name) if values is None else values
                self._plain[name] = (
                    pc.all(pc.string_is_ascii(text)).as_py() is not False
                )
        return self._plain[name]

    def _coded(self, name: str) -> pa.ChunkedArray | None:
        """Column `name` as stored, if that is dictionary-encoded text."""
        if self._table is None or name not in self._positions:
            return None
        stored = self._table.column(self._fields[name])
        return stored if _is_text_dictionary(stored.type) else None

    def encoded(self, name: str) -> pa.DictionaryArray:
        """Column `name` dictionary-encoded (cached): fast equality on repeated text."""
        if name not in self._encoded:
            stored = self._coded(name)
            if stored is not None:
                # Parquet kept the (categorical) column's dictionary: reuse it.
                self._encoded[name] = stored.unify_dictionaries().combine_chunks()
            else:
                column = self.column(name)
                if isinstance(column, pa.ChunkedArray):  # one dictionary, not many
                    column = column.combine_chunks()
                self._encoded[name] = pc.dictionary_encode(column)
        return self._encoded[name]

    def slots(self, name: str) -> tuple[pa.Array, pa.Array | None]:
        """What a computation per distinct value of column `name` runs on: the
        column's dictionary and the indices that spread its results to the rows;
        or, for a column of mostly distinct values and no nulls, the rows themselves
        and None (encoding 1M distinct strings takes ~0.2 s and saves nothing). Fixed
        per column for the view's life: what `derived` keeps depends on it."""
        if name not in self._by_row:
            self._by_row[name] = (
                name not in self._encoded
                and self._coded(name) is None
                and _mostly_distinct(self.column(name))
            )
        if self._by_row[name]:
            return _whole(self.column(name)), None
        encoded = self.encoded(name)
        return encoded.dictionary, encoded.indices

    def derived(self, name: str, what: str, build: Callable[[], T]) -> T:
        """`build()`, made once per column `name` and `what`, and kept with the view:
        what the filters compute from a column alone (its JS numbers, upper-cased
        text, dates...), so that only the first query of a kind pays for it."""
        key = (name, what)
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    def date_format(self, name: str) -> str | None:
        """The strftime form in which column `name` holds datetimes as ISO text
        (see `datetime_format`); None if it holds no datetimes."""
        if name not in self._positions:
            return None
        return self._datetime_format(name)

    def sort_key(self, name: str) -> pa.Array:
        """What to sort column `name` by: text by its rank among the distinct values
        (cached; integers sort several times faster), anything else as it is."""
        if not pa.types.is_string(self.kind(name)):
            return self.column(name)  # type: ignore[return-value]
        if name not in self._ranks:
            encoded = self.encoded(name)
            distinct = pc.rank(
                encoded.dictionary, sort_keys="ascending", tiebreaker="dense"
            )
            self._ranks[name] = distinct.take(encoded.indices)  # nulls stay null: last
        return self._ranks[name]

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
            if name not in self._columns
            and name not in self._timestamps
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
                _json_arrow(_undictionary(column))
                if fmt is None
                else _datetime_text(_whole(column), fmt)
            )
        return cells

    def _cells(self, name: str, rows: pa.Array) -> pa.Array:
        """Column `name` at `rows`, converted whole (once)."""
        column = self._columns.get(name)
        if column is not None:
            return _take(column, rows)
        fmt = self._datetime_format(name)
        if fmt is None:
            return _take(self.column(name), rows)  # type: ignore[arg-type]
        if name not in self._timestamps:
            arrow = self._arrow(name)
            if arrow is not None and pa.types.is_timestamp(arrow.type):
                self._timestamps[name] = arrow.combine_chunks()
            else:
                self._timestamps[name] = _timestamps(self._series(name))
        return _datetime_text(self._timestamps[name].take(rows), fmt)

    def _datetime_format(self, name: str) -> str | None:
        """The ISO form of a datetime column, decided once from all its values."""
        if name not in self._formats:
            kind = self._stored_type(name)
            if kind is not None and pa.types.is_timestamp(kind):
                grain = self._table.grain(self._fields[name])  # type: ignore[union-attr]
                self._formats[name] = _iso_format(grain, kind.tz is not None)
            elif kind is not None and _is_json_like(kind):
                self._formats[name] = None
            else:
                series = self._series(name)
                is_datetime = pd.api.types.is_datetime64_any_dtype(series.dtype)
                self._formats[name] = datetime_format(series) if is_datetime else None
        return self._formats[name]

    def order(
        self, filter_query: Filter, sort_by: SortBy | None, limit: int | None = None
    ) -> tuple[pa.Array, int]:
        """Row numbers kept by the filter, sorted; and how many rows the filter keeps.

        The filter is a DataTable `filter_query` (text, or a `FilterQuery` its caller
        parsed once; anything else from a client is an invalid query, which keeps
        every row) or any `RowFilter` (an object with a `memo_key`).

        Only the first `limit` row numbers are guaranteed (a top-k selection when that
        is cheaper than a full sort). Missing values sort last in both directions, and
        ties keep the frame's order, so pages never repeat or skip a row. Results are
        memoised per (query, sort) for the next page.
        """
        keys = _sort_keys(sort_by, self.ids)
        row_filter: FilterQuery | RowFilter
        if filter_query is not None and hasattr(filter_query, "memo_key"):
            # A tuple never equals a query string: the two kinds never collide.
            row_filter = filter_query
            memo_filter: Any = (type(filter_query).__name__, filter_query.memo_key)
        else:  # a DataTable query: text, parsed or not, or anything from a client
            if not isinstance(filter_query, FilterQuery):
                filter_query = FilterQuery(filter_query)
            row_filter = filter_query
            # Queries that keep every row share one memo entry: a client's huge
            # invalid text is not kept.
            memo_filter = "" if filter_query.keeps_everything else filter_query.text
        memo_key = (memo_filter, repr(keys))
        with self._lock:
            memo = self._orders.get(memo_key)
            if memo is not None:
                self._orders.move_to_end(memo_key)
        if memo is not None:
            rows, kept = memo
            if len(rows) >= (kept if limit is None else min(limit, kept)):
                return memo
        mask = row_filter.mask(self)
        every_row = pa.array(np.arange(self.num_rows, dtype=np.int64))
        # A record batch, not a table: Arrow's select_k and sorts run ~2x faster.
        table = pa.record_batch(
            {**{name: self.sort_key(name) for name, _ in keys}, _ROW: every_row}
        )
        if mask is not None:
            table = table.filter(mask)
        total = table.num_rows
        if not keys:
            rows = table.column(_ROW)
        else:
            sort_keys = [*keys, (_ROW, "ascending")]
            # Top-k for the pages near the top (with room for the next ones), a full
            # sort beyond. The row number as last key makes either order total.
            k = None if limit is None else max(2 * limit, 1024)
            if k is not None and k < total // 4:
                picked = pc.select_k_unstable(table, k=k, sort_keys=sort_keys)
            else:
                picked = pc.sort_indices(
                    table,
                    sort_keys=[(name, order, "at_end") for name, order in sort_keys],
                )
            rows = table.column(_ROW).take(picked)
        with self._lock:
            self._orders[memo_key] = (rows, total)
            while len(self._orders) > 8:
                self._orders.popitem(last=False)
        return rows, total

    def page(
        self, filter_query: Filter, sort_by: SortBy | None, page: int, size: int
    ) -> Page:
        """One page of records; a page past the end (the filter shrank the data)
        falls back to the last page.

        `page` and `size` may be anything a client sends: the size is read by
        `page_size` (at most MAX_PAGE_SIZE rows), and a page that is no whole number
        is the first.
        """
        size = page_size(size)
        _, kept = self.order(filter_query, sort_by, limit=size)
        pages = max(-(-kept // size), 1)
        page = min(max(_integer(page, 0), 0), pages - 1)
        rows, _ = self.order(filter_query, sort_by, limit=(page + 1) * size)
        return Page(
            self.records(rows[page * size : (page + 1) * size]), page, pages, kept
        )


def stored_view(key: Any) -> TableView:
    """The `TableView` of the DataFrame stored under `key`, cached beside it.

    Built once per process (`redis_store.derived` under the name "table-view") and
    shared by the table components' callbacks: read it, never modify it. Raises the
    store's `StoreKeyError`, like `redis_store.load`, for an expired or unknown key.
    """
    return redis_store.derived(key, "table-view", TableView, arrow=True)


def _take(column: pa.Array | pa.ChunkedArray, rows: pa.Array) -> pa.Array:
    """`column.take(rows)`; for a page of a chunked column, cell by cell
    (ChunkedArray.take concatenates the chunks first: ~2 ms a page at 1M rows)."""
    if isinstance(column, pa.Array) or len(rows) > 1000:
        return column.take(rows)
    return pa.array([column[row].as_py() for row in rows.to_pylist()], column.type)


def _sort_keys(sort_by: SortBy | None, ids: list[str]) -> list[tuple[str, str]]:
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


def page_size(value: Any, default: int = 10) -> int:
    """The rows a page holds for a `page_size` a client sent: a whole number from 1
    to MAX_PAGE_SIZE (a larger one, infinity included, is clamped; a smaller one
    gives 1), `default` if it is no whole number (NaN, a fraction, text, a list...)."""
    if isinstance(value, float) and value == math.inf:
        return MAX_PAGE_SIZE
    return min(max(_integer(value, default), 1), MAX_PAGE_SIZE)


def _integer(value: Any, default: int) -> int:
    """`value` from the browser as an int; `default` if it is none (NaN, infinity,
    a fraction, text that is no whole number, a list...)."""
    if isinstance(value, str):
        try:
            return int(value)  # Python caps the digits it reads (4,300)
        except ValueError:
            return default
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else default
    if isinstance(value, int):  # bool included, as before: True is 1
        return value
    return default


def _frame_columns(table: pa.Table) -> tuple[list[Any], list[str]]:
    """The DataFrame column names stored in `table`, and their fields (the index,
    when Parquet keeps it as columns, is left out, as in `table.to_pandas()`)."""
    meta = table.schema.pandas_metadata or {}
    index = {name for name in meta.get("index_columns", []) if isinstance(name, str)}
    fields = [name for name in table.column_names if name not in index]
    names = {
        column.get("field_name"): column.get("name")
        for column in meta.get("columns", [])
    }
    return [names.get(field, field) for field in fields], fields


def _decategorized(series: pd.Series) -> pd.Series:
    """A categorical column as its values; others as they are."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return series
    categories = series.dtype.categories.dtype
    if series.hasnans and categories.kind in "iub":  # no missing ints or bools
        return series.astype("float64" if categories.kind != "b" else object)
    return series.astype(categories)


def json_column(series: pd.Series, datetime_fmt: str | None = None) -> pa.Array:
    """`series` as the JSON values the table would hold, in an Arrow array.

    Datetimes become ISO text in `datetime_fmt` (see `datetime_format`; decided from
    the whole column, so that every slice of it reads the same).
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return json_column(_decategorized(series), datetime_fmt)
    if pd.api.types.is_bool_dtype(dtype):
        return pa.array(series, pa.bool_(), from_pandas=True)
    if pd.api.types.is_numeric_dtype(dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return pa.array(values, pa.float64(), mask=~np.isfinite(values))
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _datetime_text(
            _timestamps(series), datetime_fmt or datetime_format(series)
        )
    if pd.api.types.is_timedelta64_dtype(dtype):
        return pa.array(series.astype(str).where(series.notna(), None), pa.string())
    try:
        array = pa.array(series, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        array = None
    if array is not None and (
        pa.types.is_string(array.type)
        or pa.types.is_large_string(array.type)
        or pa.types.is_null(array.type)
    ):
        return array.cast(pa.string())
    text = series.map(lambda v: None if v is None or v is pd.NA else str(v))
    return pa.array(text, pa.string(), from_pandas=True)


def _is_json_like(kind: pa.DataType) -> bool:
    """Arrow types whose JSON form `_json_arrow` makes without pandas."""
    return (
        pa.types.is_boolean(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_null(kind)
    )


def _is_text_dictionary(kind: pa.DataType) -> bool:
    return pa.types.is_dictionary(kind) and (
        pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
    )


def _mostly_distinct(column: pa.Array | pa.ChunkedArray) -> bool:
    """Whether `column` has no nulls and its first rows (a sample: counting them all
    would cost what encoding does) are more than half distinct."""
    if column.null_count:
        return False
    sample = column.slice(0, _DISTINCT_SAMPLE)
    return pc.count_distinct(sample).as_py() * 2 > len(sample)


def _json_arrow(column: Any) -> pa.Array | pa.ChunkedArray:
    """What `json_column` makes of the pandas column that `column` decodes to."""
    kind = column.type
    if pa.types.is_boolean(kind):
        return _whole(column)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        values = _whole(column.cast(pa.float64(), safe=False))
        finite = pc.is_finite(values)
        if pc.all(finite).as_py() is not False:  # all finite or null: no copy
            return values
        return pc.if_else(finite, values, None)  # NaN, ±inf: null
    return column.cast(pa.string())  # text (kept in its chunks), or all null


def _undictionary(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A dictionary-encoded column (categorical, or repeated text) as its values."""
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def _whole(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def datetime_format(series: pd.Series) -> str:
    """The column's ISO 8601 form: date only for naive whole days, else with the time
    (seconds, or microseconds if some value has a fraction) and the offset if any."""
    tz = getattr(series.dtype, "tz", None)
    naive = series.dt.tz_localize(None) if tz is not None else series
    values = naive.to_numpy()  # datetime64 in the series' own unit: no overflow
    ticks = values[~np.isnat(values)].view(np.int64)
    grain = timestamp_grain(ticks, np.datetime_data(values.dtype)[0])
    return _iso_format(grain, tz is not None)


def _iso_format(grain: str, aware: bool) -> str:
    """`datetime_format` of timestamps of `grain` (see `timestamp_grain`; the offsets
    of time zones are whole seconds: UTC or wall ticks give one grain)."""
    if grain == "day" and not aware:
        return "%Y-%m-%d"
    fraction = ".us" if grain == "fraction" else ""
    return "%Y-%m-%dT%H:%M:%S" + ("%z" if aware else "") + fraction


def _timestamps(series: pd.Series) -> pa.Array:
    values = pa.array(series, from_pandas=True)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _datetime_text(values: pa.Array, fmt: str) -> pa.Array:
    """ISO 8601 text of Arrow timestamps, in their column's `fmt` (datetime_format)."""
    if fmt == "%Y-%m-%d":
        return values.cast(pa.date32(), safe=False).cast(pa.string())
    fmt, unit = (fmt[:-3], "us") if fmt.endswith(".us") else (fmt, "s")
    values = values.cast(pa.timestamp(unit, tz=values.type.tz), safe=False)
    years = pc.min_max(pc.year(values)).as_py()
    low, high = years["min"] or 1000, years["max"] or 1000
    if values.type.tz is None and 1000 <= low <= high <= 9999:
        # Arrow's cast writes "YYYY-MM-DD HH:MM:SS[.ffffff]", ~25x faster than strftime.
        return pc.utf8_replace_slice(values.cast(pa.string()), 10, 11, "T")
    return pc.strftime(values, format=fmt)
