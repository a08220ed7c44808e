"""Why an SPL query returns an event or not: the leaf predicate that decided, at its position in
the query as written, with the event's value (tooling/languages/explanation.py,
tooling/languages/spl/leaves.py). Each case is a query, one event in the Splunk Add-on for
Sysmon's shape (XmlWinEventLog, `_raw` the event's XML), and the sentence and position a
reviewer must be shown. The `sysmon` macro is expanded from its definition, as platforms.yml
declares it: its expansion is one leaf at the call, and every position after it is the query's."""
from __future__ import annotations

from xml.sax.saxutils import escape

import pytest

from tooling.languages import get_language
from tooling.languages.evaluation import EvaluationContext
from tooling.languages.explanation import explain

CONTEXT = EvaluationContext(macros={
    "sysmon": '(sourcetype=XmlWinEventLog source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational")'})

QUERY = r"""`sysmon` EventCode=1
    (Image="*\\sc.exe" OR OriginalFileName="sc.exe")
    CommandLine IN ("*stop*", "*config*") WinDefend
    NOT CommandLine="*query*"
| where NOT match(CommandLine, "(?i)start=\s*(auto|demand)")
| table _time, host, Image, CommandLine"""

REGISTRY_QUERY = r"""`sysmon`
    ((EventCode=1 CommandLine="*WinDefend*" CommandLine="*stop*")
    OR (EventCode=13 TargetObject="*\\Policies\\Microsoft\\Windows Defender\\*" Details="DWORD (0x00000001)"))"""

TSTATS_QUERY = """| tstats count from datamodel=Endpoint.Processes
    where Processes.process="*unset HISTFILE*" OR (Processes.process_name="ln" Processes.process="*/dev/null*")
    by Processes.dest Processes.process"""

SC = "C:\\Windows\\System32\\sc.exe"
POLICY = "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware"


def sysmon(**fields):
    """A Sysmon event as Splunk's add-on gives it: search-time fields and the XML in `_raw`;
    a field given as None is left out."""
    event = {"_time": 1767268800.0, "index": "windows", "sourcetype": "XmlWinEventLog",
             "source": "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "host": "ws01.contoso.local",
             "EventCode": "1", "Image": SC, "User": "CONTOSO\\admin", **fields}
    event = {name: value for name, value in event.items() if value is not None}
    data = "".join(f'<Data Name="{name}">{escape(event[name])}</Data>'
                   for name in ("Image", "CommandLine", "TargetObject", "Details") if name in event)
    event["_raw"] = ("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
                     "<Provider Name=\"Microsoft-Windows-Sysmon\"/>"
                     f"<EventID>{event.get('EventCode', '')}</EventID>"
                     "<Channel>Microsoft-Windows-Sysmon/Operational</Channel></System>"
                     f"<EventData>{data}</EventData></Event>")
    return event


