"""EQL lint rules DAC430-DAC437: each fires where it should, at the right token, and only there.

Every query here was written for these tests. Positions are 1-based (line, column) in the query.
"""
from __future__ import annotations

import pytest

from tooling.diagnostics import CODES
from tooling.languages import get_language
from tooling.languages.eql import lint
from tooling.languages.eql.lint import lucene_regex_error, string_value

EQL = get_language("eql")


def lint_of(query: str) -> list[tuple[str, int, int]]:
    result = EQL.parse(query)
    assert result.ok, result.diagnostics
    return [(d.code, d.line, d.column) for d in result.diagnostics]


def codes(query: str) -> list[str]:
    return [c for c, _, _ in lint_of(query)]


# Idiomatic queries no rule may fire on.
CLEAN = [
    'process where process.name : "sc.exe" and process.args : "stop"',
    'process where process.name == "sc.exe" and process.name : ("net*.exe", "sc.exe")',
    'any where event.category == "process"',
    'info where event.action == "PutBucketPolicy"',  # event.type used as the category field
    '"my-custom.category" where true',
    'intrusion_detection where rule.name != null',
    'sequence by host.id with maxspan=1m [process where true] [file where true]',
    'sequence by process.entity_id [process where true] [process where true] until [process where event.type == "end"]',
    'sequence with maxspan=5s [process where true] by process.pid [file where true] by process.pid',
    'sequence by host.id with maxspan=1h [process where true] by user.name [file where true] by user.name '
    'until [process where true] by user.name',
    'sample by host.id [process where true] [file where true]',
    'process where process.command_line regex """.*-enc(odedcommand)? [A-Za-z0-9+/=]{20,}.*"""',
    'process where process.name regex~ "(cmd|powershell)\\\\.exe"',
    'process where process.name in ("a.exe", "b.exe") and process.pid in (4) and event.type in ("start")',
    'process where process.parent.name != null and process.name != "x.exe"',
    'process where process.parent.name != null or process.parent.name == "x"',
    'process where user.name == null and user.id != null',
    'file where file.name like "*.ps1" and not file.path : "C:\\\\Windows\\\\*"',
    'network where cidrMatch(destination.ip, "10.0.0.0/8") and destination.port == 443',
]


@pytest.mark.parametrize("query", CLEAN)
def test_idiomatic_queries_are_clean(query):
    assert lint_of(query) == []


# --- DAC430 -------------------------------------------------------------------------------------

def test_unknown_category_points_at_it_and_suggests():
    result = EQL.parse('proces where true')
    assert [(d.code, d.line, d.column) for d in result.diagnostics] == [("DAC430", 1, 1)]
    assert "did you mean 'process'" in result.diagnostics[0].message


@pytest.mark.parametrize("query", [
    'dns where dns.question.name : "*.xyz"',
    'Process where true',  # categories are case-sensitive
    'sequence with maxspan=1m [process where true] [netwrk where true]',
])
def test_unknown_categories(query):
    assert "DAC430" in codes(query)


def test_unknown_category_in_a_later_stage_has_its_position():
    assert lint_of('sequence with maxspan=1m\n  [process where true]\n  [regstry where true]') == [("DAC430", 3, 4)]


@pytest.mark.parametrize("category", sorted(lint.ECS_CATEGORIES | lint.ECS_EVENT_TYPES))
def test_every_ecs_category_and_type_is_known(category):
    assert "DAC430" not in codes(f"{category} where true")


# --- DAC431 -------------------------------------------------------------------------------------

def test_equality_with_a_star():
    assert lint_of('process where process.name == "power*"') == [("DAC431", 1, 31)]


def test_star_on_the_left_and_with_not_equal():
    result = EQL.parse('process where "x*" != process.name')
    assert [(d.code, d.column) for d in result.diagnostics] == [("DAC431", 15)]
    assert "every event" in result.diagnostics[0].message


def test_in_and_not_in_lists_with_stars():
    assert lint_of('process where process.name in ("a.exe", "b*")') == [("DAC431", 1, 41)]
    assert lint_of('process where process.name not in~ ("*.tmp", "c.exe")\n') == [("DAC431", 1, 37)]


