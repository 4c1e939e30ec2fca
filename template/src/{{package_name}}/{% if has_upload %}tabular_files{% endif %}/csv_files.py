"""CSV and TSV files (UTF-8, already checked) as frames, strictly.

Python's strict `csv` reader checks the file first, a line at a time, counting rows
against the limits; pandas' C parser then builds the frame and infers the types.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pandas as pd

from .limits import FileLimits
from .table_checks import check_unique
from .wording import count

# A CSV line with more separators than this (or than `max_columns`, if larger) is
# refused before the csv module splits it: one line of 16 million short fields is a
# 50 MB file and a 1.5 GB list of strings (this bounds it near 60 MB). A row has as
# many fields as its header; quoted text with a million separators is not a row.
_MAX_LINE_SEPARATORS = 1_000_000


def read_csv(data: bytes, delimiter: str, limits: FileLimits) -> pd.DataFrame:
    """A CSV or TSV file (UTF-8, checked) as a frame; any line with a wrong field
    count is an error."""
    kind = "TSV" if delimiter == "\t" else "CSV"
    # pandas fills short lines with NaN and reads `"a"b` as `ab`; Python's strict csv
    # reader sees both, and unclosed quotes, before pandas infers the column types.
    # It reads the bytes through a decoder, a line at a time: no text copy of the file.
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="\n")
    lines = _lines(text, delimiter, limits)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = next((record for record in reader if record), None)  # skip blanks
        if header is None:
            raise limits.error("the file has no header row")
        limits.check_shape(0, len(header))
        check_unique([column for column in header if column], limits)  # "" is fine
        rows = 0
        for record in reader:
            if not record:
                continue  # a blank line, which pandas skips too
            if len(record) != len(header):
                raise limits.error(
                    f"not valid {kind}: line {reader.line_num:,} has "
                    f"{count(len(record), 'field')}, the header has {len(header)}"
                )
            rows += 1
            limits.check_counted(rows)
    except csv.Error as error:
        problem = {
            "unexpected end of data": "a quoted field is never closed",
        }.get(str(error), str(error))
        raise limits.error(
            f"not valid {kind} at line {reader.line_num:,}: {problem}"
        ) from None
    if rows == 0:
        raise limits.error("the file has a header but no rows of data")
    limits.check_text_table(len(data), rows, len(header))
    try:
        return pd.read_csv(
            io.BytesIO(data),  # bytes, not text: pandas' C parser reads UTF-8 itself
            encoding="utf-8",
            sep=delimiter,
            engine="c",
            on_bad_lines="error",
            index_col=False,  # never take a first column as the index
            low_memory=False,  # one dtype per column, not one per chunk
        )
    except (pd.errors.ParserError, ValueError) as error:
        raise limits.error(f"not valid {kind}: {error}") from None


def _lines(text: io.TextIOBase, delimiter: str, limits: FileLimits) -> Iterator[str]:
    """The lines of `text`; one with more separators than any row has is an error."""
    most = max(_MAX_LINE_SEPARATORS, limits.max_columns)
    for number, line in enumerate(text, start=1):
        if line.count(delimiter) > most:
            raise limits.error(
                f"line {number:,} has over {most:,} separators: not a row of a table"
            )
        yield line
