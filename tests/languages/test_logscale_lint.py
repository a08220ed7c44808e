"""LogScale lint rules DAC470-DAC474: each fires on the mistake it describes, at the offending
token, and stays quiet on valid idiomatic queries (including T1562 and odd tree shapes)."""
from __future__ import annotations

import pytest
from lark import Token, Tree

from tests.languages.test_logscale import T1562, VALID
from tooling.languages import get_language
from tooling.languages.logscale.aggregate import dropped_field_rule, group_by_outputs
from tooling.languages.logscale.functions import FUNCTIONS, is_known_function
from tooling.languages.logscale.lint import RULES
from tooling.languages.logscale.regexcheck import regex_error, string_regex_error

LANG = get_language("logscale")


def lint(query: str, code: str) -> list[tuple[int, int]]:
    result = LANG.parse(query)
    assert result.ok, result.diagnostics
    return [(d.line, d.column) for d in result.diagnostics if d.code == code]


def messages(query: str, code: str) -> list[str]:
    return [d.message for d in LANG.parse(query).diagnostics if d.code == code]


# ------------------------------------------------------------------------------ DAC470
@pytest.mark.parametrize("query, where", [
    ("#event_simpleName=ProcessRollup2 | tolower(CommandLine)", (1, 36)),
    ("x=1\n| stat(count())", (2, 3)),
    ("| groupBy([aid], function=[count(), dc(UserName)])", (1, 37)),  # an SPL aggregate
    ("| contains(CommandLine, \"x\")", (1, 3)),  # text:contains without its namespace
    ("| y := strlen(x)", (1, 8)),  # inside an expression
    ("| text:contain(string=x, substring=\"a\")", (1, 3)),  # a typo in a namespaced name
])
def test_unknown_function_is_reported_at_its_name(query, where):
    assert lint(query, "DAC470") == [where]


@pytest.mark.parametrize("query", [
    "| groupby(aid) | timechart(span=1h)",  # names ignore case
    "| GroupBy(aid) | TABLE([aid])",
    "| array:contains(array=\"a[]\", value=x) | objectArray:exists(array=\"b[]\", condition={x=1})",
    "| math:log(x) | time:hour(field=@timestamp) | text:startsWith(string=x, substring=\"a\")",
    "| $my_saved_search() | $\"crowdstrike/fltr-core:zComputerName\"()",  # saved searches
    "| x := if(a > 1, then=lower(b), else=upper(b))",
    "| correlate(a: { x=1 } include: [x], b: { y=1 } include: [y], sequence=false, within=1h)",
    "| case(x)",  # a misreading would call this a function; the test just needs no crash
])
def test_known_functions_and_saved_searches_are_not_reported(query):
    found = lint(query, "DAC470")
    assert found == ([] if "case(" not in query else [(1, 3)])


def test_function_list_is_data_with_namespaces():
    assert "array:contains" in FUNCTIONS and "groupBy" in FUNCTIONS
    assert is_known_function("GROUPBY") and is_known_function("Array:Contains")
    assert not is_known_function("contains") and not is_known_function("dc")


# ------------------------------------------------------------------------------ DAC471
@pytest.mark.parametrize("query, where", [
    ("CommandLine=/(vssadmin|wbadmin.*delete/i", (1, 13)),
    ("/a)b/", (1, 1)),  # a bare regex filter
    ("| x=1 | regex(\"(?<user>\\\\S+\", field=msg)", (1, 15)),
    ("| replace(regex=\"[abc\", with=\"x\")", (1, 17)),
    ("| splitString(field=path, by=\"*x\", as=parts)", (1, 30)),
    ("| Status match {\n  /+x/ => y := 1 ;\n  * => y := 2\n}", (2, 3)),  # a match guard
    ("| array:regex(array=\"a[]\", regex=\"(x\")", (1, 34)),
])
def test_invalid_regex_is_reported_at_the_pattern(query, where):
    assert lint(query, "DAC471") == [where]


