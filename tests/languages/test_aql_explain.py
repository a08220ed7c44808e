"""Why an AQL query returns an event or not: the leaf predicate that decided, at its position,
with the event's value (tooling/languages/explanation.py). Each case is a query, one event in
the QRadar shape the platform renders (tooling/platforms/aql: `$table`, `starttime` in epoch
ms, built-in fields in lower case, custom properties such as "Process CommandLine"), and the
sentence and position a reviewer must be shown."""
from __future__ import annotations

import pytest

from tooling.languages.explanation import explain

# Defender's service stopped or deleted with sc.exe, or its definitions removed with MpCmdRun.
QUERY = r"""SELECT username, "Process CommandLine" AS 'Command Line'
FROM events
WHERE LOGSOURCETYPENAME(devicetype) = 'Microsoft Windows Security Event Log'
  AND "EventID" IN ('1', '4688')
  AND (LOWER("Process Name") = 'sc.exe' AND "Process CommandLine" ILIKE '%WinDefend%'
         AND ("Process CommandLine" ILIKE '%stop%' OR "Process CommandLine" ILIKE '%delete%')
       OR "Process CommandLine" IMATCHES '.*MpCmdRun(\.exe)?"?\s+-RemoveDefinitions\b.*')
  AND NOT ("Process CommandLine" ILIKE '%query%')
  AND "Parent Process Path" NOT ILIKE '%\ccmexec.exe'
LAST 24 HOURS"""

REMOVE_DEFINITIONS = r"""'.*MpCmdRun(\.exe)?"?\s+-RemoveDefinitions\b.*'"""


def event(**fields):
    """A Sysmon 1 event of sc.exe started by cmd.exe; a field given as None is left out."""
    base = {"starttime": 1767268800000, "endtime": 1767268800000, "$table": "events", "devicetype": 12,
            "logsourceid": 101, "EventID": "1", "Process Name": "sc.exe",
            "Parent Process Path": "C:\\Windows\\System32\\cmd.exe", "username": "admin"}
    base.update(fields)
    return {name: value for name, value in base.items() if value is not None}


def command(line, **fields):
    return event(**{"Process CommandLine": line, **fields})


CASES = [
    # one predicate fails; each alternative whose holding alone would have returned the event is
    # named too, the other branch of the OR included
    (command("sc.exe start WinDefend"), False,
     "`\"Process CommandLine\" ILIKE '%stop%'` (line 6) on 'sc.exe start WinDefend' did not hold; "
     "`\"Process CommandLine\" ILIKE '%delete%'` (line 6) on 'sc.exe start WinDefend' or "
     f"`\"Process CommandLine\" IMATCHES {REMOVE_DEFINITIONS}` (line 7) on 'sc.exe start WinDefend' "
     "alone would also have returned it", (6, 15)),
    # a property the event lacks is NULL: the comparison is unknown, which is not true
    (command("sc.exe stop WinDefend", **{"Process Name": None}), False,
     "`LOWER(\"Process Name\") = 'sc.exe'` (line 5) on a field absent from the event did not hold; "
     f"`\"Process CommandLine\" IMATCHES {REMOVE_DEFINITIONS}` (line 7) on 'sc.exe stop WinDefend' "
     "alone would also have returned it", (5, 8)),
    # two predicates of one branch fail; the second is only reached once the first holds. The
    # value shown is the left operand's: LOWER("Process Name"), not the field as stored
    (command("net.exe stop WinDefend", EventID="13", **{"Process Name": "NET.EXE"}), False,
     "the closest branch needs `\"EventID\" IN ('1', '4688')` (line 4) on '13' and "
     "`LOWER(\"Process Name\") = 'sc.exe'` (line 5) on 'net.exe', which did not hold", (4, 7)),
    # a false match: the branch that matched (MpCmdRun, line 7), not the sc.exe one that failed
    (command("\"C:\\Program Files\\Windows Defender\\MpCmdRun.exe\" -RemoveDefinitions -All",
             **{"Process Name": "MpCmdRun.exe"}), True,
     "it returned the event because "
     "`LOGSOURCETYPENAME(devicetype) = 'Microsoft Windows Security Event Log'` (line 3) on "
     "'Microsoft Windows Security Event Log' and `\"EventID\" IN ('1', '4688')` (line 4) on '1' and "
     f"`\"Process CommandLine\" IMATCHES {REMOVE_DEFINITIONS}` (line 7) on "
     "'\"C:\\\\Program Files\\\\Windows Defender\\\\MpCmdRun.exe\" -RemoveDefinitions -All' and "
     "`NOT (\"Process CommandLine\" ILIKE '%query%')` (line 8) on "
     "'\"C:\\\\Program Files\\\\Windows Defender\\\\MpCmdRun.exe\" -RemoveDefinitions -All' and "
     "`\"Parent Process Path\" NOT ILIKE '%\\ccmexec.exe'` (line 9) on 'C:\\\\Windows\\\\System32\\\\cmd.exe' held",
     (3, 7)),
    # NOT around one predicate is that predicate, negated: it failed because ILIKE '%query%' held
    (command("sc.exe stop WinDefend & sc.exe query WinDefend"), False,
     "`NOT (\"Process CommandLine\" ILIKE '%query%')` (line 8) on "
     "'sc.exe stop WinDefend & sc.exe query WinDefend' did not hold", (8, 7)),
    # a negated operator is part of its predicate
    (command("sc.exe stop WinDefend", **{"Parent Process Path": "C:\\Windows\\CCM\\CcmExec.exe"}), False,
     "`\"Parent Process Path\" NOT ILIKE '%\\ccmexec.exe'` (line 9) on 'C:\\\\Windows\\\\CCM\\\\CcmExec.exe' "
     "did not hold", (9, 7)),
]


