"""Lint rules of the LogScale language (codes DAC470-DAC479, documented in
tooling/diagnostics/lint/logscale.py). Each rule is `(tree, text) -> Iterable[Diagnostic]`, runs
only on a query that parsed, and never raises: the `_safe` wrapper turns an unexpected tree shape
into "no finding".

The node types are described in the package docstring (tooling/languages/logscale/__init__.py).
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Callable, Iterable, Iterator

from lark import Token, Tree

from tooling.diagnostics import Diagnostic
from tooling.languages.logscale.functions import is_known_function
from tooling.languages.logscale.regexcheck import regex_error, string_regex_error

FILTER_NODES = frozenset({"filter_and", "filter_or", "not_filter", "comparison", "tag_filter",
                          "like", "in_list", "function_match", "freetext", "regex_filter"})
# Arguments that are regular expressions: function (lower case) -> (argument name, position of
# the argument when it is written without its name, or None).
_REGEX_ARGUMENTS = {
    "regex": ("regex", 0),
    "replace": ("regex", 0),
    "splitstring": ("by", None),
    "array:regex": ("regex", None),
}


def _safe(rule: Callable[[Tree, str], Iterable[Diagnostic]]):
    def wrapped(tree, text):
        if not isinstance(tree, Tree):
            return []
        try:
            return list(rule(tree, text))
        except Exception:  # noqa: BLE001 - a lint rule must never break validation
            return []
    wrapped.__name__ = rule.__name__
    wrapped.__doc__ = rule.__doc__
    return wrapped


def _at(code: str, message: str, where) -> Diagnostic:
    if isinstance(where, Token):
        line, column = where.line, where.column
    else:
        meta = getattr(where, "meta", None)
        line, column = getattr(meta, "line", None), getattr(meta, "column", None)
    return Diagnostic(code, message, line or 1, column or 1)


def index(tree: Tree) -> dict[str, list]:
    """Nodes by type (in document order) and the REGEX and PARAM tokens, built once per tree.

    Building it also renames each comparison on a tag field (`#name`) to `tag_filter`; the
    language calls it right after parsing, and every rule reads it instead of walking the tree.
    """
    cached = getattr(tree, "_cql_index", None)
    if cached is None:
        cached = defaultdict(list)
        for node in tree.iter_subtrees_topdown():
            if node.data == "comparison" and str(node.children[0]).startswith("#"):
                node.data = "tag_filter"
            cached[node.data].append(node)
            for child in node.children:
                if isinstance(child, Token) and child.type in _INDEXED_TOKENS:
                    cached[child.type].append(child)
        tree._cql_index = cached
    return cached


_INDEXED_TOKENS = frozenset({"REGEX", "PARAM"})


def _nodes(tree: Tree, *kinds: str) -> list[Tree]:
    found = index(tree)
    if len(kinds) == 1:
        return found.get(kinds[0], [])
    return sorted((n for k in kinds for n in found.get(k, [])),
                  key=lambda n: (n.meta.line, n.meta.column))


def call_name(call: Tree) -> str:
    return str(call.children[0])


def call_arguments(call: Tree) -> list[Tree]:
    for child in call.children[1:]:
        if isinstance(child, Tree) and child.data == "arguments":
            return [a for a in child.children if isinstance(a, Tree)]
    return []


def named_argument(call: Tree, name: str, position: int | None = None):
    """The value of argument `name` (given by name, or positionally at `position`), else None."""
    positional = 0
    for argument in call_arguments(call):
        if argument.data == "named_argument" and str(argument.children[0]).lower() == name.lower():
            return argument.children[1]
        if argument.data == "positional_argument":
            if position is not None and positional == position:
                return argument.children[0]
            positional += 1
    return None


def stages(pipeline: Tree) -> list[Tree]:
    return [s for s in pipeline.children if isinstance(s, Tree) and s.data == "stage"]


def stage_body(stage: Tree):
    return stage.children[0] if stage.children else None


def is_default_branch(pipeline: Tree) -> bool:
    """A `case` branch whose condition is the catch-all `*`."""
    first = stages(pipeline)[:1]
    body = stage_body(first[0]) if first else None
    return (isinstance(body, Tree) and body.data == "freetext"
            and str(body.children[0]) == "*")


def pipelines_with_own_start(tree: Tree) -> Iterator[Tree]:
    """The top-level pipeline and every sub-query's pipeline (not case/match branches)."""
    for node in _nodes(tree, "start") + _nodes(tree, "subquery"):
        for child in node.children:
            if isinstance(child, Tree) and child.data == "pipeline":
                yield child


# ------------------------------------------------------------------------------ DAC470
@_safe
def unknown_function_rule(tree, _text):
    """DAC470: a function that is not in LogScale's function reference."""
    for node in _nodes(tree, "call"):
        name = node.children[0]
        if not is_known_function(str(name)):
            yield _at("DAC470", f"LogScale has no function {str(name)}() (not in the function "
                                "reference; a saved search is called as $name())", name)


