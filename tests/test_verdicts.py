"""`dac test` and the verdict checks: samples rendered per platform, queries evaluated, verdicts
compared with the tests' expectations, and diagnostics at the right places.

The plumbing is tested here with a small test-double language whose verdicts are scripted (a
query text names the sample indexes it returns), so a verdict, a disagreement or a construct not
evaluated can be produced on purpose; the real evaluators have their own tests in tests/languages/.
"""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from tooling.checks.verdicts import SIGMA, package_verdicts
from tooling.diagnostics import Severity
from tooling.languages import _loaded
from tooling.languages.base import Language
from tooling.languages.evaluation import Evaluation, NotEvaluated
from tooling.languages.explanation import predicate
from tooling.package import load_package
from tooling.platforms import classify, render
from tooling.platforms.local import load_local
from tooling.testing import run_tests
from tooling.validate import validate

FIXTURES = Path(__file__).parent / "fixtures"
BASE = (FIXTURES / "base.yml").read_text(encoding="utf-8")
KQL_LINE = BASE.splitlines().index("  kql: |") + 2  # the query's first line in base.yml


class Scripted(Language):
    """Returns every event whose `ProcessCommandLine` contains the query's text, as one leaf
    predicate (`ProcessCommandLine has "..."`, on the query's second line at column 9);
    `not evaluated` in a query raises NotEvaluated at line 1, column 5 (as an evaluator names a
    construct)."""

    def _compile(self, tree, text):
        if "not evaluated" in text:
            raise NotEvaluated("the scripted construct", 1, 5)
        needle = text.split("has")[-1].strip().strip('"')

        start = text.find("ProcessCommandLine has")
        leaf = SimpleNamespace(line=2, column=9, start_pos=start, end_pos=len(text.rstrip()))

        def run(events, deadline, context):
            return Evaluation(True, [i for i, e in enumerate(events)
                                     if predicate(leaf, e.get("ProcessCommandLine"),
                                                  needle in e.get("ProcessCommandLine", ""))])
        return run

    def parse(self, text):
        from tooling.languages.base import ParseResult

        return ParseResult(True, [], tree=None)


@pytest.fixture
def scripted_kql(monkeypatch):
    monkeypatch.setitem(_loaded, "kql", Scripted("kql", "KQL"))


def _package(tmp_path: Path, kql: str) -> Path:
    text = BASE.replace('    | where FileName =~ "sc.exe" and ProcessCommandLine has "stop"\n', f"    | {kql}\n")
    target = tmp_path / "detections" / "T1562" / "T1562.001.yml"
    target.parent.mkdir(parents=True)
    target.write_text(text, encoding="utf-8")
    return target


def _codes(report, code):
    return [(d.code, d.line, d.column) for d in report.diagnostics if d.code == code]


def test_an_agreeing_query_gives_agreeing_verdicts_and_no_diagnostic(tmp_path, scripted_kql):
    report = run_tests([_package(tmp_path, 'where ProcessCommandLine has "stop"')], ["kql"], drift=False)
    kql = [(r.sample, r.verdict) for r in report.results if r.language == "kql"]
    assert kql == [("match[0]", True), ("no_match[0]", False)]
    assert [(r.sample, r.verdict) for r in report.results if r.language == SIGMA] == kql  # base's Sigma agrees
    assert not report.disagreements and not report.failed()
    assert not [d for d in report.diagnostics if d.code.startswith("DAC51")]


def test_a_missed_match_is_dac510_at_the_predicate_that_failed(tmp_path, scripted_kql):
    report = run_tests([_package(tmp_path, 'where ProcessCommandLine has "halt"')], ["kql"])
    assert _codes(report, "DAC510") == [("DAC510", KQL_LINE + 1, 13)]  # query column 9 + indent 4
    message = report.diagnostics[0].message
    assert "match[0]" in message and report.failed()
    assert "`ProcessCommandLine has \"halt\"` (line 2) on 'sc stop WinDefend' did not hold" in message
    assert [(r.sample, r.verdict, r.agrees) for r in report.disagreements] == [("match[0]", False, False)]


