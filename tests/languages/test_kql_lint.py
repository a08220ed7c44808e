"""KQL lint rules DAC410-DAC417: each fires on the mistake, at the offending token, and stays
silent on valid idiomatic queries."""
from __future__ import annotations

import pytest
from lark import Token, Tree

from tests.languages.test_kql import T1562, VALID
from tooling.diagnostics import CODES
from tooling.languages import get_language
from tooling.languages.kql import lint
from tooling.languages.kql.lint import regex_problem

KQL = get_language("kql")


def lint_of(query: str) -> list[tuple[str, int, int]]:
    result = KQL.parse(query)
    assert result.ok, result.diagnostics
    return [(d.code, d.line, d.column) for d in result.diagnostics]


def messages(query: str) -> list[str]:
    return [d.message for d in KQL.parse(query).diagnostics]


# (query, expected diagnostics) -- positions counted by hand
FIRES = [
    # DAC410: one string that is a list
    ('T | where A in ("a,b,c")', [("DAC410", 1, 17)]),
    ('T | where A has_any ("x, y")', [("DAC410", 1, 22)]),
    ('let L = "x,y";\nT | where A !in~ (L)', [("DAC410", 2, 19)]),
    # DAC411: contains with a padded term
    ('T | where Cmd contains " stop "', [("DAC411", 1, 15)]),
    ('T | where Cmd !contains_cs " -enc "', [("DAC411", 1, 15)]),
    # DAC412: unused let (scalar, tabular, function)
    ("let Unused = 5;\nT", [("DAC412", 1, 5)]),
    ("let Sub = T | take 1;\nU | take 2", [("DAC412", 1, 5)]),
    ("let f = (x:long) { x + 1 };\nT", [("DAC412", 1, 5)]),
    ("let ['my list'] = dynamic([1]);\nT", [("DAC412", 1, 5)]),
    # DAC413: regex that cannot compile
    ('T | where A matches regex "(abc"', [("DAC413", 1, 27)]),
    ('T | where A matches regex @"abc)"', [("DAC413", 1, 27)]),
    ('T | extend X = extract(@"[a-z", 0, A)', [("DAC413", 1, 24)]),
    ('T | extend X = extract_all(@"*ab", A)', [("DAC413", 1, 28)]),
    ('T | extend X = replace_regex(A, @"a{3,1}", "b")', [("DAC413", 1, 33)]),
    ('T | extend X = countof(A, @"(x|y", "regex")', [("DAC413", 1, 27)]),
    ('let R = @"z-a]";\nlet S = @"[z-a]";\nT | where A matches regex S and B matches regex R', [("DAC413", 2, 9)]),
    ('T | parse kind=regex A with "(" X " " Y', [("DAC413", 1, 29)]),
    ('T | where A matches regex "abc\\\\"', [("DAC413", 1, 27)]),
    # DAC414: where on a dropped column
    ("T | project A, B | where C == 1", [("DAC414", 1, 26)]),
    ("T | project-away C | where C == 1", [("DAC414", 1, 28)]),
    ("T | project-away Tmp* | where isnotempty(TmpX)", [("DAC414", 1, 42)]),
    ("T | project-rename New = Old | where Old > 1", [("DAC414", 1, 38)]),
    ("T | summarize count() by B | where count_ > 5 and A == 1", [("DAC414", 1, 51)]),
    ("T | summarize N = dcount(U) by B | where U != ''", [("DAC414", 1, 42)]),
    ("T | distinct A | where B == 1", [("DAC414", 1, 24)]),
    ("T | count | where Count > 1 and A > 1", [("DAC414", 1, 33)]),
    ("let X = T | project A;\nX | where B == 1", [("DAC414", 2, 11)]),
    ("union (T | project A), (U | project B)\n| where C == 1", [("DAC414", 2, 9)]),
    ("datatable (A:long) [1] | where B > 0", [("DAC414", 1, 32)]),
    ("T | project A | extend B = 1 | where B == 1 and C == 2", [("DAC414", 1, 49)]),
    # DAC415: '*' as a wildcard
    ('T | where F == "*.exe"', [("DAC415", 1, 16)]),
    ('T | where F endswith "x*"', [("DAC415", 1, 22)]),
    ('T | where F in~ ("a.exe", "*.ps1")', [("DAC415", 1, 27)]),
    ('T | where Cmd contains "*mimikatz*"', [("DAC415", 1, 24)]),
    # DAC416: reversed between
    ("T | where Time between (ago(1d) .. ago(7d))", [("DAC416", 1, 25)]),
    ("T | where N between (10 .. 5)", [("DAC416", 1, 22)]),
    ("T | where D !between (2m .. 1m)", [("DAC416", 1, 23)]),
    ("T | where Time between (datetime(2024-02-01) .. datetime(2024-01-01))", [("DAC416", 1, 25)]),
    # DAC417: capture group out of range
    ('T | extend X = extract(@"a(b)", 2, C)', [("DAC417", 1, 33)]),
    ('T | extend X = extract("(?:a)b", 1, C)', [("DAC417", 1, 34)]),
    ('T | extend X = extract_all(@"(a)(b)", dynamic([1, 3]), C)', [("DAC417", 1, 51)]),
]

