"""The sample events of each test against the package's Sigma detection (checks/samples.py)."""
from __future__ import annotations

import time
from pathlib import Path

from tooling.validate import validate

FIXTURES = Path(__file__).parent / "fixtures"


def _package(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = (FIXTURES / "base.yml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    target = tmp_path / "detections" / "T1562" / "T1562.001.yml"
    target.parent.mkdir(parents=True)
    target.write_text(text, encoding="utf-8")
    return target


def _found(target: Path) -> list[tuple[str, int, int, str]]:
    return [(d.code, d.line, d.column, d.message) for d in validate([target], jobs=1).diagnostics
            if d.code.startswith("DAC50")]


def test_the_base_package_samples_agree_with_its_detection(tmp_path):
    assert _found(_package(tmp_path)) == []


def test_a_wrongly_detected_sample_names_what_matched(tmp_path):
    found = _found(_package(tmp_path, ("CommandLine: sc query WinDefend}", "CommandLine: sc stop WinDefend}")))
    assert [(code, line, column) for code, line, column, _ in found] == [("DAC505", 86, 11)]
    assert "sample event 1 of test 'Stop Defender with sc.exe'" in found[0][3]
    assert "(selection matched)" in found[0][3]


def test_a_condition_list_error_points_at_the_condition(tmp_path):
    found = _found(_package(tmp_path, ("        condition: selection\n", "        condition: [selection, nothing]\n")))
    # the list itself: 8 spaces and "condition: " before it
    assert [(code, line, column) for code, line, column, _ in found] == [("DAC506", 69, 20)]
    assert "'nothing' is not defined" in found[0][3]


def test_a_pattern_that_backtracks_without_end_stops_with_a_warning(tmp_path):
    target = _package(tmp_path, ("          CommandLine|contains: stop\n",
                                 "          CommandLine|re: 'stop|(a|aa)+b'\n"),
                      ("CommandLine: sc query WinDefend}", "CommandLine: " + "a" * 40 + "}"))
    start = time.perf_counter()
    found = _found(target)
    assert time.perf_counter() - start < 10  # a guard against a hang, not a speed target
    assert [(code, line, column) for code, line, column, _ in found] == [("DAC508", 86, 11)]  # the no_match sample
    assert "ran over 0.5 s" in found[0][3] and "CommandLine|re" in found[0][3]
    assert "sample event 1 of test 'Stop Defender with sc.exe'" in found[0][3]


def test_many_slow_values_in_one_event_stop_at_the_budget(tmp_path):
    # issue #26: 300 values, each under the per-match limit, took 85 s; the budget now holds
    # within one event too
    values = "[" + ", ".join(["a" * 24 + "b"] * 300) + "]"
    target = _package(tmp_path, ("          CommandLine|contains: stop\n",
                                 "          CommandLine|re: 'stop|(a|aa)+$'\n"),
                      ("CommandLine: sc query WinDefend}", "CommandLine: " + values + "}"))
    start = time.perf_counter()
    found = _found(target)
    assert time.perf_counter() - start < 5
    assert [(code, line, column) for code, line, column, _ in found] == [("DAC509", 86, 11)]
    assert "took over 2 s in all" in found[0][3] and "sample event 1 of test" in found[0][3]


def test_a_scaffold_with_placeholders_is_not_evaluated(tmp_path):
    target = _package(tmp_path, ("          CommandLine|contains: stop\n",
                                 "          CommandLine|contains: '<fill in: the command line>'\n"))
    assert _found(target) == []


def test_many_slow_samples_stop_at_the_budget(tmp_path, monkeypatch):
    from tooling.checks import samples

    monkeypatch.setattr(samples, "BUDGET_S", 0.0)  # every sample is over a budget of nothing
    found = _found(_package(tmp_path))
    assert [(code, line, column) for code, line, column, _ in found] == [("DAC509", 84, 11)]  # the first sample
    assert "took over 0 s in all" in found[0][3]


# A second rule, for registry writes: lines 70-78 of the package, so the samples move down by nine
# (the match sample to line 93, the no_match sample to line 95).
REGISTRY_RULE = ("false_positives:\n", """    - title: Defender service start type changed
      logsource:
        category: registry_set
        product: windows
      detection:
        selection:
          TargetObject|endswith: '\\Services\\WinDefend\\Start'
          Details: DWORD (0x00000004)
        condition: selection
false_positives:
""")
REGISTRY_EVENT = r"{EventID: 13, TargetObject: 'HKLM\System\CurrentControlSet\Services\WinDefend\Start', " \
                 "Details: DWORD (0x00000004)}"


def test_a_sample_matched_by_any_rule_is_detected(tmp_path):
    match = "        - {EventID: 1, Image: 'C:\\Windows\\System32\\sc.exe', CommandLine: sc stop WinDefend}\n"
    target = _package(tmp_path, REGISTRY_RULE, (match, match + "        - " + REGISTRY_EVENT + "\n"))
    assert _found(target) == []


def test_a_near_miss_matched_by_one_rule_names_the_rule(tmp_path):
    found = _found(_package(tmp_path, REGISTRY_RULE))
    assert found == []
    text = _package(tmp_path / "again", REGISTRY_RULE).read_text(encoding="utf-8")
    target = tmp_path / "again" / "detections" / "T1562" / "T1562.001.yml"
    target.write_text(text + "        - " + REGISTRY_EVENT + "\n", encoding="utf-8")  # a second no_match sample
    found = _found(target)
    assert [(code, line, column) for code, line, column, _ in found] == [("DAC505", 96, 11)]
    assert "should not match any of the 2 Sigma rules" in found[0][3]
    assert "(rule 2 (windows_registry_set): selection matched)" in found[0][3]


def test_an_unevaluated_feature_is_noted_at_its_rule(tmp_path):
    target = _package(tmp_path, REGISTRY_RULE,
                      ("          TargetObject|endswith:", "          TargetObject|base64offset|endswith:"))
    found = _found(target)
    # the second rule's detection key: line 74, after six spaces
    assert [(code, line, column) for code, line, column, _ in found] == [("DAC507", 74, 7)]
    assert "the Sigma detection of rule 2 (windows_registry_set) uses the modifier 'base64offset'" in found[0][3]


def test_drift_events_of_a_rule_are_built_on_the_samples_it_matches(tmp_path):
    from tooling.checks.drift import labelled_probes
    from tooling.package import load_package

    linux_rule = ("false_positives:\n", """    - logsource:
        category: process_creation
        product: linux
      detection:
        selection:
          CommandLine|contains: ufw disable
        condition: selection
false_positives:
""")
    match = "        - {EventID: 1, Image: 'C:\\Windows\\System32\\sc.exe', CommandLine: sc stop WinDefend}\n"
    target = _package(tmp_path, linux_rule,
                      (match, match + "        - {EventID: 1, Image: /usr/sbin/ufw, CommandLine: ufw disable}\n"))
    probes = [probe for probe, _ in labelled_probes(load_package(target))
              if "ufw" in str(probe.event.get("CommandLine"))]
    assert probes and all(probe.event["Image"].startswith("/") for probe in probes)  # never the Windows sample's
