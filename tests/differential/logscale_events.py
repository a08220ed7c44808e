"""How a synthesised Sigma event looks in CrowdStrike Falcon LogScale, for each pySigma LogScale
target of the differential test (test_logscale.py). Test code only: the product's own renderings
are `tooling/platforms/logscale/render.json`; these follow what each backend target's queries test.

    event = logscale_event(sigma_event, logsource, "log_scale+crowdstrike_falcon", index=0)

What LogScale holds for an event (library.humio.com, "Events", "Parsing JSON", "Operators"):
`@timestamp` (milliseconds since the epoch), `@rawstring` (the event's text, which free-text
filters and `/regex/` without a field search), tags such as `#event_simpleName`, and the parsed
fields. Field values are text ("values are basically strings", Expressions); a JSON parser turns
nested objects into dotted names (`a.b`) and arrays into `name[0]`, `name[1]`.

Per target:
- `log_scale` (no pipeline): the backend keeps Sigma's field names and adds no log source
  condition, so the event keeps its fields; `@rawstring` is the event's JSON, as a JSON log
  ingested into LogScale keeps it.
- `log_scale+crowdstrike_falcon`: facts read from pySigma-backend-crowdstrike 3.0.0's
  `crowdstrike_falcon_pipeline` (sigma/pipelines/crowdstrike/crowdstrike.py), written here in our
  own structure: per log source a `#event_simpleName` and `event_platform`, the Sysmon-to-Falcon
  field names, and the values Falcon holds in place of Sysmon's (a device path for a drive letter,
  a file name for a parent or context image, numbers for integrity levels and DNS record types).
  Log sources the pipeline does not know keep their fields, as without a pipeline.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping

SAMPLE_EPOCH_MS = 1_767_268_800_000  # 2026-01-01T12:00:00Z; synthesised events carry no time of their own
FALCON = "log_scale+crowdstrike_falcon"

# (product, category) -> the #event_simpleName values the pipeline's AddConditionTransformation
# requires (either one), and the event_platform value ("cql_win", "cql_process_creation_nix/mac").
_PROCESS = ("ProcessRollup2", "SyntheticProcessRollup2")
EVENT_TYPES: dict[tuple[str, str], tuple[tuple[str, ...], str | None]] = {
    ("windows", "process_creation"): (_PROCESS, "Win"),
    ("linux", "process_creation"): (_PROCESS, "Lin"),
    ("macos", "process_creation"): (_PROCESS, "Mac"),
    ("windows", "dns_query"): (("DnsRequest",), "Win"),
    ("windows", "driver_load"): (("DriverLoad",), "Win"),
    ("windows", "image_load"): (("ClassifiedModuleLoad",), "Win"),
    ("windows", "ps_script"): (("CommandHistory", "ScriptControlScanTelemetry"), "Win"),
    # network_connection: NetworkConnectIP4 or NetworkReceiveAcceptIP4 by the event's Initiated
    # (the pipeline adds the condition only when the rule tests `Initiated: 'true'`/`'false'`).
    ("windows", "network_connection"): ((), None),
}
PLATFORMS = {"windows": "Win", "linux": "Lin", "macos": "Mac"}

# (product, category) -> Sigma field -> Falcon field(s) (FieldMappingTransformation); a field
# mapped to several is an OR over them in the query, so the value goes into the first.
_PROCESS_FIELDS = {"Image": "ImageFileName", "ParentImage": "ParentBaseFileName", "User": "UserName",
                   "ProcessId": "RawProcessId", "sha256": "SHA256HashData", "Computer": "ComputerName",
                   "OriginalFileName": "OriginalFilename"}
FIELDS: dict[tuple[str, str], dict[str, str]] = {
    ("windows", "process_creation"): _PROCESS_FIELDS,
    ("linux", "process_creation"): _PROCESS_FIELDS,
    ("macos", "process_creation"): _PROCESS_FIELDS,
    ("windows", "network_connection"): {"DestinationIp": "RemoteAddressIP4", "DestinationPort": "RemotePort",
                                        "Image": "ContextBaseFileName", "SourcePort": "LocalPort"},
    ("windows", "dns_query"): {"QueryName": "DomainName", "record_type": "RequestType",
                               "Image": "ContextBaseFileName", "QueryResults": "IP4Records"},
    ("windows", "image_load"): {"Image": "TargetImageFileName", "ImageLoaded": "ImageFileName",
                                "sha256": "SHA256HashData", "md5": "MD5HashData"},
    ("windows", "driver_load"): {"ImageLoaded": "ImageFileName", "sha256": "SHA256HashData",
                                 "md5": "MD5HashData", "OriginalFileName": "OriginalFilename"},
    ("windows", "ps_script"): {"Payload": "ScriptContent", "ScriptBlockText": "ScriptContent"},
}
# The pipeline drops `Initiated` from network_connection rules (it becomes the event type).
DROPPED = {("windows", "network_connection"): {"Initiated"}}
# Falcon's numbers for Sysmon's names (MapStringTransformation): integrity levels, DNS types.
INTEGRITY_LEVELS = {"protected": "20480", "system": "16384", "high": "12288", "medium_plus": "8448",
                    "medium": "8192", "low": "4096", "untrusted": "0"}
RECORD_TYPES = {"a": "1", "ns": "2", "cname": "5", "ptr": "12", "mx": "15", "txt": "16", "aaaa": "28",
                "any": "255"}
# Falcon holds full image paths as NT device paths (the pipeline rewrites `C:` in the rule's
# values to `\Device\HarddiskVolume?`) and only the file name of a parent or context image.
DEVICE_PATH_FIELDS = {"ImageFileName", "TargetImageFileName"}
BASE_NAME_FIELDS = {"ParentBaseFileName", "ContextBaseFileName"}
_DRIVE = re.compile(r"\b[A-Za-z]:(?=\\)")  # a drive letter before a backslash, wherever the path sits in the text


def logscale_value(value: Any) -> str | None:
    """A scalar as LogScale holds it: text; None for null (how LogScale keeps a JSON null is not
    documented, so the rendering leaves the field out, as an event without it)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if not isinstance(value, str) else value


