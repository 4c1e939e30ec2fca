"""`StoredTable`: a stored DataFrame's Arrow columns, decoded on demand.

Loaded from Redis, a frame is cached as its undecoded Parquet (`StoredFrame`): a
table view reads the columns and row groups it needs, a background thread at idle
priority the rest, and a pandas frame is only made for who asks for one.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset  # read_table imports it lazily: pay that at startup instead
import pyarrow.parquet as pq

from .background import OnDemandPool, idle_priority
from .errors import StoreCorruptError
from .table_format import GRAINS, arrow_table, column_grain, dictionary_text, readable

# Decodes the columns a table has not used yet, after its first page is out.
_DECODER = OnDemandPool("redis_store-decode", initializer=idle_priority)


class StoredTable:
    """The Arrow columns of a stored DataFrame, decoded column by column.

    What `redis_store.derived(..., arrow=True)` hands its builder. Loaded from Redis,
    nothing is decoded up front: a fresh worker's first table callback decodes the
    columns it filters and sorts on (each column once, whoever asks first) and reads
    only the row groups of the page it shows from the rest (`take`). Once that page
    is out, `decode_rest()` decodes the other columns in a background thread at idle
    priority, for the next page (measured on 2 vCPUs: decoding every column in the
    background from the start made the first callback slower, median 280 ms against
    226 ms without). Repeated text comes as the dictionary Parquet stored (no million
    strings to build; filter and sort on its codes); `to_pandas()` gives it back as
    text.
    """

    def __init__(
        self,
        schema: pa.Schema,
        num_rows: int,
        nbytes: int,
        columns: dict[str, pa.ChunkedArray],
        parquet: _Parquet | None = None,
    ) -> None:
        self.schema, self.num_rows, self.nbytes = schema, num_rows, nbytes
        self._columns = columns
        self._parquet = parquet
        grains = (schema.metadata or {}).get(GRAINS)
        self._grains: dict[str, str] = json.loads(grains) if grains else {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._decoding = False

    @classmethod
    def of(cls, table: pa.Table) -> StoredTable:
        """All columns of `table`, decoded already (a frame saved in this process)."""
        columns = dict(zip(table.column_names, table.columns, strict=True))
        return cls(table.schema, table.num_rows, table.nbytes, columns)

    @classmethod
    def parquet(cls, payload: pa.Buffer) -> StoredTable:
        """The table in Parquet `payload`: its footer read, no column decoded yet."""
        metadata = pq.read_metadata(pa.BufferReader(payload))
        schema = metadata.schema.to_arrow_schema()
        parquet = _Parquet(payload, metadata, dictionary_text(metadata, schema))
        groups = [metadata.row_group(i) for i in range(metadata.num_row_groups)]
        nbytes = sum(group.total_byte_size for group in groups)  # uncompressed
        return cls(schema, metadata.num_rows, nbytes, {}, parquet)

    @property
    def column_names(self) -> list[str]:
        return self.schema.names

    @property
    def decoded(self) -> list[str]:
        """The columns decoded whole so far (for inspection and tests)."""
        return [name for name in self.schema.names if name in self._columns]

    def grain(self, name: str) -> str:
        """The grain of timestamp column `name` (see `timestamp_grain`): recorded when
        the frame was saved, so nothing is decoded; else learnt from its values."""
        grain = self._grains.get(name)
        if grain is None:
            unit = self.schema.field(name).type.unit
            grain = self._grains[name] = column_grain(self.column(name), unit)
        return grain

    def column(self, name: str) -> pa.ChunkedArray:
        """Column `name`, decoded whole (once between requests asking at once)."""
        column = self._columns.get(name)
        if column is not None:
            return column
        with self._lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            column = self._columns.get(name)
            if column is None:
                column = self._columns.setdefault(name, self._read(name))
            return column

    def decode_rest(self) -> None:
        """Decode the columns not decoded yet in a background thread, at idle
        priority (once; call it when a first page is out)."""
        with self._lock:
            if self._decoding or self._parquet is None:
                return
            self._decoding = True
        _DECODER.submit(self._decode_rest)

    def _decode_rest(self) -> None:
        # Takes no lock a request could wait on at this thread's idle priority: a
        # request that needs a column first decodes it itself; the first copy wins.
        for name in self.schema.names:
            if name not in self._columns:
                try:
                    self._columns.setdefault(name, self._read(name))
                except StoreCorruptError:  # the request that needs it says so
                    return

    def _read(self, name: str) -> pa.ChunkedArray:
        assert self._parquet is not None
        with readable(f"column {name!r} of the stored frame"):
            # One thread per column read: parallel reads would queue in Arrow's
            # shared pool behind the background decoder's.
            reader = self._parquet.reader()
            return reader.read(columns=[name], use_threads=False).column(0)

    def take(self, names: list[str], rows: pa.Array) -> dict[str, pa.ChunkedArray]:
        """Columns `names` at positions `rows`. Of columns not decoded yet, only the
        row groups that hold `rows` are read (a page's worth, not whole columns)."""
        if len(rows) == 0:  # nothing to decode
            return {
                name: pa.chunked_array([], self.schema.field(name).type)
                for name in names
            }
        pending = [name for name in names if name not in self._columns]
        taken = {}
        if self._parquet is not None and pending and len(rows) <= 1000:
            starts = self._parquet.starts
            positions = rows.to_numpy(zero_copy_only=False).astype(np.int64)
            group_of = np.searchsorted(starts, positions, side="right") - 1
            groups = np.unique(group_of)
            if len(groups) <= (len(starts) - 1) // 4:  # else whole columns cost as much
                with readable(f"columns {pending} of the stored frame"):
                    part = self._parquet.reader().read_row_groups(
                        groups.tolist(), columns=pending, use_threads=False
                    )
                # Where each group begins in `part`, then each row within its group.
                begins = np.cumsum([0, *np.diff(starts)[groups][:-1]])
                local = pa.array(
                    begins[np.searchsorted(groups, group_of)]
                    + positions
                    - starts[group_of]
                )
                taken = {name: part.column(name).take(local) for name in pending}
        return {
            name: taken[name] if name in taken else self.column(name).take(rows)
            for name in names
        }

    def to_pandas(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The stored DataFrame, or only `columns` of it; repeated text as text."""
        fields, arrays = [], []
        for name in self.schema.names if columns is None else columns:
            field, array = self.schema.field(name), self.column(name)
            kind = self._parquet.coded.get(name) if self._parquet else None
            if kind is not None:
                field, array = field.with_type(kind), array.cast(kind)
            fields.append(field)
            arrays.append(array)
        schema = pa.schema(fields, metadata=self.schema.metadata)  # pandas dtypes
        return pa.Table.from_arrays(arrays, schema=schema).to_pandas(split_blocks=True)


@dataclass(frozen=True)
class _Parquet:
    """Stored Parquet bytes, their footer, and which text columns are dictionaries."""

    payload: pa.Buffer
    metadata: pq.FileMetaData
    coded: dict[str, pa.DataType]

    @cached_property
    def starts(self) -> np.ndarray:
        """The first row of each row group, then the row count."""
        groups = range(self.metadata.num_row_groups)
        return np.cumsum([0, *(self.metadata.row_group(i).num_rows for i in groups)])

    def reader(self) -> pq.ParquetFile:
        """A reader of its own for each decode: threads never share one."""
        return pq.ParquetFile(
            pa.BufferReader(self.payload),
            metadata=self.metadata,
            read_dictionary=list(self.coded),
        )


class StoredFrame:
    """A cached DataFrame: as pandas, as a `StoredTable`, or both; each made on first
    use. Saving caches the caller's frame; loading from Redis caches the undecoded
    `StoredTable`, so table views start without a pandas conversion."""

    def __init__(
        self, frame: pd.DataFrame | None = None, table: StoredTable | None = None
    ) -> None:
        self._frame, self._table = frame, table
        self._lock = threading.Lock()

    @property
    def has_frame(self) -> bool:
        """Whether the pandas frame is made already."""
        return self._frame is not None

    def frame(self) -> pd.DataFrame:
        with self._lock:
            if self._frame is None:
                assert self._table is not None
                self._frame = self._table.to_pandas()
            return self._frame

    def table(self) -> StoredTable:
        with self._lock:
            if self._table is None:
                assert self._frame is not None
                self._table = StoredTable.of(arrow_table(self._frame))
            return self._table
