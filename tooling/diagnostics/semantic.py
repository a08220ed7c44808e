"""The semantic layer's codes: the platform checks (DAC480-DAC486: names a query uses that its
platform lacks, uses too early, or reads outside the product its telemetry names) and the verdicts
on the samples (DAC510-DAC515: `dac test` and `dac validate`). Merged into the registry by
`codes.py`."""
from __future__ import annotations

from tooling.diagnostics.codes import E, INFO, W, Code

CODES = [
    Code("DAC480", "unknown-table", E, "A query names a table (index, event type) its platform does not have.",
         "The query parses, but the platform rejects it or searches nothing: a Sentinel table in a Defender "
         "XDR query, a misspelt table, an event type the product never logs.",
         "queries:\n  kql: |\n    DeviceProcessEvent | where FileName =~ \"sc.exe\"",
         "queries:\n  kql: |\n    DeviceProcessEvents | where FileName =~ \"sc.exe\"",
         "Use the table the message suggests, or declare a custom table in `platforms.yml` (`tables`). "
         "`dac platforms show KEY` lists the known tables."),
    Code("DAC481", "unknown-field", E, "A query names a field that the tables it reads do not have.",
         "A filter on a field that does not exist never matches (or fails the query): the detection is blind "
         "while every parser is satisfied. The usual cause is a name from another platform's schema.",
         "queries:\n  kql: |\n    DeviceProcessEvents | where CommandLine has \"stop\"",
         "queries:\n  kql: |\n    DeviceProcessEvents | where ProcessCommandLine has \"stop\"",
         "Use the field the message suggests (`dac platforms show KEY TABLE` lists the fields), or declare "
         "the deployment's own field in `platforms.yml` (`fields`, or a custom table's `fields`)."),
    Code("DAC482", "value-outside-enumeration", E, "A query compares a field with a value the platform never "
         "gives that field.",
         "Fields such as Defender's ActionType, ECS event.type or UDM metadata.event_type take a fixed set of "
         "values. A typo or a value from another product makes the comparison always false.",
         "queries:\n  kql: |\n    DeviceRegistryEvents | where ActionType == \"RegistryValueSett\"",
         "queries:\n  kql: |\n    DeviceRegistryEvents | where ActionType == \"RegistryValueSet\"",
         "Use a value from the enumeration the message lists (`dac platforms show KEY TABLE`)."),
    Code("DAC483", "field-type-refused", E, "A query uses a field in a way its type does not allow on the "
         "platform.",
         "Elasticsearch EQL refuses text fields (such as ECS `message`): the query fails to run at all.",
         "queries:\n  eql: |\n    any where message : \"*access-list*\"",
         "queries:\n  eql: |\n    network where cisco.asa.message_id == \"111008\"",
         "Filter on a keyword field that holds the same information (the message names the type), or parse "
         "the value into one at ingest."),
    Code("DAC484", "tables-of-different-products", E, "A query reads tables that no single product has "
         "together.",
         "Microsoft Sentinel and Defender XDR advanced hunting share some tables but not all: a `union` of a "
         "Sentinel-only table (Event, Syslog) with a Defender-only one fails in both products.",
         "queries:\n  kql: |\n    union DeviceProcessEvents, Syslog",
         "queries:\n  kql: |\n    DeviceProcessEvents   # and a separate Sentinel query over Syslog",
         "Split the query per product, or use the tables both products have (the message names where each "
         "table exists)."),
    Code("DAC485", "field-used-before-made", E, "A query uses a field before the stage that makes it.",
         "Fields made by `parse`, `rex`, `eval`, `extend` or `json` exist only after that stage: a filter "
         "above it compares a field no event has yet, so it never matches (or, in SPL and Sumo, silently "
         "compares nothing).",
         "queries:\n  sumo: |\n    _sourceCategory=windows/sysmon\n    | where user = \"root\"\n"
         "    | parse \"User=*,\" as user",
         "queries:\n  sumo: |\n    _sourceCategory=windows/sysmon\n    | parse \"User=*,\" as user\n"
         "    | where user = \"root\"",
         "Move the filter below the stage that makes the field (the message gives its line and column)."),
    Code("DAC486", "table-outside-telemetry-product", E, "A query reads a table that does not exist in the "
         "product its package's telemetry names.",
         "Sentinel and Defender XDR advanced hunting share the Device* tables, but Event, Syslog and "
         "CommonSecurityLog exist only in a Sentinel workspace and BehaviorInfo only in Defender XDR. A query "
         "deployed where its telemetry says fails there with an unknown table.",
         "telemetry:\n  kql:\n    - DeviceProcessEvents (Defender XDR)\nqueries:\n  kql: |\n"
         "    Syslog | where ProcessName == \"auditctl\"",
         "telemetry:\n  kql:\n    - Syslog (Sentinel, auditd records via the Azure Monitor Agent)\n"
         "queries:\n  kql: |\n    Syslog | where ProcessName == \"auditctl\"",
         "Name the product that has the table in the telemetry entry (\"Syslog (Sentinel, ...)\"), or read "
         "a table the named product has (`dac platforms show kql TABLE` lists where each exists)."),
    # --- DAC5xx: tests ---------------------------------------------------------------------
    Code("DAC510", "query-misses-sample", E, "A native query does not return a sample event that its test says "
         "it must match.",
         "The native queries are what gets deployed. A query that misses its own Atomic test's telemetry on the "
         "platform's own event shape will miss the attack in production, while the Sigma form and every parser "
         "say all is well.",
         "queries:\n  sumo: |\n    ... | where target_object matches "
         "/.*\\\\Windows Defender\\\\.*\\\\(DisableAntiSpyware)/\n# the sample's TargetObject has one backslash there",
         "queries:\n  sumo: |\n    ... | where target_object matches /(?i).*\\\\Windows Defender\\\\"
         "(.*\\\\)?DisableAntiSpyware/",
         "Read the explanation: it names the predicate that failed and the event's value. Fix the query (or, if "
         "the sample is wrong, the sample), then run `dac test` on the package. `dac platforms render KEY FILE` "
         "shows the event the query was run on."),
    Code("DAC511", "query-matches-near-miss", E, "A native query returns a sample event that its test says it "
         "must not match (a near-miss).",
         "A query that fires on the near-miss (a re-enable, a read-only command, a cleanup step) floods the SOC "
         "with false positives that the Sigma form does not have.",
         "queries:\n  aql: |\n    ... WHERE UTF8(payload) ILIKE '%False%'\n# fires on -Enabled $True too",
         "queries:\n  aql: |\n    ... WHERE UTF8(payload) IMATCHES '.*-UnifiedAuditLogIngestionEnabled\\s+\\$?false.*'",
         "The message names the branch that matched. Narrow that branch so that the near-miss no longer "
         "satisfies it, and keep the `match` samples passing."),
    Code("DAC512", "query-not-evaluated", INFO, "A native query could not be evaluated on the sample events: it "
         "uses a construct dac does not evaluate.",
         "dac gives no verdict rather than a wrong one. The query may be right; this note says its samples are "
         "unchecked for that language, so a reviewer checks them by hand.",
         "queries:\n  spl: |\n    `my_macro` CommandLine=\"*stop*\"\n# my_macro is not declared in platforms.yml",
         "# platforms.yml\nspl:\n  macros:\n    my_macro: (index=windows sourcetype=XmlWinEventLog)",
         "Declare what the query relies on (macros, lookups, reference sets) in `platforms.yml`, or rewrite the "
         "construct named in the message with one that is evaluated."),
    Code("DAC513", "sample-not-rendered", INFO, "A sample event has no form on a platform, so that platform's "
         "query was not run on it.",
         "Sample events are written once, in the Sigma taxonomy, and rendered into each platform's event shape "
         "(tooling/platforms/). A sample whose kind dac does not know, or that a platform does not collect, "
         "leaves that query unchecked.",
         "samples:\n  match:\n    - Foo: bar   # no known kind of event has only this field",
         "samples:\n  match:\n    - EventID: 1\n      Image: C:\\Windows\\System32\\sc.exe\n"
         "      CommandLine: sc stop WinDefend",
         "Write the sample with the Sigma taxonomy's field names for its kind of event (`dac platforms kinds` "
         "lists them), or accept the note for a platform that does not collect that event."),
    Code("DAC514", "query-drifts-from-sigma", W, "A native query and the package's Sigma form disagree on an "
         "event generated from the Sigma detection.",
         "The seven queries and the Sigma form are meant to be the same detection. `dac test` generates boundary "
         "events from the Sigma detection (one through each branch, a near-miss for each predicate, case and "
         "wildcard variants) and runs every query on them; a query that disagrees has drifted, often through a "
         "platform's case sensitivity or a branch lost in translation.",
         "sigma: {detection: {selection: {CommandLine|contains: 'sc stop'}, condition: selection}}\n"
         "queries:\n  logscale: |\n    CommandLine=/sc stop/     # case-sensitive: misses 'SC STOP'",
         "queries:\n  logscale: |\n    CommandLine=/sc stop/i",
         "Read the event in the message: make the query agree with the Sigma form, or, when the difference is "
         "intended, suppress DAC514 in the package with the reason."),
    Code("DAC515", "not-covered-declaration-unneeded", W, "A test declares a language's platform cannot see "
         "its events (`not_covered_by`), yet that language's query agrees with the test's sample.",
         "A declaration that no longer holds hides the query from the verdicts: a later regression on that "
         "sample would go unnoticed.",
         "tests:\n  - name: ...\n    not_covered_by:\n      - language: eql\n        reason: the integration keeps the "
         "command only in message\n# but the EQL query now matches the sample",
         "tests:\n  - name: ...   # the not_covered_by entry for eql removed",
         "Remove the `not_covered_by` entry for that language."),
]
