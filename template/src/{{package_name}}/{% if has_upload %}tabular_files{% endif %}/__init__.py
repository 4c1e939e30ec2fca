"""Reading an uploaded CSV, TSV, JSON or Parquet file into a DataFrame, within limits.

    from <package>.tabular_files import Limits, UploadError, read_table

    df = read_table(contents, filename, Limits(max_rows=10_000))

`contents` is the data URL a `dcc.Upload` sends; the format comes from the file
name's extension. Anything unusable raises `UploadError`, whose message names the
file and what is wrong in the user's terms. `UploadAIO` (aio/upload.py) is the
component built on it.

Nothing the user sends touches the disk (every reader works on bytes in memory) and
nothing is executed or unpickled: text is parsed by `csv`, pandas' C parser and
`json`, Parquet by pyarrow, which no longer unpickles extension types since 14.0.1
(CVE-2023-47248; this project requires a later pyarrow).

A small file can hold a huge table (a decompression bomb: 1 MB of zstd Parquet
decodes to gigabytes; 50 MB of JSON to millions of objects), so each reader stops as
soon as a limit is passed: rows and columns are counted while parsing text, and a
Parquet file's decoded size is worked out from its footer and page headers before
anything is decoded (see `parquet_files`). Memory stays near a few times
`max_decoded_bytes` at worst.

Modules: `limits` (the limits and `UploadError`), `data_url` (base64 decoding),
`utf8_text` (the text check), `csv_files`, `json_files`, `parquet_files` (with
`thrift_compact`, its page headers), `table_checks` (what every table passes) and
`wording` (how messages write sizes and counts).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .csv_files import read_csv
from .data_url import decode_data_url
from .json_files import read_json
from .limits import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_COLUMNS,
    DEFAULT_MAX_DECODED_BYTES,
    DEFAULT_MAX_ROWS,
    FileLimits,
    Limits,
    UploadError,
)
from .parquet_files import read_parquet
from .table_checks import checked
from .utf8_text import check_utf8, is_blank
from .wording import display_name

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_COLUMNS",
    "DEFAULT_MAX_DECODED_BYTES",
    "DEFAULT_MAX_ROWS",
    "FORMATS",
    "SPREADSHEETS",
    "Limits",
    "UploadError",
    "display_name",
    "read_table",
]

FORMATS = {".csv": "CSV", ".tsv": "TSV", ".json": "JSON", ".parquet": "Parquet"}
SPREADSHEETS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
_SUPPORTED = "a CSV (.csv), TSV (.tsv), JSON (.json) or Parquet (.parquet) file"
_DEFAULT_LIMITS = Limits()


def read_table(
    contents: Any, filename: Any, limits: Limits = _DEFAULT_LIMITS
) -> pd.DataFrame:
    """The DataFrame in `contents`, a `dcc.Upload` data URL of file `filename`.

    The format comes from the extension (case-insensitive): `.csv`, `.tsv`, `.json`
    or `.parquet`. Raises `UploadError`, whose message names the file and what is
    wrong with it, for anything else: another type (Excel: save as CSV), not a
    base64 data URL, over `max_bytes` (checked before decoding), empty, not UTF-8
    (CSV, TSV, JSON; the message gives the byte offset), malformed CSV (a line with
    another number of fields than the header, an unclosed quote), JSON that is not a
    table, an unreadable or inconsistent Parquet file, no rows, duplicate column
    names, more than `max_columns` columns or `max_rows` rows, over
    `max_decoded_bytes` once decoded, or columns `redis_store` cannot keep (nested
    values, JSON columns mixing types, text that is not Unicode). Every limit is
    checked while reading, before the table is built: a file far over one is
    refused early, without the memory it would take.

    The frame has a default `RangeIndex`: a Parquet index (or JSON row labels other
    than 0, 1, 2...) becomes columns.
    """
    name = display_name(filename)
    file = FileLimits(name, limits)
    extension = _extension(name)
    if extension in SPREADSHEETS:
        raise UploadError(
            name,
            "Excel and other spreadsheet files are not supported; open it, save "
            "the sheet as CSV UTF-8 (File > Save As) and upload the .csv file",
        )
    if extension not in FORMATS:
        found = f'"{extension}" files are' if extension else "a file without type is"
        raise UploadError(name, f"{found} not supported; upload {_SUPPORTED}")
    data = decode_data_url(contents, file)
    if extension == ".parquet":
        df = read_parquet(data, file)
    else:
        start = check_utf8(data, name, FORMATS[extension])
        if is_blank(data, start):
            raise UploadError(name, "the file holds only whitespace, no data")
        if extension == ".json":
            df = read_json(str(memoryview(data)[start:], "utf-8"), file)
        else:
            df = read_csv(data, "\t" if extension == ".tsv" else ",", file)
    return checked(df, file)


def _extension(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[1].lower() if "." in base.strip(".") else ""
