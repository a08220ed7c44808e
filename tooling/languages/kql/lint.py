"""KQL lint rules (DAC410-DAC417). Each rule is `(tree, text) -> Iterable[Diagnostic]`, runs only
on queries that parsed, and never raises (`safe` turns an unexpected tree shape into silence).

The codes and their documentation are in tooling/diagnostics/lint/kql.py.
"""
from __future__ import annotations

import datetime as _dt
import re
import warnings
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Callable, Iterable

from lark import Token, Tree

from tooling.diagnostics import Diagnostic
from tooling.languages.kql.tree import (call_args, first_token, let_bindings, name_of, nodes,
                                        resolve_string, start_token, string_value)
from tooling.languages.re_syntax import check_syntax

LIST_OPERATORS = frozenset({"in", "!in", "in~", "!in~", "has_any", "has_all"})
CONTAINS = frozenset({"contains", "!contains", "contains_cs", "!contains_cs", "notcontains",
                      "containscs", "notcontainscs"})


def safe(rule: Callable) -> Callable:
    """A rule that yields nothing instead of raising on a tree shape it did not expect."""
    def wrapped(tree, text) -> Iterable[Diagnostic]:
        try:
            return list(rule(tree, text)) if tree is not None else []
        except Exception:  # noqa: BLE001 - a lint rule must never break validation
            return []
    wrapped.__name__ = rule.__name__
    wrapped.__doc__ = rule.__doc__
    wrapped.unsafe = rule
    return wrapped


def _at(code: str, token, message: str) -> Diagnostic:
    return Diagnostic(code, message, token.line, token.column)


def _operator(node: Tree) -> Token:
    """The operator token of a compare / in_list / between node (child 1 is cmp_op etc.)."""
    return node.children[1].children[0]


# --- DAC410: a list operator given one string that is really a list --------------------------

_LIST_ITEM = re.compile(r"[\w.\-\\/:@$]+")


def list_given_one_string(tree, text):
    """`in`/`has_any`/... given one string such as "a,b,c" instead of a list of strings."""
    lets = let_bindings(tree)
    for node in nodes(tree, "in_list"):
        if str(_operator(node)) not in LIST_OPERATORS:
            continue
        values = node.children[2:]
        if len(values) != 1:
            continue
        found = resolve_string(values[0], lets)
        if found is None:
            continue
        value, token = found
        parts = [p.strip() for p in value.split(",")]
        if len(parts) >= 2 and all(_LIST_ITEM.fullmatch(p) for p in parts):
            where = first_token(values[0])
            yield _at("DAC410", where,
                      f"'{_operator(node)}' is given one string, {value!r}, not a list: it matches the whole "
                      f"text '{value}', not any of its {len(parts)} comma-separated items")


# --- DAC411: contains with a whitespace-padded term -------------------------------------------

def contains_padded_term(tree, text):
    """`contains " stop "`: the spaces say "whole term", which `has` does faster and better."""
    lets = let_bindings(tree)
    for node in nodes(tree, "compare"):
        if str(_operator(node)) not in CONTAINS:
            continue
        found = resolve_string(node.children[2], lets)
        if found is None:
            continue
        value = found[0]
        if len(value) > 2 and value[0].isspace() and value[-1].isspace() and value.strip():
            op = _operator(node)
            suggestion = "has" if not str(op).startswith(("!", "not")) else "!has"
            yield _at("DAC411", op,
                      f'{op} "{value}" pads a term with spaces to match it whole: '
                      f'{suggestion} "{value.strip()}" is faster and also matches at the start or end')


# --- DAC412: a let that nothing uses ----------------------------------------------------------

