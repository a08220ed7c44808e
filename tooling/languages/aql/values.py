"""AQL values and the operators on them, with IBM QRadar's documented semantics.

Sources (IBM QRadar 7.5 / 7.6 documentation, read 2026-12):
* "AQL logical and comparison operators" (ibm.biz/aqloperators): `=`, `!=`, `<`, `<=`, `>`,
  `>=`, arithmetic, AND, OR, NOT, BETWEEN, IN, LIKE, ILIKE, MATCHES, IMATCHES.
* "LIKE clause" (qsip 7.6.0, topic structure-like-clause): `%` matches a string of zero or more
  characters, `_` any single character; "ILIKE and IMATCHES are case-insensitive versions of LIKE
  and MATCHES"; its MATCHES example is `test MATCHES '.*Information.*'`, i.e. the pattern must
  cover the whole value.
* IBM support note 7160974 ("Ariel 'contains' filter is a case-insensitive match ... 'matches'"):
  "matches ... performs case-sensitive pattern matching ... will only match text that exactly
  corresponds to the specified pattern". So MATCHES is Java's `String.matches`: the WHOLE value
  must match (not a search), and LIKE / `=` are case-sensitive.

Where the documentation is silent the code says so and takes the conservative reading: it raises
`NotEvaluated` whenever the undocumented choice would decide the verdict (a number compared with
text, BETWEEN exactly at a bound, case folding of non-ASCII text, a Java-only regex construct),
and otherwise follows SQL (NULL is unknown: a comparison with NULL is neither true nor false).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import regex

from tooling.languages.evaluation import REGEX_TIMEOUT_S, NotEvaluated, wildcard_regex
from tooling.languages.prefilter import SLOW, untimed

NUMBER = (int, float)
# QRadar truncates payloads far below this (its syslog / TLS syslog maximum payload length is at
# most 32 KB by default); a longer value is not a QRadar event and is not evaluated.
MAX_TEXT = 1 << 20


class Payload:
    """The raw payload of an event (bytes in QRadar). Only UTF8() / BASE64() read it as text."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def scalar(value: Any, node: Any, name: str) -> Any:
    """An event's value as AQL sees it: text, a number, or None (NULL). QRadar properties are
    single values; anything else in an event is outside the platform's shape."""
    if value is None:
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise NotEvaluated.at(node, f"field {name!r} holds {len(value):,} characters (over {MAX_TEXT:,}: not "
                                  "an event QRadar stores)")
        return value
    if isinstance(value, bool):
        raise NotEvaluated.at(node, f"field {name!r} holds a boolean (QRadar properties are text, numbers or IPs)")
    if isinstance(value, NUMBER):
        return value
    raise NotEvaluated.at(node, f"field {name!r} holds a {type(value).__name__}, not a single value")


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, NUMBER):
        return "number"
    return type(value).__name__


def comparable(left: Any, right: Any, node: Any, operator: str) -> None:
    """Raise unless `left operator right` has a documented meaning: text with text, numbers with
    numbers. Whether AQL converts '12' to 12 (or 12 to '12') is not documented."""
    if isinstance(left, Payload) or isinstance(right, Payload):
        raise NotEvaluated.at(node, f"payload compared with {operator} (the raw payload is bytes; use UTF8(payload))")
    if isinstance(left, str) and isinstance(right, str):
        return
    if isinstance(left, NUMBER) and isinstance(right, NUMBER):
        return
    raise NotEvaluated.at(node, f"{operator} between {_kind(left)} and {_kind(right)} "
                          "(AQL's conversion between them is not documented)")


def equals(left: Any, right: Any, node: Any, operator: str = "=") -> bool | None:
    """`=`: exact and case-sensitive for text (IBM: the equal operator "returns true if they are
    equal"; Ariel's matching is case-sensitive unless an I-operator is used). NULL -> unknown."""
    if type(left) is str and type(right) is str:  # the common case, which `comparable` allows
        return left == right
    if left is None or right is None:
        return None
    comparable(left, right, node, operator)
    return left == right


def order(left: Any, right: Any, node: Any, operator: str) -> bool | None:
    """`<`, `<=`, `>`, `>=` on numbers. Text ordering (collation) is not documented for WHERE."""
    if left is None or right is None:
        return None
    comparable(left, right, node, operator)
    if isinstance(left, str):
        raise NotEvaluated.at(node, f"{operator} between two texts (AQL's text ordering is not documented)")
    if operator == "<":
        return left < right
    if operator == "<=":
        return left <= right
    if operator == ">":
        return left > right
    return left >= right


