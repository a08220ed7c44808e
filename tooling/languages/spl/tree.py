"""Reading an SPL parse tree: commands by name, search filters, data sources.

The node types are documented in `tooling.languages.spl`. These helpers give later analysis
(and the lint rules) the questions it asks most without knowing every node type.
"""
from __future__ import annotations

from typing import Any, Iterator, NamedTuple

from lark import Token, Tree

# Commands whose node type says the name (their keyword is not kept in the tree).
_KEYWORD_COMMANDS = {"search_cmd": "search", "where_cmd": "where", "eval_cmd": "eval",
                     "rex_cmd": "rex", "rename_cmd": "rename"}
# Commands whose first child is a `*_name` node holding the keyword token.
_NAMED_COMMANDS = frozenset({"stats_cmd", "chart_cmd", "tstats_cmd", "nested_cmd", "required_cmd"})
COMMAND_NODES = frozenset(_KEYWORD_COMMANDS) | _NAMED_COMMANDS | {"generic_cmd", "macro_cmd"}
# Fields of the base search that choose the events rather than filter them.
SOURCE_FIELDS = ("index", "sourcetype", "source", "eventtype", "host")


class Filter(NamedTuple):
    """One field test of a search: `field op value`, or `field IN (values)` (operator "IN")."""

    field: str
    operator: str
    values: tuple[str, ...]
    negated: bool  # under an odd number of NOTs
    node: Tree  # `comparison` or `in_list`, with .meta.line/.meta.column


def command_name(node: Any) -> str | None:
    """The command a command node runs, as written (a macro command gives its `macro`)."""
    if not isinstance(node, Tree):
        return None
    if node.data in _KEYWORD_COMMANDS:
        return _KEYWORD_COMMANDS[node.data]
    if node.data in _NAMED_COMMANDS and node.children and isinstance(node.children[0], Tree):
        return str(node.children[0].children[0])
    if node.data in ("generic_cmd", "macro_cmd") and node.children:
        return str(node.children[0])
    return None


def commands(tree: Any) -> Iterator[tuple[str, Tree]]:
    """(name, node) of every command, in query order, subsearches and foreach bodies included."""
    if not isinstance(tree, Tree):
        return
    for node in tree.iter_subtrees_topdown():
        if node.data in COMMAND_NODES:
            yield command_name(node) or "", node


def filters(tree: Any) -> Iterator[Filter]:
    """Every field comparison and IN list of the search language (base search, `search`, the
    where clause of tstats), with whether a NOT applies to it."""
    if isinstance(tree, Tree):
        yield from _filters(tree, False)


def _filters(node: Tree, negated: bool) -> Iterator[Filter]:
    if node.data == "comparison":
        field, operator, value = node.children
        yield Filter(str(field), str(operator), (str(value),), negated, node)
        return
    if node.data == "in_list":
        yield Filter(str(node.children[0]), "IN", tuple(str(v) for v in node.children[1:]), negated, node)
        return
    if node.data == "subsearch":
        negated = False  # a subsearch is its own search
    for child in node.children:
        if isinstance(child, Tree):
            yield from _filters(child, not negated if node.data == "search_negation" else negated)


def data_sources(tree: Any) -> list[tuple[str, str]]:
    """What the query reads, as (kind, value) pairs in query order: index/sourcetype/source/
    eventtype/host equality filters, a leading macro of the base search, tstats/mstats
    `datamodel` and `inputlookup` tables."""
    found: list[tuple[str, str]] = []
    if not isinstance(tree, Tree):
        return found
    for node in tree.iter_subtrees_topdown():
        if node.data == "base_search":
            first = node.children[0]
            if isinstance(first, Tree) and first.data == "search_and":
                first = first.children[0]
            if isinstance(first, Token) and first.type == "MACRO":
                found.append(("macro", str(first)))
        elif node.data == "comparison" and str(node.children[1]) == "=" \
                and str(node.children[0]).lower() in SOURCE_FIELDS:
            found.append((str(node.children[0]).lower(), str(node.children[2])))
        elif node.data == "from_clause":
            option = node.children[0]
            if isinstance(option, Tree):
                found.append((str(option.children[0]).lower(), str(option.children[1])))
        elif node.data == "required_cmd" and command_name(node) == "inputlookup":
            tables = [c for c in node.children[1:] if isinstance(c, Token) and "=" not in c]
            if tables:
                found.append(("inputlookup", str(tables[0])))
    return found
