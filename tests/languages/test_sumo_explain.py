"""Why a Sumo Logic query returns an event or not: the leaf predicate that decided, at its
position, with the event's value (tooling/languages/explanation.py, tooling/languages/sumo/leaves.py).

The events are Sysmon process creations as Sumo Logic's Windows Event Log source delivers them
in JSON (`_raw`, `_sourceCategory` ...: tooling/platforms/sumo). The leaves are the scope's
terms (metadata `field=value`, keywords and phrases, their negations), the `where` comparisons
and predicate functions, and a parse / json stage without `nodrop` (it drops a message its
pattern does not find). A negation over one leaf (`!x`, `NOT x`, `!=`, `not matches`) is one
negative leaf, so the sentence quotes what held or did not.
"""
from __future__ import annotations

import pytest

from tests.languages.support import assert_label_decides_only_when_read
from tooling.languages import get_language
from tooling.languages.explanation import explain, shown_value
from tooling.platforms import render
from tooling.platforms.sumo.transforms import windows_json

# A realistic detection: sc.exe stopping or disabling a Defender service, except from the
# configuration manager. `!` / `NOT` forms, a parse that filters, an `in` list, an `or`.
QUERY = r'''_sourceCategory=windows/sysmon "sc.exe" !"query"
| json field=_raw "EventID", "EventData.Image", "EventData.CommandLine", "EventData.ParentImage" as event_id, image, command_line, parent_image nodrop
| parse regex field=command_line "(?i)\s(?:stop|config)\s+(?<service>\w+)"
| where event_id = "1" and image matches "*\\sc.exe"
| where service in ("WinDefend", "Sense", "WdNisSvc")
    and (command_line matches "* stop *" or command_line matches /(?i).*start=\s*disabled.*/)
| where !(parent_image matches "*\\CcmExec.exe")
| fields _messagetime, _sourceHost, image, command_line, service'''

SC = "C:\\Windows\\System32\\sc.exe"
CMD = "C:\\Windows\\System32\\cmd.exe"
SYSMON = {"product": "windows", "service": "sysmon"}

# the leaves' texts as the sentences quote them (the query's own text)
IN_LIST = '`service in ("WinDefend", "Sense", "WdNisSvc")` (line 5)'
STOP = '`command_line matches "* stop *"` (line 6)'
DISABLED = r'`command_line matches /(?i).*start=\s*disabled.*/` (line 6)'
IMAGE = r'`image matches "*\\sc.exe"` (line 4)'
PARSE = r'`parse regex field=command_line "(?i)\s(?:stop|config)\s+(?<service>\w+)"` (line 3)'


def sysmon(command_line: str | None = None, image: str | None = SC, parent: str = CMD, **metadata) -> dict:
    """One Sysmon event 1 in Sumo Logic's shape; a None field is absent from the event's EventData."""
    sample = {"EventID": 1, "Image": image, "CommandLine": command_line, "ParentImage": parent,
              "User": "CONTOSO\\admin"}
    event = render("sumo", {k: v if v is not None else "-" for k, v in sample.items()}, SYSMON).event
    event["_raw"] = windows_json({k: v for k, v in sample.items() if v is not None})
    return {**event, **metadata}


