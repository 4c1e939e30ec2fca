"""Every JavaScript rule the table engine follows, in one module.

The DataTable filters in the browser with JavaScript operators, and AG Grid's filters
read text and dates with JavaScript's string and date functions. To keep exactly the
rows the browser keeps, the server applies the same rules: `ToNumber` on strings,
loose `<` comparisons, `Number#toString`, UTF-16 string order, `toUpperCase` and
`toLowerCase` of a newer Unicode than Python's, `trim`, `parseInt`, the
`fast-isnumeric` package, the DataTable's `normalizeDate` and AG Grid's date parsing.

One file on purpose (it runs past 400 lines): each rule is written once, for one value
(the reference the tests check against) and, in the last section, for a whole Arrow
array (Arrow kernels where they agree with JavaScript, Python only for the few values
where they do not); a rule split from its array form would drift from it.

JSON values map to Python as: null -> None, number -> float, string -> str,
boolean -> bool; a missing column is `UNDEFINED`.
"""

from __future__ import annotations

import datetime
import math
import re
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# JS `\s` and the whitespace `ToNumber` trims (Python's `\s` and str.strip differ).
SPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
LINE_END: Final = "\n\r\u2028\u2029"  # what JS `.` does not match
SPACE_CHARS: Final = "".join(
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


_DECIMAL_PATTERN = r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
_DECIMAL = re.compile(_DECIMAL_PATTERN)
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
    text = value.strip(SPACE_CHARS)
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
        return bool(value.strip(SPACE_CHARS)) and math.isfinite(to_number(value))
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


# -- AG Grid's text and dates (agStack/utils: `_toLowerCase`, `_isBlank`, date.ts) ---

# Lowercase mappings of Unicode 16 that Chromium applies and Python 3.11's Unicode 14
# lacks: every difference over all code points, measured against Chromium 156.
_NEWER_LOWER: Final = str.maketrans(
    {
        0xA7DC: 0x019B,
        0xA7CB: 0x0264,
        0x1C89: 0x1C8A,
        0xA7CC: 0xA7CD,
        0xA7CE: 0xA7CF,
        0xA7D2: 0xA7D3,
        0xA7D4: 0xA7D5,
        0xA7DA: 0xA7DB,
        **{c: c + 0x20 for c in range(0x10D50, 0x10D66)},
        **{c: c + 0x1B for c in range(0x16EA0, 0x16EB9)},
    }
)


def to_lower(text: str) -> str:
    """JavaScript `String#toLowerCase()` (full case mapping, locale-independent)."""
    return text.lower().translate(_NEWER_LOWER)


def is_blank(text: str) -> bool:
    """AG Grid's `isBlank` for a string: nothing left after JavaScript's `trim()`
    (which strips the same characters `ToNumber` does: SPACE_CHARS)."""
    return not text.strip(SPACE_CHARS)


def is_finite_number(value: Any) -> bool:
    """A finite number as JavaScript holds it: a float, or an int within float range
    (the browser sends 1e400 as a whole number Python cannot make a float of)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -sys.float_info.max <= value <= sys.float_info.max
    return isinstance(value, float) and math.isfinite(value)


_DATE_PREFIX = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # DATE_TIME_REGEXP's part
_JS_INT = re.compile(r"[+-]?[0-9]+")


def parse_int(text: str | None) -> float:
    """JavaScript `parseInt(text, 10)`: the leading integer, else NaN."""
    if text is None:
        return math.nan
    match = _JS_INT.match(text.lstrip(SPACE_CHARS))
    return float(int(match[0])) if match else math.nan


def parse_js_date(value: str, validate: bool = True) -> datetime.datetime | None:
    """AG Grid's `_parseDateTimeFromString`: a local (naive) datetime, or None.

    Dates only within Python's reach: a year the grid reads but Python cannot hold
    (above 9999) is None too, which the filter values report as an error.
    """
    if not value or (validate and not _DATE_PREFIX.match(value)):
        return None
    date_text, time_text = ([*re.split("[T ]", value), None])[:2]
    if not date_text:
        return None
    fields = [parse_int(part) for part in date_text.split("-")]
    if sum(not math.isnan(f) for f in fields) != 3:
        return None
    year, month, day = (fields + [math.nan] * 3)[:3]
    if any(math.isnan(f) for f in (year, month, day)):
        return None
    # `new Date(year, month - 1, day)` must give back the same fields: no overflow,
    # and not a two-digit year (JavaScript maps 0-99 to 1900-1999).
    if not 100 <= year <= 9999 or not 1 <= month <= 12:
        return None
    try:
        date = datetime.datetime(int(year), int(month), int(day))
    except ValueError:
        return None
    if not time_text or time_text == "00:00:00":
        return date
    hours, minutes, seconds = (
        [*(parse_int(p) for p in time_text.split(":"))] + [math.nan] * 3
    )[:3]
    # Each field is set only when in range; others stay 0 (JavaScript's setHours...).
    return date.replace(
        hour=int(hours) if 0 <= hours < 24 else 0,
        minute=int(minutes) if 0 <= minutes < 60 else 0,
        second=int(seconds) if 0 <= seconds < 60 else 0,
    )


# -- whole columns: the rules above on Arrow arrays ----------------------------------
# Each takes an array of distinct values (a column's dictionary: no nulls) and gives
# one result per value.

_HIGH = "[\ue000-\U0010ffff]"  # where UTF-8 byte order and UTF-16 order can differ


def number_texts(values: pa.Array) -> pa.Array:
    """`Number#toString()` of float64 values. Arrow writes the same shortest digits,
    but in exponent form from 1e15 (JS: from 1e21) and "-0" for -0."""
    texts = values.cast(pa.string())
    magnitude = pc.abs(values)
    python = pc.and_(
        pc.match_substring(texts, "e"),
        pc.and_(pc.greater_equal(magnitude, 1e-6), pc.less(magnitude, 1e21)),
    )
    texts = pc.if_else(pc.equal(values, 0), "0", texts)
    return _replaced(texts, python, number_to_string, values)


def text_numbers(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """`Number(text)` of string values, and whether fast-isnumeric calls each a
    number (not blank, finite)."""
    trimmed = pc.utf8_trim(values, characters=SPACE_CHARS)
    blank = pc.equal(trimmed, "")
    numbers = pa.array(np.full(len(values), np.nan))
    decimal = pc.match_substring_regex(trimmed, f"^(?:{_DECIMAL_PATTERN})$")
    if pc.any(decimal).as_py():
        numbers = pc.if_else(decimal, _decimal_numbers(trimmed, decimal), numbers)
    numbers = pc.if_else(blank, 0.0, numbers)
    radix = pc.match_substring_regex(trimmed, "^0[xXoObB][0-9a-fA-F]+$")
    numbers = _replaced(numbers, radix, to_number, trimmed)
    numeric = pc.and_(pc.invert(blank), pc.is_finite(numbers))
    return numbers, numeric


def _decimal_numbers(trimmed: pa.Array, decimal: pa.Array) -> pa.Array:
    """Arrow's float parsing (correctly rounded, as JS) of the decimal texts; NaN for
    the others."""
    texts = pc.if_else(decimal, trimmed, "0")
    return pc.replace_substring(texts, "Infinity", "inf").cast(pa.float64())


def upper_texts(values: pa.Array) -> pa.Array:
    """`String#toUpperCase()` of string values: Arrow's ASCII mapping, Python's full
    one (with Unicode 16's additions, see `to_upper`) for non-ASCII text."""
    upper = pc.ascii_upper(values)
    return _replaced(upper, pc.invert(pc.string_is_ascii(values)), to_upper, values)


# A date can only start where a line does, after spaces: 2 or 4 digits, maybe a sign.
_DATE_START = f"(?:^|[{LINE_END}])[{SPACE}]*-?[0-9][0-9]"
# The common form, normalised by Arrow: a 4-digit year, 2-digit fields, a valid hour,
# minute and second (the day is checked below), an offset after the minutes (which
# normalizeDate reads and drops).
_ISO = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]"
    r"(?::[0-5][0-9](?:\.[0-9]+)?)?(?:Z|z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)
_OFFSET = r"(?:Z|z|[+-][0-9]{2}:?[0-9]{2})$"


def normalize_dates(values: pa.Array) -> pa.Array:
    """`normalize_date` of string values (null where not a date). ISO 8601 text with
    4-digit years is normalised by Arrow; other text that may hold a date, in Python."""
    iso = pc.match_substring_regex(values, _ISO)
    dates = pa.nulls(len(values), pa.string())
    if pc.any(iso).as_py():
        text = pc.if_else(iso, values, "2000-01-01")
        year = pc.utf8_slice_codeunits(text, 0, 4).cast(pa.int64())
        month = pc.utf8_slice_codeunits(text, 5, 7).cast(pa.int64())
        day = pc.utf8_slice_codeunits(text, 8, 10).cast(pa.int64())
        valid = pc.and_(iso, _valid_days(year, month, day))
        body = pc.replace_substring_regex(text, _OFFSET, "")
        body = pc.utf8_slice_codeunits(
            pc.if_else(
                pc.greater(pc.utf8_length(body), 10),
                pc.utf8_replace_slice(body, 10, 11, " "),
                body,
            ),
            0,
            29,
        )
        dates = pc.if_else(valid, body, dates)
    maybe = pc.and_(pc.invert(iso), pc.match_substring_regex(values, _DATE_START))
    return _replaced(dates, maybe, normalize_date, values)


def _valid_days(year: pa.Array, month: pa.Array, day: pa.Array) -> pa.Array:
    """Whether each (year, month, day) is a day of the calendar (`normalize_date`'s
    check, on whole arrays)."""
    months = month.to_numpy()
    years = year.to_numpy()
    days = day.to_numpy()
    leap = (years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))
    lengths = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0])
    last = lengths[np.clip(months, 0, 13)] + ((months == 2) & leap)
    return pa.array((months >= 1) & (months <= 12) & (days >= 1) & (days <= last))


