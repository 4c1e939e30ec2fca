"""The storage format of DataFrames: Parquet, written for fast partial reads.

Each column in the encoding that is smallest and fastest to decode for its type
(`parquet_encodings`), zstd, row groups of `ROW_GROUP` rows (a page of a table is read
from the groups that hold it), and each timestamp column's grain in the schema
metadata (`timestamp_grain`). `value_codec` adds the type tag; `stored_table` reads
it back column by column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import StoreCorruptError, StoreValueError

# Rows per Parquet row group: a table's first page in a fresh worker decodes the
# groups that hold its rows, not whole columns (see `StoredTable.take`).
ROW_GROUP = 16_384
# Schema metadata: the grain of each timestamp column (see `timestamp_grain`).
GRAINS = b"redis_store.grains"


def parquet_bytes(frame: pd.DataFrame) -> pa.Buffer:
    """`frame` as Parquet, in the encodings that suit its columns."""
    table = with_grains(arrow_table(frame))
    sink = pa.BufferOutputStream()
    dictionary, encodings = parquet_encodings(table)
    pq.write_table(
        table,
        sink,
        compression="zstd",
        compression_level=3,
        use_dictionary=dictionary,
        column_encoding=encodings,
        row_group_size=ROW_GROUP,
        write_statistics=False,  # nothing reads them; they cost save time
    )
    return sink.getvalue()


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """`frame` as the Arrow table Parquet stores."""
    try:
        # A frame without columns keeps its length only if its index is a column.
        keep_index = True if len(frame.columns) == 0 else None
        return pa.Table.from_pandas(frame, preserve_index=keep_index)
    except (pa.ArrowException, TypeError, ValueError) as error:
        raise StoreValueError(f"this DataFrame cannot be stored: {error}") from error


def timestamp_grain(ticks: np.ndarray, unit: str) -> str:
    """The coarsest unit that integer timestamp `ticks` of `unit` are whole multiples
    of: "day", "second" or "fraction" (of a second); what their ISO form shows."""
    second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    if not (ticks % (86_400 * second)).any():
        return "day"
    return "fraction" if (ticks % second).any() else "second"


def column_grain(column: pa.ChunkedArray, unit: str) -> str:
    """`timestamp_grain` of a timestamp column's values, nulls aside."""
    return timestamp_grain(pc.drop_null(column.cast(pa.int64())).to_numpy(), unit)


def with_grains(table: pa.Table) -> pa.Table:
    """`table` with the grain of each timestamp column in its schema metadata: a
    fresh worker then knows how to show a column's dates without decoding it."""
    grains = {
        field.name: column_grain(column, field.type.unit)
        for field, column in zip(table.schema, table.columns, strict=True)
        if pa.types.is_timestamp(field.type)
    }
    if not grains:
        return table
    metadata = {**(table.schema.metadata or {}), GRAINS: json.dumps(grains).encode()}
    return table.replace_schema_metadata(metadata)


def parquet_encodings(table: pa.Table) -> tuple[list[str], dict[str, str]]:
    """Per column: dictionary-encoded, or the encoding to use instead.

    Measured on 1M rows (benchmarks/bench_store.py, bench_datatable.py): floats
    byte-stream-split (zstd then compresses them well); integers and timestamps
    delta-encoded (as small as a dictionary for repeated values, ~100x smaller for
    sorted ones, and 8x faster to decode); text dictionary-encoded only when it
    repeats (unique text would overflow the dictionary, which decodes 2x slower).
    """
    dictionary: list[str] = []
    encodings: dict[str, str] = {}
    for field, column in zip(table.schema, table.columns, strict=True):
        kind = field.type
        if pa.types.is_floating(kind):
            encodings[field.name] = "BYTE_STREAM_SPLIT"
        elif pa.types.is_integer(kind) or pa.types.is_timestamp(kind):
            encodings[field.name] = "DELTA_BINARY_PACKED"
        elif is_text(kind) and not _repeats(column):
            encodings[field.name] = "PLAIN"
        else:
            dictionary.append(field.name)
    return dictionary, encodings


def _repeats(column: pa.ChunkedArray, sample: int = 10_000) -> bool:
    """Whether a text column holds few distinct values (judged on its first rows)."""
    head = column.slice(0, sample)
    return pc.count_distinct(head).as_py() <= len(head) // 2


def dictionary_text(
    metadata: pq.FileMetaData, schema: pa.Schema
) -> dict[str, pa.DataType]:
    """The text columns stored dictionary-encoded (repeated text, see
    `parquet_encodings`), with their types; not categoricals, which Arrow reads as
    dictionaries anyway."""
    if metadata.num_row_groups == 0:
        return {}
    group = metadata.row_group(0)
    coded = {}
    for index in range(group.num_columns):
        chunk = group.column(index)
        name = chunk.path_in_schema
        if name in schema.names and chunk.has_dictionary_page:
            kind = schema.field(name).type
            if is_text(kind):
                coded[name] = kind
    return coded


@contextmanager
def readable(what: str) -> Iterator[None]:
    """Parquet that fails to decode (verified bytes, so not written by this store)
    as the store's error, which components show as a message."""
    try:
        yield
    except (pa.ArrowException, OSError, ValueError) as error:  # OSError: bad pages
        raise StoreCorruptError(f"{what} is unreadable: {error}") from error


def is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)
