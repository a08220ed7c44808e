"""EQL values at evaluation time: field access, literals, three-valued logic, string matching.

Elasticsearch EQL (the EQL search API of Elasticsearch 8.x; Elastic Security's EQL rules run on
it) is the reference, not the `eql` Python package, not Sigma. Sources, read 2026-12-07:

- Syntax: https://www.elastic.co/guide/en/elasticsearch/reference/current/eql-syntax.html
- Functions: https://www.elastic.co/guide/en/elasticsearch/reference/current/eql-function-ref.html
- Pipes: https://www.elastic.co/guide/en/elasticsearch/reference/current/eql-pipe-ref.html
- Multi-valued fields: elastic/elasticsearch#76610 ("EQL: multi-value fields support").

A value is a Python scalar (str, int, float, bool), None (null: a missing field, a `null`
literal, a function's null result) or, for a field, a tuple of its values (an ECS field may hold
several: `event.category: ["process", "network"]`; an empty tuple is a missing field).
A condition is True, False, None (null: it compared a null) or an `Undecided` (the verdict would
depend on something Elasticsearch does not document, or on the index mapping, which `evaluate`
does not consult). `and` / `or` decide around an Undecided when the other side settles the
result; an Undecided that reaches the top becomes NotEvaluated, named with its position.
"""
from __future__ import annotations

import math
import re
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import regex

from tooling.languages.evaluation import MISSING, NotEvaluated, fullmatch, node_position, values_reader, wildcard_regex
from tooling.languages.eql.lint import string_value

__all__ = ["MISSING", "Undecided", "NullTrue", "as_tuple", "literal_value", "field_getter", "wildcard_matcher",
           "wildcard_matchers", "regex_matchers", "text_lookup", "lucene_regex", "text_of", "equal", "decide"]


class Undecided:
    """A condition Elasticsearch's documentation does not decide (see the module doc)."""

    __slots__ = ("line", "column", "construct")

    def __init__(self, node: Any, construct: str):
        self.line, self.column = node_position(node)
        self.construct = construct

    def error(self) -> NotEvaluated:
        return NotEvaluated(self.construct, self.line, self.column)


class NullTrue(Undecided):
    """A condition true under two-valued logic (a must_not query matches a document without the
    field) and null under three-valued logic (`not null` is null): `not field : "x"` or
    `field != "x"` on an event without the field. Elasticsearch does not document which it is;
    `and` / `or` combine it exactly (it is not true under the three-valued reading, so e.g.
    `false or NullTrue` stays NullTrue and `null and NullTrue` is null under both)."""

    __slots__ = ()


def decide(result: Any) -> bool:
    """The verdict of a top-level condition: only True returns the event (a null is no match,
    as a filter query returns no document for it)."""
    if isinstance(result, Undecided):
        raise result.error()
    return result is True


def as_tuple(value: Any) -> tuple:
    if type(value) is tuple:
        return value
    return () if value is None else (value,)


# --- literals ---------------------------------------------------------------------------------

def literal_value(token) -> Any:
    kind = token.type
    if kind in ("STRING", "RAW_STRING"):
        return string_value(token)
    if kind == "INT":
        return int(token)
    if kind == "DECIMAL":
        return float(token)
    if kind == "TRUE":
        return True
    if kind == "FALSE":
        return False
    if kind == "NULL":
        return None
    raise NotEvaluated.at(token, f"the literal {str(token)[:40]!r}")


# --- fields -----------------------------------------------------------------------------------

_SEGMENT = re.compile(r"\s*(?:`((?:[^`]|``)+)`|([A-Za-z_@][A-Za-z0-9_]*))\s*((?:\[\s*[0-9]+\s*\])*)\s*")


def parse_field(token) -> tuple[bool, list[tuple[str, list[int]]]]:
    """`?a.b[0].`c d`` -> (optional, [(name, [indexes])...])."""
    text = str(token)
    optional = text.startswith("?")
    text = text[1:] if optional else text
    parts: list[tuple[str, list[int]]] = []
    position = 0
    while True:
        match = _SEGMENT.match(text, position)
        if match is None:
            raise NotEvaluated.at(token, f"the field path {str(token)[:60]!r}")
        name = match.group(1).replace("``", "`") if match.group(1) is not None else match.group(2)
        indexes = [int(i) for i in re.findall(r"[0-9]+", match.group(3))]
        parts.append((name, indexes))
        position = match.end()
        if position >= len(text):
            break
        if text[position] != ".":
            raise NotEvaluated.at(token, f"the field path {str(token)[:60]!r}")
        position += 1
    return optional, parts


