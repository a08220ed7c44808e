"""Render a synthesised Sigma event as a Google SecOps UDM event (nested), the way pySigma's
`secops_udm` pipeline (pySigma-backend-secops) assumes the event looks, and the backend's UDM
search query as the YARA-L rule our evaluator runs.

The facts below are read from the pipeline (sigma/pipelines/secops/mappings.py, utils.py,
transformations.py and the GroupedFields of udm_field_schema.json), restated here as data.
Test-only: dac's own rendering of samples is tooling/platforms/yaral/, which follows the UDM
field list rather than the pipeline.

The query. The backend's default output is a UDM search (`target.process.command_line = /x/
nocase AND ...`: fields without an event variable), which Google documents as YARA-L 2.0 syntax
for search; its `yara_l` output format is not valid YARA-L (`conditions:` for `condition:`,
unescaped quotes in meta, spaces in the rule name). So `as_rule` does what that format means to
do: every UDM field gets the event variable (`$e.`), the expression becomes the events section of
a one-event rule with `condition: $e`. Two search-only forms are rewritten on the way: a grouped
field (`user`, `file_path`, `hash`, ...: "aliases for groups of related UDM fields", each member
tested) and the empty event-type group `()` the backend writes when a rule has no event type
(meant as no constraint).
"""
from __future__ import annotations

import re
from typing import Any

# The rule's UDM event types (the pipeline's, from the logsource or the EventIDs) are read from the
# query's leading `(metadata.event_type = "..." OR ...)` group, which the pipeline writes from them.
# UDM event type -> the pipeline's field-mapping group (get_field_mapping_type).
_GROUP_OF = {
    **dict.fromkeys(("PROCESS_LAUNCH", "PROCESS_TERMINATION", "PROCESS_OPEN", "PROCESS_MODULE_LOAD",
                     "PROCESS_INJECTION", "PROCESS_TAMPERING", "PROCESS_UNCATEGORIZED"), "process"),
    **dict.fromkeys(("FILE_CREATION", "FILE_DELETION", "FILE_MODIFICATION", "FILE_READ", "FILE_COPY", "FILE_OPEN",
                     "FILE_MOVE", "FILE_SYNC", "FILE_UNCATEGORIZED"), "file"),
    **dict.fromkeys(("NETWORK_CONNECTION", "NETWORK_FLOW", "NETWORK_FTP", "NETWORK_DHCP", "NETWORK_DNS",
                     "NETWORK_HTTP", "NETWORK_SMTP", "NETWORK_UNCATEGORIZED"), "network"),
    **dict.fromkeys(("REGISTRY_CREATION", "REGISTRY_MODIFICATION", "REGISTRY_DELETION", "REGISTRY_UNCATEGORIZED"),
                    "registry"),
    **dict.fromkeys(("USER_LOGIN", "USER_LOGOUT", "USER_CREATION", "USER_CHANGE_PASSWORD", "USER_CHANGE_PERMISSIONS",
                     "USER_UNCATEGORIZED"), "authentication"),
    **dict.fromkeys(("GENERIC_EVENT", "STATUS_UNCATEGORIZED", "STATUS_HEARTBEAT", "STATUS_STARTUP", "STATUS_SHUTDOWN",
                     "STATUS_UPDATE"), "common"),
}

