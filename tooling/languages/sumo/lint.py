"""Lint rules of the Sumo Logic search language (DAC450-DAC457; DAC401 is the shared placeholder
rule). Each rule is `(tree, text) -> Iterable[Diagnostic]`, runs only on queries that parsed,
points at the offending token (1-based line/column within the query) and never raises: a
query of an unexpected shape yields no diagnostic rather than an exception.
"""
from __future__ import annotations

import functools
import re
from typing import Callable, Iterable, Iterator

from lark import Token, Tree

from tooling.diagnostics import Diagnostic
from tooling.languages.sumo.operators import OPERATORS
from tooling.languages.sumo.regex import named_groups, regex_error, string_regex_error
from tooling.languages.sumo.tree import field_name, first_token, index, tokens, unquote

Rule = Callable[[object, str], Iterable[Diagnostic]]


def _safe(rule: Rule) -> Rule:
    """Run a rule to completion or to its first internal error, never raising."""
    @functools.wraps(rule)
    def wrapper(tree, text):
        found: list[Diagnostic] = []
        try:
            for diagnostic in rule(tree, text):
                found.append(diagnostic)
        except Exception:  # noqa: BLE001 - a lint rule must not break validation
            pass
        return found
    return wrapper


def _at(code: str, message: str, node) -> Diagnostic:
    token = node if isinstance(node, Token) else first_token(node)
    line = getattr(token, "line", None) or 1
    column = getattr(token, "column", None) or 1
    return Diagnostic(code, message, line, column)


# --------------------------------------------------------------------------- DAC450 no scope

def _only_wildcards(value: str) -> bool:
    return value.strip('"').strip("*") == ""


def _narrows(node) -> bool:
    """Whether a scope expression restricts which messages are searched."""
    if isinstance(node, Token):
        if node.type == "SCOPE_WORD":
            return not _only_wildcards(str(node))
        return node.type not in ("AND", "OR", "NOT")
    if not isinstance(node, Tree):
        return True
    if node.data in ("scope", "keyword"):
        return _narrows(node.children[0])
    if node.data == "field_search":
        field, op, value = node.children
        return str(op) == "=" and not _only_wildcards(str(value))
    if node.data == "scope_negation":
        return False
    operands = [c for c in node.children if not (isinstance(c, Token) and c.type in ("AND", "OR"))]
    if node.data == "scope_and":
        return any(_narrows(c) for c in operands)
    if node.data == "scope_or":
        return all(_narrows(c) for c in operands)
    return True  # keyword, phrase, subquery, anything new: assume it narrows


@_safe
def no_scope(tree, text) -> Iterator[Diagnostic]:
    """DAC450: the search before the first pipe selects every message (`*`, `_index=*`, only
    negations)."""
    scope = tree.children[0] if isinstance(tree, Tree) and tree.children else None
    if isinstance(scope, Tree) and scope.data == "scope" and not _narrows(scope):
        yield _at("DAC450", "Sumo Logic query has no scope: nothing before the first '|' selects a "
                  "source (_sourceCategory, _index, _source, _collector, ...) or a keyword, so it "
                  "scans every message", scope)


# --------------------------------------------------------------------------- parse helpers

def _parse_is_regex(stage: Tree) -> bool:
    return any(isinstance(c, Tree) and c.data == "parse_option" and c.children
               and isinstance(c.children[0], Token) and c.children[0].type == "REGEX_KW"
               for c in stage.children)


def _parse_is_xml(stage: Tree) -> bool:
    return any(isinstance(c, Tree) and c.data == "parse_option" and c.children
               and isinstance(c.children[0], Token) and c.children[0].type == "XML"
               for c in stage.children)


def _patterns(stage: Tree) -> Iterator[tuple[Token, list, bool]]:
    """(pattern token, output field tokens, is regex) of each pattern of a parse stage."""
    regex = _parse_is_regex(stage)
    for pattern in stage.children:
        if not (isinstance(pattern, Tree) and pattern.data == "parse_pattern"):
            continue
        string = next((c for c in pattern.children if isinstance(c, Token) and c.type == "STRING"), None)
        if string is None:
            continue
        fields = [f for c in pattern.children if isinstance(c, Tree) and c.data == "parse_fields"
                  for f in c.children]
        own_regex = any(isinstance(c, Token) and c.type == "REGEX_KW" for c in pattern.children)
        yield string, fields, regex or own_regex


def _regex_patterns(tree) -> Iterator[Token]:
    """The pattern strings of `parse regex` and of its alias `extract`."""
    found = index(tree)
    for stage in found.of("parse_cmd"):
        if not _parse_is_xml(stage):
            for string, _fields, regex in _patterns(stage):
                if regex:
                    yield string
    for stage in found.of("generic_cmd"):
        if stage.children and str(stage.children[0]).lower() == "extract":
            for arg in stage.children[1:]:
                if isinstance(arg, Token) and arg.type == "STRING":
                    yield arg


