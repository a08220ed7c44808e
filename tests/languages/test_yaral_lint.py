"""YARA-L lint rules DAC460-DAC468: each fires on the mistake, at the offending token, and stays
quiet on the idiomatic form. Positions are counted by hand in the queries below."""
from __future__ import annotations

import pytest
import yaml

from tooling.diagnostics import CODES
from tooling.languages import get_language
from tooling.languages.yaral import lint as yaral_lint
from tooling.languages.yaral.analysis import analyze


@pytest.fixture(scope="module")
def yaral():
    return get_language("yaral")


def rule(events: str, *, match: str = "", outcome: str = "", condition: str = "$e") -> str:
    """A rule with each given section; line 1 `rule r {`, line 2 `  events:`, events from line 3."""
    lines = ["rule r {", "  events:"] + [f"    {line}" for line in events.splitlines()]
    if match:
        lines += ["  match:", f"    {match}"]
    if outcome:
        lines += ["  outcome:"] + [f"    {line}" for line in outcome.splitlines()]
    lines += ["  condition:", f"    {condition}", "}"]
    return "\n".join(lines)


def lint(yaral, query: str) -> list[tuple[str, int, int]]:
    result = yaral.parse(query)
    assert result.ok, result.diagnostics
    return [(d.code, d.line, d.column) for d in result.diagnostics]


LOGIN = '$e.metadata.event_type = "USER_LOGIN"'
# two event variables joined through $user (lines 3-6)
TWO = ('$login.metadata.event_type = "USER_LOGIN"\n$proc.metadata.event_type = "PROCESS_LAUNCH"\n'
       "$login.target.user.userid = $user\n$proc.principal.user.userid = $user")


# ---- DAC460 undefined-variable -----------------------------------------------------------------

def test_dac460_condition_names_an_undefined_event_variable(yaral):
    # line 5 "    $e2": the variable at column 5
    assert lint(yaral, rule(LOGIN, condition="$e2")) == [("DAC460", 5, 5)]


def test_dac460_count_absence_and_outcome_references(yaral):
    # lines 3-4 events, 5-6 match, 7 "  condition:", 8 "    #f > 2 and !$g": `#f` at column 5,
    # `and` 12-14, `!` 16, `$g` 17
    query = rule(LOGIN + "\n$user = $e.target.user.userid", match="$user over 10m", condition="#f > 2 and !$g")
    assert lint(yaral, query) == [("DAC460", 8, 5), ("DAC460", 8, 17)]
    # outcome: line 8 "    $n = count($x.metadata.id)": `$x.metadata.id` starts at column 16
    query = rule(LOGIN + "\n$user = $e.target.user.userid", match="$user over 10m",
                 outcome="$n = count($x.metadata.id)", condition="$e")
    assert lint(yaral, query) == [("DAC460", 8, 16)]


def test_dac460_pivot_must_be_an_event_variable(yaral):
    # line 6 (after "  match:" on 5) "    $user over 10m after $f": `$f` at column 26
    query = rule(LOGIN + "\n$user = $e.target.user.userid", match="$user over 10m after $f")
    assert lint(yaral, query) == [("DAC460", 6, 26)]


def test_dac460_quiet_for_events_placeholders_and_outcomes(yaral):
    query = rule(LOGIN + "\n$user = $e.target.user.userid", match="$user over 10m after $e",
                 outcome="$n = count_distinct($e.metadata.id)\n$score = $n * 10",
                 condition="$e and #user > 0 and $score > 50")
    assert lint(yaral, query) == []


# ---- DAC461 match-key-not-placeholder --------------------------------------------------------------

def test_dac461_unbound_match_key(yaral):
    # line 4 "  match:", line 5 "    $usr over 10m"
    assert lint(yaral, rule(LOGIN, match="$usr over 10m", condition="#e > 5")) == [("DAC461", 5, 5)]