CASES = [
    # one predicate of the only branch fails: it is named, with the event's value
    ("sc.exe stop WSearch", sysmon("sc.exe stop WSearch"), False,
     f"{IN_LIST} on 'WSearch' did not hold", (5, 9)),
    # a field the event lacks (no EventData.Image: the json stage, nodrop, leaves it null)
    ("absent Image", sysmon("sc.exe stop WinDefend", image=None), False,
     f"{IMAGE} on a field absent from the event did not hold", (4, 28)),
    # two alternatives of one `or`: either alone would have returned the event
    ("neither alternative", sysmon("sc.exe config WinDefend start= demand"), False,
     f"{STOP} on 'sc.exe config WinDefend start= demand' did not hold; "
     f"{DISABLED} on 'sc.exe config WinDefend start= demand' alone would also have returned it", (6, 10)),
    # two predicates of one branch fail; the second is only reached once the first holds
    ("two of one branch", sysmon("sc.exe config WSearch start= demand"), False,
     f"the closest branch needs {IN_LIST} on 'WSearch' and "
     f"{STOP} on 'sc.exe config WSearch start= demand', which did not hold", (5, 9)),
    # a free-text phrase and a field comparison, both failing (net.exe is not sc.exe)
    ("phrase and image", sysmon("net.exe stop WinDefend", image="C:\\Windows\\System32\\net.exe"), False,
     f"the closest branch needs `\"sc.exe\"` (line 1) and {IMAGE} on "
     r"'C:\\Windows\\System32\\net.exe', which did not hold", (1, 32)),
    # a negated leaf decides: the excluded parent is named with its value
    ("excluded parent", sysmon("sc.exe stop WinDefend", parent="C:\\Windows\\CCM\\CcmExec.exe"), False,
     r'`!(parent_image matches "*\\CcmExec.exe")` (line 7) on ' r"'C:\\Windows\\CCM\\CcmExec.exe' did not hold",
     (7, 9)),
    # a negated free-text phrase decides
    ("query in the message", sysmon("sc.exe stop WinDefend & sc.exe query WinDefend"), False,
     '`!"query"` (line 1) did not hold', (1, 41)),
    # the metadata term that selects the source, with the event's source category
    ("other source category", sysmon("sc.exe stop WinDefend", _sourceCategory="windows/security"), False,
     "`_sourceCategory=windows/sysmon` (line 1) on the event's source category 'windows/security' did not hold",
     (1, 1)),
    # the parse stage finds no service in a quoted name: it drops the message, and the field
    # it would have made is then absent from the `in` test
    ("parse finds no service", sysmon('sc.exe stop "WinDefend"'), False,
     f"the closest branch needs {PARSE} on 'sc.exe stop \"WinDefend\"' and "
     f"{IN_LIST} on a field absent from the event, which did not hold", (3, 3)),
    # a false match: the predicates whose flip would drop the event, in query order; the source
    # category selects where to look, not what matched, and is not among them
    ("match", sysmon("sc.exe stop WinDefend"), True,
     f"it returned the event because `\"sc.exe\"` (line 1) and `!\"query\"` (line 1) and "
     f"{PARSE} on 'sc.exe stop WinDefend' and `event_id = \"1\"` (line 4) on '1' and "
     "`image matches \"*\\\\sc.exe\"` (line 4) on 'C:\\\\Windows\\\\System32\\\\sc.exe' and "
     "`service in (\"WinDefend\", \"Sense\", \"WdNisSvc\")` (line 5) on 'WinDefend' held (and 2 more)", (1, 32)),
]