def unused_let(tree, text):
    """A `let` whose name is not used by any later statement."""
    lets = nodes(tree, "let_stmt")
    if not lets:
        return
    last_use: dict[str, int] = {}  # name -> start of its last reference
    patterns: list[tuple[int, str]] = []  # wildcard names (union Proc*) may use a let too
    for token in tree.scan_values(lambda v: isinstance(v, Token) and v.type in ("NAME", "WILDCARD")):
        if token.type == "WILDCARD":
            patterns.append((token.start_pos, str(token)))
        elif last_use.get(token, -1) < token.start_pos:
            last_use[str(token)] = token.start_pos
    for node in nodes(tree, "bracket_name"):
        name = name_of(node)
        if name is not None and last_use.get(name, -1) < node.meta.start_pos:
            last_use[name] = node.meta.start_pos
    for node in lets:
        if (isinstance(node.children[1], Tree) and node.children[1].data == "view_def"):
            continue
        name = name_of(node.children[0])
        if name is None:
            continue
        end = node.meta.end_pos
        used = last_use.get(name, -1) >= end or any(start >= end and fnmatchcase(name, pattern)
                                                    for start, pattern in patterns)
        if not used:
            yield _at("DAC412", start_token(node.children[0], text), f"let '{name}' is never used")


# --- DAC413 / DAC417: regular expressions -----------------------------------------------------

# Functions whose argument at this index is a regular expression (RE2).
REGEX_ARGUMENT = {"extract": 0, "extract_all": 0, "replace_regex": 1, "replace": 0,
                  "trim": 0, "trim_start": 0, "trim_end": 0}

# Python `re` errors that RE2 reports too (Python is stricter or looser elsewhere: lookbehind
# width, `(?<name>`, `\Q`, `\pL`, flags mid-pattern ... are not judged).
_BOTH_REJECT = {
    "missing ), unterminated subpattern": "a '(' is never closed",
    "unbalanced parenthesis": "a ')' has no matching '('",
    "unterminated character set": "a '[' character class is never closed",
    "multiple repeat": "two repetition operators in a row",
    "bad escape (end of pattern)": "the pattern ends with a lone backslash",
    "min repeat greater than max repeat": "a {min,max} repetition has min greater than max",
    "unexpected end of pattern": "the pattern ends inside a group",
}


@lru_cache(maxsize=1024)  # as re.compile's own cache did: a pattern met again is not read again
def regex_problem(pattern: str) -> str | None:
    """Why `pattern` cannot compile in RE2 (and in Python's re), or None if it may well compile."""
    try:
        with warnings.catch_warnings():  # Python 3.10 warns of flags after the start; 3.11 rejects them
            warnings.simplefilter("ignore")
            check_syntax(pattern)  # every message below comes from reading the pattern
    except re.error as exc:
        msg = exc.msg
        if msg == "multiple repeat" and pattern[exc.pos:exc.pos + 1] == "+":
            return None  # a possessive quantifier (`a++`): Python 3.11 and later accept it, as 3.10 does not
        if msg in _BOTH_REJECT:
            return _BOTH_REJECT[msg]
        if msg == "nothing to repeat" and (exc.pos == 0 or pattern[exc.pos - 1] in "(|"):
            return f"'{pattern[exc.pos]}' at offset {exc.pos} repeats nothing"
        match = re.fullmatch(r"bad character range (.)-(.)", msg)
        if match:
            return f"the character range '{match.group(1)}-{match.group(2)}' is reversed"
        return None
    except (OverflowError, RecursionError, ValueError):
        return None
    return None


def regex_sites(tree):
    """(pattern node, kind) for every regular expression in the query; kind names the use."""
    for node in nodes(tree, "matches_regex"):
        yield node.children[1], "matches regex", None
    for node in nodes(tree, "call"):
        if isinstance(node.children[0], Token):
            name = str(node.children[0])
            args = call_args(node)
            if name in REGEX_ARGUMENT and len(args) > REGEX_ARGUMENT[name]:
                yield args[REGEX_ARGUMENT[name]], f"{name}()", node
            elif name == "countof" and len(args) == 3 and string_value(args[2]) == "regex":
                yield args[1], "countof()", node


