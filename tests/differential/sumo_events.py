"""How a synthesised Sigma event looks to a Sumo Logic search over Cloud SIEM records, and which
search the pySigma Sumo Logic backend's rule expression stands for, for the differential test
(test_sumo.py). Test code only: the product's own renderings are `tooling/platforms/sumo/`.

    expression = rule_expression(case.query)              # the Cloud SIEM rule's "expression"
    query = search_query(expression)                      # _index=sec_record_* | where ...
    event = sumo_record(sigma_event, case.logsource, expression, index=0)

What the backend emits. pySigma-backend-sumologic 0.2.5 (`sumologic_cse` with the
`sumologic_cse` pipeline) writes no search query: it writes a Cloud SIEM rule as JSON, whose
`expression` is a Cloud SIEM *rule expression* over normalized records (`metadata_vendor="…" AND
commandLine matches /.*x.*/ AND fields['EventData.X']="y"`). That is not a search, but Sumo
Logic documents how a rule expression is prototyped as one: "run the following query …
`_index=sec_record_* | where metadata_vendor = "Microsoft" and …`", and, to make a rule of it,
"remove the first portion of the query (`_index=sec_record_*` and `| where`)"
(docs/cse/rules/before-writing-custom-rule.md). The where-clause operators the backend uses
(`=`, `in`, `matches /regex/`, `isEmpty`, `!`, AND, OR, `<` …) are the search language's own;
the rules syntax page describes `matches` with the search form (`where foo matches /.*bar.*/`,
docs/cse/rules/cse-rules-syntax.md). So `search_query` only prepends that documented prefix.

One construct is rule syntax and not search syntax: the unnormalized-field map access
`fields['X']`. Searches over records reach the same attribute as `%"fields.X"` ("You can access
the contents of nested attributes, like `fields` … `| where %"fields.application"="test_app"`",
docs/cse/records-signals-entities-insights/search-cse-records-in-sumo.md). `search_query`
rewrites that one construct and nothing else; `uses_field_map` tells the test which rules needed
it, so that the two groups are reported apart.

What a record looks like in such a search: the record's attributes as fields (`metadata_vendor`,
`metadata_product`, `metadata_deviceEventId`, the schema attributes such as `commandLine`,
`baseImage`), the unnormalized message fields under `fields` (dotted names `fields.EventData.X`
for nested JSON), `_index` the partition of the record type (the table in
search-cse-records-in-sumo.md), `_raw` the record's JSON. Values are text.

Where each Sigma field goes: facts read from the pipeline (sigma/pipelines/sumologic/
logsource_mappings.yaml, the field mappings applied in order, each under its log source
condition) and the backend (sigma/backends/sumologic/sumologic.py: a mapped name with a dot is
`fields['…']`; a name outside the Cloud SIEM schema in a rule with a product or service is
`fields['EventData.X']` on Windows, `fields['X']` elsewhere; the Windows header fields
`Provider_Name`, `Channel`, … are `fields['Provider.Name']`, `fields['Channel']`; an EventID
becomes `metadata_deviceEventId` "<channel>-<id>" when the rule names a service; a Windows `Data`
value "Key=Value" is tested as `EventData.Key`), restated here as data. The vendor and product
of the record are those the backend prepends to the expression (its logsource table,
vendor_product_mapping.py): a record from that source carries them.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Mapping

# The Cloud SIEM schema attributes (pipelines/sumologic/schema/descriptions.yaml `field_name`s):
# the backend leaves these bare and wraps any other field of a vendor-specific rule in fields[].
SCHEMA_FIELDS = frozenset("""
accountId action Application baseImage bytesIn bytesOut changeTarget changeType commandLine description
device_hostname device_ip device_mac device_natIp device_osName device_uniqueId device_type device_image
device_container_name device_container_id device_container_runtime device_k8s_deployment device_k8s_namespace
device_k8s_pod device_k8s_normalizedPodName device_k8s_normalizedDeploymentName
device_k8s_normalizedReplicaSetName device_k8s_replicaSet dns_query dns_queryDomain dns_queryType dns_reply
dns_replyDomain dns_replyIp dns_returnCode dstDevice_hostname dstDevice_ip dstDevice_mac dstDevice_natip
dstDevice_osName dstDevice_uniqueId dstDevice_type dstDevice_image dstPort email_messageId email_sender
email_subject errorCode errorText file_basename file_hash_md5 file_hash_pehash file_hash_sha1 file_hash_sha256
file_hash_ssdeep file_hash_imphash file_mimeType file_path file_size file_uid flowState http_contentLength
http_hostname http_method http_referer http_response_contentLength http_response_contentType
http_response_statusCode http_response_statusText http_url http_userAgent ipProtocol logonType sessionId
moduleType severity normalizedSeverity normalizedAction normalizedResource normalizedCause cause packetsIn
packetsOut parentBaseImage grandparentBaseImage parentCommandLine grandparentCommandLine parentPid grandparentPid
pid processUid repository resource resourceType sourceUid srcDevice_hostname srcDevice_ip srcDevice_mac
srcDevice_natip srcDevice_osName srcDevice_uniqueId srcDevice_type srcDevice_image srcPort success mfa
tcpProtocol threat_category threat_identifier threat_name threat_referenceUrl threat_ruleType threat_signalName
threat_signalSummary timestamp user_username user_authDomain user_role user_userId user_email user_phoneNumber
targetUser_phoneNumber targetUser_username targetUser_authDomain targetUser_role targetUser_userId
targetUser_email vuln_bugtraq vuln_cert vuln_cve vuln_cvss vuln_name vuln_reference cloud_region cloud_zone
cloud_service cloud_provider http_url_fqdn http_url_path http_url_protocol http_url_rootDomain http_url_tld
http_referer_fqdn http_referer_path user_username_raw device_hostname_raw srcDevice_hostname_raw
dstDevice_hostname_raw metadata_defaultTz metadata_deviceEventId metadata_mapperName metadata_mapperUid
metadata_parseTime metadata_parser metadata_product metadata_vendor metadata_productGuid metadata_receiptTime
metadata_sensorZone metadata_sourceCategory metadata_sourceMessageId
""".split())

_PROCESS = {
    "CommandLine": "commandLine", "Image": "baseImage", "ParentImage": "parentBaseImage",
    "ParentCommandLine": "parentCommandLine", "ProcessId": "pid", "ParentProcessId": "parentPid",
    "CurrentDirectory": "file_path", "OriginalFileName": "file_basename", "User": "user_username",
    "LogonId": "sessionId", "IntegrityLevel": "severity", "md5": "file_hash_md5", "MD5": "file_hash_md5",
    "sha1": "file_hash_sha1", "SHA1": "file_hash_sha1", "sha256": "file_hash_sha256", "SHA256": "file_hash_sha256",
    "Hashes": "file_hash_sha256", "imphash": "file_hash_imphash", "ProcessGuid": "processUid",
    "Description": "description",
}
_NETWORK = {
    "SourceIp": "srcDevice_ip", "SourcePort": "srcPort", "DestinationIp": "dstDevice_ip", "DestinationPort": "dstPort",
    "Protocol": "ipProtocol", "Image": "baseImage", "User": "user_username", "ProcessId": "pid", "Initiated": "action",
    "DestinationHostname": "dstDevice_hostname", "SourceHostname": "srcDevice_hostname", "source.ip": "srcDevice_ip",
    "source.port": "srcPort", "destination.ip": "dstDevice_ip", "destination.port": "dstPort",
    "network.transport": "ipProtocol", "network.protocol": "application", "source.bytes": "bytesOut",
    "destination.bytes": "bytesIn", "source.packets": "packetsOut", "destination.packets": "packetsIn",
}
_EVENTDATA = "fields.EventData."
_SYSMON_EVENTDATA = (
    "ParentProcessGuid CurrentDirectory TerminalSessionId Hashes Protocol SourceIsIpv6 DestinationPortName "
    "DestinationIsIpv6 Initiated CreationUtcTime PreviousCreationUtcTime Hash Contents Signed SignatureStatus Details "
    "NewName SourceProcessGuid TargetProcessGuid TargetProcessId NewThreadId StartAddress StartModule StartFunction"
).split()
_SECURITY_EVENTDATA = (
    "NewProcessId MandatoryLabel TokenElevationType TargetInfo SubStatus LogonGuid KeyLength ElevatedToken "
    "ImpersonationLevel VirtualAccount Direction FilterRTID LayerName RemoteMachineID RemoteUserID"
).split()

# The pipeline's field mappings in its order: (log source condition, Sigma field -> record field).
# A condition names what the rule's log source must be; a name it leaves out matches anything.
MAPPINGS: list[tuple[dict[str, str], dict[str, str]]] = [
    ({"category": "process_creation"}, _PROCESS),
    ({"category": "network_connection"}, _NETWORK),
    ({"category": "dns_query"}, {"QueryName": "dns_query", "QueryResults": "dns_reply", "QueryStatus": "dns_replyCode",
                                 "Image": "baseImage", "ProcessId": "pid", "record_type": "dns_queryType"}),
    ({"category": "dns"}, {"query": "dns_query", "record_type": "dns_queryType", "rcode": "dns_replyCode",
                           "dns.question.name": "dns_query", "dns.question.type": "dns_queryType",
                           "dns.response.code": "dns_replyCode", "dns.answers.name": "dns_reply",
                           "dns.answers.data": "dns_replyIp", "dns.answers.ttl": "dns_replyTtl",
                           "source.ip": "srcDevice_ip", "source.port": "srcPort", "destination.ip": "dstDevice_ip",
                           "destination.port": "dstPort"}),
    ({"category": "file_event"}, {"TargetFilename": "file_path", "Image": "baseImage", "User": "user_username",
                                  "ProcessId": "pid", "md5": "file_hash_md5", "sha1": "file_hash_sha1",
                                  "sha256": "file_hash_sha256"}),
    ({"category": "image_load"}, {"ImageLoaded": "file_path", "Signature": "threat_identifier", "Image": "baseImage",
                                  "md5": "file_hash_md5", "sha1": "file_hash_sha1", "sha256": "file_hash_sha256",
                                  "imphash": "file_hash_imphash"}),
    ({"category": "registry_event"}, {"TargetObject": "changeTarget", "EventType": "changeType", "Image": "baseImage",
                                      "User": "user_username"}),
    ({"category": "antivirus"}, {"Signature": "threat_identifier", "signature": "threat_identifier",
                                 "Filename": "file_path", "FileName": "file_path", "filename": "file_path",
                                 "Action": "action", "action": "action", "Computer": "device_hostname",
                                 "User": "user_username", "ThreatName": "threat_identifier",
                                 "Malware": "threat_identifier"}),
    ({"product": "windows", "service": "security"}, {
        "TargetUserName": "user_username", "TargetDomainName": "user_authDomain", "SubjectUserName": "user_username",
        "SubjectDomainName": "user_authDomain", "LogonType": "logonType", "IpAddress": "srcDevice_ip",
        "WorkstationName": "srcDevice_hostname", "Status": "errorCode", "SubStatus": "errorText",
        "SourceNetworkAddress": "srcDevice_ip", "TargetLogonId": "user_userId", "LogonProcessName": "application",
        "AuthenticationPackageName": "authProvider"}),
    ({"product": "windows", "service": "system"}, {"ServiceName": "application", "ImagePath": "file_path",
                                                   "ServiceType": "resource_type", "StartType": "changeType"}),
    ({"category": "proxy"}, {
        "c-uri": "http_url", "c-uri-extension": "http_url_extension", "c-uri-query": "http_url_query",
        "c-uri-stem": "http_url_path", "cs-uri-query": "http_url_query", "cs-uri-stem": "http_url_path",
        "cs-method": "http_method", "cs-host": "http_url_fqdn", "r-dns": "http_url_fqdn",
        "c-useragent": "http_userAgent", "cs-user-agent": "http_userAgent", "cs-referrer": "http_referer",
        "cs-referer": "http_referer",
        "sc-status": "http_response_statusCode", "cs-version": "http_requestVersion", "cs-username": "user_username",
        "c-ip": "srcDevice_ip", "src_ip": "srcDevice_ip", "r-ip": "dstDevice_ip", "dst_ip": "dstDevice_ip",
        "cs-bytes": "bytesOut", "sc-bytes": "bytesIn", "url": "http_url"}),
    ({"category": "webserver"}, {
        "c-ip": "srcDevice_ip", "cs-username": "user_username", "s-computername": "device_hostname",
        "s-ip": "dstDevice_ip", "s-port": "dstPort", "cs-method": "http_method", "cs-uri-stem": "http_url_path",
        "cs-uri-query": "http_url_query", "cs-version": "http_requestVersion", "cs-host": "http_url_fqdn",
        "cs-user-agent": "http_userAgent", "cs-cookie": "http_cookie", "cs-referer": "http_referer",
        "sc-status": "http_response_statusCode", "sc-bytes": "bytesIn", "cs-bytes": "bytesOut",
        "time-taken": "http_response_time"}),
    ({"category": "firewall"}, {"src_ip": "srcDevice_ip", "dst_ip": "dstDevice_ip", "src_port": "srcPort",
                                "dst_port": "dstPort", "protocol": "ipProtocol", "action": "action"}),
    ({"product": "aws", "service": "cloudtrail"}, {
        "eventName": "action", "eventSource": "application", "userIdentity.principalId": "user_username",
        "userIdentity.arn": "user_userId", "sourceIPAddress": "srcDevice_ip", "userAgent": "http_userAgent",
        "errorCode": "errorCode", "errorMessage": "errorText"}),
    ({"product": "azure", "service": "activitylogs"}, {"operationName": "action", "caller": "user_username",
                                                       "callerIpAddress": "srcDevice_ip", "status": "action",
                                                       "properties.message": "description"}),
    ({"service": "office365"}, {"Operation": "action", "UserId": "user_username", "ClientIP": "srcDevice_ip",
                                "UserAgent": "http_userAgent"}),
    ({"product": "linux", "service": "auth"}, {"user": "user_username", "srcip": "srcDevice_ip",
                                               "hostname": "device_hostname", "addr": "srcDevice_ip"}),
    ({"product": "windows"}, {
        "TargetUserName": "user_username", "TargetUserSid": "user_userId", "TargetDomainName": "user_authDomain",
        "SubjectUserName": "user_username", "SubjectUserSid": "user_userId", "SubjectDomainName": "user_authDomain",
        "ProcessId": "pid", "ProcessGuid": "processUid", "IpAddress": "srcDevice_ip", "IpPort": "srcPort",
        "SourceIp": "srcDevice_ip", "SourcePort": "srcPort", "SourceAddress": "srcDevice_ip",
        "DestinationIp": "dstDevice_ip", "DestinationPort": "dstPort", "DestAddress": "dstDevice_ip",
        "DestPort": "dstPort", "LogonType": "logonType", "AuthenticationPackageName": "authProvider",
        "LogonProcessName": "application", "Image": "baseImage", "User": "user_username",
        "UtcTime": "fields.EventData.UtcTime"}),
    ({"product": "windows", "service": "sysmon"}, {
        "CommandLine": "commandLine", "ParentImage": "parentBaseImage", "ParentProcessId": "parentPid",
        "ParentCommandLine": "parentCommandLine", "IntegrityLevel": "severity", "LogonGuid": "sessionId",
        "LogonId": "sessionId", "SourceHostname": "srcDevice_hostname", "DestinationHostname": "dstDevice_hostname",
        "TargetFilename": "file_path", "ImageLoaded": "file_path", "Signature": "threat_identifier",
        "EventType": "changeType", "TargetObject": "changeTarget", "SourceImage": "baseImage",
        "SourceProcessId": "pid", "TargetImage": "file_path", "PipeName": "changeTarget", "Device": "changeTarget",
        **{name: _EVENTDATA + name for name in _SYSMON_EVENTDATA}}),
    ({"product": "windows", "service": "security"}, {
        "NewProcessName": "baseImage", "ParentProcessName": "parentBaseImage", "CommandLine": "commandLine",
        "WorkstationName": "srcDevice_hostname", "TargetServerName": "dstDevice_hostname", "Status": "errorCode",
        "FailureReason": "cause", "Application": "application",
        **{name: _EVENTDATA + name for name in _SECURITY_EVENTDATA}}),
    ({"product": "windows", "service": "powershell"}, {
        "ScriptBlockText": "commandLine", "ScriptBlockId": "fields.EventData.ScriptBlockId", "Path": "file_path",
        "MessageNumber": "fields.EventData.MessageNumber", "MessageTotal": "fields.EventData.MessageTotal",
        "HostApplication": "commandLine", "EngineVersion": "fields.EngineVersion", "HostVersion": "fields.HostVersion",
        "HostName": "srcDevice_hostname", "Payload": "fields.EventData.Payload",
        "RunspaceId": "fields.EventData.RunspaceId"}),
    ({}, {
        "EventID": "metadata_deviceEventId", "EventId": "metadata_deviceEventId", "User": "user_username",
        "Username": "user_username", "UserName": "user_username", "SourceUser": "user_username",
        "TargetUser": "targetUser_username", "SubjectUserName": "user_username", "IpAddress": "srcDevice_ip",
        "SourceIp": "srcDevice_ip", "SourceIpAddress": "srcDevice_ip", "DestinationIp": "dstDevice_ip",
        "DestinationIpAddress": "dstDevice_ip", "ComputerName": "device_hostname", "Computer": "device_hostname",
        "Workstation": "srcDevice_hostname", "DestinationHostname": "dstDevice_hostname", "FileName": "file_basename",
        "FilePath": "file_path", "FileHash": "file_hash_sha256", "ProcessName": "baseImage",
        "ParentProcessName": "parentBaseImage", "DestinationPort": "dstPort", "SourcePort": "srcPort",
        "Action": "action", "Status": "action"}),
]

# Windows event header fields (the backend's WINDOWS_HEADER_FIELDS): in fields[] without EventData.
WINDOWS_HEADER_FIELDS = frozenset("Channel Computer EventID EventRecordID Execution Keywords Level Opcode Provider "
                                  "Security Task TimeCreated Version".split())
# Sigma's Windows metadata names -> the record's fields[] key (_transform_windows_metadata_fields).
WINDOWS_METADATA = {"Provider_Name": "Provider.Name", "Provider_Guid": "Provider.Guid", "Channel": "Channel",
                    "Computer": "Computer", "EventRecordID": "EventRecordID", "ProcessID": "Execution.ProcessID",
                    "ThreadID": "Execution.ThreadID", "Keywords": "Keywords", "Level": "Level", "Task": "Task",
                    "Opcode": "Opcode", "Version": "Version"}
# Sigma service -> the event channel prefixed to an EventID (_transform_windows_eventid); any
# other service is capitalised ("security" -> "Security-4624").
SERVICE_CHANNELS = {"sysmon": "Microsoft-Windows-Sysmon/Operational", "powershell": "PowerShell",
                    "powershell-classic": "PowerShell", "taskscheduler": "Microsoft-Windows-TaskScheduler/Operational"}
# Record partitions (search-cse-records-in-sumo.md): the search's scope `_index=sec_record_*`
# takes any of them, so the choice only makes the record realistic.
PARTITIONS = {"process_creation": "sec_record_endpoint", "image_load": "sec_record_endpoint",
              "network_connection": "sec_record_network", "dns_query": "sec_record_network",
              "dns": "sec_record_network", "proxy": "sec_record_network", "firewall": "sec_record_network",
              "webserver": "sec_record_network"}
SEARCH_PREFIX = "_index=sec_record_* | where "
_FIELD_MAP = re.compile(r"fields\['([^'\"]*)'\]")
_VENDOR = re.compile(r'^metadata_vendor="((?:[^"\\]|\\.)*)" AND metadata_product="((?:[^"\\]|\\.)*)" AND ')
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
# The pipeline's DataFieldTransformation: a Windows `Data` value "Key=Value" or "Key:Value" is
# tested as `EventData.Key` (the rest of the value); the record holds it there.
_DATA_PAIR = re.compile(r"(\w+)[:=](.+)", re.DOTALL)


def rule_expression(converted: str) -> str:
    """The Cloud SIEM rule expression in the backend's output (a JSON document of one rule)."""
    return json.loads(converted)["rules"][0]["expression"]


