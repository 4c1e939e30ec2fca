"""The figures: one builder per kind of chart, each drawing at most a few hundred
kilobytes whatever the frame's size.

Points and lines are drawn from at most `max_points` rows (an evenly spaced sample):
lines as SVG paths, markers as SVG up to `WEBGL_MARKERS_FROM` and with WebGL
(`Scattergl`) beyond; bars, histograms and boxes are aggregated here, over every row.
The subtitle says which was done ("showing 20,000 of 1,000,000 rows (evenly spaced
sample)"), and `figure.layout.meta` holds the same facts for code.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .columns import (
    as_numbers,
    column_named,
    column_names,
    date_axis,
    escaped,
    is_datetime,
    is_number,
    labels_of,
    plotted,
)
from .grouping import binned, box_stats, groups, x_groups
from .limits import (
    AGGS,
    KINDS,
    MAX_CATEGORIES,
    MAX_COLORS,
    MAX_POINTS,
    WEBGL_MARKERS_FROM,
    GraphError,
    check_choice,
    check_max_points,
)


def figure(
    df: pd.DataFrame,
    x: str | None = None,
    y: str | None = None,
    color: str | None = None,
    kind: str = "scatter",
    *,
    max_points: int = MAX_POINTS,
    agg: str = "mean",
) -> go.Figure:
    """The figure the graph shows for `df` (columns named as strings).

    - scatter, line: traces of at most `max_points` rows, an evenly spaced
      sample in frame order when there are more; lines join their points in x
      order. Lines and up to `WEBGL_MARKERS_FROM` markers are SVG (`scatter`),
      more markers WebGL (`scattergl`). A numeric colour is a colour scale on
      scatter charts; any other colour (and any colour on lines) makes one trace
      per value.
    - bar: `agg` of y per x and colour, over every row (no y: row counts).
    - histogram: counts of x (or of y without x) per bin or category, over
      every row; numeric bins are Freedman-Diaconis wide, at most `MAX_BINS`.
    - box: quartiles, whiskers (1.5 IQR) and mean of y (or of x without y) per x
      and colour, computed over every row; outliers are not drawn.

    Missing x values drop their row from bars, histograms and boxes; missing
    colours form their own `(missing)` group. The subtitle states the rows drawn
    and any sampling, aggregation or cap; `layout.meta` has `rows` (in `df`),
    `points` (rows drawn, or groups aggregated), `sampled` and `note`.
    Raises `GraphError` naming the problem (unknown column or kind, a
    non-numeric column where numbers are needed, nothing to plot). Text from the
    data is escaped wherever plotly.js would render HTML (titles, legend, axis
    categories, hover labels): it shows as written, `<b>` as `<b>`.
    """
    check_choice("kind", kind, KINDS, GraphError)
    check_choice("agg", agg, AGGS, GraphError)
    check_max_points(max_points)
    columns = column_names(df)
    xs, ys, cs = (
        column_named(df, columns, role, name)
        for role, name in (("x", x), ("y", y), ("color", color))
    )
    if xs is None and ys is None:
        raise GraphError("choose a column for x or y")
    draw = {
        "scatter": _scatter,
        "line": _scatter,
        "bar": _bar,
        "histogram": _histogram,
        "box": _box,
    }[kind]
    plot = draw(_Columns(x, y, color, xs, ys, cs, len(df)), kind, max_points, agg)
    drawn = go.Figure(data=plot.traces)
    drawn.update_layout(
        # Column names are text: escaped, so plotly.js renders no HTML in them.
        title={"text": f"{escaped(plot.title)}<br><sup>{escaped(plot.note)}</sup>"},
        xaxis_title=escaped(plot.x_title),
        yaxis_title=escaped(plot.y_title),
        legend_title_text=escaped(color) or None,
        margin={"t": 80},
        # Keeps zoom and legend clicks while only the filter changes.
        uirevision=f"{kind}|{x}|{y}|{color}",
        meta={
            "rows": len(df),
            "points": plot.points,
            "sampled": plot.sampled,
            "note": plot.note,
        },
        **plot.layout,
    )
    return drawn


class _Columns(NamedTuple):
    x: str | None
    y: str | None
    color: str | None
    xs: pd.Series | None
    ys: pd.Series | None
    cs: pd.Series | None
    rows: int


class _Plot(NamedTuple):
    traces: list[Any]
    title: str
    note: str
    x_title: str | None
    y_title: str | None
    points: int
    sampled: bool
    layout: dict[str, Any]


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _name(label: Any) -> str | None:
    """A trace's name from a group label (text labels are escaped already)."""
    return None if label is None else str(label)