def number_dates(values: pa.Array) -> pa.Array:
    """`normalize_date` of float64 values as `datestartswith` reads them (their
    `Number#toString()`): only whole numbers of 2 digits or of 4 (with a sign or
    not) read as dates, years; the rest is null without being written out."""
    whole = pc.equal(values, pc.floor(values))
    size = pc.abs(values)
    years = pc.and_(
        whole,
        pc.or_(
            pc.and_(pc.greater_equal(values, 10), pc.less_equal(values, 99)),
            pc.and_(pc.greater_equal(size, 1000), pc.less_equal(size, 9999)),
        ),
    )
    return _replaced(
        pa.nulls(len(values), pa.string()),
        years,
        lambda v: normalize_date(number_to_string(v)),
        values,
    )


def has_high(values: pa.Array) -> pa.Array:
    """Which strings hold a character at or above U+E000: only there can Arrow's
    (UTF-8 byte) order differ from JavaScript's (UTF-16 code unit) order."""
    return pc.match_substring_regex(values, _HIGH)


def _replaced(
    result: pa.Array, where: pa.Array, rule: Callable[[Any], Any], values: pa.Array
) -> pa.Array:
    """`result`, with `rule(value)` in Python where `where` holds (a few values)."""
    where = pc.fill_null(where, False)
    if not pc.any(where).as_py():
        return result
    chosen = values.filter(where).to_pylist()
    replacements = pa.array([rule(v) for v in chosen], result.type)
    return pc.replace_with_mask(result, where, replacements)