def test_a_near_miss_that_fires_is_dac511_at_the_branch_that_matched(tmp_path, scripted_kql):
    report = run_tests([_package(tmp_path, 'where ProcessCommandLine has "WinDefend"')], ["kql"])
    assert _codes(report, "DAC511") == [("DAC511", KQL_LINE + 1, 13)]
    message = next(d.message for d in report.diagnostics if d.code == "DAC511")
    assert "it returned the event because `ProcessCommandLine has \"WinDefend\"` (line 2) on" in message


def test_a_construct_not_evaluated_is_a_dac512_note_at_the_construct(tmp_path, scripted_kql):
    report = run_tests([_package(tmp_path, "not evaluated")], ["kql"])
    assert _codes(report, "DAC512") == [("DAC512", KQL_LINE, 9)]  # query line 1, column 5 -> +4 indent
    assert "the scripted construct" in report.diagnostics[0].message
    assert [r.verdict for r in report.results if r.language == "kql"] == [None, None]
    assert not report.failed()  # a note, not a failure


def test_json_output_has_one_object_with_results_and_diagnostics(tmp_path, run_dac):
    target = _package(tmp_path, 'where ProcessCommandLine has "stop"')
    result = run_dac("test", str(target), "--lang", "spl", "--format", "json", cwd=tmp_path)
    data = json.loads(result.stdout)
    assert set(data) == {"results", "diagnostics"}
    assert {r["language"] for r in data["results"]} == {"sigma", "spl"}
    assert set(data["results"][0]) == {"package", "language", "test", "sample", "expected", "verdict", "reason"}
    assert data["results"][0]["sample"] == "match[0]" and data["results"][0]["package"] == "T1562.001"


def test_an_unknown_kind_of_sample_is_one_dac513_at_the_sample():
    fixture = FIXTURES / "DAC513" / "detections" / "T1562" / "T1562.001.yml"
    lines = fixture.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "{Foo: bar}" in text)
    column = lines[line - 1].index("{") + 1  # the sample's mapping
    report = run_tests([FIXTURES / "DAC513" / "detections"])
    assert _codes(report, "DAC513") == [("DAC513", line, column)]
    assert "Foo" in report.diagnostics[0].message


def test_invalid_platform_additions_are_dac124_at_the_value():
    report = validate([FIXTURES / "DAC124" / "detections"], jobs=1)
    found = [(d.code, Path(d.path).name, d.line, d.column) for d in report.diagnostics if d.code == "DAC124"]
    assert found == [("DAC124", "platforms.yml", 4, 13)]
    assert report.failed()


def test_declared_macros_reach_the_evaluation_context(tmp_path):
    (tmp_path / "platforms.yml").write_text("spl:\n  macros:\n    sysmon: (index=main)\n", encoding="utf-8")
    local = load_local(tmp_path / "platforms.yml")
    assert local.diagnostics == []
    assert local.context("spl").macros == {"sysmon": "(index=main)"}
    assert local.context("kql").macros == {}


@pytest.mark.parametrize("sample, kind", [
    ({"EventID": 1, "Image": "C:\\Windows\\System32\\sc.exe", "CommandLine": "sc stop x"}, "windows_process_creation"),
    ({"EventID": 4688, "CommandLine": "sc stop x"}, "windows_security_process_creation"),
    ({"EventID": 1, "Image": "/usr/bin/bash", "CommandLine": "bash -c x"}, "linux_process_creation"),
    ({"EventID": 13, "TargetObject": "HKLM\\x", "Details": "DWORD (0x00000001)"}, "windows_registry"),
    ({"EventID": 15, "Provider_Name": "SecurityCenter", "Data": "x"}, "windows_event"),
    ({"type": "CONFIG_CHANGE", "op": "set"}, "linux_auditd"),
    ({"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging"}, "aws_cloudtrail"),
    ({"operationName": "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE"}, "azure_activity"),
    ({"methodName": "v1.compute.firewalls.insert"}, "gcp_audit"),
    ({"Operation": "Set-AdminAuditLogConfig", "Workload": "Exchange"}, "m365_audit"),
    ({"logid": "0100044547", "action": "Edit"}, "fortigate_event"),
    ({"type": "CONFIG", "cmd": "delete", "path": " vsys  vsys1 rulebase security rules  x"}, "panos_config"),
    ({"message": "%ASA-5-111008: User 'x' executed the 'no access-list' command."}, "network_syslog"),
    ({"Foo": "bar"}, None),
])
def test_samples_are_classified_by_their_fields(sample, kind):
    assert classify(sample, {}) == kind


