"""Rows, field values, patterns and regular expressions of the LogScale evaluator.

What LogScale documents and this module encodes (library.humio.com, "Operators", "Expressions",
"Regular Expression Flags", "Regular Expression Syntax Patterns"):

- Field values have no type at run time: "values are basically strings that are interpreted in
  the context they are used" (Expressions). An event's JSON number or boolean is read as its
  text ("1", "true").
- Fields are flat names; parsed JSON becomes dotted names (`Vendor.userIdentity.arn`) and arrays
  `name[0]`, so an event may hold them flat or nested, and an object is not a field value.
- A regex runs on the JitRex engine with Java syntax; the flags are `i` (ignore case), `m` (`^`/`$`
  at line ends), `d` (`.` matches a newline too), `g` (repeat; extraction only) and `F` (the v2
  engine, same language). `.` does not match a newline without `d`.

Undocumented, read conservatively here: a JSON `null` value (raises NotEvaluated when a decision
reads it), a value over 1 MiB (LogScale's default event size limit; not evaluated), backslashes in
an unquoted pattern and escapes other than `\\"`, `\\\\` and `\\*` in a quoted one (not evaluated).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import regex

from tooling.languages.evaluation import MISSING, REGEX_TIMEOUT_S, NotEvaluated
from tooling.languages.prefilter import SLOW, untimed

MAX_VALUE_CHARS = 1 << 20  # LogScale's default maximum event size is 1 MB
MAX_DEPTH = 64


class ValueProblem(NotEvaluated):
    """A value that cannot be judged; the pipeline re-raises it at the stage that read it."""


class Undecided:
    """A value the evaluator could not compute (e.g. an expression over a missing field): any
    decision that reads it is not evaluated, but showing it (table) is harmless."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


class Row:
    """An event flowing through the pipeline: its fields (the event itself until a stage writes,
    then a copy) and the indexes of the given events it came from."""

    __slots__ = ("fields", "src")

    def __init__(self, fields: dict, src: tuple):
        self.fields = fields
        self.src = src

    def with_fields(self, updates: dict) -> "Row":
        fields = dict(self.fields)
        fields.update(updates)
        return Row(fields, self.src)

    def without(self, names) -> "Row":
        fields = {k: v for k, v in self.fields.items() if k not in names}
        return Row(fields, self.src)


