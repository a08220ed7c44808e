"""Raw-text formats of Sumo Logic messages (`_raw`), named by tooling/platforms/sumo/render.json.

Each builds, from a sample in the Sigma taxonomy, the message text the Sumo Logic source for
that data would deliver. Sources are listed in render.json.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from tooling.platforms.auditd import FORMATS as AUDITD_EXECVE_FORMATS
from tooling.platforms.transforms import (
    compact_json, escape, json_value, key_values, text, windows_insertion_strings, windows_message,
)

SAMPLE_EPOCH = int(datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc).timestamp())
HOST = "ws01.contoso.local"
LINUX_HOST = "lnx01"

_SYSMON_TITLES = {"1": "Process Create:", "12": "Registry object added or deleted:", "13": "Registry value set:",
                  "14": "Registry object renamed:"}


def _dumps(value: Any) -> str:
    return compact_json(value)


SYSMON_PROVIDER = "Microsoft-Windows-Sysmon"
_SYSTEM = frozenset({"EventID", "Provider_Name", "Channel"})  # the event's System part, not its EventData


def _classic(sample: Mapping) -> bool:
    """A classic provider's event (its values unnamed insertion strings), not Sysmon's: samples
    name the provider only then, while a recorded Sysmon event names Sysmon's own."""
    return "Provider_Name" in sample and sample["Provider_Name"] != SYSMON_PROVIDER


def _windows_event_data(sample: Mapping) -> tuple[str, str, str, dict]:
    """(channel, provider, message title, EventData) of a Windows sample."""
    event_id = str(sample.get("EventID", ""))
    if event_id == "4688":
        user = str(sample.get("User", ""))
        domain, _, name = user.rpartition("\\")
        data = {"SubjectUserName": name, "SubjectDomainName": domain, "NewProcessName": sample.get("Image", ""),
                "CommandLine": sample.get("CommandLine", ""), "ParentProcessName": sample.get("ParentImage", "")}
        return "Security", "Microsoft-Windows-Security-Auditing", "A new process has been created.", data
    if _classic(sample):
        # A classic provider's unnamed insertion strings; Sumo does not document how its JSON format
        # names values without a Name, so they are shown as one Data list. The rendered Message is
        # what queries read.
        values = windows_insertion_strings(sample) or [text(sample.get("Data", ""))]
        data = {"Data": values if len(values) > 1 else values[0]}
        return str(sample.get("Channel") or "Application"), str(sample["Provider_Name"]), windows_message(sample), data
    data = {name: text(value) for name, value in sample.items() if name not in _SYSTEM}
    if event_id == "1" and "RuleName" not in data:
        data = {"RuleName": "-", **data}
    return "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", _SYSMON_TITLES.get(event_id, ""), data


def windows_json(sample: dict) -> str:
    """The Installed Collector's Windows Event Log Source in JSON format ("Collect using JSON
    format", "Complete Message"): System fields at the top level, EventData as an object, the
    rendered text in Message; _sourceHost is "parsed from the field Computer"."""
    channel, provider, title, data = _windows_event_data(sample)
    event_id = sample.get("EventID", "")
    if _classic(sample):
        message = title
    else:
        message = "\r\n".join([title, *[f"{k}: {v}" for k, v in data.items()]])
    document = {
        "TimeCreated": "2026-01-01T12:00:00.000000000Z",
        "EventID": int(event_id) if str(event_id).isdigit() else event_id,
        "Task": 0, "Correlation": "", "Keywords": "Audit Success" if channel == "Security" else "Classic",
        "Channel": channel, "Opcode": "Info", "Security": {"UserID": "S-1-5-18"},
        "Provider": {"Name": provider}, "EventRecordID": 1000, "Execution": {"ProcessID": 4, "ThreadID": 8},
        "Version": 5 if channel.endswith("Operational") else 0, "Computer": HOST, "Level": "Information",
        "EventData": data, "Message": message,
    }
    return _dumps(document)