def invalid_regex(tree, text):
    """A regular expression (matches regex, extract(), parse kind=regex ...) that cannot compile."""
    lets = let_bindings(tree)
    seen = set()
    for pattern, kind, _call in regex_sites(tree):
        found = resolve_string(pattern, lets)
        if found is None:
            continue
        value, token = found
        problem = regex_problem(value)
        if problem and (token.line, token.column) not in seen:
            seen.add((token.line, token.column))
            yield _at("DAC413", token, f"regular expression for {kind} does not compile: {problem}")
    for node in nodes(tree, "parse_op"):
        kinds = [c for c in node.children if isinstance(c, Tree) and c.data == "kind_opt"]
        if not any(str(k.children[0]) == "regex" for k in kinds):
            continue
        items = node.children[node.children.index(kinds[0]) + 1:]
        pieces, first = [], None
        for item in items[1:]:  # items[0] is the source expression (flags_opt may come first)
            if isinstance(item, Tree) and item.data == "flags_opt":
                continue
            value = string_value(item)
            if value is not None:
                pieces.append(value)
                first = first or item.children[0]
            elif isinstance(item, Tree) and item.data == "parse_column":
                pieces.append("(.*?)")
            elif isinstance(item, Token) and item.type == "STAR":
                pieces.append(".*?")
        problem = regex_problem("".join(pieces)) if first is not None else None
        if problem:
            yield _at("DAC413", first, f"regular expression of parse kind=regex does not compile: {problem}")


def extract_group_out_of_range(tree, text):
    """extract(regex, N, ...) asking for a capture group the regex does not have."""
    lets = let_bindings(tree)
    for pattern, kind, call in regex_sites(tree):
        if call is None or str(call.children[0]) not in ("extract", "extract_all"):
            continue
        args = call_args(call)
        found = resolve_string(pattern, lets)
        if found is None or regex_problem(found[0]) or len(args) < 2:
            continue
        try:
            groups = re.compile(found[0]).groups
        except (re.error, OverflowError, RecursionError, ValueError):
            continue
        wanted = []
        if isinstance(args[1], Token) and args[1].type == "NUMBER" and args[1].isdigit():
            wanted = [args[1]]
        elif isinstance(args[1], Tree) and args[1].data == "dynamic":
            wanted = [t for t in args[1].scan_values(lambda v: isinstance(v, Token) and v.type == "NUMBER")
                      if str(t).isdigit()]
        for token in wanted:
            if int(token) > groups:
                has = "no capture groups" if groups == 0 else f"only {groups} capture group{'s' * (groups > 1)}"
                yield _at("DAC417", token, f"{kind} asks for capture group {int(token)} but the regular "
                                           f"expression has {has}: the result is always empty")


# --- DAC415: '*' used as a wildcard in a string comparison -----------------------------------

_EDGE_WILDCARD_OPERATORS = frozenset({
    "==", "!=", "=~", "!~", "<>", "startswith", "!startswith", "startswith_cs", "!startswith_cs",
    "endswith", "!endswith", "endswith_cs", "!endswith_cs", "hasprefix", "!hasprefix", "hasprefix_cs",
    "!hasprefix_cs", "hassuffix", "!hassuffix", "hassuffix_cs", "!hassuffix_cs",
    "has", "!has", "has_cs", "!has_cs", "in", "!in", "in~", "!in~", "has_any", "has_all"})


def _wildcard_edge(value: str, both: bool) -> bool:
    core = value.strip("*")
    if not core or core == value:
        return False
    lead = value.startswith("*") and value[1:2] not in ("\\", "/")
    trail = value.endswith("*") and value[-2:-1] not in ("\\", "/")
    return lead and trail if both else lead or trail


