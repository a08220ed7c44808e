"""SPL lint rules (DAC420-DAC428): each a function `(tree, text) -> Iterable[Diagnostic]`.

Rules run only on queries that parsed, walk the tree described in `tooling.languages.spl`, and
report at the offending token (1-based line/column within the query). They never raise: a tree
of an unexpected shape yields nothing rather than an exception (`safe` enforces it).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Iterable, Iterator

from lark import Token, Tree

from tooling.diagnostics import Diagnostic
from tooling.languages.spl import names, pcre

# Nodes whose direct token children are bare search terms (not field=value comparisons).
SEARCH_CONTAINERS = frozenset({"base_search", "search_cmd", "search_and", "search_or",
                               "search_negation", "tstats_where"})
# Eval functions whose second argument is a regular expression.
REGEX_FUNCTIONS = frozenset({"match", "replace", "mvfind"})
# Functions that turn `_time` into a string.
STRING_FUNCTIONS = frozenset({"strftime", "tostring", "printf"})

Rule = Callable[[Any, str], Iterable[Diagnostic]]


Index = dict[str, list[Tree]]
_last: tuple[Any, Index] = (None, {})  # the rules of one query share one walk of its tree


def index(tree: Tree) -> Index:
    """The tree's nodes by type, each list in query order (top-down)."""
    global _last
    last = _last  # one read and one write of a tuple: safe when threads validate in parallel
    if last[0] is tree:
        return last[1]
    nodes: Index = {}
    for node in tree.iter_subtrees_topdown():
        nodes.setdefault(node.data, []).append(node)
    _last = (tree, nodes)
    return nodes


def safe(rule: Callable[[Index], Iterable[Diagnostic]]) -> Rule:
    """A lint rule over the tree that never raises and ignores a tree it does not understand."""

    @functools.wraps(rule)
    def run(tree: Any, _text: str) -> list[Diagnostic]:
        if not isinstance(tree, Tree):
            return []
        try:
            return list(rule(index(tree)))
        except Exception:  # noqa: BLE001 - a lint rule must never break validation
            return []

    return run


def at(code: str, message: str, token: Any) -> Diagnostic:
    """A diagnostic at a token, or at a node's first position."""
    line = getattr(token, "line", None)
    column = getattr(token, "column", None)
    if line is None and isinstance(token, Tree):
        line, column = getattr(token.meta, "line", 1), getattr(token.meta, "column", 1)
    return Diagnostic(code, message, line or 1, column or 1)


def search_terms(nodes: Index) -> Iterator[Token]:
    """Bare terms (words and quoted phrases) of every search: base search, `search`, tstats where."""
    terms = [child for node in _of(nodes, *SEARCH_CONTAINERS) for child in node.children
             if isinstance(child, Token) and child.type in ("WORD", "STRING")]
    return iter(sorted(terms, key=lambda t: (t.line, t.column)))


def _of(nodes: Index, *kinds: str) -> list[Tree]:
    """The nodes of several types, in query order."""
    found = [node for kind in kinds for node in nodes.get(kind, ())]
    if len(kinds) > 1:
        found.sort(key=lambda n: (getattr(n.meta, "line", 0), getattr(n.meta, "column", 0)))
    return found


def strings(node: Any) -> Iterator[Token]:
    """The quoted-string operands of an expression (the node itself when it is one)."""
    if isinstance(node, Token) and node.type == "STRING":
        yield node
    elif isinstance(node, Tree) and node.data == "arguments":
        for child in node.children:
            yield from strings(child)


# --- DAC420 -------------------------------------------------------------------------------------
@safe
def unknown_command(nodes: Index) -> Iterator[Diagnostic]:
    for node in nodes.get("generic_cmd", ()):
        name = node.children[0]
        if isinstance(name, Token) and not names.is_command(name):
            yield at("DAC420", f"SPL command {str(name)!r} is not in Splunk's Search Reference "
                     "(a typo, or a custom command that must be installed)", name)


# --- DAC421 -------------------------------------------------------------------------------------
@safe
def leading_wildcard(nodes: Index) -> Iterator[Diagnostic]:
    for term in search_terms(nodes):
        text = term[1:-1] if term.type == "STRING" else str(term)
        if text.startswith("*") and text.strip("*"):
            yield at("DAC421", f"SPL search term {str(term)!r} starts with a wildcard: the index "
                     "cannot be used and every event is scanned", term)


