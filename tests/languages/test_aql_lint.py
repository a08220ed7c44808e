"""AQL lint rules DAC440-DAC447: each fires on the mistake it is about, at the offending token, and
stays quiet on valid idiomatic queries. Queries written for these tests."""
from __future__ import annotations

import pytest
import yaml
from lark import Token, Tree

from tooling.diagnostics.codes import CODES
from tooling.languages import get_language
from tooling.languages.aql import functions
from tooling.languages.aql.lint import RULES, regex_error

AQL = get_language("aql")


def lint(query: str) -> list[tuple[str, int, int]]:
    result = AQL.parse(query)
    assert result.ok, result.diagnostics
    return [(d.code, d.line, d.column) for d in result.diagnostics]


def codes(query: str) -> list[str]:
    return [code for code, _, _ in lint(query)]


# A query with none of the mistakes: the shape of the repository's detections.
CLEAN = """\
SELECT DATEFORMAT(starttime, 'yyyy-MM-dd HH:mm:ss') AS 'Time',
       LOGSOURCENAME(logsourceid) AS 'Log Source',
       username,
       "Process CommandLine" AS 'Command Line'
FROM events
WHERE LOGSOURCETYPENAME(devicetype) = 'Microsoft Windows Security Event Log'
  AND "EventID" IN ('1', '4688')
  AND ("Process CommandLine" ILIKE '%sc%stop%' OR UTF8(payload) IMATCHES '.*net\\s+stop.*')
ORDER BY starttime DESC
LAST 24 HOURS
"""


def test_clean_query_has_no_findings():
    assert lint(CLEAN) == []


def test_every_rule_has_a_documented_code():
    for code in ("DAC440", "DAC441", "DAC442", "DAC443", "DAC444", "DAC445", "DAC446", "DAC447"):
        entry = CODES[code]
        assert entry.bad.startswith("queries:\n  aql: |") and entry.good.startswith("queries:\n  aql: |")
        assert entry.summary and entry.why and entry.fix
    assert len(RULES) == 8


@pytest.mark.parametrize("code", ["DAC440", "DAC441", "DAC442", "DAC443", "DAC444", "DAC445", "DAC446",
                                  "DAC447"])
def test_documented_examples_trigger_and_fixed_examples_do_not(code):
    entry = CODES[code]
    bad = yaml.safe_load(entry.bad)["queries"]["aql"]
    good = yaml.safe_load(entry.good)["queries"]["aql"]
    assert codes(bad) == [code]
    assert codes(good) == []


# --- DAC440 no time range -------------------------------------------------------------------

def test_no_time_range_points_at_the_source():
    # "SELECT sourceip FROM " is 21 characters: events starts at column 22
    assert lint("SELECT sourceip FROM events WHERE magnitude > 5") == [("DAC440", 1, 22)]


def test_no_time_range_on_a_table_function_points_at_the_call():
    assert lint("SELECT \"COUNT\" FROM\n  GLOBALVIEW('Top Log Sources', 'DAILY')") == [("DAC440", 2, 3)]


@pytest.mark.parametrize("query", [
    "SELECT sourceip FROM events LAST 15 MINUTES",
    "SELECT sourceip FROM events START '2024-01-01 00:00' STOP '2024-01-02 00:00'",
    "SELECT sourceip FROM events START PARSEDATETIME('1 day ago')",
    "SELECT sourceip FROM events LIMIT 10 LAST 1 DAYS PARAMETERS EXECUTIONTIMELIMIT=60000",
    # the time clause of the subquery read FROM covers the outer query
    "SELECT username FROM (SELECT username FROM events WHERE magnitude > 3 LAST 60 MINUTES)",
])
def test_time_range_present(query):
    assert "DAC440" not in codes(query)


def test_time_range_only_in_an_in_subquery_does_not_count():
    query = "SELECT sourceip FROM events WHERE username IN (SELECT username FROM events LIMIT 5 LAST 5 MINUTES)"
    assert codes(query) == ["DAC440"]


def test_subquery_source_without_time_range_points_at_it():
    # the subquery's "(" is the 22nd character
    assert lint("SELECT username FROM (SELECT username FROM events)") == [("DAC440", 1, 22)]


