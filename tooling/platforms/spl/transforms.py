"""Splunk's own value transforms and raw-text formats for `spl/render.json` (see
tooling/platforms/transforms.py for the shared ones and the rules: only these names can be used).

Raw text is what Splunk stores in `_raw` and what bare search terms, `rex` and `regex` read:
- Windows: XmlWinEventLog XML (Splunk Add-on for Microsoft Windows / for Sysmon, renderXml=true),
  with the rendered message in RenderingInfo/Message for classic channels.
- Sysmon for Linux: the same XML, provider Linux-Sysmon (Splunk Add-on for Sysmon for Linux).
- auditd: `type=... msg=audit(<time>:<serial>): key=value ...` (Splunk Add-on for Unix and Linux).
- Cloud: the JSON record as the add-on receives it (CloudTrail record, Azure Monitor activity
  record from Event Hub, Pub/Sub message wrapping a GCP LogEntry, Office 365 management API record).
- FortiGate: key="value" syslog; Cisco: the syslog line with its %FACILITY-SEVERITY-MNEMONIC tag.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping

from tooling.platforms import transforms as shared
from tooling.platforms.transforms import compact_json, escape, quoteattr

# --- transforms ---------------------------------------------------------------------------------


def registry_event_type(value: Any, sample: Mapping | None = None) -> Any:
    """Sysmon's EventType: the sample's own, else what the event ID always carries (13 SetValue,
    14 RenameKey); Sysmon 12 is CreateKey or DeleteKey, so it is not guessed."""
    if sample and sample.get("EventType"):
        return sample["EventType"]
    return {"13": "SetValue", "14": "RenameKey"}.get(str(value))


def registry_action(value: Any, sample: Mapping | None = None) -> Any:
    """CIM Endpoint.Registry `action` for a Sysmon EventType (created, modified, deleted)."""
    kind = registry_event_type((sample or {}).get("EventID"), sample) if value is None else value
    return {"SetValue": "modified", "CreateKey": "created", "DeleteKey": "deleted", "DeleteValue": "deleted",
            "RenameKey": "modified"}.get(str(kind))


_TYPED_DATA = re.compile(r"\w+\s\((.+)\)")


def registry_value_data(value: Any, sample: Mapping | None = None) -> Any:
    """CIM `registry_value_data` as the Sysmon add-on builds it: the payload of a typed Details
    (`DWORD (0x00000000)` -> `0x00000000`: its RegistryValueData extraction), else Details itself."""
    found = _TYPED_DATA.fullmatch(value) if isinstance(value, str) else None
    return found.group(1) if found else value


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def json_items_name(value: Any, sample: Mapping | None = None) -> Any:
    """An array of {"Name","Value"} objects (Office 365 Parameters) -> `Parameters{}.Name` values,
    as Splunk's JSON extraction names an array's members."""
    return _items(value, "Name")


def json_items_value(value: Any, sample: Mapping | None = None) -> Any:
    return _items(value, "Value")


def _items(value: Any, key: str) -> Any:
    items = _json(value)
    if not isinstance(items, list):
        return None
    found = [shared.text(item.get(key)) for item in items if isinstance(item, dict) and key in item]
    return None if not found else found[0] if len(found) == 1 else found


def syslog_sourcetype(value: Any, sample: Mapping | None = None) -> Any:
    """The sourcetype the Cisco add-ons assign a syslog line by its tag."""
    text = str(value)
    if "%ASA-" in text or "%FTD-" in text:
        return "cisco:asa"
    if re.search(r"%[A-Z0-9_]+-\d-[A-Z0-9_]+:", text):
        return "cisco:ios"
    return "syslog"


def asa_message_id(value: Any, sample: Mapping | None = None) -> Any:
    found = re.search(r"%(?:ASA|FTD)-\d-(\d{6}):", str(value))
    return found.group(1) if found else None


def ios_mnemonic(value: Any, sample: Mapping | None = None) -> Any:
    found = re.search(r"%(?!ASA-|FTD-)([A-Z0-9_]+)-(\d)-([A-Z0-9_]+):", str(value))
    return found.group(3) if found else None


def ios_facility(value: Any, sample: Mapping | None = None) -> Any:
    found = re.search(r"%(?!ASA-|FTD-)([A-Z0-9_]+)-(\d)-([A-Z0-9_]+):", str(value))
    return found.group(1) if found else None


def xml_event_source(value, sample=None):
    """A Windows event's channel -> the source the Splunk Add-on for Windows gives it (XML mode)."""
    return f"XmlWinEventLog:{value}" if value else None


