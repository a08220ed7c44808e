"""Events in the Sigma taxonomy rendered as IBM QRadar holds them, for the differential test of
the `qradar-aql-community` backend with its `qradar-aql-fields` pipeline (test code, not tooling).

What the pipeline assumes of a QRadar event, read from pySigma-backend-QRadar-community 0.4.0
(`sigma/mapping/*.py`, `sigma/pipelines/QRadarAQL/QRadarAQL.py`,
`sigma/pySigma_QRadar_base/*.py`) and written here as facts:
* the table: `flows` for product qflow / ipfix, service netflow or category flow, else `events`;
* the log source type (`devicetype`): the ids its product / service tables give the rule's
  logsource (the query asks for one of them; an event holds one: the first listed here);
* each Sigma field the pipeline maps is a QRadar property (a custom property by its display name,
  or a built-in field in lower case); a field mapped to several properties is, in the pipeline's
  model, any of them: the event holds the value in each (where two Sigma fields claim the same
  property, the field that lists it first keeps it);
* `eventName` is the event's QID name (`QIDNAME(qid)`): the event gets a QID whose name is the
  value (the QID table is per deployment; `qid_names()` declares those QIDs for the evaluation);
* `eventSource` is a log source type name: a known name gives the event that `devicetype`;
* `Payload` is the raw payload; keyword searches read `UTF8(payload)`, which holds each field as
  `name=value`;
* the web fields (`cs-uri-stem`, `cs-uri-query`, ...) are parts of one `URL`: path?query;
* `a0` ... `a5` (auditd EXECVE arguments) are parts of `Command`: `a0=value a1=value ...`;
* `Hashes` (`MD5=..,SHA256=..`) is split into the hash properties; `ImageLoaded` into
  `file directory` and `filename` (the pipeline's CONCAT names them so);
* built-in IP fields hold an IP address and port fields a number: an event whose value QRadar
  could not store there (a partial address) cannot be rendered (`None`).
"""
from __future__ import annotations

import ipaddress
from contextlib import contextmanager
from typing import Any, Iterator

STARTTIME = 1767268800000  # 2026-01-01 12:00:00 UTC, epoch milliseconds

# Log source type ids per Sigma product / service (sigma/mapping/products.py, services.py). The
# query asks for any id of the union; the first id of each list is a QRadar log source type
# the rendered event can come from.
PRODUCT_DEVICETYPES = {
    "aws": (347, 440, 456, 460, 501, 502, 507, 516, 519), "MicrosoftAzure": (413,),
    "cisco": (41, 6, 20, 23, 26, 30, 31), "gcp": (449, 442, 455, 461), "huawei": (269, 283),
    "juniper": (150, 5, 17, 36, 45, 59, 64), "linux": (11,), "m365": (397,), "macos": (102,), "okta": (382,),
    "sql": (101,), "windows": (12,),
}
SERVICE_DEVICETYPES = {
    "aaa": (143,), "apache": (10,), "auditd": (11,), "auth": (12,), "clamav": (11,), "cloudtrail": (347,),
    "cron": (11,), "exchange": (99,), "gcp.audit": (449,), "iis": (13,), "ldp": (17,), "lsa-server": (191,),
    "microsoft365portal": (397, 452, 515), "okta": (382,), "powershell": (12,), "rdp": (11, 12),
    "smbclient-security": (11, 12), "sshd": (11,), "sudo": (11,), "syslog": (11, 12), "sysmon": (12,),
    "taskscheduler": (11, 12), "threat_detection": (424,), "windefend": (433,), "wmi": (12,),
}
# eventSource values that name a log source type (sigma/mapping/logsources.py, the names the
# rules use): the pipeline turns them into devicetype ids.
LOG_SOURCE_TYPE_NAMES = {
    "cloudtrail.amazonaws.com": 347, "securityhub.amazonaws.com": 440, "route53.amazonaws.com": 507,
    "guardduty.amazonaws.com": 436, "eks.amazonaws.com": 502, "elasticache.amazonaws.com": 502,
    "s3.amazonaws.com": 347, "Apache": 10, "LinuxServer": 11, "WindowsAuthServer": 12, "IIS": 13,
}