@pytest.mark.parametrize("event, matched, sentence, position", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_deciding_predicate_is_named_with_the_event_value(event, matched, sentence, position):
    explained = explain("sumo", QUERY, event)
    assert explained is not None and explained.matched is matched
    assert explained.sentence() == sentence
    assert (explained.line, explained.column) == position


def test_a_false_match_names_the_branch_that_matched_and_not_the_other():
    # `start= disabled` matched through the second alternative of the `or`: it is among the
    # deciding leaves, the `* stop *` alternative (which did not hold) is not
    explained = explain("sumo", QUERY, sysmon("sc.exe config WinDefend start= disabled"))
    assert explained.matched is True
    assert [(leaf.line, leaf.column) for leaf in explained.deciding] == [
        (1, 32), (1, 41), (3, 3), (4, 9), (4, 28), (5, 9), (6, 45), (7, 9)]
    assert [(leaf.line, leaf.column) for leaf in explained.failed] == [(6, 10)]


def test_a_json_stage_without_nodrop_is_a_leaf_with_the_message():
    query = ('_sourceCategory=windows/sysmon\n'
             '| json field=_raw "EventData.TargetObject" as target_object\n'
             '| where target_object matches "*\\\\Windows Defender\\\\*"')
    event = sysmon("sc.exe stop WinDefend")  # a process creation: no TargetObject
    explained = explain("sumo", query, event)
    assert explained.matched is False
    # the stage finds no TargetObject and drops the message; kept, its field would be null and
    # the `where` would drop it: both decide together
    assert explained.sentence() == ('the closest branch needs `json field=_raw "EventData.TargetObject" as '
                                    f"target_object` (line 2) on {shown_value(event['_raw'])} and "
                                    r'`target_object matches "*\\Windows Defender\\*"` (line 3) on a field absent '
                                    'from the event, which did not hold')
    assert (explained.line, explained.column) == (2, 3)


def test_not_keyword_negations_and_predicate_functions_are_one_negative_leaf():
    query = ('_sourceCategory=windows/sysmon NOT "query"\n'
             '| json field=_raw "EventData.CommandLine", "EventData.User" as command_line, user nodrop\n'
             '| where !isNull(command_line) and not (user = "NT AUTHORITY\\\\SYSTEM")')
    explained = explain("sumo", query, sysmon(None))
    assert explained.sentence() == "`!isNull(command_line)` (line 3) on a field absent from the event did not hold"
    assert (explained.line, explained.column) == (3, 9)
    system = sysmon("sc.exe stop WinDefend")
    system["_raw"] = system["_raw"].replace("CONTOSO\\\\admin", "NT AUTHORITY\\\\SYSTEM")
    explained = explain("sumo", query, system)
    assert explained.sentence() == ('`not (user = "NT AUTHORITY\\\\SYSTEM")` (line 3) on '
                                    "'NT AUTHORITY\\\\SYSTEM' did not hold")
    assert (explained.line, explained.column) == (3, 35)
    explained = explain("sumo", query, sysmon("sc.exe query WinDefend"))
    assert explained.sentence() == '`NOT "query"` (line 1) did not hold'
    assert (explained.line, explained.column) == (1, 32)


def test_if_conditions_fields_read_as_conditions_and_negative_comparisons_are_leaves():
    query = ('_sourceCategory=windows/sysmon\n'
             '| json field=_raw "EventData.CommandLine" as command_line nodrop\n'
             '| if(command_line matches "* stop *", "true", "false") as stopping\n'
             '| where stopping and command_line != "sc.exe stop WSearch"')
    # the if() condition failed, so `stopping` is "false": flipping either returns the event
    explained = explain("sumo", query, sysmon("sc.exe start WinDefend"))
    assert explained.sentence() == ("`command_line matches \"* stop *\"` (line 3) on 'sc.exe start WinDefend' did not "
                                    "hold; `stopping` (line 4) on 'false' alone would also have returned it")
    assert (explained.line, explained.column) == (3, 6)
    explained = explain("sumo", query, sysmon("sc.exe stop WSearch"))
    assert explained.sentence() == "`command_line != \"sc.exe stop WSearch\"` (line 4) on 'sc.exe stop WSearch' did not hold"
    assert (explained.line, explained.column) == (4, 22)


def test_a_query_that_cannot_be_evaluated_has_no_explanation():
    assert explain("sumo", "_sourceCategory=x | where x = {{value}}", sysmon("sc.exe stop WinDefend")) is None


def test_probing_leaves_the_verdict_unchanged_outside_an_explanation():
    events = [sysmon("sc.exe stop WinDefend"), sysmon("sc.exe stop WSearch"), sysmon('sc.exe stop "WinDefend"'),
              sysmon("sc.exe stop WinDefend", parent="C:\\Windows\\CCM\\CcmExec.exe")]
    sumo = get_language("sumo")
    before = sumo.evaluate(QUERY, events).matched
    for event in events:
        explain("sumo", QUERY, event)
    assert before == [0]
    assert sumo.evaluate(QUERY, events).matched == [0]


LABELLED = r'''_sourceCategory=windows/sysmon "sc.exe"
| json field=_raw "EventID", "EventData.CommandLine", "EventData.User" as event_id, command_line, user nodrop
| if(isBlank(user), "unknown", user) as account
| where event_id = "1" and command_line matches "* stop *"
| fields _messagetime, command_line, account
| sort by _messagetime desc'''


def test_a_field_expression_that_only_names_what_the_results_show_decides_nothing():
    # no later operator but fields and sort reads `account`: its if() condition is no predicate
    # (coverage asks no sample to prove it); read by a `where`, the same condition decides
    event = sysmon("sc.exe stop WinDefend")
    filtered = LABELLED.replace("| fields", '| where account = "unknown"\n| fields')
    # at isBlank(user), which did not hold
    assert_label_decides_only_when_read("sumo", LABELLED, filtered, event, 3, (3, 6))


@pytest.mark.parametrize("later, label", [
    ("| fields account", True),
    ("| sort by account", True),
    ("| where account = \"x\"", False),
    ("| toLowerCase(account) as shown | where shown = \"x\"", False),  # a later expression reads it
    ("| fields - account", False),
    ("| sort by account | limit 1", False),  # the sort key chooses the row kept
    ("| count by account", False),
    ("| where %\"ACCOUNT\" = \"x\"", False),  # field names are case-insensitive
])
def test_which_later_operators_read_an_assigned_field(later, label):
    from lark import Tree

    from tooling.languages.sumo.labels import read_later
    from tooling.languages.sumo.tree import STAGES

    query = f"{LABELLED.split(chr(10) + '| fields')[0]}\n{later}"
    tree = get_language("sumo").parse(query).tree
    stages = [c for c in tree.children if isinstance(c, Tree) and c.data in STAGES]
    position = next(i for i, stage in enumerate(stages) if stage.data == "eval_cmd")
    assert read_later(stages[position], stages[position + 1:]) is not label