@pytest.mark.parametrize("fields, matched, sentence, position", CASES)
def test_the_deciding_predicate_is_named_with_the_event_value(fields, matched, sentence, position):
    explained = explain("aql", QUERY, fields)
    assert explained is not None and explained.matched is matched
    assert explained.sentence() == sentence
    assert (explained.line, explained.column) == position


# Failed logons from outside the internal network, per user, over a threshold.
FAILURES = """SELECT username, COUNT(*) AS 'Failures'
FROM events
WHERE "EventID" = '4625' AND NOT INCIDR('10.0.0.0/8', sourceip)
GROUP BY username
HAVING COUNT(*) > 3 AND username <> 'svc_backup'
LAST 1 HOURS"""


def logon(**fields):
    return event(**{"EventID": "4625", "sourceip": "203.0.113.7", "Process Name": None, "Parent Process Path": None,
                    **fields})


# One event is a group of one: a threshold of 1 lets the other predicates decide alone.
ONE_FAILURE = FAILURES.replace("COUNT(*) > 3", "COUNT(*) >= 1")


@pytest.mark.parametrize("query, fields, sentence, position", [
    # the HAVING threshold is a leaf like any comparison, with the group's value
    (FAILURES, {}, "`COUNT(*) > 3` (line 5) on 1 did not hold", (5, 8)),
    # so is a HAVING predicate on the group key (`<>`: its negation is part of it)
    (ONE_FAILURE, {"username": "svc_backup"}, "`username <> 'svc_backup'` (line 5) on 'svc_backup' did not hold",
     (5, 26)),
    # INCIDR is a leaf with the tested address as its value; NOT around it belongs to it
    (ONE_FAILURE, {"sourceip": "10.1.2.3"},
     "`NOT INCIDR('10.0.0.0/8', sourceip)` (line 3) on '10.1.2.3' did not hold", (3, 30)),
    (ONE_FAILURE, {"sourceip": None},
     "`NOT INCIDR('10.0.0.0/8', sourceip)` (line 3) on a field absent from the event did not hold", (3, 30)),
    # an address in the range and a threshold not met: neither alone, both together
    (FAILURES, {"sourceip": "10.1.2.3"},
     "the closest branch needs `NOT INCIDR('10.0.0.0/8', sourceip)` (line 3) on '10.1.2.3' and "
     "`COUNT(*) > 3` (line 5) on 1, which did not hold", (3, 30)),
])
def test_having_thresholds_and_incidr_are_leaves(query, fields, sentence, position):
    explained = explain("aql", query, logon(**fields))
    assert explained is not None and explained.matched is False
    assert explained.sentence() == sentence
    assert (explained.line, explained.column) == position


