"""Values of the Sumo Logic evaluator: literals, string escapes, regular expressions, wildcards,
comparisons with Sumo Logic's documented semantics, and the null readings.

Every field of a Sumo message is text (`_messagetime` included); an expression may also yield a
number (a numeric literal, arithmetic) or a boolean. A field that a parse did not fill, a lookup
that did not match, or a field the message does not have, is null (`None`): "Fields can hold a
null value [when] a parsing operation failed to parse a value [or] there is a mismatch from a
lookup" (docs/search/search-query-language/search-operators/isnull-isempty-isblank.md).

Null in a comparison. Sumo Logic does not document what `x = "a"`, `x != "a"` or
`!(x matches "*a*")` give when x is null. The conservative reading: every boolean expression is
evaluated three ways (`Mode`): KLEENE (a comparison with null is unknown; a `where` drops an
unknown row, as SQL does), FALSE (a comparison with null is false, `!` flips it) and NEGATED (the
negative operators `!=`, `not in`, `not matches`, `not contains` are the negation of the positive
one, so true for null). A filter's verdict stands only when every reading agrees; otherwise the
construct is reported as not evaluated (`decide`).
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable

import regex

from tooling.languages.evaluation import REGEX_TIMEOUT_S, NotEvaluated
from tooling.languages.prefilter import SLOW, untimed

KLEENE, FALSE, NEGATED = 0, 1, 2
READINGS = (FALSE, NEGATED)

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# Suffixes of numeric literals (docs/search/search-query-language/field-expressions.md): size
# (case-sensitive) and time (the base unit of time is the millisecond).
SIZE = {"K": 1e3, "k": 1e3, "M": 1e6, "G": 1e9, "B": 1e9, "T": 1e12, "P": 1e15, "Ki": 1024.0,
        "Mi": 1024.0 ** 2, "Gi": 1024.0 ** 3, "Ti": 1024.0 ** 4, "Pi": 1024.0 ** 5}
TIME = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6, "d": 8.64e7, "w": 6.048e8}


def number_literal(text: str, node: Any) -> float:
    """A numeric literal with its optional size or time suffix."""
    match = _NUMBER.match(text)
    if match is None:
        raise NotEvaluated.at(node, f"the number {text!r}")
    value = float(match.group(0))
    suffix = text[match.end():]
    if not suffix:
        return value
    factor = SIZE.get(suffix) or TIME.get(suffix)
    if factor is None:
        raise NotEvaluated.at(node, f"the number suffix {suffix!r}")
    return value * factor


def unescape(body: str) -> str:
    """The text of a double-quoted string: `\\"` is a quote, `\\\\` a backslash, `\\n` `\\t` `\\r`
    are control characters (docs: field-expressions.md "Use a backslash to escape double quotes";
    replace.md lists `\\n` and `\\t`). Any other backslash stays, so a regex keeps `\\d`."""
    if "\\" not in body:
        return body
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            following = body[index + 1]
            if following in '"\\':
                out.append(following)
            elif following in "ntr":
                out.append({"n": "\n", "t": "\t", "r": "\r"}[following])
            else:
                out.append(char + following)
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def string_literal(token: Any) -> str:
    return unescape(str(token)[1:-1])


def text_of(value: Any) -> str | None:
    """A value as Sumo shows it in a field: text (numbers without a needless .0)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    return str(value)