# --- DAC441 SELECT * ----------------------------------------------------------------------

def test_select_star_on_events_and_flows():
    assert lint("SELECT * FROM events LAST 1 HOURS") == [("DAC441", 1, 8)]
    assert lint("select sourceip,\n  * from FLOWS last 1 hours") == [("DAC441", 2, 3)]


def test_select_star_in_a_subquery_is_found_in_the_subquery():
    query = "SELECT username FROM (SELECT * FROM events LAST 1 HOURS)"
    assert lint(query) == [("DAC441", 1, 30)]


@pytest.mark.parametrize("query", [
    "SELECT * FROM GLOBALVIEW('Top Log Sources', 'DAILY') LAST 2 DAYS",
    "SELECT * FROM simarc LAST 1 HOURS",
    "SELECT * FROM (SELECT sourceip, username FROM events LAST 1 HOURS)",
    "SELECT COUNT(*) FROM events LAST 1 HOURS",
    "SELECT sourceip, magnitude * 2 AS m FROM events LAST 1 HOURS",
])
def test_select_star_elsewhere_is_fine(query):
    assert "DAC441" not in codes(query)


# --- DAC442 LIKE without wildcard -----------------------------------------------------------

def test_like_and_ilike_without_wildcard():
    # WHERE at 1; username(7-14) space ILIKE(16-20) space: the pattern at 22
    query = "SELECT username FROM events\nWHERE username ILIKE 'admin' OR username NOT LIKE 'root'\nLAST 1 HOURS"
    assert lint(query) == [("DAC442", 2, 22), ("DAC442", 2, 51)]


def test_like_message_suggests_equals():
    result = AQL.parse("SELECT username FROM events WHERE username LIKE 'admin' LAST 1 HOURS")
    assert "use = for an exact one" in result.diagnostics[0].message
    result = AQL.parse("SELECT username FROM events WHERE username ILIKE 'admin' LAST 1 HOURS")
    assert "LOWER" in result.diagnostics[0].message


@pytest.mark.parametrize("pattern", ["'%admin%'", "'adm_n'", "'admin%'", "'%'", "'_'"])
def test_like_with_wildcards_is_fine(pattern):
    assert codes(f"SELECT username FROM events WHERE username ILIKE {pattern} LAST 1 HOURS") == []


def test_like_with_a_non_literal_pattern_is_not_checked():
    assert codes("SELECT username FROM events WHERE username LIKE CONCAT(sourceip, '%') LAST 1 HOURS") == []
    assert codes("SELECT username FROM events WHERE username LIKE destinationip LAST 1 HOURS") == []


def test_matches_without_wildcard_is_not_a_like_finding():
    assert codes("SELECT username FROM events WHERE username MATCHES 'admin' LAST 1 HOURS") == []


# --- DAC443 payload without UTF8 ------------------------------------------------------------

@pytest.mark.parametrize("query, column", [
    ("SELECT username FROM events WHERE payload ILIKE '%mimikatz%' LAST 1 HOURS", 35),
    ("SELECT username FROM events WHERE \"payload\" = 'x' LAST 1 HOURS", 35),
    ("SELECT username FROM events WHERE PAYLOAD IMATCHES '.*x.*' LAST 1 HOURS", 35),
    ("SELECT username FROM events WHERE payload IN ('a', 'b') LAST 1 HOURS", 35),
    ("SELECT username FROM events WHERE 'x' = payload LAST 1 HOURS", 41),
])
def test_raw_payload_in_a_filter(query, column):
    assert lint(query) == [("DAC443", 1, column)]


@pytest.mark.parametrize("query", [
    "SELECT payload, BASE64(payload), UTF8(payload) FROM events WHERE magnitude > 1 LAST 1 HOURS",
    "SELECT username FROM events WHERE UTF8(payload) ILIKE '%mimikatz%' LAST 1 HOURS",
    "SELECT username FROM events WHERE payload IS NOT NULL LAST 1 HOURS",
    "SELECT username FROM events WHERE TEXT SEARCH 'mimikatz' LAST 1 HOURS",
    "SELECT username FROM events WHERE STRLEN(UTF8(payload)) > 1000 LAST 1 HOURS",
])
def test_payload_used_properly(query):
    assert codes(query) == []


