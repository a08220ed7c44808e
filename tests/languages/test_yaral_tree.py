"""YARA-L: the parse tree and its analysis view, one test per construct, error wording, and a
property test that mutated rules never crash or hang the parser."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from lark import Token, Tree

from tests.languages.support import expected_part, mutated, survives
from tests.languages.support import yaral_rule as rule
from tooling.languages import get_language
from tooling.languages.yaral.analysis import Pos, analyze, position, string_value


@pytest.fixture(scope="module")
def yaral():
    return get_language("yaral")


REPRESENTATIVE = r'''/* header */
rule brute_force_then_process {
  meta:
    author = "tests"
    severity = "HIGH"
  events:
    $login.metadata.event_type = "USER_LOGIN" nocase
    $login.target.user.userid = $user
    $proc.principal.user.userid = $user
    re.regex($proc.target.process.command_line, `whoami`) nocase
    $proc.principal.ip in cidr %corp
  match:
    $user over 30m after $login
  outcome:
    $risk = max(if($login.security_result.action = "FAIL", 50, 0) + 10)
  condition:
    #login > 3 and $proc and $risk > 20
}
'''


def test_tree_nodes_and_positions(yaral):
    tree = yaral.parse(REPRESENTATIVE).tree
    rule_node = tree.children[0]
    # a node starts at its first token, keywords included: `rule` at column 1
    assert rule_node.data == "rule" and (rule_node.meta.line, rule_node.meta.column) == (2, 1)
    assert rule_node.children[0] == "brute_force_then_process"
    sections = [c.data for c in rule_node.children[1:]]
    assert sections == ["meta_section", "events_section", "match_section", "outcome_section",
                        "condition_section"]
    events = rule_node.children[2]
    # line 7 '    $login.metadata.event_type = "USER_LOGIN" nocase'
    first = events.children[0]
    assert first.data == "comparison" and (first.meta.line, first.meta.column) == (7, 5)
    field, comparator, value, nocase = first.children
    assert field.data == "field" and field.children[0] == "$login.metadata.event_type"
    assert comparator.data == "comparator" and comparator.children[0] == "="
    # the field is 26 characters (columns 5-30), then " = ": the string starts at column 34
    assert (value.type, value, value.line, value.column) == ("STRING", '"USER_LOGIN"', 7, 34)
    assert nocase.type == "NOCASE"
    # line 10 "    re.regex($proc.target.process.command_line, `whoami`) nocase"
    call_predicate = events.children[3]
    assert call_predicate.data == "bool_call"
    call = call_predicate.children[0]
    assert call.data == "call" and call.children[0] == "re.regex" and (call.meta.line, call.meta.column) == (10, 5)
    assert [getattr(a, "data", getattr(a, "type", None)) for a in call.children[1:]] == ["field", "RAW_STRING"]
    membership = events.children[4]
    assert membership.data == "membership" and [str(c) for c in membership.children[1:]] == ["cidr", "%corp"]
    match = rule_node.children[3]
    window = match.children[1]
    assert window.data == "hop_or_sliding_window" and window.children[0] == "30m"
    assert window.children[1].data == "pivot" and [str(c) for c in window.children[1].children] == ["after", "$login"]
    outcome = rule_node.children[4].children[0]
    assert outcome.data == "outcome_assignment" and outcome.children[0] == "$risk"
    assert (outcome.meta.line, outcome.meta.column, outcome.meta.end_line) == (15, 5, 15)
    condition = rule_node.children[5].children[0]
    assert condition.data == "cond_and"
    assert [c.data for c in condition.children] == ["comparison", "exists", "comparison"]


def test_analysis_view(yaral):
    info, = analyze(yaral.parse(REPRESENTATIVE).tree)
    assert (info.name, info.pos) == ("brute_force_then_process", Pos(2, 6))
    assert info.meta == {"author": ('"tests"', Pos(4, 5)), "severity": ('"HIGH"', Pos(5, 5))}
    kinds = [(p.kind, p.event_variables, p.field, p.operator, p.values, p.nocase) for p in info.predicates]
    assert kinds == [
        ("filter", ("$login",), "$login.metadata.event_type", "=", ('"USER_LOGIN"',), True),
        ("binding", ("$login",), "$login.target.user.userid", "=", (), False),
        ("binding", ("$proc",), "$proc.principal.user.userid", "=", (), False),
        ("call", ("$proc",), "$proc.target.process.command_line", "re.regex", ("`whoami`",), True),
        ("membership", ("$proc",), "$proc.principal.ip", "in cidr", ("%corp",), False),
    ]
    assert info.predicates[1].placeholders == ("$user",)
    assert list(info.event_variables) == ["$login", "$proc"]
    assert info.placeholders == {"$user": [Pos(8, 33), Pos(9, 35)]}
    assert info.match.keys == [("$user", Pos(13, 5))]
    assert (info.match.window, info.match.duration, info.match.pivot) == ("over after", "30m", ("$login", Pos(13, 26)))
    assert [(o.name, o.pos) for o in info.outcomes] == [("$risk", Pos(15, 5))]
    assert [(t.kind, t.variable, t.operator, t.value) for t in info.condition] == [
        ("count", "$login", ">", "3"), ("exists", "$proc", "", ""), ("outcome", "$risk", ">", "20")]
    assert [(c.name, c.section, c.pos) for c in info.calls] == [
        ("re.regex", "events", Pos(10, 5)), ("max", "outcome", Pos(15, 13)), ("if", "outcome", Pos(15, 17))]
    assert [(r.pattern, r.source) for r in info.regexes] == [("whoami", "raw")]


def test_position_helpers():
    token = Token("FIELD", "$e.x", line=3, column=7)
    assert position(token) == Pos(3, 7)
    assert position(Tree("comparison", [token])) == Pos(3, 7)
    assert position(None) == Pos(1, 1)
    assert string_value('"a\\\\b\\"c"') == 'a\\b"c' and string_value("`a\\b`") == "a\\b"


def test_join_and_regex_literal_classification(yaral):
    query = ('rule r {\n  events:\n    $a.principal.ip = $b.target.ip\n    $b.target.url = /\\/admin/ nocase\n'
             '  match:\n    $x over 1m\n  condition:\n    $a and $b\n}')
    info, = analyze(yaral.parse(query).tree)
    assert [p.kind for p in info.predicates] == ["join", "filter"]
    assert info.predicates[0].event_variables == ("$a", "$b")
    assert [(r.pattern, r.source, r.pos) for r in info.regexes] == [("\\/admin", "literal", Pos(4, 21))]


# ---- one test per construct (issue 8's list and the YARA-L reference) --------------------------



JOINED = '$e.metadata.event_type = "USER_LOGIN"\n    $e.target.user.userid = $user'
CONSTRUCTS = {
    "all sections in order": rule(JOINED, match="$user over 1h", outcome="$n = count($e.metadata.id)",
                                  condition="$e and $n > 1", options="allow_zero_values = true"),
    "block comment header": "/* Copyright\n * header */\n" + rule('$e.metadata.event_type = "USER_LOGIN"'),
    "line comments and a URL in a string": rule('$e.target.url = "https://example.org/x" // a comment'),
    "meta key = value": rule('$e.metadata.event_type = "USER_LOGIN"',
                             meta='description = "d"\n    severity = "LOW"\n    priority = "LOW"'),
    "UDM path": rule('$e.metadata.event_type = "PROCESS_LAUNCH"'),
    "entity graph path": rule('$e.metadata.event_type = "USER_LOGIN"\n    $e.target.user.userid = $user\n'
                              '    $g.graph.metadata.entity_type = "USER"\n    $g.graph.entity.user.userid = $user',
                              match="$user over 1h", condition="$e and $g"),
    "and / or / not": rule('($e.metadata.event_type = "A" or $e.metadata.event_type = "B") and not $e.x.y = "c"'),
    "comparison operators": rule('$e.target.port > 1 and $e.target.port <= 65535 and $e.target.port != 80'),
    "placeholder field = $var": rule('$e.principal.hostname = $host\n    $host != ""'),
    "placeholder $var = field": rule('$host = $e.principal.hostname\n    $host != ""'),
    "regex literal nocase": rule('$e.target.process.file.full_path = /\\\\cmd\\.exe$/ nocase'),
    "re.regex with a raw string": rule('re.regex($e.target.process.command_line, `\\bwhoami\\b`) nocase'),
    "in %list": rule('$e.principal.ip in %admin_ips'),
    "in regex %list": rule('$e.principal.hostname in regex %lab_hosts'),
    "in cidr %list": rule('$e.principal.ip in cidr %corp_nets'),
    "match over 1h": rule(JOINED, match="$user over 1h"),
    "sliding window": rule(JOINED, match="$user over 10m before $e"),
    "tumbling window": rule(JOINED, match="$user by 30m", condition="#e >= 3"),
    "outcome aggregations": rule(
        JOINED, match="$user over 1h",
        outcome='$risk = max(if($e.security_result.severity = "HIGH", 50, 0) + 10)\n'
                '    $low = min($e.metadata.event_timestamp.seconds)\n    $total = sum($e.network.sent_bytes)\n'
                '    $n = count($e.metadata.id)\n    $hosts = count_distinct($e.principal.hostname)\n'
                '    $ips = array($e.principal.ip)\n    $names = array_distinct($e.principal.hostname)'),
    "condition $e": rule('$e.metadata.event_type = "USER_LOGIN"', condition="$e"),
    "condition #e > 5": rule(JOINED, match="$user over 1h", condition="#e > 5"),
    "condition !$e2": rule(JOINED + '\n    $e2.metadata.event_type = "USER_LOGOUT"\n    $e2.target.user.userid = $user',
                           match="$user over 1h after $e", condition="$e and !$e2"),
    "condition on an outcome": rule(JOINED, match="$user over 1h", outcome="$risk = max(10)",
                                    condition="$e and $risk > 50"),
    "strings.* functions": rule('strings.to_lower($e.principal.hostname) = "ws1"\n'
                                '    strings.concat($e.principal.hostname, "-x") != ""'),
    "net.* functions": rule('net.ip_in_range_cidr($e.principal.ip, "10.0.0.0/8")'),
    "timestamp.* functions": rule('timestamp.get_hour($e.metadata.event_timestamp.seconds) < 6'),
    "math.* functions": rule('math.abs($e.network.sent_bytes - $e.network.received_bytes) > 100'),
    "arrays.* functions": rule('arrays.length($e.principal.ip) > 2'),
    "any / all": rule('any $e.principal.ip = "192.0.2.1" and all $e.about.labels.value != "x"'),
    "map subscript": rule('$e.additional.fields["k"] = "v"'),
    "data table column": rule('$e.principal.hostname = %assets.hostname'),
    "options section": rule('$e.metadata.event_type = "USER_LOGIN"', options="allow_zero_values = true"),
    "keywords in any case": rule('$e.principal.ip IN %vpn AND NOT $e.principal.hostname = "x"'),
}


@pytest.mark.parametrize("name", list(CONSTRUCTS))
def test_construct_parses_without_lint_errors(yaral, name):
    result = yaral.parse(CONSTRUCTS[name])
    assert result.ok, result.diagnostics
    assert [d for d in result.diagnostics if d.severity.value != "info"] == []


# ---- error wording: never an internal terminal name ------------------------------------------

_INTERNAL = re.compile(r"\b[A-Z][A-Z_]{2,}\b|anon|__")




@pytest.mark.parametrize("name", ["all sections in order", "entity graph path", "outcome aggregations",
                                  "sliding window", "condition !$e2", "in cidr %list"])
def test_no_internal_terminal_names_in_errors(yaral, name):
    query = CONSTRUCTS[name]
    pieces = re.findall(r"\s+|[\w$#%.]+|[^\w\s]", query)
    for end in range(1, len(pieces)):
        result = yaral.parse("".join(pieces[:end]))
        for diagnostic in result.diagnostics:
            if diagnostic.code == "DAC301":
                assert not _INTERNAL.search(expected_part(diagnostic.message)), diagnostic.message
                assert "expected" in diagnostic.message or "unterminated" in diagnostic.message


def test_terminals_have_words(yaral):
    result = yaral.parse('rule r {\n  events:\n    $e.x = $h\n  match:\n    $h over\n  condition:\n    $e\n}')
    assert "expected a duration such as 10m" in result.diagnostics[0].message
    result = yaral.parse('rule r {\n  events:\n    $e.x in\n  condition:\n    $e\n}')
    assert "a reference list (%name)" in result.diagnostics[0].message


# ---- property test: mutations never crash or hang ---------------------------------------------

_SEEDS = [CONSTRUCTS[name] for name in ("all sections in order", "outcome aggregations", "condition !$e2",
                                        "re.regex with a raw string", "entity graph path")]
_TOKENS = [re.findall(r"\s+|[\w$#%.]+|\S", seed) for seed in _SEEDS]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(_TOKENS))
def test_mutated_rules_never_crash_or_hang(text):
    survives(get_language("yaral"), text, _INTERNAL)
