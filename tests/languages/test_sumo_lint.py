"""Sumo Logic lint rules DAC450-DAC457: each fires on the mistake, at the offending token, and stays
quiet on valid idiomatic queries; no rule ever raises."""
from __future__ import annotations

import pytest
import yaml
from lark import Token, Tree

from tooling.diagnostics.lint.sumo import CODES
from tooling.languages import get_language
from tooling.languages.sumo import lint
from tooling.languages.sumo.regex import named_groups, regex_error, string_regex_error


@pytest.fixture(scope="module")
def sumo():
    return get_language("sumo")


def _lint(sumo, query):
    result = sumo.parse(query)
    assert result.ok, result.diagnostics
    return [(d.code, d.line, d.column) for d in result.diagnostics if d.code.startswith("DAC45")]


# (query, expected [(code, line, column)]) - positions counted by hand
FIRES = [
    # DAC450 no scope
    ("* | count by _sourceHost", [("DAC450", 1, 1)]),
    ("_sourceCategory=* | count", [("DAC450", 1, 1)]),
    ("  _index=**\n| count", [("DAC450", 1, 3)]),
    ("!debug | count", [("DAC450", 1, 2)]),
    ("_sourceCategory=a OR * | count", [("DAC450", 1, 1)]),
    ("_sourceCategory!=prod | count", [("DAC450", 1, 1)]),
    # DAC451 parse wildcards vs fields
    ('x | parse "a=* b=*" as a', [("DAC451", 1, 11)]),
    ('x | parse "a=*" as a, b nodrop', [("DAC451", 1, 11)]),
    ('x | parse "a=*" as a, "b=* c=*" as (b)', [("DAC451", 1, 23)]),
    ('x\n| parse field=msg "[*] *" as level', [("DAC451", 2, 19)]),
    # DAC452 parse regex without a named group
    ('x | parse regex "id=(\\d+)"', [("DAC452", 1, 17)]),
    ('x | parse regex field=m "(?:a|b)" nodrop', [("DAC452", 1, 25)]),
    ('x | extract "user=(\\w+)"', [("DAC452", 1, 13)]),
    # DAC453 regex that does not compile
    ('x | parse regex "(?<a>\\d+"', [("DAC453", 1, 17)]),
    ('x | parse regex "(?<a>[z-a])"', [("DAC453", 1, 17)]),
    ("x | where cmd matches /(?i)*abc/", [("DAC453", 1, 23)]),
    ('x | replace(cmd, /a)/, "") as c', [("DAC453", 1, 18)]),
    ('x | parse regex "(?<a>x)(?<a>y)"', [("DAC453", 1, 17)]),
    # DAC454 quoted number compared with < >
    ('x | where bytes > "1000"', [("DAC454", 1, 19)]),
    ("x | where '10' <= status", [("DAC454", 1, 11)]),
    ('x | if(toLong(n) >= "5", 1, 0) as big', [("DAC454", 1, 21)]),
    # DAC455 misspelt group key
    ('x | parse "user=*;" as user | count by usr', [("DAC455", 1, 40)]),
    ('x | json "host" | count by hots', [("DAC455", 1, 28)]),
    ('x | parse regex "cat=(?<category>\\w+)" | count as n by categroy',
     [("DAC455", 1, 56)]),
    ('x | "a" as resource_group | count by resource_grpup, _sourceHost', [("DAC455", 1, 38)]),
    # DAC456 unknown operator
    ("x | cuont by user", [("DAC456", 1, 5)]),
    ("x | dedupe 3 by user", [("DAC456", 1, 5)]),
    ("x | logreduc", [("DAC456", 1, 5)]),
    ("x | where a = 1 | fillmising timeslice(1h)", [("DAC456", 1, 19)]),
    # DAC457 regex in a quoted matches pattern
    ('x | where c matches ".*mimikatz.*"', [("DAC457", 1, 21)]),
    ('x | where c matches "\\d+"', [("DAC457", 1, 21)]),
    ('x | where c not matches "(cmd|powershell)"', [("DAC457", 1, 25)]),
    ('x | where c matches "^net "', [("DAC457", 1, 21)]),
]


@pytest.mark.parametrize("query, expected", FIRES)
def test_rule_fires_at_the_offending_token(sumo, query, expected):
    assert _lint(sumo, query) == expected


