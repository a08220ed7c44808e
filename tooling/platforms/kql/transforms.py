"""Transforms and raw formats only Microsoft Sentinel / Defender XDR's render table uses (see
tooling/platforms/transforms.py for the shared ones and how render tables name them)."""
from __future__ import annotations

import re
from typing import Any, Mapping

from tooling.platforms import transforms as shared
from tooling.platforms.transforms import escape

# The Windows event log (channel) a provider writes to: the Event table's EventLog column.
PROVIDER_LOGS = {
    "SecurityCenter": "Application", "Application Error": "Application", "MsiInstaller": "Application",
    "PowerShell": "Windows PowerShell", "Microsoft-Windows-Security-Auditing": "Security",
    "Service Control Manager": "System", "Microsoft-Windows-Eventlog": "System",
    "Microsoft-Windows-Sysmon": "Microsoft-Windows-Sysmon/Operational",
    "Microsoft-Windows-Windows Defender": "Microsoft-Windows-Windows Defender/Operational",
    "Microsoft-Windows-PowerShell": "Microsoft-Windows-PowerShell/Operational",
}
_ASA = re.compile(r"%ASA-(\d)-(\d{6}): ?(.*)", re.S)


def event_log(value: Any, sample: Mapping | None = None) -> Any:
    return PROVIDER_LOGS.get(str(value))


def integer_or_none(value: Any, sample: Mapping | None = None) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def arn_account(value: Any, sample: Mapping | None = None) -> Any:
    """arn:aws:iam::111122223333:user/x -> 111122223333 (the account the call was made in)."""
    parts = str(value).split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


def azure_subscription(value: Any, sample: Mapping | None = None) -> Any:
    match = re.match(r"/subscriptions/([^/]+)", str(value), re.I)
    return match.group(1).lower() if match else None


def lower_text(value: Any, sample: Mapping | None = None) -> Any:
    return value.lower() if isinstance(value, str) else value


def gcp_project(value: Any, sample: Mapping | None = None) -> Any:
    match = re.match(r"projects/([^/]+)", str(value))
    return match.group(1) if match else None


def _asa(value: Any):
    return _ASA.match(value) if isinstance(value, str) else None


def network_table(value: Any, sample: Mapping | None = None) -> Any:
    """Cisco ASA through its Sentinel connector lands in CommonSecurityLog; other device syslog
    (Cisco IOS ...) in Syslog."""
    return "CommonSecurityLog" if _asa(value) else "Syslog"


def asa_vendor(value: Any, sample: Mapping | None = None) -> Any:
    return "Cisco" if _asa(value) else None


def asa_product(value: Any, sample: Mapping | None = None) -> Any:
    return "ASA" if _asa(value) else None


def asa_message_id(value: Any, sample: Mapping | None = None) -> Any:
    match = _asa(value)
    return match.group(2) if match else None


def asa_severity(value: Any, sample: Mapping | None = None) -> Any:
    match = _asa(value)
    return match.group(1) if match else None


def asa_message(value: Any, sample: Mapping | None = None) -> Any:
    match = _asa(value)
    return match.group(3) if match else None


def syslog_message(value: Any, sample: Mapping | None = None) -> Any:
    return None if _asa(value) else value


def syslog_computer(value: Any, sample: Mapping | None = None) -> Any:
    return None if _asa(value) else "rtr01"


TRANSFORMS = {
    "event_log": event_log, "integer_or_none": integer_or_none, "arn_account": arn_account,
    "azure_subscription": azure_subscription, "lower_text": lower_text, "gcp_project": gcp_project,
    "network_table": network_table, "asa_vendor": asa_vendor, "asa_product": asa_product,
    "asa_message_id": asa_message_id, "asa_severity": asa_severity, "asa_message": asa_message,
    "syslog_message": syslog_message, "syslog_computer": syslog_computer,
}

# FortiGate CEF: fields without a CEF name travel in AdditionalExtensions as FTNTFGT<name>=value;...
_FORTI_CEF = {"logid": None, "action": None, "user": None}


def fortigate_extensions(sample: dict) -> str:
    return ";".join(f"FTNTFGT{name}={value}" for name, value in sample.items() if name not in _FORTI_CEF)


def auditd_text(sample: dict) -> str:
    """An auditd record as audisp-syslog writes it: type=... msg=audit(...): key=value ..."""
    kind = sample.get("type", "")
    rest = " ".join(f"{name}={value}" for name, value in sample.items() if name != "type")
    return f"type={kind} msg=audit(1767268800.000:101): {rest}"


def event_data_item(sample: dict) -> str:
    """The Event table's EventData for a classic provider's event: the agent's DataItem wrapping
    the event's <EventData>, each insertion string an unnamed <Data> (as Windows writes them)."""
    data = shared.windows_data_xml(sample).replace(
        "<EventData>", '<EventData xmlns="http://schemas.microsoft.com/win/2004/08/events/event">', 1)
    return (f'<DataItem type="System.XmlData" time="2026-01-01T12:00:00.0000000Z" '
            f'sourceHealthServiceId="00000000-0000-0000-0000-000000000000">{data}</DataItem>')


def parameter_xml(sample: dict) -> str:
    """The Event table's ParameterXml: the insertion strings, one <Param> each."""
    values = shared.windows_insertion_strings(sample) or ([str(sample["Data"])] if "Data" in sample else [])
    return "".join(f"<Param>{escape(value)}</Param>" for value in values)


FORMATS = {"fortigate_extensions": fortigate_extensions, "auditd_text": auditd_text,
           "event_data_item": event_data_item, "parameter_xml": parameter_xml}