def _flatten(name: str, value: Any, out: dict[str, str]) -> None:
    """Nested objects become dotted names and arrays `name[i]`, as LogScale's JSON parsing does."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{name}.{key}", inner, out)
    elif isinstance(value, (list, tuple)):
        for position, inner in enumerate(value):
            _flatten(f"{name}[{position}]", inner, out)
    else:
        text = logscale_value(value)
        if text is not None:
            out[name] = text


def _falcon_value(name: str, text: str) -> str:
    if name in DEVICE_PATH_FIELDS:
        return _DRIVE.sub(r"\\Device\\HarddiskVolume3", text)
    if name in BASE_NAME_FIELDS:
        return re.split(r"[\\/]", text)[-1]
    if name == "IntegrityLevel":
        return INTEGRITY_LEVELS.get(text.lower(), text)
    if name == "RequestType":
        return RECORD_TYPES.get(text.lower(), text)
    return text


def _network_type(sigma_event: Mapping[str, Any]) -> str | None:
    initiated = logscale_value(sigma_event.get("Initiated"))
    if initiated is None:
        return None
    return {"true": "NetworkConnectIP4", "false": "NetworkReceiveAcceptIP4"}.get(initiated.lower())


def _source(logsource: Mapping[str, Any]) -> tuple[str, str]:
    return str(logsource.get("product") or "").lower(), str(logsource.get("category") or "").lower()


def logscale_event(sigma_event: Mapping[str, Any], logsource: Mapping[str, Any], target: str,
                   index: int = 0) -> dict:
    """The event as LogScale holds it for `target` ("log_scale" or "log_scale+crowdstrike_falcon").
    `index` picks among a log source's several event types, so each gets used."""
    falcon = target == FALCON
    source = _source(logsource)
    mapping = FIELDS.get(source, {}) if falcon else {}
    dropped = DROPPED.get(source, set()) if falcon else set()
    fields: dict[str, str] = {}
    for name, value in sigma_event.items():
        if name in dropped:
            continue
        _flatten(mapping.get(name, name), value, fields)
    tags: dict[str, str] = {}
    if falcon:
        fields = {name: _falcon_value(name, text) for name, text in fields.items()}
        types, platform = EVENT_TYPES.get(source, ((), None))
        if source == ("windows", "network_connection"):
            chosen = _network_type(sigma_event)
            types = (chosen,) if chosen else ()
        if types:
            tags["#event_simpleName"] = types[index % len(types)]
            fields.setdefault("event_simpleName", tags["#event_simpleName"])
        platform = platform or PLATFORMS.get(source[0])
        if platform:
            fields.setdefault("event_platform", platform)
        if source == ("windows", "ps_script") and tags.get("#event_simpleName") == "CommandHistory":
            # CommandHistory events hold the text in CommandHistory, the scan telemetry in ScriptContent
            if "ScriptContent" in fields:
                fields["CommandHistory"] = fields.pop("ScriptContent")
    event: dict[str, Any] = dict(tags)
    event.update(fields)
    event["@rawstring"] = json.dumps(fields, ensure_ascii=False)
    event["@timestamp"] = SAMPLE_EPOCH_MS + index
    return event