@pytest.mark.parametrize("query", [
    T1562,
    "x=/(?<name>\\w+)\\s\\k<name>/",  # Java named group and back-reference
    "x=/\\p{Lu}\\p{L}*/",  # Unicode classes
    "x=/(?i)a(?-i)b/",  # inline flags in the middle (Java allows them)
    "x=/a{2}+b*+/",  # possessive quantifiers
    "x=/\\Q(literal\\E/",  # quoted section
    "x=/[a-z&&[^q]]/",  # class intersection
    "x=/\\/path\\/(to)\\//",  # escaped slashes
    "| regex(\"\\\\(literal\", field=x)",  # a string escape either way
    "| regex(\"(?<a>x)|(?<b>y)\", field=x, strict=false)",
    "x=/^*/",  # not reported: engines disagree
])
def test_valid_regexes_are_not_reported(query):
    assert lint(query, "DAC471") == []


def test_regex_checker_names_the_problem():
    assert "never closed" in regex_error("(a")
    assert "no matching" in regex_error("a)")
    assert "class" in regex_error("[a")
    assert "nothing to repeat" in regex_error("a|*")
    assert regex_error("(?<n>a)") is None
    assert string_regex_error("\\\\(a") is None  # unescaped, \\( is an escaped parenthesis
    assert string_regex_error("(a") is not None


# ------------------------------------------------------------------------------ DAC472
@pytest.mark.parametrize("query, where", [
    ("#event_simpleName=ProcessRollup2\n| where CommandLine=/x/", (2, 3)),
    ("x=1 | stats count by host", (1, 7)),
    ("x=1 | Eval y=1", (1, 7)),
    ("x=1 | table host user", (1, 7)),
    ("| case { x=1 | search y=2 ; * }", (1, 16)),
])
def test_command_word_is_reported(query, where):
    assert lint(query, "DAC472") == [where]
    assert "free-text search" in messages(query, "DAC472")[0]


@pytest.mark.parametrize("query", [
    "where",  # a lone word: a deliberate search for it
    "\"where\" x=1",  # quoted: a deliberate search
    "where AND x=1",  # an explicit AND
    "x=1 | table([a, b]) | sort(a) | head(5)",  # the real functions
    "wherever x=1",
    "x=1 | y=2 where",  # not at the start of the stage
])
def test_command_words_used_on_purpose_are_not_reported(query):
    assert lint(query, "DAC472") == []


# ------------------------------------------------------------------------------ DAC473
def test_case_branch_after_the_default_is_reported():
    query = "| case {\n    * | a := 1 ;\n    x=1 | a := 2 ;\n    y=1 | a := 3\n  }"
    assert lint(query, "DAC473") == [(3, 5)]  # once, at the first unreachable branch


def test_match_branch_after_the_default_is_reported():
    query = "| Status match {\n  * => a := 1 ;\n  \"x\" => a := 2\n}"
    assert lint(query, "DAC473") == [(3, 3)]


@pytest.mark.parametrize("query", [
    T1562,
    "| case { x=1 | a := 1 ; * }",
    "| case { x=1 | a := 1 ; y=2 | a := 2 }",  # no default: a filter, a common idiom
    "| case { * }",
    "| case { x=* | a := 1 ; * | a := 2 }",  # `x=*` is not the catch-all
    "| Status match { \"x\" => a := 1 ; * => a := 2 }",
])
def test_branch_order_without_a_problem_is_not_reported(query):
    assert lint(query, "DAC473") == []


# ------------------------------------------------------------------------------ DAC474
@pytest.mark.parametrize("query, where", [
    ("x=1\n| groupBy([aid], function=count(as=n))\n| table([aid, ComputerName, n])", (3, 15)),
    ("| groupBy(aid) | sort(Count, order=desc)", (1, 23)),  # the default output is _count
    ("| groupBy(aid, function=collect([a])) | sort(field=_count)", (1, 52)),
    ("| groupBy([aid], function=[count(as=Total)]) | Totals > 10", (1, 48)),
    ("| groupBy(aid) | @timestamp > 0", (1, 18)),
    ("| groupBy(aid) | #event_simpleName=ProcessRollup2", (1, 18)),  # tags are gone too
    ("| groupBy(aid) | n := _count * 2 | table([aid, n, x])", (1, 51)),
])
def test_field_dropped_by_groupby_is_reported(query, where):
    assert lint(query, "DAC474") == [where]