def hex_id(value: Any, sample: Mapping | None = None) -> Any:
    """A process id as the Security log writes it (0x1a2c)."""
    try:
        return hex(int(str(value), 0))
    except ValueError:
        return str(value)


def creator_and_target(part: str) -> Any:
    """A 4688's Account_Name / Account_Domain: the add-on extracts both the Creator Subject's and
    the Target Subject's line (the latter '-' when the process runs as its creator), so the field
    is multivalued."""
    pick = shared.user_name if part == "name" else shared.user_domain

    def transform(value: Any, sample: Mapping | None = None) -> Any:
        return [pick(value, sample) or "-", "-"]
    return transform


TRANSFORMS = {
    "xml_event_source": xml_event_source,
    "registry_event_type": registry_event_type, "registry_action": registry_action,
    "registry_value_data": registry_value_data,
    "json_items_name": json_items_name, "json_items_value": json_items_value,
    "syslog_sourcetype": syslog_sourcetype, "asa_message_id": asa_message_id,
    "ios_mnemonic": ios_mnemonic, "ios_facility": ios_facility, "hex_id": hex_id,
    "creator_and_target_name": creator_and_target("name"), "creator_and_target_domain": creator_and_target("domain"),
}

# --- raw-text formats ---------------------------------------------------------------------------

COMPUTER = "ws01.contoso.local"
LINUX_HOST = "lnx01.contoso.local"


def _windows_xml(provider: str, event_id: Any, channel: str, computer: str, data: str, message: str = "") -> str:
    rendering = (f"<RenderingInfo Culture='en-US'><Message>{escape(message)}</Message></RenderingInfo>"
                 if message else "")
    return (f"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
            f"<Provider Name={quoteattr(provider)}/><EventID>{escape(str(event_id))}</EventID>"
            f"<Channel>{escape(channel)}</Channel><Computer>{escape(computer)}</Computer></System>"
            f"<EventData>{data}</EventData>{rendering}</Event>")


def _data(sample: Mapping, skip: tuple = ("EventID", "Provider_Name")) -> str:
    return "".join([f"<Data Name={quoteattr(str(name))}>{escape(str(shared.text(value)))}</Data>"
                    for name, value in sample.items() if name not in skip])


def sysmon_xml(sample: dict) -> str:
    """A Sysmon event as XmlWinEventLog keeps it; a registry event gets its EventType."""
    fields = dict(sample)
    if str(fields.get("EventID")) in ("12", "13", "14") and not fields.get("EventType"):
        kind = registry_event_type(fields.get("EventID"), fields)
        if kind:
            fields = {"EventType": kind, **fields}
    return _windows_xml("Microsoft-Windows-Sysmon", fields.get("EventID", 1),
                        "Microsoft-Windows-Sysmon/Operational", COMPUTER, _data(fields))


def windows_event_xml(sample: dict) -> str:
    """A classic channel's event (Application, System ...): its insertion strings (the sample's
    param1, param2 ...) as unnamed <Data> values, as the provider writes them, and the message
    Windows renders from them, which Splunk keeps in RenderingInfo/Message (the add-on's Message)."""
    provider = str(sample.get("Provider_Name", ""))
    channel = str(sample.get("Channel", "Application"))
    data = shared.windows_data_xml(sample)[len("<EventData>"):-len("</EventData>")]
    return _windows_xml(provider, sample.get("EventID", ""), channel, COMPUTER, data, shared.windows_message(sample))


def linux_sysmon_xml(sample: dict) -> str:
    return _windows_xml("Linux-Sysmon", sample.get("EventID", 1), "Linux-Sysmon/Operational", LINUX_HOST,
                        _data(sample))


def auditd_line(sample: dict) -> str:
    rest = {k: v for k, v in sample.items() if k != "type"}
    return f"type={sample.get('type', '')} msg=audit(1767268800.000:4242): {shared.key_values(rest)}"