def test_kql_renders_a_registry_value_set_as_defender_does():
    sample = {"EventID": 13, "EventType": "SetValue", "Image": "C:\\Windows\\System32\\reg.exe",
              "TargetObject": "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware",
              "Details": "DWORD (0x00000001)", "User": "CONTOSO\\admin"}
    event = render("kql", sample).event
    # DeviceRegistryEvents: the key with the hive spelled out, the value name apart, DWORD data as text
    assert event["$table"] == "DeviceRegistryEvents" and event["ActionType"] == "RegistryValueSet"
    assert event["RegistryKey"] == "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender"
    assert (event["RegistryValueName"], event["RegistryValueData"]) == ("DisableAntiSpyware", "1")
    assert event["InitiatingProcessFileName"] == "reg.exe" and event["InitiatingProcessAccountName"] == "admin"


SECURITY_4688 = {"EventID": 4688, "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                 "CommandLine": "powershell.exe -version 2 -command Invoke-Mimikatz",
                 "ParentImage": "C:\\Windows\\System32\\cmd.exe", "User": "CONTOSO\\alice"}


@pytest.mark.parametrize("details,value_data", [
    ("DWORD (0x00000000)", "0x00000000"), ("QWORD (0x00000000-0x00000001)", "0x00000000-0x00000001"),
    ("C:\\Program Files\\x.exe", "C:\\Program Files\\x.exe"), ("Binary Data", "Binary Data")])
def test_spl_registry_value_data_is_a_typed_details_payload_as_the_sysmon_add_on_extracts_it(details, value_data):
    event = render("spl", {"EventID": 13, "EventType": "SetValue", "TargetObject": "HKLM\\SOFTWARE\\x\\v",
                           "Details": details, "Image": "C:\\Windows\\regedit.exe"}).event
    assert (event["Details"], event["registry_value_data"]) == (details, value_data)


def test_spl_renders_a_security_4688_as_the_windows_add_on_keeps_the_classic_event():
    rendering = render("spl", SECURITY_4688)
    event = rendering.event
    assert rendering.kind == "windows_security_process_creation"
    assert (event["source"], event["sourcetype"], event["EventCode"]) == ("WinEventLog:Security", "WinEventLog", "4688")
    assert event["New_Process_Name"] == SECURITY_4688["Image"] and event["process_name"] == "powershell.exe"
    assert event["Process_Command_Line"] == SECURITY_4688["CommandLine"]
    assert event["Creator_Process_Name"] == "C:\\Windows\\System32\\cmd.exe"
    assert event["Account_Name"] == ["alice", "-"]  # the Creator Subject's and the Target Subject's lines
    assert "CommandLine" not in event and "Image" not in event  # Sysmon's names are not the Security log's
    assert "\tProcess Command Line:\tpowershell.exe -version 2" in event["_raw"]


def test_a_platform_without_its_own_4688_form_renders_it_as_a_process_creation():
    event = render("kql", SECURITY_4688).event
    assert event["$table"] == "DeviceProcessEvents" and event["ProcessCommandLine"] == SECURITY_4688["CommandLine"]
    assert render("kql", SECURITY_4688).kind == "windows_security_process_creation"


def test_eql_splits_a_powershell_400_details_as_the_windows_integration_does():
    details = "\tNewEngineState=Available\r\n\tPreviousEngineState=None\r\n\tHostName=ConsoleHost\r\n" \
              "\tHostVersion=2.0\r\n\tEngineVersion=2.0\r\n\tPipelineId=\r\n"
    event = render("eql", {"EventID": 400, "Provider_Name": "PowerShell", "Channel": "Windows PowerShell",
                           "Data": details}).event
    assert event["event"]["dataset"] == "windows.powershell"
    assert event["powershell"]["engine"] == {"version": "2.0", "new_state": "Available", "previous_state": "None"}
    assert event["powershell"]["process"]["executable_version"] == "2.0" and event["process"]["title"] == "ConsoleHost"
    assert "pipeline_id" not in event["powershell"]  # an empty detail is dropped, as the pipeline does
    other = render("eql", {"EventID": 15, "Provider_Name": "SecurityCenter", "Data": "EngineVersion=2.0"}).event
    assert "powershell" not in other


