"""Why an EQL query returns an event or not: the leaf predicate that decided, at its position,
with the event's value (tooling/languages/explanation.py). Each case is a query, one ECS event as
Elastic Defend writes it (rendered from a Sysmon sample by tooling/platforms/eql), and the
sentence and position a reviewer must be shown."""
from __future__ import annotations

import pytest

from tooling.languages import get_language
from tooling.languages.explanation import explain
from tooling.platforms import render

# T1562.001's shape: security services stopped with sc / net, or a Defender policy value set
QUERY = r'''any where
  (event.category == "process" and event.type == "start" and
    process.name : ("sc.exe", "net.exe", "net1.exe") and
    process.args : ("stop", "delete", "config") and
    (process.command_line : ("*WinDefend*", "*Sense*") or stringContains~(process.command_line, "wdnissvc")) and
    not (process.parent.name in~ ("services.exe", "msiexec.exe"))) or
  (event.category == "registry" and
    registry.path : "*\\Policies\\Microsoft\\Windows Defender\\*" and
    registry.value in ("DisableAntiSpyware", "DisableRealtimeMonitoring") and
    registry.data.strings : ("1", "0x00000001"))'''

ARGS = '`process.args : ("stop", "delete", "config")` (line 4)'
DEFENDER = '`process.command_line : ("*WinDefend*", "*Sense*")` (line 5)'


def process(command_line: str, parent: str = "C:\\Windows\\System32\\cmd.exe") -> dict:
    sample = {"EventID": 1, "Image": "C:\\Windows\\System32\\sc.exe", "CommandLine": command_line,
              "ParentImage": parent, "User": "CONTOSO\\admin"}
    return render("eql", sample, {"product": "windows"}).event


