"""Rows in groups, over every row and without a Python loop per row: by value (capped
to the most frequent), by numeric bin, and the box statistics of each group.

A group is a code per row (int64, -1 for a row in no group) and a label per code, so
a bar chart combines x and colour as `x_code * colours + colour_code` and counts or
aggregates every combination at once.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .columns import escaped, is_datetime, is_number, plain, plotted
from .limits import MAX_BINS, MAX_CATEGORIES

OTHER = "(other)"
MISSING = "(missing)"


class Groups(NamedTuple):
    codes: np.ndarray  # int64 group of each row, -1 for none
    labels: list[Any]  # what each group is called in the figure
    note: str  # what was capped, if anything


def groups(
    series: pd.Series | None, n: int, limit: int, what: str, *, keep_rest: bool
) -> Groups:
    """Rows grouped by the values of `series`, at most `limit` groups (the most
    frequent, in value order); the rest are dropped or, with `keep_rest`, merged into
    `(other)`. Missing values are dropped, or form `(missing)` with `keep_rest`."""
    if series is None:
        return Groups(np.zeros(n, dtype=np.int64), [None], "")
    codes, uniques = factorize(series)
    codes = codes.astype(np.int64, copy=False)
    # Escaped once capped: a column of a million distinct values keeps `limit`.
    labels = list(plotted(pd.Series(uniques), escape=False))
    note = ""
    if len(labels) > limit:
        counts = np.bincount(codes[codes >= 0], minlength=len(labels))
        kept = np.sort(np.argsort(-counts, kind="stable")[:limit])
        remap = np.full(len(labels) + 1, -1, dtype=np.int64)  # remap[-1]: missing
        remap[kept] = np.arange(limit)
        if keep_rest:
            remap[remap == -1] = limit
            remap[-1] = -1
        note = f"{limit:,} most frequent of {len(labels):,} {what}"
        note += f", the rest as {OTHER}" if keep_rest else " (the rest left out)"
        codes = remap[codes]
        labels = [labels[i] for i in kept] + ([OTHER] if keep_rest else [])
    if keep_rest and (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels.append(MISSING)
    labels = [escaped(label) if isinstance(label, str) else label for label in labels]
    return Groups(codes, labels, note)


def factorize(series: pd.Series) -> tuple[np.ndarray, Any]:
    """Codes (-1 for missing) and the distinct values they index, in value order
    when the values compare (a categorical: its categories, in their order)."""
    if isinstance(series.dtype, pd.CategoricalDtype):  # its codes: no hashing
        return series.cat.codes.to_numpy(), series.cat.categories
    series = plain(series)
    try:
        return pd.factorize(series, sort=True)
    except TypeError:  # values that do not compare (mixed types): first seen first
        try:
            return pd.factorize(series, sort=False)
        except TypeError:  # unhashable values (lists, dicts): group by their text
            return pd.factorize(series.astype(str), sort=True)


def binned(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Bin of each value (-1 if missing), bin centres, width and count: equal widths
    after Freedman-Diaconis, at most `MAX_BINS`; whole numbers get whole widths."""
    ok = np.isfinite(values)
    index = np.full(len(values), -1, dtype=np.int64)
    present = values[ok]
    if len(present) == 0:
        return index, np.zeros(0), 1.0, 0
    low, high = float(present.min()), float(present.max())
    q1, q3 = np.percentile(present, [25, 75])
    width = 2 * (q3 - q1) / len(present) ** (1 / 3)
    if width <= 0:  # half the values or more are equal: Sturges' bin count instead
        width = (high - low) / math.ceil(math.log2(len(present)) + 1)
    if np.all(present == np.floor(present)):
        # Whole widths, edges halfway between whole numbers: each value sits inside
        # a bin and no bin falls between two consecutive values.
        width = max(math.ceil(width), math.ceil((high - low + 1) / (MAX_BINS - 1)), 1)
        low -= 0.5
        bins = math.floor((high - low) / width) + 1
    elif high > low:
        bins = min(max(math.ceil((high - low) / width), 1), MAX_BINS)
        width = (high - low) / bins
    else:
        bins, width, low = 1, 1.0, low - 0.5
    index[ok] = np.minimum(((present - low) / width).astype(np.int64), bins - 1)
    return index, low + (np.arange(bins) + 0.5) * width, float(width), bins


def x_groups(series: pd.Series | None, n: int, label: str) -> Groups:
    """Groups along x for bars and boxes: one per value, or one per bin for numbers
    and dates of more than `MAX_CATEGORIES` values; everything as `label` without x."""
    if series is None:
        return Groups(np.zeros(n, dtype=np.int64), [label], "")
    if (is_number(series) or is_datetime(series)) and _many(series, MAX_CATEGORIES):
        index, centres, _, bins = binned(plotted(series))
        return Groups(index, list(centres), f"x grouped in {bins} bins")
    return groups(series, n, MAX_CATEGORIES, "x values", keep_rest=False)


def _many(series: pd.Series, limit: int) -> bool:
    """Whether `series` has more than `limit` distinct values (continuous data shows it
    in its first rows, without hashing them all)."""
    return series.iloc[: 10 * limit].nunique() > limit or series.nunique() > limit


def box_stats(values: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The groups present in `codes`, and per group: q1, median, q3 (linear
    interpolation, as numpy and plotly), the whiskers (the extreme values within
    1.5 IQR) and the mean."""
    # Sorted by value, then stably by group: each group's values in order. Small group
    # codes sort in linear time (numpy's radix sort for 16-bit integers).
    order = np.argsort(values)
    small = codes[order]
    if len(small) and small.max() < 2**15:
        small = small.astype(np.int16)
    order = order[np.argsort(small, kind="stable")]
    values, codes = values[order], codes[order]
    counts = np.bincount(codes) if len(codes) else np.zeros(0, dtype=np.int64)
    present = np.flatnonzero(counts)
    counts = counts[present]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)

    def quantile(q: float) -> np.ndarray:
        position = (counts - 1) * q
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, counts - 1)
        low, high = values[starts + below], values[starts + above]
        return low + (position - below) * (high - low)

    q1, median, q3 = quantile(0.25), quantile(0.5), quantile(0.75)
    reach = 1.5 * (q3 - q1)
    rank = np.repeat(np.arange(len(present)), counts)  # each sorted value's group
    too_low = np.bincount(rank, values < (q1 - reach)[rank], len(present))
    too_high = np.bincount(rank, values > (q3 + reach)[rank], len(present))
    lower = values[starts + too_low.astype(np.int64)]
    upper = values[starts + counts - 1 - too_high.astype(np.int64)]
    mean = np.bincount(rank, values, len(present)) / np.maximum(counts, 1)
    return present, np.column_stack([q1, median, q3, lower, upper, mean])