def cloudtrail_json(sample: dict) -> str:
    record: dict = {"eventVersion": "1.08", "eventType": "AwsApiCall", "awsRegion": "us-east-1"}
    for name, value in sample.items():
        if name == "requestParameters":
            record[name] = _json(value)
        elif name.startswith("userIdentity."):
            record.setdefault("userIdentity", {})[name.split(".", 1)[1]] = value
        else:
            record[name] = value
    return compact_json(record)


_GCP = {"methodName": "methodName", "serviceName": "serviceName", "resourceName": "resourceName",
        "principalEmail": "authenticationInfo.principalEmail", "callerIp": "requestMetadata.callerIp"}


def gcp_pubsub_json(sample: dict) -> str:
    payload: dict = {"@type": "type.googleapis.com/google.cloud.audit.AuditLog"}
    for name, value in sample.items():
        node = payload
        *heads, last = _GCP.get(name, name).split(".")
        for head in heads:
            node = node.setdefault(head, {})
        node[last] = value
    entry = {"protoPayload": payload, "logName": "projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity",
             "severity": "NOTICE"}
    return compact_json({"data": entry, "attributes": {"logging.googleapis.com/timestamp": "2026-01-01T12:00:00Z"}})


def o365_json(sample: dict) -> str:
    record = {name: _json(value) if name == "Parameters" else value for name, value in sample.items()}
    return compact_json(record)


def fortigate_kv(sample: dict) -> str:
    head = 'date=2026-01-01 time=12:00:00 devname="FGT01" devid="FG100F0000000001" type="event" subtype="system"'
    body = " ".join(f'{name}="{shared.text(value)}"' for name, value in sample.items())
    return f"{head} {body}"


def cisco_syslog(sample: dict) -> str:
    return f"Jan  1 12:00:00 netdev01 : {sample.get('message', '')}"


def security_4688_message(sample: dict) -> str:
    """The message Windows renders for a Security 4688 (Windows 10 and later, command-line
    auditing on): the add-on extracts each 'Name: value' line as Name_With_Underscores."""
    user = str(sample.get("User", ""))
    domain, _, name = user.rpartition("\\")
    return "\n".join([
        "A new process has been created.", "", "Creator Subject:",
        "\tSecurity ID:\t\tS-1-5-21-1004336348-1177238915-682003330-1104",
        f"\tAccount Name:\t\t{name or '-'}", f"\tAccount Domain:\t\t{domain or '-'}", "\tLogon ID:\t\t0x4A3F2",
        "", "Target Subject:", "\tSecurity ID:\t\tS-1-0-0", "\tAccount Name:\t\t-", "\tAccount Domain:\t\t-",
        "\tLogon ID:\t\t0x0", "", "Process Information:",
        f"\tNew Process ID:\t\t{hex_id(sample.get('ProcessId', 6700))}",
        f"\tNew Process Name:\t{shared.text(sample.get('Image', ''))}",
        "\tToken Elevation Type:\t%%1938", "\tMandatory Label:\t\tMandatory Label\\Medium Mandatory Level",
        f"\tCreator Process ID:\t{hex_id(sample.get('ParentProcessId', 4420))}",
        f"\tCreator Process Name:\t{shared.text(sample.get('ParentImage', ''))}",
        f"\tProcess Command Line:\t{shared.text(sample.get('CommandLine', ''))}"])


def security_4688_text(sample: dict) -> str:
    """A Security 4688 as the add-on keeps a classic (renderXml=false) event: header lines, then
    the message."""
    return "\n".join([
        "01/01/2026 12:00:00 PM", "LogName=Security", "EventCode=4688", "EventType=0", f"ComputerName={COMPUTER}",
        "SourceName=Microsoft Windows security auditing.", "Type=Information", "RecordNumber=104221",
        "Keywords=Audit Success", "TaskCategory=Process Creation", "OpCode=Info",
        f"Message={security_4688_message(sample)}"])


FORMATS = {
    "sysmon_xml": sysmon_xml, "windows_event_xml": windows_event_xml, "linux_sysmon_xml": linux_sysmon_xml,
    "auditd_line": auditd_line, "cloudtrail_json": cloudtrail_json, "gcp_pubsub_json": gcp_pubsub_json,
    "o365_json": o365_json, "fortigate_kv": fortigate_kv, "cisco_syslog": cisco_syslog,
    "security_4688_text": security_4688_text, "security_4688_message": security_4688_message,
}