def test_dac461_event_variable_and_outcome_as_match_key(yaral):
    # line 6 "    $user, $e over 10m": `$user` 5-9, `,` 10, `$e` at column 12
    query = rule(LOGIN + "\n$user = $e.target.user.userid", match="$user, $e over 10m")
    diagnostics = yaral.parse(query).diagnostics
    assert [(d.code, d.line, d.column) for d in diagnostics] == [("DAC461", 6, 12)]
    assert "event variable" in diagnostics[0].message
    query = rule(LOGIN + "\n$user = $e.target.user.userid", match="$user, $n over 10m",
                 outcome="$n = count($e.metadata.id)")
    assert lint(yaral, query) == [("DAC461", 6, 12)]


def test_dac461_quiet_for_placeholders(yaral):
    query = rule(LOGIN + "\n$user = $e.target.user.userid\n$e.principal.ip = $ip", match="$user, $ip over 1h")
    assert lint(yaral, query) == []


# ---- DAC462 multi-event-without-match ----------------------------------------------------------

def test_dac462_two_event_variables_without_match(yaral):
    # `$proc` first appears on line 4, column 5
    assert lint(yaral, rule(TWO, condition="$login and $proc")) == [("DAC462", 4, 5)]


def test_dac462_typo_in_second_event_variable(yaral):
    # line 4 '    $e2.principal.hostname = "x"': a typo for $e is a second event variable
    events = LOGIN + '\n$e2.principal.hostname = "x"'
    found = lint(yaral, rule(events))
    assert ("DAC462", 4, 5) in found


def test_dac462_quiet_with_match_or_single_event(yaral):
    assert lint(yaral, rule(TWO, match="$user over 1h", condition="$login and $proc")) == []
    assert lint(yaral, rule(LOGIN + '\n$e.principal.hostname != ""')) == []


# ---- DAC463 condition-or-with-several-events ----------------------------------------------------

def test_dac463_or_between_event_variables(yaral):
    # line 10 "    $login or $proc": `or` at column 12
    query = rule(TWO, match="$user over 1h", condition="$login or $proc")
    assert lint(yaral, query) == [("DAC463", 10, 12)]


def test_dac463_finds_the_keyword_after_parentheses_and_comments(yaral):
    # line 10 "    ($login and #proc > 1) /* c */ OR !$proc": `OR` at column 36
    query = rule(TWO, match="$user over 1h", condition="($login and #proc > 1) /* c */ OR !$proc")
    assert lint(yaral, query) == [("DAC463", 10, 36)]


def test_dac463_quiet_for_single_event_and_outcome_only_or(yaral):
    single = rule(LOGIN + "\n$user = $e.target.user.userid", match="$user over 1h",
                  condition="#e > 5 or $e")
    assert lint(yaral, single) == []
    outcomes = rule(TWO, match="$user over 1h", outcome="$n = count($login.metadata.id)",
                    condition="$login and $proc and ($n > 5 or $n < 1)")
    assert lint(yaral, outcomes) == []


# ---- DAC464 invalid-regex ------------------------------------------------------------------------

@pytest.mark.parametrize("predicate, column", [
    # column of the literal's first character, counted from "    " + the text
    ("$e.target.process.command_line = /(stop|config/", 38),
    ("$e.target.process.command_line = /[a-z/ nocase", 38),
    ("$e.target.process.command_line = /*.exe/", 38),
    ("re.regex($e.target.process.command_line, `(stop|config`)", 46),
    ("re.regex($e.target.process.command_line, `stop)`) nocase", 46),
    (r"re.regex($e.target.process.command_line, `\qstop`)", 46),
    ("re.regex($e.target.process.command_line, `a{3,2}`)", 46),
    ("re.regex($e.target.process.command_line, `[z-a]`)", 46),
    (r're.regex($e.target.process.command_line, "stop\\")', 46),
])
def test_dac464_patterns_that_do_not_compile(yaral, predicate, column):
    assert lint(yaral, rule(predicate)) == [("DAC464", 3, column)]


def test_dac464_in_outcome_capture(yaral):
    # line 5 "    $svc = re.capture($e.target.process.command_line, `stop (\w+`)": `$svc` 5-8,
    # ` = ` 9-11, `re.capture(` 12-22, the field 23-52, `,` 53, a space: the backtick at 55
    query = rule(LOGIN, outcome=r"$svc = re.capture($e.target.process.command_line, `stop (\w+`)")
    assert lint(yaral, query) == [("DAC464", 5, 55)]


