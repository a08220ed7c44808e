"""Events in the Sigma taxonomy, rendered as the Elasticsearch documents each EQL target's query
reads (test code only: the differential test's model of the index, not dac's platform data).

    render(event, target, logsource) -> dict       # flat, dotted ECS keys

- `eql` (no pipeline): the backend keeps Sigma's field names, so the document holds the event's
  own fields. Without a pipeline nothing maps them to ECS types; they are modelled as keyword
  fields (the backend's `like~ (401, 403)` and `EventID:4688` only run on keyword fields), so a
  number is held as its text; a YAML boolean stays a boolean.
- `eql+ecs_windows` (pySigma-backend-elasticsearch's Winlogbeat ECS mapping, pipeline
  `ecs_windows`, read from sigma/pipelines/elasticsearch/windows.py and sigma/pipelines/common.py
  of the pinned version): for rules of product windows, fields are renamed by the per-category
  mapping, then by the general mapping, and any other field without a dotted prefix goes under
  `winlog.event_data.`; values are held as text except the ports, process ids and addresses the
  pipeline leaves typed; a boolean `Initiated` becomes network.direction egress / ingress; the
  log source's service adds its event-log channel (`winlog.channel`).
  Rules of other products pass through unchanged, as in `eql`.
"""
from __future__ import annotations

import re
from typing import Any

# The per-log-source renames that win over the general ones: Sigma field -> [(logsource key,
# value, ECS field)].
_BY_LOGSOURCE: dict[str, list[tuple[str, str, str]]] = {
    "FileVersion": [("category", "process_creation", "process.pe.file_version"),
                    ("category", "image_load", "file.pe.file_version")],
    "Description": [("category", "process_creation", "process.pe.description"),
                    ("category", "image_load", "file.pe.description"),
                    ("category", "sysmon_error", "winlog.event_data.Description")],
    "Product": [("category", "process_creation", "process.pe.product"),
                ("category", "image_load", "file.pe.product")],
    "Company": [("category", "process_creation", "process.pe.company"),
                ("category", "image_load", "file.pe.company")],
    "OriginalFileName": [("category", "process_creation", "process.pe.original_file_name"),
                         ("category", "image_load", "file.pe.original_file_name")],
    "CommandLine": [("category", "process_creation", "process.command_line"),
                    ("service", "security", "process.command_line"),
                    ("service", "powershell-classic", "powershell.command.value")],
    "Protocol": [("category", "network_connection", "network.transport")],
    "Initiated": [("category", "network_connection", "network.direction")],
    "Signature": [("category", "driver_loaded", "file.code_signature.subject_name"),
                  ("category", "image_loaded", "file.code_signature.subject_name")],
    "EngineVersion": [("service", "powershell-classic", "powershell.engine.version")],
    "HostVersion": [("service", "powershell-classic", "powershell.process.executable_version")],
    "SubjectLogonId": [("service", "security", "winlog.logon.id")],
    "ServiceName": [("service", "security", "service.name")],
    "SubjectDomainName": [("service", "security", "user.domain")],
    "SubjectUserName": [("service", "security", "user.name")],
    "SubjectUserSid": [("service", "security", "user.id")],
    "TargetLogonId": [("service", "security", "winlog.logon.id")],
}

# The general renames, grouped by ECS field (several Sigma fields land on one).
_BY_ECS_FIELD: dict[str, tuple[str, ...]] = {
    "event.code": ("EventID",),
    "winlog.channel": ("Channel",),
    "winlog.provider_name": ("Provider_Name",),
    "winlog.computer_name": ("ComputerName",),
    "file.path": ("FileName", "TargetFilename", "ImageLoaded", "Device", "ScriptName"),
    "process.entity_id": ("ProcessGuid", "SourceProcessGuid", "HostId"),
    "process.pid": ("ProcessId", "SourceProcessId", "NewProcessId"),
    "process.executable.caseless": ("Image", "SourceImage", "Destination", "Application", "NewProcessName",
                                    "ProcessName"),
    "process.working_directory": ("CurrentDirectory",),
    "process.parent.entity_id": ("ParentProcessGuid",),
    "process.parent.pid": ("ParentProcessId",),
    "process.parent.executable.caseless": ("ParentImage",),
    "process.parent.command_line": ("ParentCommandLine",),
    "process.parent.name.caseless": ("ParentProcessName",),
    "source.ip": ("SourceIp", "ClientAddress", "IpAddress", "SourceAddress"),
    "source.domain": ("SourceHostname", "ClientName", "WorkstationName"),
    "source.port": ("SourcePort", "IpPort"),
    "destination.ip": ("DestinationIp", "DestAddress"),
    "destination.domain": ("DestinationHostname",),
    "destination.port": ("DestinationPort", "DestPort"),
    "network.protocol": ("DestinationPortName",),
    "file.code_signature.signed": ("Signed",),
    "file.code_signature.status": ("SignatureStatus",),
    "file.pe.imphash": ("Imphash",),
    "process.thread.id": ("SourceThreadId",),
    "registry.path": ("TargetObject",),
    "file.name": ("PipeName",),
    "dns.question.name": ("QueryName",),
    "sysmon.dns.status": ("QueryStatus",),
    "sysmon.file.is_executable": ("IsExecutable",),
    "sysmon.file.archived": ("Archived",),
    "powershell.command.name": ("CommandName",),
    "powershell.command.path": ("CommandPath",),
    "powershell.command.type": ("CommandType",),
    "process.command_line": ("HostApplication",),
    "process.title": ("HostName",),
    "powershell.engine.new_state": ("NewEngineState",),
    "powershell.pipeline_id": ("PipelineId",),
    "powershell.engine.previous_state": ("PreviousEngineState",),
    "powershell.runspace_id": ("RunspaceId",),
    "event.sequence": ("SequenceNumber",),
    "powershell.provider.new_state": ("NewProviderState",),
    "powershell.provider.name": ("ProviderName",),
    "powershell.sequence": ("MessageNumber",),
    "powershell.total": ("MessageTotal",),
    "powershell.file.script_block_text": ("ScriptBlockText", "Payload"),
    "powershell.file.script_block_id": ("ScriptBlockId",),
    "user.domain": ("AccountDomain", "TargetDomainName"),
    "user.name": ("AccountName", "User"),
}
_GENERAL = {sigma: ecs for ecs, names in _BY_ECS_FIELD.items() for sigma in names}

