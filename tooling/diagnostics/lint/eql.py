"""Lint codes of the eql language (see tooling/diagnostics/lint/__init__.py for the ranges).

The rules are in tooling/languages/eql/lint.py.
"""
from __future__ import annotations

from tooling.diagnostics.codes import Code, Severity

E, W = Severity.ERROR, Severity.WARNING

CODES: list[Code] = [
    Code("DAC430", "eql-unknown-event-category", W,
         "An EQL query names an event category that is neither an ECS `event.category` value nor an "
         "ECS `event.type` value.",
         "`<category> where ...` matches events whose event category field (`event.category` by "
         "default) holds that value. A misspelt or invented category (`proces`, `dns`, `Process`: "
         "values are case-sensitive) matches no event at all, and the rule stays silent forever. "
         "ECS event types (`info`, `start`, ...) are accepted too, for rules that set the category "
         "field to `event.type` (`event_category_override`).",
         "queries:\n  eql: |\n    proces where process.name : \"sc.exe\"",
         "queries:\n  eql: |\n    process where process.name : \"sc.exe\"",
         "Use an ECS category (api, authentication, configuration, database, driver, email, file, "
         "host, iam, intrusion_detection, library, malware, network, package, process, registry, "
         "session, threat, vulnerability, web), or `any where` with an explicit test. A custom "
         "category can be written quoted (`\"my-category\" where ...`): quoted categories are not "
         "checked."),
    Code("DAC431", "eql-wildcard-in-literal-comparison", W,
         "A string with `*` is compared with `==`, `!=`, `in` or `not in`, which compare literally.",
         "In Elasticsearch EQL `*` is a wildcard only for `:` and `like`. `process.name == \"power*\"` "
         "looks for a process literally named `power*` and never matches; with `!=` or `not in` the "
         "condition is true for every event, so an exclusion excludes nothing.",
         "queries:\n  eql: |\n    process where process.name in (\"powershell*\", \"pwsh*\")",
         "queries:\n  eql: |\n    process where process.name : (\"powershell*\", \"pwsh*\")",
         "Use `:` (case-insensitive) or `like` (case-sensitive) for patterns; they take a list as "
         "`in` does. Negate with `not field : (...)`."),
    Code("DAC432", "eql-sequence-without-maxspan", W,
         "An EQL sequence has neither `with maxspan=...` nor an `until` stage.",
         "Without a time bound, the stages of a sequence may be days apart: unrelated events join "
         "into false positives, and Elasticsearch keeps every partial sequence in memory until the "
         "search window ends.",
         "queries:\n  eql: |\n    sequence by host.id\n"
         "      [process where process.name : \"sc.exe\"]\n"
         "      [registry where registry.path : \"*\\\\WinDefend\\\\Start\"]",
         "queries:\n  eql: |\n    sequence by host.id with maxspan=1m\n"
         "      [process where process.name : \"sc.exe\"]\n"
         "      [registry where registry.path : \"*\\\\WinDefend\\\\Start\"]",
         "Add `with maxspan=<n><ms|s|m|h|d>` after the sequence's `by` keys, as tight as the behaviour "
         "allows, or end the sequence with `until [...]`."),
    Code("DAC433", "eql-invalid-regex", E,
         "A `regex` / `regex~` pattern is not a valid Lucene regular expression.",
         "Elasticsearch compiles EQL regexes with Lucene's engine; a pattern with an unbalanced "
         "parenthesis, an unclosed `[` class or `\"` quote, a malformed `{n,m}` or a trailing "
         "backslash makes the whole search fail.",
         "queries:\n  eql: |\n    process where process.command_line regex \"(cmd|powershell.exe\"",
         "queries:\n  eql: |\n    process where process.command_line regex \"(cmd|powershell).exe\"",
         "Fix the pattern at the point the message names. Remember that the EQL string is decoded "
         "first: a regex backslash is written `\\\\` in \"...\" or `\\` in \"\"\"...\"\"\"."),
    Code("DAC434", "eql-regex-pcre-syntax", W,
         "A `regex` pattern uses Perl/PCRE syntax that Lucene reads differently.",
         "Lucene regexes always match the whole value and have no anchors, so `^` and `$` are "
         "literal characters; `(?i)` and look-arounds are not groups; a pattern starting with `*` "
         "is a glob. Each makes the pattern match nothing (or something else) without any error.",
         "queries:\n  eql: |\n    process where process.name regex \"^(cmd|powershell)\\\\.exe$\"",
         "queries:\n  eql: |\n    process where process.name regex \"(cmd|powershell)\\\\.exe\"",
         "Drop `^`/`$` (use `.*` at either end for a partial match), use `regex~` instead of `(?i)`, "
         "and use `:` for glob patterns."),
    Code("DAC435", "eql-list-in-one-string", W,
         "A parenthesised `in` / `:` / `like` list holds one string that reads like several "
         "comma-separated values.",
         "`in (\"cmd.exe, powershell.exe\")` is a list of one value: it matches only a field whose "
         "whole value is `cmd.exe, powershell.exe`, so neither program is detected. Writers coming "
         "from languages where a list is one delimited string make this mistake.",
         "queries:\n  eql: |\n    process where process.name in (\"cmd.exe, powershell.exe\")",
         "queries:\n  eql: |\n    process where process.name in (\"cmd.exe\", \"powershell.exe\")",
         "Quote each value separately. If the comma really is part of one value, drop the "
         "parentheses (`field : \"a, b\"`) or use `==`."),
    Code("DAC436", "eql-redundant-null-check", W,
         "`field != null` is and-ed with a test that already requires the field to have a value.",
         "`field == \"x\"`, `field : \"x*\"`, `field in (...)` and the other positive tests never "
         "match a missing field, so the null check adds nothing. It often marks a condition that "
         "was meant the other way round (`field == null or ...`).",
         "queries:\n  eql: |\n    process where process.parent.name != null and process.parent.name : \"services.exe\"",
         "queries:\n  eql: |\n    process where process.parent.name : \"services.exe\"",
         "Remove the `!= null` test, or fix the logic it was meant to express."),
    Code("DAC437", "eql-join-key-count-mismatch", E,
         "The stages of an EQL sequence or sample have different numbers of join keys.",
         "Elasticsearch joins stage N's k-th `by` key with every other stage's k-th key, so every "
         "stage (and `until`) must end up with the same number: the sequence's own `by` keys plus "
         "the stage's. Otherwise the search is rejected.",
         "queries:\n  eql: |\n    sequence by host.id with maxspan=1m\n"
         "      [process where true] by process.entity_id\n"
         "      [file where true]",
         "queries:\n  eql: |\n    sequence by host.id with maxspan=1m\n"
         "      [process where true] by process.entity_id\n"
         "      [file where true] by process.entity_id",
         "Give every stage the same number of `by` keys, or move keys all stages share to "
         "`sequence by ...`."),
    Code("DAC438", "eql-unsupported-pipe", E,
         "A pipe other than `head` / `tail`, or `head` / `tail` without one positive whole number.",
         "Elasticsearch parses the pipes of the original EQL (`count`, `filter`, `sort`, `unique`, "
         "`unique_count`) but runs only `head N` and `tail N`; any other pipe, or a `head` without "
         "exactly one positive integer, makes the search fail. Queries copied from the Endgame EQL "
         "documentation often end in such a pipe.",
         "queries:\n  eql: |\n    process where process.name : \"sc.exe\"\n    | unique host.id",
         "queries:\n  eql: |\n    process where process.name : \"sc.exe\"",
         "Remove the pipe and do the aggregation where the alerts are handled (alert suppression or "
         "grouping by `host.id` in the rule settings); keep `| head N` / `| tail N` with a plain "
         "positive number."),
]