# Sigma field -> the QRadar properties the pipeline maps it to (sigma/mapping/fields.py:
# field_mapping, host_field_mapping, unstructured_field_mapping), in the pipeline's order.
PROPERTIES: dict[str, tuple[str, ...]] = {
    "AccessList": ("Rule Name",), "AccessMask": ("Access Mask",), "Accesses": ("Accesses",),
    "AppID": ("Application",), "AppId": ("Application",), "AppName": ("Application",),
    "AttributeLDAPDisplayName": ("Username", "Account Name", "Distinguished Name"),
    "AttributeValue": ("Attribute Old Value", "Attribute New Value"),
    "c-useragent": ("User Agent",), "cs-user-agent": ("User Agent",), "cs-username": ("Username",),
    "CallTrace": ("Call Trace",), "CallerProcessName": ("Process Path",), "cipher": ("Ticket Encryption Type",),
    "CommandLine": ("Command",), "cs-method": ("Method",), "DestinationHostname": ("Destination Hostname",),
    "ErrorCode": ("Error Code",), "ExceptionCode": ("Error Code",), "EventID": ("Event ID",),
    "FailureCode": ("Error Code",), "FileName": ("Filename",), "Filename": ("Filename",),
    "GrantedAccess": ("Granted Access",), "HostApplication": ("Process Path",), "HostName": ("Hostname",),
    "Initiated": ("Initiated",), "Image": ("Process Path", "Process Name"), "ImageName": ("Process Name",),
    "ImagePath": ("Process Path",), "Imphash": ("IMP Hash",), "IntegrityLevel": ("Integrity Level",),
    "InterfaceUuid": ("Source Interface UUID",), "LogonType": ("Logon Type",), "Message": ("Message",),
    "Name": ("File Path",), "ObjectName": ("Object Name",), "ObjectType": ("Object Type",),
    "OriginalFileName": ("Filename",), "ParentCommandLine": ("Parent Command",),
    "ParentImage": ("Parent Process Path",), "ParentProcessId": ("Parent Process ID",), "Path": ("File Path",),
    "path": ("File Path",), "PipeName": ("Pipe Name",), "ProcessId": ("Process ID",),
    "ProcessName": ("Process Name",), "ProcessPath": ("Process Path",), "SamAccountName": ("SAM Account Name",),
    "Service": ("Service Name",), "ServiceFileName": ("Service Filename",), "ServiceName": ("Service Name",),
    "ShareName": ("Share Name",), "Signed": ("Signed",), "Status": ("Status",), "StartAddress": ("Start Address",),
    "TargetFilename": ("Filename",), "TargetImage": ("Target Process Path",),
    "TargetObject": ("Process Name", "Target Process Name", "Object Name"), "TargetUserName": ("Target Username",),
    "TaskName": ("Task Name",), "TicketEncryptionType": ("Ticket Encryption Type",), "UserName": ("Username",),
    "Username": ("Username",), "md5": ("MD5 Hash",), "method": ("Method",), "NewTargetUserName": ("Target Username",),
    "sha1": ("SHA1 Hash",), "sha256": ("SHA256 Hash",), "SourceFilename": ("filename",),
    "SourceImage": ("Source Process Path",), "USER": ("Username",), "User": ("Username",),
    "userAgent": ("User Agent",), "user_agent": ("User Agent",),
    # unstructured fields: the pipeline searches them with `contains`
    "c-uri": ("URL",), "c-uri-extension": ("URL",), "c-uri-query": ("URL",), "cs-uri": ("URL",),
    "cs-uri-query": ("URL",), "cs-uri-stem": ("URL",), "properties.message": ("Message",),
    "ScriptBlockText": ("Message",), "uri": ("URL",),
}
# Sigma field -> built-in field (host_field_mapping): IP addresses and ports.
BUILT_IN_IPS = {"DestinationIp": "destinationip", "dst_ip": "destinationip", "src_ip": "sourceip"}
BUILT_IN_PORTS = {"DestPort": "destinationport", "DestinationPort": "destinationport",
                  "destination.port": "destinationport", "dst_port": "destinationport", "SourcePort": "sourceport"}
# The web fields the pipeline maps to URL, in the order a request's URL holds them (path, then
# query): an event holds one URL, made of the parts the Sigma event has.
URL_PARTS = ("c-uri", "cs-uri", "uri", "cs-uri-stem", "c-uri-extension", "c-uri-query", "cs-uri-query")
ARGUMENTS = ("a0", "a1", "a2", "a3", "a4", "a5")
HASHES = {"MD5": "MD5 Hash", "SHA1": "SHA1 Hash", "SHA256": "SHA256 Hash", "IMPHASH": "IMP Hash"}