# ------------------------------------------------------------------------------ DAC471
def _regex_values(tree: Tree) -> Iterator[tuple[Token, str | None]]:
    for token in _nodes(tree, "REGEX"):
        body = str(token)[1:str(token).rfind("/")]
        yield token, regex_error(body.replace("\\/", "/"))
    for node in _nodes(tree, "call"):
        spec = _REGEX_ARGUMENTS.get(call_name(node).lower())
        if spec is None:
            continue
        value = named_argument(node, *spec)
        if isinstance(value, Token) and value.type == "STRING":
            yield value, string_regex_error(str(value)[1:-1])


@_safe
def invalid_regex_rule(tree, _text):
    """DAC471: a regular expression that cannot compile."""
    for token, problem in _regex_values(tree):
        if problem:
            shown = str(token) if len(token) <= 40 else str(token)[:37] + "..."
            yield _at("DAC471", f"LogScale regular expression {shown} does not compile: {problem}",
                      token)


# ------------------------------------------------------------------------------ DAC472
# Commands of SPL and KQL (and of LogScale's own predecessor syntax) that LogScale does not have as
# bare words: written at the start of a stage, each is a free-text search for the word itself.
COMMAND_WORDS = frozenset("""
    where search eval stats eventstats streamstats chart timechart table fields rename sort dedup
    rex spath lookup inputlookup iplocation fillnull mvexpand transaction bin project extend
    summarize distinct take order top head tail parse
""".split())


@_safe
def command_word_rule(tree, _text):
    """DAC472: a stage that starts with an SPL/KQL command word, which CQL reads as free text."""
    for node in _nodes(tree, "stage"):
        body = stage_body(node)
        # implicit AND of a first free-text word and more terms: `| where x=1`, `| stats count by x`
        if not (isinstance(body, Tree) and body.data == "filter_and" and len(body.children) >= 2):
            continue
        first, second = body.children[0], body.children[1]
        if isinstance(second, Token):  # an explicit AND: `where AND x` is a deliberate search
            continue
        if (isinstance(first, Tree) and first.data == "freetext" and first.children[0].type == "WORD"
                and str(first.children[0]).lower() in COMMAND_WORDS):
            word = first.children[0]
            yield _at("DAC472", f"'{word}' is not a LogScale command: here it is a free-text search "
                                f"for the word \"{word}\" in every event, ANDed with the rest of the "
                                "stage", word)


# ------------------------------------------------------------------------------ DAC473
@_safe
def unreachable_branch_rule(tree, _text):
    """DAC473: a case/match branch after the catch-all `*` branch, which can never run."""
    for node in _nodes(tree, "case_stmt", "match_stmt"):
        if node.data == "case_stmt":
            branches = [c for c in node.children if isinstance(c, Tree) and c.data == "case_branch"]
            for index, branch in enumerate(branches[:-1]):
                if is_default_branch(branch.children[0]):
                    yield _at("DAC473", "this case branch can never run: the `*` branch before it "
                                        "takes every remaining event", branches[index + 1])
                    break
        elif node.data == "match_stmt":
            clauses = [c for c in node.children if isinstance(c, Tree) and c.data == "match_clause"]
            for index, clause in enumerate(clauses[:-1]):
                guard = clause.children[0]
                if isinstance(guard, Token) and str(guard) == "*":
                    yield _at("DAC473", "this match branch can never run: the `*` branch before it "
                                        "takes every remaining event", clauses[index + 1])
                    break


# ------------------------------------------------------------------------------ DAC475
_ALTERNATION = re.compile(r"\([^()]*\|[^()]*\)")


def _regex_syntax(value: str) -> str | None:
    """What in a `*` pattern is regex syntax that a glob reads literally, else None."""
    if len(value) > 2 and value.startswith("^") and value.endswith("$"):
        return "the anchors ^ and $"
    if len(value) > 4 and value.startswith(".*") and value.endswith(".*"):
        return ".* at both ends"
    if _ALTERNATION.search(value):
        return "an (a|b) alternation"
    return None


@_safe
def regex_in_pattern_rule(tree, _text):
    """DAC475: a `field=value` pattern written with regex syntax, which the pattern takes literally."""
    for node in _nodes(tree, "comparison", "tag_filter", "like"):
        value = node.children[2]
        if not isinstance(value, Token) or value.type not in ("WORD", "STRING"):
            continue
        body = str(value)[1:-1] if value.type == "STRING" else str(value)
        problem = _regex_syntax(body)
        if problem:
            yield _at("DAC475", f"{str(value)} is a * pattern, not a regex, so the regex syntax "
                                f"in it ({problem}) is taken literally; write /.../ for a regex",
                      value)


RULES = (unknown_function_rule, invalid_regex_rule, command_word_rule, unreachable_branch_rule,
         regex_in_pattern_rule)
