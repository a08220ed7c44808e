"""Why a LogScale (CQL) query returns an event or not: the leaf predicate that decided, at its
position, with the event's value (tooling/languages/explanation.py). Each case is a query, one
Falcon event as tooling/platforms/logscale renders it (tags with `#`, @rawstring the JSON of the
fields), and the sentence and position a reviewer must be shown."""
from __future__ import annotations

import json

import pytest

from tests.languages.support import assert_label_decides_only_when_read
from tooling.languages.explanation import explain

QUERY = r"""#event_simpleName=ProcessRollup2 event_platform=Win
| case {
    FileName=/^sc\.exe$/i CommandLine=/\bstop\b/i CommandLine=/(WinDefend|Sense)/i
      | Indicator := "service_stop" ;
    FileName="net.exe" CommandLine=*stop*
      | Indicator := "net_stop" ;
  }
| CommandLine!=/\bquery\b/i
| !in(field="ParentBaseFileName", values=["services.exe", "TiWorker.exe"], ignoreCase=true)"""


def process(event_simpleName="ProcessRollup2", **fields):  # noqa: N803 - Falcon's field name
    """A Falcon process event: the tag, the fields, and @rawstring as the sensor's JSON."""
    body = {"event_platform": "Win", "ComputerName": "WS01", "ParentBaseFileName": "cmd.exe", **fields}
    raw = json.dumps({"event_simpleName": event_simpleName, **body})
    return {"#event_simpleName": event_simpleName, **body, "@rawstring": raw}


CASES = [
    # one predicate of the first branch fails, with the event's value; the second branch's first
    # predicate is the other way to a match (its `*stop*` holds on this command line)
    (process(FileName="sc.exe", CommandLine="sc stop wscsvc"), False,
     "`CommandLine=/(WinDefend|Sense)/i` (line 3) on 'sc stop wscsvc' did not hold; "
     "`FileName=\"net.exe\"` (line 5) on 'sc.exe' alone would also have returned it", (3, 51)),
    # a field the event lacks: the comparison fails (unless it is !=), in either branch
    (process(CommandLine="sc stop WinDefend"), False,
     "`FileName=/^sc\\.exe$/i` (line 3) on a field absent from the event did not hold; "
     "`FileName=\"net.exe\"` (line 5) on a field absent from the event alone would also have returned it", (3, 5)),
    # two predicates of one branch fail; the second is only reached once the first holds
    (process(FileName="sc.exe", CommandLine="sc start wscsvc"), False,
     "the closest branch needs `CommandLine=/\\bstop\\b/i` (line 3) on 'sc start wscsvc' and "
     "`CommandLine=/(WinDefend|Sense)/i` (line 3) on 'sc start wscsvc', which did not hold", (3, 27)),
    # a false match names the branch that returned it (the second); the tag filter, which only
    # selects the event type, is not blamed
    (process(FileName="net.exe", CommandLine="net stop WinDefend"), True,
     "it returned the event because `event_platform=Win` (line 1) on 'Win' and "
     "`FileName=\"net.exe\"` (line 5) on 'net.exe' and `CommandLine=*stop*` (line 5) on 'net stop WinDefend' "
     "and `CommandLine!=/\\bquery\\b/i` (line 8) on 'net stop WinDefend' and "
     "`!in(field=\"ParentBaseFileName\", values=[\"services.exe\", \"TiWorker.exe\"], ignoreCase=true)` (line 9) "
     "on 'cmd.exe' held", (1, 34)),
    # a negated comparison decides: recorded as written, with its !=
    (process(FileName="sc.exe", CommandLine="sc stop WinDefend & sc query WinDefend"), False,
     "`CommandLine!=/\\bquery\\b/i` (line 8) on 'sc stop WinDefend & sc query WinDefend' did not hold", (8, 3)),
    # a negated filter function decides: the span takes in its `!`
    (process(FileName="sc.exe", CommandLine="sc stop WinDefend", ParentBaseFileName="services.exe"), False,
     "`!in(field=\"ParentBaseFileName\", values=[\"services.exe\", \"TiWorker.exe\"], ignoreCase=true)` (line 9) "
     "on 'services.exe' did not hold", (9, 3)),
    # an event of another type: the tag filter, on the event's tag
    (process(event_simpleName="SyntheticProcessRollup2", FileName="sc.exe", CommandLine="sc stop WinDefend"), False,
     "`#event_simpleName=ProcessRollup2` (line 1) on the tag 'SyntheticProcessRollup2' did not hold", (1, 1)),
]


