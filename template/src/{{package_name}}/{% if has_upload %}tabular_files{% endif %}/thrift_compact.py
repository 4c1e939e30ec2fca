"""Just enough of Thrift's compact protocol to read Parquet page headers.

pyarrow does not expose page headers, and `parquet_files` must read them (their
sizes) before pyarrow decodes anything. Integers and structs are read; strings,
doubles and containers skipped. Anything malformed, or running past the end given,
is a ValueError: the caller reports the file as damaged.
"""

from __future__ import annotations

from typing import Any

_MAX_THRIFT_ITEMS = 1_000  # page headers hold no lists; a few are fine


def thrift_struct(
    data: bytes, at: int, end: int, depth: int = 0
) -> tuple[dict[int, Any], int]:
    """The Thrift compact-protocol struct at `data[at:end]` as {field id: value},
    and where it ends. Integers and structs are read; strings, doubles and
    containers skipped (None). Just enough Thrift for Parquet page headers; anything
    malformed or out of `end` is a ValueError."""
    if depth > 8:
        raise ValueError("a page header is nested too deeply")
    fields: dict[int, Any] = {}
    field = 0
    while True:
        if at >= end:
            raise ValueError("a page header is cut short")
        byte = data[at]
        at += 1
        if byte == 0:  # the end of the struct
            return fields, at
        if byte >> 4:  # the field id, as a delta from the last one
            field += byte >> 4
        else:
            raw, at = _varint(data, at, end)
            field = (raw >> 1) ^ -(raw & 1)
        fields[field], at = _thrift_value(data, at, end, byte & 0x0F, depth)


def _thrift_value(
    data: bytes, at: int, end: int, kind: int, depth: int
) -> tuple[Any, int]:
    if kind in (1, 2):  # a boolean, held in the type
        return kind == 1, at
    if kind in (4, 5, 6):  # i16, i32, i64: zigzag varints
        raw, at = _varint(data, at, end)
        return (raw >> 1) ^ -(raw & 1), at
    if kind == 12:
        return thrift_struct(data, at, end, depth + 1)
    if kind in (3, 7, 8):  # a byte, a double, a binary: skipped
        if kind == 8:
            size, at = _varint(data, at, end)
        else:
            size = 1 if kind == 3 else 8
        if at + size > end:
            raise ValueError("a page header is cut short")
        return None, at + size
    if kind not in (9, 10, 11):
        raise ValueError(f"a page header is damaged (Thrift type {kind})")
    # A container: a list or set has its size (15: in a varint next) and item type in
    # a byte; a map its size in a varint, then its key and value types in a byte.
    if kind == 11:
        size, at = _varint(data, at, end)
        if size == 0:
            return None, at
    if at >= end:
        raise ValueError("a page header is cut short")
    byte = data[at]
    at += 1
    if kind == 11:
        types = [byte >> 4, byte & 0x0F]
    else:
        size, types = byte >> 4, [byte & 0x0F]
        if size == 15:
            size, at = _varint(data, at, end)
    if size > _MAX_THRIFT_ITEMS:
        raise ValueError("a page header is damaged (a long container)")
    for item in types * size:
        if item in (1, 2):  # booleans take a byte each in containers
            at += 1
        else:
            _, at = _thrift_value(data, at, end, item, depth + 1)
    return None, at


def _varint(data: bytes, at: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while at < end and shift < 64:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7
    raise ValueError("a page header is cut short")
