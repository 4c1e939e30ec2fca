"""The JavaScript rules the DataTable applies when it filters the JSON values it holds.

The native table filters in the browser with JavaScript operators. To keep exactly the
rows it keeps, the server must apply the same rules: `ToNumber` on strings, loose `<`
comparisons, `Number#toString`, UTF-16 string order, the `fast-isnumeric` package and
the table's `normalizeDate`. These functions work on one value; `filter_query` applies
them to whole columns.

JSON values map to Python as: null -> None, number -> float, string -> str,
boolean -> bool; a missing column is `UNDEFINED`.
"""

from __future__ import annotations

import datetime
import math
import re
from decimal import Decimal
from typing import Final

# JS `\s` and the whitespace `ToNumber` trims (Python's `\s` and str.strip differ).
SPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
LINE_END: Final = "\n\r\u2028\u2029"  # what JS `.` does not match
_SPACE_CHARS = "".join(
    chr(c) for c in range(0x10000) if re.fullmatch(f"[{SPACE}]", chr(c))
)


class _Undefined:
    """JavaScript's `undefined`: what a row holds for a column it does not have."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: Final = _Undefined()
JsValue = None | bool | float | str | _Undefined


class JsTypeError(Exception):
    """Where JavaScript would throw (e.g. `null.toString()`)."""


_DECIMAL = re.compile(
    r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
)
_RADIX = re.compile(r"0([xXoObB])([0-9a-fA-F]+)")


def to_number(value: JsValue) -> float:
    """JavaScript `Number(value)` (`+value`)."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, float | int):
        return float(value)
    if value is UNDEFINED:
        return math.nan
    text = value.strip(_SPACE_CHARS)
    if not text:
        return 0.0
    if _DECIMAL.fullmatch(text):
        return float(text.replace("Infinity", "inf"))
    radix = _RADIX.fullmatch(text)
    if radix:
        base = {"x": 16, "o": 8, "b": 2}[radix[1].lower()]
        try:
            number = int(radix[2], base)
        except ValueError:
            return math.nan
        try:
            return float(number)
        except OverflowError:
            return math.inf
    return math.nan


def is_numeric(value: JsValue) -> bool:
    """The `fast-isnumeric` package: finite numbers and strings that read as one."""
    if isinstance(value, bool) or value is None or value is UNDEFINED:
        return False
    if isinstance(value, str):
        return bool(value.strip(_SPACE_CHARS)) and math.isfinite(to_number(value))
    return math.isfinite(value)


def number_to_string(number: float) -> str:
    """JavaScript `Number#toString()`: `1` not `1.0`, `1e+21`, `1e-7`."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(float(number)))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    assert isinstance(exponent, int)
    # value = 0.digits x 10**point
    point = len(digit_tuple) + exponent
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if point - 1 > 0 else '-'}{abs(point - 1)}"


def to_string(value: JsValue) -> str:
    """JavaScript `value.toString()`; raises `JsTypeError` on null and undefined."""
    if value is None or value is UNDEFINED:
        raise JsTypeError("Cannot read properties of null (reading 'toString')")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return number_to_string(value)


# Uppercase mappings of Unicode 16 that Chromium applies and Python 3.11's Unicode 14
# lacks: the only differences over all code points, measured against Chromium 156.
_NEWER_UPPER: Final = str.maketrans(
    {
        0x019B: 0xA7DC,
        0x0264: 0xA7CB,
        0x1C8A: 0x1C89,
        0xA7CD: 0xA7CC,
        0xA7CF: 0xA7CE,
        0xA7D3: 0xA7D2,
        0xA7D5: 0xA7D4,
        0xA7DB: 0xA7DA,
        **{c: c - 0x20 for c in range(0x10D70, 0x10D86)},
        **{c: c - 0x1B for c in range(0x16EBB, 0x16ED4)},
    }
)


def to_upper(text: str) -> str:
    """JavaScript `String#toUpperCase()` (full case mapping, locale-independent)."""
    return text.upper().translate(_NEWER_UPPER)


def utf16(text: str) -> bytes:
    """A sort key that orders strings as JavaScript does (by UTF-16 code units)."""
    return text.encode("utf-16-be", "surrogatepass")


def less_than(left: JsValue, right: JsValue) -> bool:
    """JavaScript `left < right` for JSON values (abstract relational comparison)."""
    if isinstance(left, str) and isinstance(right, str):
        return utf16(left) < utf16(right)
    return to_number(left) < to_number(right)


def less_or_equal(left: JsValue, right: JsValue) -> bool:
    """JavaScript `left <= right`: `!(right < left)`, and false when either is NaN."""
    if isinstance(left, str) and isinstance(right, str):
        return utf16(left) <= utf16(right)
    return to_number(left) <= to_number(right)


def strictly_equal(left: JsValue, right: JsValue) -> bool:
    """JavaScript `left === right`."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, float | int) and isinstance(right, float | int):
        return left == right
    return type(left) is type(right) and left == right


# -- dates: the table's normalizeDate (dash-table/type/date.ts) ----------------------

_DATE = re.compile(
    # DATETIME_REGEXP; `$` of its `m` flag: before a line end or at the end.
    "[" + SPACE + "]*"
    r"(-?[0-9]{4}|[0-9]{2})(-([0-9]{1,2})(-([0-9]{1,2})"
    r"([ Tt]([01]?[0-9]|2[0-3])(:([0-5][0-9])(:([0-5][0-9](\.[0-9]+)?))?"
    r"(Z|z|[+\-][0-9]{2}:?[0-9]{2})?)?)?)?)?"
    "[" + SPACE + "]*(?=[" + LINE_END + r"]|\Z)",
    re.ASCII,
)
_LINE_START = re.compile(f"[{LINE_END}]")


def _match_date(value: str) -> re.Match[str] | None:
    """`value.match(DATETIME_REGEXP)` with JS's multiline `^`/`$` rules."""
    starts = [0] + [m.end() for m in _LINE_START.finditer(value)]
    for start in starts:
        match = _DATE.match(value, start)
        if match:
            return match
    return None


def _days_in_month(year: int, month: int) -> int:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


def normalize_date(value: JsValue) -> str | None:
    """The table's `normalizeDate(value, {allow_YY: true})`, or None if not a date.

    Two-digit years map into the 100 years starting 70 years before this year.
    """
    if not isinstance(value, str):
        return None
    match = _match_date(value)
    if match is None:
        return None
    year_text = match[1]
    if len(year_text) == 2:
        first = datetime.date.today().year - 70
        year = (int(year_text) + 2000 - first) % 100 + first
    else:
        year = int(year_text)
    month = int(match[3] or "1")
    day = int(match[5] or "1")
    if not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year, month):
        return None
    bce = year < 0
    full = (
        f"{abs(year):04d}-{month:02d}-{day:02d} "
        f"{int(match[7] or 0):02d}:{int(match[9] or 0):02d}:{match[11] or ''}"
    )
    if match[11]:
        length = 29
    else:
        length = (
            16
            if match[9]
            else 13
            if match[7]
            else 10
            if match[5]
            else 7
            if match[3]
            else 4
        )
    return ("-" if bce else "") + full[:length]
