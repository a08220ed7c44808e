"""The diagnostic code registry: one entry per stable code, with its documentation.

Ranges: DAC1xx file/YAML/schema, DAC2xx ATT&CK, DAC3xx query syntax, DAC4xx query lint,
DAC5xx tests, DAC6xx repository-wide. A code, once published, keeps its meaning forever;
retire a code rather than reuse it.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True)
class Code:
    code: str
    name: str  # short kebab-case slug, stable like the code
    severity: Severity
    summary: str  # one line: what is wrong
    why: str  # why it matters
    bad: str  # a minimal example that triggers it
    good: str  # the same example, fixed
    fix: str  # how to fix it

    def explain(self) -> str:
        """The documentation of this code as Markdown (used by `dac explain` and the site)."""
        return (
            f"# {self.code} {self.name}\n\n"
            f"**Severity:** {self.severity.value}\n\n"
            f"## What it means\n\n{self.summary}\n\n"
            f"## Why it matters\n\n{self.why}\n\n"
            f"## Example\n\nTriggers it:\n\n```yaml\n{self.bad.rstrip()}\n```\n\n"
            f"Fixed:\n\n```yaml\n{self.good.rstrip()}\n```\n\n"
            f"## How to fix\n\n{self.fix}\n"
        )


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

_ENTRIES = [
    # --- DAC1xx: file, YAML, schema -------------------------------------------------------
    Code("DAC101", "not-utf8", E, "The file is not valid UTF-8 text.",
         "Packages are read as UTF-8 by every tool in the chain (validator, site, SIEM APIs). "
         "Bytes in another encoding turn into mojibake in a query or are rejected by the SIEM.",
         "title: Impair Defenses \\xe9  # a Latin-1 byte saved by an old editor",
         "title: Impair Defenses é  # saved as UTF-8",
         "Re-save the file as UTF-8 (without a byte-order mark is best). The diagnostic points at "
         "the first byte that is not UTF-8."),
    Code("DAC102", "yaml-syntax", E, "The file is not valid YAML.",
         "Nothing in a package can be checked until it parses; the SIEM queries in it are never "
         "deployed.",
         "title: 'Impair Defenses\nseverity: high",
         "title: 'Impair Defenses'\nseverity: high",
         "Fix the YAML at the reported line and column: usually an unclosed quote, a bad "
         "indentation or a `:` inside an unquoted value."),
    Code("DAC103", "duplicate-key", E, "A mapping has the same key twice.",
         "YAML loaders disagree on duplicates: some keep the first value, some the last. A reviewer "
         "reads one query and the SIEM gets the other.",
         "severity: high\nseverity: low",
         "severity: high",
         "Delete one of the two keys; the diagnostic points at the second and names the line of "
         "the first."),
    Code("DAC104", "tab-indentation", E, "A line is indented with a tab character.",
         "YAML forbids tabs for indentation; editors show them at different widths, so the "
         "structure a reviewer sees is not the one the parser reads.",
         "queries:\n\tkql: DeviceProcessEvents",
         "queries:\n  kql: DeviceProcessEvents",
         "Indent with spaces (two per level in this repository)."),
    Code("DAC105", "not-a-mapping", E, "The top level of the file is not a mapping of keys to values.",
         "A package is a set of named sections; an empty file, a list or a bare string cannot be one.",
         "- id: T1562",
         "id: T1562\ntitle: Impair Defenses",
         "Start the file with `id:` and the other sections as top-level keys."),
    Code("DAC106", "alias-limit", E, "The file uses more YAML aliases than a package can need.",
         "Aliases that refer to aliases expand exponentially (a \"billion laughs\" file): a few "
         "hundred bytes become gigabytes in memory. Packages are untrusted pull-request input.",
         "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]  # ... and so on",
         "false_positives:\n  - Administrators during change windows",
         "Write values out instead of aliasing them. Packages need few or no aliases."),
    Code("DAC107", "file-too-large", E, "The file is larger than the size bound for a package.",
         "No real package is this large; a file this size is a mistake (a pasted log) or an attack, "
         "and reading it would slow every hook and CI run.",
         "# a 50 MB file under detections/",
         "# a package of a few kilobytes",
         "Keep sample events short and representative; move bulk data out of the repository."),
    Code("DAC108", "nesting-too-deep", E, "Values are nested deeper than the bound for a package.",
         "Deep nesting has no use in a package and can exhaust the stack of tools that walk it.",
         "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]",
         "a: []",
         "Flatten the structure; the package schema never needs more than a few levels."),
    Code("DAC110", "missing-key", E, "A required section or field is missing.",
         "Every package carries the same sections so the site, the exports and the SOC can rely on "
         "them; a missing section is a hole in the published page.",
         "id: T1562\ntitle: Impair Defenses\n# no queries:",
         "id: T1562\ntitle: Impair Defenses\nqueries:\n  kql: |\n    DeviceProcessEvents",
         "Add the field named in the message at the place the diagnostic points to. "
         "`dac schema` prints the full contract."),
    Code("DAC111", "unknown-key", E, "A mapping has a key the package format does not define.",
         "A misspelt key (`severty`) is silently ignored by every consumer: the value the author "
         "wrote never takes effect.",
         "severty: high",
         "severity: high",
         "Fix the spelling, or remove the key. The message lists the keys allowed there."),
    Code("DAC112", "invalid-value", E, "A value has the wrong type, format or is not one of the allowed values.",
         "Consumers (the site, exports, SIEM deployment) rely on the documented types and values.",
         "severity: urgent",
         "severity: high",
         "Use a value the message lists, or the type it names."),
    Code("DAC113", "reference-not-https", E, "A reference is not an https URL.",
         "References are rendered as links on the site; only https links are safe and durable "
         "for a SOC to follow.",
         "references:\n  - http://attack.mitre.org/techniques/T1562/",
         "references:\n  - https://attack.mitre.org/techniques/T1562/",
         "Use the https form of the URL."),
    Code("DAC114", "invalid-date", E, "A date is not a real calendar date in YYYY-MM-DD form.",
         "Dates order the change history and the site; `2025-02-30` sorts but never happened.",
         "created: 2025-02-30",
         "created: 2025-02-28",
         "Write the date as YYYY-MM-DD with a real day."),
    Code("DAC115", "modified-before-created", E, "`modified` is earlier than `created`.",
         "A package cannot change before it exists; one of the two dates is wrong.",
         "created: 2025-03-01\nmodified: 2025-02-01",
         "created: 2025-02-01\nmodified: 2025-03-01",
         "Fix whichever date is wrong; `modified` is the date of the last change."),
    Code("DAC116", "unused-suppression", W, "A suppression no longer suppresses anything.",
         "Stale suppressions hide future problems of the same code without anyone noticing.",
         "suppressions:\n  - code: DAC401\n    reason: placeholder kept on purpose  # no DAC401 any more",
         "# (suppression removed)",
         "Delete the suppression."),
    Code("DAC117", "unknown-suppression-code", E, "A suppression names a code that does not exist.",
         "A typo in a suppression suppresses nothing and misleads the reader.",
         "suppressions:\n  - code: DAC999\n    reason: noisy",
         "suppressions:\n  - code: DAC401\n    reason: the dashboard variable is filled at deploy time",
         "Use a code listed by `dac explain --list`."),
    Code("DAC118", "scaffold-placeholder", E, "A value is still the placeholder `dac new` wrote.",
         "A scaffolded package is a to-do list; publishing it would put placeholder text on the site "
         "and placeholder queries in the SIEM.",
         "description: '<fill in: what this detection does and how>'",
         "description: Detects netsh and Set-NetFirewallProfile turning the Windows firewall off.",
         "Replace every `<fill in: ...>` value with the real content; the message names what is expected."),
    Code("DAC119", "link-outside-repository", E, "The package file is a link (or sits under a link) that leads "
         "outside the repository.",
         "Package files arrive in pull requests. A link to `/dev/zero` would be read until memory runs out; a "
         "link to a credentials file would be echoed in diagnostics and published on the site; `dac fmt` would "
         "write through it. dac refuses to follow it and reads nothing.",
         "# detections/T1562/T1562.001.yml -> /home/runner/.aws/credentials",
         "# detections/T1562/T1562.001.yml: a regular file (a link to another file inside detections/ is read)",
         "Replace the link with the package file itself. A link is followed only when it stays inside the "
         "`detections/` folder (or the folder given on the command line)."),
    Code("DAC120", "not-a-regular-file", E, "A package path is not a regular file (a fifo, a device, a socket, a "
         "folder).",
         "Reading a named pipe blocks forever and a device such as `/dev/zero` never ends; no real package is "
         "anything but a plain file. dac refuses it without reading.",
         "# detections/T1562/T1562.001.yml is a named pipe (mkfifo)",
         "# detections/T1562/T1562.001.yml is a plain text file",
         "Replace it with the package as a regular file, or remove it from `detections/`."),
    Code("DAC121", "bidi-control-character", E, "The file contains an invisible bidirectional control character.",
         "Bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) reorder how text is "
         "displayed: a query can read one way in a review and run another way in the SIEM (\"Trojan Source\", "
         "CVE-2021-42574). Package text never needs them.",
         "kql: |\n  DeviceProcessEvents | where FileName == \"sc.exe<U+202E>\"  # <U+202E>: the invisible character",
         "kql: |\n  DeviceProcessEvents | where FileName == \"sc.exe\"",
         "Delete the character at the reported position (most editors show it only with invisible characters "
         "turned on). If right-to-left prose needs a mark, suppress the code for the package with the reason."),
    Code("DAC122", "fmt-cannot-keep-comment", E, "`dac fmt` cannot rewrite the file and keep this comment with the "
         "key or list item it belongs to, so it leaves the file as it is.",
         "fmt promises a lossless rewrite: a comment explains the line it sits on or the key below it, and one "
         "moved to another key misleads the next reader. Reported by `dac fmt` only; `dac validate` never sees it.",
         "title: Impair Defenses\nkey:  # about the value below\n  value  # about the value",
         "title: Impair Defenses\n# about the key and its value\nkey: value  # about the value",
         "Put the comment on its own line directly above the key or list item it is about, or at the end of "
         "that key's line, then run `dac fmt` again."),
    # --- DAC2xx: ATT&CK ------------------------------------------------------------------
    Code("DAC124", "invalid-platform-additions", E, "`platforms.yml` (the repository's local platform additions) "
         "does not follow its schema.",
         "The evaluators and platform checks read macros, lookups, reference sets and custom tables from it; a "
         "malformed entry would silently declare nothing, so every query that relies on it goes unchecked.",
         "spl:\n  macros:\n    sysmon: [sourcetype=XmlWinEventLog]   # a list, not the definition text",
         "spl:\n  macros:\n    sysmon: (sourcetype=XmlWinEventLog source=\"XmlWinEventLog:Microsoft-Windows-Sysmon/"
         "Operational\")",
         "Follow `schema/platforms.schema.json`: each platform key (kql ... logscale) may hold `macros`, "
         "`lookups`, `reference_sets`, `tables` and `fields`, each a mapping by name."),
    Code("DAC125", "atomic-test-listed-twice", E, "An Atomic Red Team test GUID is listed twice across `tests` and "
         "`tests_not_covered`.",
         "Every Atomic test of the technique is either covered (in `tests`, with samples) or declared out of scope "
         "(in `tests_not_covered`, with a reason), never both: a test listed in both places, or twice in one, makes "
         "the package's coverage count wrong and leaves it unclear whether the detection is meant to catch it.",
         "tests:\n  - name: Stop Defender\n    procedure:\n      atomic_guid: aa875ed4-8935-47e2-b2c5-6ec00ab220d2\n"
         "tests_not_covered:\n  - atomic_guid: aa875ed4-8935-47e2-b2c5-6ec00ab220d2\n    reason: not in scope",
         "tests:\n  - name: Stop Defender\n    procedure:\n      atomic_guid: aa875ed4-8935-47e2-b2c5-6ec00ab220d2",
         "Keep the GUID in one place: in `tests` when the detection covers the Atomic test, in `tests_not_covered` "
         "(with the reason) when it does not. Remove the second entry."),
    Code("DAC201", "unknown-technique", E, "The ATT&CK id is not in the bundled ATT&CK data.",
         "A mapping to a technique that does not exist breaks coverage reporting and the site links.",
         "id: T1562.099",
         "id: T1562.001",
         "Check the id on attack.mitre.org; `dac attack show ID` prints what the bundled data knows."),
    Code("DAC202", "technique-name-mismatch", E, "The technique name differs from ATT&CK's name for the id.",
         "Names are how analysts read coverage; a wrong name suggests a wrong id.",
         "attack:\n  technique: T1562\n  name: Impair Defense",
         "attack:\n  technique: T1562\n  name: Impair Defenses",
         "Copy the name from `dac attack show ID`, or fix the id."),
    Code("DAC203", "tactic-mismatch", E, "A tactic listed for the technique is not one of its ATT&CK tactics.",
         "Tactic grouping drives the hub and the coverage matrix; a wrong tactic puts the detection "
         "in the wrong column.",
         "attack:\n  tactics: [Persistence]",
         "attack:\n  tactics: [Defense Evasion]",
         "Use the tactic names that `dac attack show ID` lists."),
    Code("DAC204", "parent-mismatch", E, "The sub-technique's parent does not match ATT&CK or its folder.",
         "Packages are filed under their parent technique; a wrong parent breaks the sub-technique "
         "lists on the site.",
         "# detections/T1562/T1562.001.yml\nattack:\n  parent: T1059",
         "# detections/T1562/T1562.001.yml\nattack:\n  parent: T1562",
         "Set `attack.parent` to the id before the dot, and keep the file in that folder."),
    Code("DAC205", "deprecated-technique", W, "The technique is deprecated or revoked in ATT&CK.",
         "A revoked id has been replaced; detections mapped to it drop out of current coverage.",
         "attack:\n  technique: T1086",
         "attack:\n  technique: T1059.001",
         "Map the package to the successor named in the message."),
    Code("DAC206", "attack-v19-successor", INFO, "The technique has a successor in ATT&CK v19.",
         "ATT&CK v19 renumbered the Impair Defenses family and split Defense Evasion. The package "
         "stays on v18 ids for now; this note is shown on every run so the coming migration stays "
         "visible, and the site shows both ids. It never fails a run.",
         "attack:\n  version: '18.1'\n  technique: T1562.002",
         "attack:\n  version: '18.1'\n  technique: T1562.002\n  v19_successor: T1685.001",
         "Record `attack.v19_successor` (the message says when it is missing or differs); migrate the "
         "package when the repository moves to ATT&CK v19."),
    Code("DAC207", "attack-version-mismatch", W, "The package's ATT&CK version is not the bundled one.",
         "Names, tactics and ids are checked against the bundled data; a package written for "
         "another version may be checked against the wrong facts.",
         "attack:\n  version: '15.1'",
         "attack:\n  version: '18.1'",
         "Review the mapping against the bundled version and update `attack.version`."),
    # --- DAC3xx: query syntax --------------------------------------------------------------
    Code("DAC301", "query-syntax-error", E, "A query is not valid in its language.",
         "A query that does not parse fails at deploy time in the SIEM, or worse, is silently "
         "skipped by the rule engine.",
         "queries:\n  kql: |\n    DeviceProcessEvents\n    | where (FileName == \"sc.exe\"",
         "queries:\n  kql: |\n    DeviceProcessEvents\n    | where (FileName == \"sc.exe\")",
         "The message names the token found and what the grammar expected there; the caret points "
         "at the token in the YAML file."),
    Code("DAC302", "query-too-large", E, "A query is longer than the parser's bound of 200,000 characters.",
         "Queries this large are not hand-written detections; parsing them would slow every run.",
         "queries:\n  kql: |\n    # 2 MB of generated text",
         "queries:\n  kql: |\n    DeviceProcessEvents | where FileName == \"sc.exe\"",
         "Split the detection, or move long lists into a watchlist or lookup."),
    Code("DAC303", "query-nested-too-deeply", E, "A query nests brackets deeper than the parser's bound of 200 "
         "levels.",
         "Hand-written detections nest brackets a few levels deep. Deeper nesting is generated or hostile text: "
         "it would make parsing, error reports and every check that walks the query slow, so the query is "
         "refused before it is parsed.",
         "queries:\n  kql: |\n    DeviceProcessEvents\n    | where (((((((FileName == \"sc.exe\")))))))"
         "  # ... 201 levels",
         "queries:\n  kql: |\n    DeviceProcessEvents\n    | where FileName == \"sc.exe\"",
         "Remove the redundant brackets, or flatten the logic (`in (...)`, `has_any`, a lookup). The diagnostic "
         "points at the first bracket beyond the bound; brackets inside strings and comments do not count."),
    Code("DAC304", "kql-undefined-escape", E, "A KQL string literal uses an escape sequence Kusto does not define.",
         "In \"...\" and '...' literals Kusto defines escapes for the quote, tab, newline and the backslash; "
         "Kusto rejects others such as \"\\.\" or \"\\+\", so the query fails when it is deployed. Regular "
         "expressions are the usual cause.",
         "queries:\n  kql: |\n    DeviceProcessEvents\n    | where FileName matches regex \"sc\\.exe\"",
         "queries:\n  kql: |\n    DeviceProcessEvents\n    | where FileName matches regex @\"sc\\.exe\"",
         "Write the literal as a verbatim string @\"...\", where a backslash stands for itself, or double the "
         "backslash. The diagnostic points at the backslash."),
    Code("DAC305", "eql-endpoint-dialect", E, "An EQL query uses the Elastic Endpoint rule dialect, which "
         "Elasticsearch EQL does not support.",
         "Elastic Endpoint behaviour rules use `descendant of` / `child of` / `event of`, `[...] as alias` "
         "sequence stages, `$macro` references and lower-case function names (`stringcontains~`). "
         "Elasticsearch EQL, which Elastic Security rules run on, refuses them: the rule never runs.",
         "queries:\n  eql: |\n    process where descendant of [process where process.name : \"winword.exe\"]",
         "queries:\n  eql: |\n    process where process.parent.name : \"winword.exe\"",
         "Rewrite the construct in Elasticsearch EQL: lineage as `process.parent.*` fields or a `sequence by "
         "process.entity_id`, named stages as join keys, macros expanded into lists, functions spelled as "
         "the EQL function reference spells them (`stringContains~`)."),
    # --- DAC4xx: query lint ------------------------------------------------------------------
    Code("DAC401", "query-template-placeholder", W, "A query still contains a template placeholder.",
         "Dashboard variables (`{{var}}`), install parameters (`$$param`) and Splunk tokens "
         "(`$token$`) are filled by a dashboard or installer, never by a detection engine: the "
         "rule searches for the literal placeholder and matches nothing.",
         "queries:\n  sumo: |\n    _sourceCategory={{logsrc}} \"sc stop\"",
         "queries:\n  sumo: |\n    _sourceCategory=windows/sysmon \"sc stop\"",
         "Replace the placeholder with the real value, or suppress with a reason if your "
         "deployment tooling substitutes it."),
    Code("DAC501", "test-without-match", E, "A test has no sample event that should match.",
         "Without a positive sample nobody can show the detection fires on the behaviour.",
         "tests:\n  - name: Stop Defender\n    samples:\n      match: []",
         "tests:\n  - name: Stop Defender\n    samples:\n      match:\n"
         "        - {EventID: 1, CommandLine: sc stop WinDefend}",
         "Add at least one event, in Sigma field names, that the detection must match."),
    Code("DAC502", "test-without-non-match", E, "A test has no sample event that should not match.",
         "Without a negative sample nobody can show the detection is not simply matching everything.",
         "tests:\n  - name: Stop Defender\n    samples:\n      no_match: []",
         "tests:\n  - name: Stop Defender\n    samples:\n      no_match:\n"
         "        - {EventID: 1, CommandLine: sc query WinDefend}",
         "Add at least one near-miss event that the detection must not match."),
    Code("DAC503", "atomic-test-unknown-technique", W, "An Atomic Red Team test names no GUID and no manual procedure.",
         "Tests are only reproducible when they point at a specific procedure.",
         "tests:\n  - name: Stop Defender\n    procedure: {}",
         "tests:\n  - name: Stop Defender\n    procedure:\n      atomic_guid: 3b419d3b-c0d6-4e3f-9b8e-1e0a9ce0a2b4",
         "Give the Atomic test GUID, or describe the manual steps in `procedure.manual`."),
    Code("DAC504", "sample-not-detected", E, "A sample event that should match the Sigma detection does not.",
         "The sample is the behaviour the package exists to catch. If the Sigma form misses it, the "
         "detection (or the sample) is wrong, and the native queries written from it likely miss it "
         "too.",
         "detection:\n  selection:\n    CommandLine|contains: stop\n  condition: selection\n"
         "# tests[0].samples.match:\n- {EventID: 1, CommandLine: sc start WinDefend}",
         "# tests[0].samples.match:\n- {EventID: 1, CommandLine: sc stop WinDefend}",
         "Fix whichever is wrong: widen the detection to the behaviour, or correct the sample so it "
         "is the event the procedure really produces (field names in the Sigma taxonomy)."),
    Code("DAC505", "sample-wrongly-detected", E, "A sample event that should not match the Sigma detection does.",
         "The near-miss samples are the false positives the detection promises to leave alone; one "
         "that matches is an alert nobody wants.",
         "detection:\n  selection:\n    CommandLine|contains: WinDefend\n  condition: selection\n"
         "# tests[0].samples.no_match:\n- {EventID: 1, CommandLine: sc query WinDefend}",
         "detection:\n  selection:\n    CommandLine|contains|all: [WinDefend, stop]\n  condition: selection",
         "Narrow the detection (the message names the search identifiers that matched), or move the "
         "sample to `match` if the detection is right to fire on it."),
    Code("DAC506", "sigma-condition-invalid", E, "The Sigma detection cannot work: its condition does not parse, names "
         "an undefined search identifier, or a search identifier is malformed.",
         "Every Sigma backend rejects such a rule, so the exported rule and the samples are unusable.",
         "detection:\n  selection:\n    CommandLine|contains: stop\n  condition: selection and not filter",
         "detection:\n  selection:\n    CommandLine|contains: stop\n  filter:\n    User: SYSTEM\n"
         "  condition: selection and not filter",
         "Define every search identifier the condition names, and write the condition with `and`, "
         "`or`, `not`, parentheses and `1 of` / `all of`."),
    Code("DAC507", "sigma-not-evaluated", INFO, "The Sigma detection uses a feature dac does not evaluate, so the "
         "sample events were not checked against it.",
         "The rule may well be right; this note says the samples are unchecked, so a reviewer checks "
         "them by hand.",
         "detection:\n  selection:\n    CommandLine|base64offset|contains: stop\n  condition: selection",
         "detection:\n  selection:\n    CommandLine|contains: stop\n  condition: selection",
         "Nothing to fix if the feature is needed. dac evaluates the modifiers contains, startswith, "
         "endswith, all, re, cased, exists, cidr, gt/gte/lt/lte and windash, and conditions without "
         "aggregations."),
    Code("DAC508", "sigma-pattern-too-slow", W, "A pattern of the Sigma detection (a `re` value or a wildcard "
         "string) ran longer than 0.5 s on one value of a sample event, so that sample and the ones after it "
         "were not checked.",
         "Real patterns take microseconds on a sample. One that takes this long backtracks without end (nested "
         "or overlapping repetition such as `(a|aa)+`), and can stall a SIEM's rule engine on a crafted event "
         "just as it stalled the check.",
         "detection:\n  selection:\n    CommandLine|re: 'stop|(a|aa)+b'\n  condition: selection\n"
         "# tests[0].samples.no_match:\n- {EventID: 1, CommandLine: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}",
         "detection:\n  selection:\n    CommandLine|re: 'stop|a+b'\n  condition: selection",
         "Rewrite the pattern named in the message so that each part of a text can match it in one way only: "
         "no repetition of a group that can itself match the same text in several ways (`(a|aa)+`, `(.*)*`, "
         "`(\\w+\\s?)+`)."),
    Code("DAC509", "samples-over-budget", W, "Checking a package's sample events against the Sigma detection took "
         "longer than its budget of 2 s in all, so the sample named and the ones after it were not checked.",
         "A package's samples check in about a millisecond. Seconds mean many slow pattern matches (in many "
         "events, or in one event with many values) that would slow every validation run; the budget stops "
         "them, and the unchecked samples need a reviewer.",
         "detection:\n  selection:\n    CommandLine|re: 'stop|(a|aa)+$'\n  condition: selection\n"
         "# tests[0].samples.no_match: one event whose CommandLine lists 300 texts like aaaaaaaaaaaaaaaaaaaaaaaab",
         "detection:\n  selection:\n    CommandLine|re: 'stop|a+$'\n  condition: selection",
         "Make the patterns cheap (see DAC508), and keep the samples to the events that show the behaviour and "
         "its near-misses."),
    # --- DAC6xx: repository ------------------------------------------------------------------
    Code("DAC601", "duplicate-id", E, "Two packages have the same id.",
         "Ids are the primary key of the repository, the site and the exports.",
         "# detections/T1562/T1562.yml and detections/T1562/copy.yml both say\nid: T1562",
         "id: T1562  # in exactly one file",
         "Give each package its own technique id; merge the two if they detect the same thing."),
    Code("DAC602", "duplicate-title", W, "Two packages have the same title.",
         "Titles are how analysts tell alerts apart in the SIEM.",
         "title: Impair Defenses  # in two packages",
         "title: Impair Defenses - Disable or Modify Tools",
         "Make each title say what is specific to its package."),
    Code("DAC603", "filename-not-id", E, "The file name is not the package id.",
         "Tools and reviewers find a package by its id; `detections/<parent>/<id>.yml` is the rule.",
         "# detections/T1562/impair.yml\nid: T1562",
         "# detections/T1562/T1562.yml\nid: T1562",
         "Rename the file to `<id>.yml`."),
    Code("DAC604", "wrong-folder", E, "The package is not in the folder of its parent technique.",
         "A technique family lives in one folder so its sub-techniques are reviewed together.",
         "# detections/T1059/T1562.001.yml",
         "# detections/T1562/T1562.001.yml",
         "Move the file to `detections/<parent technique>/`."),
    Code("DAC605", "unknown-related-detection", W, "A related detection names a package that does not exist.",
         "Related links on the site would point nowhere.",
         "related:\n  - id: T1562.099",
         "related:\n  - id: T1562.001",
         "Use the id of an existing package, or remove the entry."),
]

def _semantic_entries() -> list[Code]:
    """The platform checks' and the verdicts' codes (DAC48x, DAC51x): tooling/diagnostics/semantic.py."""
    from tooling.diagnostics.semantic import CODES as SEMANTIC

    return list(SEMANTIC)


def _lint_entries() -> list[Code]:
    """Each language's lint codes live beside the others' in tooling/diagnostics/lint/."""
    import importlib

    from tooling.diagnostics.lint import LANGUAGE_MODULES

    return [code for key in LANGUAGE_MODULES
            for code in importlib.import_module(f"tooling.diagnostics.lint.{key}").CODES]


CODES: dict[str, Code] = {c.code: c for c in sorted(_ENTRIES + _semantic_entries() + _lint_entries(),
                                                    key=lambda c: c.code)}


def code_info(code: str) -> Code:
    """The registry entry of a code; unknown codes are a programming error."""
    return CODES[code]