def uses_field_map(expression: str) -> bool:
    return bool(_FIELD_MAP.search(expression))


def search_query(expression: str) -> str:
    """The search a rule expression is prototyped as (see the module docstring): the documented
    prefix, and `fields['X']` as `%"fields.X"`."""
    return SEARCH_PREFIX + _FIELD_MAP.sub(lambda m: f'%"fields.{m.group(1)}"', expression)


def _source(logsource: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    def text(key: str) -> str | None:
        value = logsource.get(key)
        return str(value).lower() if value else None
    return text("product"), text("service"), text("category")


def _applies(condition: Mapping[str, str], source: tuple[str | None, str | None, str | None]) -> bool:
    product, service, category = source
    return all({"product": product, "service": service, "category": category}[key] == value
               for key, value in condition.items())


@lru_cache(maxsize=8192)
def record_field(sigma_field: str, source: tuple[str | None, str | None, str | None]) -> str:
    """Where a record keeps a Sigma field, as a search names it (`fields.X` for the unnormalized
    map), for a rule of log source `source` (product, service, category)."""
    name = sigma_field
    for condition, mapping in MAPPINGS:  # each mapping renames what the earlier ones left
        if _applies(condition, source) and name in mapping:
            name = mapping[name]
    if name in SCHEMA_FIELDS:
        return name
    if "." in name:  # escape_and_quote_field: a dotted name is an unnormalized field
        return "fields." + name.removeprefix("fields.")
    product, service, _ = source
    if product in (None, "windows") and name in WINDOWS_METADATA:
        return "fields." + WINDOWS_METADATA[name]
    if (product or service) and _NAME.fullmatch(name):
        if product == "windows":
            return "fields." + (name if name.split(".")[0] in WINDOWS_HEADER_FIELDS else "EventData." + name)
        return "fields." + name
    return name


def record_value(value: Any) -> str | None:
    """A Sigma value as the record's JSON text holds it; None for null (left out)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def sumo_record(sigma_event: Mapping[str, Any], logsource: Mapping[str, Any], expression: str,
                index: int = 0) -> dict:
    """The Cloud SIEM record of a Sigma event as a search over `sec_record_*` sees it. Two Sigma
    fields that the pipeline maps to the same attribute with different values raise
    `FieldCollision` (a record holds one value)."""
    source = _source(logsource)
    product, service, category = source
    record: dict[str, str] = {}
    for name, value in sigma_event.items():
        text = record_value(value)
        if text is None:
            continue
        target = record_field(name, source)
        pair = _DATA_PAIR.search(text) if name == "Data" else None
        if pair:
            target, text = _EVENTDATA + pair.group(1), pair.group(2)
        if target == "metadata_deviceEventId" and service and text.isdigit():
            channel = SERVICE_CHANNELS.get(service, service.capitalize())
            text = f"{channel}-{text}"
        if target in record and record[target] != text:
            raise FieldCollision(f"{name} and another Sigma field both map to {target}")
        record[target] = text
    vendor = _VENDOR.match(expression)
    if vendor:
        record.setdefault("metadata_vendor", vendor.group(1).replace('\\"', '"'))
        record.setdefault("metadata_product", vendor.group(2).replace('\\"', '"'))
    event: dict[str, str] = {"_index": PARTITIONS.get(category or "", "sec_record_audit")}
    event.update(record)
    event["_raw"] = json.dumps(record, ensure_ascii=False)
    event["_messagetime"] = str(1_767_268_800_000 + index)
    return event


class FieldCollision(Exception):
    """Two Sigma fields of one event land on the same record attribute with different values."""
