"""The SPL parse tree as later analysis reads it: node types, positions and the tree helpers."""
from __future__ import annotations

from lark import Token, Tree

from tooling.languages import get_language
from tooling.languages.spl import tree as spl_tree

SPL = get_language("spl")

QUERY = '''`sysmon` index=win EventCode=1 NOT User IN ("SYSTEM", "LOCAL SERVICE")
| where match(CommandLine, "(?i)stop") AND len(Image) > 3
| eval Indicator=if(EventCode=1, "process", "other")
| stats count min(_time) as firstTime by host, User'''


def parse(query: str) -> Tree:
    result = SPL.parse(query)
    assert result.ok, result.diagnostics
    return result.tree


def pos(node) -> tuple[int, int]:
    if isinstance(node, Token):
        return node.line, node.column
    return node.meta.line, node.meta.column


def test_walk_of_a_representative_query():
    tree = parse(QUERY)
    pipeline = tree.children[0]
    assert pipeline.data == "pipeline"
    assert [c.data for c in pipeline.children] == ["base_search", "where_cmd", "eval_cmd", "stats_cmd"]

    # the base search: a macro, two comparisons and a negated IN list, implicitly ANDed
    search = pipeline.children[0].children[0]
    assert search.data == "search_and" and pos(search) == (1, 1)
    macro, index, code, negation = search.children
    assert (macro.type, str(macro), pos(macro)) == ("MACRO", "`sysmon`", (1, 1))
    assert index.data == "comparison" and pos(index) == (1, 10)
    assert [str(c) for c in index.children] == ["index", "=", "win"]
    assert [pos(c) for c in code.children] == [(1, 20), (1, 29), (1, 30)]
    assert negation.data == "search_negation" and pos(negation) == (1, 32)
    in_list = negation.children[0]
    assert in_list.data == "in_list" and pos(in_list) == (1, 36)
    assert [str(c) for c in in_list.children] == ["User", '"SYSTEM"', '"LOCAL SERVICE"']
    assert pos(in_list.children[2]) == (1, 55)

    # where: AND of a call and a comparison whose left side is a call
    where = pipeline.children[1]
    assert pos(where) == (2, 3)
    conjunction = where.children[0]
    assert conjunction.data == "and_expr"
    match, compare = conjunction.children
    assert match.data == "call" and str(match.children[0]) == "match" and pos(match) == (2, 9)
    arguments = match.children[1]
    assert arguments.data == "arguments"
    assert [(str(a), pos(a)) for a in arguments.children] == [("CommandLine", (2, 15)),
                                                               ('"(?i)stop"', (2, 28))]
    assert compare.data == "compare" and [str(c) for c in compare.children[1:]] == [">", "3"]
    length = compare.children[0]
    assert length.data == "call" and str(length.children[0]) == "len" and pos(length) == (2, 44)

    # eval: one assignment whose value is a call with three arguments
    assignment = pipeline.children[2].children[0]
    assert assignment.data == "assignment" and pos(assignment) == (3, 8)
    target, value = assignment.children
    assert (target.type, str(target)) == ("NAME", "Indicator")
    assert value.data == "call" and str(value.children[0]) == "if" and pos(value) == (3, 18)
    condition, then, otherwise = value.children[1].children
    assert condition.data == "compare" and pos(condition) == (3, 21)
    assert [str(then), str(otherwise)] == ['"process"', '"other"']

    # stats: aggregations (with an alias) and by fields
    stats = pipeline.children[3]
    assert [c.data for c in stats.children] == ["stats_name", "aggregation", "aggregation", "by_clause"]
    count, minimum, by = stats.children[1:]
    assert count.children[0].data == "agg_name" and str(count.children[0].children[0]) == "count"
    function, alias = minimum.children
    assert function.data == "agg_func" and [str(c) for c in function.children] == ["min", "_time"]
    assert (str(alias), pos(alias)) == ("firstTime", (4, 29))
    assert [(str(f), pos(f)) for f in by.children] == [("host", (4, 42)), ("User", (4, 48))]


def test_commands_by_name_with_positions():
    tree = parse(QUERY + "\n| `drop_dm(x)`\n| tabel a\n| foreach a* [eval <<FIELD>>=1]\n| sort - a")
    found = [(name, pos(node)) for name, node in spl_tree.commands(tree)]
    assert found == [("where", (2, 3)), ("eval", (3, 3)), ("stats", (4, 3)), ("`drop_dm(x)`", (5, 3)),
                     ("tabel", (6, 3)), ("foreach", (7, 3)), ("eval", (7, 15)), ("sort", (8, 3))]


def test_commands_in_subsearches_and_generating_commands():
    tree = parse("| inputlookup a.csv | append [search index=b | rex \"(?<u>x)\"] | rename a as b")
    assert [name for name, _ in spl_tree.commands(tree)] == ["inputlookup", "append", "rex", "rename"]
    assert spl_tree.command_name(Tree("nonsense", [])) is None and spl_tree.command_name("x") is None


def test_filters_give_field_operator_values_and_negation():
    tree = parse('index=a NOT (user=root OR NOT user!=admin) port>=1024 cmd IN (a, "b c")')
    found = [(f.field, f.operator, f.values, f.negated, pos(f.node)) for f in spl_tree.filters(tree)]
    assert found == [("index", "=", ("a",), False, (1, 1)),
                     ("user", "=", ("root",), True, (1, 14)),
                     ("user", "!=", ("admin",), False, (1, 31)),
                     ("port", ">=", ("1024",), False, (1, 44)),
                     ("cmd", "IN", ("a", '"b c"'), False, (1, 55))]


def test_filters_of_tstats_where_and_search_command():
    tree = parse('| tstats count where nodename=All_Traffic All_Traffic.dest_port=3389 by host'
                 ' | search count>5')
    assert [(f.field, f.operator, f.values) for f in spl_tree.filters(tree)] == [
        ("nodename", "=", ("All_Traffic",)), ("All_Traffic.dest_port", "=", ("3389",)),
        ("count", ">", ("5",))]


def test_data_sources():
    tree = parse('`sysmon` sourcetype=XmlWinEventLog source="Sysmon" | stats count')
    assert spl_tree.data_sources(tree) == [("macro", "`sysmon`"), ("sourcetype", "XmlWinEventLog"),
                                           ("source", '"Sysmon"')]
    tree = parse("| tstats count from datamodel=Endpoint.Processes where index=edr by host "
                 "| append [| inputlookup append=t assets.csv]")
    assert spl_tree.data_sources(tree) == [("datamodel", "Endpoint.Processes"), ("index", "edr"),
                                           ("inputlookup", "assets.csv")]
    assert spl_tree.data_sources(None) == [] and list(spl_tree.filters(None)) == []


def test_term_directive_and_search_or_are_named_nodes():
    tree = parse("index=a TERM(10.0.0.1) | tstats count where a=1 OR b=2 c=3")
    directive = next(tree.find_data("term_directive"))
    assert [str(c) for c in directive.children] == ["TERM(", "10.0.0.1"] and pos(directive) == (1, 9)
    where = next(tree.find_data("tstats_where")).children[0]
    assert where.data == "search_and" and where.children[0].data == "search_or"


def test_commas_leave_no_empty_nodes():
    tree = parse("index=a | stats count, dc(x) by a , b | table a , b | foreach a , b [eval x=1]")
    assert all(node.children for node in tree.iter_subtrees())