SILENT = [
    # DAC410
    'T | where A in ("a", "b")',
    'T | where A in ("Smith")',
    'T | where Subject in ("CN=Contoso, O=Contoso Ltd")',
    'let L = dynamic(["a,b"]);\nT | where A has_any (L)',
    'T | where A has_any (split("a,b", ","))',
    # DAC411
    'T | where Cmd contains "state off"',
    'T | where Cmd contains " -enc"',
    'T | where Cmd has "stop"',
    'T | where Cmd contains "  "',
    # DAC412
    "let Window = 1h;\nT | where Timestamp > ago(Window)",
    "let f = (x:long) { x + 1 };\nT | extend Y = f(X)",
    "let V = view () { T };\nunion *",
    "let A = 1;\nlet B = A + 1;\nprint B",
    "let ProcA = T;\nunion Proc*",
    "let ['my list'] = dynamic([1]);\nT | where X in (['my list'])",
    # DAC413: valid or only judged by one engine
    'T | where A matches regex @"(?i)(stop|disabled)\\s+\\w+$"',
    'T | where A matches regex "\\\\d+"',
    'T | where A matches regex @"\\pL+"',           # RE2 only
    'T | where A matches regex @"(?<name>x)"',      # RE2 accepts, older Python does not
    'T | where A matches regex @"^*"',              # RE2 accepts, Python does not
    'T | where A matches regex @"a(?i)b"',          # flags mid-pattern: RE2 accepts
    'T | extend X = extract(@"\\Qa.b\\E", 0, A)',   # RE2 quoting
    'T | parse kind=regex A with "(" X ")" Y',
    'T | parse A with "(" X " " Y',                 # simple parse: not a regex
    'T | extend X = replace_string(A, "(", "")',
    'T | where A matches regex B',                  # a column: unknown at lint time
    # DAC414
    "T | project A, B | where A == 1",
    "T | project A, B = C | where B == 1",
    "T | project-away C | where D == 1",
    "T | project-away C | extend C = 1 | where C == 1",
    "T | summarize arg_max(Time, *) by Dev | where Other == 1",
    "T | summarize Total = sum(Bytes) by Dev | where Total > 100",
    "T | summarize count() by bin(Time, 1h) | where Time > ago(1d)",
    "T | summarize make_set(X) by Dev | where array_length(set_X) > 1",
    "T | project A | join (U) on A | where B == 1",
    "T | project A | evaluate bag_unpack(A) | where B == 1",
    "T | project A | mv-apply A on (extend B = 1) | where B == 1",
    "let Limit = 5;\nT | project A | where A > Limit",
    "T | project A | where A in (U | project B | where B > 1)",
    "T | project A | where A in (Other)",
    "T | project A | where tostring(A.x) == 'y'",
    "T | project A | where f(x = 1)",
    "T | project A | parse A with 'k=' K | where K == 'v'",
    "T | project A | where A == true",
    "T | distinct * | where B == 1",
    "union withsource = Src (T | project A), (U | project A) | where Src == 'T'",
    "T | project Timestamp, A | sort by Timestamp desc",
    # DAC415
    'T | where F == "*"',
    'T | where Key startswith @"HKEY_CLASSES_ROOT\\*"',
    'T | where Cmd contains "*.vbs"',
    'T | where F matches regex @".*\\.exe"',
    # DAC416
    "T | where Time between (ago(7d) .. ago(1d))",
    "T | where N between (5 .. 10)",
    "T | where Time between (ago(1d) .. now())",
    "T | where Time between (datetime(2024-01-01) .. ago(1d))",
    "T | where N between (A .. B)",
    # DAC417
    'T | extend X = extract(@"a(b)", 1, C)',
    'T | extend X = extract(@"a(b)", 0, C)',
    'T | extend X = extract(@"(?P<n>a)(b)", 2, C)',
    'T | extend X = extract(Pattern, 3, C)',
    T1562,
]