def number_text(value: float | int) -> str:
    """A number as LogScale writes it: integral values without a fraction."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueProblem("a computation that gives no number (NaN or infinity)")
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def text_of(value: Any, name: str = "") -> str | None:
    """A raw event value as LogScale would see it: text, or None when it is not a field value."""
    cls = value.__class__
    if cls is str:
        if len(value) > MAX_VALUE_CHARS:
            raise ValueProblem(f"a value of {len(value):,} characters in {name or 'a field'} (over LogScale's 1 MB "
                               "event size limit)")
        return value
    if cls is bool:
        return "true" if value else "false"
    if cls is int or cls is float:
        return number_text(value)
    if value is None:
        raise ValueProblem(f"a null value in {name or 'a field'} (how LogScale stores JSON null is not documented)")
    if cls is Undecided:
        raise ValueProblem(value.reason)
    return None  # an object or array is not a field value: its leaves are (a.b, a[0])


_INDEX = re.compile(r"^(.*?)\[(\d+)\]$")


def _nested(fields: dict, name: str) -> Any:
    """`a.b.c` / `a[0].b` in nested objects, when the event is not flat."""
    node: Any = fields
    parts = name.split(".")
    if len(parts) > MAX_DEPTH:
        raise ValueProblem(f"a field path nested more than {MAX_DEPTH} levels deep")
    index = 0
    while index < len(parts):
        if not isinstance(node, dict):
            return MISSING
        # the longest dotted key present at this level (keys may themselves hold dots)
        for end in range(len(parts), index, -1):
            key = ".".join(parts[index:end])
            if key in node:
                node = node[key]
                index = end
                break
            found = _INDEX.match(key)
            if found and found.group(1) in node:
                inner = node[found.group(1)]
                position = int(found.group(2))
                if not isinstance(inner, list) or position >= len(inner):
                    return MISSING
                node = inner[position]
                index = end
                break
        else:
            return MISSING
    return node


def value_of(fields: dict, name: str) -> str | None:
    """The text of field `name`, or None when the event does not have it."""
    value = fields.get(name, MISSING)
    if value.__class__ is str and len(value) <= MAX_VALUE_CHARS:
        return value
    if value is MISSING:
        if "." not in name and "[" not in name:
            return None
        value = _nested(fields, name)
        if value is MISSING:
            return None
    return text_of(value, name)


def as_number(text: str | None) -> float | int | None:
    """A field value read as a number, or None (LogScale interprets values by context)."""
    if text is None:
        return None
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return None if number != number else number


# --- literals ---------------------------------------------------------------------------

_STRING_ESCAPE = re.compile(r"\\(.)", re.S)


def string_literal(token: Any, keep_star_escape: bool = False) -> str:
    """The value of a quoted string token. `\\"` and `\\\\` are documented; `\\*` (a literal star in
    a pattern) is kept as `\\*` when `keep_star_escape`; other escapes are not evaluated."""
    body = str(token)[1:-1]

    def replace(match: re.Match) -> str:
        char = match.group(1)
        if char in '"\\':
            return char if not keep_star_escape else ("\\\\" if char == "\\" else char)
        if char == "*" and keep_star_escape:
            return "\\*"
        raise NotEvaluated.at(token, f"the escape \\{char} in a string (its meaning in CQL is not documented)")

    return _STRING_ESCAPE.sub(replace, body)


def regex_string(token: Any) -> str:
    """A regex written in a quoted string (regex("..."), replace(), splitString(by=...)): the
    string's own escapes `\\"` and `\\\\` are resolved, every other backslash reaches the engine
    (the packages' `\\\\d` and `\\s` both mean the regex escape)."""
    body = str(token)[1:-1]
    return re.sub(r'\\([\\"])', r"\1", body)


# --- glob patterns (field=value, in(), wildcard(), free text) ---------------------------------

@lru_cache(maxsize=4096)
def glob(pattern: str, anchored: bool = True, ignore_case: bool = False) -> regex.Pattern:
    """`*` matches any run of characters (newlines too), `\\*` a literal star; everything else is
    literal. Anchored for field values, unanchored for free text."""
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and pattern.startswith("\\*", index):
            parts.append(re.escape("*"))
            index += 2
            continue
        if char == "\\" and pattern.startswith("\\\\", index):
            parts.append(re.escape("\\"))
            index += 2
            continue
        if char == "*":
            if not parts or parts[-1] != ".*":
                parts.append(".*")
        else:
            parts.append(re.escape(char))
        index += 1
    if not anchored:  # free text: a substring search, so stars at either end add nothing
        while parts and parts[0] == ".*":
            parts.pop(0)
        while parts and parts[-1] == ".*":
            parts.pop()
    flags = regex.DOTALL | (regex.IGNORECASE if ignore_case else 0)
    return regex.compile("".join(parts), flags)


def glob_match(compiled: regex.Pattern, value: str, anchored: bool = True) -> bool:
    try:
        method = "fullmatch" if anchored else "search"
        found = untimed(compiled, method, value)
        if found is SLOW:
            found = getattr(compiled, method)(value, timeout=REGEX_TIMEOUT_S)
        return found is not None
    except TimeoutError:
        raise ValueProblem("a pattern match that takes too long") from None


# --- regular expressions --------------------------------------------------------------------

_FLAGS = {"i": regex.IGNORECASE, "m": regex.MULTILINE, "d": regex.DOTALL, "F": 0, "g": 0}
# Syntax LogScale documents as unsupported ("Unsupported Regular Expression Patterns"): a query
# using it does not run on LogScale, so it is not evaluated here.
_UNSUPPORTED_ESCAPES = frozenset("hHvVRXGeCN")


def unsupported_syntax(pattern: str) -> str | None:
    """The first construct of `pattern` that LogScale documents as unsupported, else None."""
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            nxt = pattern[index + 1]
            if nxt in _UNSUPPORTED_ESCAPES or (nxt in "pPkbu" and pattern[index + 2:index + 3] in ("{", "<")
                                               and not (nxt == "b" and pattern[index + 2:index + 3] == "<")):
                return "\\" + nxt
            index += 2
            continue
        if in_class:
            if char == "[":
                return "a character class inside a character class"
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            if pattern.startswith("]", index + 1) or pattern.startswith("^]", index + 1):
                index += 2 if pattern[index + 1] == "]" else 3
                continue
        elif char in "*+?}" and pattern.startswith("+", index + 1):
            return "a possessive quantifier"
        index += 1
    return None


def _unquote(pattern: str) -> str:
    r"""`\Q...\E` quoting (Java syntax; "Regular Expression Syntax Patterns", Quotation) -> an
    escaped literal. Scanned escape by escape: in `\\Q` the backslash is escaped and `Q` is a plain
    letter, so `/\\QuickAssist\.exe$/` is a backslash then `QuickAssist.exe`, not a quotation."""
    if "\\Q" not in pattern:
        return pattern
    out, index = [], 0
    while index < len(pattern):
        if pattern[index] == "\\" and index + 1 < len(pattern):
            if pattern[index + 1] == "Q":
                end = pattern.find("\\E", index + 2)
                out.append(re.escape(pattern[index + 2:] if end < 0 else pattern[index + 2:end]))
                index = len(pattern) if end < 0 else end + 2
                continue
            out.append(pattern[index:index + 2])
            index += 2
            continue
        out.append(pattern[index])
        index += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def _compile_regex(pattern: str, flags: str) -> regex.Pattern | str:
    value = 0
    for flag in flags:
        if flag not in _FLAGS:
            return f"the regex flag {flag!r}"
        value |= _FLAGS[flag]
    unsupported = unsupported_syntax(pattern)
    if unsupported:
        return f"regex syntax LogScale does not support ({unsupported})"
    pattern = _unquote(pattern)
    try:
        # ASCII: Java's \d \w \s \b and case folding are ASCII unless asked otherwise
        return regex.compile(pattern, value | regex.ASCII | regex.VERSION0)
    except (regex.error, ValueError, OverflowError) as exc:
        return f"a regular expression that does not compile ({exc})"


def compile_regex(pattern: str, flags: str, node: Any) -> regex.Pattern:
    compiled = _compile_regex(pattern, flags)
    if isinstance(compiled, str):
        raise NotEvaluated.at(node, compiled)
    return compiled


def regex_literal(token: Any) -> tuple[str, str]:
    """`/body/flags` -> (body, flags); `\\/` inside is a slash."""
    text = str(token)
    end = text.rfind("/")
    return text[1:end].replace("\\/", "/"), text[end + 1:]


def regex_token(token: Any) -> regex.Pattern:
    body, flags = regex_literal(token)
    return compile_regex(body, flags, token)


@lru_cache(maxsize=1024)
def _unicode_twin(pattern: str, flags: int) -> regex.Pattern:
    return regex.compile(pattern, (flags & ~regex.ASCII) | regex.UNICODE)


# as a plain int: `int & RegexFlag` goes through enum's operators, a tenth of a search's cost
_IGNORECASE = int(regex.IGNORECASE)


def rx_search(compiled: regex.Pattern, value: str):
    """The first match of `compiled` in `value`.

    Undocumented, so not guessed: whether the `i` flag folds letters beyond ASCII ("Regular
    Expression Flags" only says "matching values regardless of the case of the characters"; Java's
    default folding is ASCII-only, RE2J's is Unicode). A case-insensitive match on non-ASCII text
    whose answer differs between the two readings is not evaluated."""
    try:
        found = untimed(compiled, "search", value)
        if found is SLOW:
            found = compiled.search(value, timeout=REGEX_TIMEOUT_S)
        if compiled.flags & _IGNORECASE and not (value.isascii() and compiled.pattern.isascii()):
            twin = _unicode_twin(compiled.pattern, compiled.flags)
            other = untimed(twin, "search", value)
            if other is SLOW:
                other = twin.search(value, timeout=REGEX_TIMEOUT_S)
            if (other is None) != (found is None):
                raise ValueProblem("a case-insensitive regex on non-ASCII letters (whether the i flag folds "
                                   "letters beyond ASCII is not documented)")
        return found
    except TimeoutError:
        raise ValueProblem("a regular expression that backtracks without end") from None


def named_groups(compiled: regex.Pattern) -> list[str]:
    return [name for name, _ in sorted(compiled.groupindex.items(), key=lambda item: item[1])]