# Sigma field -> UDM path, per mapping group (get_field_mappings); the event type's group first,
# then `common` for the fields it does not name; any other field keeps its name.
FIELDS: dict[str, dict[str, str]] = {
    "common": {
        "AccessMask": "target.process.access_mask", "User": "user", "Image": "file_path",
        "GrandparentImage": "file_path", "GrandparentProcessId": "process_id", "ParentImage": "file_path",
        "ProcessId": "process_id", "ParentProcessId": "process_id", "SourceHostname": "principal.hostname",
        "DestinationHostname": "target.hostname", "EventID": "metadata.product_event_type",
        "Provider_Name": "metadata.product_name", "ServiceName": "target.process.file.names",
        "ServiceFileName": "file_path", "AccountName": "user", "SubjectUserName": "principal.user.userid",
        "SubjectDomainName": "domain", "TargetUserName": "target.user.userid", "TargetDomainName": "domain",
        "IpAddress": "ip", "IpPort": "principal.port", "WorkstationName": "hostname", "Hostname": "hostname",
        "ComputerName": "hostname", "Hashes": "hash", "md5": "hash", "sha1": "hash", "sha256": "hash",
        "sha512": "hash", "imphash": "hash",
    },
    "process": {
        "CommandLine": "target.process.command_line", "CurrentDirectory": "target.process.file.full_path",
        "Image": "target.process.file.full_path",
        "GrandparentCommandLine": "principal.process.parent_process.command_line",
        "OriginalFileName": "target.process.file.names", "ParentImage": "principal.process.file.full_path",
        "ParentCommandLine": "principal.process.command_line",
        "ProcessGuid": "target.process.product_specific_process_id", "ProcessId": "target.process.pid",
        "ParentProcessImage": "principal.process.file.full_path",
        "ParentProcessCommandLine": "principal.process.command_line", "ParentProcessId": "principal.process.pid",
        "ParentProcessGuid": "principal.process.product_specific_process_id", "ParentUser": "principal.user.userid",
        "IntegrityLevel": "target.process.integrity_level_rid", "User": "target.user.userid",
    },
    "network": {
        "SourceIp": "principal.ip", "DestinationIp": "target.ip", "SourcePort": "principal.port",
        "DestinationPort": "target.port", "Protocol": "network.ip_protocol",
        "Image": "principal.process.file.full_path", "Initiated": "network.direction", "User": "principal.user.userid",
        "DestinationHostname": "target.hostname", "SourceHostname": "principal.hostname",
        "QueryName": "network.dns.questions.name", "QueryResults": "network.dns.answers.data",
        "QueryStatus": "network.dns.response_code",
    },
    "file": {
        "TargetFilename": "target.file.names", "Image": "target.process.file.full_path",
        "ObjectName": "target.file.full_path", "OldName": "target.file.names", "NewName": "target.file.names",
        "OriginalFileName": "target.file.names",
    },
    "authentication": {
        "TargetUserName": "target.user.userid", "SubjectUserName": "principal.user.user_display_name",
        "TargetOutboundUserName": "target.user.userid", "TargetUserSid": "target.user.windows_sid",
        "TargetServerName": "target.hostname", "WorkstationName": "principal.hostname", "IpAddress": "principal.ip",
        "IpPort": "principal.port", "LogonGuid": "principal.user.product_object_id",
    },
    "registry": {
        "TargetObject": "target.registry.registry_key", "Details": "target.registry.registry_value_data",
        "EventType": "metadata.event_type", "Image": "principal.process.file.full_path",
        "ProcessId": "principal.process.pid", "User": "principal.user.userid",
        "ObjectName": "target.registry.registry_key", "ObjectValueName": "target.registry.registry_value_name",
        "NewName": "target.registry.registry_key",
    },
    "dns": {  # no event type maps to this group in the pipeline (NETWORK_DNS takes "network")
        "QueryName": "network.dns.questions.name", "QueryResults": "network.dns.answers.data",
        "QueryStatus": "network.dns.response_code", "record_type": "network.dns.questions.type",
        "answers": "network.dns.answers.name",
    },
}

# Grouped fields (UDM search aliases), their members (udm_field_schema.json GroupedFields).
GROUPED: dict[str, tuple[str, ...]] = {
    "domain": ("about.administrative_domain", "about.asset.network_domain", "network.dns.questions.name",
               "network.dns_domain", "principal.administrative_domain", "principal.asset.network_domain",
               "target.administrative_domain", "target.asset.hostname", "target.asset.network_domain",
               "target.hostname"),
    "email": ("intermediary.user.email_addresses", "network.email.from", "network.email.to",
              "principal.user.email_addresses", "security_result.about.user.email_addresses",
              "target.user.email_addresses"),
    "file_path": ("principal.file.full_path", "principal.process.file.full_path",
                  "principal.process.parent_process.file.full_path", "target.file.full_path",
                  "target.process.file.full_path", "target.process.parent_process.file.full_path"),
    "hash": ("about.file.md5", "about.file.sha1", "about.file.sha256", "principal.process.file.md5",
             "principal.process.file.sha1", "principal.process.file.sha256", "security_result.about.file.sha256",
             "target.file.md5", "target.file.sha1", "target.file.sha256", "target.process.file.md5",
             "target.process.file.sha1"),
    "hostname": ("intermediary.hostname", "observer.hostname", "principal.asset.hostname", "principal.hostname",
                 "src.asset.hostname", "src.hostname", "target.asset.hostname", "target.hostname"),
    "ip": ("intermediary.ip", "observer.ip", "principal.artifact.ip", "principal.asset.ip", "principal.ip",
           "src.artifact.ip", "src.asset.ip", "src.ip", "target.artifact.ip", "target.asset.ip", "target.ip"),
    "namespace": ("principal.namespace", "src.namespace", "target.namespace"),
    "process_id": ("principal.process.parent_process.pid",
                   "principal.process.parent_process.product_specific_process_id", "principal.process.pid",
                   "principal.process.product_specific_process_id",
                   "target.process.parent_process.pid", "target.process.parent_process.product_specific_process_id",
                   "target.process.pid", "target.process.product_specific_process_id"),
    "user": ("about.user.userid", "observer.user.userid", "principal.user.user_display_name", "principal.user.userid",
             "principal.user.windows_sid", "src.user.userid", "target.user.user_display_name", "target.user.userid",
             "target.user.windows_sid"),
}
# Where a value mapped to a grouped field is held in the event: one member, the one UDM would use
# for the Sigma field (the acting process and its parent are `principal` in UDM).
_GROUP_HOLDER = {
    ("file_path", "ParentImage"): "principal.process.parent_process.file.full_path",
    ("file_path", "GrandparentImage"): "target.process.parent_process.file.full_path",
    ("file_path", "Image"): "principal.process.file.full_path",
    ("file_path", "ServiceFileName"): "target.file.full_path",
    ("process_id", "ParentProcessId"): "principal.process.parent_process.pid",
    ("process_id", "GrandparentProcessId"): "target.process.parent_process.pid",
    ("process_id", "ProcessId"): "principal.process.pid",
    ("user", "User"): "principal.user.userid",
    ("user", "AccountName"): "target.user.userid",
    ("domain", "SubjectDomainName"): "principal.administrative_domain",
    ("domain", "TargetDomainName"): "target.administrative_domain",
    ("ip", "IpAddress"): "principal.ip",
    ("hostname", "WorkstationName"): "principal.hostname",
    ("hostname", "Hostname"): "principal.hostname",
    ("hostname", "ComputerName"): "principal.hostname",
}
# Hash algorithm (Sysmon's `MD5=...` prefix or the Sigma field) -> the member holding it; UDM has
# no field for IMPHASH or SHA512 among the group.
_HASH_HOLDER = {"md5": "principal.process.file.md5", "sha1": "principal.process.file.sha1",
                "sha256": "principal.process.file.sha256"}