# --- DAC422 -------------------------------------------------------------------------------------
@safe
def wildcard_in_expression(nodes: Index) -> Iterator[Diagnostic]:
    for node in _of(nodes, "compare", "in_expr", "not_in_expr", "in_call", "like", "not_like", "like_call"):
        kids = node.children
        if node.data == "compare" and len(kids) == 3 and kids[1] in ("=", "==", "!="):
            operands = (kids[0], kids[2])
        elif node.data in ("in_expr", "not_in_expr"):
            operands = tuple(kids[1:])
        elif node.data == "in_call":
            operands = tuple(kids[0].children[1:])
        elif node.data in ("like", "not_like"):
            operands = (kids[1],)
        elif node.data == "like_call":
            operands = tuple(kids[0].children[1:2])
        else:
            continue
        like = node.data.endswith("like") or node.data == "like_call"
        for string in (s for operand in operands for s in strings(operand)):
            if "*" in string and not (like and "%" in string):
                how = "like() patterns use % and _" if like else "use like() with %, or match()"
                yield at("DAC422", f"SPL eval/where compares with {str(string)!r} literally: `*` "
                         f"is not a wildcard here ({how})", string)


# --- DAC423 / DAC424 ----------------------------------------------------------------------------
def _regexes(nodes: Index) -> Iterator[tuple[str, Token]]:
    """(command or function, regex string token) for rex, regex, match(), replace(), mvfind()."""
    for node in _of(nodes, "rex_cmd", "required_cmd", "call"):
        if node.data == "rex_cmd":
            options = {str(o.children[0]).lower(): str(o.children[1]).strip('"').lower()
                       for o in node.children if isinstance(o, Tree) and o.data == "option"}
            if options.get("mode") != "sed":
                yield "rex", next(c for c in node.children if isinstance(c, Token) and c.type == "STRING")
        elif node.data == "required_cmd" and node.children[0].children[0].lower() == "regex":
            for item in node.children[1:]:
                candidate = item.children[-1] if isinstance(item, Tree) and item.data == "gen_compare" else item
                if isinstance(candidate, Token) and candidate.type == "STRING":
                    yield "regex", candidate
        elif node.data == "call" and str(node.children[0]).lower() in REGEX_FUNCTIONS \
                and len(node.children) > 1 and len(node.children[1].children) > 1:
            pattern = node.children[1].children[1]
            if isinstance(pattern, Token) and pattern.type == "STRING":
                yield f"{str(node.children[0]).lower()}()", pattern


@safe
def rex_without_named_group(nodes: Index) -> Iterator[Diagnostic]:
    for where, token in _regexes(nodes):
        if where == "rex" and "$" not in token and not pcre.has_named_group(pcre.spl_string(token)):
            yield at("DAC423", "SPL rex regular expression has no named capture group "
                     "(?<field>...): it extracts nothing and Splunk rejects the search", token)


@safe
def invalid_regex(nodes: Index) -> Iterator[Diagnostic]:
    for where, token in _regexes(nodes):
        error = pcre.regex_error(pcre.spl_string(token))
        if error:
            yield at("DAC424", f"SPL {where} regular expression does not compile: {error}", token)


# --- DAC425 -------------------------------------------------------------------------------------
@safe
def lowercase_boolean(nodes: Index) -> Iterator[Diagnostic]:
    for term in search_terms(nodes):
        if term.type == "WORD" and term.upper() in ("AND", "OR", "NOT") and term != term.upper():
            yield at("DAC425", f"SPL search treats {str(term)!r} as a search term, not an operator: "
                     f"boolean operators must be upper case ({term.upper()})", term)


# --- DAC426 / DAC427 ----------------------------------------------------------------------------
@safe
def unknown_eval_function(nodes: Index) -> Iterator[Diagnostic]:
    for node in nodes.get("call", ()):
        name = node.children[0]
        if isinstance(name, Token) and not names.is_eval_function(name):
            yield at("DAC426", f"SPL eval function {str(name)!r} does not exist: Splunk rejects "
                     "the search", name)


@safe
def unknown_stats_function(nodes: Index) -> Iterator[Diagnostic]:
    for node in _of(nodes, "agg_func", "agg_name"):
        name = node.children[0]
        if isinstance(name, Token) and not names.is_stats_function(name):
            yield at("DAC427", f"SPL statistical function {str(name)!r} does not exist: "
                     "Splunk rejects the search", name)


# --- DAC428 -------------------------------------------------------------------------------------
@safe
def time_made_string(nodes: Index) -> Iterator[Diagnostic]:
    for node in nodes.get("assignment", ()):
        target, value = node.children[0], node.children[-1]
        if not (isinstance(target, Token) and target == "_time"):
            continue
        if isinstance(value, Token) and value.type == "STRING":
            culprit = value
        elif isinstance(value, Tree) and value.data == "call" \
                and str(value.children[0]).lower() in STRING_FUNCTIONS:
            culprit = value.children[0]
        else:
            continue
        yield at("DAC428", "SPL eval makes _time a string: sorting, time charts and time ranges "
                 "then break (format it with fieldformat, or into another field)", culprit)


RULES: tuple[Rule, ...] = (unknown_command, leading_wildcard, wildcard_in_expression,
                           rex_without_named_group, invalid_regex, lowercase_boolean,
                           unknown_eval_function, unknown_stats_function, time_made_string)
