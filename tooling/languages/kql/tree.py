"""Helpers over the KQL parse tree: marking data sources, reading literals, walking names.

`mark_sources` runs once after every successful parse (see `KqlLanguage._parse`); the other
functions are used by the lint rules in `lint.py`. The node types are documented in the
package docstring (`tooling/languages/kql/__init__.py`).
"""
from __future__ import annotations

import re
from typing import Iterator

from lark import Token, Tree
from lark.tree import Meta

# Names that are literals, never tables or columns.
CONSTANTS = frozenset({"true", "false", "True", "False", "TRUE", "FALSE", "null"})
# Nodes whose value is a table (a sub-query), not a scalar.
TABULAR = frozenset({"pipeline", "union_op", "datatable", "externaldata", "print_op", "range_op",
                     "find_op", "search_op", "evaluate_op", "table", "let_ref"})


_OPTIONS = frozenset({"kind_opt", "hint", "withsource_opt", "isfuzzy_opt"})


def _meta_of(token: Token) -> Meta:
    meta = Meta()
    meta.empty = False
    meta.line, meta.column = token.line, token.column
    meta.end_line, meta.end_column = token.end_line, token.end_column
    meta.start_pos, meta.end_pos = token.start_pos, token.end_pos
    return meta


def name_of(node) -> str | None:
    """The name a NAME token or a `bracket_name` node spells, else None."""
    if isinstance(node, Token):
        return str(node) if node.type == "NAME" else None
    if isinstance(node, Tree) and node.data == "bracket_name":
        return string_value(node.children[0])
    return None


def first_token(node) -> Token | None:
    if isinstance(node, Token):
        return node
    if isinstance(node, Tree):
        for child in node.children:
            token = first_token(child)
            if token is not None:
                return token
    return None


def nodes(tree: Tree, data: str) -> list[Tree]:
    """The nodes of type `data`, in query order (an index built once per tree and kept on it)."""
    found = getattr(tree, "_kql_index", None)
    if found is None:
        found = {}
        stack = [tree]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            kind = found.get(node.data)
            if kind is None:
                found[node.data] = [node]
            else:
                kind.append(node)
            for child in reversed(node.children):
                if type(child) is Tree:
                    push(child)
        tree._kql_index = found
    return found.get(data, [])


def start_token(node, text: str) -> Token | None:
    """The first token of `node`, moved back to the `[` that opens a `['quoted name']`."""
    token = first_token(node)
    if token is None or not (isinstance(node, Tree) and node.data == "bracket_name"):
        return token
    offset = text.rfind("[", 0, token.start_pos)
    if offset < 0:
        return token
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Token("LSQB", "[", offset, line, column)


def _database_path(node) -> bool:
    """`database("d").T`, `cluster("c").database("d").F(1)`: a dotted path from a cluster or database."""
    while isinstance(node, Tree) and node.data in ("dot", "method_call"):
        node = node.children[0]
    return isinstance(node, Tree) and node.data == "call" and str(node.children[0]) in ("cluster", "database")