QID_BASE = 90_000_000  # QIDs given to eventName values (outside IBM's ranges in this test)
_qids: dict[str, int] = {}
_declared: list[tuple[dict, list[str]]] = []  # (the evaluator's QID table, keys added) while active


def qid_for(name: str) -> int:
    """The QID this test's deployment gives events named `name` (declared while `qid_names` runs)."""
    qid = _qids.setdefault(name, QID_BASE + len(_qids))
    for table, added in _declared:
        if str(qid) not in table:
            table[str(qid)] = name
            added.append(str(qid))
    return qid


@contextmanager
def qid_names() -> Iterator[None]:
    """Declare the QIDs `render` gives eventName values in the evaluator's QID table while the
    block runs (QIDs are per deployment; these are this test's), and remove them afterwards."""
    from tooling.languages.aql import calls

    table, added = calls.name_tables()["qid"], []
    _declared.append((table, added))
    try:
        for name in list(_qids):
            qid_for(name)
        yield
    finally:
        _declared.pop()
        for key in added:
            table.pop(key, None)


def table_for(logsource: dict) -> str:
    flow = (logsource.get("product") in ("qflow", "ipfix") or logsource.get("service") == "netflow"
            or logsource.get("category") == "flow")
    return "flows" if flow else "events"


def devicetype_for(logsource: dict) -> int | None:
    ids = PRODUCT_DEVICETYPES.get(logsource.get("product"), ()) + SERVICE_DEVICETYPES.get(logsource.get("service"), ())
    return ids[0] if ids else None


def _payload(event: dict) -> str:
    return " ".join(f"{name}={value}" for name, value in event.items())


def render(event: dict, logsource: dict) -> dict | None:
    """`event` (Sigma taxonomy) as QRadar holds it for the fields pipeline, or None when QRadar
    could not hold it (a built-in IP or port field with a value of another type)."""
    out: dict[str, Any] = {"$table": table_for(logsource), "starttime": STARTTIME}
    devicetype = devicetype_for(logsource)
    if devicetype is not None:
        out["devicetype"] = devicetype
    claimed: dict[str, int] = {}  # property -> the position in its field's list that set it

    def put(name: str, value: Any, position: int) -> None:
        if name not in claimed or position < claimed[name]:
            out[name] = value
            claimed[name] = position

    arguments, url = [], []
    for field, value in event.items():
        if field in URL_PARTS:
            url.append((URL_PARTS.index(field), str(value)))
        elif field in PROPERTIES:
            for position, name in enumerate(PROPERTIES[field]):
                put(name, value, position)
        elif field in BUILT_IN_IPS:
            try:
                ipaddress.ip_address(str(value))
            except ValueError:
                return None
            out[BUILT_IN_IPS[field]] = str(value)
        elif field in BUILT_IN_PORTS:
            if isinstance(value, bool) or not str(value).isdigit():
                return None
            out[BUILT_IN_PORTS[field]] = int(value)
        elif field == "eventName":
            out["qid"] = qid_for(str(value))
        elif field == "eventSource":
            if str(value) in LOG_SOURCE_TYPE_NAMES:
                out["devicetype"] = LOG_SOURCE_TYPE_NAMES[str(value)]
        elif field in ("Payload", "payload"):
            out["payload"] = str(value)
        elif field in ARGUMENTS:
            arguments.append(f"{field}={value}")
        elif field == "Hashes":
            for part in str(value).split(","):
                kind, _, digest = part.partition("=")
                if kind.strip().upper() in HASHES:
                    put(HASHES[kind.strip().upper()], digest.strip(), 1)
        elif field == "ImageLoaded":
            text = str(value)
            cut = max(text.rfind("\\"), text.rfind("/"))
            put("file directory", text[:cut] if cut >= 0 else "", 0)
            put("filename", text[cut + 1:], 0)
    if url:
        put("URL", "?".join(text for _, text in sorted(url)), 0)
    if arguments:
        put("Command", " ".join(arguments), 1)
    out.setdefault("payload", _payload(event))
    return out
