"""The leaf predicates of a Sumo Logic query, as `explain` sees them (tooling/languages/explanation.py).

A leaf is a test of the event against a literal, pattern or list: a keyword, phrase or
`field=value` term of the scope, a `where` / `if` comparison (`=`, `!=`, `<`, `matches`, `in`,
`contains`, ...), a predicate function (`isNull`, `isEmpty`, `isBlank`, `isNumeric`,
`contains(a, b)`), a field read as a condition (`| where valid`), and a parse / json / keyvalue
stage without `nodrop`, which drops the message when its pattern is missing.

Negation: a negative operator (`!=`, `not matches`, `not in`, `not contains`, a scope
`field!=value`) and a `!` / `not` / `NOT` directly over one leaf (`!isNull(x)`,
`!(x matches "*a*")`, `!"query"`) are recorded as one negative leaf, so "did not hold" is true of
the quoted text; a negation over `and` / `or` stays structure. The tree drops `!` and
parentheses, so their positions come from the query text (QUERY_TEXT, `leaf_span`).

Outside an explanation each leaf costs one more call and one global read. While probing, a
leaf's result under the null reading KLEENE (values.py) is what is recorded, and a flipped leaf
gives the opposite of it under every reading, so a flip is one definite answer whatever
reading `decide` asks for.
"""
from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Callable

from lark import Token, Tree

from tooling.languages import explanation
from tooling.languages.evaluation import MISSING
from tooling.languages.explanation import NO_VALUE, Span, traced
from tooling.languages.sumo.values import KLEENE, text_of, truth


# The query being compiled (evaluate.compile_query sets it): a `!` is not kept in the parse tree,
# so where a negated leaf starts is found in the text.
QUERY_TEXT: ContextVar[str | None] = ContextVar("sumo_query_text", default=None)


def span(node: Any) -> Any:
    """What `predicate` reads of a node: a token or Span as it is, a tree's meta (a SumoTree
    computes its position on first use, so it is computed here, at compile time)."""
    return node.meta if isinstance(node, Tree) else node


def _at(text: str, offset: int, end: int) -> Span:
    line = text.count("\n", 0, offset) + 1
    return Span(line, offset - text.rfind("\n", 0, offset), offset, end)


def _skip(text: str, offset: int, step: int) -> int:
    while 0 <= offset < len(text) and text[offset].isspace():
        offset += step
    return offset


def leaf_span(node: Any) -> Any:
    """A leaf's node position, with the parentheses the tree drops put back: a call's and an
    `in` list's closing `)` (`isNull(x)`, `x in ("a", "b")`) and a group's `(` `)` at either end
    (`(a + b) = c`). Without the query text, the node's own position."""
    where = span(node)
    text = QUERY_TEXT.get()
    start, end = getattr(where, "start_pos", None), getattr(where, "end_pos", None)
    if not isinstance(node, Tree) or text is None or not isinstance(start, int) or not isinstance(end, int) \
            or end > len(text):
        return where
    closing, item = 0, node
    while isinstance(item, Tree) and item.children:
        closing += item.data in ("call", "in", "group")
        item = item.children[-1]
    opening, item = 0, node
    while isinstance(item, Tree) and item.children:
        opening += item.data == "group"
        item = item.children[0]
    if not closing and not opening:
        return where
    for _ in range(closing):
        end = _skip(text, end, 1)
        if end >= len(text) or text[end] != ")":
            return where
        end += 1
    for _ in range(opening):
        start = _skip(text, start - 1, -1)
        if start < 0 or text[start] != "(":
            return where
    return _at(text, start, end)


def negation_span(node: Tree, operand: Any) -> Any:
    """`NOT x`, `!x`, `!(x)` (expression `not` or scope negation) as one leaf: from the operator
    to the operand's end, with the parentheses between them closed. Without the query text,
    the operand's own position."""
    inner = leaf_span(operand)
    text = QUERY_TEXT.get()
    start, end = getattr(inner, "start_pos", None), getattr(inner, "end_pos", None)
    if text is None or not isinstance(start, int) or not isinstance(end, int) or end > len(text):
        return inner
    first = node.children[0]
    if isinstance(first, Token) and first.type == "NOT":
        operator = first.start_pos
        between = text[first.end_pos:start]
    else:
        position = start - 1
        while position >= 0 and (text[position].isspace() or text[position] == "("):
            position -= 1
        if position < 0 or text[position] != "!":
            return inner
        operator = position
        between = text[position + 1:start]
    if between.strip(" \t\r\n("):
        return inner  # a comment between the operator and its operand
    for _ in range(between.count("(")):
        while end < len(text) and text[end].isspace():
            end += 1
        if end >= len(text) or text[end] != ")":
            return inner
        end += 1
    return _at(text, operator, end)


def shown(value: Any) -> Any:
    """The event's value a leaf tested, as Sumo Logic shows a field (null: absent)."""
    return MISSING if value is None else text_of(value)


def expression_leaf(node: Any, run: Callable[[dict, int], Any], subject: Callable[[dict, int], Any] | None,
                    condition: Any = None) -> Callable:
    """`run` (a compiled condition: True, False or None for unknown) as a leaf at `node` (a
    tree, token or Span); `subject` gives the value it tested (None: it reads no single field);
    `condition`: the node a non-boolean result is reported at (default `node`)."""
    where = leaf_span(node)
    node = node if condition is None else condition

    def leaf(row: dict, mode: int) -> Any:
        result = run(row, mode)
        probe = explanation._probe
        if probe is None:
            return result
        kleene = result if mode == KLEENE else run(row, KLEENE)
        held = truth(kleene, node) is True
        value = NO_VALUE if subject is None else shown(subject(row, KLEENE))
        out = probe.record(where, value, held)
        return result if out == held else out
    return leaf


def scope_leaf(node: Any, test: Callable[[dict], bool], value_of: Callable[[dict], Any] | None = None,
               subject: str | None = None) -> Callable:
    """A scope term's test as a leaf; a keyword or phrase reads the whole message (no value).
    `subject`: what the value is when the term selects the event's source rather than tests
    what it holds (`_sourceCategory=`, `_index=`: "the event's source category")."""
    return traced(span(node), test, value_of or _no_value, subject)


def _no_value(row: dict) -> Any:
    return NO_VALUE


def stage_leaf(stage: Tree, source: str, width: int) -> Callable[[dict, Any], Any]:
    """A parse / json / keyvalue stage without nodrop as a leaf: `decided(row, found)` takes what
    the stage extracted from the row's `source` field (None: its pattern is missing, so the
    message is dropped) and gives it back, or, flipped, None (dropped) or `width` nulls (kept,
    its fields null, as nodrop keeps it)."""
    where = span(stage)

    def decided(row: dict, found: Any) -> Any:
        probe = explanation._probe
        if probe is None:
            return found
        held = found is not None
        if probe.record(where, shown(row.get(source)), held) == held:
            return found
        return None if held else [None] * width
    return decided


__all__ = ["QUERY_TEXT", "expression_leaf", "leaf_span", "negation_span", "scope_leaf", "shown", "span",
           "stage_leaf"]
