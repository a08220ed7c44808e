"""IBM QRadar's own render transforms and payload formats (see `tooling/platforms/aql/render.json`).

QRadar keeps each event's raw text as its `payload` (AQL reads it with `UTF8(payload)`); the
formats here write the payload each log source sends, from a sample in the Sigma taxonomy:
* `wincollect`: the WinCollect agent's tab-separated "AgentDevice=WindowsLog" form with the
  event's rendered Message (IBM "Microsoft Windows Security Event Log sample event messages");
* `auditd` / `linux_process`: Linux audit records as the Linux OS DSM receives them over syslog;
* `fortigate`: FortiOS key=value event logs (string values quoted, as FortiOS writes them);
* `syslog_message`: a network device's syslog line (Cisco ASA / IOS, PAN-OS).
Only functions registered here can be named by render.json.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from tooling.platforms import transforms as shared
from tooling.platforms.auditd import STAMP, execve_record

HOST = "ws01.contoso.local"
# The Sysmon message's field order for the kinds the samples use (Sysmon's own event templates).
_SYSMON_TITLES = {1: "Process Create:", 12: "Registry object added or deleted:", 13: "Registry value set:",
                  14: "Registry object renamed:"}
_SYSMON_TASKS = {1: "SysmonTask-SYSMON_CREATE_PROCESS", 12: "SysmonTask-SYSMON_REG_KEY",
                 13: "SysmonTask-SYSMON_REG_SETVALUE", 14: "SysmonTask-SYSMON_REG_NAME"}


def _event_id(sample: Mapping) -> int | None:
    try:
        return int(sample.get("EventID"))
    except (TypeError, ValueError):
        return None


def wincollect(sample: dict) -> str:
    """WinCollect's payload: tab-separated header fields, then Message= with the rendered text."""
    event_id = _event_id(sample)
    provider = str(sample.get("Provider_Name", "Microsoft-Windows-Sysmon"))
    log_file = "Microsoft-Windows-Sysmon/Operational" if provider == "Microsoft-Windows-Sysmon" else "Application"
    if provider == "Microsoft-Windows-Sysmon":
        lines = [_SYSMON_TITLES.get(event_id, "Sysmon event:")]
        lines += [f"{name}: {shared.text(value)}" for name, value in sample.items()
                  if name not in ("EventID", "Provider_Name")]
        message = "  ".join(lines)
    else:
        message = shared.windows_message(sample)  # the text Windows renders from the insertion strings
    header = {
        "AgentDevice": "WindowsLog", "AgentLogFile": log_file, "PluginVersion": "7.3.1.16",
        "Source": provider, "Computer": HOST, "OriginatingComputer": HOST, "User": "SYSTEM",
        "Domain": "NT AUTHORITY", "EventID": event_id if event_id is not None else "",
        "EventIDCode": event_id if event_id is not None else "", "EventType": 4,
        "EventCategory": event_id if provider == "Microsoft-Windows-Sysmon" else 0,
        "Level": "Informational", "Task": _SYSMON_TASKS.get(event_id, "None"), "Opcode": "Info",
    }
    return "\t".join([f"{k}={v}" for k, v in header.items()]) + f"\tMessage={message}"


def auditd(sample: dict) -> str:
    """An auditd record: type=... msg=audit(time:serial): key=value ..."""
    fields = " ".join([f"{k}={shared.text(v)}" for k, v in sample.items() if k != "type"])
    return f"type={sample.get('type', 'UNKNOWN')} {STAMP} {fields}"


def linux_process(sample: dict) -> str:
    """Linux process creation: Sysmon for Linux (EventID 1) sends its XML over syslog; otherwise
    the audit EXECVE record, whose arguments are a0, a1, ... (quoted, or hex)."""
    if "EventID" in sample:
        return f"<14>Jan  1 12:00:00 lnx01 sysmon: {shared.sysmon_xml(sample)}"
    return execve_record(sample)  # with the kernel's quoting: an argument with a blank is hex


def fortigate(sample: dict) -> str:
    """FortiOS event log: date/time, device, then the sample's fields; text values quoted."""
    def show(value: Any) -> str:
        value = shared.text(value)
        return f'"{value}"' if isinstance(value, str) else str(value)

    head = 'date=2026-01-01 time=12:00:00 devname="fw01" devid="FG100FTK00000000" type="event" subtype="system"'
    return head + " " + " ".join(f"{name}={show(value)}" for name, value in sample.items())


def syslog_message(sample: dict) -> str:
    return f"<189>Jan 01 2026 12:00:00 netdev01 : {sample.get('message', '')}"


def _vendor(message: Any) -> str | None:
    text = str(message)
    if "%ASA-" in text:
        return "asa"
    if "%PARSER-" in text or "%SYS-" in text or "%LINEPROTO-" in text:
        return "ios"
    if ",CONFIG," in text or ",TRAFFIC," in text or ",SYSTEM," in text:
        return "panos"
    return None


def network_devicetype(value: Any, sample: Mapping | None = None) -> Any:
    """The log source type (devicetype) a network syslog line is parsed by."""
    return {"asa": 41, "ios": 20, "panos": 206}.get(_vendor(value))


def network_logsource(value: Any, sample: Mapping | None = None) -> Any:
    return {"asa": 108, "ios": 109, "panos": 110}.get(_vendor(value))


TRANSFORMS: dict[str, Callable[[Any, Mapping | None], Any]] = {
    "network_devicetype": network_devicetype, "network_logsource": network_logsource,
}
FORMATS: dict[str, Callable[[dict], str]] = {
    "wincollect": wincollect, "auditd": auditd, "linux_process": linux_process, "fortigate": fortigate,
    "syslog_message": syslog_message,
}