def mark_sources(tree: Tree) -> None:
    """Wrap every reference to a data source in a `table` node, or a `let_ref` node when the
    name is bound earlier by `let` (or is a function parameter).

    Source positions: the head of a pipeline, a `union` leg, the right side of `join`/`lookup`,
    a query or `let` value that is only a name, and the `in (...)` list of `search`/`find`.
    """
    bound = {name_of(n.children[0]) for n in nodes(tree, "let_stmt") + nodes(tree, "param")}
    bound.discard(None)

    def wrap(parent: Tree, index: int) -> None:
        child = parent.children[index]
        if isinstance(child, Tree) and child.data == "paren":
            wrap(child, 0)
            return
        name = name_of(child)
        if name is None and _database_path(child):
            wrapped = Tree("table", [child], child.meta)
            parent.children[index] = wrapped
            tree._kql_index.setdefault("table", []).append(wrapped)
            return
        if name is None:
            if isinstance(child, Token) and child.type in ("WILDCARD", "STAR"):
                wrapped = Tree("table", [child], _meta_of(child))
                parent.children[index] = wrapped
                tree._kql_index.setdefault("table", []).append(wrapped)
            return
        if name in CONSTANTS:
            return
        token = first_token(child)
        kind = "let_ref" if name in bound else "table"
        wrapped = Tree(kind, [child], _meta_of(token) if token is not None else None)
        parent.children[index] = wrapped
        tree._kql_index.setdefault(kind, []).append(wrapped)

    kinds = ("pipeline", "union_op", "search_op", "find_op", "join_op", "lookup_op", "start", "let_stmt",
             "function_body")
    for node in [n for kind in kinds for n in nodes(tree, kind)]:
        data = node.data
        if data == "pipeline":
            wrap(node, 0)
        elif data == "union_op":
            for i, child in enumerate(node.children):
                if not (isinstance(child, Tree) and child.data in _OPTIONS):
                    wrap(node, i)
        elif data in ("search_op", "find_op"):
            # the `in (...)` items come before the predicate (and find's `project`)
            for i in range(len(node.children) - (1 if data == "search_op" else 2)):
                child = node.children[i]
                if isinstance(child, Token) and child.type in ("NAME", "WILDCARD"):
                    wrap(node, i)
        elif data in ("join_op", "lookup_op"):
            for i, child in enumerate(node.children):
                if not (isinstance(child, Tree) and child.data in ("kind_opt", "hint")):
                    wrap(node, i)
                    break
        elif data == "start":
            for i in range(len(node.children)):
                wrap(node, i)
        elif data == "let_stmt":
            wrap(node, 1)
        elif data == "function_body":
            wrap(node, len(node.children) - 1)


# --- literals --------------------------------------------------------------------------------

_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "r": "\r", "t": "\t", "0": "\0"}


def _decode(token: str) -> str | None:
    """The text of one STRING token, or None when an escape is not understood."""
    body = token[1:] if token[:1] in "hH" and len(token) > 1 and token[1] in "@\"'" else token
    if body.startswith(("```", "~~~")):
        return body[3:-3]
    if body.startswith("@"):
        quote = body[1]
        return body[2:-1].replace(quote * 2, quote)
    inner = body[1:-1]
    if "\\" not in inner:
        return inner
    out, i = [], 0
    while i < len(inner):
        char = inner[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        nxt = inner[i + 1: i + 2]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", inner[i + 2: i + 6]):
            out.append(chr(int(inner[i + 2: i + 6], 16)))
            i += 6
        else:
            return None
    return "".join(out)


def string_value(node) -> str | None:
    """The text of a `string` node (adjacent literals joined), or None."""
    if not (isinstance(node, Tree) and node.data == "string"):
        return None
    parts = [_decode(str(t)) for t in node.children]
    return None if any(p is None for p in parts) else "".join(parts)


def let_bindings(tree: Tree) -> dict[str, Tree | Token]:
    """Name -> value of every `let` (the last one wins when a name is bound twice)."""
    bindings = getattr(tree, "_kql_lets", None)
    if bindings is None:
        bindings = {}
        for node in nodes(tree, "let_stmt"):
            name = name_of(node.children[0])
            if name is not None:
                bindings[name] = node.children[1]
        tree._kql_lets = bindings
    return bindings


def resolve_string(node, lets: dict) -> tuple[str, Token] | None:
    """The text and first token of a string literal, or of a name `let`-bound to one."""
    seen = 0
    while isinstance(node, Tree) and node.data in ("let_ref", "paren") and seen < 20:
        node, seen = node.children[0], seen + 1
    if isinstance(node, Token) and node.type == "NAME" and str(node) in lets:
        node = lets[str(node)]
        if isinstance(node, Tree) and node.data == "paren":
            node = node.children[0]
    value = string_value(node)
    if value is None:
        return None
    return value, node.children[0]


def call_args(call: Tree) -> list:
    """The arguments of a `call` node (its first child is the function name)."""
    return list(call.children[1:])


def walk(node, skip=frozenset()) -> Iterator:
    """Every node and token under `node`, pre-order, not descending into `skip` node types."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, Tree) and current.data not in skip:
            stack.extend(reversed(current.children))
