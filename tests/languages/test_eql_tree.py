"""EQL: the tree (node types and positions), error wording, constructs, and a mutation property test.

Every query here was written for these tests from the Elasticsearch EQL syntax reference.
"""
from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from lark import Tree

from tests.languages.support import at, mutated, survives
from tooling.languages import get_language

EQL = get_language("eql")


def tree_of(query: str) -> Tree:
    result = EQL.parse(query)
    assert result.ok, result.diagnostics
    return result.tree


def kinds(tree: Tree) -> set[str]:
    return {node.data for node in tree.iter_subtrees()}



# --- the tree ---------------------------------------------------------------------------------

REPRESENTATIVE = """sequence by host.id with maxspan=5m
  [process where process.name : ("sc.exe", "net*.exe") and
     not process.args in~ ("query", "qc")] by process.entity_id
  ![file where startsWith~(file.name, "tmp", "x")]
  [registry where registry.value == "Start" and length(registry.path) > 10] by process.entity_id
  until [process where event.type == "end"] by process.entity_id
| head 5"""


def test_representative_tree_nodes_and_positions():
    tree = tree_of(REPRESENTATIVE)
    assert tree.data == "start"
    sequence, pipe = tree.children
    assert sequence.data == "sequence" and at(sequence) == (1, 1)
    keys, maxspan, stages, until = sequence.children
    assert keys.data == "join_keys" and [str(k.children[0]) for k in keys.children] == ["host.id"]
    assert maxspan.data == "maxspan" and [str(t) for t in maxspan.children] == ["5", "m"]
    assert at(maxspan) == (1, 21)

    # stages: a plain stage with keys, a missing-event stage, a plain stage; each starts at its bracket
    assert [s.data for s in stages.children] == ["plain_stage", "plain_stage", "plain_stage"]
    first, missing, third = stages.children
    assert at(first) == (2, 3) and at(missing) == (4, 3) and at(third) == (5, 3)
    assert missing.children[0].data == "missing_subquery"
    assert first.meta.end_line == 3  # ends with its `by` key

    # data sources: one category per stage, as tokens with positions
    categories = [(str(c.children[0]), at(c)) for c in tree.find_data("category")]
    assert categories == [("process", (2, 4)), ("file", (4, 5)), ("registry", (5, 4)), ("process", (6, 10))]

    # filters: field / operator / value(s)
    match = next(tree.find_data("match"))
    field, operator, values = match.children
    assert (str(field.children[0]), str(operator), at(match)) == ("process.name", ":", (2, 18))
    assert values.data == "literal_list" and [str(v) for v in values.children] == ['"sc.exe"', '"net*.exe"']
    not_node = next(tree.find_data("not_"))
    in_node = not_node.children[0]
    assert in_node.data == "in_" and at(not_node) == (3, 6) and at(in_node) == (3, 10)
    assert str(in_node.children[1]) == "in~" and len(in_node.children[2].children) == 2
    comparisons = [(str(c.children[0].children[0]) if c.children[0].data == "field" else c.children[0].data,
                    str(c.children[1]), at(c)) for c in tree.find_data("comparison")]
    assert comparisons == [("registry.value", "==", (5, 19)), ("call", ">", (5, 49)), ("event.type", "==", (6, 24))]

    # function calls: name token, then one child per argument
    calls = [(str(c.children[0]), len(c.children) - 1, at(c)) for c in tree.find_data("call")]
    assert sorted(calls) == [("length", 1, (5, 49)), ("startsWith~", 3, (4, 16))]

    # until with its key, and the pipe stage
    assert until.data == "until" and at(until) == (6, 3)
    assert pipe.data == "pipe" and [str(t) for t in pipe.children] == ["head", "5"] and at(pipe) == (7, 1)


def test_event_query_and_sample_shapes():
    tree = tree_of('any where true | tail 3')
    query = tree.children[0]
    assert query.data == "event_query" and query.children[0].data == "event_filter"
    category = query.children[0].children[0]
    assert category.data == "category" and category.children[0].type == "ANY"

    sample = tree_of('sample by host.id [process where true] by user.name [file where true] by user.name').children[0]
    assert [c.data for c in sample.children] == ["join_keys", "sample_filter", "sample_filter"]


def test_repeated_stage_holds_its_run_count():
    stage = next(tree_of('sequence with maxspan=1m [authentication where true] with runs=5').find_data("repeated_stage"))
    assert stage.children[0].data == "subquery" and str(stage.children[-1]) == "5"


def test_boolean_structure():
    tree = tree_of('process where a == 1 and b == 2 and (c == 3 or not d == 4)')
    top = tree.children[0].children[0].children[1]
    assert top.data == "and_" and top.children[0].data == "and_" and top.children[1].data == "or_"
    assert at(top.children[1]) == (1, 38)  # a parenthesised node starts at its first operand


# --- error wording ----------------------------------------------------------------------------

SEEDS = [
    REPRESENTATIVE,
    'sample by host.id [process where a regex~ """x.*""" and b like "c?"] [file where c >= 1.5e3]',
    '"quoted cat" where f(a, -b, "c\\\\d") == false and not (x % 2 == 1 or ?y.`z w`[0] != null) // c\n| unique a',
    'network where cidrMatch(source.ip, "10.0.0.0/8") and destination.port in (443, 8443) /* c */',
]
INTERNAL = re.compile(r"\b[A-Z][A-Z_]{2,}\b|anon|__|\$END")