@pytest.mark.parametrize("query, expected", FIRES)
def test_rule_fires_at_offending_token(query, expected):
    assert lint_of(query) == expected


@pytest.mark.parametrize("query", SILENT)
def test_rules_stay_silent_on_valid_idioms(query):
    assert lint_of(query) == []


@pytest.mark.parametrize("query", VALID)
def test_rules_do_not_raise_on_any_valid_query(query):
    result = KQL.parse(query)
    for rule in KQL.lint_rules:
        list(rule.unsafe(result.tree, query))  # the unwrapped rule: a crash would show here


def test_every_kql_code_is_documented_and_has_a_rule():
    ours = {code for code in CODES if code.startswith("DAC41")}
    assert ours == {f"DAC41{i}" for i in range(8)}
    for code in ours:
        entry = CODES[code]
        assert entry.name.startswith("kql-") and entry.summary and entry.why and entry.fix
        bad, good = (KQL.parse(_query(entry.bad)), KQL.parse(_query(entry.good)))
        assert [d.code for d in bad.diagnostics] == [code]
        assert good.ok and good.diagnostics == []


def _query(snippet: str) -> str:
    import yaml
    return yaml.safe_load(snippet)["queries"]["kql"]


def test_safe_rules_swallow_unexpected_tree_shapes():
    odd = Tree("start", [Tree("pipeline", [None, Tree("where_op", [])]), Tree("let_stmt", [])])
    for rule in KQL.lint_rules:
        assert list(rule(odd, "x")) == []
        assert list(rule(None, "x")) == []


def test_messages_name_the_problem():
    assert "not a list" in messages('T | where A in ("a,b")')[0]
    assert 'has "stop"' in messages('T | where A contains " stop "')[0]
    assert "'Lookback' is never used" in messages("let Lookback = 1d;\nT")[0]
    assert "never closed" in messages('T | where A matches regex "(a"')[0]
    assert "the project on line 2 dropped it" in messages("T\n| project A\n| where B == 1")[0]
    assert "no leg of the union" in messages("union (T | project A), (U | project B) | where C == 1")[0]
    assert "literal '*'" in messages('T | where F == "*.exe"')[0]
    assert "nothing ever matches" in messages("T | where N between (3 .. 1)")[0]
    assert "only 1 capture group" in messages('T | extend X = extract("(a)", 2, C)')[0]


@pytest.mark.parametrize("pattern, problem", [
    ("(a", "never closed"), ("a)", "no matching"), ("[a", "never closed"), ("a**", "in a row"),
    ("a\\", "lone backslash"), ("a{3,1}", "min greater"), ("*a", "repeats nothing"), ("a|+b", "repeats nothing"),
    ("[z-a]", "reversed"),
])
def test_regex_problems_both_engines_reject(pattern, problem):
    assert problem in regex_problem(pattern)


@pytest.mark.parametrize("pattern", ["a(?=b)", "(?<n>a)", "\\pL", "^*", "\\b*", "[\\d-z]", "a++", "(?U)a", "\\z"])
def test_regex_problems_python_only_are_not_reported(pattern):
    assert regex_problem(pattern) is None


def test_lint_rules_are_registered_in_order():
    names = [rule.__name__ for rule in KQL.lint_rules]
    assert names == ["list_given_one_string", "contains_padded_term", "unused_let", "invalid_regex",
                     "where_on_dropped_column", "wildcard_in_literal", "empty_between",
                     "extract_group_out_of_range"]
    assert lint.safe(lambda t, x: iter(()))(Tree("start", []), "") == []
    assert Token("NAME", "x") == "x"
