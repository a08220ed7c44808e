"""Why a YARA-L rule returns an event or not: the leaf predicate that decided, at its position,
with the event's value (tooling/languages/explanation.py). Each case is a rule, one UDM event in
the shape tooling/platforms/yaral renders, and the sentence and position a reviewer must be shown.
YARA-L has no free-text search: every leaf reads a field, a placeholder, a count or an outcome."""
from __future__ import annotations

import pytest

from tooling.languages import get_language
from tooling.languages.explanation import explain

QUERY = r"""rule defender_service_stopped {
  events:
    $e.metadata.event_type = "PROCESS_LAUNCH"
    re.regex($e.target.process.file.full_path, `\\(sc|net1?)\.exe$`) nocase
    ($e.target.process.command_line = /\bstop\b/ nocase or $e.target.process.command_line = /config .* disabled/ nocase)
    re.regex($e.target.process.command_line, `WinDefend|Sense`) nocase
    not strings.contains(strings.to_lower($e.target.process.command_line), "query")
    $e.principal.user.userid != "svc_patch"
  condition:
    $e
}"""

SC = "C:\\Windows\\System32\\sc.exe"

# the texts of the leaves, as the sentences quote them
EVENT_TYPE = '`$e.metadata.event_type = "PROCESS_LAUNCH"` (line 3)'
IMAGE = "`re.regex($e.target.process.file.full_path, `\\\\(sc|net1?)\\.exe$`) nocase` (line 4)"
STOP = "`$e.target.process.command_line = /\\bstop\\b/ nocase` (line 5)"
CONFIG = "`$e.target.process.command_line = /config .* disabled/ nocase` (line 5)"
SERVICE = "`re.regex($e.target.process.command_line, `WinDefend|Sense`) nocase` (line 6)"
QUERYING = '`not strings.contains(strings.to_lower($e.target.process.command_line), "query")` (line 7)'
PATCHING = '`$e.principal.user.userid != "svc_patch"` (line 8)'


def udm(command_line: str | None = None, full_path: str | None = SC, event_type: str = "PROCESS_LAUNCH",
        user: str = "admin", **principal) -> dict:
    """A Sysmon process creation as the yaral platform renders it (UDM)."""
    process: dict = {}
    if full_path is not None:
        process["file"] = {"full_path": full_path}
    if command_line is not None:
        process["command_line"] = command_line
    return {
        "metadata": {"event_timestamp": "2026-01-01T12:00:00Z", "event_type": event_type,
                     "log_type": "WINDOWS_SYSMON", "product_event_type": "1"},
        "principal": {"hostname": "ws01.contoso.local", "user": {"userid": user}, **principal},
        "target": {"process": process},
    }


CASES = [
    # one predicate of the only branch fails: it is named, with the event's value
    (udm("sc.exe stop Spooler"), False,
     f"{SERVICE} on 'sc.exe stop Spooler' did not hold", (6, 5)),
    # a field the event lacks (UDM: its zero value, "")
    (udm("sc.exe stop WinDefend", full_path=None), False,
     f"{IMAGE} on a field absent from the event did not hold", (4, 5)),
    # the two alternatives of an `or`: either alone would have returned the event
    (udm("sc.exe start WinDefend"), False,
     f"{STOP} on 'sc.exe start WinDefend' did not hold; "
     f"{CONFIG} on 'sc.exe start WinDefend' alone would also have returned it", (5, 6)),
    # two predicates of one branch fail; the second is only reached once the first holds
    (udm("sc.exe start Spooler"), False,
     f"the closest branch needs {STOP} on 'sc.exe start Spooler' and "
     f"{SERVICE} on 'sc.exe start Spooler', which did not hold", (5, 6)),
    # a false match: the predicates whose flip would drop the event, the `or` branch that matched
    # (config ... disabled, not stop) among them
    (udm("sc.exe config WinDefend start= disabled"), True,
     f"it returned the event because {EVENT_TYPE} on 'PROCESS_LAUNCH' and {IMAGE} on {SC!r} and "
     f"{CONFIG} on 'sc.exe config WinDefend start= disabled' and "
     "`re.regex($e.target.process.command_line, `WinDefend|Sense`) nocase` (line 6) on "
     "'sc.exe config WinDefend start= disabled' and "
     "`not strings.contains(strings.to_lower($e.target.process.command_line), \"query\")` (line 7) on "
     "'sc.exe config WinDefend start= disabled' and `$e.principal.user.userid != \"svc_patch\"` (line 8) on "
     "'admin' held", (3, 5)),
    # a negated leaf decides: `not <call>` is the leaf, so "did not hold" says what happened
    (udm("sc.exe stop WinDefend & sc.exe QUERY WinDefend"), False,
     f"{QUERYING} on 'sc.exe stop WinDefend & sc.exe QUERY WinDefend' did not hold", (7, 5)),
    # `!=` is a leaf as written
    (udm("sc.exe stop WinDefend", user="svc_patch"), False,
     f"{PATCHING} on 'svc_patch' did not hold", (8, 5)),
    (udm("sc.exe stop WinDefend", event_type="PROCESS_UNCATEGORIZED"), False,
     f"{EVENT_TYPE} on 'PROCESS_UNCATEGORIZED' did not hold", (3, 5)),
]