def as_number(value: Any) -> float | None:
    """A number, or the number a text holds (Sumo casts numeric text in comparisons and
    arithmetic: `parse "seconds=*;" as time | where time > 5`, where.md), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip() or "x"):
        return float(value)
    return None


# --- regular expressions -------------------------------------------------------------------

# RE2 has no lookaround, backreference, atomic group or possessive quantifier (matches.md and
# replace.md: "Regex must be RE2 compliant"); such a pattern is rejected by Sumo Logic. Only
# unescaped characters count: in RE2 syntax `\\` is a literal backslash, so `\\7z` is a backslash
# and "7z", not a backreference, and `\(?=` a literal parenthesis made optional, not a lookahead
# (github.com/google/re2/wiki/Syntax: "\\* literal *, for any punctuation character *").
_QUANTIFIERS = frozenset("*+?}")
_DIGITS = frozenset("123456789")


def _not_re2(source: str) -> bool:
    """Whether a pattern uses a construct RE2 does not have, outside escapes and classes."""
    index, length, in_class, after_quantifier = 0, len(source), False, False
    while index < length:
        char = source[index]
        if char == "\\":
            following = source[index + 1:index + 2]
            if following in _DIGITS or source.startswith("k<", index + 1):
                return True  # a backreference (numbered or named)
            index += 2
            after_quantifier = False
            continue
        if in_class:
            if char == "]":
                in_class = False
            index += 1
            continue
        if char == "[":
            in_class = True
            index += 1
            if source.startswith("^", index):
                index += 1
            if source.startswith("]", index):  # a leading ] is a literal in the class
                index += 1
            after_quantifier = False
            continue
        if char == "(" and (source.startswith("?=", index + 1) or source.startswith("?!", index + 1)
                            or source.startswith("?<=", index + 1) or source.startswith("?<!", index + 1)
                            or source.startswith("?>", index + 1)):
            return True  # lookaround or atomic group
        if char == "+" and after_quantifier:
            return True  # a possessive quantifier (a*+, a{2}+)
        after_quantifier = char in _QUANTIFIERS
        index += 1
    return False


# An inline flag group after the start: Java and RE2 scope it to the rest of its group, the
# `regex` module (version 0) to the whole pattern.
_LATE_FLAGS = re.compile(r"(?<!^)(?<!\\)\(\?[a-zA-Z]+\)")


class Pattern:
    """A compiled Sumo regular expression. RE2 and Java match `\\d`, `\\w`, `\\s`, `\\b` on ASCII
    only; the pattern is compiled both ASCII-only and Unicode, and on non-ASCII text a result
    that differs between the two is not evaluated rather than guessed. The Unicode reading is
    compiled when first needed: most queries only ever see ASCII text, and compiling is most of
    what building a query's evaluator costs."""

    __slots__ = ("source", "ascii", "_unicode", "_flags", "node")

    def __init__(self, source: str, flags: str, node: Any, *, re2: bool):
        if re2 and _not_re2(source):
            raise NotEvaluated.at(node, "a regular expression RE2 does not accept (lookaround, backreference, "
                                        "atomic or possessive)")
        if _LATE_FLAGS.search(source):
            raise NotEvaluated.at(node, "an inline (?flags) group after the start of a regular expression")
        extra = regex.IGNORECASE if "i" in flags else 0
        if set(flags) - {"i"}:
            raise NotEvaluated.at(node, f"the regular expression flags {flags!r}")
        try:
            self.ascii = regex.compile(source, extra | regex.ASCII)
        except regex.error as exc:
            raise NotEvaluated.at(node, f"a regular expression Sumo Logic rejects ({exc})") from None
        self._unicode = None
        self._flags = extra
        self.source = source
        self.node = node

    @property
    def unicode(self) -> regex.Pattern:
        # A pattern the ASCII reading compiles, the Unicode one compiles too (only the encoding
        # flag differs, and an inline encoding flag other than ASCII fails the ASCII reading).
        if self._unicode is None:
            try:
                self._unicode = regex.compile(self.source, self._flags)
            except regex.error as exc:
                raise NotEvaluated.at(self.node, f"a regular expression Sumo Logic rejects ({exc})") from None
        return self._unicode

    def _run(self, method: str, text: str, *args: Any) -> Any:
        try:
            quick = method in ("fullmatch", "search")  # the calls `untimed` may make without a timeout
            found = untimed(self.ascii, method, text) if quick else SLOW
            if found is SLOW:
                found = _timed(self.ascii, method, text, args)
            if text.isascii():
                return found
            other = untimed(self.unicode, method, text) if quick else SLOW
            if other is SLOW:
                other = _timed(self.unicode, method, text, args)
        except TimeoutError:
            raise NotEvaluated.at(self.node, "a regular expression that backtracks without end") from None
        if _shape(found) != _shape(other):
            raise NotEvaluated.at(self.node, "a regular expression whose \\w \\d \\s \\b or (?i) result on non-ASCII "
                                             "text differs between ASCII (RE2) and Unicode readings")
        return found

    def _on_ascii(self, method: str, text: str) -> Any:
        """A fullmatch or search of ASCII text (most calls): only the ASCII reading counts there,
        so it is made at once, without `_run`'s set-up."""
        found = untimed(self.ascii, method, text)
        if found is SLOW:
            try:
                found = _timed(self.ascii, method, text, ())
            except TimeoutError:
                raise NotEvaluated.at(self.node, "a regular expression that backtracks without end") from None
        return found

    def fullmatch(self, text: str) -> bool:
        return (self._on_ascii("fullmatch", text) if text.isascii() else self._run("fullmatch", text)) is not None

    def search(self, text: str) -> Any:
        return self._on_ascii("search", text) if text.isascii() else self._run("search", text)

    def finditer(self, text: str) -> list:
        return self._run("finditer", text)

    def sub(self, replacement: Callable, text: str) -> str:
        return self._run("sub", text, replacement)

    @property
    def groupindex(self) -> dict:
        return dict(self.ascii.groupindex)


