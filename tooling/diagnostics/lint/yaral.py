"""Lint codes of the yaral language (see tooling/diagnostics/lint/__init__.py for the ranges).

The rules themselves are in tooling/languages/yaral/lint.py.
"""
from __future__ import annotations

from tooling.diagnostics.codes import Code, Severity  # noqa: F401 - used by the entries below

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def _rule(events: str, *, match: str = "", outcome: str = "", condition: str = "$e") -> str:
    """A `queries:` snippet holding a small YARA-L rule (sections given as indented lines)."""
    lines = ["queries:", "  yaral: |", "    rule example {", "      events:"]
    lines += [f"        {line}" for line in events.splitlines()]
    if match:
        lines += ["      match:"] + [f"        {line}" for line in match.splitlines()]
    if outcome:
        lines += ["      outcome:"] + [f"        {line}" for line in outcome.splitlines()]
    lines += ["      condition:"] + [f"        {line}" for line in condition.splitlines()] + ["    }"]
    return "\n".join(lines)


_LOGIN = '$e.metadata.event_type = "USER_LOGIN"'
_TWO = ('$login.metadata.event_type = "USER_LOGIN"\n'
        '$proc.metadata.event_type = "PROCESS_LAUNCH"\n'
        "$login.target.user.userid = $user\n"
        "$proc.principal.user.userid = $user")