def wildcard_in_literal(tree, text):
    """"*.exe" compared with ==, has, endswith ...: KQL string operators have no wildcards."""
    for node in nodes(tree, "compare") + nodes(tree, "in_list"):
        values = node.children[2:]
        op = str(_operator(node))
        if op not in _EDGE_WILDCARD_OPERATORS and op not in CONTAINS:
            continue
        for value_node in values:
            value = string_value(value_node)
            if value is not None and _wildcard_edge(value, both=op in CONTAINS):
                yield _at("DAC415", value_node.children[0],
                          f"'*' is not a wildcard in KQL: {op} {value!r} only matches text with a literal '*'")


# --- DAC416: between with its bounds reversed -------------------------------------------------

_UNITS = {"d": 86400, "day": 86400, "days": 86400, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600,
          "hours": 3600, "m": 60, "min": 60, "minute": 60, "minutes": 60, "s": 1, "sec": 1, "second": 1,
          "seconds": 1, "ms": 1e-3, "milli": 1e-3, "millis": 1e-3, "millisecond": 1e-3,
          "milliseconds": 1e-3, "microsecond": 1e-6, "microseconds": 1e-6, "micro": 1e-6, "micros": 1e-6,
          "tick": 1e-7, "ticks": 1e-7, "nanosecond": 1e-9, "nanoseconds": 1e-9, "nano": 1e-9, "nanos": 1e-9}


def _seconds(token) -> float | None:
    if isinstance(token, Token) and token.type == "TIMESPAN":
        match = re.fullmatch(r"(\d+(?:\.\d+)?)([a-z]+)", str(token))
        if match and match.group(2) in _UNITS:
            return float(match.group(1)) * _UNITS[match.group(2)]
    if isinstance(token, Tree) and token.data == "neg":
        inner = _seconds(token.children[0])
        return None if inner is None else -inner
    return None


def _bound(node) -> tuple[str, float] | None:
    """(kind, value) of a between bound that can be compared without running the query."""
    if isinstance(node, Token) and node.type == "NUMBER":
        try:
            return "number", float(int(str(node), 16) if str(node).lower().startswith("0x") else float(str(node)))
        except ValueError:
            return None
    if isinstance(node, Tree) and node.data == "neg" and isinstance(node.children[0], Token) \
            and node.children[0].type == "NUMBER":
        inner = _bound(node.children[0])
        return None if inner is None else ("number", -inner[1])
    if isinstance(node, Token) and node.type == "TIMESPAN":
        return "timespan", _seconds(node)
    if isinstance(node, Token) and node.type == "TYPED_LITERAL":
        match = re.fullmatch(r"datetime\s*\(\s*(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2})?))?\s*\)", str(node))
        if match:
            try:
                moment = _dt.datetime.fromisoformat(match.group(1) + ("T" + match.group(2) if match.group(2) else ""))
            except ValueError:
                return None
            return "datetime", moment.timestamp()
    if isinstance(node, Tree) and node.data == "call" and str(node.children[0]) in ("ago", "now"):
        args = call_args(node)
        offset = _seconds(args[0]) if len(args) == 1 else 0.0 if not args else None
        if offset is None:
            return None
        return "relative", -offset if str(node.children[0]) == "ago" else offset
    return None


def empty_between(tree, text):
    """between (a .. b) with a after b: the range is empty and nothing ever matches."""
    for node in nodes(tree, "between"):
        low, high = _bound(node.children[2]), _bound(node.children[3])
        if low and high and low[0] == high[0] and low[1] is not None and high[1] is not None and low[1] > high[1]:
            op = _operator(node)
            yield _at("DAC416", first_token(node.children[2]),
                      f"'{op}' range starts after it ends, so it is empty: "
                      f"{'nothing ever matches' if op == 'between' else 'every row matches'}")


RULES_BY_CODE = {
    "DAC410": list_given_one_string,
    "DAC411": contains_padded_term,
    "DAC412": unused_let,
    "DAC413": invalid_regex,
    "DAC415": wildcard_in_literal,
    "DAC416": empty_between,
    "DAC417": extract_group_out_of_range,
}
