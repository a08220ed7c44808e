"""Lint codes of the logscale language (see tooling/diagnostics/lint/__init__.py for the ranges).

The rules are in tooling/languages/logscale/lint.py and aggregate.py.
"""
from __future__ import annotations

from tooling.diagnostics.codes import Code, Severity

W, E = Severity.WARNING, Severity.ERROR


def _cql(query: str) -> str:
    return "queries:\n  logscale: |\n" + "".join(f"    {line}\n" for line in query.splitlines())


CODES: list[Code] = [
    Code("DAC470", "logscale-unknown-function", W,
         "A LogScale query calls a function that is not in LogScale's function reference.",
         "LogScale refuses to run a query that calls an unknown function (\"Unknown function\"), "
         "so the detection never runs. The name is usually a typo (`stat()`, `formatime()`), a "
         "namespaced function without its namespace (`contains()` for `text:contains()`), or a "
         "function from another query language (`dc()`, `tolower()`, `strftime()`). Case does "
         "not matter: `groupby()` is `groupBy()`.",
         _cql("#event_simpleName=ProcessRollup2\n| tolower(CommandLine)"),
         _cql("#event_simpleName=ProcessRollup2\n| lower(CommandLine)"),
         "Use a function from the \"Query Functions\" list of the LogScale documentation, with "
         "its namespace (`array:`, `text:`, `math:`, `time:` ...). A saved search or macro is "
         "called with a `$` (`$my_search()`) and is never reported. The list the rule uses is "
         "tooling/languages/logscale/functions.py; if LogScale has added a function since, add it "
         "there."),
    Code("DAC471", "logscale-invalid-regex", E,
         "A LogScale regular expression (`/.../` or the pattern of regex(), replace(), "
         "splitString(), array:regex()) does not compile.",
         "LogScale compiles regexes when the query starts; one that does not compile stops the "
         "whole query with an error, so the detection never returns anything. Only errors that "
         "every regex dialect shares are reported: a `(` that is never closed, a `)` without its "
         "`(`, a `[` class that is never closed, and a `*`, `+` or `?` with nothing before it.",
         _cql("#event_simpleName=ProcessRollup2\n| CommandLine=/(vssadmin|wbadmin.*delete/i"),
         _cql("#event_simpleName=ProcessRollup2\n| CommandLine=/(vssadmin|wbadmin).*delete/i"),
         "Balance the parentheses and brackets, and escape a literal `(`, `[`, `*`, `+` or `?` "
         "with a backslash (`\\(`). Inside `/.../` a `/` is written `\\/`."),
    Code("DAC472", "logscale-command-word-as-search", W,
         "A stage starts with a command of another query language (`where`, `stats`, `eval`, "
         "`table`, `search`, `dedup` ...) written as a bare word.",
         "CQL has no commands: a stage is a filter or a function call. A bare word is a free-text "
         "search, so `| where CommandLine=*mimikatz*` looks for events containing the word "
         "\"where\" *and* matching the filter, and `| stats count by host` looks for the words "
         "\"stats\", \"count\", \"by\" and \"host\". The query runs without error and silently "
         "finds nothing. It is the habit of SPL and KQL authors.",
         _cql("#event_simpleName=ProcessRollup2\n| where CommandLine=/mimikatz/i"),
         _cql("#event_simpleName=ProcessRollup2\n| CommandLine=/mimikatz/i"),
         "Write the filter itself (`| CommandLine=/mimikatz/i`), or the function the command "
         "stands for: `groupBy(host)` for stats, `table([...])`, `sort()`, `head()`, "
         "`:=`/`eval()` for eval, `test()` to compare two fields. To really search for the word, "
         "quote it (`\"where\"`)."),
    Code("DAC473", "logscale-unreachable-branch", W,
         "A `case` or `match` branch comes after the catch-all `*` branch.",
         "Branches are tried in order and the first that matches wins; `*` matches every event, "
         "so the branches after it never run. Their assignments never happen and the events "
         "they were meant to classify get the default branch's values instead.",
         _cql("#event_simpleName=ProcessRollup2\n| case {\n    * | Risk := \"low\" ;\n"
              "    CommandLine=/-enc/i | Risk := \"high\" ;\n  }"),
         _cql("#event_simpleName=ProcessRollup2\n| case {\n    CommandLine=/-enc/i | Risk := \"high\" ;\n"
              "    * | Risk := \"low\" ;\n  }"),
         "Move the `*` branch to the end of the `case` (or the `* =>` clause to the end of the "
         "`match`)."),
    Code("DAC474", "logscale-field-dropped-by-groupby", W,
         "A field is read after `groupBy()`, but `groupBy()` does not output it.",
         "`groupBy()` turns the events into one row per group, holding only the group fields and "
         "what the aggregate functions write (`_count` for the default `count()`, the `as=` "
         "name, the fields of `collect()` or `selectLast()`). `@timestamp`, tags and every other "
         "field are gone: a later filter on such a field drops every row, and a `sort()` or "
         "`table()` on it shows nothing. Misspelt `as=` names and sorting on `_count` when "
         "`function=` has no `count()` are the usual causes.",
         _cql("#event_simpleName=ProcessRollup2\n| groupBy([aid], function=count(as=Executions))\n"
              "| table([aid, ComputerName, Executions])"),
         _cql("#event_simpleName=ProcessRollup2\n"
              "| groupBy([aid, ComputerName], function=count(as=Executions))\n"
              "| table([aid, ComputerName, Executions])"),
         "Add the field to the groupBy() fields, collect it with `function=[count(), "
         "collect([Field])]` or `selectLast([Field])`, or fix the name to the `as=` the "
         "aggregate writes. The rule follows the stages after groupBy() only while it knows "
         "which fields they create, so a field made by another function is never reported."),
    Code("DAC475", "logscale-regex-syntax-in-pattern", W,
         "A `field=\"...\"` (or `like`) value is written with regex syntax: `^...$` anchors, "
         "`.*` at both ends, or an `(a|b)` alternation.",
         "A value after `=` is a pattern in which only `*` is special; every other character "
         "matches itself. `CommandLine=\".*-enc.*\"` therefore looks for a command line that "
         "starts with a dot and contains `-enc.`, and `FileName=\"^cmd\\.exe$\"` for a name with "
         "a caret, a backslash and a dollar in it: the detection silently matches nothing. "
         "A trailing `$` alone (`\"*$\"`, machine accounts) and `*.*` are not reported.",
         _cql("#event_simpleName=ProcessRollup2\n| CommandLine=\".*(stop|config).*\""),
         _cql("#event_simpleName=ProcessRollup2\n| CommandLine=/(stop|config)/"),
         "Write the regex as a regex literal (`CommandLine=/-enc/i`), or write the pattern with "
         "`*` only (`CommandLine=\"*-enc*\"`)."),
]
