"""How a synthesised Sigma event looks in Splunk, for each pySigma Splunk target of the
differential test (test_spl.py). Test code only: the product's own renderings are
`tooling/platforms/spl/render.json`, which map to the add-ons' CIM fields; the backend without a
CIM pipeline keeps Sigma's field names, so these renderings do too.

    event = splunk_event(sigma_event, logsource, "splunk+splunk_windows", index=0)

What Splunk holds for an event (Search Manual, "About fields": "default fields" index, source,
sourcetype, host, _time, _raw; and the extracted fields): every extracted value is text, a JSON
list becomes a multivalue field, and `_raw` is the event's text, which bare search terms match.

Per target:
- `splunk` (no pipeline): the backend keeps Sigma's field names and adds no log source
  condition, so the event keeps its fields as they are.
- `splunk+splunk_windows`: facts read from pySigma-backend-splunk 2.1.0's `splunk_windows_pipeline`
  (sigma/pipelines/splunk/splunk.py, with pySigma's `generate_windows_logsource_items` and
  `windows_logsource_mapping` in sigma/pipelines/common.py): a rule with `product: windows` and a
  mapped `service` gets `source="WinEventLog:<channel>"` (one of several channels for
  powershell, applocker and security-mitigations), and the field `EventID` is renamed `EventCode`.
  Nothing else changes, so a category rule (process_creation, ...) keeps Sigma's names.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

# Sigma `service` (with product windows) -> the Windows event log channel(s), as the pipeline maps it.
WINDOWS_CHANNELS: dict[str, tuple[str, ...]] = {
    "security": ("Security",),
    "application": ("Application",),
    "system": ("System",),
    "sysmon": ("Microsoft-Windows-Sysmon/Operational",),
    "powershell": ("Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational"),
    "powershell-classic": ("Windows PowerShell",),
    "taskscheduler": ("Microsoft-Windows-TaskScheduler/Operational",),
    "wmi": ("Microsoft-Windows-WMI-Activity/Operational",),
    "dns-server": ("DNS Server",),
    "dns-server-audit": ("Microsoft-Windows-DNS-Server/Audit",),
    "dns-server-analytic": ("Microsoft-Windows-DNS-Server/Analytical",),
    "driver-framework": ("Microsoft-Windows-DriverFrameworks-UserMode/Operational",),
    "ntlm": ("Microsoft-Windows-NTLM/Operational",),
    "dhcp": ("Microsoft-Windows-DHCP-Server/Operational",),
    "msexchange-management": ("MSExchange Management",),
    "applocker": ("Microsoft-Windows-AppLocker/MSI and Script", "Microsoft-Windows-AppLocker/EXE and DLL",
                  "Microsoft-Windows-AppLocker/Packaged app-Deployment",
                  "Microsoft-Windows-AppLocker/Packaged app-Execution"),
    "printservice-admin": ("Microsoft-Windows-PrintService/Admin",),
    "printservice-operational": ("Microsoft-Windows-PrintService/Operational",),
    "codeintegrity-operational": ("Microsoft-Windows-CodeIntegrity/Operational",),
    "smbclient-security": ("Microsoft-Windows-SmbClient/Security",),
    "firewall-as": ("Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",),
    "bits-client": ("Microsoft-Windows-Bits-Client/Operational",),
    "windefend": ("Microsoft-Windows-Windows Defender/Operational",),
    "terminalservices-localsessionmanager": ("Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",),
    "microsoft-servicebus-client": ("Microsoft-ServiceBus-Client",),
    "ldap_debug": ("Microsoft-Windows-LDAP-Client/Debug",),
    "security-mitigations": ("Microsoft-Windows-Security-Mitigations/Kernel Mode",
                             "Microsoft-Windows-Security-Mitigations/User Mode"),
    "diagnosis-scripted": ("Microsoft-Windows-Diagnosis-Scripted/Operational",),
    "shell-core": ("Microsoft-Windows-Shell-Core/Operational",),
    "openssh": ("OpenSSH/Operational",),
    "bitlocker": ("Microsoft-Windows-BitLocker/BitLocker Management",),
    "vhdmp": ("Microsoft-Windows-VHDMP/Operational",),
    "appxdeployment-server": ("Microsoft-Windows-AppXDeploymentServer/Operational",),
    "lsa-server": ("Microsoft-Windows-LSA/Operational",),
    "appxpackaging-om": ("Microsoft-Windows-AppxPackaging/Operational",),
    "dns-client": ("Microsoft-Windows-DNS Client Events/Operational",),
    "appmodel-runtime": ("Microsoft-Windows-AppModel-Runtime/Admin",),
    "capi2": ("Microsoft-Windows-CAPI2/Operational",),
    "certificateservicesclient-lifecycle-system":
        ("Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational",),
}
# The pipeline's FieldMappingTransformation.
WINDOWS_FIELDS = {"EventID": "EventCode"}
SAMPLE_EPOCH = 1_767_268_800  # 2026-01-01T12:00:00Z; synthesised events carry no time of their own


def splunk_value(value: Any) -> Any:
    """A Sigma event value as Splunk extracts it: text, a multivalue field for a list, none for
    null (Splunk has no null field value: the field is simply not there)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, (list, tuple)):
        values = [splunk_value(item) for item in value]
        return [item for item in values if item is not None]
    return value  # an object: Splunk would flatten it into dotted names; left for the evaluator to refuse


def _raw(fields: Mapping[str, Any]) -> str:
    """The event's text: its fields as `name=value` lines (the Windows add-on's classic
    WinEventLog format; any key=value text extracts the same fields)."""
    return "\n".join(f"{name}={json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}"
                     for name, value in fields.items())


def _channel(logsource: Mapping[str, Any], index: int) -> str | None:
    if str(logsource.get("product", "")).lower() != "windows":
        return None
    channels = WINDOWS_CHANNELS.get(str(logsource.get("service", "")).lower())
    return f"WinEventLog:{channels[index % len(channels)]}" if channels else None


def splunk_event(sigma_event: Mapping[str, Any], logsource: Mapping[str, Any], target: str,
                 index: int = 0) -> dict:
    """The event as Splunk holds it for `target` ("splunk" or "splunk+splunk_windows"): the
    default fields, `_raw`, and the extracted fields under the names the target's queries use.
    `index` picks among a service's several channels, so each gets used."""
    windows = target.endswith("+splunk_windows")
    fields: dict[str, Any] = {}
    for name, value in sigma_event.items():
        value = splunk_value(value)
        if value is None:
            continue
        fields[WINDOWS_FIELDS.get(name, name) if windows else name] = value
    event = dict(fields)
    product = str(logsource.get("product", "")).lower()
    channel = _channel(logsource, index) if windows else None
    defaults = {
        "_raw": _raw(fields),
        "_time": SAMPLE_EPOCH + index,
        "host": "host-1",
        "index": product or "main",
        "sourcetype": "WinEventLog" if channel else (product or "sigma") + ":events",
        "source": channel or "sigma",
    }
    for name, value in defaults.items():
        # A default field the rule itself names (a Sigma field called `source`, `host`) keeps
        # the rule's value: that is the field the query tests.
        if name not in event:
            event[name] = value
    return event
