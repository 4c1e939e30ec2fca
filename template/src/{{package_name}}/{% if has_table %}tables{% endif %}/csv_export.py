"""Tables as CSV that a spreadsheet opens safely (DataTableAIO's "Export CSV").

Owned by the table components, not the filter engine: it only reads a DataFrame.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

# A cell that starts with one of these is a formula to a spreadsheet, which may run it
# on opening the CSV (CSV injection): `=`, `+`, `-`, `@`, tab, CR, and their fullwidth
# forms, which some spreadsheets read alike. A leading `'` makes any cell text.
_FORMULA_START = "^[=+\\-@\t\r\uff1d\uff0b\uff0d\uff20]"
_NEGATIVE_NUMBER = r"-(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its text cells and column names that a spreadsheet would read
    as formulas prefixed with `'` (OWASP's advice on CSV injection): those starting
    with `=`, `+`, `@`, a tab or a carriage return, or `-` unless the whole cell is a
    number. Numbers, dates and booleans are left alone (and so are cells that are no
    text in object columns). `frame` is not modified."""
    safe = frame.copy(deep=False)
    safe.columns = [_safe_text(str(name)) for name in frame.columns]
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        elif not (
            pd.api.types.is_object_dtype(column.dtype)
            or pd.api.types.is_string_dtype(column.dtype)
        ):
            continue  # numbers, dates, booleans: never read as formulas
        risky = _formulas(column)
        if risky.any():
            cells = column.to_numpy(dtype=object, copy=True)
            cells[risky] = ["'" + cell for cell in cells[risky]]
            safe.isetitem(position, cells)
    return safe


def _formulas(column: pd.Series) -> Any:
    """Which cells of a text or object column are text a spreadsheet would run
    (a numpy mask)."""
    try:
        text = column.str
    except AttributeError:  # an object column without text
        risky = column.map(lambda cell: isinstance(cell, str) and _is_formula(cell))
        return risky.to_numpy(bool)
    starts = text.contains(_FORMULA_START, regex=True, na=False)
    return (starts & ~text.fullmatch(_NEGATIVE_NUMBER, na=False)).to_numpy(bool)


def _is_formula(text: str) -> bool:
    return bool(re.match(_FORMULA_START, text)) and not re.fullmatch(
        _NEGATIVE_NUMBER, text
    )


def _safe_text(text: str) -> str:
    return "'" + text if _is_formula(text) else text