@pytest.mark.parametrize("pattern", [
    r"`(?i)\bsc(\.exe)?\s+stop\b`", r"`^(1|DWORD \(0x00000001\))$`", r'"\\.exe$"',
    r"`\pL+\z`",  # RE2 classes and end of text (not Python)
    r"`(?P<svc>\w+)`", r"`(?<svc>\w+)`",  # named groups, both RE2 spellings
    r"`a(?i)b`",  # flags in mid-pattern: RE2 accepts them
    r"`^*a`", r"`\b+x`",  # repeated assertions: RE2 accepts them
    r"`\x{41}`", r"`\12`",  # RE2 hex and octal escapes
    r"`[\d-9]`", r"`{,}`",
])
def test_dac464_quiet_on_patterns_re2_accepts(yaral, pattern):
    assert lint(yaral, rule(f"re.regex($e.target.process.command_line, {pattern})")) == []


def test_dac464_only_reports_what_re2_also_rejects():
    re2 = pytest.importorskip("re2")
    bad = ["(a", "a)", "[a", "*a", "a**", "a{2}{3}", "[z-a]", "a{3,2}", "a\\", r"\q", r"\e", r"\8",
           "(?P<>a)", "(?P<a", r"\x4", "a???"]
    for pattern in bad:
        assert yaral_lint.regex_error(pattern), pattern
        with pytest.raises(Exception):
            re2.compile(pattern)


# ---- DAC465 match-window-out-of-range -----------------------------------------------------------

@pytest.mark.parametrize("window, column", [("over 7d", 16), ("over 49h", 16), ("over 30s", 16),
                                            ("by 3d", 14)])
def test_dac465_window_outside_1m_to_48h(yaral, window, column):
    # line 6 "    $user over 7d": the duration after "$user over " (column 16) or "$user by " (14)
    query = rule(LOGIN + "\n$user = $e.target.user.userid", match=f"$user {window}", condition="#e > 5")
    assert lint(yaral, query) == [("DAC465", 6, column)]


@pytest.mark.parametrize("window", ["over 1m", "over 48h", "over 2d", "over 60s", "by 30m", "over 1h before $e"])
def test_dac465_quiet_inside_the_range(yaral, window):
    query = rule(LOGIN + "\n$user = $e.target.user.userid", match=f"$user {window}", condition="#e > 5")
    assert lint(yaral, query) == []


# ---- DAC466 unused-placeholder ---------------------------------------------------------------------

def test_dac466_placeholder_bound_once(yaral):
    # line 4 "    $e.principal.hostname = $host": `$host` at column 29
    diagnostics = yaral.parse(rule(LOGIN + "\n$e.principal.hostname = $host")).diagnostics
    assert [(d.code, d.line, d.column) for d in diagnostics] == [("DAC466", 4, 29)]
    assert diagnostics[0].severity.value == "warning"  # raised from info once our packages were fixed


def test_dac466_quiet_when_used(yaral):
    bound = LOGIN + "\n$e.principal.hostname = $host"
    assert lint(yaral, rule(bound, match="$host over 1h")) == []
    assert lint(yaral, rule(bound, outcome="$h = array_distinct($host)")) == []
    assert lint(yaral, rule(bound + '\n$host != "localhost"')) == []  # used twice in events
    assert lint(yaral, rule(TWO, match="$user over 1h", condition="$login and $proc")) == []


# ---- DAC467 event-variables-not-joined --------------------------------------------------------------

def test_dac467_unjoined_event_variable(yaral):
    # `$proc` first appears on line 4, column 5; $user only binds $login
    events = '$login.metadata.event_type = "USER_LOGIN"\n$proc.metadata.event_type = "PROCESS_LAUNCH"\n' \
             "$login.target.user.userid = $user"
    assert lint(yaral, rule(events, match="$user over 1h", condition="$login and $proc")) == [("DAC467", 4, 5)]


def test_dac467_inequality_is_not_a_join(yaral):
    events = ('$a.metadata.event_type = "USER_LOGIN"\n$b.metadata.event_type = "USER_LOGIN"\n'
              "$a.target.user.userid = $user\n"
              "$a.metadata.event_timestamp.seconds < $b.metadata.event_timestamp.seconds")
    assert lint(yaral, rule(events, match="$user over 1h", condition="$a and $b")) == [("DAC467", 4, 5)]