# -- the kinds ----------------------------------------------------------------------------


def _sample(n: int, max_points: int) -> np.ndarray | None:
    """Row positions of an evenly spaced sample (first and last row included), or None
    for every row. Deterministic: the same frame always shows the same points."""
    if n <= max_points:
        return None
    if max_points == 1:
        return np.zeros(1, dtype=np.int64)
    return (np.arange(max_points, dtype=np.int64) * (n - 1)) // (max_points - 1)


def _scatter(cols: _Columns, kind: str, max_points: int, agg: str) -> _Plot:
    n = cols.rows
    rows = _sample(n, max_points)
    shown = n if rows is None else len(rows)
    positions = np.arange(n, dtype=np.int64) if rows is None else rows

    def take(series: pd.Series) -> pd.Series:
        return series if rows is None else series.iloc[rows]

    xv = positions if cols.xs is None else plotted(take(cols.xs))
    yv = positions if cols.ys is None else plotted(take(cols.ys))
    cs = None if cols.cs is None else take(cols.cs)
    if kind == "line" and cols.xs is not None and xv.dtype != object:
        order = np.argsort(xv, kind="stable")  # a line joins its points in x order
        xv, yv = xv[order], yv[order]
        cs = None if cs is None else cs.iloc[order]
    mode = "lines" if kind == "line" else "markers"
    # A line is one SVG path per trace whatever its points (20,000 points: 0.15 s as
    # SVG, 5.5 s with WebGL in a browser without a GPU); markers are a node each.
    webgl = kind == "scatter" and shown > WEBGL_MARKERS_FROM
    trace_type = go.Scattergl if webgl else go.Scatter
    traces: list[Any] = []
    color_note = ""
    if cs is not None and kind == "scatter" and is_number(cs):
        marker = {
            "color": plotted(cs),
            "colorscale": "Viridis",
            "showscale": True,
            "colorbar": {"title": {"text": escaped(cols.color)}},
        }
        traces.append(trace_type(x=xv, y=yv, mode=mode, marker=marker))
    else:
        colours = groups(cs, shown, MAX_COLORS, "colours", keep_rest=True)
        color_note = colours.note
        for code, label in enumerate(colours.labels):
            mask = colours.codes == code
            if cs is not None and not mask.any():
                continue
            traces.append(
                trace_type(
                    x=xv if cs is None else xv[mask],
                    y=yv if cs is None else yv[mask],
                    mode=mode,
                    name=_name(label),
                    showlegend=cs is not None,
                )
            )
    if rows is None:
        note = f"{n:,} rows"
    else:
        note = f"showing {shown:,} of {n:,} rows (evenly spaced sample)"
    layout = {"hovermode": "closest"}
    if date_axis(cols.xs):
        layout["xaxis_type"] = "date"
    if date_axis(cols.ys):
        layout["yaxis_type"] = "date"
    return _Plot(
        traces,
        f"{cols.y or 'row'} vs {cols.x or 'row'}",
        _join(note, color_note),
        cols.x or "row",
        cols.y or "row",
        shown,
        rows is not None,
        layout,
    )


