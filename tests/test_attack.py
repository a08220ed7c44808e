"""The bundled ATT&CK data and its rebuild from a STIX bundle."""
from __future__ import annotations

import json

import pytest

from tooling.attack import attack_data
from tooling.attack.stix import StixError, first_paragraph, snapshot_from_bundle


def test_bundled_snapshot_is_v18_1_with_the_impair_defenses_family():
    data = attack_data()
    assert data.version == "18.1"
    assert [t.name for t in data.tactics][:3] == ["Reconnaissance", "Resource Development", "Initial Access"]
    assert len(data.tactics) == 14
    subs = [t.id for t in data.subtechniques("T1562")]
    assert subs == ["T1562.001", "T1562.002", "T1562.003", "T1562.004", "T1562.006", "T1562.007", "T1562.008",
                    "T1562.009", "T1562.010", "T1562.011", "T1562.012", "T1562.013"]
    assert data.technique("T1562.004").tactics == ("Defense Evasion",)


def test_v19_successors_from_the_published_map():
    data = attack_data()
    assert data.v19_successor("T1562.002") == {"id": "T1685.001", "name": "Disable or Modify Windows Event Log"}
    assert data.v19_successor("T1562.010")["id"] == "T1689"
    assert data.v19_successor("T1562.003") is None


def _bundle():
    tactic = {"type": "x-mitre-tactic", "id": "x-mitre-tactic--1", "name": "Defense Evasion",
              "x_mitre_shortname": "defense-evasion",
              "external_references": [{"source_name": "mitre-attack", "external_id": "TA0005"}]}
    old = {"type": "attack-pattern", "id": "attack-pattern--old", "name": "Old", "revoked": True,
           "external_references": [{"source_name": "mitre-attack", "external_id": "T1000"}]}
    new = {"type": "attack-pattern", "id": "attack-pattern--new", "name": "New thing",
           "description": "First sentence.(Citation: X) Second.\n\nMore.",
           "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "defense-evasion"}],
           "x_mitre_platforms": ["Windows"],
           "external_references": [{"source_name": "mitre-attack", "external_id": "T1001.001",
                                    "url": "https://attack.mitre.org/techniques/T1001/001"}]}
    rel = {"type": "relationship", "id": "relationship--1", "relationship_type": "revoked-by",
           "source_ref": "attack-pattern--old", "target_ref": "attack-pattern--new"}
    return {"type": "bundle", "objects": [tactic, old, new, rel,
                                          {"type": "x-mitre-collection", "x_mitre_version": "19.0"}]}


def test_snapshot_from_stix_bundle():
    snapshot = snapshot_from_bundle(_bundle())
    assert snapshot["attack_version"] == "19.0"
    assert snapshot["tactics"] == [{"id": "TA0005", "name": "Defense Evasion", "shortname": "defense-evasion"}]
    new = snapshot["techniques"]["T1001.001"]
    assert new["tactics"] == ["Defense Evasion"] and new["parent"] == "T1001"
    assert new["description"] == "First sentence. Second."
    assert snapshot["techniques"]["T1000"]["revoked_by"] == "T1001.001"


def test_not_a_bundle():
    with pytest.raises(StixError):
        snapshot_from_bundle({"type": "something"})


def test_first_paragraph_cuts_truncated_text_at_a_sentence():
    assert first_paragraph("One. Two is cut off he...") == "One."


def test_attack_update_cli(run_dac, tmp_path):
    stix = tmp_path / "bundle.json"
    stix.write_text(json.dumps(_bundle()))
    out = tmp_path / "snapshot.json"
    result = run_dac("attack", "update", "--stix", str(stix), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "2 techniques, 1 tactics" in result.stdout
    assert json.loads(out.read_text())["techniques"]["T1000"]["revoked_by"] == "T1001.001"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = run_dac("attack", "update", "--stix", str(bad))
    assert result.returncode == 1 and "cannot read" in result.stderr and "Traceback" not in result.stderr
