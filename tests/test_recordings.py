"""`dac test --events FILE`: recordings in several export shapes, replayed through every query."""
from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from tooling.recordings import RecordingError, evtx_xml_to_event, read_recording, to_taxonomy
from tooling.testing import replay

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "docs" / "examples" / "lab-recording.jsonl"
PACKAGE = ROOT / "detections" / "T1562" / "T1562.001.yml"

SYSMON_XML = (
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
    "<Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/>"
    "<EventID>1</EventID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws01</Computer>"
    "</System><EventData><Data Name='Image'>C:\\Windows\\System32\\sc.exe</Data>"
    "<Data Name='CommandLine'>sc stop WinDefend</Data></EventData></Event>")


def test_winlogbeat_events_become_the_sigma_taxonomy():
    record = {"winlog": {"event_id": 13, "provider_name": "Microsoft-Windows-Sysmon", "channel": "x",
                         "event_data": {"TargetObject": "HKLM\\x", "Details": "DWORD (0x00000001)"}}}
    assert to_taxonomy(record) == {"EventID": 13, "Provider_Name": "Microsoft-Windows-Sysmon", "Channel": "x",
                                   "TargetObject": "HKLM\\x", "Details": "DWORD (0x00000001)"}


def test_security_datasets_events_keep_their_data_and_drop_collection_metadata():
    record = {"EventID": "1", "SourceName": "Microsoft-Windows-Sysmon",
              "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": "WORKSTATION5",
              "@timestamp": "2020-05-02T03:00:00Z", "port": 60737,
              "CommandLine": "sc stop WinDefend", "Image": "C:\\Windows\\System32\\sc.exe"}
    assert to_taxonomy(record) == {"EventID": 1, "Provider_Name": "Microsoft-Windows-Sysmon",
                                   "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "WORKSTATION5",
                                   "CommandLine": "sc stop WinDefend", "Image": "C:\\Windows\\System32\\sc.exe"}


def test_sigma_taxonomy_events_stay_as_they_are():
    assert to_taxonomy({"EventID": 1, "CommandLine": "x"}) == {"EventID": 1, "CommandLine": "x"}


def test_an_evtx_record_becomes_the_sigma_taxonomy():
    assert evtx_xml_to_event(SYSMON_XML) == {
        "EventID": 1, "Provider_Name": "Microsoft-Windows-Sysmon", "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Computer": "ws01", "Image": "C:\\Windows\\System32\\sc.exe", "CommandLine": "sc stop WinDefend"}


def test_an_evtx_file_is_read_through_the_evtx_package(tmp_path, monkeypatch):
    # The parser itself is the `evtx` package's (tested there); here: its records reach the replay.
    fake = types.ModuleType("evtx")

    class PyEvtxParser:
        def __init__(self, path):
            self.path = path

        def records(self):
            yield {"event_record_id": 1, "data": SYSMON_XML}

    fake.PyEvtxParser = PyEvtxParser
    monkeypatch.setitem(sys.modules, "evtx", fake)
    recording = tmp_path / "lab.evtx"
    recording.write_bytes(b"ElfFile\0")
    assert read_recording(recording).events[0]["CommandLine"] == "sc stop WinDefend"


def test_a_broken_evtx_file_is_a_clear_error(tmp_path):
    pytest.importorskip("evtx")  # installed with the test extra
    recording = tmp_path / "broken.evtx"
    recording.write_bytes(b"not an event log")
    with pytest.raises(RecordingError, match="broken.evtx: not a readable .evtx file"):
        read_recording(recording)


@pytest.mark.parametrize("content, message", [
    (b'{"EventID": 1}\n{"EventID": \n', "bad.jsonl:2: not a JSON object"),
    (b"\xff\xfe", "not UTF-8 text"),
    (b"[" * 100_000, "not JSON"),
])
def test_a_broken_recording_names_the_file_and_line(tmp_path, content, message):
    recording = tmp_path / "bad.jsonl"
    recording.write_bytes(content)
    with pytest.raises(RecordingError, match=message):
        read_recording(recording)


def test_the_lab_recording_replays_through_every_query():
    events = read_recording(LAB).events
    results = {r.language: r for r in replay(events, [PACKAGE])}
    # Events 1 (Set-MpPreference -DisableRealtimeMonitoring) and 2 (the DisableAntiSpyware policy
    # value) are the attack; 0 (notepad), 3 (sc query), 4 and 5 (other techniques) are not.
    assert results["sigma"].matched == (1, 2)
    assert results["kql"].matched == (1, 2) and results["kql"].ok
    assert results["kql"].rendered == 6
    # every language, Sumo among them: a recorded Sysmon event names its provider, and is still
    # Sysmon's (EventData with named values), not a classic provider's
    assert {key: results[key].matched for key in results} == {key: (1, 2) for key in results}


def test_cli_replay_json_and_a_missing_recording(run_dac, tmp_path):
    result = run_dac("test", "--events", str(LAB), str(PACKAGE), "--lang", "kql", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["events"] == 6 and [r["language"] for r in data["results"]] == ["sigma", "kql"]
    missing = run_dac("test", "--events", str(tmp_path / "none.jsonl"), str(PACKAGE))
    assert missing.returncode == 2 and "none.jsonl: not a regular file" in missing.stderr
    assert "Traceback" not in missing.stderr
