"""Sumo Logic: the parse tree (named nodes with positions), error wording, construct coverage
and a mutation property test. Queries are written for these tests, not copied from a corpus."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from lark import Token, Tree

from tests.languages.support import expected_part, mutated, survives
from tooling.languages import get_language
from tooling.languages.sumo.tree import (
    aggregate_head, field_name, first_token, operator_name, pipelines, scope_of, stages, subtrees,
)


@pytest.fixture(scope="module")
def sumo():
    return get_language("sumo")


def _tree(sumo, query):
    result = sumo.parse(query)
    assert result.ok, result.diagnostics
    return result.tree


def _find(tree, name):
    return [node for node in subtrees(tree) if node.data == name]


# --------------------------------------------------------------------------- the tree

REPRESENTATIVE = '''_sourceCategory=windows/sysmon "sc.exe" !debug
| parse "user=* host=*" as user, host nodrop
| parse regex field=msg "pid=(?<pid>\\d+)"
| json field=_raw "EventData.Image" as image
| where image matches "*\\\\sc.exe" and !isNull(user) or pid in ("4", "8")
| toLowerCase(user) as user
| n = pid + 1
| count as hits, count_distinct(host) by user, _sourceHost
| sort by hits desc
| compare with timeshift 1d'''


def test_representative_query_tree_has_named_nodes_with_positions(sumo):
    tree = _tree(sumo, REPRESENTATIVE)
    assert tree.data == "start"

    # the scope: the data source and keywords, with positions
    scope = scope_of(tree)
    assert scope is not None and (scope.meta.line, scope.meta.column) == (1, 1)
    search = _find(scope, "field_search")[0]
    field, op, value = search.children
    assert (str(field), str(op), str(value)) == ("_sourceCategory", "=", "windows/sysmon")
    assert (search.meta.line, search.meta.column, search.meta.end_column) == (1, 1, 31)
    assert [str(p.children[0]) for p in _find(scope, "phrase")] == ['"sc.exe"']
    negation = _find(scope, "scope_negation")[0]
    assert str(first_token(negation)) == "debug" and negation.meta.column == 42

    # one stage node per operator, by name, with positions
    names = [s.data for s in stages(tree)]
    assert names == ["parse_cmd", "parse_cmd", "json_cmd", "where_cmd", "eval_cmd", "assign_cmd",
                     "aggregate_cmd", "sort_cmd", "generic_cmd"]
    assert [operator_name(s) for s in stages(tree)] == [
        "parse", "parse", "json", "where", "tolowercase", "assign", "count", "sort", "compare"]
    assert [(s.meta.line, s.meta.column) for s in stages(tree)] == [
        (2, 3), (3, 3), (4, 3), (5, 3), (6, 3), (7, 3), (8, 3), (9, 3), (10, 3)]

    # parse: pattern and its output fields
    anchor = _find(stages(tree)[0], "parse_pattern")[0]
    assert str(anchor.children[0]) == '"user=* host=*"'
    assert [str(f) for f in anchor.children[1].children] == ["user", "host"]
    assert anchor.children[1].data == "parse_fields"
    assert (anchor.meta.line, anchor.meta.column) == (2, 9)

    # json: paths and output fields
    paths = _find(stages(tree)[2], "json_paths")[0]
    assert str(paths.children[0]) == '"EventData.Image"'
    assert [str(f) for f in paths.children[1].children] == ["image"]

    # where: every filter as field / operator / value
    where = stages(tree)[3]
    matches = _find(where, "matches")[0]
    assert [str(c) for c in matches.children] == ["image", "matches", '"*\\\\sc.exe"']
    assert (matches.meta.line, matches.meta.column) == (5, 9)
    in_list = _find(where, "in")[0]
    assert field_name(in_list.children[0]) == "pid"
    assert [str(c) for c in in_list.children[2:]] == ['"4"', '"8"']
    assert (in_list.meta.line, in_list.meta.column) == (5, 56)
    # precedence: (a and b) or c
    assert where.children[0].type == "WHERE"
    top = where.children[-1]
    assert top.data == "or" and top.children[0].data == "and"
    negation = _find(where, "not")[0]
    call = negation.children[-1]
    assert call.data == "call" and str(call.children[0]) == "isNull" and str(call.children[1]) == "user"
    assert (call.meta.line, call.meta.column) == (5, 40)

    # assignment: target and value
    assign = stages(tree)[5]
    assert str(assign.children[0]) == "n" and assign.children[1].data == "arith"

    # aggregation: functions, aliases and group keys
    aggregate = stages(tree)[6]
    assert aggregate_head(aggregate)[0] == "count"
    by = _find(aggregate, "by_clause")[0]
    assert [str(k.children[0]) for k in by.children] == ["user", "_sourceHost"]
    distinct = _find(aggregate, "call")[0]
    assert str(distinct.children[0]) == "count_distinct"
    assert (distinct.meta.line, distinct.meta.column) == (8, 18)

    # an operator without its own rule: name and arguments
    compare = stages(tree)[8]
    assert [str(c) for c in compare.children] == ["compare", "with", "timeshift", "1d"]


def test_precedence_levels(sumo):
    where = stages(_tree(sumo, "x | where a = 1 or b = 2 and not c > 3 + 4 * 5"))[0]
    top = where.children[-1]
    assert top.data == "or"
    assert top.children[0].data == "compare"
    right = top.children[2]
    assert right.data == "and" and right.children[2].data == "not"
    comparison = right.children[2].children[-1]
    assert comparison.data == "compare" and str(comparison.children[1]) == ">"
    total = comparison.children[2]
    assert total.data == "arith" and str(total.children[1]) == "+"
    assert total.children[2].data == "arith" and str(total.children[2].children[1]) == "*"


def test_ternary_and_in_list(sumo):
    stage = stages(_tree(sumo, 'x | status >= 500 ? "bad" : "ok" as verdict'))[0]
    assert stage.data == "eval_cmd"
    conditional = stage.children[0].children[0]
    assert conditional.data == "conditional" and conditional.children[0].data == "compare"
    assert str(stage.children[0].children[1]) == "verdict"


def test_parse_with_several_patterns_groups_fields(sumo):
    stage = stages(_tree(sumo, 'x | parse "a=*;" as a, "b=* c=*" as (b, c) nodrop'))[0]
    patterns = _find(stage, "parse_pattern")
    assert [str(p.children[0]) for p in patterns] == ['"a=*;"', '"b=* c=*"']
    assert [[str(f) for f in p.children[1].children] for p in patterns] == [["a"], ["b", "c"]]
    assert [str(o.children[0]) for o in _find(stage, "parse_option")] == ["nodrop"]


def test_pipelines_include_subqueries_and_join_tables(sumo):
    tree = _tree(sumo, 'a [subquery: b | json "ip" as ip | compose ip] | join (parse "x=*" as x) as t1, '
                       '(parse "y=*" as y) as t2 on t1.x = t2.y')
    kinds = [[n.data for n in p] for p in pipelines(tree)]
    assert kinds[0] == ["scope", "join_cmd"]
    assert ["scope", "json_cmd", "generic_cmd"] in kinds
    assert kinds.count(["parse_cmd"]) == 2


def test_every_node_has_a_position(sumo):
    tree = _tree(sumo, REPRESENTATIVE)
    for node in subtrees(tree):
        assert not node.meta.empty
        assert node.meta.line >= 1 and node.meta.column >= 1
        assert (node.meta.end_line, node.meta.end_column) >= (node.meta.line, node.meta.column)


# --------------------------------------------------------------------------- error wording

GOOD = [
    REPRESENTATIVE,
    '_index=sec_record_* (error OR "failed login") | json auto | where x > 1 | count by user | top 5 user by _count',
    "_sourceCategory=fw | lookup country_name from geo://location on ip = src_ip | timeslice 1h "
    "| count by _timeslice, country_name | transpose row _timeslice column country_name",
    '_sourceCategory=db | join (parse "s=*" as s) as a, (parse "e=*" as e) as b on a.s = b.e timewindow 5m',
]
TERMINAL_NAME = re.compile(r"\b[A-Z][A-Z_]{2,}\b|anon|__")




def test_errors_never_name_grammar_terminals(sumo):
    checked = 0
    for query in GOOD:
        for end in range(1, len(query)):
            result = sumo.parse(query[:end])
            for diagnostic in result.diagnostics:
                if diagnostic.code != "DAC301":
                    continue
                checked += 1
                expected = expected_part(diagnostic.message)
                assert not TERMINAL_NAME.search(expected), (query[:end], diagnostic.message)
                assert "token" not in expected, diagnostic.message
    assert checked > 100


@pytest.mark.parametrize("query, wanted", [
    ("x |", "expected an operator (where, parse, json, count"),
    ("x | where a >", "expected a value (field, number, string, function call or '(')"),
    ("x | where (a = 1", "expected ')'"),
    ("x | count by a ]", "or the end of the query"),
    ("x | limit ten", "expected a number"),
    ('x | parse "a=*" as', "a field name"),
    ("x | json", 'a "quoted string"'),
    ("_sourceCategory=", "a search keyword"),
])
def test_errors_say_what_was_expected_in_sumo_words(sumo, query, wanted):
    result = sumo.parse(query)
    assert not result.ok
    assert wanted in result.diagnostics[0].message


# --------------------------------------------------------------------------- constructs

CONSTRUCTS = [
    # issue: constructs seen in real queries
    ("_sourceCategory=prod/web _index=web_logs", []),
    ("_sourceCategory=prod/* AND (error OR warn*) NOT debug", []),
    ('_index=sec_record_normalization "login" !success', []),
    ('x | parse "a*b" as x', ["parse_cmd"]),
    ('x | parse "a=* b=*" as x, y nodrop', ["parse_cmd"]),
    ('x | parse regex "(?<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)" multi nodrop', ["parse_cmd"]),
    ('x | json auto "a", "b" as x, y nodrop', ["json_cmd"]),
    ("x | csv _raw extract 1 as a, 2 as b", ["generic_cmd"]),
    ("x | keyvalue auto", ["generic_cmd"]),
    ("x | split line delim=',' extract 1 as a, 2 as b", ["generic_cmd"]),
    ('x | where a matches "*x*" and b in ("1", "2") and isNull(c) and !isBlank(d)', ["where_cmd"]),
    ('x | if(a > 1, "big", "small") as size', ["eval_cmd"]),
    ('x | a > 1 ? "big" : "small" as size', ["eval_cmd"]),
    ("x | count by user", ["aggregate_cmd"]),
    ("x | count_distinct(user) by host", ["aggregate_cmd"]),
    ("x | sum(b) as s, avg(b), min(b), max(b), pct(b, 95) by host", ["aggregate_cmd"]),
    ("x | timeslice 1h | count by _timeslice", ["timeslice_cmd", "aggregate_cmd"]),
    ("x | count by _timeslice, s | transpose row _timeslice column s", ["aggregate_cmd", "transpose_cmd"]),
    ("x | timeslice 1h | count by _timeslice | fillmissing timeslice(1h)",
     ["timeslice_cmd", "aggregate_cmd", "generic_cmd"]),
    ("x | top 10 user by _count", ["top_cmd"]),
    ("x | count by u | sort by _count desc, u asc | limit 10", ["aggregate_cmd", "sort_cmd", "limit_cmd"]),
    ("x | fields a, b | fields - c", ["fields_cmd", "fields_cmd"]),
    ("x | lookup country_name from geo://location on ip = src_ip", ["lookup_cmd"]),
    ('x | %"dotted.field" as d | count by %"other.field"', ["eval_cmd", "aggregate_cmd"]),
    ('x | where _raw matches "*error*"', ["where_cmd"]),
    ("x\n// | where a = 1\n| count", ["aggregate_cmd"]),
    ("x | timeslice 1m | count by _timeslice | outlier _count window=10, threshold=3",
     ["timeslice_cmd", "aggregate_cmd", "generic_cmd"]),
    ("x | timeslice 1h | count by _timeslice | compare with timeshift 1d 3",
     ["timeslice_cmd", "aggregate_cmd", "generic_cmd"]),
    # official reference: search, parse, aggregate operators, math and transactions
    ("x | accum _count as running", ["generic_cmd"]),
    ('x | "constant" as label', ["eval_cmd"]),
    ("x | backshift _count, 1 by host", ["generic_cmd"]),
    ("x | base64Decode(payload) as decoded", ["eval_cmd"]),
    ("x | concat(a, ':', b) as ab | contains(ab, 'x') as has_x", ["eval_cmd", "eval_cmd"]),
    ("x | decToHex(n) as h | hexToDec(h) as d | hexToAscii(h) as a", ["eval_cmd"] * 3),
    ("x | dedup 5 by user", ["generic_cmd"]),
    ("x | diff _count by host", ["generic_cmd"]),
    ('x | format("%s-%s", a, b) as ab | formatDate(now(), "yyyy-MM-dd") as day', ["eval_cmd"] * 2),
    ("x | geoip src_ip", ["generic_cmd"]),
    ('x | hash(user, "sha256") as h | haversine(1, 2, 3, 4) as km', ["eval_cmd"] * 2),
    ("x | ipv4ToNumber(ip) as n | isPrivateIP(ip) as p | isValidIP(ip) as v", ["eval_cmd"] * 3),
    ('x | jsonArrayContains(tags, "a") as t | jsonArraySize(tags) as n | length(user) as l',
     ["eval_cmd"] * 3),
    ('x | where lookupContains(path://"/Library/Users/me/iocs", ip)', ["where_cmd"]),
    ("x | luhn(card) as ok | num(bytes) as b | toLong(b) as l", ["eval_cmd"] * 3),
    ("x | queryStartTime() as s | queryEndTime() as e | queryTimeRange() as r", ["eval_cmd"] * 3),
    ('x | replace(cmd, /\\s+/, " ") as cmd | substring(cmd, 0, 10) as c | trim(c) as c', ["eval_cmd"] * 3),
    ("x | urldecode(u) as u | urlencode(u) as e | toUpperCase(u) as up", ["eval_cmd"] * 3),
    ("x | count by _timeslice | predict _count by 1h model=ar", ["aggregate_cmd", "generic_cmd"]),
    ("x | count by _timeslice | smooth _count, 5 | rollingstd _count, 5", ["aggregate_cmd", "generic_cmd", "generic_cmd"]),
    ("x | count by host | total _count as all", ["aggregate_cmd", "generic_cmd"]),
    ("x | topk(5, _count) by host", ["aggregate_cmd"]),
    ("x | median(b), stddev(b), values(u), most_recent(u), least_recent(u), first(u), last(u) by h",
     ["aggregate_cmd"]),
    ("x | count by ip | save /shared/lookups/seen_ips", ["aggregate_cmd", "save_cmd"]),
    ("x | threatip src_ip", ["generic_cmd"]),
    ('x | transactionize id (merge msg join with "\\n" takeFirst)', ["generic_cmd"]),
    ("x | logreduce", ["eval_cmd"]),
    ("x | abs(a) + ceil(b) * floor(c) / round(d) % 2 as m | sqrt(pow(e, 2)) as r", ["eval_cmd"] * 2),
    ("x | where a = 1 | count as n by user | filter user in (sum(n) by user | top 5 user by _sum)",
     ["where_cmd", "aggregate_cmd", "filter_cmd"]),
    ("a [subquery from=(-2d): b | compose user] | count", ["aggregate_cmd"]),
]


@pytest.mark.parametrize("query, stage_names", CONSTRUCTS)
def test_construct_parses_into_its_stages(sumo, query, stage_names):
    tree = _tree(sumo, query)
    assert [s.data for s in stages(tree)] == stage_names


# --------------------------------------------------------------------------- mutation property

SEEDS = [REPRESENTATIVE] + GOOD[1:] + [q for q, _ in CONSTRUCTS[::5]]
PIECES = re.compile(r'"(?:[^"\\\n]|\\.)*"|\s+|\w+|[^\w\s]')


def _pieces(query: str) -> list[str]:
    return PIECES.findall(query)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated([_pieces(seed) for seed in SEEDS]))
def test_mutated_queries_never_raise_or_hang(query):
    result = survives(get_language("sumo"), query, TERMINAL_NAME)
    if result.ok:
        assert isinstance(result.tree, Tree)
        for token in result.tree.scan_values(lambda v: isinstance(v, Token)):
            assert token.line >= 1