def test_a_registry_key_event_keeps_the_whole_path_as_the_key():
    sample = {"EventID": 12, "EventType": "CreateKey", "TargetObject": "HKLM\\System\\SafeBoot\\Network\\X"}
    event = render("kql", sample).event
    assert event["ActionType"] == "RegistryKeyCreated"
    assert event["RegistryKey"] == "HKEY_LOCAL_MACHINE\\System\\SafeBoot\\Network\\X"
    assert "RegistryValueName" not in event


def test_package_verdicts_skip_a_scaffold(tmp_path):
    target = _package(tmp_path, 'where ProcessCommandLine has "stop"')
    text = target.read_text().replace("sc stop WinDefend}", "'<fill in: a command line>'}")
    target.write_text(text, encoding="utf-8")
    assert package_verdicts(load_package(target), ["kql"]) == ([], [])


def test_a_case_sensitive_query_drifts_from_the_case_insensitive_sigma_form(tmp_path, scripted_kql):
    # The scripted evaluator compares case-sensitively; Sigma's `contains` does not (Sigma
    # specification: string matching is case-insensitive by default), so 'STOP' drifts.
    report = run_tests([_package(tmp_path, 'where ProcessCommandLine has "stop"')], ["kql"])
    drift = [d for d in report.diagnostics if d.code == "DAC514"]
    assert [(d.line, d.column) for d in drift] == [(KQL_LINE + 1, 13)]  # at the predicate that decided
    # It ignores the image, so it returns the near-misses of Image (changed, missing) that the
    # Sigma form does not match, and it misses 'SC STOP WINDEFEND', which the Sigma form matches.
    assert "it returns an event the Sigma form does not match" in drift[0].message
    assert "sc.axe" in drift[0].message and "(2 more generated events disagree)" in drift[0].message
    assert "it returned the event because `ProcessCommandLine has \"stop\"` (line 2) on" in drift[0].message
    assert not report.failed() and report.failed(Severity.WARNING)  # drift is a warning to read
    assert not [d for d in run_tests([_package(tmp_path / "b", 'where ProcessCommandLine has "stop"')], ["kql"],
                                     drift=False).diagnostics if d.code == "DAC514"]


def test_a_drift_suppressed_with_a_reason_is_not_reported(tmp_path, scripted_kql):
    target = _package(tmp_path, 'where ProcessCommandLine has "stop"')
    target.write_text(target.read_text() + "suppressions:\n  - code: DAC514\n    reason: the platform compares "
                      "case-sensitively and the team accepts it\n", encoding="utf-8")
    assert not [d for d in run_tests([target], ["kql"]).diagnostics if d.code in ("DAC514", "DAC116")]


def test_events_built_on_a_test_its_platform_cannot_see_are_not_drift(tmp_path, scripted_kql):
    # the same case-sensitive query as above, on a package whose only test declares that KQL's
    # platform cannot see its events: every generated event is built on that test's sample
    target = _package(tmp_path, 'where ProcessCommandLine has "stop"')
    declared = ("        - {EventID: 1, Image: 'C:\\Windows\\System32\\sc.exe', CommandLine: sc query WinDefend}\n"
                "    not_covered_by:\n      - language: kql\n        reason: the lab's Sentinel does not collect it\n")
    text = target.read_text(encoding="utf-8")
    assert declared.splitlines()[0] + "\n" in text
    target.write_text(text.replace(declared.splitlines()[0] + "\n", declared, 1), encoding="utf-8")
    report = run_tests([target], ["kql"])
    assert not [d for d in report.diagnostics if d.code == "DAC514"]
    assert {r.verdict for r in report.results if r.language == "kql"} == {None}  # declared, not counted


def test_a_second_dac_test_reuses_an_unchanged_package_and_rechecks_a_changed_one(tmp_path):
    from tooling.testing import TestCache

    target = _package(tmp_path, 'where ProcessCommandLine has "stop"')
    first = run_tests([target], ["kql"], drift=False, cache=TestCache(tmp_path / "cache"))
    again = TestCache(tmp_path / "cache")
    second = run_tests([target], ["kql"], drift=False, cache=again)
    assert again.hits == 1 and second.results == first.results and second.diagnostics == first.diagnostics
    target.write_text(target.read_text().replace('has "stop"', 'has "halt"'), encoding="utf-8")
    changed = TestCache(tmp_path / "cache")
    third = run_tests([target], ["kql"], drift=False, cache=changed)
    assert changed.hits == 0 and [d.code for d in third.diagnostics if d.code.startswith("DAC51")] == ["DAC510"]