@pytest.mark.parametrize("event, matched, sentence, position", CASES)
def test_the_deciding_predicate_is_named_with_the_event_value(event, matched, sentence, position):
    explained = explain("logscale", QUERY, event)
    assert explained is not None and explained.matched is matched
    assert explained.sentence() == sentence
    assert (explained.line, explained.column) == position


FREE_TEXT = r"""#event_simpleName=ProcessRollup2 "Set-MpPreference"
| /-Disable(RealtimeMonitoring|BehaviorMonitoring)\s+(1|\$true)/i
| not (CommandLine=/\$false/i)"""


@pytest.mark.parametrize("command_line, sentence, position", [
    # a free-text term searches @rawstring: no one field's value is shown
    ("powershell Add-MpPreference -DisableRealtimeMonitoring 1",
     "`\"Set-MpPreference\"` (line 1) did not hold", (1, 34)),
    # a bare regex is free text too
    ("powershell Set-MpPreference -DisableRealtimeMonitoring 0",
     "`/-Disable(RealtimeMonitoring|BehaviorMonitoring)\\s+(1|\\$true)/i` (line 2) did not hold", (2, 3)),
    # `not (x)` is one negated leaf, its span up to the bracket the parse tree drops
    ("powershell Set-MpPreference -DisableRealtimeMonitoring 1 -DisableIOAVProtection $false",
     "`not (CommandLine=/\\$false/i)` (line 3) on "
     "'powershell Set-MpPreference -DisableRealtimeMonitoring 1 -DisableIOAVProtection $false' did not hold", (3, 3)),
])
def test_free_text_and_negated_leaves(command_line, sentence, position):
    explained = explain("logscale", FREE_TEXT, process(FileName="powershell.exe", CommandLine=command_line))
    assert explained is not None and explained.matched is False
    assert explained.sentence() == sentence
    assert (explained.line, explained.column) == position


MATCH = r"""#event_simpleName=ProcessRollup2
| FileName match {
    /^(sc|net1?)\.exe$/i => CommandLine=/\bstop\b/i ;
    "powershell.exe" => regex("Set-MpPreference\s+-Disable", field=CommandLine, flags=i) ;
    in(values=["taskkill.exe", "tskill.exe"], ignoreCase=true) => test(length(CommandLine) > 20) ;
  }"""


@pytest.mark.parametrize("event, sentence, position", [
    # a match guard is a leaf on the statement's field; the in() guard's branch would also match
    (process(FileName="cmd.exe", CommandLine="cmd /c sc stop WinDefend"),
     "`/^(sc|net1?)\\.exe$/i` (line 3) on 'cmd.exe' did not hold; "
     "`in(values=[\"taskkill.exe\", \"tskill.exe\"], ignoreCase=true)` (line 5) on 'cmd.exe' "
     "alone would also have returned it", (3, 5)),
    # regex() without named groups filters: a leaf on its field=
    (process(FileName="powershell.exe", CommandLine="powershell Get-MpPreference"),
     "`regex(\"Set-MpPreference\\s+-Disable\", field=CommandLine, flags=i)` (line 4) on "
     "'powershell Get-MpPreference' did not hold", (4, 25)),
    # test() reading one field shows that field's value
    (process(FileName="taskkill.exe", CommandLine="taskkill /im x"),
     "`test(length(CommandLine) > 20)` (line 5) on 'taskkill /im x' did not hold", (5, 67)),
])
def test_match_guards_and_filter_functions(event, sentence, position):
    explained = explain("logscale", MATCH, event)
    assert explained is not None and explained.matched is False
    assert explained.sentence() == sentence
    assert (explained.line, explained.column) == position


def test_a_regex_with_named_groups_that_fails_pairs_with_the_filter_on_its_group():
    query = "#event_simpleName=ProcessRollup2 CommandLine=/sc\\s+stop\\s+(?<Service>\\S+)/i\n| Service=WinDefend"
    explained = explain("logscale", query, process(FileName="sc.exe", CommandLine="sc start WinDefend"))
    # flipped to a match, the regex captures nothing: Service is absent, so that filter fails too
    assert explained.sentence() == (
        "the closest branch needs `CommandLine=/sc\\s+stop\\s+(?<Service>\\S+)/i` (line 1) on 'sc start WinDefend' "
        "and `Service=WinDefend` (line 2) on a field absent from the event, which did not hold")
    assert (explained.line, explained.column) == (1, 34)