# Fields the pipeline leaves typed (its values_to_str step skips them).
_TYPED = frozenset(("destination.port", "source.port", "process.parent.pid", "process.pid", "destination.ip",
                    "source.ip"))

# Sigma log source service -> the Windows event-log channel the pipeline requires (the first,
# where the pipeline accepts several).
_CHANNELS = {
    "security": "Security", "application": "Application", "system": "System",
    "sysmon": "Microsoft-Windows-Sysmon/Operational", "powershell": "Microsoft-Windows-PowerShell/Operational",
    "powershell-classic": "Windows PowerShell", "taskscheduler": "Microsoft-Windows-TaskScheduler/Operational",
    "wmi": "Microsoft-Windows-WMI-Activity/Operational", "dns-server": "DNS Server",
    "dns-server-audit": "Microsoft-Windows-DNS-Server/Audit",
    "dns-server-analytic": "Microsoft-Windows-DNS-Server/Analytical",
    "driver-framework": "Microsoft-Windows-DriverFrameworks-UserMode/Operational",
    "ntlm": "Microsoft-Windows-NTLM/Operational", "dhcp": "Microsoft-Windows-DHCP-Server/Operational",
    "msexchange-management": "MSExchange Management", "applocker": "Microsoft-Windows-AppLocker/MSI and Script",
    "printservice-admin": "Microsoft-Windows-PrintService/Admin",
    "printservice-operational": "Microsoft-Windows-PrintService/Operational",
    "codeintegrity-operational": "Microsoft-Windows-CodeIntegrity/Operational",
    "smbclient-security": "Microsoft-Windows-SmbClient/Security",
    "firewall-as": "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
    "bits-client": "Microsoft-Windows-Bits-Client/Operational",
    "windefend": "Microsoft-Windows-Windows Defender/Operational",
    "terminalservices-localsessionmanager":
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
    "microsoft-servicebus-client": "Microsoft-ServiceBus-Client", "ldap_debug": "Microsoft-Windows-LDAP-Client/Debug",
    "security-mitigations": "Microsoft-Windows-Security-Mitigations/Kernel Mode",
    "diagnosis-scripted": "Microsoft-Windows-Diagnosis-Scripted/Operational",
    "shell-core": "Microsoft-Windows-Shell-Core/Operational", "openssh": "OpenSSH/Operational",
    "bitlocker": "Microsoft-Windows-BitLocker/BitLocker Management", "vhdmp": "Microsoft-Windows-VHDMP/Operational",
    "appxdeployment-server": "Microsoft-Windows-AppXDeploymentServer/Operational",
    "lsa-server": "Microsoft-Windows-LSA/Operational",
    "appxpackaging-om": "Microsoft-Windows-AppxPackaging/Operational",
    "dns-client": "Microsoft-Windows-DNS Client Events/Operational",
    "appmodel-runtime": "Microsoft-Windows-AppModel-Runtime/Admin", "capi2": "Microsoft-Windows-CAPI2/Operational",
    "certificateservicesclient-lifecycle-system":
        "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational",
}

_PREFIXED = re.compile(r"\w+\.")  # a field that already names its object keeps its name


def _text(value: Any) -> Any:
    """A keyword field's value: numbers as the text the log holds (a JSON boolean stays one)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return [_text(item) for item in value]
    return value


def ecs_windows_field(name: str, logsource: dict) -> str:
    """The document field the ecs_windows pipeline gives the Sigma field `name`."""
    for key, wanted, ecs in _BY_LOGSOURCE.get(name, ()):
        if logsource.get(key) == wanted:
            return ecs
    if name in _GENERAL:
        return _GENERAL[name]
    return name if _PREFIXED.match(name) else f"winlog.event_data.{name}"


def render(event: dict, target: str, logsource: dict) -> dict:
    if target == "eql" or logsource.get("product") != "windows":
        return {name: _text(value) for name, value in event.items()}
    if target != "eql+ecs_windows":
        raise ValueError(f"no rendering for the target {target!r}")
    document: dict = {}
    channel = _CHANNELS.get(logsource.get("service", ""))
    if channel is not None:
        document["winlog.channel"] = channel
    for name, value in event.items():
        field = ecs_windows_field(name, logsource)
        if field == "network.direction" and isinstance(value, bool):
            value = "egress" if value else "ingress"  # the pipeline's network_direction_* steps
        document[field] = value if field in _TYPED else _text(value)
    return document