def linux_sysmon_syslog(sample: dict) -> str:
    """Sysmon for Linux writes each event as XML to syslog (Provider Linux-Sysmon, the same
    EventData names as Windows Sysmon, double-quoted attributes)."""
    values = {"RuleName": "-", "UtcTime": "2026-01-01 12:00:00.000", "ProcessId": "4242"}
    values.update({k: text(v) for k, v in sample.items() if k != "EventID"})
    data = "".join([f'<Data Name="{escape(k)}">{escape(str(v))}</Data>' for k, v in values.items()])
    event_id = escape(str(sample.get("EventID", 1)))
    return (f"Jan  1 12:00:00 {LINUX_HOST} sysmon: <Event><System><Provider Name=\"Linux-Sysmon\" "
            f"Guid=\"{{ff032593-a8d3-4f13-b0d6-01fc615a0f97}}\"/><EventID>{event_id}</EventID><Version>5</Version>"
            f"<Channel>Linux-Sysmon/Operational</Channel><Computer>{LINUX_HOST}</Computer></System>"
            f"<EventData>{data}</EventData></Event>")


def auditd(sample: dict) -> str:
    """An auditd record as /var/log/audit/audit.log holds it: type=... msg=audit(time:serial): fields."""
    rest = {k: v for k, v in sample.items() if k != "type"}
    return f"type={sample.get('type', '')} msg=audit({SAMPLE_EPOCH}.000:4242): {key_values(rest)}".rstrip()


def cloudtrail_json(sample: dict) -> str:
    """A CloudTrail record as Sumo's AWS CloudTrail source sends it (one JSON record per message):
    userIdentity and requestParameters are objects."""
    arn = str(sample.get("userIdentity.arn", ""))
    identity = {"type": "AssumedRole" if ":assumed-role/" in arn else "IAMUser", "arn": arn,
                "accountId": arn.split(":")[4] if arn.count(":") >= 5 else ""}
    document = {
        "eventVersion": "1.09", "userIdentity": identity, "eventTime": "2026-01-01T12:00:00Z",
        "eventSource": sample.get("eventSource"), "eventName": sample.get("eventName"), "awsRegion": "us-east-1",
        "sourceIPAddress": sample.get("sourceIPAddress", "198.51.100.1"), "userAgent": "aws-cli/2.15.0",
        "requestParameters": json_value(sample.get("requestParameters")), "responseElements": None,
        "requestID": "0f0e0d0c-0000-4000-8000-000000000001", "eventID": "0f0e0d0c-0000-4000-8000-000000000002",
        "readOnly": False, "eventType": "AwsApiCall", "managementEvent": True,
        "recipientAccountId": identity["accountId"], "eventCategory": "Management",
    }
    return _dumps(document)


