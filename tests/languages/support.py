"""Helpers shared by the language tests.

The mutation property: delete, duplicate or swap pieces of valid queries, and parsing must never
raise, never hang, and report sane diagnostics. Each language splits its seed queries with its
own tokenizer and passes the pieces here; a mutant that parses must get the same tree from the
faster parse loop (lalr.py) as from Lark's. Also: the "expected ..." part of a syntax error, the
position of a tree node or token, and a tree's shape.
"""
from __future__ import annotations

import re
import time

from hypothesis import strategies as st

HANG_GUARD_S = 20.0  # a guard against hangs (minutes), not a speed assertion: generous on a busy machine


@st.composite
def mutated(draw, pieces: list[list[str]]) -> str:
    """A query made from one seed's pieces with one to four deletions, duplications or swaps."""
    parts = list(draw(st.sampled_from(pieces)))
    for _ in range(draw(st.integers(1, 4))):
        if len(parts) < 2:
            break
        i = draw(st.integers(0, len(parts) - 1))
        j = draw(st.integers(0, len(parts) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap"]))
        if action == "delete":
            del parts[i]
        elif action == "duplicate":
            parts.insert(i, parts[i])
        else:
            parts[i], parts[j] = parts[j], parts[i]
    return "".join(parts)


def expected_part(message: str) -> str:
    return message.split("; expected", 1)[1] if "; expected" in message else ""


def at(node) -> tuple[int, int]:
    """1-based (line, column) of a token or a tree node."""
    if hasattr(node, "meta") and not hasattr(node, "type"):
        return node.meta.line, node.meta.column
    return node.line, node.column


def survives(language, text: str, internal: re.Pattern | None = None):
    """Parse `text` and check the result is sane; returns it for language-specific checks."""
    start = time.perf_counter()
    result = language.parse(text)
    assert time.perf_counter() - start < HANG_GUARD_S
    assert isinstance(result.ok, bool)
    lines = max(text.count("\n") + 1, 1)
    for diagnostic in result.diagnostics:
        assert diagnostic.code.startswith(("DAC3", "DAC4")), diagnostic
        assert 1 <= diagnostic.line <= lines and diagnostic.column >= 1, (text, diagnostic)
        if internal is not None and diagnostic.code == "DAC301":
            assert not internal.search(expected_part(diagnostic.message)), diagnostic.message
    assert result.ok == (not any(d.code.startswith("DAC3") for d in result.diagnostics))
    if result.ok and getattr(language, "loop", None) is not None:
        assert shape(result.tree) == shape(lark_tree(language, text)), text
    return result


def yaral_rule(events: str, *, match: str = "", outcome: str = "", condition: str = "$e", options: str = "",
               meta: str = 'author = "tests"') -> str:
    """A minimal YARA-L rule around the given sections (each empty section is left out)."""
    parts = ["rule test_rule {", "  meta:", f"    {meta}", "  events:", f"    {events}"]
    if match:
        parts += ["  match:", f"    {match}"]
    if outcome:
        parts += ["  outcome:", f"    {outcome}"]
    parts += ["  condition:", f"    {condition}"]
    if options:
        parts += ["  options:", f"    {options}"]
    return "\n".join(parts + ["}"])


def shape(node) -> object:
    """A tree as nested tuples, with every token's and node's position: two parses built the
    same tree exactly when their shapes are equal."""
    if hasattr(node, "type") and hasattr(node, "start_pos"):  # a Lark token
        return ("token", node.type, str(node), node.start_pos, node.line, node.column,
                node.end_line, node.end_column, node.end_pos)
    if hasattr(node, "data") and hasattr(node, "children"):  # a Lark tree
        meta = node._meta
        return (node.data, sorted(vars(meta).items()) if meta is not None else None,
                tuple(shape(child) for child in node.children))
    return node


def lark_tree(language, text: str):
    """The tree Lark's own parse loop builds (the reference for the faster loop in lalr.py)."""
    saved = language.__dict__.get("loop")
    language.__dict__["loop"] = None
    try:
        return language._parse(text)[0]
    finally:
        language.__dict__["loop"] = saved


def assert_label_decides_only_when_read(key: str, query: str, filtered: str, event: dict, line: int,
                                        position: tuple[int, int]) -> None:
    """A label stage's condition on query line `line` is no predicate while only the results show
    its value (`query` returns `event`); read by a filter (`filtered` drops it), the same condition
    decides, at `position`."""
    from tooling.languages.explanation import explain

    shown = explain(key, query, event)
    assert shown.matched is True
    assert [leaf.line for leaf in shown.held + shown.failed if leaf.line == line] == []
    decided = explain(key, filtered, event)
    assert decided.matched is False
    assert (decided.line, decided.column) == position