def text_operand(value: Any, node: Any, operator: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Payload):
        raise NotEvaluated.at(node, f"payload with {operator} (the raw payload is bytes; use UTF8(payload))")
    raise NotEvaluated.at(node, f"{operator} on a {_kind(value)} (whether AQL converts it to text is not documented)")


def ascii_only(text: str, node: Any, operator: str) -> None:
    """ILIKE / IMATCHES fold case; QRadar does not document how for non-ASCII letters (Java's
    CASE_INSENSITIVE is ASCII-only unless UNICODE_CASE). ASCII text folds the same either way."""
    if not text.isascii():
        raise NotEvaluated.at(node, f"{operator} on non-ASCII text (QRadar's case folding beyond ASCII is "
                              "not documented)")


# --- LIKE / ILIKE -------------------------------------------------------------------------

class LikePattern:
    """A LIKE pattern: `%` any run (zero or more characters), `_` exactly one character, the
    rest literal, matched against the WHOLE value.

    A backslash is literal. IBM's "LIKE clause" page lists the wildcard characters AQL supports,
    `%` and `_`, and no escape character (AQL has no ESCAPE clause): every other character of the
    pattern, the backslash included, stands for itself, so `'%\\cmd.exe'` ends with backslash,
    c, m, d. AQL string literals keep their backslashes (`string_value`). IBM's own Sigma backend
    (pySigma-backend-QRadar-AQL) relies on this reading: it writes Windows paths into LIKE
    patterns with bare backslashes (`'%\\temp\\%'`) and escapes only the quote. The consequence,
    that a literal `%` or `_` cannot be matched, is the documented one: the table has no way to."""

    __slots__ = ("kind", "literal", "compiled", "fold", "matches")

    def __init__(self, pattern: str, fold: bool, node: Any, operator: str):
        if fold:
            ascii_only(pattern, node, operator)
        self.fold = fold
        self.compiled = None
        text = pattern.lower() if fold else pattern
        inner = text.strip("%")
        if "_" not in text and "%" not in inner:
            starts, ends = text.startswith("%"), text.endswith("%")
            self.kind = ("contains" if starts and ends else "suffix" if starts else "prefix" if ends else "exact")
            self.literal = inner
        else:
            self.kind = "regex"
            self.literal = ""
            self.compiled = wildcard_regex(text, star="%", one="_")
        # `matches(value) -> bool`, chosen once for the pattern's kind: a pattern is tested on
        # every event, often several on one long value
        self.matches = _like_test(self.kind, self.literal, self.compiled, fold)


def _like_test(kind: str, literal: str, compiled: Any, fold: bool) -> Callable[[str], bool]:
    if kind == "contains":
        return (lambda value: literal in value.lower()) if fold else (lambda value: literal in value)
    if kind == "exact":
        return (lambda value: value.lower() == literal) if fold else (lambda value: value == literal)
    if kind == "prefix":
        return (lambda value: value.lower().startswith(literal)) if fold else (lambda value: value.startswith(literal))
    if kind == "suffix":
        return (lambda value: value.lower().endswith(literal)) if fold else (lambda value: value.endswith(literal))
    if fold:
        return lambda value: timed_fullmatch(compiled, value.lower())
    return lambda value: timed_fullmatch(compiled, value)


@lru_cache(maxsize=512)
def like_pattern(pattern: str, fold: bool) -> LikePattern:
    return LikePattern(pattern, fold, None, "ILIKE" if fold else "LIKE")


# --- MATCHES / IMATCHES (Java regular expressions) --------------------------------------

# Escapes whose meaning differs between Java's java.util.regex and Python's `regex` module, or
# that one of them lacks: \Q..\E quoting, \h \v \R \X \G \z \Z, \0 octal, \e, \c control, \p{java...}.
_JAVA_ONLY_ESCAPES = set("QEhHvVRXGzZ0ec")
# Java's `.` also stops at \r, \u0085, \u2028 and \u2029 (not only \n, as in Python).
_JAVA_LINE_TERMINATORS = ("\r", "\x85", "\u2028", "\u2029")