def test_dac467_quiet_for_direct_transitive_and_function_joins(yaral):
    direct = ('$a.metadata.event_type = "USER_LOGIN"\n$b.metadata.event_type = "USER_LOGIN"\n'
              "$c.metadata.event_type = \"USER_LOGOUT\"\n$a.target.user.userid = $user\n"
              "$a.principal.ip = $b.principal.ip\n$c.target.user.userid = $user\n"
              "$b.principal.hostname = $user_host\n$c.principal.hostname = $user_host")
    assert lint(yaral, rule(direct, match="$user over 1h", condition="$a and $b and $c")) == []
    lowered = ('$a.metadata.event_type = "USER_LOGIN"\n$g.graph.metadata.entity_type = "USER"\n'
               "$user = strings.to_lower($a.target.user.userid)\n"
               "$user = strings.to_lower($g.graph.entity.user.userid)")
    assert lint(yaral, rule(lowered, match="$user over 1h", condition="$a and $g")) == []


# ---- DAC468 too-many-outcome-variables --------------------------------------------------------------

def test_dac468_twenty_one_outcomes(yaral):
    # outcome starts on line 5 (line 4 is "  outcome:"), so $oN is on line 4 + N: $o21 on line 25
    outcomes = "\n".join(f"$o{n} = $e.principal.hostname" for n in range(1, 22))
    assert lint(yaral, rule(LOGIN, outcome=outcomes)) == [("DAC468", 25, 5)]
    twenty = "\n".join(f"$o{n} = $e.principal.hostname" for n in range(1, 21))
    assert lint(yaral, rule(LOGIN, outcome=twenty)) == []


# ---- all rules --------------------------------------------------------------------------------------

def test_several_rules_in_one_query_are_checked_separately(yaral):
    query = rule(LOGIN) + "\n" + rule(LOGIN, condition="$x")
    # the second rule starts on line 7; its condition "    $x" is line 7 + 4 = 11
    assert lint(yaral, query) == [("DAC460", 11, 5)]
    assert "rule r:" in yaral.parse(query).diagnostics[0].message


def test_rules_never_raise_on_odd_trees():
    from lark import Token, Tree

    odd = [None, "text", Tree("start", []), Tree("start", [Tree("rule", [])]),
           Tree("start", [Tree("rule", [Token("NAME", "r"), Tree("events_section", [Tree("comparison", [])]),
                                        Tree("match_section", [Tree("hop_or_sliding_window", [])]),
                                        Tree("outcome_section", [Tree("outcome_assignment", [])]),
                                        Tree("condition_section", [Tree("cond_or", [Token("X", "x")])])])])]
    for tree in odd:
        for info in analyze(tree):  # the checks themselves, without the catch-all wrapper
            for check in yaral_lint.CHECKS:
                list(check(info, ""))
        for rule_function in yaral_lint.LINT_RULES:
            assert isinstance(rule_function(tree, ""), list)


@pytest.mark.parametrize("code", [c for c in sorted(CODES) if c.startswith("DAC46")])
def test_documented_examples_behave(yaral, code):
    entry = CODES[code]
    bad = yaml.safe_load(entry.bad)["queries"]["yaral"]
    good = yaml.safe_load(entry.good)["queries"]["yaral"]
    assert lint(yaral, good) == []
    if code != "DAC468":  # its example elides 19 of the 21 outcome lines
        assert [c for c, _, _ in lint(yaral, bad)] == [code]


def test_real_detections_raise_no_error_or_warning(yaral):
    """The packages may carry DAC466 notes (reported to the lead), never an error or warning."""
    from pathlib import Path

    from tooling.package import iter_package_files, load_package

    root = Path(__file__).resolve().parents[2] / "detections"
    for path in iter_package_files([root]):
        text = load_package(path).data["queries"]["yaral"]
        result = yaral.parse(text)
        assert result.ok, path
        assert [d for d in result.diagnostics if d.code != "DAC466"] == [], path