# --------------------------------------------------------------------------- DAC451, DAC452, DAC453

@_safe
def parse_field_count(tree, text) -> Iterator[Diagnostic]:
    """DAC451: `parse "a=* b=*" as a` - the number of `*` differs from the number of fields."""
    for stage in index(tree).of("parse_cmd"):
        if _parse_is_xml(stage):
            continue
        for string, fields, regex in _patterns(stage):
            if regex or not fields:
                continue
            wildcards = len(re.findall(r"(?<!\\)\*", unquote(string)))
            if wildcards != len(fields):
                yield _at("DAC451", f"Sumo Logic parse pattern has {wildcards} wildcard(s) '*' but "
                          f"{len(fields)} field(s) after 'as'; they must match one to one", string)


@_safe
def parse_regex_named_group(tree, text) -> Iterator[Diagnostic]:
    """DAC452: a `parse regex` / `extract` pattern without a named capture group."""
    for string in _regex_patterns(tree):
        if not named_groups(unquote(string)):
            yield _at("DAC452", "Sumo Logic parse regex pattern has no named capture group "
                      "(?<field>...): it extracts nothing", string)


@_safe
def invalid_regex(tree, text) -> Iterator[Diagnostic]:
    """DAC453: a regular expression that cannot compile (parse regex patterns, /regex/ literals)."""
    for string in _regex_patterns(tree):
        error = string_regex_error(unquote(string))
        if error:
            yield _at("DAC453", f"Sumo Logic regular expression does not compile: {error}", string)
    for token in index(tree).tokens.get("REGEX", []):
        body = str(token)
        body = body[1:body.rindex("/")] if body.count("/") >= 2 else body[1:]
        error = regex_error(body.replace("\\/", "/"))
        if error:
            yield _at("DAC453", f"Sumo Logic regular expression does not compile: {error}", token)


# --------------------------------------------------------------------------- DAC454

_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


@_safe
def string_ordering(tree, text) -> Iterator[Diagnostic]:
    """DAC454: `where bytes > "1000"` compares text, not numbers."""
    for node in index(tree).of("compare"):
        if len(node.children) != 3:
            continue
        left, op, right = node.children
        if str(op) not in ("<", ">", "<=", ">="):
            continue
        for quoted, other in ((right, left), (left, right)):
            if isinstance(quoted, Token) and quoted.type in ("STRING", "SQSTRING") \
                    and _NUMBER.fullmatch(unquote(quoted)) \
                    and not (isinstance(other, Token) and other.type in ("STRING", "SQSTRING")):
                yield _at("DAC454", f"Sumo Logic compares {quoted} as text with '{op}' (\"9\" > "
                          f"\"10\"); write the number without quotes", quoted)
                break


# --------------------------------------------------------------------------- DAC455

# Operators that add fields the query does not name (or reshape rows): after one of these,
# no claim about which fields exist is safe.
_OPAQUE_OPERATORS = frozenset({
    "geoip", "threatip", "threatlookup", "logreduce", "logcompare", "logexplain", "summarize",
    "infer", "benchmark", "transaction", "transactionize", "sessionize", "trace", "merge", "cat",
    "macro", "lookup", "xml", "compose", "join", "transpose",
})
_STAGE_NAMES = ("generic_cmd", "json_cmd", "lookup_cmd", "join_cmd", "transpose_cmd")


def _opaque(stage: Tree) -> bool:
    """Whether a stage may add fields the query does not name (so no claim about fields holds)."""
    kind = stage.data
    words = {str(t).lower() for t in tokens(stage) if t.type in ("WORD", "NAME", "AUTO", "STAR")}
    if kind == "generic_cmd":
        name = str(stage.children[0]).lower() if stage.children else ""
        return name in _OPAQUE_OPERATORS or name not in OPERATORS or "auto" in words
    return kind in ("join_cmd", "transpose_cmd") or (kind == "json_cmd" and "auto" in words) \
        or (kind == "lookup_cmd" and "*" in words)


def _names_before(tree, position: int) -> tuple[set[str], dict[str, str]]:
    """Field names extracted or mentioned before `position`, and how each was written."""
    found = index(tree)
    names: set[str] = set()
    spelled: dict[str, str] = {}
    for kind in ("NAME", "FIELD_REF", "WORD", "STRING", "SQSTRING"):
        for token in found.tokens.get(kind, []):
            if token.start_pos >= position:
                continue
            name = field_name(token)
            if name:
                names.add(name)
                spelled.setdefault(name, str(token))
            elif kind == "WORD":  # generic arguments such as field=x, 1 as a
                names.update(part.lower() for part in str(token).split("=") if part)
            else:  # regex named groups; json / keyvalue paths "a.b[0].c"
                content = unquote(token)
                names.update(g.lower() for g in named_groups(content))
                path = content.lower()
                names.update({path, re.sub(r"\[[^\]]*\]", "", path).split(".")[-1]})
    for search in found.of("field_search"):
        if search.children and search.children[0].start_pos < position:
            names.add(str(search.children[0]).strip('"').lower())
    return names, spelled