def java_regex_check(pattern: str) -> str | None:
    """Why `pattern` would not mean the same in Java and in Python's `regex`, or None."""
    index, depth = 0, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            following = pattern[index + 1]
            if following in _JAVA_ONLY_ESCAPES:
                return f"the escape \\{following}"
            if following in "pP" and pattern[index + 2:index + 7].lower() in ("{java", "{is", "{in"):
                return "a Java property class (\\p{java...}, \\p{Is...}, \\p{In...})"
            index += 2
            continue
        if char == "[":
            if depth and not pattern[index - 1:index] == "[":
                return "a class inside a class (Java reads it as a union)"
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        elif char == "&" and depth and pattern[index + 1:index + 2] == "&":
            return "a class intersection (&&)"
        elif char == "(" and pattern[index + 1:index + 3] == "?P":
            return "a Python-style named group (?P...)"
        index += 1
    return None


class JavaRegex:
    """A MATCHES / IMATCHES pattern: Java regex syntax, matched against the whole value."""

    __slots__ = ("compiled", "has_dot")

    def __init__(self, pattern: str, fold: bool, node: Any, operator: str):
        problem = java_regex_check(pattern)
        if problem:
            raise NotEvaluated.at(node, f"{operator} pattern with {problem} (Java and Python regexes differ there)")
        if fold:
            ascii_only(pattern, node, operator)
        # Java's \w \d \s \b are ASCII by default (no UNICODE_CHARACTER_CLASS), as is its
        # CASE_INSENSITIVE folding: regex.ASCII gives both.
        flags = regex.ASCII | regex.V0 | (regex.IGNORECASE if fold else 0)
        try:
            self.compiled = regex.compile(pattern, flags)
        except (regex.error, ValueError, OverflowError) as exc:
            raise NotEvaluated.at(node, f"{operator} pattern that does not compile here ({exc})") from None
        self.has_dot = "." in pattern

    def matches(self, value: str, node: Any, operator: str) -> bool:
        # all but \r are beyond ASCII: most values need one test
        if self.has_dot and ("\r" in value or not value.isascii() and any(t in value for t in _JAVA_LINE_TERMINATORS)):
            raise NotEvaluated.at(node, f"{operator} with '.' on text holding \\r, \\u0085, \\u2028 or \\u2029 "
                                  "(Java's '.' stops there, Python's does not)")
        return timed_fullmatch(self.compiled, value, node)


def timed_fullmatch(compiled: regex.Pattern, value: str, node: Any = None) -> bool:
    try:
        found = untimed(compiled, "fullmatch", value)
        if found is SLOW:
            found = compiled.fullmatch(value, timeout=REGEX_TIMEOUT_S)
        return found is not None
    except TimeoutError:
        raise NotEvaluated.at(node, "a regular expression that backtracks without end") from None


# --- arithmetic ---------------------------------------------------------------------------

def arithmetic(operator: str, left: Any, right: Any, node: Any) -> Any:
    """+ - * / % ^ and the bitwise & | << >> on numbers (IBM's operator table). Text with `+`
    is not documented (CONCAT is the documented way): not evaluated."""
    if left is None or right is None:
        return None
    if not (isinstance(left, NUMBER) and isinstance(right, NUMBER)):
        raise NotEvaluated.at(node, f"{operator} on {_kind(left)} and {_kind(right)} (only numbers are documented)")
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if operator == "^":
        if abs(right) > 64 or abs(left) > 2 ** 32:
            raise NotEvaluated.at(node, "^ with a large operand")
        return left ** right
    if operator in ("/", "%"):
        if right == 0:
            raise NotEvaluated.at(node, f"{operator} by zero (AQL's result is not documented)")
        if isinstance(left, int) and isinstance(right, int):
            if operator == "/":
                if left % right:
                    raise NotEvaluated.at(node, "/ of two integers with a remainder (whether AQL truncates is "
                                          "not documented)")
                return left // right
            rest = abs(left) % abs(right)  # Java's %: the sign of the dividend
            return rest if left >= 0 else -rest
        if operator == "/":
            return left / right
        rest = abs(left) % abs(right)
        return rest if left >= 0 else -rest
    if not (isinstance(left, int) and isinstance(right, int)):
        raise NotEvaluated.at(node, f"{operator} on a decimal number")
    if operator == "&":
        return left & right
    if operator == "|":
        return left | right
    if operator in ("<<", ">>"):
        if not 0 <= right < 64:
            raise NotEvaluated.at(node, f"{operator} by {right}")
        return left << right if operator == "<<" else left >> right
    raise NotEvaluated.at(node, f"the operator {operator}")
