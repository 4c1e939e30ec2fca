"""How the readers' messages write file names, counts, sizes and JSON types.

A message names the file and says what is wrong in the user's terms: "1.5 GiB",
"3 columns", "an array"; never a Python repr of what the browser sent.
"""

from __future__ import annotations

from typing import Any


def display_name(filename: Any) -> str:
    """A file name from the browser as it can be shown: any string may come, but
    real names are short and valid Unicode."""
    if not isinstance(filename, str) or not filename:
        return "the file"
    # A lone surrogate (JSON allows "\ud800") cannot be encoded, logged as UTF-8...
    name = filename.encode("utf-8", "replace").decode("utf-8")
    # ...and no file system allows names over 255 bytes: keep the end (the type).
    return name if len(name) <= 255 else f"{name[:200]}…{name[-54:]}"


def count(n: int, noun: str) -> str:
    """`n` and the noun, plural unless `n` is 1: "1 row", "1,000 rows"."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def names(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def size(nbytes: int) -> str:
    """A size in bytes, KiB, MiB or GiB, to one decimal."""
    if nbytes < 2**10:
        return f"{nbytes:,} bytes"
    if nbytes < 2**20:
        return f"{nbytes / 2**10:.1f}".removesuffix(".0") + " KiB"
    if nbytes < 2**30:
        return f"{nbytes / 2**20:.1f}".removesuffix(".0") + " MiB"
    return f"{nbytes / 2**30:,.1f}".removesuffix(".0") + " GiB"


def json_type(value: Any) -> str:
    """What a parsed JSON value is, as JSON calls it: "an object", "a number"..."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"
