"""Recorded telemetry for `dac test --events FILE`: real events, replayed through every query.

A recording is read into events in the Sigma taxonomy (the samples' own form), whatever it was
exported as:

- JSON lines, or one JSON array, of events already in the Sigma taxonomy (`EventID`,
  `CommandLine`, ...);
- Windows events exported by winlogbeat (`winlog.event_id`, `winlog.event_data.*`);
- the OTRF Security-Datasets ("Mordor") JSON (`EventID`, `SourceName`, `Channel`, event data at
  the top level);
- `.evtx` files, through the `evtx` package from PyPI (`pip install 'detection-as-code[evtx]'`).

Then each package's Sigma form and seven queries run over all of them at once, each in its
platform's shape, and the report says which events each query returns.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from xml.etree import ElementTree

MAX_RECORDING_BYTES = 256 << 20  # a recording is read whole; far above a lab capture
MAX_EVENTS = 10_000  # the evaluators' bound per call
# Keys of a Security-Datasets record that describe the collection, not the event.
_MORDOR_METADATA = {"@timestamp", "@version", "host", "port", "tags", "EventTime", "EventReceivedTime",
                    "SourceModuleName", "SourceModuleType", "Keywords", "Severity", "SeverityValue", "Opcode",
                    "OpcodeValue", "RecordNumber", "ExecutionProcessID", "ExecutionThreadID", "EventType",
                    "Task", "Version", "ProviderGuid", "AccountType", "Category", "Message"}


class RecordingError(Exception):
    """A recording that cannot be read; the message names the file and, where known, the line."""


@dataclass
class Recording:
    path: Path
    events: list[dict] = field(default_factory=list)  # Sigma taxonomy
    skipped: int = 0  # records that are not events (not objects)


def read_recording(path: Path) -> Recording:
    """The events of a recording file, in the Sigma taxonomy. Raises RecordingError."""
    try:
        if not path.is_file():
            raise RecordingError(f"{path}: not a regular file")
        if path.stat().st_size > MAX_RECORDING_BYTES:
            raise RecordingError(f"{path}: larger than {MAX_RECORDING_BYTES >> 20} MiB")
    except OSError as exc:
        raise RecordingError(f"{path}: {exc.strerror or exc}") from None
    records = _evtx_records(path) if path.suffix.lower() == ".evtx" else _json_records(path)
    recording = Recording(path)
    for record in records:
        if len(recording.events) >= MAX_EVENTS:
            raise RecordingError(f"{path}: more than {MAX_EVENTS:,} events; split the recording")
        if isinstance(record, dict):
            recording.events.append(to_taxonomy(record))
        else:
            recording.skipped += 1
    return recording


def _json_records(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RecordingError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise RecordingError(f"{path}: {exc.strerror or exc}") from None
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise RecordingError(f"{path}: not JSON ({exc})") from None
        return data if isinstance(data, list) else [data]
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except (ValueError, RecursionError) as exc:
            raise RecordingError(f"{path}:{number}: not a JSON object ({exc})") from None
    return records


def _evtx_records(path: Path) -> Iterator[dict]:
    try:
        from evtx import PyEvtxParser
    except ImportError:
        raise RecordingError(f"{path}: reading .evtx needs the `evtx` package: "
                             "pip install 'detection-as-code[evtx]'") from None
    try:
        parser = PyEvtxParser(str(path))
        for record in parser.records():
            yield evtx_xml_to_event(record["data"])
    except (OSError, RuntimeError, ValueError) as exc:
        raise RecordingError(f"{path}: not a readable .evtx file ({exc})") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def evtx_xml_to_event(xml: str) -> dict:
    """One event record's XML (as Windows renders it) -> the Sigma taxonomy: System's EventID,
    Provider, Channel and Computer, and each EventData / UserData value by its name."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise RecordingError(f"an event record is not XML ({exc})") from None
    event: dict[str, Any] = {}
    for element in root.iter():
        name = _local(element.tag)
        if name == "EventID" and element.text:
            event["EventID"] = _number(element.text.strip())
        elif name == "Provider":
            provider = element.get("Name")
            if provider:
                event["Provider_Name"] = provider
        elif name in ("Channel", "Computer") and element.text:
            event[name] = element.text.strip()
    for section in root:
        if _local(section.tag) == "EventData":
            for index, data in enumerate(section):
                key = data.get("Name") or f"Data{index}"
                event[key] = data.text or ""
        elif _local(section.tag) == "UserData":
            for leaf in section.iter():
                if len(leaf) == 0 and leaf.text and leaf.text.strip():
                    event[_local(leaf.tag)] = leaf.text.strip()
    return event


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text


def to_taxonomy(record: dict) -> dict:
    """A recorded event in any of the supported shapes -> the Sigma taxonomy."""
    winlog = record.get("winlog")
    if isinstance(winlog, dict):  # winlogbeat
        event: dict[str, Any] = {}
        if "event_id" in winlog:
            event["EventID"] = _number(str(winlog["event_id"]))
        for key, name in (("provider_name", "Provider_Name"), ("channel", "Channel"), ("computer_name", "Computer")):
            if isinstance(winlog.get(key), str):
                event[name] = winlog[key]
        data = winlog.get("event_data")
        if isinstance(data, dict):
            event.update({key: value for key, value in data.items() if isinstance(key, str)})
        return event
    if "EventID" in record and ("SourceName" in record or "Channel" in record):  # Security-Datasets
        event = {key: value for key, value in record.items() if key not in _MORDOR_METADATA}
        if "SourceName" in event:
            event["Provider_Name"] = event.pop("SourceName")
        if "Hostname" in event:
            event["Computer"] = event.pop("Hostname")
        event["EventID"] = _number(str(event["EventID"]))
        return event
    return dict(record)
