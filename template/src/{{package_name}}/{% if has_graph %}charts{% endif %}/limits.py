"""What a chart may be asked for and how much of the data it draws: the kinds, the
aggregations, the caps; the error that names a request the charts cannot draw, and
the checks that raise it."""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from typing import Any

KINDS = ("scatter", "line", "bar", "histogram", "box")
AGGS = ("mean", "sum", "median", "min", "max", "count")
#: Rows drawn by scatter and line charts; more are sampled down to this many.
MAX_POINTS = 20_000
#: Markers drawn as SVG up to this many per chart, with WebGL (`Scattergl`) beyond.
#: plotly.js makes one SVG node per marker, so SVG grows with the points, while WebGL
#: pays a fixed start-up per chart instead (and a browser keeps only some 16 WebGL
#: contexts at once). Measured in headless Chromium without a GPU: 1,704 markers take
#: 0.3-0.5 s as SVG and 1.1 s as WebGL; 20,000 take 2-2.8 s as SVG and 1.1 s as WebGL.
WEBGL_MARKERS_FROM = 5_000
#: Bars, boxes or histogram categories along x; the most frequent are kept.
MAX_CATEGORIES = 500
#: Colour groups; the rest share one `(other)` group.
MAX_COLORS = 50
#: Bins of a numeric histogram (Freedman-Diaconis width, at most this many).
MAX_BINS = 200


class GraphError(ValueError):
    """The graph cannot be drawn as asked; the message says why and is shown to users."""


def check_choice(
    name: str, value: Any, choices: Sequence[str], error: type[Exception] = ValueError
) -> None:
    """Raise `error` naming `name`'s choices unless `value` is one of them."""
    if value not in choices:
        raise error(f"{name} must be one of {', '.join(choices)}; got {shown(value)}")


def check_max_points(max_points: Any) -> None:
    """Raise unless `max_points` is a cap on points: an int of at least 1."""
    if isinstance(max_points, bool) or not isinstance(max_points, int):
        raise TypeError(f"max_points must be an int, not {type(max_points).__name__}")
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")


def is_cap(value: Any) -> bool:
    """Whether `value` (from the browser, perhaps) is a usable `max_points`."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def shown(value: Any) -> str:
    """`repr(value)` cut short: what a message may echo of a value the browser sent."""
    return _EXCERPT.repr(value)


def _excerpt_repr() -> reprlib.Repr:
    excerpt = reprlib.Repr()
    excerpt.maxlevel, excerpt.maxstring, excerpt.maxother = 2, 60, 60
    excerpt.maxlist = excerpt.maxtuple = excerpt.maxdict = 4
    return excerpt


_EXCERPT = _excerpt_repr()