CODES: list[Code] = [
    Code("DAC460", "undefined-variable", E,
         "A variable used in the match window, outcome or condition is not defined in events.",
         "Every `$name` and `#name` must be an event variable or placeholder of the events section "
         "or an outcome variable. Google SecOps refuses to save a rule that uses an undefined "
         "variable; more often the name is a typo (`$e1` for `$e`) of the variable meant.",
         _rule(_LOGIN, condition="$login"),
         _rule(_LOGIN, condition="$e"),
         "Use the name the events section defines, or define the variable there (`$user = "
         "$e.target.user.userid`) or in outcome. The message lists the event variables in events."),
    Code("DAC461", "match-key-not-placeholder", E,
         "A match key is not a placeholder bound in the events section.",
         "A rule groups events by placeholders: variables assigned an event field in events "
         "(`$user = $e.target.user.userid`). An event variable, an outcome variable, a raw field or "
         "an unbound name in `match:` is rejected when the rule is saved.",
         _rule(_LOGIN, match="$usr over 10m", condition="#e > 5"),
         _rule(_LOGIN + "\n$user = $e.target.user.userid", match="$user over 10m", condition="#e > 5"),
         "Bind the value to a placeholder in events and match on that placeholder; check for typos "
         "between the binding and the match key."),
    Code("DAC462", "multi-event-without-match", E,
         "The rule has several event variables but no match section.",
         "Without `match:` a rule is a single-event rule (the reference: without a match section "
         "\"the rule can match a single event\"): it cannot correlate `$login` with `$proc`, and "
         "Google SecOps rejects a rule with several event variables and no match window. "
         "Often a second variable is a typo of the first (`$e2.x` for `$e.x`).",
         _rule(_TWO, condition="$login and $proc"),
         _rule(_TWO, match="$user over 1h", condition="$login and $proc"),
         "Add `match: $placeholder over <window>` naming the placeholder that joins the events, or "
         "rename a mistyped event variable so that the rule uses one."),
    Code("DAC463", "condition-or-with-several-events", E,
         "The condition uses `or` although the rule has more than one event variable.",
         "The YARA-L reference says to use `or` in the condition only when the rule has a single "
         "event variable: in a multi-event rule the event conditions (`$e`, `!$e`, `#e > 1`) must "
         "be joined with `and`, and Google SecOps rejects the rule. (An `or` between outcome "
         "comparisons only, such as `($risk > 80 or $n > 5)`, is not reported.)",
         _rule(_TWO, match="$user over 1h", condition="$login or $proc"),
         _rule(_TWO, match="$user over 1h", condition="$login and $proc"),
         "Write one rule per alternative, or express the alternatives inside the events section of "
         "a single-event rule (`$e.metadata.event_type = \"USER_LOGIN\" or ...`)."),
    Code("DAC464", "invalid-regex", E,
         "A regular expression does not compile.",
         "Regex literals (`/.../`) and the patterns of `re.regex`, `re.capture` and `re.replace` are "
         "RE2 expressions. An unbalanced parenthesis, an unterminated `[...]`, a quantifier with "
         "nothing to repeat or an unknown escape such as `\\q` is rejected when the rule is saved. "
         "Only errors that RE2 and Python's `re` agree on are reported.",
         _rule('$e.metadata.event_type = "PROCESS_LAUNCH"\n'
               're.regex($e.target.process.command_line, `(stop|config`) nocase'),
         _rule('$e.metadata.event_type = "PROCESS_LAUNCH"\n'
               're.regex($e.target.process.command_line, `(stop|config)`) nocase'),
         "Fix the pattern at the position the message gives. In a double-quoted string every "
         "backslash must be doubled (`\"\\\\.exe\"`); a backtick raw string (`` `\\.exe` ``) takes "
         "the pattern verbatim."),
    Code("DAC465", "match-window-out-of-range", E,
         "The match window is shorter than 1 minute or longer than 48 hours.",
         "Google SecOps accepts match windows from 1m to 48h. A rule with `over 7d` is rejected; "
         "one with `over 30s` too.",
         _rule(_LOGIN + "\n$user = $e.target.user.userid", match="$user over 7d", condition="#e > 5"),
         _rule(_LOGIN + "\n$user = $e.target.user.userid", match="$user over 48h", condition="#e > 5"),
         "Use a window between 1m and 48h. For longer baselines, use a scheduled rule over a "
         "summary, or entity-graph / first-seen context instead of one wide window."),
    Code("DAC466", "unused-placeholder", W,
         "A placeholder is bound once in events and used nowhere else.",
         "A placeholder does something only when it is used: to join events (bound twice), as a "
         "match key, or in outcome or condition. Bound once and never used, `$host = "
         "$e.principal.hostname` filters nothing (it does not even require the field to be set) "
         "and tells a reader the rule groups or joins on it when it does not.",
         _rule(_LOGIN + "\n$host = $e.principal.hostname"),
         _rule(_LOGIN + '\n$e.principal.hostname != ""'),
         "Delete the binding; or use it (match on it, join on it, or show it in outcome with "
         "`$host = array_distinct(...)`); or, if the field must be set, write `!= \"\"`."),
    Code("DAC467", "event-variables-not-joined", E,
         "An event variable is not joined to the others.",
         "Every event variable of a multi-event rule must be joined to the others, directly "
         "(`$e1.principal.hostname = $e2.principal.hostname`) or through a shared placeholder "
         "(`$e1.x = $host` and `$e2.y = $host`). Google SecOps rejects a rule with an unjoined "
         "event variable: it would pair every event with every other.",
         _rule('$login.metadata.event_type = "USER_LOGIN"\n'
               '$proc.metadata.event_type = "PROCESS_LAUNCH"\n'
               "$login.target.user.userid = $user", match="$user over 1h",
               condition="$login and $proc"),
         _rule(_TWO, match="$user over 1h", condition="$login and $proc"),
         "Bind a field of the unjoined event variable to the same placeholder as the others, or "
         "compare it with `=` to a field of another event variable."),
    Code("DAC468", "too-many-outcome-variables", E,
         "The rule defines more than 20 outcome variables.",
         "Google SecOps allows at most 20 outcome variables per rule; a rule with more is rejected.",
         _rule(_LOGIN, outcome="$o1 = $e.principal.hostname\n// ... $o2 to $o20 ...\n$o21 = $e.target.user.userid"),
         _rule(_LOGIN, outcome="$o1 = $e.principal.hostname\n// ... up to $o20, no more"),
         "Drop outcome variables nobody reads, or combine related values into one "
         "(`array_distinct`, `strings.concat`)."),
]
