"""Parquet files as frames, once their decoded size is known to be within the limits.

A Parquet file's footer gives its rows and types: what fixed-width columns take
decoded. But pyarrow allocates and decompresses each page it reads to the size its
header claims (up to 2 GiB), whatever the footer says. So before any decoding,
`_parquet_pages` reads every page header (a few bytes of Thrift each, which pyarrow
does not expose; see `thrift_compact`) and checks them against the footer; the
decoded size is then known for every column but dictionary-encoded text (a 1 KB
string repeated a million times is a few bytes of indices), which is read as an
Arrow dictionary and measured before it is expanded.

Nothing is written to disk and nothing is unpickled: pyarrow no longer unpickles
extension types since 14.0.1 (CVE-2023-47248; this project requires a later one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .limits import FileLimits, UploadError
from .table_checks import check_unique
from .thrift_compact import thrift_struct
from .wording import count, size

_DATA_PAGE, _DICTIONARY_PAGE, _DATA_PAGE_V2 = 0, 2, 3  # parquet.thrift's PageType
_DICTIONARY_ENCODINGS = frozenset({2, 8})  # PLAIN_DICTIONARY, RLE_DICTIONARY
_DELTA_BYTE_ARRAY = 7  # each value a prefix of the last one's and a suffix
# Reading a page header takes a few microseconds in Python: these bound the scan of
# a hostile file of tiny pages to about a second. Files written by pandas, pyarrow,
# polars, DuckDB or Spark stay far below them (pyarrow: a page per 20,000 values).
_MAX_PARQUET_CHUNKS = 100_000  # row groups x columns
_MAX_PARQUET_PAGES = 200_000
# pyarrow writes about 115 bytes of footer a column chunk: 11 MB for 100,000 chunks.
_MAX_PARQUET_FOOTER = 16 * 2**20
_PANDAS_METADATA_BYTES = 2**10  # a column's share of the pandas metadata, at most
# Bytes a value takes in the frame, beyond the text it may hold: numbers and
# timestamps 8, text 8 (pandas' Arrow-backed strings), and the types pandas keeps as
# Python objects a pointer and the object (bytes, datetime.date, Decimal...).
_TEXT_BYTES = 8
_BINARY_BYTES = 8 + 33


@dataclass(slots=True)
class _ColumnPages:
    """What the page headers of one column say, over all its row groups."""

    values: int = 0  # values in its data pages (nulls included)
    data_bytes: int = 0  # its data pages' size, decompressed
    dictionary_bytes: int = 0  # its dictionary pages' size, decompressed
    dictionary_encoded: bool = False  # a data page holds dictionary indices
    delta_byte_array: bool = False  # a data page is DELTA_BYTE_ARRAY-encoded


def read_parquet(data: bytes, limits: FileLimits) -> pd.DataFrame:
    """A Parquet file read from memory, once its decoded size is known to be within
    the limits: from its footer and page headers, then from the dictionaries of its
    dictionary-encoded text, before that text is expanded."""
    footer = int.from_bytes(data[-8:-4], "little") if data.endswith(b"PAR1") else 0
    if footer > _MAX_PARQUET_FOOTER:  # pyarrow takes 3 times its size to read it
        raise limits.error(
            f"its metadata (footer) takes {size(footer)}, over the limit of "
            f"{size(_MAX_PARQUET_FOOTER)}"
        )
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))  # reads the footer only
        metadata, schema = parquet.metadata, parquet.schema_arrow
        limits.check_shape(metadata.num_rows, len(schema))
        for field in schema:
            if pa.types.is_nested(field.type):
                raise limits.error(
                    f"column {field.name!r} holds nested values ({field.type}); "
                    "flatten it into plain columns"
                )
        check_unique(schema.names, limits)
        _check_pandas_metadata(schema, limits)
        if metadata.num_columns != len(schema):
            raise limits.error("not a readable Parquet file (its schema is damaged)")
        # The footer alone: what its rows of fixed-width values take.
        limits.check_decoded(_parquet_decoded_bytes(schema, metadata.num_rows))
        pages = _parquet_pages(data, metadata, limits)
        coded = []  # dictionary-encoded text: read as dictionaries, measured first
        for field, column in zip(schema, pages, strict=True):
            if not _is_text(_storage(field.type)):
                continue
            if column.delta_byte_array:
                # Each value is built from the previous one: a few bytes of page can
                # stand for a gigabyte of text, even of distinct values.
                raise limits.error(
                    f"column {field.name!r} is stored with the DELTA_BYTE_ARRAY "
                    "encoding, whose decoded size cannot be checked before decoding; "
                    "save the file with the default encodings (pandas, pyarrow)"
                )
            if column.dictionary_encoded:
                coded.append(field.name)
        estimate = _parquet_decoded_bytes(schema, metadata.num_rows, pages)
        limits.check_decoded(estimate)
        if coded:
            parquet = pq.ParquetFile(
                pa.BufferReader(data), metadata=metadata, read_dictionary=coded
            )
        table = parquet.read()
        if coded:
            text = sum(_expanded_bytes(table.column(name)) for name in coded)
            limits.check_decoded(estimate + text)
            table = pa.Table.from_arrays(
                [
                    column.cast(field.type) if field.name in coded else column
                    for field, column in zip(schema, table.columns, strict=True)
                ],
                schema=schema,  # with its pandas metadata: dtypes, index
            )
        # The pandas metadata (index, dtypes) is JSON: reading it runs no code.
        # Each column is freed once converted, and not copied into a 2-D block: the
        # peak of 1M x 25 floats is 182 MB instead of 372 MB, and it is 8x faster.
        df = table.to_pandas(split_blocks=True, self_destruct=True)
        del table  # (unusable after self_destruct)
    except UploadError:
        raise
    except (
        pa.ArrowException,
        OSError,  # what pyarrow raises for damaged pages
        ValueError,
        TypeError,
        LookupError,
        RecursionError,
    ) as error:
        raise limits.error(f"not a readable Parquet file ({error})") from None
    # pandas keeps `attrs` (from the pandas metadata) and deep-copies them into the
    # result of most operations: an upload brings a table, not attributes.
    df.attrs = {}
    if not df.index.equals(pd.RangeIndex(len(df))):
        df = df.reset_index(allow_duplicates=True)  # a duplicate name is refused next
    return df


def _check_pandas_metadata(schema: pa.Schema, limits: FileLimits) -> None:
    """Refuse pandas metadata (JSON: index, dtypes, attrs) out of proportion with the
    columns: pyarrow reads all of it and acts on it entry by entry, and 20 MB of it
    with 300,000 index entries kept a worker busy for minutes. pandas writes about
    150 bytes a column (and `attrs`, allowed 64 KiB)."""
    blob = (schema.metadata or {}).get(b"pandas")
    if blob is None:
        return
    names = sum(len(name.encode()) for name in schema.names)
    most = 64 * 2**10 + _PANDAS_METADATA_BYTES * len(schema) + 4 * names
    if len(blob) > most:
        raise limits.error(
            f"its pandas metadata takes {size(len(blob))} for "
            f"{count(len(schema), 'column')}: the file is damaged"
        )
    metadata = json.loads(blob)
    entries = ("columns", "index_columns", "column_indexes")
    if not isinstance(metadata, dict) or any(
        len(metadata.get(entry) or ()) > len(schema) + 1 for entry in entries
    ):
        raise limits.error("its pandas metadata does not match its columns")
    if len(metadata.get("column_indexes") or ()) > 1:
        # Refused by `_checked` anyway; but pyarrow would first rebuild each column
        # name with `ast.literal_eval`, which a name of "[1, 1, ...]" keeps busy.
        raise limits.error("the table has several levels of column names")


def _parquet_pages(
    data: bytes, metadata: pq.FileMetaData, limits: FileLimits
) -> list[_ColumnPages]:
    """Every column's page headers, summed, once checked against the footer: each
    column chunk's pages hold as many values as its row group has rows, and all the
    pages, decompressed, fit in `max_decoded_bytes`."""
    chunks = metadata.num_row_groups * metadata.num_columns
    if chunks > _MAX_PARQUET_CHUNKS:
        raise limits.error(
            f"the file is cut into {chunks:,} column chunks (row groups x columns), "
            f"over the limit of {_MAX_PARQUET_CHUNKS:,}; write it in fewer row groups"
        )
    footer = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    columns = [_ColumnPages() for _ in range(metadata.num_columns)]
    pages = rows = 0
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        rows += row_group.num_rows
        if row_group.num_rows == 0:
            continue  # pyarrow reads none of its pages (pyarrow writes them so)
        for index, column in enumerate(columns):
            chunk = row_group.column(index)
            at = chunk.data_page_offset  # where pyarrow starts reading, as it does
            if chunk.has_dictionary_page and 0 < chunk.dictionary_page_offset < at:
                at = chunk.dictionary_page_offset
            end = at + chunk.total_compressed_size
            if not 4 <= at <= end <= footer:
                raise ValueError(f"column {chunk.path_in_schema!r} is outside the data")
            values = 0
            while at < end:
                pages += 1
                if pages > _MAX_PARQUET_PAGES:
                    raise limits.error(
                        f"the file is cut into over {_MAX_PARQUET_PAGES:,} pages; "
                        "write it with larger pages"
                    )
                header, at = thrift_struct(data, at, end)
                values += _add_page(column, header)
                at += header[3]
            if at != end or values != row_group.num_rows:
                raise ValueError(
                    f"the pages of column {chunk.path_in_schema!r} do not match the "
                    "footer: the file is damaged"
                )
            column.values += values
    if rows != metadata.num_rows:
        raise ValueError("the row groups do not match the footer: the file is damaged")
    limits.check_decoded(
        sum(column.data_bytes + column.dictionary_bytes for column in columns),
        "its pages",
    )
    return columns


def _add_page(column: _ColumnPages, header: dict[int, Any]) -> int:
    """Count a page (a PageHeader's fields) in `column`; the values it holds."""
    kind, nbytes, stored = header.get(1), header.get(2), header.get(3)
    if (
        not (isinstance(nbytes, int) and isinstance(stored, int))
        or min(nbytes, stored) < 0
    ):
        raise ValueError("a page header is damaged")
    if kind == _DICTIONARY_PAGE:
        column.dictionary_bytes += nbytes
        return 0
    if kind not in (_DATA_PAGE, _DATA_PAGE_V2):
        return 0  # an index page, which pyarrow skips
    page = header.get(5 if kind == _DATA_PAGE else 8)
    if not isinstance(page, dict) or not isinstance(page.get(1), int) or page[1] < 0:
        raise ValueError("a data page header is damaged")
    encoding = page.get(2 if kind == _DATA_PAGE else 4)
    column.data_bytes += nbytes
    column.dictionary_encoded |= encoding in _DICTIONARY_ENCODINGS
    column.delta_byte_array |= encoding == _DELTA_BYTE_ARRAY
    return page[1]


def _parquet_decoded_bytes(
    schema: pa.Schema, rows: int, pages: list[_ColumnPages] | None = None
) -> int:
    """What the frame of `rows` rows would take, on the high side: fixed-width values
    from the schema; text from its pages (once read), but for dictionary-encoded text,
    which only its dictionaries tell."""
    total = 0
    for index, field in enumerate(schema):
        kind = _storage(field.type)
        column = pages[index] if pages else None
        if pa.types.is_dictionary(kind):  # a categorical: codes and categories
            total += rows * 4
            if column:
                total += column.dictionary_bytes + column.data_bytes
        elif _is_text(kind):
            is_string = pa.types.is_string(kind) or pa.types.is_large_string(kind)
            total += rows * (_TEXT_BYTES if is_string else _BINARY_BYTES)
            if column and not column.dictionary_encoded:
                total += column.data_bytes  # plain text: its bytes are in the pages
        else:
            total += rows * _value_bytes(kind)
    return total


def _value_bytes(kind: pa.DataType) -> int:
    """Bytes a value of a fixed-width type takes in pandas, at most."""
    if pa.types.is_decimal(kind):
        return 8 + 104  # a decimal.Decimal
    if pa.types.is_date(kind) or pa.types.is_time(kind):
        return 8 + 48  # a datetime.date or datetime.time
    if pa.types.is_interval(kind):
        return 8 + 80  # a pyarrow MonthDayNano tuple
    if pa.types.is_fixed_size_binary(kind):
        return _BINARY_BYTES + kind.byte_width
    return 8  # numbers, booleans, timestamps, durations


def _expanded_bytes(column: pa.ChunkedArray) -> int:
    """The text a dictionary column holds once expanded: each dictionary value's
    length times how often it is used, counted without expanding anything."""
    total = 0
    for chunk in column.chunks:
        lengths = pc.binary_length(chunk.dictionary)
        total += pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0
    return total


def _storage(kind: pa.DataType) -> pa.DataType:
    return kind.storage_type if isinstance(kind, pa.ExtensionType) else kind


def _is_text(kind: pa.DataType) -> bool:
    return (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_string_view(kind)
        or pa.types.is_binary_view(kind)
    )
