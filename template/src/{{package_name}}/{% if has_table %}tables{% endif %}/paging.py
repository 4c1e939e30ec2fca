"""The page step: which page a client asked for, how many rows a page holds, and the
page served (`Page`)."""

from __future__ import annotations

import math
from typing import Any, Final, NamedTuple

# The most rows one page serves: `page_size` comes from the browser, and a page is
# JSON for every cell (a million-row page is ~100 MiB). Larger sizes are clamped.
MAX_PAGE_SIZE: Final = 1_000


class Page(NamedTuple):
    """One page of a filtered, sorted table."""

    records: list[dict[str, Any]]  # the table's `data`
    page_current: int  # the page served (the last one if the asked page is past it)
    page_count: int
    kept: int  # rows the filter keeps


def page_number(page: Any, size: int, count: int) -> tuple[int, int]:
    """The page to serve of `count` rows, `size` a page, for the `page` a client
    asked for (the first if it is no whole number, the last if it is past the end),
    and how many pages there are (at least one)."""
    pages = max(-(-count // size), 1)
    return min(max(_integer(page, 0), 0), pages - 1), pages


def page_size(value: Any, default: int = 10) -> int:
    """The rows a page holds for a `page_size` a client sent: a whole number from 1
    to MAX_PAGE_SIZE (a larger one, infinity included, is clamped; a smaller one
    gives 1), `default` if it is no whole number (NaN, a fraction, text, a list...)."""
    if isinstance(value, float) and value == math.inf:
        return MAX_PAGE_SIZE
    return min(max(_integer(value, default), 1), MAX_PAGE_SIZE)


def _integer(value: Any, default: int) -> int:
    """`value` from the browser as an int; `default` if it is none (NaN, infinity,
    a fraction, text that is no whole number, a list...)."""
    if isinstance(value, str):
        try:
            return int(value)  # Python caps the digits it reads (4,300)
        except ValueError:
            return default
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else default
    if isinstance(value, int):  # bool included, as before: True is 1
        return value
    return default
