"""Charts of a pandas DataFrame that stay small whatever its size: the engine behind
`GraphAIO`, without Dash (plotly figures in, plotly figures out).

`figure(df, x, y, color, kind, max_points=, agg=)` draws scatter and line charts
from an evenly spaced sample of at most `max_points` rows (SVG, or WebGL for many
markers), and bars, histograms and boxes aggregated here over every row;
`default_columns(df)` picks what a new chart shows. Text from the data is escaped
wherever plotly.js would render HTML. A request the charts cannot draw raises
`GraphError`, whose message is meant for users.

- `limits`: the kinds, aggregations and caps, `GraphError` and the checks.
- `columns`: columns by name, typed, as the values plotly draws (escaped).
- `grouping`: rows in groups (by value, capped; by bin) and per-group box statistics.
- `figures`: the builders of each kind, and `figure()` that picks one.
- `following`: the rows a chart draws when it follows a table's filter (applied by
  the table engine, `tables`).
"""

from . import following
from .columns import column_names, default_columns, unknown_column
from .figures import blank, figure
from .grouping import MISSING, OTHER
from .limits import (
    AGGS,
    KINDS,
    MAX_BINS,
    MAX_CATEGORIES,
    MAX_COLORS,
    MAX_POINTS,
    WEBGL_MARKERS_FROM,
    GraphError,
    check_choice,
    check_max_points,
    is_cap,
    shown,
)

__all__ = [
    "AGGS",
    "KINDS",
    "MAX_BINS",
    "MAX_CATEGORIES",
    "MAX_COLORS",
    "MAX_POINTS",
    "MISSING",
    "OTHER",
    "WEBGL_MARKERS_FROM",
    "GraphError",
    "blank",
    "check_choice",
    "check_max_points",
    "column_names",
    "default_columns",
    "figure",
    "following",
    "is_cap",
    "shown",
    "unknown_column",
]
