"""`dac test --coverage`: which predicates of each query the samples prove (tooling/coverage.py).

The base fixture's KQL query has two predicates; its match sample (`sc stop WinDefend`) proves
both, its near-miss (`sc query WinDefend`) differs only in the command line, so it proves
`ProcessCommandLine has "stop"` and nothing proves `FileName =~ "sc.exe"` by a near-miss.
"""
from __future__ import annotations

import json
from pathlib import Path

from tooling.coverage import coverage, render_coverage

FIXTURES = Path(__file__).parent / "fixtures"
BASE = (FIXTURES / "base.yml").read_text(encoding="utf-8")
KQL_LINE = BASE.splitlines().index("  kql: |") + 2  # the query's first line in base.yml
TEST = "Stop Defender with sc.exe"


def _package(tmp_path: Path, text: str = BASE) -> Path:
    target = tmp_path / "detections" / "T1562" / "T1562.001.yml"
    target.parent.mkdir(parents=True)
    target.write_text(text, encoding="utf-8")
    return target


def test_each_predicate_lists_the_samples_that_prove_it(tmp_path):
    found, _ = coverage([_package(tmp_path)], ["kql"])
    assert [(c.line, c.column, c.predicate, c.matched_by, c.near_missed_by) for c in found] == [
        (KQL_LINE + 1, 13, 'FileName =~ "sc.exe"', [f"{TEST}: match[0]"], []),
        (KQL_LINE + 1, 38, 'ProcessCommandLine has "stop"', [f"{TEST}: match[0]"], [f"{TEST}: no_match[0]"]),
    ]


def test_a_near_miss_that_differs_in_the_image_proves_the_image_predicate(tmp_path):
    near_miss = "        - {EventID: 1, Image: 'C:\\Windows\\System32\\sc.exe', CommandLine: sc query WinDefend}\n"
    other_image = "        - {EventID: 1, Image: 'C:\\Tools\\sc2.exe', CommandLine: sc stop WinDefend}\n"
    text = BASE.replace(near_miss, near_miss + other_image)
    assert text != BASE
    found, _ = coverage([_package(tmp_path, text)], ["kql"])
    assert found[0].near_missed_by == [f"{TEST}: no_match[1]"]


def test_a_disagreeing_sample_proves_nothing(tmp_path):
    text = BASE.replace('ProcessCommandLine has "stop"', 'ProcessCommandLine has "stopped"')
    found, _ = coverage([_package(tmp_path, text)], ["kql"])
    assert all(not c.matched_by for c in found)  # the match sample is missed (DAC510): no proof


def test_a_branch_is_the_predicates_that_returned_a_match_sample_and_a_near_miss_tests_it(tmp_path):
    _, branches = coverage([_package(tmp_path)], ["kql"])
    assert [(b.predicates, b.matched_by, b.near_missed_by) for b in branches] == [
        ([f"{KQL_LINE + 1}:13", f"{KQL_LINE + 1}:38"], [f"{TEST}: match[0]"], [f"{TEST}: no_match[0]"])]


def test_a_branch_no_near_miss_tests_is_a_gap(tmp_path):
    # a no_match sample two predicates away from the attack tests neither alone
    text = BASE.replace("Image: 'C:\\Windows\\System32\\sc.exe', CommandLine: sc query WinDefend}",
                        "Image: 'C:\\Windows\\System32\\reg.exe', CommandLine: reg query HKLM}")
    assert text != BASE
    found, branches = coverage([_package(tmp_path, text)], ["kql"])
    assert branches[0].near_missed_by == []
    assert f"branch {KQL_LINE + 1}:13, {KQL_LINE + 1}:38 (through {TEST}: match[0]): no near-miss" in \
        render_coverage(found, branches)


def test_the_report_lists_the_gaps(tmp_path):
    found, branches = coverage([_package(tmp_path)], ["kql"])
    text = render_coverage(found, branches)
    assert "T1562.001    kql                2           2               1         1                 1" in text
    assert text.endswith(f"Not proven:\n  T1562.001 kql line {KQL_LINE + 1}:13 `FileName =~ \"sc.exe\"`: no near-miss")


def test_the_cli_prints_json_with_one_entry_per_predicate(tmp_path, run_dac):
    target = _package(tmp_path)
    result = run_dac("test", "--coverage", "--lang", "kql", "--format", "json", str(target), cwd=tmp_path)
    assert result.returncode == 0
    entries = json.loads(result.stdout)["coverage"]
    assert [e["predicate"] for e in entries] == ['FileName =~ "sc.exe"', 'ProcessCommandLine has "stop"']
    assert set(entries[0]) == {"package", "language", "line", "column", "predicate", "matched_by", "near_missed_by"}
    assert json.loads(result.stdout)["branches"][0]["matched_by"] == [f"{TEST}: match[0]"]
