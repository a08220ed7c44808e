"""The LogScale parse tree (documented in tooling/languages/logscale/__init__.py), syntax-error
wording, one test per construct of the issue and of the CQL reference, and a mutation property
test."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from lark import Token, Tree

from tests.languages.test_logscale import INVALID, T1562, VALID
from tests.languages.support import at, expected_part, mutated, survives
from tooling.languages import get_language

LANG = get_language("logscale")

QUERY = """\
#event_simpleName=ProcessRollup2 event_platform=Win CommandLine=/-enc/i "powershell"
| !in(field="UserName", values=["SYSTEM"])
| Length := length(CommandLine)
| groupBy([aid, ComputerName], function=[count(as=n), collect([CommandLine], limit=5)])
"""


def tree_of(query: str) -> Tree:
    result = LANG.parse(query)
    assert result.ok, result.diagnostics
    return result.tree



def kinds(tree: Tree) -> set[str]:
    return {node.data for node in tree.iter_subtrees()}


def test_tree_of_a_representative_query():
    tree = tree_of(QUERY)
    assert tree.data == "start"
    (pipeline,) = tree.children
    stages = pipeline.children
    assert [s.data for s in stages] == ["stage"] * 4
    assert [at(s) for s in stages] == [(1, 1), (2, 3), (3, 3), (4, 3)]

    # Stage 1: implicit AND of a tag filter, a field filter, a regex filter on a field, free text.
    filters = stages[0].children[0]
    assert filters.data == "filter_and"
    tag, platform, command, text = filters.children
    assert tag.data == "tag_filter" and at(tag) == (1, 1)
    assert [str(c) if isinstance(c, Token) else c.data for c in tag.children] == [
        "#event_simpleName", "compare_op", "ProcessRollup2"]
    assert str(tag.children[1].children[0]) == "="
    assert platform.data == "comparison" and at(platform) == (1, 34)
    assert command.data == "comparison" and command.children[2].type == "REGEX"
    assert at(command.children[2]) == (1, 65)
    assert text.data == "freetext" and str(text.children[0]) == '"powershell"' and at(text) == (1, 73)

    # Stage 2: a negated filter function with named arguments.
    negated = stages[1].children[0]
    assert negated.data == "not_filter"
    call = negated.children[-1]
    assert call.data == "call" and str(call.children[0]) == "in" and at(call) == (2, 4)
    arguments = call.children[1].children
    assert [a.data for a in arguments] == ["named_argument", "named_argument"]
    assert [str(a.children[0]) for a in arguments] == ["field", "values"]
    assert at(arguments[1]) == (2, 25) and arguments[1].children[1].data == "list"

    # Stage 3: an assignment whose value is a call with a positional argument.
    assignment = stages[2].children[0]
    assert assignment.data == "assignment" and str(assignment.children[0]) == "Length"
    value = assignment.children[1]
    assert value.data == "call" and at(value) == (3, 13)
    assert value.children[1].children[0].data == "positional_argument"

    # Stage 4: groupBy with a field list and nested aggregates.
    group = stages[3].children[0]
    assert group.data == "call" and str(group.children[0]) == "groupBy"
    fields, function = group.children[1].children
    assert fields.data == "positional_argument" and at(fields) == (4, 11)
    assert [str(t) for t in fields.children[0].children] == ["aid", "ComputerName"]
    assert function.data == "named_argument" and at(function) == (4, 32)
    aggregates = function.children[1].children
    assert [str(c.children[0]) for c in aggregates] == ["count", "collect"]
    assert at(aggregates[1]) == (4, 55)


def test_tree_of_statements_and_subqueries():
    tree = tree_of("| case { #a=1 | x := 1 ; * }\n| s match { \"a\" => y := 2 ; * => y := 3 }\n"
                   "| join({#b=2 | k=*}, field=aid) | [count(), {z=1 | count()}] | $m(q=1)")
    assert {"case_stmt", "case_branch", "match_stmt", "match_clause", "subquery",
            "aggregate_list", "saved_search", "tag_filter"} <= kinds(tree)
    case = next(tree.find_data("case_stmt"))
    assert len([c for c in case.children if isinstance(c, Tree)]) == 2
    match = next(tree.find_data("match_stmt"))
    assert str(match.children[0]) == "s" and at(match) == (2, 3)
    subquery = next(tree.find_data("subquery"))
    assert at(subquery) == (3, 8) and subquery.children[0].data == "pipeline"


def test_bare_regex_and_like_and_in_and_function_match_nodes():
    tree = tree_of("/x(?<n>\\d)/i | u like \"a*\" | s in [1, 2] | f =~ wildcard(\"x\")")
    assert {"regex_filter", "like", "in_list", "function_match"} <= kinds(tree)


# ------------------------------------------------------------------------------ error wording
INTERNAL = re.compile(r"\b[A-Z_]{3,}\b|anon|__")
PREFIX_SOURCES = [QUERY, T1562,
                  "| case { a=1 | b := \"x\" ; * }\n| s match { /r/ => t := 1 ; * => t := 2 }",
                  "correlate(a: { x=1 } include: [x], sequence=false) | $\"p/n\"(v=?p)"]




def test_no_prefix_error_names_an_internal_terminal():
    for source in PREFIX_SOURCES:
        for end in range(1, len(source)):
            for diagnostic in LANG.parse(source[:end]).diagnostics:
                if diagnostic.code == "DAC301":
                    assert not INTERNAL.search(expected_part(diagnostic.message)), \
                        (source[:end], diagnostic.message)


@pytest.mark.parametrize("query", INVALID)
def test_invalid_query_errors_use_the_languages_words(query):
    (diagnostic,) = LANG.parse(query).diagnostics
    assert not INTERNAL.search(expected_part(diagnostic.message)), diagnostic.message


@pytest.mark.parametrize("query, words", [
    ("a=", ["a word or pattern", "a quoted string", "a /regex/"]),
    ("x := ", ["a field name or value", "a quoted string"]),
    ("groupBy(x", ["')'", "','", "a comparison operator"]),
    ("x := (a + b", ["')'", "an arithmetic operator"]),
    ("groupBy(x))", ["'|'", "the end of the query"]),
])
def test_expected_lists_read_as_cql(query, words):
    (diagnostic,) = LANG.parse(query).diagnostics
    for word in words:
        assert word in diagnostic.message, diagnostic.message


# ------------------------------------------------------------------------------ constructs
CONSTRUCTS = {
    "pipeline": ("a=1 | b=2 | c=3", "stage"),
    "implicit and": ("error user=admin", "filter_and"),
    "and or not": ("a=1 AND (b=2 OR NOT c=3)", "filter_or"),
    "parentheses": ("(a=1 or b=2) c=3", "filter_or"),
    "tag filter": ("#event_simpleName=ProcessRollup2", "tag_filter"),
    "repo tag": ("#repo=base_sensor #type=falcon-raw-data", "tag_filter"),
    "glob value": ("CommandLine=*mimikatz* FileName=*.exe", "comparison"),
    "not equal": ("status!=200", "comparison"),
    "less than": ("bytes<1000", "comparison"),
    "greater or equal": ("bytes>=1000", "comparison"),
    "field equality": ("a <=> b", "comparison"),
    "like": ("UserName like \"adm*\"", "like"),
    "in list": ("status in [200, 204]", "in_list"),
    "at fields": ("@timestamp>0 @rawstring=/x/", "comparison"),
    "dotted field": ("Vendor.userIdentity.arn=*admin*", "comparison"),
    "indexed field": ("parts[0]=C: x[1].y=2", "comparison"),
    "array field": ("| array:length(\"tags[]\")", "call"),
    "field regex": ("CommandLine=/-enc\\s/i", "comparison"),
    "bare regex": ("/(?<user>\\w+)@corp/", "regex_filter"),
    "function match": ("aid =~ wildcard(\"ab*\", ignoreCase=true)", "function_match"),
    "assignment": ("| risk := severity * 10 + 1", "assignment"),
    "quoted assignment": ("| \"Display Name\" := format(\"%s\", field=[u])", "assignment"),
    "named arguments": ("| groupBy(aid, function=count(as=n), limit=max)", "named_argument"),
    "array literal": ("| table([a, b, c])", "list"),
    "nested aggregates": ("| groupBy(x, function=[count(y, distinct=true), collect([z])])", "list"),
    "namespaced function": ("| n := array:length(\"a[]\")", "call"),
    "join subquery": ("| join({#event_simpleName=DnsRequest}, field=aid)", "subquery"),
    "defineTable": ("defineTable(query={x=1}, name=\"t\", include=[a]) | match(table=\"t\", field=a)",
                    "subquery"),
    "correlate": ("correlate(a: { x=1 } include: [x], b: { y=1 | x <=> a.x } include: [y], "
                  "sequence=true, within=10m)", "labelled_query"),
    "case": ("| case { x=1 | y := 1 ; * }", "case_branch"),
    "match": ("| s match { \"a\" => y := 1 ; * => y := 2 }", "match_clause"),
    "if": ("| y := if(x > 1, then=\"big\", else=\"small\")", "call"),
    "test": ("| test(a > b)", "call"),
    "in function": ("| in(field=x, values=[\"a\", \"b\"], ignoreCase=true)", "call"),
    "parameter": ("ComputerName=?ComputerName", "comparison"),
    "parameter default": ("UserName=?{UserName=\"*\"}", "comparison"),
    "saved search quoted": ("| $\"crowdstrike/fltr-core:zComputerName\"()", "saved_search"),
    "saved search path": ("| $falcon/helper:enrich(field=ProductType)", "saved_search"),
    "line comment": ("a=1 // why\n| b=2", "stage"),
    "block comment": ("a=1 /* why\n more */ | /* here */ b=2", "stage"),
    "aggregate list": ("| [count(), max(x)]", "aggregate_list"),
    "eval": ("| eval(y = x * 2)", "call"),
    "negation bang": ("!status=200", "not_filter"),
    "filter function negated": ("!cidr(ip, subnet=\"10.0.0.0/8\")", "not_filter"),
    "time span": ("| bucket(span=1h) | timeChart(span=15m, function=count())", "call"),
    "negative number": ("| x := -5 * y", "negate"),
    "modulo": ("| x := y % 7", "expr_product"),
    "escaped string": ("CommandLine=\"say \\\"hi\\\"\"", "comparison"),
    "multi-line string": ("| createEvents([\"a=1\n\", \"b=2\"])", "call"),
    "match all": ("*", "freetext"),
    "setTimeInterval": ("setTimeInterval(start=7d) | x=1", "call"),
    "readFile": ("readFile(\"hosts.csv\") | x=1", "call"),
    "parseJson": ("| parseJson(field=msg, prefix=\"j.\")", "call"),
    "sort top head": ("| sort(n, order=desc, limit=10) | top(x, limit=5) | head(3)", "call"),
    "regex function": ("| regex(\"u=(?<u>\\\\S+)\", field=@rawstring, strict=false)", "call"),
    "ioc lookup": ("| ioc:lookup(field=[RemoteIP], type=ip_address)", "call"),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_construct_parses_to_its_node(name):
    query, node = CONSTRUCTS[name]
    assert node in kinds(tree_of(query))


# ------------------------------------------------------------------------------ properties
PIECES = re.compile(r"\s+|[()\[\]{}|,;=!<>:]")
SEEDS = [q for q in VALID if len(q) < 400] + [QUERY, T1562]


def _tokens(query: str) -> list[str]:
    parts, last = [], 0
    for match in PIECES.finditer(query):
        if match.start() > last:
            parts.append(query[last:match.start()])
        parts.append(match.group(0))
        last = match.end()
    if last < len(query):
        parts.append(query[last:])
    return parts


@settings(max_examples=200, deadline=None)
@given(mutated([_tokens(seed) for seed in SEEDS]))
def test_mutated_queries_never_raise_and_return_quickly(query):
    survives(LANG, query, INTERNAL)