@pytest.mark.parametrize("seed", SEEDS)
def test_no_error_names_a_grammar_terminal(seed):
    for end in range(len(seed)):
        for text in (seed[:end], seed[:end] + " )", seed[:end] + " ]"):
            result = EQL.parse(text)
            if result.ok:
                continue
            message = result.diagnostics[0].message
            expected = message.split("; expected", 1)[1] if "; expected" in message else ""
            assert not INTERNAL.search(expected), (text, message)
            assert "anon" not in message.lower() and "__" not in message, (text, message)


@pytest.mark.parametrize("query, words", [
    ('process where true |', "expected a pipe command"),
    ('sequence [', "expected an event category"),
    ('process where a ==', "expected a value"),
    ('process where a in (1', "expected ')', ','"),
    ('sequence with maxspan=5 [a where true]', "a time unit"),
    ('process where a : b', "expected a literal"),
])
def test_errors_speak_eql(query, words):
    result = EQL.parse(query)
    assert not result.ok and words in result.diagnostics[0].message


# --- constructs (issue list and the Elasticsearch EQL syntax reference) -----------------------

CONSTRUCTS = {
    "category where": ('process where process.pid == 4', "event_filter"),
    "any where": ('any where event.category == "process"', "category"),
    "quoted category": ('"my-category.x" where true', "category"),
    "sequence": ('sequence [process where true] [file where true]', "sequence"),
    "sequence by": ('sequence by host.id [process where true] [file where true]', "join_keys"),
    "maxspan": ('sequence with maxspan=30s [process where true] [file where true]', "maxspan"),
    "per-stage by": ('sequence [process where true] by process.pid [file where true] by process.pid', "plain_stage"),
    "until": ('sequence [process where true] [file where true] until [process where true]', "until"),
    "runs": ('sequence [authentication where true] with runs=3', "repeated_stage"),
    "missing event": ('sequence [process where true] ![file where true]', "missing_subquery"),
    "sample by": ('sample by host.id [process where true] [network where true]', "sample_filter"),
    "head": ('process where true | head 10', "pipe"),
    "tail": ('process where true | tail 1', "pipe"),
    "filter pipe": ('process where true | filter process.pid > 4', "pipe"),
    "unique pipe": ('process where true | unique process.name, host.id', "pipe"),
    ": wildcard": ('file where file.name : "*.ps1"', "match"),
    ": list": ('file where file.name : ("*.ps1", "*.vbs")', "literal_list"),
    "like": ('file where file.name like "Invoke-*"', "match"),
    "like~": ('file where file.name like~ ("invoke-*", "iex*")', "literal_list"),
    "in": ('process where process.pid in (1, 2)', "in_"),
    "in~": ('process where process.name in~ ("CMD.EXE", "pwsh.exe")', "in_"),
    "not in": ('process where process.name not in ("a", "b")', "not_in"),
    "not in~": ('process where process.name not in~ ("a", "b")', "not_in"),
    "regex": ('process where process.name regex "c.d\\\\.exe"', "match"),
    "regex~": ('process where process.name regex~ ("c.d", "p.*")', "literal_list"),
    "insensitive function": ('process where startsWith~(process.name, "power")', "call"),
    "cidrMatch": ('network where cidrMatch(source.ip, "10.0.0.0/8", "fe80::/10")', "call"),
    "functions": ('process where between(a, "x", "y", false) == "z" and indexOf(b, "c", 2) > 0 and '
                  'number("10", 16) == add(1, 15) and string(4) == concat("4") and divide(8, 2) == '
                  'multiply(2, 2) and modulo(9, 5) == subtract(5, 1) and endsWith(c, "d") and '
                  'stringContains(e, "f") and substring(g, 0, 2) == "gg" and length(h) > 0', "call"),
    "escaped string": ('file where file.path == "C:\\\\Windows\\\\System32\\\\x.dll\\t\\"q\\" \\u{263A}"', "comparison"),
    "raw string": ('file where file.path : """C:\\Windows\\*\\x.dll"""', "match"),
    "!= null": ('process where process.parent.name != null', "comparison"),
    "optional field": ('process where ?process.parent.name == "x"', "field"),
    "backquoted field": ('process where `my-field`.sub == 1 and @timestamp != null', "field"),
    "comments": ('/* a */ process where // b\n  true /* c */ // d', "event_filter"),
    "comparisons": ('process where a < 1 and b <= 2 and c > 3 and d >= 4 and e != 5 and f == 6', "comparison"),
    "math": ('process where a + 1 - 2 * 3 / 4 % 5 == -6', "arithmetic"),
    "logic": ('process where not (a == 1 or b == 2) and c == 3', "not_"),
    "numbers and booleans": ('process where a == 1.5 and b == 2e3 and c == true and d == false', "comparison"),
    "array index": ('process where process.args[1] == "stop"', "field"),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_construct(name):
    query, node = CONSTRUCTS[name]
    assert node in kinds(tree_of(query))


def test_a_300_line_query():
    lines = ["process where"] + [f'  process.command_line : "*pattern{i}*" or' for i in range(298)] + ["  false"]
    query = "\n".join(lines)
    assert len(query.splitlines()) == 300
    start = time.perf_counter()
    tree = tree_of(query)
    assert time.perf_counter() - start < 20  # a hang guard (a hang takes minutes), generous for a busy machine
    last = list(tree.find_data("match"))
    assert len(last) == 298 and max(at(m)[0] for m in last) == 299


# --- property: mutated queries never crash or hang --------------------------------------------

PIECES = [re.findall(r'"""[^"]*"""|"(?:\\.|[^"\\])*"|\w+|\s+|.', seed) for seed in SEEDS]


@settings(max_examples=200, deadline=None)
@given(mutated(PIECES))
def test_mutated_queries_never_raise_or_hang(text):
    survives(EQL, text)
