"""What a read accepts, and the error that names the file when it is refused.

A small file can hold a huge table (a decompression bomb: 1 MB of zstd Parquet decodes
to gigabytes; 50 MB of JSON to millions of objects), so every reader checks these
limits while it reads, before the table is built: a file far over one is refused
early, without the memory it would take.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from .wording import size

DEFAULT_MAX_BYTES = 50 * 2**20  #: largest file accepted by default: 50 MiB
DEFAULT_MAX_COLUMNS = 1_000
DEFAULT_MAX_ROWS = 1_000_000
#: largest table accepted by default once decoded in memory: 256 MiB (the store's
#: default per-process cache, STORE_CACHE_MB, holds a table this size)
DEFAULT_MAX_DECODED_BYTES = 256 * 2**20


class UploadError(ValueError):
    """The uploaded file cannot be used; the message names the file and the problem."""

    def __init__(self, filename: str, problem: str) -> None:
        super().__init__(f"{filename}: {problem}")
        self.filename = filename


def check_count(name: str, value: Any, *, minimum: int) -> None:
    """A TypeError unless `value` is an int, a ValueError if it is below `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


@dataclass(frozen=True, slots=True)
class Limits:
    """The largest file and table a read accepts; each an int >= 1.

    - `max_bytes`: the file's size, checked before it is decoded from base64.
    - `max_columns`, `max_rows`: the table's shape, counted while parsing.
    - `max_decoded_bytes`: the memory the table may take once read; what stops a
      small file that decodes to gigabytes. A frame read from CSV takes up to 5
      times the file's size: raise it with `max_bytes`.
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    max_columns: int = DEFAULT_MAX_COLUMNS
    max_rows: int = DEFAULT_MAX_ROWS
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES

    def __post_init__(self) -> None:
        for field in fields(self):
            check_count(field.name, getattr(self, field.name), minimum=1)


class FileLimits:
    """The limits of one read, and the file name its errors carry."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.max_bytes = limits.max_bytes
        self.max_columns = limits.max_columns
        self.max_rows = limits.max_rows
        self.max_decoded_bytes = limits.max_decoded_bytes

    def error(self, problem: str) -> UploadError:
        return UploadError(self.name, problem)

    def check_shape(self, rows: int, columns: int) -> None:
        if columns > self.max_columns:
            raise self.error(
                f"{columns:,} columns is over the limit of {self.max_columns:,}"
            )
        if rows > self.max_rows:
            raise self.error(f"{rows:,} rows is over the limit of {self.max_rows:,}")

    def check_counted(self, rows: int, columns: int = 0) -> None:
        """For readers that count while parsing: stop as soon as a count is over."""
        if columns > self.max_columns:
            raise self.error(
                f"the file has more columns than the limit of {self.max_columns:,}"
            )
        if rows > self.max_rows:
            raise self.error(
                f"the file has more rows than the limit of {self.max_rows:,}"
            )

    def check_text_table(self, nbytes: int, rows: int, columns: int) -> None:
        """A table parsed from `nbytes` of text: in the frame a number takes 8 bytes
        and a text its length and 8, so the text and 8 bytes a cell bound its size."""
        self.check_shape(rows, columns)
        self.check_decoded(nbytes + 8 * rows * columns)

    def check_decoded(self, nbytes: int, what: str = "the table") -> None:
        if nbytes > self.max_decoded_bytes:
            raise self.error(
                f"once decoded, {what} would take {size(nbytes)} of memory, over "
                f"the limit of {size(self.max_decoded_bytes)} for decoded data"
            )