class Reads:
    """The values of the fields read from the event being evaluated, by path: a condition often
    reads one field many times (`process.args` in every branch). Only while an evaluation runs
    (`evaluating`), for one event at a time (by identity), and emptied when the run starts and
    ends, so a caller's later change to an event is never hidden. (Evaluations run one at a time,
    as explanation.py's probe assumes too.)"""

    __slots__ = ("active", "event", "values")

    def __init__(self):
        self.active = False
        self.event: Any = None
        self.values: dict = {}


READS = Reads()


@contextmanager
def evaluating() -> Iterator[None]:
    """Field values are kept per event while it is open (see `Reads`)."""
    READS.active, READS.event, READS.values = True, None, {}
    try:
        yield
    finally:
        READS.active, READS.event, READS.values = False, None, {}


def field_getter(token):
    """event -> the field's values as a tuple (`()` when missing: null). An ECS document may hold
    a field nested or as a dotted key; arrays of values and of objects are flattened, as
    Elasticsearch indexes them (a field of an array of objects holds every object's value)."""
    _optional, parts = parse_field(token)
    if all(not indexes and "." not in name for name, indexes in parts):
        path = ".".join(name for name, _ in parts)
        read = values_reader(path)

        def values_of(event):
            found = read(event)
            for v in found:
                if v is None or isinstance(v, (list, dict)):
                    break
            else:  # most fields: scalars only, nothing to flatten or drop
                return tuple(found)
            if any(isinstance(v, list) for v in found):
                found = _flatten(found, 0)
            return tuple(v for v in found if v is not None and not isinstance(v, dict))

        def get(event):
            reads = READS
            if reads.event is not event:
                if not reads.active:
                    return values_of(event)
                reads.event, reads.values = event, {}
            found = reads.values.get(path)
            if found is None:
                found = reads.values[path] = values_of(event)
            return found

        return get

    def get_indexed(event):
        # `process.args[0]`: the array element (the order the document gives). An object-valued
        # element or a path through an indexed object is walked the same way.
        nodes: list = [event]
        for name, indexes in parts:
            following: list = []
            for node in nodes:
                if isinstance(node, dict) and name in node:
                    value = node[name]
                    for index in indexes:
                        value = value[index] if isinstance(value, list) and index < len(value) else MISSING
                    if value is not MISSING:
                        following.extend(value if isinstance(value, list) and not indexes else [value])
            nodes = following
        return tuple(v for v in _flatten(nodes, 0) if v is not None and not isinstance(v, dict))

    return get_indexed


def _flatten(values: list, depth: int) -> list:
    """Arrays inside arrays are one array of values to Elasticsearch; bounded in depth."""
    if depth > 64:
        raise NotEvaluated("a value nested more than 64 levels deep")
    flat: list = []
    for item in values:
        if isinstance(item, list):
            flat.extend(_flatten(item, depth + 1))
        else:
            flat.append(item)
    return flat


# --- text matching ----------------------------------------------------------------------------

def text_of(value: Any, node: Any, construct: str) -> str | Undecided:
    """A string operand of a string operator. A number or boolean in the document may be a
    keyword field holding that text or a numeric field the operator refuses: that depends on
    the mapping, which the evaluator does not consult, so it is not decided."""
    if type(value) is str:
        return value
    return Undecided(node, f"{construct} on the non-string value {value!r} (the result depends on the field's mapping)")


def _needs_regex(pattern: str, insensitive: bool) -> bool:
    return "?" in pattern or "*" in pattern.strip("*") or (insensitive and not pattern.isascii())


