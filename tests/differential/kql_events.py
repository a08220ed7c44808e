"""Render a synthesised Sigma event as a Microsoft Defender XDR advanced hunting row, the way
pySigma's `microsoft_xdr` pipeline (pySigma-backend-kusto) assumes the row looks: the table the
pipeline picks for the rule, its field names, and the value rewrites it makes on the query side
made on the event side too, so that the event and the query describe the same thing.

The facts below are read from the pipeline (sigma/pipelines/microsoftxdr/mappings.py and
transformations.py, sigma/pipelines/kusto_common/), restated here as data. Test-only: dac's own
rendering of samples is tooling/platforms/kql/render.json, which follows Defender's documented
schema rather than the pipeline's.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from tooling.platforms import platform_schema

# Logsource category -> table (CATEGORY_TO_TABLE_MAPPINGS).
CATEGORY_TABLES = {
    "process_creation": "DeviceProcessEvents",
    "image_load": "DeviceImageLoadEvents",
    "file_access": "DeviceFileEvents",
    "file_change": "DeviceFileEvents",
    "file_delete": "DeviceFileEvents",
    "file_event": "DeviceFileEvents",
    "file_rename": "DeviceFileEvents",
    "registry_add": "DeviceRegistryEvents",
    "registry_delete": "DeviceRegistryEvents",
    "registry_event": "DeviceRegistryEvents",
    "registry_set": "DeviceRegistryEvents",
    "network_connection": "DeviceNetworkEvents",
}

# Sigma field -> column, per table; a field a table does not name takes the generic column.
_PROCESS_VERSION = {
    "FileVersion": "ProductVersion", "Description": "FileDescription", "Product": "ProductName",
    "Company": "CompanyName", "OriginalFileName": "OriginalFileName",
}
TABLE_FIELDS: dict[str, dict[str, str]] = {
    "DeviceProcessEvents": {
        "ProcessId": "ProcessId", "Image": "FolderPath", "CommandLine": "ProcessCommandLine", "User": "AccountName",
        "LogonId": "LogonId", "IntegrityLevel": "ProcessIntegrityLevel", "sha1": "SHA1", "sha256": "SHA256",
        "md5": "MD5", "ParentProcessId": "InitiatingProcessId", "ParentImage": "InitiatingProcessFolderPath",
        "ParentCommandLine": "InitiatingProcessCommandLine", "ParentUser": "InitiatingProcessAccountName",
        "GrandParentImage": "InitiatingProcessParentFileName",
        **{k: f"ProcessVersionInfo{v}" for k, v in _PROCESS_VERSION.items()},
    },
    "DeviceImageLoadEvents": {
        "ProcessId": "InitiatingProcessId", "Image": "InitiatingProcessFolderPath", "ImageLoaded": "FolderPath",
        "sha1": "SHA1", "sha256": "SHA256", "md5": "MD5", "User": "InitiatingProcessAccountName",
        **{k: f"InitiatingProcessVersionInfo{v}" for k, v in _PROCESS_VERSION.items()},
    },
    "DeviceFileEvents": {
        "ProcessId": "InitiatingProcessId", "Image": "InitiatingProcessFolderPath", "TargetFilename": "FolderPath",
        "User": "RequestAccountName", "sha1": "SHA1", "sha256": "SHA256", "md5": "MD5", "ObjectName": "FolderPath",
        "IntegrityLevel": "InitiatingProcessIntegrityLevel",
    },
    "DeviceNetworkEvents": {
        "ProcessId": "InitiatingProcessId", "Image": "InitiatingProcessFolderPath",
        "User": "InitiatingProcessAccountName", "Protocol": "Protocol", "SourceIp": "LocalIP",
        "SourceHostname": "DeviceName", "SourcePort": "LocalPort", "DestinationIp": "RemoteIP",
        "DestinationHostname": "RemoteUrl", "DestinationPort": "RemotePort",
    },
    "DeviceRegistryEvents": {
        "EventType": "ActionType", "ProcessId": "InitiatingProcessId", "Image": "InitiatingProcessFolderPath",
        "TargetObject": "RegistryKey", "Details": "RegistryValueData", "User": "InitiatingProcessAccountName",
        "ObjectName": "RegistryKey",
    },
}
GENERIC_FIELDS = {
    "EventType": "ActionType", "User": "InitiatingProcessAccountName", "CommandLine": "InitiatingProcessCommandLine",
    "Image": "InitiatingProcessFolderPath", "ProcessName": "InitiatingProcessFolderPath",
    "SourceImage": "InitiatingProcessFolderPath", "ProcessId": "InitiatingProcessId", "md5": "InitiatingProcessMD5",
    "sha1": "InitiatingProcessSHA1", "sha256": "InitiatingProcessSHA256",
    "ParentProcessId": "InitiatingProcessParentId", "ParentCommandLine": "InitiatingProcessParentCommandLine",
    "Company": "InitiatingProcessVersionInfoCompanyName", "Description": "InitiatingProcessVersionInfoFileDescription",
    "OriginalFileName": "InitiatingProcessVersionInfoOriginalFileName",
    "Product": "InitiatingProcessVersionInfoProductName",
}
# Fields the pipeline drops from the detection (they select the Windows event, not the row).
DROPPED = {"EventID", "EventCode", "ObjectType"}
# The account columns whose DOMAIN\user values the pipeline splits, and their domain columns.
ACCOUNT_DOMAINS = {
    "AccountName": "AccountDomain", "RequestAccountName": "RequestAccountDomain",
    "InitiatingProcessAccountName": "InitiatingProcessAccountDomain",
}
# Sysmon's registry hive abbreviations as the pipeline writes them in RegistryKey (anchored, in order).
HIVE_REWRITES = [
    (re.compile(r"(?i)^HKLM\\SYSTEM\\CurrentControlSet"), "HKEY_LOCAL_MACHINE\\\\SYSTEM\\\\CurrentControlSet001"),
    (re.compile(r"(?i)^HKLM"), "HKEY_LOCAL_MACHINE"),
    (re.compile(r"(?i)^HKU"), "HKEY_USERS"),
    (re.compile(r"(?i)^HKCR"), "HKEY_LOCAL_MACHINE\\\\CLASSES"),
]
# Sysmon EventType -> DeviceRegistryEvents ActionType (the first where the pipeline allows two).
REGISTRY_ACTIONS = {
    "CreateKey": "RegistryKeyCreated", "DeleteKey": "RegistryKeyDeleted", "SetValue": "RegistryValueSet",
    "RenameKey": "RegistryValueSet",
}
_ACTIONS_FOLDED = {sysmon.lower(): action for sysmon, action in REGISTRY_ACTIONS.items()}
_HASH = re.compile(r"\b(MD5|SHA1|SHA256)=([^,\s]*)", re.IGNORECASE)


def table_for(logsource: dict, query: str) -> str:
    """The table the pipeline chose: by the logsource's category, else (EventID rules) the one the
    query names first."""
    table = CATEGORY_TABLES.get(str(logsource.get("category") or ""))
    return table or query.split("\n", 1)[0].strip()


def column(field: str, table: str, category: str) -> str:
    if field in TABLE_FIELDS.get(table, {}):
        return TABLE_FIELDS[table][field]
    if field in GENERIC_FIELDS:
        return GENERIC_FIELDS[field]
    if field == "ParentImage" and category != "process_creation":
        return "InitiatingProcessParentFileName"
    return field


def _basename(value: Any) -> Any:
    return value.split("\\")[-1].split("/")[-1] if isinstance(value, str) else value


def _hive(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    for pattern, replacement in HIVE_REWRITES:
        value = pattern.sub(replacement, value, count=1)
    return value


def _hashes(value: Any) -> dict[str, str]:
    """Sysmon's `SHA1=..,MD5=..,IMPHASH=..` as the MD5 / SHA1 / SHA256 columns."""
    return {algorithm.upper(): digest for algorithm, digest in _HASH.findall(str(value))}


