"""Lint codes of the kql language (see tooling/diagnostics/lint/__init__.py for the ranges)."""
from __future__ import annotations

from tooling.diagnostics.codes import Code, Severity  # noqa: F401 - used by the entries below

E, W = Severity.ERROR, Severity.WARNING


def _kql(query: str) -> str:
    return "queries:\n  kql: |\n" + "".join(f"    {line}\n" for line in query.splitlines())


CODES: list[Code] = [
    Code("DAC410", "kql-list-operator-given-one-string", W,
         "`in`, `has_any`, `has_all` (or `!in`, `in~`, `!in~`) is given one string that holds a "
         "comma-separated list, directly or through a `let`.",
         "KQL does not split a string into items: `CommandLine has_any (\"mimikatz,procdump\")` looks "
         "for the whole text `mimikatz,procdump`, so the detection never fires on either tool. The "
         "same happens when the list was written as one string in a `let`.",
         _kql('let Tools = "mimikatz,procdump";\nDeviceProcessEvents\n| where ProcessCommandLine has_any (Tools)'),
         _kql('let Tools = dynamic(["mimikatz", "procdump"]);\nDeviceProcessEvents\n'
              '| where ProcessCommandLine has_any (Tools)'),
         "Write the items as separate strings (`has_any (\"mimikatz\", \"procdump\")`), or bind the "
         "`let` to `dynamic([...])`. If the value really contains a comma, compare it with `==` or "
         "`has` instead."),
    Code("DAC411", "kql-contains-padded-term", W,
         "`contains` is given a term padded with spaces (`contains \" stop \"`) to match it as a "
         "whole word.",
         "The spaces make the match miss the term at the start or end of the value and next to a tab "
         "or quote, and `contains` scans every value instead of using the term index. `has` matches "
         "whole terms, wherever they are, and is much faster on large tables.",
         _kql('DeviceProcessEvents\n| where ProcessCommandLine contains " stop "'),
         _kql('DeviceProcessEvents\n| where ProcessCommandLine has "stop"'),
         "Use `has` (or `!has`, `has_cs`) with the term without its spaces."),
    Code("DAC412", "kql-unused-let", W,
         "A `let` statement binds a name that no later statement uses.",
         "An unused `let` is usually a mistake: a list of indicators or a time window that the "
         "author meant to filter on but never referenced, so the query is broader than intended "
         "(or a leftover that makes a reviewer believe a filter exists).",
         _kql('let Lookback = 1d;\nDeviceProcessEvents\n| where Timestamp > ago(7d)'),
         _kql('let Lookback = 1d;\nDeviceProcessEvents\n| where Timestamp > ago(Lookback)'),
         "Use the name where it was meant to be used, or delete the `let`."),
    Code("DAC413", "kql-invalid-regex", E,
         "A regular expression (`matches regex`, `extract()`, `extract_all()`, `replace_regex()`, "
         "`trim()`, `countof(..., \"regex\")`, `parse kind=regex`) does not compile.",
         "Kusto compiles the pattern with RE2 when the query runs and rejects the whole query, so "
         "the detection never runs. Only mistakes that every regex engine rejects are reported: an "
         "unclosed `(` or `[`, a stray `)`, a repetition with nothing to repeat, a reversed range "
         "such as `z-a`, a trailing backslash.",
         _kql('DeviceProcessEvents\n| where ProcessCommandLine matches regex @"(sc|net)\\s+stop\\s+(WinDefend"'),
         _kql('DeviceProcessEvents\n| where ProcessCommandLine matches regex @"(sc|net)\\s+stop\\s+(WinDefend)"'),
         "Fix the pattern; the message says what is wrong. Remember that verbatim strings "
         "(`@\"...\"`) keep backslashes as they are, while `\"...\"` strings need `\\\\` for one."),
    Code("DAC414", "kql-where-on-dropped-column", E,
         "A `where` filters on a column that an earlier stage of the same pipeline removed "
         "(`project`, `project-away`, `project-rename`, `summarize`, `distinct`, `count` ...).",
         "After `project A, B` only `A` and `B` exist. Kusto rejects the query (\"Failed to resolve "
         "scalar expression\"), so the detection never runs; often the filter was meant to come "
         "before the `project`.",
         _kql('DeviceProcessEvents\n| project Timestamp, DeviceName\n| where FileName =~ "sc.exe"'),
         _kql('DeviceProcessEvents\n| where FileName =~ "sc.exe"\n| project Timestamp, DeviceName'),
         "Move the `where` before the stage that drops the column, or keep the column in the "
         "`project` / `summarize ... by`."),
    Code("DAC415", "kql-wildcard-in-string-literal", W,
         "A string compared with `==`, `=~`, `in`, `has`, `startswith`, `endswith` ... starts or ends "
         "with `*` (or `contains` is given `*text*`), as if `*` were a wildcard.",
         "KQL string operators have no wildcards: `FileName =~ \"*.exe\"` only matches a file name "
         "that literally starts with `*`, so the filter never matches. The habit comes from "
         "Splunk and Sigma.",
         _kql('DeviceProcessEvents\n| where FileName =~ "*.ps1"'),
         _kql('DeviceProcessEvents\n| where FileName endswith ".ps1"'),
         "Use `endswith` / `startswith` / `contains` / `has` with the text without `*`, or "
         "`matches regex` for a real pattern."),
    Code("DAC416", "kql-empty-between-range", W,
         "`between (a .. b)` has a lower bound after its upper bound (numbers, timespans, "
         "`datetime(...)` literals, or `ago()` / `now()`).",
         "`x between (a .. b)` means `a <= x and x <= b`. With the bounds reversed, for example "
         "`between (ago(1d) .. ago(7d))`, no value can match and the detection never fires "
         "(and `!between` matches everything).",
         _kql('SigninLogs\n| where TimeGenerated between (ago(1d) .. ago(7d))'),
         _kql('SigninLogs\n| where TimeGenerated between (ago(7d) .. ago(1d))'),
         "Put the earlier or smaller bound first."),
    Code("DAC417", "kql-extract-group-out-of-range", W,
         "`extract()` or `extract_all()` asks for a capture group that its regular expression does "
         "not have.",
         "`extract(@\"user=(\\w+)\", 2, Text)` asks for group 2 of a pattern with one group, so it "
         "returns an empty string for every row; filters and joins on the result silently match "
         "nothing. Groups are numbered from 1 by their `(`; `(?:...)` does not count.",
         _kql('DeviceProcessEvents\n| extend Service = extract(@"sc\\s+stop\\s+(\\w+)", 2, ProcessCommandLine)'),
         _kql('DeviceProcessEvents\n| extend Service = extract(@"sc\\s+stop\\s+(\\w+)", 1, ProcessCommandLine)'),
         "Use the number of an existing group (0 is the whole match), or add the missing group to "
         "the pattern."),
]