_HASH = re.compile(r"\b(MD5|SHA1|SHA256|SHA512|IMPHASH)=([^,\s]*)", re.IGNORECASE)

# UDM fields of an integer type (the UDM field list: int32 ports, uint32 / uint64 codes).
INTEGER_FIELDS = frozenset({
    "target.port", "principal.port", "src.port", "target.process.integrity_level_rid", "target.process.access_mask",
    "network.dns.response_code", "network.dns.questions.type",
})
# Repeated UDM fields among the mapped ones: a list in the event (a repeated message holds one
# element with the fields mapped into it).
REPEATED_VALUES = frozenset({"target.file.names", "target.process.file.names", "principal.ip", "target.ip"})
REPEATED_MESSAGES = {"network.dns.questions": ("name", "type"), "network.dns.answers": ("data", "name")}
# Enumerations the pipeline converts (enum_mappings) and the UDM enumerations it does not convert
# (the event holds the UDM value, which is upper case).
ENUM_VALUES = {"network.direction": {"inbound": "INBOUND", "outbound": "OUTBOUND", "broadcast": "BROADCAST",
                                     "true": "OUTBOUND", "false": "INBOUND"}}
UPPER_ENUMS = frozenset({"network.ip_protocol"})
# Integrity level names as UDM holds them (integrity_level_rid: the mandatory label's RID).
INTEGRITY_RIDS = {"untrusted": 0, "low": 4096, "medium": 8192, "mediumplus": 8448, "high": 12288, "system": 16384,
                  "protected": 20480}

_EVENT_TYPES = re.compile(r'metadata\.event_type = "([A-Z_]+)"')


def event_types(query: str) -> list[str]:
    """The UDM event types the query's leading group names (the pipeline's `event_types`, in the
    order its field mapping gives precedence to)."""
    head = query[:query.find(") AND (") + 1] if query.startswith("(") else ""
    return _EVENT_TYPES.findall(head)


def path_of(field: str, types: list[str]) -> str:
    """The UDM path (or grouped field) the pipeline maps a Sigma field to for these event types."""
    for event_type in types:  # the first event type's mapping wins
        mapped = FIELDS.get(_GROUP_OF.get(event_type, ""), {}).get(field)
        if mapped:
            return mapped
    return FIELDS["common"].get(field, field)


def _put(event: dict, path: str, value: Any) -> None:
    node = event
    *heads, last = path.split(".")
    for head in heads:
        inner = node.get(head)
        if not isinstance(inner, dict):
            inner = node[head] = {}
        node = inner
    node[last] = value