def _timed(compiled: regex.Pattern, method: str, text: str, args: tuple) -> Any:
    """`compiled.<method>(text, *args)` with the timeout."""
    if method == "finditer":
        return list(compiled.finditer(text, timeout=REGEX_TIMEOUT_S))
    if method == "sub":
        return compiled.sub(args[0], text, timeout=REGEX_TIMEOUT_S)
    return getattr(compiled, method)(text, *args, timeout=REGEX_TIMEOUT_S)


def _shape(found: Any) -> Any:
    if found is None or isinstance(found, str):
        return found
    if isinstance(found, list):
        return [_shape(item) for item in found]
    return (found.span(), found.groups())


def regex_literal(token: Any, *, re2: bool = True) -> Pattern:
    """A `/regex/flags` token: `\\/` is a slash inside the delimiters."""
    text = str(token)
    cut = text.rfind("/")
    return Pattern(text[1:cut].replace("\\/", "/"), text[cut + 1:], token, re2=re2)


class Wildcard:
    """A whole-value wildcard pattern where `*` is any run of characters (matches.md: "Patterns
    use asterisks * as wildcards"); every other character is literal. Matched as its pieces
    between the asterisks (a prefix, pieces in order, a suffix) where that is its regex's answer:
    always when case counts, on ASCII text and pattern when it does not (a few non-ASCII letters
    fold onto ASCII ones: the Kelvin sign onto k). Elsewhere, by the regex, with its timeout.
    The regex, on the source category of every message, was a twentieth of Sumo's evaluation."""

    __slots__ = ("compiled", "pieces", "ignore_case")

    def __init__(self, pattern: str, ignore_case: bool):
        body = ".*".join(re.escape(piece) for piece in pattern.split("*"))
        body = re.sub(r"(?:\.\*){2,}", ".*", body)
        self.compiled = regex.compile(body, regex.DOTALL | (regex.IGNORECASE if ignore_case else 0))
        self.ignore_case = ignore_case
        self.pieces = (pattern.lower() if ignore_case else pattern).split("*") \
            if pattern.isascii() or not ignore_case else None

    def fullmatch(self, text: str, node: Any) -> bool:
        if self.pieces is not None and type(text) is str and (not self.ignore_case or text.isascii()):
            return _pieces_match(self.pieces, text.lower() if self.ignore_case else text)
        return wildcard_fullmatch(self.compiled, text, node)