@pytest.mark.parametrize("query", [
    T1562,
    "| groupBy([aid, ComputerName]) | sort(_count) | table([aid, ComputerName, _count])",
    "| groupBy(aid, function=[count(as=n), collect([a, b]), selectLast([c])]) | table([aid, n, a, b, c])",
    "| groupBy(aid, function=[]) | table([aid])",
    "| groupBy(aid, function=[max(x), min(x), avg(x), sum(x)]) | table([aid, _max, _min, _avg, _sum])",
    "| groupBy(\"Total Events\") | sort(\"Total Events\")",
    "| groupBy(os) | os=/^(?<family>\\w+)/ | table([os, family])",  # named groups create fields
    "| groupBy(aid) | ipLocation(aid) | table([aid, aid.country])",  # not modelled: stop
    "| groupBy(aid, function=percentile(x)) | table([aid, _50])",  # unknown outputs: skip
    "| groupBy(aid) | rename(field=_count, as=n) | table([aid, n])",
    "| groupBy(aid) | default(field=owner, value=\"-\") | table([aid, owner])",
    "| table([a]) | groupBy(a)",
    "| join({groupBy(aid)}, field=aid) | table([aid, x])",  # the subquery ends with groupBy
])
def test_fields_that_groupby_outputs_are_not_reported(query):
    assert lint(query, "DAC474") == []


def test_group_by_outputs():
    tree = LANG.parse("groupBy([a, \"b c\"], function=[count(x, as=n), collect(d)])").tree
    call = tree.children[0].children[0].children[0]  # start > pipeline > stage > call
    assert group_by_outputs(call) == {"a", "b c", "n", "d"}


# ------------------------------------------------------------------------------ DAC475
@pytest.mark.parametrize("query, where", [
    ("FileName=\"^cmd\\.exe$\"", (1, 10)),
    ("x=1 | CommandLine=\".*-enc.*\"", (1, 19)),
    ("CommandLine=\"*(stop|config)*\"", (1, 13)),
    ("#event_simpleName=\"^(A|B)$\"", (1, 19)),
    ("UserName like \"^adm$\"", (1, 15)),
])
def test_regex_syntax_in_a_pattern_is_reported(query, where):
    assert lint(query, "DAC475") == [where]


@pytest.mark.parametrize("query", [
    "SamAccountName=\"*$\"",  # machine accounts
    "FileName=setup.*",  # a glob with a dot
    "FileName=*.*",
    "CommandLine=/^cmd\\.exe$/i",  # a real regex
    "CommandLine=\"*(x86)*\"",  # parentheses without an alternation
    "x := \"^a$\"",  # an assignment, not a comparison
    "| regex(\"^(a|b)$\", field=x)",
])
def test_patterns_without_regex_syntax_are_not_reported(query):
    assert lint(query, "DAC475") == []


# ------------------------------------------------------------------------------ all rules
def test_t1562_and_the_valid_queries_have_only_expected_findings():
    for query in VALID:
        codes = {d.code for d in LANG.parse(query).diagnostics}
        assert codes <= {"DAC401"} or query == "| case(x)", (query, codes)


ODD_TREES = [
    None, "text", Tree("start", []), Tree("call", []), Tree("stage", []),
    Tree("start", [Tree("pipeline", [Tree("stage", [Tree("call", [Token("WORD", "groupBy")])])])]),
    Tree("case_stmt", [Token("CASE", "case"), Tree("case_branch", [Tree("pipeline", [])])]),
    Tree("match_stmt", [Token("WORD", "x")]),
    Tree("comparison", [Tree("x", [])]),
]


@pytest.mark.parametrize("tree", ODD_TREES, ids=range(len(ODD_TREES)))
@pytest.mark.parametrize("rule", [*RULES, dropped_field_rule], ids=lambda r: r.__name__)
def test_rules_never_raise_on_odd_trees(rule, tree):
    assert list(rule(tree, "")) == []
