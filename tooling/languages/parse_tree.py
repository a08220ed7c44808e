"""Facts about a parse tree that several modules read: each node's place in the query (set while
the parser builds it) and which rules and words it holds (`Language.per_event`)."""
from __future__ import annotations

from typing import Any, Callable


def node_kinds(tree: Any) -> set[str]:
    """The rule names of every node of a parse tree (for `Language._per_event`)."""
    return {str(node.data) for node in tree.iter_subtrees()} if hasattr(tree, "iter_subtrees") else set()


def first_words(tree: Any, kind: str) -> set[str]:
    """The first token of each `kind` node, lower-cased: a call's function, a command's name."""
    words = set()
    for node in tree.iter_subtrees():
        if node.data == kind and node.children:
            first = node.children[0]
            while hasattr(first, "children") and first.children:
                first = first.children[0]
            words.add(str(first).lower())
    return words


_LARK_TYPES: tuple = ()


class _Positioned:
    """A rule callback that gives the node it builds a start (its first child, token or node) and
    an end (its last child), as Lark's `propagate_positions` does but without its bookkeeping,
    at about a quarter of the cost. Unlike Lark's, an inlined `?rule` (e.g. a parenthesised
    expression) does not widen its parent to the brackets it dropped. Keywords and punctuation
    count, so a pipe stage starts at its keyword and a parenthesis at its `(`. `on_node` sees
    each positioned node (e.g. to index the node kinds lint rules read, so they need no second
    walk).
    """

    __slots__ = ("build", "on_node")

    def __init__(self, build: Callable, on_node: Callable | None):
        self.build = build
        self.on_node = on_node

    def __call__(self, children):
        Token, Tree, Meta = _LARK_TYPES  # noqa: N806 - bound once by add_positions (hot path)
        node = self.build(children)
        if type(node) is not Tree or node._meta is not None:  # an inlined `?rule` keeps its child's
            return node
        # the first and the last child that has a position: a token, or a node with positions
        for first in children:
            if type(first) is Token:
                break
            if type(first) is Tree and first._meta is not None:
                first = first._meta
                break
        else:
            return node  # no child has a position (nor, then, a last one)
        for last in reversed(children):
            if type(last) is Token:
                break
            if type(last) is Tree and last._meta is not None:
                last = last._meta
                break
        meta = Meta()
        meta.empty = False
        meta.line, meta.column, meta.start_pos = first.line, first.column, first.start_pos
        meta.end_line, meta.end_column, meta.end_pos = last.end_line, last.end_column, last.end_pos
        node._meta = meta
        if self.on_node is not None:
            self.on_node(node)
        return node


def add_positions(parser, on_node: Callable[[str], Callable | None] | None = None) -> None:
    """Wrap every rule callback of a Lark LALR parser (built with propagate_positions=False) so
    each tree node carries `.meta` positions. `on_node(rule name)` may return a per-node hook."""
    global _LARK_TYPES
    from lark import Token, Tree
    from lark.tree import Meta

    _LARK_TYPES = (Token, Tree, Meta)
    callbacks = parser.parser.parser.parser.callbacks
    for rule, builder in list(callbacks.items()):
        name = rule.alias or rule.origin.name
        callbacks[rule] = _Positioned(builder, on_node(name) if on_node else None)