@pytest.mark.parametrize("pattern, found", [
    (r"\\Temp\\[a-z]{3,}\.exe", True), (r"^(?:cmd|powershell)\s+/c\s+\d+$", True), (r"mimi(katz|dogz)", True),
    (r"(a)\1", False),  # a back-reference is not built: no example rather than a wrong one
])
def test_probes_build_a_text_each_regex_finds(pattern, found):
    import regex

    from tooling.sigma.probes import regex_example

    example = regex_example(pattern)
    assert (example is not None) is found
    if found:
        assert regex.search(pattern, example)


def test_probes_satisfy_cidr_and_comparisons():
    from tooling.sigma.probes import probe_events

    detection = {"sel": {"DestinationIp|cidr": "10.0.0.0/8", "DestinationPort|gt": 1024}, "condition": "sel"}
    first = probe_events(detection)[0]
    assert first.event == {"DestinationIp": "10.0.0.1", "DestinationPort": 1025}


def test_a_disagreement_names_the_predicate_that_failed_with_the_event_value(tmp_path):
    report = run_tests([_package(tmp_path, 'where ProcessCommandLine has "halt" and ActionType == "ProcessCreated"')],
                       ["kql"], drift=False)
    (found,) = [d for d in report.diagnostics if d.code == "DAC510"]
    assert found.message.endswith(": `ProcessCommandLine has \"halt\"` (line 2) on 'sc stop WinDefend' did not hold")
    assert (found.line, found.column) == (KQL_LINE + 1, 13)


def test_a_disagreement_without_predicates_says_so(tmp_path):
    report = run_tests([_package(tmp_path, 'take 10')], ["kql"], drift=False)
    (found,) = [d for d in report.diagnostics if d.code == "DAC511"]
    assert found.message.endswith("it returns the event, though no predicate of the query tested it")
    assert (found.line, found.column) == (KQL_LINE, 5)


def test_validate_does_not_call_a_drift_suppression_unused(tmp_path):
    # dac validate does not generate drift events, so it cannot know whether DAC514 still fires
    target = _package(tmp_path, 'where FileName =~ "sc.exe" and ProcessCommandLine has "stop"')
    target.write_text(target.read_text() + "suppressions:\n  - code: DAC514\n    reason: the platform compares "
                      "case-sensitively and the team accepts it\n", encoding="utf-8")
    assert [d.code for d in validate([target], jobs=1).diagnostics if d.code in ("DAC116", "DAC514")] == []


def test_only_the_first_disagreements_of_a_query_are_explained(tmp_path, scripted_kql, monkeypatch):
    # explaining re-runs the query many times: a package whose every sample disagrees costs a
    # bounded number of explanations, and the rest are still reported
    from tooling.checks import verdicts

    monkeypatch.setattr(verdicts, "MAX_EXPLAINED", 0)
    report = run_tests([_package(tmp_path, 'where ProcessCommandLine has "halt"')], ["kql"], drift=False)
    (found,) = [d for d in report.diagnostics if d.code == "DAC510"]
    assert found.message.endswith("which it must match") and (found.line, found.column) == (KQL_LINE, 5)


def test_an_azure_operation_is_allowed_in_udm_only_once_it_succeeded():
    # Azure writes a Start record before the outcome; a YARA-L rule testing ALLOW must not fire on it
    logsource = {"product": "azure", "service": "activitylogs"}
    actions = {}
    for status in ("Start", "Accept", "Success", "Succeeded", "Failure"):
        sample = {"operationName": "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE", "resultType": status}
        event = render("yaral", sample, logsource, kind=classify(sample, logsource)).event
        actions[status] = event["security_result"][0]["action"]
    assert actions == {"Start": ["UNKNOWN_ACTION"], "Accept": ["UNKNOWN_ACTION"], "Success": ["ALLOW"],
                       "Succeeded": ["ALLOW"], "Failure": ["BLOCK"]}