CASES = [
    # one predicate of the only branch fails: it is named, with the event's value
    (QUERY, sysmon(CommandLine="sc.exe pause WinDefend"), False,
     "`CommandLine IN (\"*stop*\", \"*config*\")` (line 3) on 'sc.exe pause WinDefend' did not hold", (3, 5)),
    # a field the event lacks; its position is in the query as written, after the macro
    (QUERY, sysmon(EventCode=None, CommandLine="sc.exe stop WinDefend"), False,
     "`EventCode=1` (line 1) on a field absent from the event did not hold", (1, 10)),
    # alternative branches of an OR: either would have returned the event
    (QUERY, sysmon(Image="C:\\Windows\\System32\\net.exe", CommandLine="net stop WinDefend"), False,
     r"""`Image="*\\sc.exe"` (line 2) on 'C:\\Windows\\System32\\net.exe' did not hold; """
     "`OriginalFileName=\"sc.exe\"` (line 2) on a field absent from the event alone would also have returned it",
     (2, 6)),
    # two predicates of one branch fail; the keyword is only reached once the IN list holds
    (QUERY, sysmon(CommandLine="sc.exe pause WdNisSvc"), False,
     "the closest branch needs `CommandLine IN (\"*stop*\", \"*config*\")` (line 3) on 'sc.exe pause WdNisSvc' "
     "and `WinDefend` (line 3), which did not hold", (3, 5)),
    # a bare keyword over _raw: segments end at breakers, so WinDefendSvc is not WinDefend
    (QUERY, sysmon(CommandLine="sc.exe stop WinDefendSvc"), False,
     "`WinDefend` (line 3) did not hold", (3, 43)),
    # the NOT of the search decides: the event is dropped because `CommandLine="*query*"` held
    (QUERY, sysmon(CommandLine="sc.exe stop WinDefend & sc.exe query WinDefend"), False,
     "`CommandLine=\"*query*\"` (line 4) on 'sc.exe stop WinDefend & sc.exe query WinDefend' held, and the "
     "negation around it drops the event",
     (4, 9)),
    # the NOT of the where clause decides: match() held
    (QUERY, sysmon(CommandLine="sc.exe config WinDefend start= auto"), False,
     r"""`match(CommandLine, "(?i)start=\s*(auto|demand)")` (line 5) on 'sc.exe config WinDefend start= auto' """
     "held, and the negation around it drops the event", (5, 13)),
    # the macro's expansion is one leaf at the call, with the value its first failed test read
    (QUERY, sysmon(sourcetype="WinEventLog", CommandLine="sc.exe stop WinDefend"), False,
     "``sysmon`` (line 1) on the event's sourcetype 'WinEventLog' did not hold", (1, 1)),
    # a false match names the branch that matched (the registry one), not the process branch; the
    # macro selects the data (sourcetype and source) and says nothing of why this event matched
    (REGISTRY_QUERY, sysmon(EventCode="13", Image=None, TargetObject=POLICY, Details="DWORD (0x00000001)"), True,
     "it returned the event because `EventCode=13` (line 3) on '13' and "
     r"""`TargetObject="*\\Policies\\Microsoft\\Windows Defender\\*"` (line 3) on """
     r"'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware' and "
     "`Details=\"DWORD (0x00000001)\"` (line 3) on 'DWORD (0x00000001)' held", (3, 9)),
    # tstats: the where clause over the data model's fields
    (TSTATS_QUERY, {"_time": 1767268800.0, "tag": ["process", "report"], "dest": "web01",
                    "process": "export HISTFILE=/dev/null", "process_name": "bash"}, False,
     "`Processes.process=\"*unset HISTFILE*\"` (line 2) on 'export HISTFILE=/dev/null' did not hold; "
     "`Processes.process_name=\"ln\"` (line 2) on 'bash' alone would also have returned it", (2, 11)),
    # tstats: an event outside the data set (its tags are not all of the data set's constraint)
    (TSTATS_QUERY, {"_time": 1767268800.0, "tag": ["process"], "dest": "web01", "process": "unset HISTFILE",
                    "process_name": "bash"}, False,
     "`datamodel=Endpoint.Processes` (line 1) on the event's tag ['process'] did not hold", (1, 21)),
]


@pytest.mark.parametrize("query, event, matched, sentence, position", CASES)
def test_the_deciding_predicate_is_named_with_the_event_value(query, event, matched, sentence, position):
    explained = explain("spl", query, event, CONTEXT)
    assert explained is not None and explained.matched is matched
    assert explained.sentence() == sentence
    assert (explained.line, explained.column) == position


def test_a_macro_after_other_terms_is_at_its_call_and_the_terms_before_it_keep_their_place():
    query = "User=\"CONTOSO\\\\admin\" `sysmon` EventCode=1"
    explained = explain("spl", query, sysmon(source="WinEventLog:Security"), CONTEXT)
    assert explained.sentence() == "``sysmon`` (line 1) on the event's source 'WinEventLog:Security' did not hold"
    assert (explained.line, explained.column) == (1, 23)
    explained = explain("spl", query, sysmon(EventCode="3"), CONTEXT)
    assert explained.sentence() == "`EventCode=1` (line 1) on '3' did not hold"
    assert (explained.line, explained.column) == (1, 32)


