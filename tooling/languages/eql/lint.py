"""EQL lint rules (DAC430-DAC438): mistakes that parse but make a detection miss or fail.

Each rule is `(tree, text) -> Iterable[Diagnostic]` and runs only on queries that parsed. The
rules share one walk of the tree (`_index`, cached for the last tree) so that linting costs a
fraction of parsing. A rule must never raise: each is wrapped by `_safe`, which drops a rule's
findings rather than crash on a tree shape it did not expect.

The codes and their documentation are in tooling/diagnostics/lint/eql.py.
"""
from __future__ import annotations

import difflib
import re
from collections import defaultdict
from typing import Any, Callable, Iterable, Iterator

from lark import Token, Tree

from tooling.diagnostics import Diagnostic

# ECS `event.category` values (ECS 8.x reference, "ECS categorization field: event.category").
ECS_CATEGORIES = frozenset((
    "api", "authentication", "configuration", "database", "driver", "email", "file", "host", "iam",
    "intrusion_detection", "library", "malware", "network", "package", "process", "registry",
    "session", "threat", "vulnerability", "web",
))
# ECS `event.type` values: rules that set the event category field to `event.type` (Elastic's
# `event_category_override`) write `info where ...`, `start where ...`.
ECS_EVENT_TYPES = frozenset((
    "access", "admin", "allowed", "change", "connection", "creation", "deletion", "denied", "device",
    "end", "error", "group", "indicator", "info", "installation", "protocol", "start", "user",
))

_STRINGS = ("STRING", "RAW_STRING")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "'": "'", "\\": "\\"}
_ESCAPE = re.compile(r"\\(u\{[0-9A-Fa-f]+\}|.)")

# The node kinds the rules look at. The parser collects them while it builds the tree
# (`remember`), so linting does not walk the tree again.
INDEXED = frozenset(("category", "comparison", "match", "in_", "not_in", "and_", "sequence", "sample", "pipe"))

_last: tuple[Any, dict[str, list]] = (None, {})


def remember(tree, nodes: list) -> None:
    """Record the INDEXED nodes the parser built for `tree` (in any order)."""
    global _last
    index: dict[str, list] = defaultdict(list)
    for node in nodes:
        index[node.data].append(node)
    _last = (tree, index)


def _index(tree) -> dict[str, list]:
    """Nodes by rule name; from `remember`, else one walk of the tree shared by every rule."""
    global _last
    last = _last
    if last[0] is tree:
        return last[1]
    nodes: dict[str, list] = defaultdict(list)
    stack = [tree]
    while stack:
        node = stack.pop()
        nodes[node.data].append(node)
        stack.extend(reversed([c for c in node.children if isinstance(c, Tree)]))
    _last = (tree, nodes)
    return nodes


def _token(node, types=None):
    """`node` when it is a token (of one of `types`), else None."""
    if isinstance(node, Token) and (types is None or node.type in types):
        return node
    return None


def string_value(token) -> str:
    """The text a STRING or RAW_STRING token stands for (EQL escapes decoded)."""
    if token.type == "RAW_STRING":
        return str(token)[3:-3]

    def decode(match: re.Match) -> str:
        escape = match.group(1)
        if escape.startswith("u{"):
            return chr(int(escape[2:-1], 16))
        return _ESCAPES.get(escape, escape)

    return _ESCAPE.sub(decode, str(token)[1:-1])


def _at(code: str, message: str, where) -> Diagnostic:
    """A diagnostic at a token or at a node's start."""
    meta = where if _token(where) is not None else getattr(where, "meta", None)
    return Diagnostic(code, message, getattr(meta, "line", 1) or 1, getattr(meta, "column", 1) or 1)


def _field_name(node) -> str | None:
    """The path of a `field` node, normalised (`?` and spaces dropped), else None."""
    if getattr(node, "data", None) != "field" or not node.children:
        return None
    return re.sub(r"\s+", "", str(node.children[0])).lstrip("?")