def _bar(cols: _Columns, kind: str, max_points: int, agg: str) -> _Plot:
    n = cols.rows
    xg = x_groups(cols.xs, n, "all rows")
    cg = groups(cols.cs, n, MAX_COLORS, "colours", keep_rest=True)
    ncolors = len(cg.labels)
    keep = xg.codes >= 0
    combined = (xg.codes * ncolors + cg.codes)[keep]
    if cols.ys is None:
        counts = np.bincount(combined, minlength=len(xg.labels) * ncolors)
        codes = np.flatnonzero(counts)
        stats = counts[codes]
        what = "count of rows"
    else:
        values = as_numbers(cols.ys, "y", cols.y, f"bars show the {agg} of y")
        aggregated = pd.Series(values[keep]).groupby(combined).agg(agg)
        codes, stats = aggregated.index.to_numpy(), aggregated.to_numpy()
        what = f"{agg} of {cols.y}"
    traces = []
    for color_code, label in enumerate(cg.labels):
        mine = codes % ncolors == color_code
        if mine.any():
            traces.append(
                go.Bar(
                    x=labels_of(xg.labels, codes[mine] // ncolors),
                    y=stats[mine],
                    name=_name(label),
                    showlegend=cols.cs is not None,
                )
            )
    per = " and ".join(str(c) for c in (cols.x, cols.color) if c) or "all rows"
    layout: dict[str, Any] = {"barmode": "group"}
    if date_axis(cols.xs):
        layout["xaxis_type"] = "date"
    return _Plot(
        traces,
        f"{what} by {cols.x}" if cols.x else what,
        _join(
            f"{what} per {per} over {int(keep.sum()):,} rows, aggregated on the server",
            xg.note,
            cg.note,
        ),
        cols.x,
        what,
        len(codes),
        False,
        layout,
    )


def _histogram(cols: _Columns, kind: str, max_points: int, agg: str) -> _Plot:
    n = cols.rows
    if cols.xs is not None:
        role, name, series = "x", cols.x, cols.xs
    else:
        role, name, series = "y", cols.y, cols.ys
    assert series is not None
    horizontal = role == "y"
    cg = groups(cols.cs, n, MAX_COLORS, "colours", keep_rest=True)
    ncolors = len(cg.labels)
    layout: dict[str, Any] = {"barmode": "stack"}
    if is_number(series) or is_datetime(series):
        index, centres, width, bins = binned(plotted(series))
        widths: np.ndarray | None = np.full(bins, width)
        layout["bargap"] = 0
        how, cap = f"in {bins} bins", ""
        if is_datetime(series):
            layout["yaxis_type" if horizontal else "xaxis_type"] = "date"
    else:
        xg = groups(series, n, MAX_CATEGORIES, f"{role} values", keep_rest=False)
        index, bins = xg.codes, len(xg.labels)
        centres, widths = labels_of(xg.labels, np.arange(bins)), None
        how, cap = "per value", xg.note
    keep = index >= 0
    counts = np.bincount(
        (index * ncolors + cg.codes)[keep], minlength=bins * ncolors
    ).reshape(bins, ncolors)
    traces = []
    for color_code, label in enumerate(cg.labels):
        column = counts[:, color_code]
        if cols.cs is not None and not column.any():
            continue
        along = (
            {"y": centres, "x": column} if horizontal else {"x": centres, "y": column}
        )
        traces.append(
            go.Bar(
                **along,
                width=widths,
                orientation="h" if horizontal else "v",
                name=_name(label),
                showlegend=cols.cs is not None,
            )
        )
    counted = int(keep.sum())
    left_out = f" ({n - counted:,} without {name} left out)" if counted < n else ""
    return _Plot(
        traces,
        f"distribution of {name}",
        _join(f"{counted:,} rows counted {how} on the server{left_out}", cap, cg.note),
        "count" if horizontal else name,
        name if horizontal else "count",
        int(counts.size),
        False,
        layout,
    )


def _box(cols: _Columns, kind: str, max_points: int, agg: str) -> _Plot:
    n = cols.rows
    if cols.ys is not None:
        role, name, series, by = "y", cols.y, cols.ys, cols.xs
    else:
        role, name, series, by = "x", cols.x, cols.xs, None
    assert series is not None
    values = as_numbers(series, role, name, "boxes summarise numbers")
    xg = x_groups(by, n, str(name))
    cg = groups(cols.cs, n, MAX_COLORS, "colours", keep_rest=True)
    ncolors = len(cg.labels)
    keep = (xg.codes >= 0) & ~np.isnan(values)
    present, stats = box_stats(values[keep], (xg.codes * ncolors + cg.codes)[keep])
    traces = []
    for color_code, label in enumerate(cg.labels):
        mine = present % ncolors == color_code
        if not mine.any():
            continue
        q1, median, q3, low, high, mean = stats[mine].T
        traces.append(
            go.Box(
                x=labels_of(xg.labels, present[mine] // ncolors),
                q1=q1,
                median=median,
                q3=q3,
                lowerfence=low,
                upperfence=high,
                mean=mean,
                boxpoints=False,
                name=escaped(name) if label is None else str(label),
                showlegend=cols.cs is not None,
            )
        )
    layout: dict[str, Any] = {"boxmode": "group"} if cols.cs is not None else {}
    if date_axis(by):
        layout["xaxis_type"] = "date"
    return _Plot(
        traces,
        f"{name} by {cols.x}" if by is not None else str(name),
        _join(
            f"quartiles of {int(keep.sum()):,} rows computed on the server; outliers "
            "not drawn",
            xg.note,
            cg.note,
        ),
        cols.x if by is not None else None,
        name,
        len(present),
        False,
        layout,
    )


# -- messages -----------------------------------------------------------------------------


def blank() -> go.Figure:
    """An empty figure without axes: the message says what went wrong."""
    empty = go.Figure()
    empty.update_layout(xaxis_visible=False, yaxis_visible=False)
    return empty