def test_each_of_two_macros_is_its_own_leaf_at_its_own_call():
    context = EvaluationContext(macros={**CONTEXT.macros, "process_creation": "EventCode=1"})
    query = "`sysmon` `process_creation` CommandLine=\"*stop*\""
    explained = explain("spl", query, sysmon(EventCode="5", CommandLine="sc.exe stop WinDefend"), context)
    assert explained.sentence() == "``process_creation`` (line 1) on '5' did not hold"
    assert (explained.line, explained.column) == (1, 10)
    explained = explain("spl", query, sysmon(CommandLine="sc.exe start WinDefend"), context)
    assert explained.sentence() == "`CommandLine=\"*stop*\"` (line 1) on 'sc.exe start WinDefend' did not hold"
    assert (explained.line, explained.column) == (1, 29)


def test_a_search_that_only_selects_its_data_says_so_when_it_matches():
    explained = explain("spl", "index=windows sourcetype=XmlWinEventLog", sysmon(), CONTEXT)
    assert explained.matched and explained.deciding == []
    assert explained.sentence() == "it returns the event, though no predicate of the query tested it"
    explained = explain("spl", "index=windows sourcetype=XmlWinEventLog", sysmon(sourcetype="WinEventLog"), CONTEXT)
    assert explained.sentence() == "`sourcetype=XmlWinEventLog` (line 1) on the event's sourcetype 'WinEventLog' did not hold"
    assert (explained.line, explained.column) == (1, 15)


def test_searchmatch_is_one_leaf_at_the_call_not_at_positions_in_its_string():
    query = '`sysmon` EventCode=1\n| where searchmatch("CommandLine=*stop* WinDefend")'
    explained = explain("spl", query, sysmon(CommandLine="sc.exe start WinDefend"), CONTEXT)
    assert explained.sentence() == "`searchmatch(\"CommandLine=*stop* WinDefend\")` (line 2) did not hold"
    assert (explained.line, explained.column) == (2, 9)
    assert {(leaf.line, leaf.column) for leaf in explained.held + explained.failed} == {(1, 1), (1, 10), (2, 9)}


def test_a_query_that_cannot_be_evaluated_has_no_explanation():
    assert explain("spl", "`undeclared` EventCode=1", sysmon(), CONTEXT) is None


def test_probing_leaves_the_verdict_unchanged_outside_an_explanation():
    events = [sysmon(CommandLine="sc.exe stop WinDefend"), sysmon(CommandLine="sc.exe query WinDefend stop")]
    language = get_language("spl")
    before = language.evaluate(QUERY, events, CONTEXT).matched
    for event in events:
        explain("spl", QUERY, event, CONTEXT)
    assert before == [0]
    assert language.evaluate(QUERY, events, CONTEXT).matched == [0]


LABELLED = r"""`sysmon` EventCode=1 CommandLine="*WinDefend*"
| eval indicator=case(match(CommandLine, "(?i)stop"), "stopped", true(), "other")
| table _time, host, indicator, CommandLine"""


def test_an_eval_that_only_names_what_the_results_show_decides_nothing():
    # no later command but `table` reads `indicator`: its case() arms are no predicates (coverage
    # asks no sample to prove them); read by a `where`, the same arms decide
    event = sysmon(EventID=1, Image=SC, CommandLine="sc query WinDefend")
    shown = explain("spl", LABELLED, event, CONTEXT)
    assert shown.matched is True
    assert [leaf.line for leaf in shown.held + shown.failed if leaf.line == 2] == []
    filtered = LABELLED.replace("| table", '| where indicator="stopped"\n| table')
    decided = explain("spl", filtered, event, CONTEXT)
    assert decided.matched is False
    assert (decided.line, decided.column) == (2, 23)  # the arm's match(...), which failed


def test_an_eval_in_a_subsearch_stays_traced_as_the_outer_search_may_read_it():
    query = ('`sysmon` EventCode=13\n| append [search `sysmon` EventCode=1 CommandLine="*WinDefend*"\n'
             '    | eval indicator=if(match(CommandLine, "(?i)stop"), "stopped", null())]\n| where isnotnull(indicator)')
    shown = explain("spl", query, sysmon(EventID=1, Image=SC, CommandLine="sc query WinDefend"), CONTEXT)
    assert shown.matched is False and shown.line == 3  # the subsearch's match(...), read by the outer where
