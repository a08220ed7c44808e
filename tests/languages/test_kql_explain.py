"""Why a KQL query returns an event or not: the leaf predicate that decided, at its position,
with the event's value (tooling/languages/explanation.py). Each case is a query, one
DeviceProcessEvents row, and the sentence and position a reviewer must be shown."""
from __future__ import annotations

import pytest

from tooling.languages.explanation import explain

QUERY = """DeviceProcessEvents
| where FileName =~ "sc.exe" and ProcessCommandLine has "stop"
| where ProcessCommandLine has_any ("WinDefend", "Sense") or FileName == "net.exe"
| where not(ProcessCommandLine contains "query")"""


def row(**fields):
    return {"$table": "DeviceProcessEvents", **fields}


CASES = [
    # one predicate of the only branch fails: it is named, with the event's value
    (row(FileName="sc.exe", ProcessCommandLine="sc stop windefendx"), False,
     "`ProcessCommandLine has_any (\"WinDefend\", \"Sense\")` (line 3) on 'sc stop windefendx' did not hold; "
     "`FileName == \"net.exe\"` (line 3) on 'sc.exe' alone would also have returned it", (3, 9)),
    # two predicates of one branch fail; the second is only reached once the first holds
    (row(FileName="sc.exe", ProcessCommandLine="sc start x"), False,
     "the closest branch needs `ProcessCommandLine has \"stop\"` (line 2) on 'sc start x' and "
     "`ProcessCommandLine has_any (\"WinDefend\", \"Sense\")` (line 3) on 'sc start x', which did not hold", (2, 34)),
    # a column the row lacks is null in KQL
    (row(ProcessCommandLine="sc stop WinDefend"), False,
     "`FileName =~ \"sc.exe\"` (line 2) on null did not hold", (2, 9)),
    # a false match: the predicates whose flip would drop the event, the negated one included
    (row(FileName="sc.exe", ProcessCommandLine="sc stop WinDefend"), True,
     "it returned the event because `FileName =~ \"sc.exe\"` (line 2) on 'sc.exe' and "
     "`ProcessCommandLine has \"stop\"` (line 2) on 'sc stop WinDefend' and "
     "`ProcessCommandLine has_any (\"WinDefend\", \"Sense\")` (line 3) on 'sc stop WinDefend' held and "
     "`ProcessCommandLine contains \"query\"` (line 4) on 'sc stop WinDefend' did not",
     (2, 9)),
    # the negation decides: the event is dropped because `contains "query"` held
    (row(FileName="sc.exe", ProcessCommandLine="sc stop WinDefend query"), False,
     "`ProcessCommandLine contains \"query\"` (line 4) on 'sc stop WinDefend query' held, and the negation "
     "around it drops the event", (4, 13)),
]


@pytest.mark.parametrize("event, matched, sentence, position", CASES)
def test_the_deciding_predicate_is_named_with_the_event_value(event, matched, sentence, position):
    explained = explain("kql", QUERY, event)
    assert explained is not None and explained.matched is matched
    assert explained.sentence() == sentence
    assert (explained.line, explained.column) == position


def test_when_two_branches_match_neither_decides_and_the_first_evaluated_is_shown():
    # `or` stops at its first true branch, so the second is not evaluated on the unflipped run
    query = 'DeviceProcessEvents | where FileName == "sc.exe" or ProcessCommandLine has "WinDefend"'
    explained = explain("kql", query, row(FileName="sc.exe", ProcessCommandLine="sc stop WinDefend"))
    assert explained.deciding == [] and explained.line is None
    assert explained.sentence() == "it returned the event because `FileName == \"sc.exe\"` (line 1) on 'sc.exe' held"


def test_a_query_that_cannot_be_evaluated_has_no_explanation():
    assert explain("kql", "DeviceProcessEvents | invoke nothing()", row(FileName="x")) is None


def test_probing_leaves_the_verdict_unchanged_outside_an_explanation():
    from tooling.languages import get_language

    event = row(FileName="sc.exe", ProcessCommandLine="sc stop WinDefend")
    explain("kql", QUERY, event)
    assert get_language("kql").evaluate(QUERY, [event]).matched == [0]


def test_an_event_of_another_table_is_explained_by_the_table():
    query = 'DeviceRegistryEvents | where RegistryValueName == "DisableAntiSpyware"'
    explained = explain("kql", query, row(FileName="reg.exe"))
    # once the row counts as a DeviceRegistryEvents row, its RegistryValueName is null: both fail
    assert explained.sentence() == ("the closest branch needs `DeviceRegistryEvents` (line 1) on the event's table "
                                    "'DeviceProcessEvents' and `RegistryValueName == \"DisableAntiSpyware\"` (line 1) "
                                    "on null, which did not hold")


def test_an_explanation_stops_probing_when_its_time_is_spent(monkeypatch):
    from tooling.languages import explanation

    monkeypatch.setattr(explanation, "BUDGET_S", 0.0)
    explained = explain("kql", QUERY, row(FileName="sc.exe", ProcessCommandLine="sc stop windefendx"))
    assert explained.deciding == []  # no flip was run: nothing is known to decide
    assert explained.sentence().startswith("no single predicate decides; these did not hold:")
