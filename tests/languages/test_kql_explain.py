"""Why a KQL query returns an event or not: the leaf predicate that decided, at its position,
with the event's value (tooling/languages/explanation.py). Each case is a query, one
DeviceProcessEvents row, and the sentence and position a reviewer must be shown."""
from __future__ import annotations

import pytest

from tests.languages.support import assert_label_decides_only_when_read
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


LABELLED = """DeviceProcessEvents
| where ProcessCommandLine has "WinDefend"
| extend Indicator = iff(FileName =~ "sc.exe", "service control", "other")
| project Timestamp, DeviceName, Indicator, ProcessCommandLine
| sort by Timestamp desc"""
SC_STOP = row(FileName="sc.exe", ProcessCommandLine="sc stop WinDefend", Timestamp="2026-01-01T00:00:00Z")


def test_an_extend_that_only_names_what_the_results_show_decides_nothing():
    # no later operator but project and sort reads `Indicator`: its iff() condition is no
    # predicate (coverage asks no sample to prove it); read by a `where`, the same condition decides
    filtered = LABELLED.replace("| project", '| where Indicator == "other"\n| project')
    # at the iff's `FileName =~ "sc.exe"`, which held
    assert_label_decides_only_when_read("kql", LABELLED, filtered, SC_STOP, 3, (3, 26))


LET_UNION = """let Hits = DeviceProcessEvents
    | where ProcessCommandLine has "WinDefend"
    | extend Indicator = iff(FileName =~ "sc.exe", "service control", "other");
union Hits, (DeviceRegistryEvents | where RegistryValueName == "Start")
| project Timestamp, DeviceName, Indicator"""


def test_a_let_bound_extend_is_read_through_the_pipelines_that_consume_it():
    filtered = LET_UNION.replace("union Hits,", 'union (Hits | where Indicator == "other"),')
    assert_label_decides_only_when_read("kql", LET_UNION, filtered, SC_STOP, 3, (3, 30))


@pytest.mark.parametrize("later, label", [
    ("| project-away Indicator", True),
    ("| sort by Indicator asc", True),
    ("| join kind=inner (DeviceNetworkEvents | project DeviceName) on DeviceName", True),
    ("| project-away Ind*", False),  # a wildcard may name it
    ("| project Label = Indicator", False),  # a rename
    ("| summarize count() by Indicator", False),
    ("| sort by Indicator asc | take 1", False),  # the sort key chooses the row kept
    ("| top 1 by Indicator", False),
    ("| join kind=inner (DeviceNetworkEvents | project Indicator = DeviceName) on Indicator", False),
    ("| where * has \"service\"", False),
    ("| extend Copy = column_ifexists(\"Indicator\", \"\")", False),
    ("| search \"service\"", False),  # an operator that reads every column
])
def test_which_later_operators_read_an_extended_column(later, label):
    from tooling.languages import get_language
    from tooling.languages.kql.labels import label_stages
    from tooling.languages.kql.tree import nodes

    tree = get_language("kql").parse(f"{LABELLED.rsplit(chr(10), 2)[0]}\n{later}").tree
    assert (id(nodes(tree, "extend_op")[0]) in label_stages(tree)) is label


def test_an_extend_in_a_scalar_sub_query_counts_as_read():
    from tooling.languages import get_language
    from tooling.languages.kql.labels import label_stages

    query = ('let Names = toscalar(DeviceProcessEvents | extend Indicator = iff(FileName =~ "sc.exe", "a", "b")'
             ' | summarize make_set(FileName));\nDeviceProcessEvents | where FileName in (Names)')
    assert label_stages(get_language("kql").parse(query).tree) == frozenset()
