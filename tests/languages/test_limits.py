"""Bounds on what a hostile query can make expensive, in all seven languages (issue #26).

95,000 nested brackets took 20 s to well over a minute to report as a syntax error (the error
path copied the parser state, as deep as the nesting, at every token). Now brackets nested beyond
MAX_NESTING are DAC303 before parsing, and the error path is linear on its own.
"""
from __future__ import annotations

import time

import pytest

from tooling.languages import base, get_language

KEYS = ("kql", "spl", "eql", "aql", "sumo", "yaral", "logscale")
# (prefix, innermost condition, suffix) of a query whose condition can be bracketed
SHAPES = {
    "kql": ("T | where ", "A == 1", ""),
    "spl": ("index=a ", "a=1", ""),
    "eql": ("process where ", "a == 1", ""),
    "aql": ("SELECT * FROM events WHERE ", "a = 1", " LAST 1 HOURS"),
    "sumo": ("_sourceCategory=a | where ", "a = 1", ""),
    "yaral": ("rule r { events: ", "$e.a = 1", " condition: $e }"),
    "logscale": ("", "a=1", ""),
}
DEPTH = 95_000


def _query(key: str, depth: int, brackets: str = "()", closed: bool = True) -> str:
    prefix, inner, suffix = SHAPES[key]
    return prefix + brackets[0] * depth + inner + (brackets[1] * depth if closed else "") + suffix


@pytest.mark.parametrize("closed", [True, False], ids=["closed", "unclosed"])
@pytest.mark.parametrize("brackets", ["()", "[]", "{}"])
@pytest.mark.parametrize("key", KEYS)
def test_deep_nesting_is_dac303_quickly(key, brackets, closed):
    query = _query(key, DEPTH, brackets, closed)
    start = time.perf_counter()
    result = get_language(key).parse(query)
    assert time.perf_counter() - start < 5
    assert not result.ok
    (diagnostic,) = result.diagnostics
    # the bracket that goes one beyond the bound (YARA-L's rule body is one more level)
    offset = len(SHAPES[key][0]) + base.MAX_NESTING - (key == "yaral")
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("DAC303", 1, offset + 1)
    assert f"the bound is {base.MAX_NESTING}" in diagnostic.message


@pytest.mark.parametrize("key", KEYS)
def test_nesting_up_to_the_bound_parses(key):
    depth = base.MAX_NESTING - (key == "yaral")
    assert get_language(key).parse(_query(key, depth)).ok
    assert get_language(key).parse(_query(key, depth + 1)).diagnostics[0].code == "DAC303"


def test_brackets_in_strings_do_not_count():
    assert get_language("spl").parse('index=a "' + "(" * 500 + '"').ok
    assert get_language("eql").parse('process where a == "' + "[" * 500 + '"').ok


@pytest.mark.parametrize("key", KEYS)
def test_syntax_errors_in_deep_nesting_take_linear_time(key, monkeypatch):
    # Without the nesting bound: the error path alone must not be quadratic in the depth
    # (AQL took 97 s at 95,000 levels).
    # At 80,000 levels the quadratic path took 15 s or more in every language (21-97 s at 95,000);
    # the linear one takes about 1 s: 6 s leaves room for a busy machine and still tells them apart.
    monkeypatch.setattr(base, "MAX_NESTING", 10**9)
    language = get_language(key)
    language.parse(_query(key, 100, closed=False))  # the parser is built before timing

    start = time.perf_counter()
    result = language.parse(_query(key, 80_000, closed=False))
    spent = time.perf_counter() - start
    assert spent < 6, f"{spent:.2f} s at 80,000 levels"
    assert not result.ok
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "DAC301" and "')'" in diagnostic.message.partition("expected")[2]