def _pieces_match(pieces: list[str], text: str) -> bool:
    """Whether `text` is pieces[0], then any run, pieces[1], ..., any run, pieces[-1]: each middle
    piece where it first occurs after the one before it (a later occurrence leaves less room)."""
    first, last = pieces[0], pieces[-1]
    if len(pieces) == 1:
        return text == first
    end = len(text) - len(last)
    if end < len(first) or not text.startswith(first) or not text.endswith(last):
        return False
    position = len(first)
    for piece in pieces[1:-1]:
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def wildcard(pattern: str, *, ignore_case: bool = False) -> Wildcard:
    """A whole-value wildcard pattern (`Wildcard`)."""
    return Wildcard(pattern, ignore_case)


def wildcard_fullmatch(compiled: Wildcard | regex.Pattern, text: str, node: Any) -> bool:
    """Whether a wildcard (or a compiled literal: a quoted scope value) matches the whole text."""
    if type(compiled) is Wildcard:
        return compiled.fullmatch(text, node)
    try:
        found = untimed(compiled, "fullmatch", text)
        if found is SLOW:
            found = compiled.fullmatch(text, timeout=REGEX_TIMEOUT_S)
        return found is not None
    except TimeoutError:
        raise NotEvaluated.at(node, "a wildcard pattern that backtracks without end") from None


# --- comparisons ---------------------------------------------------------------------------

_EQUALITY = frozenset(("=", "==", "!=", "<>"))


def compare(op: str, left: Any, right: Any, node: Any) -> bool:
    """`=` `!=` `<` `>` `<=` `>=` on two non-null values. "String comparisons are case sensitive"
    (field-expressions.md); text that holds a number compares with a number as that number
    (where.md: `where time > 5` after a parse). Ordering two texts that are not both numbers
    (alphabetical or not) is not documented."""
    if type(left) is str and type(right) is str and op in _EQUALITY:
        # the common case, decided as below without reading the numbers the texts may hold
        # (reading them was a twentieth of Sumo's evaluation)
        return (left == right) == (op in ("=", "=="))
    left_number, right_number = as_number(left), as_number(right)
    both_text = isinstance(left, str) and isinstance(right, str)
    if isinstance(left, bool) or isinstance(right, bool):
        if isinstance(left, bool) and isinstance(right, bool) and op in ("=", "==", "!=", "<>"):
            return (left == right) == (op in ("=", "=="))
        raise NotEvaluated.at(node, "a comparison of a boolean with a non-boolean value")
    if op in ("=", "==", "!=", "<>"):
        if both_text:
            equal = left == right
        elif left_number is not None and right_number is not None:
            equal = left_number == right_number
        else:
            raise NotEvaluated.at(node, "an equality between a number and text that is not a number")
        return equal == (op in ("=", "=="))
    if left_number is None or right_number is None:
        raise NotEvaluated.at(node, f"the ordering {op!r} of text that is not a number")
    return {"<": left_number < right_number, ">": left_number > right_number,
            "<=": left_number <= right_number, ">=": left_number >= right_number}[op]


def truth(value: Any, node: Any) -> bool | None:
    """A value used as a condition: a boolean, or the text "true" / "false" of a boolean field
    (`| where valid`, where.md); null is unknown."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise NotEvaluated.at(node, "a condition that is not a boolean")


def decide(condition: Callable, row: dict, node: Any) -> bool:
    """Whether a row passes a filter, the same under every null reading (see the module
    docstring), or NotEvaluated."""
    verdict = condition(row, KLEENE)
    if verdict is not None:
        return verdict
    if any(condition(row, reading) for reading in READINGS):
        raise NotEvaluated.at(node, "a comparison with a null field whose result decides the verdict "
                                    "(Sumo Logic does not document how null compares)")
    return False
