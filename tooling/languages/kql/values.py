"""KQL values for the evaluator: Kusto's scalar types as Python values, and the string, equality
and ordering semantics the operators share.

Value model: string -> str; long/int -> int; real -> float; bool -> bool; datetime -> an aware
datetime (UTC); timespan -> timedelta; dynamic -> dict / list / scalar; null -> None. Event
values arrive as JSON-like Python values; an ISO 8601 text compared with a datetime is read as
one (Defender XDR / Sentinel show `Timestamp` / `TimeGenerated` as datetime columns).

Documentation facts (learn.microsoft.com/kusto/query):
- scalar-data-types/null-values: "The string data type doesn't support null values"; a string
  column that a row does not fill is the empty string. So a column absent from an event is read
  as "" by the string operators and string equality; `isempty`/`isnotempty` treat null and ""
  alike. "Equality (==) ... to a null value and a non-null value yields bool(false)";
  inequality of null and non-null yields true; two nulls yield null.
- datatypes-string-operators: a term is a maximal sequence of alphanumeric characters; `has`
  matches whole terms, `hasprefix` / `hassuffix` term prefixes / suffixes; the term index only
  holds terms of 3+ characters (4+ in EngineV2), shorter terms are found by scanning: the
  semantics does not change with the length. `==` `in` `has_cs` ... are case-sensitive,
  `=~` `in~` `has` `contains` `startswith` `endswith` are not.
- re2: regular expressions use RE2 syntax.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import regex

from tooling.languages.evaluation import NotEvaluated, parse_time
from tooling.languages.re2 import NotRe2, translate

DATETIME_ZERO = datetime(1, 1, 1, tzinfo=timezone.utc)


class TypeMismatch(Exception):
    """Operands of types Kusto refuses to compare (the query would not run there)."""


def kind(value: Any) -> str:
    if type(value) is str:  # most values: before the isinstance tests
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, timedelta):
        return "timespan"
    return "dynamic"


# --- text --------------------------------------------------------------------------------

def format_timespan(value: timedelta) -> str:
    ticks = (value.days * 86400 + value.seconds) * 10_000_000 + value.microseconds * 10
    sign = "-" if ticks < 0 else ""
    ticks = abs(ticks)
    days, rest = divmod(ticks, 864_000_000_000)
    hours, rest = divmod(rest, 36_000_000_000)
    minutes, rest = divmod(rest, 600_000_000)
    seconds, fraction = divmod(rest, 10_000_000)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}" + (f".{fraction:07d}" if fraction else "")
    return f"{sign}{days}.{text}" if days else sign + text


def format_datetime(value: datetime) -> str:
    value = value.astimezone(timezone.utc)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond * 10:07d}"
    return text + "Z"


def to_text(value: Any) -> str:
    """`tostring()`: null is "", dynamic is its compact JSON text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, timedelta):
        return format_timespan(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def is_empty(value: Any) -> bool:
    return value is None or value == "" and isinstance(value, str)


# --- terms (has, hasprefix, hassuffix) ---------------------------------------------------------

def _alnum(char: str) -> bool:
    """An alphanumeric term character. The documentation says "alphanumeric" without naming the
    character set; ASCII letters and digits surely are. Whether a non-ASCII letter is is not
    documented, so meeting one at a term boundary is not evaluated (no guess)."""
    if char.isascii():
        return char.isalnum()
    if char.isalnum():
        raise NotEvaluated("a term boundary next to a non-ASCII letter (Kusto's term characters are not documented)")
    return False


def term_match(text: str, needle: str, *, case: bool, prefix: bool = True, suffix: bool = True) -> bool:
    """`has` (prefix and suffix bounded), `hasprefix` (start bounded), `hassuffix` (end bounded)."""
    problem = term_problem(needle)
    if problem is not None:
        raise NotEvaluated(problem)
    if not case:
        text, needle = text.lower(), needle.lower()
    return term_found(text, needle, prefix, suffix)


def term_problem(needle: str) -> str | None:
    """Why a term search for `needle` is not evaluated, or None."""
    if not needle:
        return "a term search for the empty string (not documented)"
    if not (needle[0].isascii() and needle[0].isalnum() and needle[-1].isascii() and needle[-1].isalnum()):
        # Kusto splits such a needle into terms in ways the documentation does not describe.
        return f"a term search for {needle!r}, which starts or ends with a non-alphanumeric character"
    return None


def term_found(text: str, needle: str, prefix: bool, suffix: bool) -> bool:
    """`term_match` once the needle is known to be searchable and both are folded as asked."""
    start = text.find(needle)
    size = len(needle)
    while start >= 0:
        ok = True
        if prefix and start > 0 and _alnum(text[start - 1]):
            ok = False
        end = start + size
        if ok and suffix and end < len(text) and _alnum(text[end]):
            ok = False
        if ok:
            return True
        start = text.find(needle, start + 1)
    return False


# --- equality and order ----------------------------------------------------------------------

def _pair(left: Any, right: Any) -> tuple[Any, Any]:
    """The operands made comparable, or TypeMismatch."""
    if type(left) is str and type(right) is str:  # most comparisons: nothing to make comparable
        return left, right
    kl, kr = kind(left), kind(right)
    if kl == kr:
        return left, right
    if {kl, kr} == {"string", "datetime"}:
        text = left if kl == "string" else right
        moment = parse_time(text)
        if moment is None:
            return (None, right) if kl == "string" else (left, None)
        return (moment, right) if kl == "string" else (left, moment)
    raise TypeMismatch(f"a {kl} compared with a {kr}")


def equal(left: Any, right: Any, case: bool = True) -> bool | None:
    """`==` (case=True) and `=~`: null with non-null is false, two nulls are null. A missing
    string column is "" (strings have no null)."""
    if type(left) is str and type(right) is str:  # most comparisons: what the general path does for them
        return left == right if case else left.lower() == right.lower()
    if left is None or right is None:
        if isinstance(left, str) or isinstance(right, str):
            left, right = left or "", right or ""
        elif left is None and right is None:
            return None
        else:
            return False
    if isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
        raise TypeMismatch("an array or property bag compared with ==")
    left, right = _pair(left, right)
    if left is None or right is None:
        return False
    if not case and isinstance(left, str):
        return left.lower() == right.lower()
    return left == right


def not_equal(left: Any, right: Any, case: bool = True) -> bool | None:
    result = equal(left, right, case)
    return None if result is None else not result


def order(left: Any, right: Any) -> int | None:
    """-1 / 0 / 1, or None when either is null (`<` on null is null)."""
    if left is None or right is None:
        return None
    if isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
        raise TypeMismatch("an array or property bag compared with < or >")
    left, right = _pair(left, right)
    if left is None or right is None:
        return None
    return (left > right) - (left < right)


def sort_key(value: Any) -> tuple:
    """A key for `sort` (the caller checks that the non-null values are of one kind)."""
    if value is None:
        return (0, 0)
    if isinstance(value, (dict, list)):
        return (1, to_text(value))
    return (1, value)


# --- regular expressions (RE2) ------------------------------------------------------------

_REGEX_CACHE: dict[str, regex.Pattern] = {}


def re2(pattern: str, node: Any = None) -> regex.Pattern:
    """A Python `regex` pattern with RE2's meaning (tooling.languages.re2), compiled ASCII (RE2's
    `\\b \\w \\d \\s` are ASCII), or NotEvaluated for what RE2 refuses (the query would not run
    in Kusto) or what is not translated."""
    found = _REGEX_CACHE.get(pattern)
    if found is not None:
        return found
    try:
        translated = translate(pattern).text
    except NotRe2 as exc:
        raise _refuse(node, str(exc)) from None
    try:
        compiled = regex.compile(translated, regex.ASCII | regex.VERSION0)
    except regex.error as exc:
        raise _refuse(node, f"a regular expression that does not compile ({exc})") from None
    if len(_REGEX_CACHE) > 512:
        _REGEX_CACHE.clear()
    _REGEX_CACHE[pattern] = compiled
    return compiled


def _refuse(node: Any, what: str) -> NotEvaluated:
    return NotEvaluated.at(node, what) if node is not None else NotEvaluated(what)


# --- literals ----------------------------------------------------------------------------

_SPAN_UNITS = {
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "m": 60.0, "min": 60.0, "minute": 60.0, "minutes": 60.0,
    "s": 1.0, "sec": 1.0, "second": 1.0, "seconds": 1.0,
    "ms": 1e-3, "milli": 1e-3, "millis": 1e-3, "millisecond": 1e-3, "milliseconds": 1e-3,
    "microsecond": 1e-6, "microseconds": 1e-6, "micro": 1e-6, "micros": 1e-6,
    "nanosecond": 1e-9, "nanoseconds": 1e-9, "nano": 1e-9, "nanos": 1e-9,
    "tick": 1e-7, "ticks": 1e-7,
}
_SPAN = re.compile(r"(\d+(?:\.\d+)?)([a-z]+)")


def timespan_literal(text: str) -> timedelta | None:
    match = _SPAN.fullmatch(text.strip().lower())
    if match is None or match.group(2) not in _SPAN_UNITS:
        return None
    return timedelta(seconds=float(match.group(1)) * _SPAN_UNITS[match.group(2)])


_CLOCK = re.compile(r"(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?")


def parse_timespan(text: str) -> timedelta | None:
    """`timespan(1d)`, `timespan(01:30:00)`, `totimespan("1.02:00:00")`."""
    text = text.strip()
    found = timespan_literal(text)
    if found is not None:
        return found
    match = _CLOCK.fullmatch(text)
    if match is None:
        return None
    sign, days, hours, minutes, seconds, fraction = match.groups()
    value = timedelta(days=int(days or 0), hours=int(hours), minutes=int(minutes), seconds=int(seconds or 0),
                      microseconds=int((fraction or "0").ljust(7, "0")) // 10)
    return -value if sign else value


def parse_datetime(text: str) -> datetime | None:
    text = text.strip()
    if not text or text.lower() == "null":
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d", text[:12]):
        text = text.replace(" ", "T", 1)
    return parse_time(text)