# --- DAC444 invalid regular expressions ------------------------------------------------------

@pytest.mark.parametrize("pattern, error", [
    (".*(sc|net\\s+stop.*", "missing ), unterminated subpattern"),
    (".*stop).*", "unbalanced parenthesis"),
    ("[a-z", "unterminated character set"),
    ("[^]", "unterminated character set"),
    ("*.exe", "nothing to repeat"),
    ("(+x)", "nothing to repeat"),
    ("a|?b", "nothing to repeat"),
])
def test_regex_errors_that_java_shares(pattern, error):
    assert regex_error(pattern) == error


@pytest.mark.parametrize("pattern", [
    ".*\\\\logman\\.exe$",  # escaped backslash
    "(?i)^.*(sc|net)\\s+stop.*$",
    "^*",  # Java accepts a quantifier after ^
    "(?<name>x)",  # Java named group: Python does not know it, so no claim is made
    "a*+",  # possessive quantifier
    "\\p{L}+",  # Unicode class, Java only
    "[[a-z]&&[^aeiou]]",  # Java class intersection
    "x{2}{3}",
    "",
])
def test_regexes_that_may_compile_in_java_are_not_reported(pattern):
    assert regex_error(pattern) is None


def test_invalid_matches_pattern_is_reported_at_the_string():
    query = "SELECT username FROM events\nWHERE username IMATCHES '^(adm|root.*'\nLAST 1 HOURS"
    assert lint(query) == [("DAC444", 2, 25)]
    assert "does not compile (missing ), unterminated subpattern)" in AQL.parse(query).diagnostics[0].message


def test_invalid_replace_pattern_is_reported():
    query = "SELECT REPLACEALL('[0-9', username, '#') AS u FROM events LAST 1 HOURS"
    assert lint(query) == [("DAC444", 1, 19)]
    query = "SELECT REPLACEFIRST('(x', username, '') AS u FROM events LAST 1 HOURS"
    assert lint(query) == [("DAC444", 1, 21)]


def test_escaped_quote_in_a_pattern_is_read_as_a_quote():
    # the pattern is ^it's(.*)$ : valid
    assert codes("SELECT username FROM events WHERE username MATCHES '^it\\'s(.*)$' LAST 1 HOURS") == []
    assert codes("SELECT username FROM events WHERE username MATCHES '^it''s(.*)$' LAST 1 HOURS") == []


def test_pattern_valid_if_aql_unescapes_backslashes_is_not_reported():
    # '\\(' is a literal backslash and a group to Java if passed verbatim, but an escaped '(' if AQL
    # unescapes \\ first; IBM does not say which, so no finding
    assert codes("SELECT username FROM events WHERE username MATCHES 'a\\\\(b' LAST 1 HOURS") == []


def test_valid_java_regexes_are_quiet():
    query = ("SELECT username FROM events WHERE username IMATCHES '(?i)^(adm|root)\\d{2,}$' "
             "OR username MATCHES '.*\\p{Alpha}+.*' LAST 1 HOURS")
    assert codes(query) == []


# --- DAC445 unknown functions -----------------------------------------------------------------

def test_unknown_function_points_at_its_name():
    query = "SELECT QIDNAMES(qid) AS n,\n       geo::lookupp(sourceip, 'city') FROM events LAST 1 HOURS"
    assert lint(query) == [("DAC445", 1, 8), ("DAC445", 2, 8)]


def test_unknown_function_in_where_and_from():
    query = "SELECT a FROM FOOVIEW('x') WHERE ISNULL(username) LAST 1 HOURS"
    assert codes(query) == ["DAC445", "DAC445"]


@pytest.mark.parametrize("name", sorted(functions.KNOWN))
def test_every_documented_function_is_known_in_any_case(name):
    assert functions.is_known(name) and functions.is_known(name.lower())


def test_namespaced_functions():
    assert functions.is_known("GEO::LOOKUP") and functions.is_known("geo::distance_by_domain")
    assert not functions.is_known("GEO::NEAREST")
    assert functions.is_known("MYAPP::SCORE")  # custom AQL functions of apps are not checked


