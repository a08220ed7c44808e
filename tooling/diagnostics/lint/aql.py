"""Lint codes of the aql language (see tooling/diagnostics/lint/__init__.py for the ranges).

The rules are in tooling/languages/aql/lint.py.
"""
from __future__ import annotations

from tooling.diagnostics.codes import Code, Severity

W, E = Severity.WARNING, Severity.ERROR


def _aql(query: str) -> str:
    return "queries:\n  aql: |\n" + "".join(f"    {line}\n" for line in query.splitlines())


CODES: list[Code] = [
    Code("DAC440", "aql-no-time-range", W,
         "An AQL query has no time range: no `LAST n MINUTES|HOURS|DAYS` and no `START ... STOP`.",
         "Without a time clause the period searched is not part of the detection: it comes from where "
         "the query runs (the search window of the console or the API, a report's schedule, a time "
         "picker). The same query then looks at five minutes in one place and days in another, so it "
         "misses activity or scans far more data than intended.",
         _aql("SELECT sourceip, username FROM events\nWHERE \"Process Name\" = 'sc.exe'"),
         _aql("SELECT sourceip, username FROM events\nWHERE \"Process Name\" = 'sc.exe'\nLAST 24 HOURS"),
         "End the query with `LAST n MINUTES|HOURS|DAYS` (after LIMIT), or with `START '...' STOP "
         "'...'` for a fixed period. A query that reads FROM a subquery may put the time clause in "
         "the subquery."),
    Code("DAC441", "aql-select-star", W,
         "An AQL query selects `*` from the events or flows table.",
         "`SELECT *` returns every normalized field and every custom property of every matching "
         "record, payload included: searches are slower, results are heavy to export or forward, "
         "and the columns an analyst needs are buried. A detection should say which fields it "
         "reports.",
         _aql("SELECT * FROM events\nWHERE \"Process Name\" = 'sc.exe'\nLAST 24 HOURS"),
         _aql("SELECT DATEFORMAT(starttime, 'yyyy-MM-dd HH:mm:ss') AS 'Time', sourceip, username\n"
              "FROM events\nWHERE \"Process Name\" = 'sc.exe'\nLAST 24 HOURS"),
         "List the columns the detection needs, with `AS` aliases for readable names."),
    Code("DAC442", "aql-like-without-wildcard", W,
         "A `LIKE` or `ILIKE` pattern has no `%` or `_` wildcard.",
         "Without a wildcard, LIKE compares the whole value: `\"Process CommandLine\" ILIKE 'sc stop'` "
         "matches only a command line that is exactly `sc stop`, never `sc.exe stop WinDefend`. "
         "Authors used to substring search in other SIEMs expect the opposite, and the detection "
         "silently misses.",
         _aql("SELECT username FROM events\nWHERE \"Process CommandLine\" ILIKE 'sc stop'\nLAST 24 HOURS"),
         _aql("SELECT username FROM events\nWHERE \"Process CommandLine\" ILIKE '%sc stop%'\nLAST 24 HOURS"),
         "Add `%` (any run of characters) or `_` (one character) where the value may vary. If an "
         "exact match is meant, use `=` (or `LOWER(field) = 'value'` instead of ILIKE)."),
    Code("DAC443", "aql-payload-without-utf8", W,
         "The raw `payload` field is compared with a value.",
         "In the Ariel database the payload is stored as raw bytes, and IBM's reference decodes it "
         "with `UTF8(payload)` before every text comparison. `payload ILIKE '%mimikatz%'` relies on "
         "an undocumented conversion of the bytes instead, so whether it finds the text depends on "
         "the QRadar version and the event's encoding: a detection should not depend on that.",
         _aql("SELECT username FROM events\nWHERE payload ILIKE '%mimikatz%'\nLAST 24 HOURS"),
         _aql("SELECT username FROM events\nWHERE UTF8(payload) ILIKE '%mimikatz%'\nLAST 24 HOURS"),
         "Wrap the field: `UTF8(payload)`. (`TEXT SEARCH 'term'` is the full-text alternative when "
         "the payload index is enabled.)"),
    Code("DAC444", "aql-invalid-regex", E,
         "A `MATCHES`/`IMATCHES` pattern, or the pattern argument of `REPLACEALL`/`REPLACEFIRST`, is "
         "not a valid regular expression.",
         "QRadar compiles AQL regular expressions with Java's regex engine when the search runs; a "
         "pattern that does not compile makes the whole search fail, so the detection never "
         "returns anything. Only errors that are errors in every regex dialect are reported: an "
         "unbalanced parenthesis, an unterminated character class `[...`, or a quantifier (`*`, "
         "`+`, `?`) with nothing before it.",
         _aql("SELECT username FROM events\nWHERE \"Process CommandLine\" IMATCHES '.*(sc|net\\s+stop.*'\n"
              "LAST 24 HOURS"),
         _aql("SELECT username FROM events\nWHERE \"Process CommandLine\" IMATCHES '.*(sc|net)\\s+stop.*'\n"
              "LAST 24 HOURS"),
         "Balance the parentheses and brackets; escape a literal `(`, `[`, `*`, `+` or `?` with a "
         "backslash (`\\(`)."),
    Code("DAC445", "aql-unknown-function", W,
         "A function name is not in IBM's list of AQL functions.",
         "QRadar rejects a query that calls a function it does not know, so a misspelt name "
         "(`LOGSOURCETYPE(devicetype)`, `QIDNAMES(qid)`) or a function from another SQL dialect "
         "(`COUNT_DISTINCT`, `ISNULL`) breaks the detection when it runs.",
         _aql("SELECT LOGSOURCETYPE(devicetype) AS 'Log Source Type' FROM events\nLAST 24 HOURS"),
         _aql("SELECT LOGSOURCETYPENAME(devicetype) AS 'Log Source Type' FROM events\nLAST 24 HOURS"),
         "Use the function's documented name (see IBM's AQL data calculation, aggregation and "
         "retrieval function pages). Namespaced custom functions (`MYAPP::FUNC(...)`) are not "
         "checked; if a documented function is missing from tooling/languages/aql/functions.py, "
         "add it there."),
    Code("DAC446", "aql-double-quoted-value", W,
         "A value is written in double quotes, which AQL reads as a property name.",
         "In AQL `'single quotes'` are text and `\"double quotes\"` name a field or custom property. "
         "`\"EventID\" = \"4688\"` compares EventID with a property called 4688, which does not "
         "exist, and `username ILIKE \"%admin%\"` uses a property as the pattern: neither matches "
         "what the author meant. Reported for LIKE/ILIKE/MATCHES/IMATCHES patterns, and for "
         "numbers or `%` patterns compared with `=` or listed in IN.",
         _aql("SELECT username FROM events\nWHERE \"EventID\" = \"4688\"\nLAST 24 HOURS"),
         _aql("SELECT username FROM events\nWHERE \"EventID\" = '4688'\nLAST 24 HOURS"),
         "Put text values in single quotes (`'4688'`, `'%admin%'`); keep double quotes for names."),
    Code("DAC447", "aql-unquoted-name-with-space", W,
         "Two bare words in the select list, `Process Name`, read as the field `Process` shown "
         "under the alias `Name`.",
         "AQL allows an alias without `AS`, so a custom property whose name contains a space, "
         "written without its double quotes, is not a syntax error in the select list: the query "
         "returns the wrong column (or an empty one) under a misleading heading.",
         _aql("SELECT Process Name, username FROM events\nLAST 24 HOURS"),
         _aql("SELECT \"Process Name\", username FROM events\nLAST 24 HOURS"),
         "Double-quote a property whose name has a space (`\"Process Name\"`); if an alias was "
         "meant, write `AS` (`sourceip AS src`)."),
]