def _udm_value(path: str, value: Any) -> Any:
    """A Sigma value as the UDM field at `path` holds it."""
    if path in ENUM_VALUES:
        return ENUM_VALUES[path].get(str(value).lower(), str(value).upper())
    if path in UPPER_ENUMS:
        return str(value).upper()
    if path == "target.process.integrity_level_rid" and isinstance(value, str):
        return INTEGRITY_RIDS.get(value.lower().replace(" ", ""), value)
    if path in INTEGER_FIELDS and isinstance(value, str) and value.isdigit():
        return int(value)
    if path not in INTEGER_FIELDS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # UDM strings (pids, event codes) hold numbers as text
    if isinstance(value, bool):
        return str(value).lower()
    return value


def render(event: dict, query: str) -> dict:
    """The Sigma-taxonomy event as the UDM event the query was written for."""
    types = event_types(query)
    udm: dict = {"metadata": {"event_type": types[0]}} if types else {}
    repeated: dict[str, dict] = {}
    for field, value in event.items():
        if value is None:
            continue
        path = path_of(field, types)
        if path == "hash":
            pairs = _HASH.findall(str(value)) if field == "Hashes" else [(field, str(value))]
            for algorithm, digest in pairs:
                holder = _HASH_HOLDER.get(algorithm.lower())
                if holder:
                    _put(udm, holder, digest)
            continue
        if path in GROUPED:
            path = _GROUP_HOLDER.get((path, field), GROUPED[path][0])
        value = _udm_value(path, value)
        message = next((m for m in REPEATED_MESSAGES if path.startswith(m + ".")), None)
        if message is not None:
            repeated.setdefault(message, {})[path[len(message) + 1:]] = value
            continue
        _put(udm, path, [value] if path in REPEATED_VALUES else value)
    for message, element in repeated.items():
        _put(udm, message, [element])
    return udm


# --- the query as a YARA-L rule ------------------------------------------------------------------

class NotARule(Exception):
    """A search the test cannot write as a YARA-L rule (the reason, for the summary)."""


_TOKEN = re.compile(r'''
    (?P<string>"(?:\\.|[^"\\\n])*")
  | (?P<regex>/(?:\\.|[^\\/\n])+/)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<number>[0-9]+(?:\.[0-9]+)?)
  | (?P<op>!=|<=|>=|=|<|>)
  | (?P<space>\s+)
  | (?P<other>.)
''', re.VERBOSE | re.DOTALL)
_KEYWORD = re.compile(r'(^|[(\s])""[^"\s)]')
_KEYWORDS = {"and", "or", "not", "nocase", "in", "regex", "cidr", "true", "false", "null", "any", "all"}


def as_rule(query: str) -> str:
    """The backend's UDM search as a one-event YARA-L rule (see the module's docstring)."""
    text = query.strip()
    if text.startswith("() AND ("):
        text = text[len("() AND "):]
    if _KEYWORD.search(text):
        raise NotARule("a keyword search (the backend writes it as a bare, doubly quoted string)")
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text)]
    out: list[str] = []
    index = 0
    while index < len(tokens):
        kind, value = tokens[index]
        if kind == "name" and value.lower() not in _KEYWORDS:
            following = next((t for t in tokens[index + 1:] if t[0] != "space"), ("", ""))
            if following[1] == "(":
                out.append(value)  # a function (net.ip_in_range_cidr)
            elif value in GROUPED:
                index = _grouped(tokens, index, out)
                continue
            else:
                out.append("$e." + value)
        else:
            out.append(value)
        index += 1
    events = "".join(out)
    return "rule sigma {\n  events:\n    " + events + "\n  condition:\n    $e\n}\n"


def _grouped(tokens: list, index: int, out: list[str]) -> int:
    """`group op value [nocase]` as its members, each tested: grouped fields are "aliases for
    groups of related UDM fields" (GroupedFields, Chronicle API reference), with which "UDM search
    ... search[es] multiple fields of similar type" (the group() function's page), so `=` holds
    when a member holds it. What `!=` means on a group is not documented: not evaluated."""
    name = tokens[index][1]
    rest = [(i, t) for i, t in enumerate(tokens) if i > index and t[0] != "space"]
    if len(rest) < 2 or rest[0][1][0] != "op" or rest[1][1][0] not in ("string", "regex", "number"):
        raise NotARule(f"the grouped field {name} outside a comparison")
    operator, value = rest[0][1][1], rest[1][1][1]
    end = rest[1][0] + 1
    nocase = ""
    if len(rest) > 2 and rest[2][1][1].lower() == "nocase":
        nocase, end = " nocase", rest[2][0] + 1
    if operator != "=":
        raise NotARule(f"a grouped field compared with {operator} (not documented)")
    members = " OR ".join(f"$e.{member} {operator} {value}{nocase}" for member in GROUPED[name])
    out.append(f"({members})")
    return end