def _values(node) -> list:
    """The value children of a `match` / `in_` / `not_in` node (its third child)."""
    if len(node.children) < 3:
        return []
    values = node.children[2]
    if getattr(values, "data", None) in ("literal_list", "value_list"):
        return list(values.children)
    return [values]


# --- DAC430 -----------------------------------------------------------------------------------

def unknown_category(tree, _text: str) -> Iterator[Diagnostic]:
    for node in _index(tree).get("category", ()):
        token = _token(node.children[0] if node.children else None, ("NAME",))
        if token is None or token in ECS_CATEGORIES or token in ECS_EVENT_TYPES:
            continue
        close = difflib.get_close_matches(str(token).lower(), sorted(ECS_CATEGORIES), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        yield _at("DAC430", f"EQL event category '{token}' is not an ECS event category{hint}; "
                  "events are matched on event.category, so this matches nothing", token)


# --- DAC431 -----------------------------------------------------------------------------------

def _wildcard(node) -> Token | None:
    """`node` when it is a string literal holding a '*'."""
    if type(node) is Token and node.type in _STRINGS and "*" in node and "*" in string_value(node):
        return node
    return None


def literal_wildcard(tree, _text: str) -> Iterator[Diagnostic]:
    nodes = _index(tree)
    for node in nodes.get("comparison", ()):
        if len(node.children) != 3 or node.children[1] not in ("==", "!="):
            continue
        operator = str(node.children[1])
        for side in (node.children[0], node.children[2]):
            token = _wildcard(side)
            if token is not None:
                outcome = "never matches" if operator == "==" else "is true for every event"
                yield _at("DAC431", f"'{operator}' compares literally: the '*' in {token} is not a wildcard, "
                          f"so this {outcome}; use ':' or 'like' for a pattern", token)
    for kind in ("in_", "not_in"):
        for node in nodes.get(kind, ()):
            for value in _values(node):
                token = _wildcard(value)
                if token is not None:
                    operator = "in" if kind == "in_" else "not in"
                    yield _at("DAC431", f"'{operator}' compares literally: the '*' in {token} is not a "
                              "wildcard; use ':' or 'like' with a list of patterns", token)


# --- DAC432 -----------------------------------------------------------------------------------

def sequence_without_maxspan(tree, _text: str) -> Iterator[Diagnostic]:
    for node in _index(tree).get("sequence", ()):
        parts = {getattr(child, "data", None) for child in node.children}
        if "maxspan" not in parts and "until" not in parts:
            yield _at("DAC432", "EQL sequence has no 'with maxspan=...' (nor 'until'): its stages may be "
                      "any time apart, so unrelated events join and partial sequences are kept in memory",
                      node)


# --- DAC433 / DAC434 --------------------------------------------------------------------------

def _regex_tokens(tree) -> Iterator:
    for node in _index(tree).get("match", ()):
        if len(node.children) >= 2 and str(node.children[1]).startswith("regex"):
            for value in _values(node):
                token = _token(value, _STRINGS)
                if token is not None:
                    yield token


def lucene_regex_error(pattern: str) -> str | None:
    """Why Lucene's regular expression parser rejects `pattern`, or None.

    Only errors under every Lucene flag set are reported: unbalanced parentheses, an unclosed
    character class or quoted string, a malformed `{n,m}` repetition, a trailing backslash.
    """
    depth, i, n = 0, 0, len(pattern)
    atom = False  # whether a repeat operator here follows something it can repeat
    while i < n:
        char = pattern[i]
        if char == "\\":
            if i + 1 >= n:
                return "it ends with a lone backslash"
            i, atom = i + 2, True
            continue
        if char == '"':
            end = pattern.find('"', i + 1)
            if end < 0:
                return "a quoted string (\") is not closed"
            i, atom = end + 1, True
            continue
        if char == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            j += 1  # a ']' right after '[' or '[^' is a literal
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            if j >= n:
                return "a character class '[' is not closed"
            i, atom = j + 1, True
            continue
        if char == "(":
            depth += 1
            i, atom = i + 1, False
            continue
        if char == ")":
            if depth == 0:
                return "a ')' has no matching '('"
            depth -= 1
            i, atom = i + 1, True
            continue
        if char == "{" and atom:
            match = re.match(r"\{[0-9]+(,[0-9]*)?\}", pattern[i:])
            if match is None:
                return "a '{' repetition is not of the form {n}, {n,} or {n,m}"
            i += match.end()
            continue
        atom = char != "|"
        i += 1
    if depth:
        return "a '(' is not closed"
    return None


def invalid_regex(tree, _text: str) -> Iterator[Diagnostic]:
    for token in _regex_tokens(tree):
        reason = lucene_regex_error(string_value(token))
        if reason:
            yield _at("DAC433", f"regular expression {token} does not compile: {reason}", token)


_NO_ANCHORS = "is a literal character, not an anchor (Lucene regexes always match the whole value)"
_PCRE = (
    (re.compile(r"^\^"), "'^' " + _NO_ANCHORS),
    (re.compile(r"(?<!\\)\$$"), "'$' " + _NO_ANCHORS),
    (re.compile(r"(?<!\\)\(\?"), "'(?...)' groups (flags, look-arounds, non-capturing) are not Lucene syntax"),
    (re.compile(r"^[*+]"), "a leading '*' or '+' repeats nothing: this is a wildcard pattern, use ':' for it"),
)


def pcre_regex(tree, _text: str) -> Iterator[Diagnostic]:
    for token in _regex_tokens(tree):
        pattern = string_value(token)
        if lucene_regex_error(pattern):
            continue  # DAC433 reports it
        for regex, reason in _PCRE:
            if regex.search(pattern):
                yield _at("DAC434", f"regular expression {token} uses syntax Lucene does not have: {reason}", token)
                break


# --- DAC435 -----------------------------------------------------------------------------------

def _one_string_list(node) -> Token | None:
    """The string of a parenthesised one-value list that reads like several values ("a, b")."""
    kind = node.data
    if len(node.children) != 3:
        return None
    values = node.children[2]
    if kind == "match" and (node.children[1].startswith("regex") or getattr(values, "data", None) != "literal_list"):
        return None  # a bare `: "a, b"` is one value on purpose; regexes have {n,m}
    listed = values.children if getattr(values, "data", None) in ("literal_list", "value_list") else ()
    if len(listed) != 1:
        return None
    token = _token(listed[0], _STRINGS)
    if token is None or "," not in token:
        return None
    parts = [part.strip() for part in string_value(token).split(",")]
    return token if len(parts) >= 2 and all(parts) else None


def list_in_one_string(tree, _text: str) -> Iterator[Diagnostic]:
    nodes = _index(tree)
    for kind in ("in_", "not_in", "match"):
        for node in nodes.get(kind, ()):
            token = _one_string_list(node)
            if token is not None:
                yield _at("DAC435", f"this list holds one string, {token}: the commas are part of the value, "
                          'so it matches only that exact text; quote each value: ("a", "b")', token)


# --- DAC436 -----------------------------------------------------------------------------------

def _conjuncts(node) -> Iterator:
    stack = [node]
    while stack:
        current = stack.pop()
        if getattr(current, "data", None) == "and_":
            stack.extend(reversed(current.children))
        else:
            yield current


def _implies_present(node) -> str | None:
    """The field that `node` (a condition) requires to have a value, if it is a positive test."""
    kind = getattr(node, "data", None)
    if kind not in ("comparison", "match", "in_") or len(node.children) != 3:
        return None
    if kind == "comparison" and str(node.children[1]) != "==":
        return None
    if any(_token(v, ("NULL",)) is not None for v in _values(node)):
        return None
    return _field_name(node.children[0])


def _not_null_field(node) -> str | None:
    if getattr(node, "data", None) != "comparison" or len(node.children) != 3 or node.children[1] != "!=":
        return None
    left, right = node.children[0], node.children[2]
    if _token(right, ("NULL",)) is not None:
        return _field_name(left)
    if _token(left, ("NULL",)) is not None:
        return _field_name(right)
    return None


def redundant_null_check(tree, _text: str) -> Iterator[Diagnostic]:
    nodes = _index(tree)
    if not any(_not_null_field(node) for node in nodes.get("comparison", ())):
        return
    inner = {id(child) for node in nodes.get("and_", ()) for child in node.children}
    for node in nodes.get("and_", ()):
        if id(node) in inner:
            continue  # only the top of each `and` chain
        conjuncts = list(_conjuncts(node))
        present = {_implies_present(c) for c in conjuncts} - {None}
        for condition in conjuncts:
            field = _not_null_field(condition)
            if field is not None and field in present:
                yield _at("DAC436", f"'{field} != null' is redundant: the same 'and' also compares {field} "
                          "with a value, which a missing field never matches", condition)


# --- DAC437 -----------------------------------------------------------------------------------

def _keys(node) -> int:
    return sum(len(c.children) for c in node.children if getattr(c, "data", None) == "join_keys")


def join_key_count(tree, _text: str) -> Iterator[Diagnostic]:
    nodes = _index(tree)
    for kind, stage_kinds in (("sequence", ("plain_stage", "repeated_stage", "until")), ("sample", ("sample_filter",))):
        for node in nodes.get(kind, ()):
            shared = _keys(node)
            stages = [c for c in node.children if getattr(c, "data", None) in stage_kinds]
            for stages_node in (c for c in node.children if getattr(c, "data", None) == "sequence_stages"):
                stages[0:0] = [s for s in stages_node.children if getattr(s, "data", None) in stage_kinds]
            if not stages:
                continue
            expected = shared + _keys(stages[0])
            for stage in stages[1:]:
                found = shared + _keys(stage)
                if found != expected:
                    yield _at("DAC437", f"this {kind} stage has {found} join key(s) but the first has "
                              f"{expected}: every stage needs the same number of 'by' keys", stage)


# --- DAC438 -----------------------------------------------------------------------------------

PIPES = ("head", "tail")  # the only pipes Elasticsearch runs (its parser knows, and refuses, others)


def unsupported_pipe(tree, _text: str) -> Iterator[Diagnostic]:
    for node in _index(tree).get("pipe", ()):
        if not node.children:
            continue
        name, arguments = node.children[0], node.children[1:]
        if name not in PIPES:
            yield _at("DAC438", f"Elasticsearch EQL runs only the head and tail pipes, not '{name}': "
                      "the search is rejected", name)
        elif len(arguments) != 1:
            yield _at("DAC438", f"'{name}' takes exactly one argument, the number of results; "
                      f"found {len(arguments)}", name)
        elif _token(arguments[0], ("INT",)) is None or int(arguments[0]) <= 0:
            yield _at("DAC438", f"'{name}' needs a positive whole number of results", arguments[0])


def _safe(rule: Callable[[Any, str], Iterable[Diagnostic]]) -> Callable[[Any, str], list[Diagnostic]]:
    def run(tree, text: str) -> list[Diagnostic]:
        try:
            return sorted(rule(tree, text), key=lambda d: (d.line, d.column))
        except Exception:  # noqa: BLE001 - a lint rule must never turn a valid query into a crash
            return []

    run.__name__ = rule.__name__
    run.__doc__ = rule.__doc__
    return run


RULES = tuple(_safe(rule) for rule in (
    unknown_category, literal_wildcard, sequence_without_maxspan, invalid_regex, pcre_regex,
    list_in_one_string, redundant_null_check, join_key_count, unsupported_pipe,
))