def test_a_windows_events_channel_reaches_each_platform_where_it_has_one():
    # Windows PowerShell event 400 lives in its own channel, not in Application
    sample = {"EventID": 400, "Provider_Name": "PowerShell", "Channel": "Windows PowerShell", "Data": ["Available"]}
    logsource = {"product": "windows"}

    def rendered(key):
        found = render(key, sample, logsource, kind=classify(sample, logsource))
        assert found.unmapped == ()
        return found.event

    assert rendered("kql")["EventLog"] == "Windows PowerShell"
    assert (rendered("spl")["source"], rendered("spl")["EventChannel"]) == ("XmlWinEventLog:Windows PowerShell",
                                                                           "Windows PowerShell")
    assert rendered("sumo")["_sourceName"] == "Windows PowerShell"
    assert '"Channel":"Windows PowerShell"' in rendered("sumo")["_raw"]


def test_a_panos_config_log_renders_as_each_platform_stores_it():
    # a PAN-OS CONFIG log with the change details (custom log format): CEF in Sentinel, the panw
    # integration's fields in Elastic, pan:config in Splunk, the CSV line where the query parses it
    sample = {"type": "CONFIG", "cmd": "set", "admin": "labadmin", "client": "CLI", "result": "Succeeded",
              "path": " vsys  vsys1 rulebase security rules  T1562_LAB",
              "before_change_detail": "T1562_LAB { action deny; }",
              "after_change_detail": "T1562_LAB { action allow; }"}
    logsource = {"product": "paloalto", "service": "config"}

    def rendered(key):
        found = render(key, sample, logsource, kind=classify(sample, logsource))
        assert found.kind == "panos_config" and found.unmapped == ()
        return found.event

    kql = rendered("kql")
    assert (kql["$table"], kql["DeviceVendor"], kql["Activity"], kql["DeviceEventClassID"]) == (
        "CommonSecurityLog", "Palo Alto Networks", "CONFIG", "Succeeded")
    assert (kql["DeviceAction"], kql["DestinationUserName"], kql["Message"]) == ("set", "labadmin", sample["path"])
    assert (kql["DeviceCustomString1"], kql["DeviceCustomString2"]) == (sample["before_change_detail"],
                                                                      sample["after_change_detail"])
    assert kql["DeviceCustomString2Label"] == "After Change Detail"
    eql = rendered("eql")
    assert eql["event"]["dataset"] == "panw.panos" and eql["event"]["action"] == "cmd-set"
    assert eql["event"]["outcome"] == "success" and eql["event"]["category"] == ["configuration"]
    assert eql["panw"]["panos"]["after_change_detail"] == sample["after_change_detail"]
    assert eql["message"].startswith("10.0.0.5,vsys1,set,labadmin,CLI,Succeeded, vsys  vsys1 rulebase")
    spl = rendered("spl")
    assert spl["sourcetype"] == "pan:config" and (spl["cmd"], spl["command"]) == ("set", "set")
    assert spl["path"] == spl["configuration_path"] == sample["path"]
    # the custom format: path, then the change details (quoted), then the sequence number
    line = ("CONFIG,0,2561,2026/01/01 12:00:00,10.0.0.5,vsys1,set,labadmin,CLI,Succeeded, vsys  vsys1 rulebase "
            'security rules  T1562_LAB,"T1562_LAB { action deny; }","T1562_LAB { action allow; }",7286123782408765488,')
    for key, field in (("spl", "_raw"), ("aql", "payload"), ("sumo", "_raw"), ("logscale", "@rawstring")):
        assert line in rendered(key)[field]
    assert rendered("aql")["devicetype"] == 206 and rendered("aql")["username"] == "labadmin"
    udm = rendered("yaral")
    assert udm["metadata"]["log_type"] == "PAN_FIREWALL" and udm["principal"]["user"]["userid"] == "labadmin"
    assert udm["additional"]["fields"]["cmd"] == "set"


def test_a_panos_delete_has_no_change_detail_columns_it_did_not_send():
    sample = {"type": "CONFIG", "cmd": "delete", "admin": "labadmin", "path": " vsys  vsys1 rulebase security rules  x"}
    kql = render("kql", sample, kind="panos_config").event
    assert "DeviceCustomString2" not in kql and "DeviceCustomString2Label" not in kql
    assert ",delete,labadmin,Web,Succeeded, vsys  vsys1 rulebase security rules  x,,,7286" in render(
        "sumo", sample, kind="panos_config").event["_raw"]