def wildcard_matcher(pattern: str, insensitive: bool):
    """text -> bool for an EQL wildcard pattern: `*` any run of characters, `?` exactly one
    (Elasticsearch's WildcardPattern), no escape character: a backslash is literal, which is
    how Elastic's own rules write Windows paths (`"C:\\\\Windows\\\\*"`). Case-insensitive
    matching folds case per character, as Lucene's case_insensitive queries do."""
    stripped = pattern.strip("*")
    if _needs_regex(pattern, insensitive):
        compiled = wildcard_regex(pattern, star="*", one="?", ignore_case=insensitive)
        return lambda text: fullmatch(compiled, text)
    if not pattern:
        return lambda text: text == ""  # the empty pattern: only the empty string
    if not stripped:
        return lambda text: True  # "*" (or "**"): any string
    lead, trail = pattern.startswith("*"), pattern.endswith("*")
    needle = stripped.lower() if insensitive else stripped
    if lead and trail:
        test = str.__contains__
    elif lead:
        test = str.endswith
    elif trail:
        test = str.startswith
    else:
        test = str.__eq__
    if not insensitive:
        return lambda text: test(text, needle)
    # Folding non-ASCII text with str.lower() can change its length: such text takes the regex,
    # compiled when first needed (most queries never meet such text; compiling is most of the cost).
    slow: list = []

    def fold(text: str) -> bool:
        if text.isascii():
            return test(text.lower(), needle)
        if not slow:
            slow.append(wildcard_regex(pattern, star="*", one="?", ignore_case=True))
        return fullmatch(slow[0], text)
    return fold


def wildcard_matchers(patterns: list[str], insensitive: bool) -> Callable[[str], bool]:
    """text -> whether any of the patterns matches it, as their `wildcard_matcher`s in turn
    would say. When none needs a regex (a `:` or like list is mostly names, paths and `*x*`),
    they are tested together: a set for the exact ones, one startswith / endswith for the
    prefixes / suffixes. Text that case folding could change in length takes them in turn."""
    matchers = [wildcard_matcher(pattern, insensitive) for pattern in patterns]

    def in_turn(text: str) -> bool:
        for matcher in matchers:
            if matcher(text):
                return True
        return False

    if any(_needs_regex(pattern, insensitive) for pattern in patterns):
        return in_turn
    exact, prefixes, suffixes, inner = set(), [], [], []
    anything = False
    for pattern in patterns:
        stripped = pattern.strip("*")
        needle = stripped.lower() if insensitive else stripped
        lead, trail = pattern.startswith("*"), pattern.endswith("*")
        if pattern and not stripped:
            anything = True  # "*": any string
        elif lead and trail:
            inner.append(needle)
        elif lead:
            suffixes.append(needle)
        elif trail:
            prefixes.append(needle)
        else:
            exact.add(needle)  # the empty pattern too: only the empty string
    starts, ends = tuple(prefixes), tuple(suffixes)

    def together(text: str) -> bool:
        if insensitive:
            if not text.isascii():
                return in_turn(text)  # where a matcher may take its regex
            text = text.lower()
        if anything or text in exact:
            return True
        if (starts and text.startswith(starts)) or (ends and text.endswith(ends)):
            return True
        for needle in inner:
            if needle in text:
                return True
        return False

    return together


def regex_matchers(patterns: list[regex.Pattern]) -> Callable[[str], bool]:
    """text -> whether any of the (Lucene, translated) regexes matches the whole text, in turn."""
    def matches(text: str) -> bool:
        for pattern in patterns:
            if fullmatch(pattern, text):
                return True
        return False
    return matches


def text_lookup(literals: list, insensitive: bool) -> Callable[[tuple], bool | None] | None:
    """For an `in` / `in~` list whose items are all ASCII text literals (`literals`: each item's
    text, None for any other item): a field's values -> whether one of them is in the list, as
    `equal` would find one equal (exactly, or with ASCII case folding), by a set rather than a
    comparison per pair; None for values `equal` compares otherwise (not text, or non-ASCII text
    under in~). None when the list is not such a list."""
    if not all(type(text) is str and text.isascii() for text in literals):
        return None
    known = frozenset(text.lower() for text in literals) if insensitive else frozenset(literals)

    def lookup(values: tuple) -> bool | None:
        for value in values:
            if type(value) is not str or (insensitive and not value.isascii()):
                return None
        for value in values:
            if (value.lower() if insensitive else value) in known:
                return True
        return False
    return lookup