@pytest.mark.parametrize("event, matched, sentence, position", CASES)
def test_the_deciding_predicate_is_named_with_the_event_value(event, matched, sentence, position):
    explained = explain("yaral", QUERY, event)
    assert explained is not None and explained.matched is matched
    assert explained.sentence() == sentence
    assert (explained.line, explained.column) == position


REMOTE = """rule defender_stopped_from_internet {
  events:
    $e.metadata.event_type = "PROCESS_LAUNCH"
    net.ip_in_range_cidr($e.principal.ip, "203.0.113.0/24")
  condition:
    $e
}"""
IN_RANGE = '`net.ip_in_range_cidr($e.principal.ip, "203.0.113.0/24")` (line 4)'


def test_a_repeated_field_is_shown_whole_and_flipped_for_the_event_as_a_whole():
    # the event is unnested into one copy per address; the leaf holds on the second copy only.
    # Flipped, it must fail on both copies (not hold on the first), or it would not decide.
    event = udm("sc stop WinDefend", ip=["10.1.2.3", "203.0.113.5"])
    explained = explain("yaral", REMOTE, event)
    assert explained.matched is True
    assert explained.sentence() == (f"it returned the event because {EVENT_TYPE} on 'PROCESS_LAUNCH' and "
                                    f"{IN_RANGE} on ['10.1.2.3', '203.0.113.5'] held")
    assert [(leaf.line, leaf.column) for leaf in explained.deciding] == [(3, 5), (4, 5)]

    missed = explain("yaral", REMOTE, udm("sc stop WinDefend", ip=["10.1.2.3", "10.9.9.9"]))
    assert missed.sentence() == f"{IN_RANGE} on ['10.1.2.3', '10.9.9.9'] did not hold"
    assert (missed.line, missed.column) == (4, 5)


TAMPER = """rule tamper_protection_off {
  events:
    $e.metadata.event_type = "SETTING_MODIFICATION"
    $e.target.resource.attribute.labels.key = "TamperProtection"
    $e.target.resource.attribute.labels.value = "off"
  condition:
    $e
}"""


def test_predicates_on_one_repeated_message_see_the_same_element():
    # key and value of one label go together: "off" belongs to another label, so the value test
    # failed where the key held, and flipping it there returns the event
    event = udm(event_type="SETTING_MODIFICATION")
    event["target"]["resource"] = {"attribute": {"labels": [{"key": "TamperProtection", "value": "on"},
                                                            {"key": "Verbose", "value": "off"}]}}
    explained = explain("yaral", TAMPER, event)
    assert explained.matched is False
    assert explained.sentence() == ('`$e.target.resource.attribute.labels.value = "off"` (line 5) on '
                                    "['on', 'off'] did not hold")
    assert (explained.line, explained.column) == (5, 5)


TWO_USERS = """rule two_accounts_stop_defender_on_one_host {
  events:
    $a.metadata.event_type = "PROCESS_LAUNCH"
    $a.target.process.command_line = /stop WinDefend/ nocase
    $a.principal.hostname = $host
    $b.metadata.event_type = "PROCESS_LAUNCH"
    $b.target.process.command_line = /stop WinDefend/ nocase
    $b.principal.hostname = $host
    $a.principal.user.userid != $b.principal.user.userid
  match:
    $host over 10m
  condition:
    $a and $b
}"""


def test_a_join_between_two_event_variables_decides():
    # one event fed alone is both $a and $b; the join needs two accounts
    explained = explain("yaral", TWO_USERS, udm("sc stop WinDefend"))
    assert explained.matched is False
    assert explained.sentence() == "`$a.principal.user.userid != $b.principal.user.userid` (line 9) on 'admin' did not hold"
    assert (explained.line, explained.column) == (9, 5)


def test_a_match_variable_without_a_value_drops_the_event_at_its_binding():
    # zero values of match variables are filtered out (no allow_zero_values): the binding of $host
    # for each event variable is a leaf; the event also fails the join, so neither flip decides
    event = udm("sc stop WinDefend")
    del event["principal"]["hostname"]
    explained = explain("yaral", TWO_USERS, event)
    assert explained.matched is False and explained.deciding == []
    assert explained.sentence() == (
        "no single predicate decides; these did not hold: "
        "`$a.principal.hostname = $host` (line 5) on the match variable $host's field absent from the event; "
        "`$b.principal.hostname = $host` (line 8) on the match variable $host's field absent from the event")


