"""SPL evaluation: rows, field values, numbers, strings and PCRE, as Splunk sees them.

A row is a result of the pipeline: its fields (a dict, `_raw`, `_time` and extracted fields, as
the platform renders an event) and the indexes of the input events it came from (an event is
one source; a `stats` row has every event that took part in it).

Values: Splunk extracts every field value as text; a multivalue field is a list. Numbers in the
event dict (JSON numbers) are shown as Splunk shows them (`1`, `1.5`); `true`/`false` for JSON
Booleans; None or a missing key is null. An object (a dict) under a name the query tests is not a
Splunk field value (Splunk flattens JSON into dotted names): it is not evaluated.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import regex

from tooling.languages.evaluation import MISSING, REGEX_TIMEOUT_S, NotEvaluated, field_value
from tooling.languages.prefilter import SLOW, untimed

MAX_DEPTH = 64


class Row:
    __slots__ = ("fields", "sources")

    def __init__(self, fields: dict, sources: tuple[int, ...]):
        self.fields = fields
        self.sources = sources


def get(fields: Mapping, name: str) -> Any:
    """The value of field `name` (case-sensitive, as Splunk's field names are), None when null.
    A flat key wins; a nested object is read along a dotted name (`a.b`) as Splunk's JSON
    extraction flattens it."""
    value = fields.get(name, MISSING)
    if value is MISSING:
        if "." not in name:
            return None
        value = field_value(fields, name)
        if value is MISSING:
            return None
    return value


def text_of(value: Any, node: Any = None) -> str | None:
    """One value as Splunk's text (None stays None)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # as the event's JSON text writes it (1.5, 1.0)
    raise NotEvaluated.at(node, "a field holding an object or nested list (not a Splunk field value)") \
        if node is not None else NotEvaluated("a field holding an object or nested list (not a Splunk field value)")


def texts(value: Any, node: Any = None) -> list[str]:
    """The values of a field as text: [] when null, one element for a single value, each
    element of a multivalue field."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            if isinstance(item, (list, tuple, dict)):
                raise NotEvaluated.at(node, "a multivalue field holding objects or lists")
            if item is not None:
                out.append(text_of(item, node))
        return out
    return [text_of(value, node)]


# What a text float() reads can start with (besides a decimal digit of any script): a sign, a
# point, or inf / nan / infinity.
_NUMBER_START = frozenset("+-.iInN")


def number(value: Any) -> float | None:
    """A number when the value is one or is text Splunk reads as a number, else None."""
    if isinstance(value, str):  # first: most values are text
        stripped = value.strip()
        if not stripped or (stripped[0] not in _NUMBER_START and not stripped[0].isdecimal()):
            return None  # what float() refuses at its first character, without its exception
        if stripped.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
            return None
        try:
            return float(stripped) if len(stripped) < 400 else None
        except ValueError:
            if stripped[:2].lower() == "0x":
                try:
                    return float(int(stripped, 16))
                except ValueError:
                    return None
            return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def show_number(value: float) -> Any:
    """A computed number as eval keeps it (integers without a decimal part)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    return value


# --- string literals -------------------------------------------------------------------------

def unquote_search(token: str, node: Any = None) -> str:
    """A search value or term: quotes removed; `\\\\` is a backslash and `\\"` a quote, as the
    Search Manual's "Backslashes" rules say; another backslash stays as it is. `\\*` (a literal
    asterisk) has no documented meaning in a search value: not evaluated."""
    inner = token[1:-1] if len(token) >= 2 and token[0] == token[-1] == '"' else token
    if "\\" not in inner:
        return inner
    out = []
    index = 0
    while index < len(inner):
        char = inner[index]
        if char == "\\" and index + 1 < len(inner):
            following = inner[index + 1]
            if following in '\\"':
                out.append(following)
                index += 2
                continue
            if following == "*":
                raise NotEvaluated.at(node, "an escaped asterisk in a search value")
        out.append(char)
        index += 1
    return "".join(out)


_EVAL_ESCAPES = {"\\": "\\", '"': '"', "t": "\t", "n": "\n", "r": "\r"}


def unquote_eval(token: str) -> str:
    """An eval string literal: `\\\\`, `\\"`, `\\t`, `\\n`, `\\r` are escapes (the Search Manual's
    "Types of expressions": "C:\\\\windows\\temp" holds a tab); any other backslash stays, so
    regular expressions such as "\\d+" keep theirs."""
    inner = token[1:-1]
    if "\\" not in inner:
        return inner
    out = []
    index = 0
    while index < len(inner):
        char = inner[index]
        if char == "\\" and index + 1 < len(inner) and inner[index + 1] in _EVAL_ESCAPES:
            out.append(_EVAL_ESCAPES[inner[index + 1]])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def unquote_field(token: str) -> str:
    """A field name: 'single quoted' or "double quoted" (rename, table), or bare."""
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        inner = token[1:-1]
        return inner.replace("\\" + token[0], token[0]).replace("\\\\", "\\")
    return token


# --- PCRE ------------------------------------------------------------------------------------

_REGEX_CACHE: dict[str, regex.Pattern] = {}
# A flag group after the start applies from there on in PCRE, to the whole pattern in `regex`.
_LATE_FLAGS = regex.compile(r"(?<!\\)(?:\\\\)*\(\?[a-zA-Z]+\)")
_PCRE_ONLY = regex.compile(r"\\[hHvVRNzZQEeCXo]|\(\*|\(\?[|&]|\(\?[+-]?\d|\(\?P>|\\g|\(\?C")


def pcre(pattern: str, node: Any = None) -> regex.Pattern:
    """`pattern` (PCRE, as rex, regex, match() and replace() take it) compiled for the `regex`
    module, or NotEvaluated when it uses what the two read differently."""
    found = _REGEX_CACHE.get(pattern)
    if found is not None:
        return found
    body = pattern
    if _PCRE_ONLY.search(_strip_escaped_backslashes(body)):
        raise NotEvaluated.at(node, "a PCRE construct the evaluator does not run (\\h, \\R, \\z, \\Q, verbs ...)")
    start = regex.match(r"\(\?[a-zA-Z]+\)", body)
    late = _LATE_FLAGS.search(body, start.end() if start else 0)
    if late is not None:
        raise NotEvaluated.at(node, "PCRE flags set in the middle of a regular expression")
    body = regex.sub(r"\(\?'([A-Za-z_]\w*)'", r"(?P<\1>", body)
    try:
        compiled = regex.compile(body, regex.V0 | regex.ASCII)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise NotEvaluated.at(node, f"a regular expression that does not compile ({exc})") from None
    if len(_REGEX_CACHE) > 2048:
        _REGEX_CACHE.clear()
    _REGEX_CACHE[pattern] = compiled
    return compiled


def _strip_escaped_backslashes(text: str) -> str:
    return text.replace("\\\\", "")


_MATCHES = ("search", "match", "fullmatch")  # the calls `untimed` may make without a timeout


def guarded(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a `regex` call with the shared time bound: a pattern that backtracks without end is
    not evaluated (see evaluation.search)."""
    try:
        name = getattr(call, "__name__", None)
        if name in _MATCHES and len(args) == 1 and not kwargs and isinstance(getattr(call, "__self__", None),
                                                                            regex.Pattern):
            found = untimed(call.__self__, name, args[0])
            if found is not SLOW:
                return found
        return call(*args, timeout=REGEX_TIMEOUT_S, **kwargs)
    except TimeoutError:
        raise NotEvaluated("a regular expression that backtracks without end") from None


def guarded_search(compiled: regex.Pattern, text: str) -> Any:
    """`guarded(compiled.search, text)`, without finding out from the call what it is (match(),
    on most rows of the queries that use it)."""
    found = untimed(compiled, "search", text)
    if found is not SLOW:
        return found
    try:
        return compiled.search(text, timeout=REGEX_TIMEOUT_S)
    except TimeoutError:
        raise NotEvaluated("a regular expression that backtracks without end") from None


# --- ordering (sort, min, max) -----------------------------------------------------------------

def order_key(value: Any) -> tuple:
    """Splunk's sort order: numbers numerically, before text, which sorts lexicographically
    (`sort` in the Search Reference: "numeric data is sorted numerically, ... other data
    lexicographically")."""
    if value is None:
        return (2, 0, "")
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
        if value is None:
            return (2, 0, "")
    as_number = number(value)
    if as_number is not None:
        return (0, as_number, "")
    return (1, 0, text_of(value) or "")