# Lucene regular expressions (https://www.elastic.co/guide/en/elasticsearch/reference/current/
# regexp-syntax.html): always anchored to the whole value; `.` `?` `+` `*` `{n,m}` `|` `( )`
# `[ ]` and `"quoted"` text; `\` escapes; `^` and `$` are ordinary characters. The optional
# operators (`#`, `@`, `&`, `~`, `<n-m>`) depend on the query's flags: not evaluated.
_OPTIONAL_OPERATORS = "#@&~<>"
_SHORTHANDS = {"d": "[0-9]", "D": "[^0-9]", "s": r"[ \t\n\r\f\v]", "S": r"[^ \t\n\r\f\v]",
               "w": "[A-Za-z0-9_]", "W": "[^A-Za-z0-9_]"}


def lucene_regex(pattern: str, insensitive: bool, node: Any) -> regex.Pattern:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            if i + 1 >= n:
                raise NotEvaluated.at(node, "a regular expression ending with a lone backslash")
            nxt = pattern[i + 1]
            out.append(_SHORTHANDS.get(nxt) or re.escape(nxt))
            i += 2
        elif char == '"':
            end = pattern.find('"', i + 1)
            if end < 0:
                raise NotEvaluated.at(node, "a regular expression with an unclosed quoted string")
            out.append(re.escape(pattern[i + 1:end]))
            i = end + 1
        elif char == "[":
            end, body = _char_class(pattern, i, node)
            out.append(body)
            i = end
        elif char in _OPTIONAL_OPERATORS:
            raise NotEvaluated.at(node, f"the Lucene optional regular-expression operator {char!r} "
                                  "(its meaning depends on the query's flags)")
        elif char in ".?+*|(){}":
            if char == "(" and pattern.startswith("(?", i):
                raise NotEvaluated.at(node, "a '(?...)' group, which Lucene regular expressions do not have")
            out.append(char)
            i += 1
        else:
            out.append(re.escape(char))
            i += 1
    try:
        return regex.compile("".join(out), regex.DOTALL | (regex.IGNORECASE if insensitive else 0))
    except regex.error as exc:
        raise NotEvaluated.at(node, f"a regular expression Lucene would refuse or read differently ({exc})") from None


def _char_class(pattern: str, start: int, node: Any) -> tuple[int, str]:
    i = start + 1
    parts = ["["]
    if i < len(pattern) and pattern[i] == "^":
        parts.append("^")
        i += 1
    first = True
    while i < len(pattern):
        char = pattern[i]
        if char == "]" and not first:
            parts.append("]")
            return i + 1, "".join(parts)
        if char == "\\" and i + 1 < len(pattern):
            parts.append(re.escape(pattern[i + 1]))
            i += 2
        elif char == "-" and not first and i + 1 < len(pattern) and pattern[i + 1] != "]":
            parts.append("-")
            i += 1
        else:
            parts.append(re.escape(char))
            i += 1
        first = False
    raise NotEvaluated.at(node, "a regular expression with an unclosed character class")


# --- equality ---------------------------------------------------------------------------------

def _number(value: Any) -> bool:
    return type(value) in (int, float)


def equal(left: Any, right: Any, insensitive: bool, node: Any) -> bool | Undecided:
    """`==` (case-sensitive, documented) or `:` without wildcards / `in~` (case-insensitive)
    between two scalar values."""
    kind_left, kind_right = type(left), type(right)
    if kind_left is str and kind_right is str:
        if insensitive:
            return left == right or left.lower() == right.lower() if left.isascii() and right.isascii() \
                else bool(regex.fullmatch(regex.escape(right), left, regex.IGNORECASE))
        return left == right
    if _number(left) and _number(right):
        if isinstance(left, float) and math.isnan(left):
            return False
        return left == right
    if kind_left is bool and kind_right is bool:
        return left == right
    if (kind_left is str and _number(right)) or (_number(left) and kind_right is str):
        text, number = (left, right) if kind_left is str else (right, left)
        try:
            parsed = float(text)
        except ValueError:
            return False
        if parsed != number:
            return False
        if text == str(number):
            return True
        # "015" vs 15: a keyword field compares text (no match), a numeric field numbers (match).
        return Undecided(node, f"comparing the text {text!r} with the number {number!r} "
                         "(the result depends on the field's mapping)")
    return Undecided(node, f"comparing {left!r} with {right!r} (values of different types)")