def test_known_functions_in_every_position_are_quiet():
    query = ("SELECT GEO::LOOKUP(sourceip, 'city') AS c, COUNT(*) AS n FROM events "
             "WHERE REFERENCESETCONTAINS('Watch', sourceip) GROUP BY c HAVING MAX(magnitude) > 3 "
             "START PARSEDATETIME('1 day ago') PARAMETERS REMOTESERVERS=ARIELSERVERS4EPID(8)")
    assert codes(query) == []


# --- DAC446 double-quoted values ---------------------------------------------------------------

@pytest.mark.parametrize("query, column", [
    ('SELECT a FROM events WHERE "EventID" = "4688" LAST 1 HOURS', 40),
    ('SELECT a FROM events WHERE username ILIKE "%admin%" LAST 1 HOURS', 43),
    ('SELECT a FROM events WHERE username MATCHES "adm.*" LAST 1 HOURS', 45),
    ('SELECT a FROM events WHERE "EventID" IN (\'1\', "4688") LAST 1 HOURS', 47),
    ('SELECT a FROM events WHERE magnitude > "5.5" LAST 1 HOURS', 40),
])
def test_double_quoted_values(query, column):
    assert lint(query) == [("DAC446", 1, column)]


@pytest.mark.parametrize("query", [
    'SELECT a FROM events WHERE "sourceIP" = "destinationIP" LAST 1 HOURS',  # two properties
    'SELECT a FROM events WHERE username IN ("Account Name", "Target User") LAST 1 HOURS',
    'SELECT a FROM events WHERE "EventID" = \'4688\' LAST 1 HOURS',
    'SELECT "4688" FROM events LAST 1 HOURS',  # a name in the select list is not a filter value
])
def test_double_quoted_names_are_fine(query):
    assert codes(query) == []


# --- DAC447 unquoted name with a space --------------------------------------------------------

def test_two_bare_words_in_the_select_list():
    query = "SELECT sourceip,\n       Process CommandLine,\n       username FROM events LAST 1 HOURS"
    assert lint(query) == [("DAC447", 2, 8)]
    message = AQL.parse(query).diagnostics[0].message
    assert '"Process CommandLine"' in message and "AS" in message


def test_sql_select_distinct_is_explained():
    result = AQL.parse("SELECT DISTINCT username FROM events LAST 1 HOURS")
    assert [(d.code, d.line, d.column) for d in result.diagnostics] == [("DAC447", 1, 8)]
    assert "AQL has no SELECT DISTINCT" in result.diagnostics[0].message
    assert "GROUP BY username" in result.diagnostics[0].message


@pytest.mark.parametrize("query", [
    "SELECT sourceip AS src FROM events LAST 1 HOURS",
    "SELECT sourceip \"Source IP\" FROM events LAST 1 HOURS",
    "SELECT DATEFORMAT(starttime, 'yyyy') yr FROM events LAST 1 HOURS",  # implicit alias of a call
    "SELECT \"Process Name\" pname FROM events LAST 1 HOURS",  # quoted name: the author knows quoting
    "SELECT starttime/60000 minute FROM events LAST 1 HOURS",
])
def test_other_aliases_are_fine(query):
    assert codes(query) == []


# --- robustness --------------------------------------------------------------------------------

@pytest.mark.parametrize("tree", [
    None, 42, "text", Tree("start", []), Tree("select_stmt", []), Tree("select_stmt", [None, None, None]),
    Tree("start", [Tree("select_stmt", [Token("SELECT", "SELECT"), Tree("select_list", [Tree("select_all", [])])])]),
    Tree("start", [Tree("comparison", [])]), Tree("start", [Tree("string_match", [Token("NAME", "a")])]),
    Tree("start", [Tree("call", [])]), Tree("start", [Tree("call", [Tree("function_name", [])])]),
    Tree("start", [Tree("in_list", [Tree("field", []), Tree("expr_list", [])])]),
    Tree("start", [Tree("select_expr", [Tree("field", [Token("NAME", "a")]), Tree("alias", [Token("NAME", "b")])])]),
])
def test_rules_never_raise_on_odd_trees(tree):
    for rule in RULES:
        for diagnostic in rule(tree, ""):
            assert diagnostic.code.startswith("DAC44")