def azure_activity_json(sample: dict) -> str:
    """An Activity Log record as exported to Event Hubs (Azure Monitor's resource-log schema) and
    sent by Sumo's Azure Event Hubs source: the caller is in identity.claims, not a top-level
    `caller` (that name belongs to the REST API's schema)."""
    caller = sample.get("caller", "")
    document = {
        "time": "2026-01-01T12:00:00.0000000Z", "resourceId": sample.get("resourceId"),
        "operationName": sample.get("operationName"), "category": "Administrative",
        "resultType": sample.get("resultType"), "resultSignature": "Succeeded.", "durationMs": 0,
        "callerIpAddress": sample.get("callerIpAddress", "203.0.113.1"),
        "correlationId": "00000000-0000-0000-0000-000000000001",
        "identity": {"claims": {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": caller,
                                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": caller}},
        "level": "Information", "location": "global", "properties": {},
    }
    return _dumps(document)


def gcp_pubsub_json(sample: dict) -> str:
    """A Cloud Audit Logs LogEntry as Sumo's Google Cloud Platform source receives it from a
    Pub/Sub push: {"message": {"data": <LogEntry>, "attributes": ...}, "subscription": ...}
    (the Sumo GCP app reads message.data.protoPayload.*)."""
    payload = {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "authenticationInfo": {"principalEmail": sample.get("principalEmail")},
        "requestMetadata": {"callerIp": sample.get("callerIp", "203.0.113.9")},
        "serviceName": sample.get("serviceName"), "methodName": sample.get("methodName"),
        "resourceName": sample.get("resourceName"),
    }
    entry = {"protoPayload": payload, "insertId": "abc123", "resource": {"type": "gce_firewall_rule", "labels": {}},
             "timestamp": "2026-01-01T12:00:00Z", "severity": "NOTICE",
             "logName": "projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity"}
    attributes = {"logging.googleapis.com/timestamp": "2026-01-01T12:00:00Z"}
    return _dumps({"message": {"data": entry, "attributes": attributes, "messageId": "1000"},
                   "subscription": "projects/acme-prod/subscriptions/sumo"})


def m365_json(sample: dict) -> str:
    """A unified audit log record from Sumo's Microsoft Office 365 Audit Source: Parameters is an
    array of {Name, Value}."""
    document = {"CreationTime": "2026-01-01T12:00:00", "Id": "00000000-0000-0000-0000-000000000003",
                "Operation": sample.get("Operation"), "OrganizationId": "00000000-0000-0000-0000-000000000004",
                "RecordType": 1, "ResultStatus": sample.get("ResultStatus", "True"), "UserKey": "1003200000000000",
                "UserType": 2, "Version": 1, "Workload": sample.get("Workload"), "ClientIP": sample.get("ClientIP", ""),
                "ObjectId": sample.get("ObjectId", ""), "UserId": sample.get("UserId"),
                "Parameters": json_value(sample.get("Parameters", "[]"))}
    return _dumps(document)


def fortigate_syslog(sample: dict) -> str:
    """A FortiOS event log line (key=value, string values double-quoted) as syslog delivers it."""
    fields = {"date": "2026-01-01", "time": "12:00:00", "devname": '"FGT01"', "devid": '"FG100FTK00000001"',
              "logid": f'"{sample.get("logid", "")}"', "type": '"event"', "subtype": '"system"',
              "level": '"information"',
              "vd": '"root"', "logdesc": '"Object attribute configured"'}
    for name, value in sample.items():
        if name != "logid":
            fields[name] = '"' + str(text(value)).replace('"', '\\"') + '"'
    if "msg" not in sample:
        words = (sample.get("action", ""), sample.get("cfgpath", ""), sample.get("cfgobj", ""))
        fields["msg"] = '"' + " ".join(str(w) for w in words if w) + '"'
    return "<189>" + " ".join(f"{k}={v}" for k, v in fields.items())


def network_syslog(sample: dict) -> str:
    """A network device's syslog line as received by a Sumo Syslog Source: header, then the
    device's own message."""
    message = str(sample.get("message", ""))
    host = "asa01" if message.startswith("%ASA") else "fw01"
    return f"<166>Jan  1 12:00:00 {host} {message}"


def source_host(value: Any, sample: Mapping | None = None) -> Any:
    return HOST


FORMATS: dict[str, Callable[[dict], str]] = {
    **AUDITD_EXECVE_FORMATS,  # an execve's SYSCALL, EXECVE and PROCTITLE lines
    "windows_json": windows_json, "linux_sysmon_syslog": linux_sysmon_syslog, "auditd": auditd,
    "cloudtrail_json": cloudtrail_json, "azure_activity_json": azure_activity_json,
    "gcp_pubsub_json": gcp_pubsub_json, "m365_json": m365_json, "fortigate_syslog": fortigate_syslog,
    "network_syslog": network_syslog,
}
TRANSFORMS: dict[str, Callable[[Any, Mapping | None], Any]] = {"source_host": source_host}
