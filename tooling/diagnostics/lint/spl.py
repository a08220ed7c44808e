"""Lint codes of the spl language (see tooling/diagnostics/lint/__init__.py for the ranges)."""
from __future__ import annotations

from tooling.diagnostics.codes import Code, Severity  # noqa: F401 - used by the entries below

E, W = Severity.ERROR, Severity.WARNING


def _spl(query: str) -> str:
    return "queries:\n  spl: |\n" + "".join(f"    {line}\n" for line in query.splitlines())


CODES: list[Code] = [
    Code("DAC420", "spl-unknown-command", W,
         "An SPL command is neither in Splunk's Search Reference nor a well-known app command.",
         "Splunk stops the search with \"Unknown search command\" when no installed app provides the "
         "command. Usually the name is a typo (`| stat`, `| tabel`); otherwise the detection "
         "silently depends on an app that the target Splunk may not have.",
         _spl("index=edr process_name=rundll32.exe\n| stat count by host"),
         _spl("index=edr process_name=rundll32.exe\n| stats count by host"),
         "Fix the spelling (the list of commands is in the Search Reference's command quick "
         "reference). If the command comes from an app, say which in the package's description "
         "and suppress the code with that reason; a macro (`` `name` ``) is never reported."),
    Code("DAC421", "spl-leading-wildcard-term", W,
         "A bare search term starts with a wildcard (`*cmd.exe`).",
         "Splunk finds search terms through the index's lexicon by their prefix. A term with a "
         "leading `*` has no prefix, so every event in the time range is read and matched, which "
         "makes the search slow and expensive, and it matches the text anywhere in the raw event "
         "rather than in the field you meant. `field=\"*value\"` is not reported: there the "
         "wildcard applies to one extracted field.",
         _spl("index=sysmon EventCode=1 *mimikatz*"),
         _spl("index=sysmon EventCode=1 mimikatz Image=\"*\\\\mimikatz.exe\""),
         "Search for the whole word without the leading `*` (Splunk splits events into words at "
         "punctuation, so `mimikatz` finds `C:\\tools\\mimikatz.exe`), or compare a field: "
         "`Image=\"*\\\\mimikatz.exe\"`."),
    Code("DAC422", "spl-wildcard-in-eval-comparison", W,
         "An eval or where expression compares with a quoted string containing `*` as if it were a wildcard.",
         "In `eval` and `where`, `=`, `==`, `!=` and `IN` compare literally: `*` is an asterisk, "
         "not a wildcard. `where CommandLine=\"*mimikatz*\"` matches only a command line that is "
         "exactly those ten characters, so the detection never fires. The same holds for a "
         "`like()` pattern written with `*` instead of `%`.",
         _spl("index=sysmon EventCode=1\n| where CommandLine=\"*mimikatz*\""),
         _spl("index=sysmon EventCode=1\n| where like(CommandLine, \"%mimikatz%\")"),
         "Use `like(field, \"%text%\")` (`%` and `_` are its wildcards), `match(field, regex)`, "
         "or move the condition into the search (`| search CommandLine=\"*mimikatz*\"`), where "
         "`*` is a wildcard."),
    Code("DAC423", "spl-rex-without-named-group", E,
         "A `rex` regular expression has no named capture group.",
         "`rex` creates one field per named group `(?<name>...)`. Without one it extracts nothing, "
         "and Splunk stops the search: \"The regex ... does not extract anything\". An unnamed "
         "group `(...)` or a forgotten `?<name>` is the usual cause.",
         _spl("index=win\n| rex field=CommandLine \"sc\\s+stop\\s+(\\w+)\""),
         _spl("index=win\n| rex field=CommandLine \"sc\\s+stop\\s+(?<service>\\w+)\""),
         "Name the group that holds the value: `(?<field_name>...)`. To filter on a regular "
         "expression without extracting, use `| regex field=\"...\"` or `where match(...)`. "
         "`rex mode=sed` takes a sed expression and is not checked."),
    Code("DAC424", "spl-invalid-regex", E,
         "A regular expression given to rex, regex, match(), replace() or mvfind() does not compile.",
         "Splunk compiles these with PCRE when the search starts; an unbalanced parenthesis, an "
         "unclosed `[...]` or a quantifier with nothing to repeat stops the whole search with a "
         "regex compilation error.",
         _spl("index=win\n| where match(CommandLine, \"(?i)(vssadmin|wbadmin.*delete\")"),
         _spl("index=win\n| where match(CommandLine, \"(?i)(vssadmin|wbadmin).*delete\")"),
         "Fix the expression at the error named in the message. Remember that SPL strings "
         "unescape `\\\\` and `\\\"` first: a literal backslash in the regex is written `\\\\\\\\`."),
    Code("DAC425", "spl-lowercase-boolean-operator", W,
         "`and`, `or` or `not` in lower case stands in a search where an operator was meant.",
         "In the search language only upper-case `AND`, `OR` and `NOT` are operators; a "
         "lower-case `or` is a search term, implicitly ANDed with the rest. `user=admin or "
         "user=root` therefore looks for events that contain the word \"or\" and have both users, "
         "which never happens. (In eval and where, lower case works; this rule looks only at "
         "searches.)",
         _spl("index=auth action=failure (user=admin or user=root)"),
         _spl("index=auth action=failure (user=admin OR user=root)"),
         "Write the operator in upper case. To search for the word itself, quote it: `\"or\"`."),
    Code("DAC426", "spl-unknown-eval-function", E,
         "An eval or where expression calls a function Splunk does not have.",
         "Splunk stops the search: \"The 'x' function is unsupported or undefined\". Apps cannot "
         "add eval functions, so the name is a typo (`lenght`, `isnotnul`) or a function from "
         "another query language (`contains`, `startswith`, `tolower`).",
         _spl("index=web\n| where startswith(uri, \"/admin\")"),
         _spl("index=web\n| where like(uri, \"/admin%\")"),
         "Use a function from the Search Reference's \"Evaluation functions\" list; string tests "
         "are written with `like()`, `match()` or `searchmatch()`. A macro is never reported."),
    Code("DAC427", "spl-unknown-stats-function", E,
         "A stats, chart, timechart, tstats or mstats aggregation uses a function Splunk does not have.",
         "Splunk stops the search when an aggregation is not one of its statistical functions. "
         "Common slips are `cnt`, `distinct(x)`, `uniq(x)` or `average(x)` for `count`, `dc(x)`, "
         "`values(x)` and `avg(x)`.",
         _spl("index=auth action=failure\n| stats distinct(src) as sources by user"),
         _spl("index=auth action=failure\n| stats dc(src) as sources by user"),
         "Use a function from \"Statistical and charting functions\": count, dc, values, list, "
         "min, max, avg, sum, earliest, latest, percNN and the others."),
    Code("DAC428", "spl-time-made-string", W,
         "`eval _time=` assigns a string (`strftime(...)`, `tostring(...)` or a quoted text).",
         "`_time` must stay a number of seconds: sorting, `timechart`, `bin`, time-range pickers "
         "and the notable's event time all read it as one. Formatting it in place with strftime "
         "sorts dates as text, drops events from time charts and shows the epoch in alerts.",
         _spl("index=auth\n| eval _time=strftime(_time, \"%Y-%m-%d %H:%M\")"),
         _spl("index=auth\n| eval event_time=strftime(_time, \"%Y-%m-%d %H:%M\")"),
         "Put the formatted text in another field, or use `| fieldformat _time=strftime(_time, "
         "\"...\")`, which changes only how the value is shown. `eval _time=strptime(...)` (text "
         "to number) is fine."),
]
