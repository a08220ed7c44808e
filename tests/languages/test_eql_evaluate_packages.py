"""Every package's EQL query is evaluated (`ok`) on each of its samples rendered as the ECS
document Elasticsearch EQL would see (tooling/platforms/eql/render.json).

Whether the verdict agrees with the sample's match / no_match is a content question (`dac test`
reports it); here only that the evaluator gives a verdict.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tooling.languages import get_language
from tooling.platforms import kinds, render, render_table
from tooling.sigma.rules import shared_logsource

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted((ROOT / "detections" / "T1562").glob("*.yml"))
EQL = get_language("eql")


def _samples():
    for path in PACKAGES:
        package = yaml.safe_load(path.read_text(encoding="utf-8"))
        logsource = shared_logsource(package)
        for test in package.get("tests", []):
            for expected in ("match", "no_match"):
                for index, sample in enumerate(test.get("samples", {}).get(expected, [])):
                    yield pytest.param(package["queries"]["eql"], sample, logsource, index,
                                       id=f"{path.stem}-{test['name'][:40]}-{expected}[{index}]")


@pytest.mark.parametrize("query,sample,logsource,index", list(_samples()))
def test_package_query_is_evaluated_on_its_samples(query, sample, logsource, index):
    rendering = render("eql", sample, logsource, index=index)
    assert rendering is not None, "every sample kind has an EQL rendering"
    result = EQL.evaluate(query, [rendering.event])
    assert result.ok, result.reason


def test_every_kind_has_a_rendering_with_sources():
    table = render_table("eql")
    assert table["sources"] and table["date"] and table["nested"] is True
    # a kind without its own form is rendered as the kind it falls back to (a 4688 as a process start)
    assert {entry.get("falls_back_to", entry["kind"]) for entry in kinds()} <= set(table["kinds"])


def test_process_start_looks_like_elastic_defend():
    sample = {"EventID": 1, "Image": "C:\\Windows\\System32\\sc.exe", "CommandLine": 'sc.exe stop "Win Defend"',
              "ParentImage": "C:\\Windows\\System32\\cmd.exe", "User": "CONTOSO\\admin"}
    event = render("eql", sample, {"product": "windows"}).event
    assert event["event"]["category"] == ["process"] and event["event"]["type"] == ["start"]
    assert event["process"]["name"] == "sc.exe" and event["process"]["args"] == ["sc.exe", "stop", "Win Defend"]
    assert event["process"]["parent"]["name"] == "cmd.exe"
    assert event["user"] == {"domain": "CONTOSO", "name": "admin"}
    assert event["host"]["os"]["type"] == "windows"


def test_registry_value_looks_like_elastic_defend():
    sample = {"EventID": 13, "TargetObject": "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware",
              "Details": "DWORD (0x00000001)", "Image": "C:\\Windows\\regedit.exe"}
    registry = render("eql", sample, {"product": "windows"}).event["registry"]
    assert registry["path"] == "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware"
    assert registry["key"] == "SOFTWARE\\Policies\\Microsoft\\Windows Defender"
    assert registry["value"] == "DisableAntiSpyware" and registry["hive"] == "HKLM"
    assert registry["data"]["strings"] == ["1"]


def test_key_creation_has_no_value_name():
    sample = {"EventID": 12, "EventType": "CreateKey", "TargetObject": "HKLM\\System\\CurrentControlSet\\Control\\SafeBoot\\Network\\X"}
    event = render("eql", sample, {"product": "windows"}).event
    assert event["event"]["type"] == ["creation"]
    assert event["registry"]["key"] == "System\\CurrentControlSet\\Control\\SafeBoot\\Network\\X"
    assert "value" not in event["registry"]
