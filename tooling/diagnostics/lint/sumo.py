"""Lint codes of the sumo language (see tooling/diagnostics/lint/__init__.py for the ranges).

The rules live in tooling/languages/sumo/lint.py; DAC401 (template placeholders) is shared.
"""
from __future__ import annotations

from tooling.diagnostics.codes import Code, Severity

E, W = Severity.ERROR, Severity.WARNING


def _sumo(*lines: str) -> str:
    return "queries:\n  sumo: |\n" + "".join(f"    {line}\n" for line in lines)


CODES: list[Code] = [
    Code("DAC450", "sumo-no-scope", W,
         "A Sumo Logic query has no scope: nothing before the first `|` selects a source "
         "(`_sourceCategory`, `_index`, `_source`, `_collector`, `_sourceHost`, `_view`, ...) or "
         "a keyword, so every message of every partition is scanned.",
         "Sumo Logic uses the scope to pick partitions and indexed terms before any operator runs. "
         "A query that starts with `*`, `_sourceCategory=*` or only negations reads all data in the "
         "time range: it is slow, costs scan credits on Flex and Infrequent tiers, and may time out "
         "as a scheduled search, so the detection silently stops firing.",
         _sumo('* | where process_name = "sc.exe"', '| count by _sourceHost'),
         _sumo('_sourceCategory=windows/sysmon "sc.exe"', '| where process_name = "sc.exe"',
               '| count by _sourceHost'),
         "Start the query with the metadata field of the data it needs (`_sourceCategory=...`, "
         "`_index=...`) and, where possible, a keyword that every matching message contains."),
    Code("DAC451", "sumo-parse-field-count", E,
         "A `parse` anchor pattern has a different number of `*` wildcards than fields after `as`.",
         "Sumo Logic maps each `*` of the pattern to one field, in order, and rejects the query when "
         "the counts differ; an extra or missing field usually means the pattern was edited and "
         "the field list was not.",
         _sumo('_sourceCategory=linux/auth "sshd"', '| parse "user * from * port *" as user, src_ip'),
         _sumo('_sourceCategory=linux/auth "sshd"',
               '| parse "user * from * port *" as user, src_ip, src_port'),
         "Give one field per `*`, or remove the `*` you do not need (text between anchors need not "
         "be captured). `**` is not a wildcard: use `parse regex` for adjacent captures."),
    Code("DAC452", "sumo-parse-regex-without-named-group", E,
         "A `parse regex` (or `extract`) pattern has no named capture group `(?<field>...)`.",
         "`parse regex` creates one field per named group; a pattern with only plain `(...)` groups "
         "extracts nothing, and Sumo Logic rejects it.",
         _sumo('_sourceCategory=linux/auditd', '| parse regex "auid=(\\d+)"'),
         _sumo('_sourceCategory=linux/auditd', '| parse regex "auid=(?<auid>\\d+)"'),
         "Name the group you want as a field: `(?<name>...)`. Use `(?:...)` for groups that only "
         "group."),
    Code("DAC453", "sumo-invalid-regex", E,
         "A regular expression in the query does not compile (a `parse regex` / `extract` pattern "
         "or a `/.../` literal after `matches` or in a function).",
         "The search fails at run time. Only errors that both Java (Sumo Logic's engine) and "
         "Python reject are reported: unbalanced `(` `)` or `[` `]`, a quantifier with nothing to "
         "repeat, a reversed range, an unknown escape such as `\\i`, a duplicate group name.",
         _sumo('_sourceCategory=windows/sysmon',
               '| parse regex "CommandLine=(?<cmd>[^<]*" nodrop'),
         _sumo('_sourceCategory=windows/sysmon',
               '| parse regex "CommandLine=(?<cmd>[^<]*)" nodrop'),
         "Fix the pattern at the point the message names; test it on a sample event with "
         "regex101.com (Java 8 flavour)."),
    Code("DAC454", "sumo-quoted-number-comparison", W,
         "A field is compared with `<`, `>`, `<=` or `>=` to a number written in quotes "
         "(`bytes > \"1000\"`).",
         "A quoted value is a string, so Sumo Logic compares text: \"9\" > \"10\" and \"1000\" < "
         "\"999\". The condition matches the wrong events without any error.",
         _sumo('_sourceCategory=proxy', '| parse "bytes=* " as bytes', '| where bytes > "1000000"'),
         _sumo('_sourceCategory=proxy', '| parse "bytes=* " as bytes', '| where bytes > 1000000'),
         "Write the number without quotes; cast the field with `num()` or `toLong()` if it may "
         "hold text."),
    Code("DAC455", "sumo-group-by-misspelt-field", W,
         "An aggregation groups by a field that no earlier stage extracts or mentions, and whose "
         "name is one or two typos away from a field that one does (`count by categhory` after "
         "`parse ... as category`).",
         "Sumo Logic reports a field it cannot find, or, when a Field Extraction Rule happens to "
         "define the misspelt name, groups on the wrong values. Field names the query never "
         "mentions are not reported on their own, since Field Extraction Rules may define them.",
         _sumo('_sourceCategory=okta', '| json field=_raw "outcome.result" as result',
               '| count by reslut'),
         _sumo('_sourceCategory=okta', '| json field=_raw "outcome.result" as result',
               '| count by result'),
         "Use the name the field was extracted as (the message suggests it)."),
    Code("DAC456", "sumo-unknown-operator", W,
         "A stage starts with a name that is not a documented Sumo Logic operator, aggregate "
         "function or function (`| cuont by user`, `| dedupe`).",
         "Sumo Logic rejects the query. The grammar has to accept any operator name, since Sumo "
         "adds operators over time, so a misspelt one is only caught here. The list of known "
         "names is `tooling/languages/sumo/operators.py`.",
         _sumo('_sourceCategory=windows/sysmon "sc.exe"', '| cuont by _sourceHost'),
         _sumo('_sourceCategory=windows/sysmon "sc.exe"', '| count by _sourceHost'),
         "Fix the spelling (the message suggests the closest operator). If Sumo Logic documents an "
         "operator the list lacks, add it to `operators.py`."),
    Code("DAC457", "sumo-regex-in-wildcard-pattern", W,
         "`matches` is given a quoted pattern that contains regular-expression syntax "
         "(`matches \".*mimikatz.*\"`, `\"\\d+\"`, `\"(a|b)\"`, `\"^cmd\"`).",
         "A quoted `matches` pattern is a wildcard pattern where only `*` is special: `.*`, `\\d`, "
         "`^` or `(a|b)` are matched literally, so the condition never matches. A regular "
         "expression must be written between slashes.",
         _sumo('_sourceCategory=windows/sysmon', '| where command_line matches ".*mimikatz.*"'),
         _sumo('_sourceCategory=windows/sysmon', '| where command_line matches /.*mimikatz.*/'),
         "Write the regular expression as `/.../` (add `(?i)` for a case-insensitive match), or "
         "turn it into a wildcard pattern such as `\"*mimikatz*\"`."),
]