QUIET = [
    # scope present
    "_sourceCategory=prod/web | count by _sourceHost",
    "_index=sec_record_* | count",
    "error | count",
    '"failed password" | count',
    "_sourceCategory=a OR _sourceCategory=b | count",
    "$$logsrc | count",
    "_sourceCategory=a !debug | count",
    "[subquery: _sourceCategory=x | compose ip] | count",
    # parse patterns that agree
    'x | parse "a=* b=*" as a, b',
    'x | parse "a=*" as a, "b=* c=*" as (b, c) nodrop',
    'x | parse "no wildcard here"',
    'x | parse "lit\\*eral=*" as v',
    'x | parse regex "id=(?<id>\\d+)"',
    'x | parse regex "(?P<py>\\w+)"',
    'x | parse regex "(?<_sourceHost>\\S+)" nodrop',
    'x | parse xml "/a/b" as x, y',
    # Java-only regex syntax compiles
    'x | parse regex "(?<n>[\\w-_.]+)"',
    'x | parse regex "(?<n>\\p{L}+)\\z"',
    'x | parse regex "a(?i)(?<b>c)"',
    'x | parse regex "(?<n>\\Q*.*\\E)"',
    "x | where a matches /^\\/admin\\/.*$/i",
    # numeric comparisons
    "x | where bytes > 1000",
    'x | where name > "m"',
    'x | where "10" < "9"',
    'x | where status = "200"',
    # group keys that exist
    'x | parse "user=*;" as user | count by user',
    'x | parse "user=*;" as user | count by USER',
    "x | count by src_ip",
    'x | json "a" as b | count by _sourceHost, _timeslice',
    'x | parse "x=*" as x1 | count by x2',
    'x | json auto | count by usr',
    'x | parse "u=*" as u | lookup * from /shared/t on u=u | count by uu',
    'x | parse "a=*" as a | count by a | count by _count',
    # documented and shipped operators
    "x | withtime _messagetime | most_recent(_messagetime_withtime) by host",
    "x | logreduce | summarize",
    "x | count user",
    "x | count_frequent user",
    # wildcard patterns
    'x | where c matches "*google.*"',
    'x | where c matches "*\\\\sc.exe*"',
    "x | where c matches /.*mimikatz.*/",
]


@pytest.mark.parametrize("query", QUIET)
def test_rules_stay_quiet_on_valid_queries(sumo, query):
    assert _lint(sumo, query) == []


def test_t1562_and_fixture_queries_are_clean(sumo):
    from tests.languages.test_sumo import T1562_TEXT

    assert _lint(sumo, T1562_TEXT) == []
    assert _lint(sumo, '_sourceCategory=windows/sysmon "sc.exe" "stop"\n| count by _sourceHost') == []


@pytest.mark.parametrize("code", CODES, ids=lambda c: c.code)
def test_documentation_examples(sumo, code):
    bad = yaml.safe_load(code.bad)["queries"]["sumo"]
    good = yaml.safe_load(code.good)["queries"]["sumo"]
    assert [c for c, _, _ in _lint(sumo, bad)] == [code.code]
    assert _lint(sumo, good) == []
    assert code.code.startswith("DAC45") and code.name.startswith("sumo-")


def test_every_rule_has_a_code():
    documented = {c.code for c in CODES}
    assert documented == {f"DAC45{i}" for i in range(8)}
    assert len(lint.RULES) == len(documented)


ODD_TREES = [
    None, "text", Token("NAME", "x"), Tree("start", []), Tree("scope", []),
    Tree("start", [Tree("scope", [Tree("field_search", [Token("SCOPE_WORD", "a")])])]),
    Tree("start", [Tree("scope", [Token("SCOPE_WORD", "*")]), Tree("parse_cmd", [None, Tree("parse_pattern", [])])]),
    Tree("start", [Tree("scope", []), Tree("aggregate_cmd", [Tree("by_clause", [Tree("aliased", [])])])]),
    Tree("start", [Tree("generic_cmd", [])]), Tree("compare", [Token("NAME", "a")]),
    Tree("matches", []), Tree("in", [None, None]),
]


@pytest.mark.parametrize("tree", ODD_TREES, ids=range(len(ODD_TREES)))
def test_rules_never_raise_on_odd_shapes(tree):
    for rule in lint.RULES:
        assert isinstance(list(rule(tree, "")), list)


def test_regex_helpers():
    assert named_groups(r"(?<a>x)(?P<b>y)(?<=z)(?<!w)(?<_c>q)") == ["a", "b", "_c"]
    assert regex_error(r"(?<a>\d+)") is None
    assert regex_error(r"a)") and regex_error(r"[abc") and regex_error(r"\i")
    assert regex_error(r"(?<a>\p{Lu})\h\R\e\cA\x{263A}\k<a>") is None  # Java-only syntax
    assert string_regex_error(r'(?<a>\"[^\"]*\")') is None
    assert string_regex_error("abc\\") is not None


def test_rules_do_not_rely_on_the_safety_net(sumo):
    """`_safe` swallows errors so validation never breaks; the rules themselves should not need it."""
    from tests.languages.test_sumo_tree import CONSTRUCTS, REPRESENTATIVE

    queries = [q for q, _ in FIRES] + QUIET + [q for q, _ in CONSTRUCTS] + [REPRESENTATIVE]
    for query in queries:
        tree = sumo.parse(query).tree
        for rule in lint.RULES:
            list(rule.__wrapped__(tree, query))  # raises if a rule has a bug