def test_a_payload_search_names_the_payload_text():
    # AQL's free text over the raw event: UTF8(payload) with LIKE / MATCHES
    query = "SELECT * FROM events WHERE \"EventID\" = '1' AND UTF8(payload) ILIKE '%Windows Defender%' LAST 1 HOURS"
    explained = explain("aql", query, event(payload="EventID=1\tImage: C:\\Windows\\System32\\sc.exe"))
    assert explained.sentence() == ("`UTF8(payload) ILIKE '%Windows Defender%'` (line 1) on "
                                    "'EventID=1\\tImage: C:\\\\Windows\\\\System32\\\\sc.exe' did not hold")
    assert (explained.line, explained.column) == (1, 48)
    explained = explain("aql", query, event())
    assert explained.sentence() == ("`UTF8(payload) ILIKE '%Windows Defender%'` (line 1) on a field absent from "
                                    "the event did not hold")


def test_a_select_alias_in_where_shows_the_aliased_value():
    query = ("SELECT LOWER(\"Process Name\") AS proc FROM events\n"
             "WHERE proc IN ('sc.exe', 'net.exe') AND \"Process Name\" IS NOT NULL LAST 1 HOURS")
    explained = explain("aql", query, event(**{"Process Name": "CMD.EXE"}))
    assert explained.sentence() == "`proc IN ('sc.exe', 'net.exe')` (line 2) on 'cmd.exe' did not hold"
    assert (explained.line, explained.column) == (2, 7)
    # without the field, both fail: the alias is unknown, IS NOT NULL is false
    explained = explain("aql", query, event(**{"Process Name": None}))
    assert explained.sentence() == (
        "the closest branch needs `proc IN ('sc.exe', 'net.exe')` (line 2) on a field absent from the event and "
        "`\"Process Name\" IS NOT NULL` (line 2) on a field absent from the event, which did not hold")


def test_the_table_and_a_stated_time_range_are_leaves_with_the_event_value():
    query = "SELECT * FROM events\nWHERE \"EventID\" = '1'\nSTART 1767225600000 STOP 1767268000000"
    flow = {"$table": "flows", "starttime": 1767226000000, "EventID": "1"}
    explained = explain("aql", query, flow)
    assert explained.sentence() == "`FROM events` (line 1) on the event's table 'flows' did not hold"
    assert (explained.line, explained.column) == (1, 10)
    late = event()  # 2026-01-01 12:00 UTC, after STOP
    explained = explain("aql", query, late)
    assert explained.sentence() == ("`START 1767225600000 STOP 1767268000000` (line 3) on the event's starttime "
                                    "1767268800000 did not hold")
    assert (explained.line, explained.column) == (3, 1)
    # a match names the predicates on the event's values, not its table or time
    explained = explain("aql", query, event(starttime=1767226000000))
    assert explained.sentence() == "it returned the event because `\"EventID\" = '1'` (line 2) on '1' held"


def test_when_two_branches_match_neither_decides_and_the_first_evaluated_is_shown():
    # OR stops at its first true branch, so the second is not evaluated on the unflipped run
    query = ("SELECT * FROM events WHERE \"Process Name\" = 'sc.exe' OR \"Process CommandLine\" ILIKE '%WinDefend%' "
             "LAST 1 HOURS")
    explained = explain("aql", query, command("sc.exe stop WinDefend"))
    assert explained.deciding == [] and explained.line is None
    assert explained.sentence() == "it returned the event because `\"Process Name\" = 'sc.exe'` (line 1) on 'sc.exe' held"


def test_a_query_that_cannot_be_evaluated_has_no_explanation():
    # TEXT SEARCH is not evaluated (QRadar's full-text tokenisation is not documented)
    assert explain("aql", "SELECT * FROM events WHERE TEXT SEARCH 'WinDefend' LAST 1 HOURS", event()) is None


def test_probing_leaves_the_verdict_unchanged_outside_an_explanation():
    from tooling.languages import get_language

    language = get_language("aql")
    matched, missed = command("sc.exe stop WinDefend"), command("sc.exe start WinDefend")
    before = language.evaluate(QUERY, [matched, missed]).matched
    for fields in (matched, missed):
        explain("aql", QUERY, fields)
    assert before == language.evaluate(QUERY, [matched, missed]).matched == [0]