@pytest.mark.parametrize("query", [
    'process where process.name : "power*"',
    'process where process.name like~ ("power*", "pwsh*")',
    'process where process.name == "powershell.exe"',
    'process where process.args_count == 2 * 3',
    'process where process.name == """raw without star"""',
])
def test_patterns_and_plain_values_are_fine(query):
    assert "DAC431" not in codes(query)


def test_raw_string_star():
    assert codes('process where process.name == """C:\\Temp\\*"""') == ["DAC431"]


# --- DAC432 -------------------------------------------------------------------------------------

def test_sequence_without_maxspan_points_at_sequence():
    assert lint_of('/* c */\n  sequence by host.id [process where true] [file where true]') == [("DAC432", 2, 3)]


def test_sequence_with_runs_still_needs_maxspan():
    assert codes('sequence by host.id [authentication where true] with runs=5') == ["DAC432"]


def test_maxspan_or_until_bounds_a_sequence():
    assert "DAC432" not in codes('sequence with maxspan=10s [process where true] [file where true]')
    assert "DAC432" not in codes('sequence [process where true] [file where true] until [process where true]')
    assert "DAC432" not in codes('sample by host.id [process where true] [file where true]')


# --- DAC433 / DAC434 ----------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, reason", [
    ("(cmd|powershell", "'(' is not closed"),
    ("cmd)", "')' has no matching"),
    ("[a-z", "character class"),
    ('a"b', "quoted string"),
    ("abc\\", "lone backslash"),
    ("a{x}", "repetition"),
    ("a{1,2", "repetition"),
])
def test_lucene_regex_errors(pattern, reason):
    assert reason in lucene_regex_error(pattern)


@pytest.mark.parametrize("pattern", [
    "", "abc", "(a|b)*c", "a{2}", "a{2,}", "a{2,5}", "[]a]", "[^]a]", "[(]", "\\(", '"(literal"',
    "{abc}", "(|a)", "a|{", "x<1-10>y", ".*\\\\system32\\\\.*",
])
def test_valid_lucene_regexes(pattern):
    assert lucene_regex_error(pattern) is None


def test_invalid_regex_points_at_the_string():
    assert lint_of('process where\n  process.name regex ("a.*", "(b")') == [("DAC433", 2, 30)]


def test_regex_is_decoded_before_checking():
    # "\\(" in an EQL string is the regex \( : an escaped parenthesis, valid.
    assert codes('process where process.name regex "a\\\\(b"') == []
    # """\(""" is raw: the same regex.
    assert codes('process where process.name regex """a\\(b"""') == []


def test_match_operators_other_than_regex_are_not_regexes():
    assert codes('process where process.name : "(x*" and process.name like "(y*"') == []


@pytest.mark.parametrize("pattern", ['"^cmd.*"', '".*exe$"', '"(?i)cmd"', '"*.exe"', '"+x"'])
def test_pcre_syntax(pattern):
    assert lint_of(f"process where process.name regex {pattern}") == [("DAC434", 1, 34)]


def test_escaped_anchor_is_literal_on_purpose():
    assert codes('process where process.name regex ".*\\\\$"') == []


def test_a_broken_regex_gets_one_diagnostic():
    assert codes('process where process.name regex "^(a"') == ["DAC433"]


# --- DAC435 -------------------------------------------------------------------------------------

def test_list_in_one_string():
    result = EQL.parse('process where process.name in ("a.exe,b.exe")')
    assert [(d.code, d.column) for d in result.diagnostics] == [("DAC435", 32)]
    assert "quote each value" in result.diagnostics[0].message
    assert lint_of('process where process.name not in~ ("a.exe, b.exe")') == [("DAC435", 1, 37)]
    assert lint_of('process where\n  process.name : ("a*, b*")') == [("DAC435", 2, 19)]
    assert lint_of('process where process.name like~ ("""a, b""")') == [("DAC435", 1, 35)]


@pytest.mark.parametrize("query", [
    'process where process.pid in (4) and event.type in ("start")',  # one value, no comma: fine
    'process where process.command_line : "*a, b*"',                   # a bare pattern with a comma
    'process where process.name in ("a, b", "c")',                     # a real list
    'process where process.args in (",")',                             # the comma itself
    'process where process.args in ("-x,")',
    'process where process.name regex ("a{1,3}")',                     # regex repetition
])
def test_lists_that_are_fine(query):
    assert "DAC435" not in codes(query)


# --- DAC436 -------------------------------------------------------------------------------------

