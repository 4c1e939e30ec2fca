"""JSON files as frames: an array of records, or an object of columns.

The document is parsed a row (or a column's value) at a time by `json`'s C scanner,
so the parse stops as soon as the rows or columns pass a limit, and records are kept
as columns, not as a dict per row.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd

from .limits import FileLimits
from .wording import json_type

_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_SHAPE = (
    'expected an array of records, e.g. [{"city": "Oslo", "temp": 3}], or an object '
    'of columns, e.g. {"city": ["Oslo"], "temp": [3]}'
)


def read_json(text: str, limits: FileLimits) -> pd.DataFrame:
    """An array of records, or an object of columns (lists, or {row label: value})."""
    try:
        value = _JsonTable(text, limits).parse()
    except json.JSONDecodeError as error:
        raise limits.error(
            f"not valid JSON: {error.msg} at line {error.lineno:,}, column "
            f"{error.colno:,}"
        ) from None
    except _DuplicateKeyError as error:
        raise limits.error(
            f"the key {error} appears twice in one JSON object"
        ) from None
    except RecursionError:
        raise limits.error("the JSON is nested too deeply to be a table") from None
    try:
        return _json_frame(value, len(text), limits)
    except UnicodeEncodeError:  # pandas keeps text in Arrow, which takes only UTF-8
        raise limits.error(
            "the JSON holds text that is not valid Unicode (a lone surrogate, such as "
            '"\\ud800")'
        ) from None


def _json_frame(value: Any, size: int, limits: FileLimits) -> pd.DataFrame:
    """The table in a parsed JSON document of `size` characters, if it is one."""
    if isinstance(value, _Records):
        if not value.rows:
            raise limits.error("the JSON array is empty: no rows of data")
        limits.check_text_table(size, value.rows, len(value.columns))
        return value.frame()
    if not isinstance(value, dict):
        raise limits.error(
            f"the JSON is {json_type(value)}, not a table; {_JSON_SHAPE}"
        )
    if not value:
        raise limits.error("the JSON object is empty: no columns")
    kinds = {type(column) for column in value.values()}
    if kinds == {list, dict}:
        raise limits.error(
            "some columns are arrays and others objects: write every column alike; "
            f"{_JSON_SHAPE}"
        )
    if kinds not in ({list}, {dict}):
        key, column = next(
            (k, c) for k, c in value.items() if type(c) not in (list, dict)
        )
        raise limits.error(
            f"column {key!r} is {json_type(column)}, not an array or object; "
            f"{_JSON_SHAPE}"
        )
    if kinds == {list}:
        lengths = {key: len(column) for key, column in value.items()}
        (a, n), *others = lengths.items()
        for b, m in others:
            if m != n:
                raise limits.error(
                    f"the columns have different lengths: {a!r} has {n:,} values, "
                    f"{b!r} has {m:,}"
                )
        limits.check_text_table(size, max(lengths.values()), len(value))
        return pd.DataFrame(value)
    labels = dict.fromkeys(label for column in value.values() for label in column)
    limits.check_text_table(size, len(labels), len(value))
    df = pd.DataFrame(value, index=list(labels))
    if list(labels) == [str(n) for n in range(len(labels))]:
        return df.reset_index(drop=True)  # pandas' to_json() of a default index
    return df.reset_index(names="index", allow_duplicates=True)


class _DuplicateKeyError(ValueError):
    """A key given twice in one JSON object (its repr is the message)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict; a key given twice is an error, not "last one wins"."""
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(repr(key))
            seen.add(key)
    return value


class _Records:
    """An array of records kept as columns, a list of values per key: a row costs
    its values, not a dict. Records wait in batches of about `_BATCH_CELLS` values to
    be moved into the columns (by comprehensions, fast), and are counted against the
    limits as they come. A record without a key has NaN there, as in
    `pd.DataFrame.from_records`; the columns are only filled out when the frame is
    built, once its size is known to be within the limits."""

    _BATCH_CELLS = 100_000

    def __init__(self, limits: FileLimits) -> None:
        self.limits = limits
        self.columns: dict[str, list[Any]] = {}
        self.rows = 0
        self._batch: list[dict[str, Any]] = []
        self._cells = 0  # in the batch

    def add(self, record: dict[str, Any]) -> None:
        self._batch.append(record)
        self.rows += 1
        self._cells += len(record)
        self.limits.check_counted(self.rows, len(record))
        if self._cells >= self._BATCH_CELLS:
            self.flush()

    def flush(self) -> None:
        batch, start = self._batch, self.rows - len(self._batch)
        for key in dict.fromkeys(itertools.chain.from_iterable(batch)):
            column = self.columns.setdefault(key, [])
            if len(column) < start:
                column.extend(itertools.repeat(math.nan, start - len(column)))
            column.extend([record.get(key, math.nan) for record in batch])
        self._batch, self._cells = [], 0
        self.limits.check_counted(0, len(self.columns))

    def frame(self) -> pd.DataFrame:
        self.flush()
        for column in self.columns.values():
            column.extend(itertools.repeat(math.nan, self.rows - len(column)))
        return pd.DataFrame(self.columns)


class _JsonTable:
    """A JSON text parsed a row (or a column's value) at a time.

    The document's value is what `json.loads` gives, but the parse stops as soon as
    the rows or columns pass a limit: 50 MB of `[{}, {}, ...]` is refused after a
    million objects, not after building 17 million. A key given twice in an object
    is an error, not "last one wins". Each item is parsed by `json`'s C scanner.
    """

    def __init__(self, text: str, limits: FileLimits) -> None:
        self.text = text
        self.at = 0  # the cursor
        self.limits = limits
        self.labels: dict[str, str] = {}  # one str per row label, shared by columns
        self.scan = json.JSONDecoder(object_pairs_hook=_unique_keys).scan_once

    def parse(self) -> Any:
        """The document's value; `json.JSONDecodeError`, `_DuplicateKeyError`,
        `RecursionError` (nested too deeply) or `UploadError` (over a limit)."""
        first = self._skip()
        if first == "[":
            value: Any = self._records()
        elif first == "{":
            value = self._columns()
        else:
            value = self._value()  # not a table: `read_json` says what it is
        if self._skip():
            raise json.JSONDecodeError("Extra data", self.text, self.at)
        return value

    def _columns(self) -> dict[str, Any]:
        """An object of columns: each an array, an object {row label: value}, or
        another value (refused by `read_json`)."""
        columns: dict[str, Any] = {}
        for _ in self._items("}"):
            key = self._key(columns)
            opening = self._skip()
            if opening == "[":
                columns[key] = self._array()
            elif opening == "{":
                columns[key] = self._labelled()
            else:
                columns[key] = self._value()
            self.limits.check_counted(0, len(columns))
        return columns

    def _records(self) -> _Records:
        """An array of records."""
        records = _Records(self.limits)
        for _ in self._items("]"):
            record = self._value()
            if not isinstance(record, dict):
                raise self.limits.error(
                    f"item {records.rows:,} of the array is {json_type(record)}, "
                    f"not an object; {_JSON_SHAPE}"
                )
            records.add(record)
        records.flush()
        return records

    def _array(self) -> list[Any]:
        """A column as an array."""
        items: list[Any] = []
        for _ in self._items("]"):
            items.append(self._value())
            self.limits.check_counted(len(items))
        return items

    def _labelled(self) -> dict[str, Any]:
        """A column as an object {row label: value}."""
        values: dict[str, Any] = {}
        for _ in self._items("}"):
            key = self._key(values)
            values[key] = self._value()
            self.limits.check_counted(len(values))
        return values

    def _items(self, closing: str) -> Iterator[None]:
        """Stops at each item of the array or object opening at the cursor."""
        self.at += 1
        if self._skip() == closing:
            self.at += 1
            return
        while True:
            yield  # the caller reads the item
            after = self._skip()
            if after == closing:
                self.at += 1
                return
            if after != ",":
                raise json.JSONDecodeError(
                    "Expecting ',' delimiter", self.text, self.at
                )
            self.at += 1

    def _key(self, seen: Mapping[str, Any]) -> str:
        """An object's key and its colon; a key already in `seen` is an error."""
        if self._skip() != '"':
            raise json.JSONDecodeError(
                "Expecting property name enclosed in double quotes", self.text, self.at
            )
        key, self.at = json.decoder.scanstring(self.text, self.at + 1)
        if key in seen:
            raise _DuplicateKeyError(repr(key))
        if self._skip() != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", self.text, self.at)
        self.at += 1
        return self.labels.setdefault(key, key)

    def _value(self) -> Any:
        self._skip()
        try:
            value, self.at = self.scan(self.text, self.at)
        except StopIteration as error:  # what `json.loads` reports for it
            raise json.JSONDecodeError(
                "Expecting value", self.text, error.value
            ) from None
        return value

    def _skip(self) -> str:
        """The next character that is not whitespace ("" at the end)."""
        char = self.text[self.at : self.at + 1]
        if char and char not in " \t\n\r":
            return char
        self.at = _JSON_SPACE.match(self.text, self.at).end()  # type: ignore[union-attr]
        return self.text[self.at : self.at + 1]