def test_numeric_comparison_shows_the_value_as_logscale_reads_it():
    query = ("#event_simpleName=RegGenericValueUpdate RegValueName=/^DisableAntiSpyware$/i RegNumericValue>0\n"
             "| table([ComputerName, RegObjectName])")
    event = {"#event_simpleName": "RegGenericValueUpdate", "event_platform": "Win", "ComputerName": "WS01",
             "RegObjectName": "\\REGISTRY\\MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender",
             "RegValueName": "DisableAntiSpyware", "RegNumericValue": 0}
    explained = explain("logscale", query, event)
    # values have no type in LogScale: the JSON number 0 is the text '0'
    assert explained.sentence() == "`RegNumericValue>0` (line 1) on '0' did not hold"
    assert (explained.line, explained.column) == (1, 78)


def test_a_query_that_cannot_be_evaluated_has_no_explanation():
    assert explain("logscale", "#event_simpleName=ProcessRollup2 | $saved_search()", process()) is None


def test_probing_leaves_the_verdict_unchanged_outside_an_explanation():
    from tooling.languages import get_language

    matched = process(FileName="sc.exe", CommandLine="sc stop WinDefend")
    missed = process(FileName="sc.exe", CommandLine="sc start WinDefend")
    assert explain("logscale", QUERY, matched).matched and not explain("logscale", QUERY, missed).matched
    assert get_language("logscale").evaluate(QUERY, [matched, missed]).matched == [0]
    named = "#event_simpleName=ProcessRollup2 CommandLine=/sc\\s+stop\\s+(?<Service>\\S+)/i\n| Service=WinDefend"
    explain("logscale", named, missed)
    assert get_language("logscale").evaluate(named, [matched, missed]).matched == [0]


LABELLED = r'''#event_simpleName=ProcessRollup2 CommandLine=/\bstop\b/i
| case {
    in(field="FileName", values=["sc.exe"], ignoreCase=true) | Tool := "sc" ;
    * | Tool := "other" ;
  }
| table([@timestamp, ComputerName, Tool, CommandLine], sortby=@timestamp, order=desc)'''


def test_a_case_that_only_names_what_the_results_show_decides_nothing():
    # the `*` branch keeps every event and only `table` reads `Tool`: the in() condition is no
    # predicate (coverage asks no sample to prove it); read by a filter, the same condition decides
    event = process(FileName="sc.exe", CommandLine="sc stop WinDefend")
    filtered = LABELLED.replace("| table", '| Tool="other"\n| table')
    assert_label_decides_only_when_read("logscale", LABELLED, filtered, event, 3, (3, 5))  # the in(), which held


def test_a_case_without_a_branch_that_keeps_every_event_is_a_filter():
    query = LABELLED.replace('    * | Tool := "other" ;\n', "")
    decided = explain("logscale", query, process(FileName="net.exe", CommandLine="net stop WinDefend"))
    assert decided.matched is False
    assert decided.sentence() == ('`in(field="FileName", values=["sc.exe"], ignoreCase=true)` (line 3) '
                                  "on 'net.exe' did not hold")


@pytest.mark.parametrize("later, label", [
    ("| select([Tool, CommandLine])", True),
    ("| table([Tool], sortby=@timestamp)", True),
    ("| Tool=\"sc\"", False),
    ("| table([Tool], sortby=Tool)", False),  # the sort key chooses the events kept
    ("| sort(Tool)", False),
    ("| groupBy([Tool])", False),
    ("| rename(field=\"Tool\", as=Label)", False),
    ("| in(field=\"tool\", values=[\"sc\"])", False),  # read in any case
])
def test_which_later_stages_read_a_field_the_case_sets(later, label):
    from tooling.languages import get_language
    from tooling.languages.logscale.labels import label_stages

    query = f"{LABELLED.rsplit(chr(10), 1)[0]}\n{later}"
    pipeline = get_language("logscale").parse(query).tree.children[0]
    case = next(stage for stage in pipeline.children if stage.children[0].data == "case_stmt")
    assert (id(case) in label_stages(pipeline)) is label