def test_redundant_null_check():
    assert lint_of('process where a.b != null and a.b : "x*"') == [("DAC436", 1, 15)]
    assert lint_of('process where x == 1 and\n  (?a.b != null and (c == 2 and a.b in ("v", "w")))') == [("DAC436", 2, 4)]
    assert codes('process where null != a.b and a.b == "x"') == ["DAC436"]


@pytest.mark.parametrize("query", [
    'process where a.b != null and a.b != "x"',       # a negative test does not imply a value
    'process where a.b != null and a.b == null',      # contradictory, but not this rule
    'process where a.b != null and c.d == "x"',       # another field
    'process where a.b != null or a.b == "x"',        # or, not and
    'process where a.b != null and not a.b == "x"',   # negated
    'process where a.b != null and a.b not in ("x", "y")',
])
def test_null_check_that_is_not_redundant(query):
    assert "DAC436" not in codes(query)


# --- DAC437 -------------------------------------------------------------------------------------

def test_join_key_count_mismatch_points_at_the_stage():
    query = 'sequence by host.id with maxspan=1m\n  [process where true] by user.name\n  [file where true]'
    assert lint_of(query) == [("DAC437", 3, 3)]


def test_until_and_sample_keys_are_counted():
    assert codes('sequence with maxspan=1m [process where true] by a [file where true] by a '
                 'until [process where true]') == ["DAC437"]
    assert codes('sample by host.id [process where true] by a [file where true]') == ["DAC437"]


def test_matching_key_counts():
    assert codes('sequence with maxspan=1m [process where true] by a, b [file where true] by c, d') == []
    assert codes('sequence by x with maxspan=1m [process where true] by a ![file where true] by c') == []


# --- DAC438 -------------------------------------------------------------------------------------

def test_unsupported_pipes():
    assert lint_of('process where true | head 5 | tail 1') == []
    assert lint_of('process where true\n| unique process.name') == [("DAC438", 2, 3)]
    assert lint_of('process where true | count') == [("DAC438", 1, 22)]


@pytest.mark.parametrize("query, column", [
    ('process where true | head', 22),
    ('process where true | head 1, 2', 22),
    ('process where true | tail 0', 27),
    ('process where true | tail x', 27),
    ('process where true | head -3', 27),
    ('process where true | head 2.5', 27),
])
def test_head_and_tail_need_one_positive_integer(query, column):
    assert lint_of(query) == [("DAC438", 1, column)]


# --- every rule ---------------------------------------------------------------------------------

def test_every_rule_has_a_documented_code():
    documented = {code for code in CODES if code.startswith("DAC43")}
    assert documented == {f"DAC43{i}" for i in range(9)}
    for code in documented:
        info = CODES[code]
        assert info.name.startswith("eql-") and info.summary and info.why and info.fix


def test_rules_never_raise_on_odd_trees():
    from lark import Token, Tree

    odd = [
        Tree("start", []),
        Tree("start", [Tree("category", []), Tree("comparison", [Token("NAME", "x")]),
                       Tree("match", [Tree("field", []), Token("MATCH_OP", "regex")]),
                       Tree("in_", [Token("NAME", "x"), Token("IN_OP", "in"), Tree("value_list", [])]),
                       Tree("and_", [Tree("comparison", [Tree("field", []), Token("COMPARE", "!="),
                                                         Token("NULL", "null")])]),
                       Tree("sequence", [Tree("sequence_stages", [])]), Tree("sample", ["text"]),
                       Tree("pipe", []), Tree("pipe", [Token("NAME", "head"), Token("INT", "x")])]),
        "not a tree",
        None,
    ]
    for tree in odd:
        for rule in EQL.lint_rules:
            assert isinstance(rule(tree, ""), list)


def test_lint_needs_no_second_walk_but_works_without_the_parser_index():
    tree = EQL.parse('proces where a == "b*"').tree
    EQL.parse('process where true')  # the parser's index now belongs to another tree
    found = sorted(d.code for rule in EQL.lint_rules for d in rule(tree, ""))
    assert found == ["DAC430", "DAC431"]


def test_string_value_decodes_escapes():
    from lark import Token

    assert string_value(Token("STRING", '"a\\\\b\\"c\\u{41}\\t"')) == 'a\\b"cA\t'
    assert string_value(Token("RAW_STRING", '"""a\\b"""')) == "a\\b"
