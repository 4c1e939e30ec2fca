"""Checks that the bytes of a CSV, TSV or JSON file are UTF-8 text, without a copy.

Binary files renamed to .csv or .json are named for what they are; UTF-16 is told
apart; anything else that is not UTF-8 is refused with its byte offset and line.
"""

from __future__ import annotations

import codecs
import re

from .limits import UploadError

_UTF8_CHUNK = 2**20  # text is checked this many bytes at a time, never copied whole
_BLANK = re.compile(rb"[ \t\n\r\x0b\x0c]*")
# Binary formats that users rename to .csv or .json: say what the file really is.
_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (an Excel workbook?)",
    b"\xd0\xcf\x11\xe0": "an old Office file (an Excel .xls?)",
    b"PAR1": "a Parquet file",
}


def check_utf8(data: bytes, name: str, kind: str) -> int:
    """Where the text in `data` starts (after a byte order mark), once checked to be
    UTF-8; checked a chunk at a time, so no decoded copy of the file is kept."""
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise UploadError(name, f"this is {what}, not {kind} text")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UploadError(name, "the file is UTF-16 text; save it as UTF-8")
    start = offset = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    view = memoryview(data)
    while offset < len(data):
        end = offset + max(_UTF8_CHUNK, 4)  # a character takes at most 4 bytes
        try:
            # Not final before the end: a character cut by the chunk is read next.
            _, used = codecs.utf_8_decode(view[offset:end], "strict", end >= len(data))
        except UnicodeDecodeError as error:
            offset += error.start
            line = data.count(b"\n", 0, offset) + 1
            raise UploadError(
                name,
                f"the file is not UTF-8 text: byte 0x{data[offset]:02X} at offset "
                f"{offset:,} (line {line:,}) cannot be decoded; save it as UTF-8 "
                "(in Excel: CSV UTF-8)",
            ) from None
        offset += used
    return start


def is_blank(data: bytes, start: int) -> bool:
    """Whether `data` holds only whitespace from `start` (checked without a copy)."""
    return _BLANK.match(data, start).end() == len(data)  # type: ignore[union-attr]