def registry(value_name: str, details: str = "DWORD (0x00000001)") -> dict:
    sample = {"EventID": 13, "Image": "C:\\Windows\\regedit.exe", "Details": details,
              "TargetObject": "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\" + value_name}
    return render("eql", sample, {"product": "windows"}).event


def without_args(event: dict) -> dict:
    del event["process"]["args"]
    return event


CASES = [
    # one predicate of the only branch fails: it is named, with the event's value (an array)
    (process("sc.exe start WinDefend"), False,
     f"{ARGS} on ['sc.exe', 'start', 'WinDefend'] did not hold", (4, 5)),
    # a field the event lacks is absent, not null or an empty string
    (without_args(process("sc.exe stop WinDefend")), False,
     f"{ARGS} on a field absent from the event did not hold", (4, 5)),
    # an `or` of two leaves: either alone would have returned the event
    (process("sc.exe stop Spooler"), False,
     f"{DEFENDER} on 'sc.exe stop Spooler' did not hold; "
     "`stringContains~(process.command_line, \"wdnissvc\")` (line 5) on 'sc.exe stop Spooler' alone would also "
     "have returned it", (5, 6)),
    # two leaves of one branch fail; the second is only reached once the first holds
    (process("sc.exe query Spooler"), False,
     f"the closest branch needs {ARGS} on ['sc.exe', 'query', 'Spooler'] and "
     f"{DEFENDER} on 'sc.exe query Spooler', which did not hold", (4, 5)),
    # a false match: the leaves of the process branch whose flip would drop the event, the
    # negated one (which held: the parent is not an installer) among them
    (process("sc.exe stop WinDefend"), True,
     "it returned the event because `event.category == \"process\"` (line 2) on 'process' and "
     "`event.type == \"start\"` (line 2) on 'start' and "
     "`process.name : (\"sc.exe\", \"net.exe\", \"net1.exe\")` (line 3) on 'sc.exe' and "
     "`process.args : (\"stop\", \"delete\", \"config\")` (line 4) on ['sc.exe', 'stop', 'WinDefend'] and "
     "`process.command_line : (\"*WinDefend*\", \"*Sense*\")` (line 5) on 'sc.exe stop WinDefend' and "
     "`not (process.parent.name in~ (\"services.exe\", \"msiexec.exe\"))` (line 6) on 'cmd.exe' held", (2, 4)),
    # a false match in the other branch names that branch, not the process one
    (registry("DisableAntiSpyware"), True,
     "it returned the event because `event.category == \"registry\"` (line 7) on 'registry' and "
     r'`registry.path : "*\\Policies\\Microsoft\\Windows Defender\\*"` (line 8) on '
     r"'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware' and "
     "`registry.value in (\"DisableAntiSpyware\", \"DisableRealtimeMonitoring\")` (line 9) on "
     "'DisableAntiSpyware' and `registry.data.strings : (\"1\", \"0x00000001\")` (line 10) on '1' held", (7, 4)),
    # the value data decides: Defender re-enabled (0) is not tampering
    (registry("DisableAntiSpyware", "DWORD (0x00000000)"), False,
     "`registry.data.strings : (\"1\", \"0x00000001\")` (line 10) on '0' did not hold", (10, 5)),
    # the negation decides: `not (... in~ ...)` is one leaf, quoted with its `not`, so that
    # "did not hold" is true of what is quoted
    (process("sc.exe stop WinDefend", parent="C:\\Windows\\System32\\services.exe"), False,
     "`not (process.parent.name in~ (\"services.exe\", \"msiexec.exe\"))` (line 6) on 'services.exe' did not hold",
     (6, 5)),
]


@pytest.mark.parametrize("event, matched, sentence, position", CASES)
def test_the_deciding_predicate_is_named_with_the_event_value(event, matched, sentence, position):
    explained = explain("eql", QUERY, event)
    assert explained is not None and explained.matched is matched
    assert explained.sentence() == sentence
    assert (explained.line, explained.column) == position


STOPPED = '''process where process.name : "sc.exe" and
  process.parent.name != null and process.args_count >= 3'''


def test_the_category_is_a_leaf_quoted_with_where():
    # a registry condition under the wrong category: only the category keeps the event out
    query = 'process where registry.value : "DisableAntiSpyware"'
    explained = explain("eql", query, registry("DisableAntiSpyware"))
    assert explained.sentence() == "`process where` (line 1) on the event's event.category 'registry' did not hold"
    assert (explained.line, explained.column) == (1, 1)


def test_a_null_check_and_a_comparison_are_leaves():
    event = process("sc.exe stop")
    del event["process"]["parent"]
    explained = explain("eql", STOPPED, event)
    assert explained.sentence() == ("the closest branch needs `process.parent.name != null` (line 2) on a field "
                                    "absent from the event and `process.args_count >= 3` (line 2) on 2, "
                                    "which did not hold")
    assert (explained.line, explained.column) == (2, 3)


def test_a_negated_function_is_one_leaf_with_its_source_argument():
    query = 'network where destination.port in (445, 139) and\n  not cidrMatch(destination.ip, "10.0.0.0/8", "192.168.0.0/16")'
    event = {"@timestamp": "2026-01-01T12:00:00Z", "event": {"category": ["network"]},
             "destination": {"ip": "10.1.2.3", "port": 445}}
    explained = explain("eql", query, event)
    assert explained.sentence() == ("`not cidrMatch(destination.ip, \"10.0.0.0/8\", \"192.168.0.0/16\")` (line 2) "
                                    "on '10.1.2.3' did not hold")
    assert (explained.line, explained.column) == (2, 3)


def test_an_undecided_leaf_neither_holds_nor_fails():
    # `:` on a number depends on the field's mapping: not decided, so not a leaf that held; the
    # other branch alone returned the event, and flipping it leaves the verdict undecided
    query = 'any where process.pid : "4*" or process.name : "sc.exe"'
    event = process("sc.exe stop WinDefend")
    event["process"]["pid"] = 4
    explained = explain("eql", query, event)
    assert explained.matched and explained.deciding == []
    assert explained.sentence() == "it returned the event because `process.name : \"sc.exe\"` (line 1) on 'sc.exe' held"


def test_a_sequence_step_a_single_event_cannot_complete():
    # one event can only fill the first stage: no leaf, nor pair, decides; the failed leaf of the
    # next stage is listed
    query = ('sequence by process.entity_id with maxspan=1m\n'
             '  [process where process.name : "sc.exe"]\n'
             '  [network where destination.port == 443]')
    event = process("sc.exe stop WinDefend")
    event["process"]["entity_id"] = "e1"
    explained = explain("eql", query, event)
    assert explained.matched is False and explained.line is None
    assert explained.sentence() == "no single predicate decides; these did not hold: `network where` (line 3) on the event's event.category 'process'"


def test_a_query_that_cannot_be_evaluated_has_no_explanation():
    assert explain("eql", "process where process.pid : \"4*\"", {"event": {"category": "process"},
                                                                  "process": {"pid": 4}}) is None


def test_probing_leaves_the_verdict_unchanged_outside_an_explanation():
    eql = get_language("eql")
    events = [process("sc.exe stop WinDefend"), process("sc.exe start WinDefend"), registry("DisableAntiSpyware")]
    before = eql.evaluate(QUERY, events).matched
    for event in events:
        explain("eql", QUERY, event)
    assert before == [0, 2] and eql.evaluate(QUERY, events).matched == before
