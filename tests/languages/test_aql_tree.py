"""The AQL parse tree as later analysis reads it, syntax error wording, and a mutation property test.

Queries written for these tests."""
from __future__ import annotations

import re

from hypothesis import given, settings
from lark import Token, Tree

from tests.languages.support import expected_part, mutated, survives
from tooling.languages import get_language
from tooling.languages.aql.nodes import (
    call_arguments, call_name, calls, clause, field_name, has_time_range, predicates, source,
    start_of, statements, table_name,
)

AQL = get_language("aql")

QUERY = """\
SELECT DATEFORMAT(starttime, 'yyyy-MM-dd') AS 'Day',
       username,
       COUNT(*) AS hits
FROM events
WHERE "EventID" IN ('4624', '4625')
  AND username NOT ILIKE '%svc%'
  AND magnitude BETWEEN 3 AND 9
  AND INCIDR('10.0.0.0/8', sourceip)
GROUP BY username
HAVING hits > 10
ORDER BY hits DESC
LIMIT 20
LAST 2 DAYS
"""


def test_tree_exposes_statement_clauses_and_source():
    tree = AQL.parse(QUERY).tree
    (query,) = statements(tree)
    assert query.data == "select_stmt"
    assert table_name(query) == "events"
    assert start_of(source(query)) == (4, 6)
    assert has_time_range(query)
    last = clause(query, "last_clause")
    assert [str(c) for c in last.children[:2]] == ["LAST", "2"]
    assert last.children[2].data == "time_unit" and str(last.children[2].children[0]) == "DAYS"
    group = clause(query, "group_clause")
    assert [field_name(e) for e in group.children[2].children] == ["username"]
    assert start_of(clause(query, "having_clause")) == (10, 1)
    order_item = clause(query, "order_clause").children[2]
    assert field_name(order_item.children[0]) == "hits" and str(order_item.children[1]) == "DESC"
    assert str(clause(query, "limit_clause").children[1]) == "20"
    assert clause(query, "start_stop_clause", "session_clause", "into_clause") is None


def test_tree_exposes_the_select_list_with_aliases():
    tree = AQL.parse(QUERY).tree
    items = list(tree.find_data("select_expr"))
    assert [start_of(item) for item in items] == [(1, 8), (2, 8), (3, 8)]
    aliases = [item.children[1] for item in items]
    assert [str(a.children[-1]) for a in aliases if a is not None] == ["'Day'", "hits"]
    assert aliases[1] is None
    assert field_name(items[1].children[0]) == "username"


def test_tree_exposes_every_filter_as_field_operator_values():
    tree = AQL.parse(QUERY).tree
    found = [(p.field, p.operator, [str(v) for v in p.values], start_of(p.node)) for p in predicates(tree)]
    assert found == [
        ("EventID", "IN", ["'4624'", "'4625'"], (5, 7)),
        ("username", "NOT ILIKE", ["'%svc%'"], (6, 7)),
        ("magnitude", "BETWEEN", ["3", "9"], (7, 7)),
        ("hits", ">", ["10"], (10, 8)),
    ]


def test_tree_exposes_calls_and_their_arguments():
    tree = AQL.parse(QUERY).tree
    found = [(call_name(c), start_of(c)) for c in calls(tree)]
    assert found == [("DATEFORMAT", (1, 8)), ("COUNT", (3, 8)), ("INCIDR", (8, 7))]
    dateformat, count, incidr = calls(tree)
    assert [field_name(a) or str(a) for a in call_arguments(dateformat)] == ["starttime", "'yyyy-MM-dd'"]
    assert call_arguments(count) == [] and count.children[1].data == "star_argument"
    assert [start_of(a) for a in call_arguments(incidr)] == [(8, 14), (8, 28)]


def test_tree_of_other_forms():
    query = ("SELECT GEO::LOOKUP(sourceip, 'city') AS city, NOW() FROM events INTO 'c1' "
             "WHERE TEXT SEARCH 'vpn' AND username IS NOT NULL AND \"sourceIP\" = destinationip "
             "AND username IN (SELECT username FROM flows LAST 5 MINUTES) "
             "SESSION BY starttime username BEGIN qid = 1 END qid = 2 "
             "START PARSEDATETIME('1 hour ago') STOP PARSEDATETIME('now') PARAMETERS EXECUTIONTIMELIMIT=1000")
    tree = AQL.parse(query).tree
    outer, inner = statements(tree)
    assert table_name(inner) == "flows" and clause(inner, "last_clause") is not None
    assert clause(outer, "into_clause").children[1] == "'c1'"
    assert [n.data for n in clause(outer, "session_clause").children if isinstance(n, Tree)][:2] == ["field", "expr_list"]
    span = clause(outer, "start_stop_clause")
    assert [call_name(c) for c in span.children if isinstance(c, Tree)] == ["PARSEDATETIME", "PARSEDATETIME"]
    assert [call_name(c) for c in calls(tree)][:2] == ["GEO::LOOKUP", "NOW"]
    assert call_arguments(next(calls(tree).__iter__())) and call_arguments(list(calls(tree))[1]) == []
    found = [(p.field, p.operator, len(p.values)) for p in predicates(tree)]
    assert found[:4] == [(None, "TEXT SEARCH", 1), ("username", "IS NOT NULL", 0), ("sourceIP", "=", 1),
                         ("username", "IN", 1)]
    assert found[3:] and list(predicates(tree))[3].values[0].data == "select_stmt"
    parameter = clause(outer, "parameters_clause").children[1]
    assert [str(c) for c in parameter.children] == ["EXECUTIONTIMELIMIT", "1000"]