def _distance(a: str, b: str, bound: int) -> int:
    """Optimal string alignment distance (edits, adjacent swaps), stopping past `bound`."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > bound:
            return bound + 1
        previous2, previous = previous, current
    return previous[-1]


def _misspelling_of(name: str, known: set[str]) -> str | None:
    """The known field `name` is most likely a misspelling of, if any."""
    bound = 1 if len(name) <= 5 else 2
    best = None
    for candidate in sorted(known):
        if candidate.startswith("_") or candidate.rstrip("0123456789") == name.rstrip("0123456789"):
            continue
        distance = _distance(name, candidate, bound)
        if distance <= bound and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None


@_safe
def unextracted_group_field(tree, text) -> Iterator[Diagnostic]:
    """DAC455: `count by categhory` where no earlier stage extracts or mentions `categhory`, but
    one extracts `category`: a misspelt group key, which Sumo reports as a field not found."""
    found = index(tree)
    keys = [key.children[0] for clause in found.of("by_clause") for key in clause.children
            if isinstance(key, Tree) and key.data == "aliased" and key.children
            and field_name(key.children[0]) and not field_name(key.children[0]).startswith("_")]
    if not keys:
        return
    first_use: dict[str, int] = {}
    for kind in ("NAME", "FIELD_REF"):
        for token in found.tokens.get(kind, []):
            name = field_name(token)
            if token.start_pos < first_use.get(name, token.start_pos + 1):
                first_use[name] = token.start_pos
    for key in keys:
        name = field_name(key)
        if first_use.get(name, key.start_pos) < key.start_pos:
            continue  # the common case: the key was extracted or used before
        known, spelled = _names_before(tree, key.start_pos)
        meant = None if name in known else _misspelling_of(name, known)
        if meant is None:
            continue
        if any(_opaque(s) for s in found.of(*_STAGE_NAMES)
               if first_token(s) is not None and first_token(s).start_pos < key.start_pos):
            continue
        yield _at("DAC455", f"Sumo Logic groups by '{key}', which no earlier stage extracts; did "
                  f"you mean '{spelled.get(meant, meant)}'? (Sumo reports a field it cannot find)", key)


# --------------------------------------------------------------------------- DAC456

def _suggestion(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name.lower(), sorted(OPERATORS), n=1, cutoff=0.75)
    return f"; did you mean '{close[0]}'?" if close else ""


@_safe
def unknown_operator(tree, text) -> Iterator[Diagnostic]:
    """DAC456: a stage whose operator name Sumo Logic does not document (`| cuont by user`)."""
    for stage in index(tree).of("generic_cmd", "aggregate_cmd", "eval_cmd"):
        head = None
        if stage.data == "generic_cmd":
            head = stage.children[0]
        elif stage.data in ("aggregate_cmd", "eval_cmd"):
            first = stage.children[0] if stage.children else None
            if isinstance(first, Tree) and first.data == "aliased" and len(first.children) == 1 \
                    and isinstance(first.children[0], Token) and first.children[0].type == "NAME" \
                    and (stage.data == "aggregate_cmd" or len(stage.children) == 1):
                head = first.children[0]
        if isinstance(head, Token) and str(head).lower() not in OPERATORS \
                and not str(head).startswith("_"):
            yield _at("DAC456", f"Sumo Logic has no operator '{head}'{_suggestion(str(head))}", head)


# --------------------------------------------------------------------------- DAC457

# Regular-expression syntax that means nothing in a `matches "..."` wildcard pattern.
# `"*google.*"` is a fine wildcard pattern (a literal dot, then anything), so `.*` counts only
# at the start; the other signs never occur in wildcard patterns written on purpose.
_REGEX_IN_WILDCARD = re.compile(r"^\^|^\.\*|\.\+|(?<!\\)\\[dwsDWSb]|\(\?i\)|\[[^\]]*\w-\w[^\]]*\]|\([^()]*\|[^()]*\)")


@_safe
def matches_regex_in_quotes(tree, text) -> Iterator[Diagnostic]:
    """DAC457: `matches ".*evil.*"`: a quoted pattern is a wildcard pattern, not a regex."""
    for node in index(tree).of("matches"):
        if not node.children:
            continue
        pattern = node.children[-1]
        if isinstance(pattern, Token) and pattern.type in ("STRING", "SQSTRING") \
                and _REGEX_IN_WILDCARD.search(unquote(pattern)):
            yield _at("DAC457", f"Sumo Logic reads {pattern} as a wildcard pattern ('*' is the only "
                      "wildcard), not a regular expression; write a regex as /.../", pattern)


RULES: list[Rule] = [no_scope, parse_field_count, parse_regex_named_group, invalid_regex,
                     string_ordering, unextracted_group_field, unknown_operator,
                     matches_regex_in_quotes]