@lru_cache(maxsize=None)
def columns_of(table: str) -> dict[str, str]:
    """Column -> type, as Defender's schema (tooling/platforms/kql) gives the table."""
    return dict(platform_schema("kql").fields_of(table) or {})


@lru_cache(maxsize=None)
def empty_row(table: str) -> dict[str, Any]:
    """A row of `table` with nothing filled: a string column "" (Kusto strings are never null),
    any other null."""
    return {name: "" if kind == "string" else None for name, kind in columns_of(table).items()}


def typed(value: Any, kind: str | None) -> Any:
    """A Sigma value as the column's type holds it: Sigma compares 4444 and "4444" alike, a
    Defender column holds one type (RegistryValueData is a string, RemotePort a number)."""
    if kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if kind == "number" and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def render(event: dict, logsource: dict, query: str) -> dict:
    """The Defender XDR row the pipeline's query reads for this Sigma event: the table's columns
    (empty where the event says nothing) overlaid with the event's fields, mapped."""
    table = table_for(logsource, query)
    category = str(logsource.get("category") or "")
    row: dict[str, Any] = {**empty_row(table), "$table": table}
    for field, value in event.items():
        if field in DROPPED:
            continue
        if field == "Hashes":
            row.update(_hashes(value))
            continue
        name = column(field, table, category)
        if name == "InitiatingProcessParentFileName" and field == "ParentImage":
            value = _basename(value)
        elif name in ("RegistryKey", "PreviousRegistryKey"):
            value = _hive(value)
        elif name == "ActionType" and table == "DeviceRegistryEvents":
            # Defender writes its own ActionType whatever the case of Sysmon's EventType.
            value = _ACTIONS_FOLDED.get(value.lower(), value) if isinstance(value, str) else value
        if name in ACCOUNT_DOMAINS and isinstance(value, str) and value.count("\\") == 1:
            domain, value = value.split("\\")
            row[ACCOUNT_DOMAINS[name]] = domain
        row[name] = typed(value, columns_of(table).get(name))
    return row