def test_time_range_through_a_subquery_source():
    tree = AQL.parse("SELECT a FROM (SELECT a FROM (SELECT a FROM events START 1 STOP 2))").tree
    assert has_time_range(next(statements(tree)))
    tree = AQL.parse("SELECT a FROM (SELECT a FROM events)").tree
    assert not has_time_range(next(statements(tree)))


# --- error wording ---------------------------------------------------------------------------

VALID_FOR_PREFIXES = [
    QUERY,
    "SELECT CASE WHEN a > 1 THEN 'x' ELSE 'y' END AS c, IF b THEN 1 ELSE 2 AS d FROM events INTO c1 "
    "SESSION BY starttime username, sourceip EXPLICIT BEGIN qid = 1 END qid = 2 TIMEOUT 5 TIMEWINDOW 1 HOURS "
    "START '2024-01-01 00:00' STOP '2024-01-02 00:00' PARAMETERS REMOTESERVERS=ARIELSERVERS4EPID(8)",
    "SELECT LONG(sourceip) AS ip, GEO::LOOKUP(sourceip, 'city') FROM (SELECT * FROM flows LAST 5 MINUTES) "
    "WHERE (ip & 0xff000000) >> 24 = 10 AND NOT TEXT SEARCH = 'x' OR a NOT IN (1, 2.5, -3) "
    "ORDER BY ip ASC COLLATE 'en' LIMIT 5",
]
INTERNAL = re.compile(r"\b[A-Z][A-Z_]{2,}\b|anon|__")
TOKENS = re.compile(r"'[^']*'|\"[^\"]*\"|0x[0-9a-f]+|\d+\.\d+|\w+|::|<<|>>|\S", re.I)




def test_no_error_message_names_an_internal_terminal():
    checked = 0
    for query in VALID_FOR_PREFIXES:
        tokens = TOKENS.findall(query)
        for end in range(1, len(tokens)):
            for text in (" ".join(tokens[:end]), " ".join(tokens[:end]) + " )", " ".join(tokens[:end] + tokens[end + 1:])):
                result = AQL.parse(text)
                if result.ok:
                    continue
                checked += 1
                for diagnostic in result.diagnostics:
                    assert diagnostic.line >= 1 and diagnostic.column >= 1
                    expected = expected_part(diagnostic.message)
                    assert not INTERNAL.search(expected), (text, diagnostic.message)
    assert checked > 200


def test_expected_lists_use_aql_words():
    message = AQL.parse("SELECT * FROM events WHERE").diagnostics[0].message
    assert message.endswith("expected an expression (a field, 'string', number, function call, case, if or '('), "
                            "'not', 'text search'")
    message = AQL.parse("SELECT a FROM events WHERE b 'x'").diagnostics[0].message
    assert "an operator ('=', '<>', '<', 'like'" in message
    message = AQL.parse("SELECT a FROM events x y").diagnostics[0].message
    assert "a clause ('into', 'where', 'session by', 'group by', 'having', 'order by', 'limit', 'last'" in message
    message = AQL.parse("SELECT a FROM events LIMIT x").diagnostics[0].message
    assert message.endswith("expected a whole number")


def test_trailing_comma_before_from_points_at_from():
    diagnostic = AQL.parse("SELECT sourceip,\n       FROM events").diagnostics[0]
    assert (diagnostic.line, diagnostic.column) == (2, 8)
    assert "unexpected 'FROM' after ','" in diagnostic.message


def test_unclosed_string_name_and_comment_are_named():
    assert "a 'string' that is not closed" in AQL.parse("SELECT a FROM events WHERE b = 'x").diagnostics[0].message
    assert 'a "quoted name" that is not closed' in AQL.parse('SELECT "a FROM events').diagnostics[0].message
    assert "a /* comment */ that is not closed" in AQL.parse("SELECT a FROM events /* x").diagnostics[0].message


# --- property test: mutated queries never make parse raise or hang -----------------------------

SEEDS = VALID_FOR_PREFIXES + [
    "SELECT username FROM events WHERE username IMATCHES '(adm|root' AND payload ILIKE 'x' LAST 1 HOURS",
    "SELECT Process Name, \"EventID\" FROM events WHERE \"EventID\" = \"4688\" AND QIDNAMES(qid) LIKE 'a'",
]
PIECES = re.compile(r"\s+|[(),=<>!*/+\-%^&|~:;'\"]|[^\s(),=<>!*/+\-%^&|~:;'\"]+")


@settings(max_examples=200, deadline=None)
@given(mutated([PIECES.findall(seed) for seed in SEEDS]))
def test_mutated_queries_never_raise_or_hang(text):
    result = survives(AQL, text)
    if result.ok:
        assert isinstance(result.tree, Tree)
        assert all(isinstance(t, (Tree, Token)) or t is None for t in result.tree.children)
