"""`dac new`: a skeleton from ATT&CK data whose placeholders the validator reports."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tooling.package import parse_package
from tooling.scaffold import ScaffoldError, scaffold
from tooling.validate import validate

ROOT = Path(__file__).resolve().parents[1]


def test_scaffold_fills_what_attack_knows(tmp_path):
    path = scaffold("T1562.004", tmp_path / "detections", today=dt.date(2026, 11, 27))
    assert path == tmp_path / "detections" / "T1562" / "T1562.004.yml"
    data = parse_package(path, path.read_bytes()).data
    assert data["id"] == "T1562.004"
    assert data["title"] == "Impair Defenses: Disable or Modify System Firewall"
    assert data["attack"] == {"version": "18.1", "tactics": ["Defense Evasion"], "technique": "T1562.004",
                              "name": "Disable or Modify System Firewall", "parent": "T1562",
                              "v19_successor": {"id": "T1686", "name": "Disable or Modify System Firewall"}}
    assert data["summary"].startswith("Adversaries may")
    assert data["created"] == "2026-11-27"
    assert data["references"] == ["https://attack.mitre.org/techniques/T1562/004/"]


def test_every_placeholder_is_reported_and_nothing_else(tmp_path):
    parent = tmp_path / "detections" / "T1562" / "T1562.yml"  # the related parent exists, as in the repository
    parent.parent.mkdir(parents=True)
    shutil.copy(ROOT / "detections" / "T1562" / "T1562.yml", parent)
    path = scaffold("T1562.004", tmp_path / "detections")
    report = validate([path], jobs=1)
    notes = [d for d in report.diagnostics if d.code == "DAC206"]  # T1562.004 is renumbered in v19
    assert len(notes) == 1 and "(recorded in attack.v19_successor)" in notes[0].message
    report.diagnostics.remove(notes[0])
    assert {d.code for d in report.diagnostics} == {"DAC118"}
    values = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    assert len(report.diagnostics) == sum(line.count("<fill in: ") for line in values)
    assert report.failed()


def test_refuses_unknown_revoked_and_existing(tmp_path):
    with pytest.raises(ScaffoldError, match="not a technique"):
        scaffold("T1562.099", tmp_path)
    with pytest.raises(ScaffoldError, match="revoked; use T1059.001"):
        scaffold("T1086", tmp_path)
    scaffold("T1562.003", tmp_path)
    with pytest.raises(ScaffoldError, match="already exists"):
        scaffold("T1562.003", tmp_path)


def test_cli_new(run_dac, tmp_path):
    result = run_dac("new", "t1562.012", "--root", str(tmp_path / "detections"))
    assert result.returncode == 0 and "T1562.012.yml" in result.stdout
    again = run_dac("new", "T1562.012", "--root", str(tmp_path / "detections"))
    assert again.returncode == 1 and "already exists" in again.stderr