def lower_texts(values: pa.Array) -> pa.Array:
    """`String#toLowerCase()` of string values: Arrow's ASCII mapping, Python's full
    one (with Unicode 16's additions, see `to_lower`) for non-ASCII text."""
    lower = pc.ascii_lower(values)
    return _replaced(lower, pc.invert(pc.string_is_ascii(values)), to_lower, values)


def blank_texts(values: pa.Array) -> pa.Array:
    """`is_blank` of string values."""
    return pc.equal(pc.utf8_trim(values, characters=SPACE_CHARS), "")


def wall_clock_seconds(stamps: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Timestamps as AG Grid's date filter reads their ISO text: wall-clock time to
    the second (fractions and UTC offsets ignored, as by a browser in UTC), and
    whether each is a date it reads (`parse_js_date`: years 100 to 9999)."""
    if stamps.type.tz is not None:  # the text shows the zone's wall-clock time
        stamps = pc.local_timestamp(stamps)
    seconds = pc.floor_temporal(stamps, unit="second").cast(pa.timestamp("s"))
    year = pc.year(seconds)
    valid = pc.and_(pc.greater_equal(year, 100), pc.less_equal(year, 9999))
    return seconds, valid


def is_text(value: str) -> bool:
    """Whether `value` is Unicode text: no lone surrogates (JavaScript strings can hold
    them; UTF-8, Arrow and the stored data cannot)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True