SERVICE_THEN_STOP = r"""rule service_created_then_defender_stopped {
  events:
    $svc.metadata.event_type = "SERVICE_CREATION"
    $svc.principal.hostname = $host
    $svc.principal.user.userid = $user
    $stop.metadata.event_type = "PROCESS_LAUNCH"
    $stop.target.process.command_line = /stop WinDefend/ nocase
    $stop.principal.hostname = $host
    $stop.target.user.userid = $user
  match:
    $host over 10m
  outcome:
    $risk = max(if($stop.target.process.command_line = /sc(\.exe)? /, 80, 40))
  condition:
    $svc and $stop and $risk > 50
}"""
SERVICE_CREATION = '`$svc.metadata.event_type = "SERVICE_CREATION"` (line 3)'


def stop_by(command_line: str, target_user: str | None) -> dict:
    event = udm(command_line)
    if target_user is not None:
        event["target"]["user"] = {"userid": target_user}
    return event


@pytest.mark.parametrize("event, sentence", [
    # one event fed to a two-variable rule: the first predicate the other variable fails
    (stop_by("sc stop WinDefend", "admin"), f"{SERVICE_CREATION} on 'PROCESS_LAUNCH' did not hold"),
    # ... and the placeholder that joins the two variables ($user), on the value $stop binds
    (stop_by("sc stop WinDefend", None),
     f"the closest branch needs {SERVICE_CREATION} on 'PROCESS_LAUNCH' and "
     "`$stop.target.user.userid = $user` (line 9) on a field absent from the event, which did not hold"),
    # ... and the test inside the outcome the condition's threshold reads
    (stop_by("net stop WinDefend", "admin"),
     f"the closest branch needs {SERVICE_CREATION} on 'PROCESS_LAUNCH' and "
     "`$stop.target.process.command_line = /sc(\\.exe)? /` (line 13) on 'net stop WinDefend', which did not hold"),
])
def test_a_multi_event_rule_fed_one_event(event, sentence):
    explained = explain("yaral", SERVICE_THEN_STOP, event)
    assert explained.matched is False
    assert explained.sentence() == sentence
    assert (explained.line, explained.column) == (3, 5)


REPEATED = """rule defender_stopped_repeatedly {
  events:
    $e.metadata.event_type = "PROCESS_LAUNCH"
    $e.target.process.command_line = /stop WinDefend/ nocase
    $e.principal.hostname = $host
  match:
    $host over 1h
  outcome:
    $stops = count($e.metadata.event_type)
  condition:
    #e > 2 or $stops > 5
}"""


def test_a_count_threshold_in_the_condition_decides_with_the_count():
    explained = explain("yaral", REPEATED, udm("sc stop WinDefend"))
    assert explained.matched is False
    assert explained.sentence() == ("`#e > 2` (line 11) on the count 1 did not hold; "
                                    "`$stops > 5` (line 11) on the outcome 1 alone would also have returned it")
    assert (explained.line, explained.column) == (11, 5)


def test_a_match_names_the_count_and_match_variable_it_needed():
    # a count, outcome or match variable is what the rule looks for, not where it looks (as a
    # table or time window is): a match names it among the reasons, and coverage asks proof of it
    rule = REPEATED.replace("#e > 2 or $stops > 5", "#e > 0 and $stops < 5")
    explained = explain("yaral", rule, udm("sc stop WinDefend"))
    assert explained.matched is True
    assert explained.sentence().endswith(
        "`$e.principal.hostname = $host` (line 5) on the match variable $host's value 'ws01.contoso.local' "
        "and `#e > 0` (line 11) on the count 1 held")
    assert [(leaf.line, leaf.scope) for leaf in explained.deciding] == [(3, False), (4, False), (5, False), (11, False)]


def test_a_rule_that_cannot_be_evaluated_has_no_explanation():
    rule = 'rule x {\n  events:\n    $e.metadata.event_type in %undeclared_list\n  condition:\n    $e\n}'
    assert explain("yaral", rule, udm("x")) is None


def test_probing_leaves_the_verdict_unchanged_outside_an_explanation():
    language = get_language("yaral")
    events = [udm("sc.exe config WinDefend start= disabled"), udm("sc.exe start Spooler"),
              udm("sc stop WinDefend", ip=["10.1.2.3", "203.0.113.5"])]
    for event in events:
        explain("yaral", QUERY, event)
        explain("yaral", REMOTE, event)
    assert language.evaluate(QUERY, events).matched == [0, 2]
    assert language.evaluate(REMOTE, events).matched == [2]
