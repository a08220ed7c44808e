"""Named value transforms and raw-text formats that the render tables (`<key>/render.json`) use.

A render table is data: it names a transform for a field (`"transform": "basename"`) or a format
for the event's raw text (`"format": "sysmon_xml"`). Only functions registered here can be named,
so a table cannot run arbitrary code. A platform may add its own in `<key>/transforms.py`
(`TRANSFORMS` and `FORMATS` dicts), looked up before these.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Callable, Mapping

def escape(value: str) -> str:
    """XML character data (what xml.sax.saxutils.escape does, without importing urllib with it:
    a fifth of a small run's start-up)."""
    if "&" in value or "<" in value or ">" in value:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value  # most values: nothing to replace, found without three replace calls


_ATTRIBUTE_SPECIAL = frozenset('&<>"\n\r\t')


def quoteattr(value: str) -> str:
    """An XML attribute value in double quotes."""
    if _ATTRIBUTE_SPECIAL.isdisjoint(value):  # a field name, most often: nothing to replace
        return '"' + value + '"'
    return '"' + escape(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;") \
        .replace("\t", "&#9;") + '"'


HIVES = {
    "HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKU": "HKEY_USERS",
    "HKCR": "HKEY_CLASSES_ROOT", "HKCC": "HKEY_CURRENT_CONFIG",
}
# How the kernel (and so Sysmon's raw form, Falcon and Defender's RegistryKey) names the hives.
KERNEL_HIVES = {"HKLM": "\\REGISTRY\\MACHINE", "HKU": "\\REGISTRY\\USER", "HKCU": "\\REGISTRY\\USER\\<SID>"}


def _split_path(value: str) -> tuple[str, str]:
    cut = max(value.rfind("\\"), value.rfind("/"))
    return (value[:cut], value[cut + 1:]) if cut >= 0 else ("", value)


def basename(value: Any, sample: Mapping | None = None) -> Any:
    # the most used transform: `_split_path` inlined
    return value[max(value.rfind("\\"), value.rfind("/")) + 1:] if isinstance(value, str) else value


def dirname(value: Any, sample: Mapping | None = None) -> Any:
    return _split_path(value)[0] if isinstance(value, str) else value


def user_domain(value: Any, sample: Mapping | None = None) -> Any:
    return value.split("\\", 1)[0] if isinstance(value, str) and "\\" in value else None


def user_name(value: Any, sample: Mapping | None = None) -> Any:
    return value.split("\\", 1)[1] if isinstance(value, str) and "\\" in value else value


def _hive(value: str) -> tuple[str, str]:
    head, _, rest = value.partition("\\")
    return head.upper(), rest


def registry_hive_long(value: Any, sample: Mapping | None = None) -> Any:
    """HKLM\\SOFTWARE\\... -> HKEY_LOCAL_MACHINE\\SOFTWARE\\... (Defender's RegistryKey, Falcon)."""
    if not isinstance(value, str):
        return value
    head, rest = _hive(value)
    return f"{HIVES[head]}\\{rest}" if head in HIVES else value


def registry_kernel(value: Any, sample: Mapping | None = None) -> Any:
    """HKLM\\SOFTWARE\\... -> \\REGISTRY\\MACHINE\\SOFTWARE\\... (the kernel's names)."""
    if not isinstance(value, str):
        return value
    head, rest = _hive(value)
    return f"{KERNEL_HIVES[head]}\\{rest}" if head in KERNEL_HIVES else value


def is_key_event(sample: Mapping | None) -> bool:
    """A Sysmon 12 / 14 event (key created, deleted or renamed): its TargetObject is a key, not
    a key and a value name as in 13 (value set) or a DeleteValue."""
    if not sample:
        return False
    kind = str(sample.get("EventType", ""))
    return kind in ("CreateKey", "DeleteKey", "RenameKey") or (not kind and str(sample.get("EventID")) in ("12", "14"))


def registry_key(value: Any, sample: Mapping | None = None) -> Any:
    """The key of a Sysmon TargetObject: the whole path for a key event, else the path without
    its last part (the value name)."""
    return value if is_key_event(sample) else dirname(value)


def registry_key_long(value: Any, sample: Mapping | None = None) -> Any:
    """`registry_key` with the hive spelled out (HKEY_LOCAL_MACHINE\\...)."""
    return registry_hive_long(registry_key(value, sample))


def registry_value_name(value: Any, sample: Mapping | None = None) -> Any:
    """The value name of a Sysmon TargetObject (its last part); None for a key event."""
    return None if is_key_event(sample) else basename(value)


def _dword(value: Any) -> int | None:
    if isinstance(value, str) and value.startswith(("DWORD (", "QWORD (")) and value.endswith(")"):
        try:
            return int(value[7:-1], 16)
        except ValueError:
            return None
    return None


def dword_number(value: Any, sample: Mapping | None = None) -> Any:
    """Sysmon's "DWORD (0x00000001)" -> 1; other data as it is."""
    number = _dword(value)
    return number if number is not None else value


def dword_text(value: Any, sample: Mapping | None = None) -> Any:
    """Sysmon's "DWORD (0x00000001)" -> "1" (how several platforms show DWORD data as text)."""
    number = _dword(value)
    return str(number) if number is not None else value


def dword_hex(value: Any, sample: Mapping | None = None) -> Any:
    """Sysmon's "DWORD (0x00000001)" -> "0x00000001"."""
    number = _dword(value)
    return f"0x{number:08x}" if number is not None else value


def text(value: Any, sample: Mapping | None = None) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if value is None or isinstance(value, str) else str(value)


def integer(value: Any, sample: Mapping | None = None) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def lower(value: Any, sample: Mapping | None = None) -> Any:
    return value.lower() if isinstance(value, str) else value


def upper(value: Any, sample: Mapping | None = None) -> Any:
    return value.upper() if isinstance(value, str) else value


def json_value(value: Any, sample: Mapping | None = None) -> Any:
    """JSON text -> its value (CloudTrail's requestParameters, M365 Parameters)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# name -> function(value, sample): the sample (Sigma taxonomy) is there for transforms whose
# result depends on the kind of event (a registry key event vs a value event).
TRANSFORMS: dict[str, Callable[[Any, Mapping | None], Any]] = {
    "basename": basename, "dirname": dirname, "user_domain": user_domain, "user_name": user_name,
    "registry_hive_long": registry_hive_long, "registry_kernel": registry_kernel,
    "registry_key": registry_key, "registry_key_long": registry_key_long,
    "registry_value_name": registry_value_name,
    "dword_number": dword_number, "dword_text": dword_text, "dword_hex": dword_hex,
    "text": text, "integer": integer, "lower": lower, "upper": upper, "json_value": json_value,
}


# --- raw-text formats: the whole sample (Sigma taxonomy) -> the event's raw text ------------

def sysmon_xml(sample: dict) -> str:
    """The XML form of a Windows event as Windows Event Forwarding / Splunk's XmlWinEventLog
    keep it: System/EventID and EventData/Data Name="..." (double quotes, as Windows writes)."""
    event_id = sample.get("EventID", "")
    # (join of a list comprehension in the raw formats: join lists a generator first, at a cost)
    data = "".join([f"<Data Name={quoteattr(str(name))}>{escape(str(value))}</Data>"
                    for name, value in sample.items() if name not in ("EventID", "Provider_Name")])
    provider = sample.get("Provider_Name", "Microsoft-Windows-Sysmon")
    return (f"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
            f"<Provider Name={quoteattr(str(provider))}/><EventID>{escape(str(event_id))}</EventID></System>"
            f"<EventData>{data}</EventData></Event>")


# The compact JSON text of a value, as the raw formats write it: what json.dumps(value,
# ensure_ascii=False, separators=(",", ":")) gives, from one encoder rather than one built for
# each call with those options (a fifth of what encoding a short record cost).
compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_text(sample: dict) -> str:
    return compact_json(sample)


def key_values(sample: dict) -> str:
    """key=value pairs, values with spaces quoted (auditd, FortiGate)."""
    def show(value: Any) -> str:
        value = text(value)
        return f'"{value}"' if isinstance(value, str) and (" " in value or not value) else str(value)

    return " ".join([f"{name}={show(value)}" for name, value in sample.items()])


def message(sample: dict) -> str:
    return str(sample.get("message", ""))


# --- Windows events whose EventData values are unnamed ------------------------------------------
# A classic (message-file) provider such as SecurityCenter writes its insertion strings as unnamed
# <Data> elements; Windows renders the message by putting them into the provider's template
# (%1, %2 ...). winlogbeat / Elastic name them param1, param2 ... in winlog.event_data, and the Sigma
# taxonomy (SigmaHQ's rules, e.g. Service Control Manager 7036) uses the same names. Templates of the
# events the packages sample, keyed by (provider, event ID); a sample of another event renders its
# message from its own `Data` (the whole text), else from its values joined.
WINDOWS_MESSAGES = {
    # SecurityCenter 15 (Application log): "Updated %1 status successfully to %2." (wscsvc's message
    # table; the defendnot / no-defender write-ups show "Updated <name> status successfully to
    # SECURITY_PRODUCT_STATE_ON.")
    ("SecurityCenter", "15"): "Updated %1 status successfully to %2.",
}
_INSERT = re.compile(r"%(\d+)")


def windows_insertion_strings(sample: Mapping) -> list[str]:
    """The unnamed EventData values of a Windows event in order (the sample's param1, param2 ...)."""
    found: list[str] = []
    while f"param{len(found) + 1}" in sample:
        found.append(str(text(sample[f"param{len(found) + 1}"])))
    return found


def windows_message(sample: Mapping) -> str:
    """The message Windows renders for the event (Event Viewer's text, RenderingInfo/Message); a
    sample that carries its rendered `Message` (a recording) keeps it."""
    for name in ("Message", "message"):
        if name in sample:
            return str(text(sample[name]))
    values = windows_insertion_strings(sample)
    template = WINDOWS_MESSAGES.get((str(sample.get("Provider_Name", "")), str(sample.get("EventID", ""))))
    if template and values:
        return _INSERT.sub(lambda m: values[int(m.group(1)) - 1] if 0 < int(m.group(1)) <= len(values) else "",
                           template)
    if "Data" in sample:
        return str(text(sample["Data"]))
    return " ".join(values)


def windows_data_xml(sample: Mapping) -> str:
    """The event's <EventData>: one unnamed <Data> per insertion string (as a classic provider
    writes them), else the sample's `Data` as one unnamed value."""
    values = windows_insertion_strings(sample) or ([str(text(sample["Data"]))] if "Data" in sample else [])
    return "<EventData>" + "".join(f"<Data>{escape(value)}</Data>" for value in values) + "</EventData>"


def windows_event_xml(sample: dict) -> str:
    """The whole event as Windows renders its XML (EvtRender): System, then EventData."""
    provider = str(sample.get("Provider_Name", ""))
    channel = str(sample.get("Channel", "Application"))
    computer = str(sample.get("Computer", "ws01.contoso.local"))
    return (f"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
            f"<Provider Name={quoteattr(provider)}/><EventID>{escape(str(sample.get('EventID', '')))}</EventID>"
            f"<Channel>{escape(channel)}</Channel><Computer>{escape(computer)}</Computer></System>"
            f"{windows_data_xml(sample)}</Event>")


# --- PAN-OS CONFIG logs ------------------------------------------------------------------------
# PAN-OS writes a CONFIG log's before- and after-change detail only in a custom log format (Palo
# Alto's config log field descriptions: "This field is in custom logs only; it is not in the default
# format"). Elastic's panw integration, Sumo Logic's Palo Alto source and the queries' parsers
# expect the documented field order with the details right after the configuration path, so the
# line is rendered in that custom format (the one Elastic's panw documentation recommends):
# 1,$receive_time,$serial,$type,$subtype,2561,$time_generated,$host,$vsys,$cmd,$admin,$client,
# $result,$path,$before-change-detail,$after-change-detail,$seqno,$actionflags,$dg_hier_level_1..4,
# $vsys_name,$device_name,$dg_id,$comment,0,$high_res_timestamp
PANOS_SERIAL = "013201001234"
PANOS_DEVICE = "pa01"


def _panos_csv(value: Any, quote_always: bool = False) -> str:
    """A CSV field as PAN-OS writes it: quoted (inner quotes doubled) when it holds a comma or a
    quote; the change details are quoted whenever they are not empty (Elastic's panw samples)."""
    value = "" if value is None else str(text(value))
    if value and (quote_always or "," in value or '"' in value):
        return '"' + value.replace('"', '""') + '"'
    return value


def panos_config_csv(sample: Mapping) -> str:
    """A PAN-OS CONFIG log line in the custom format above, from a sample with PAN-OS's own field
    names (cmd, admin, client, result, path, before_change_detail, after_change_detail, host, vsys)."""
    when = "2026/01/01 12:00:00"
    fields = [
        "1", when, PANOS_SERIAL, sample.get("type", "CONFIG"), sample.get("subtype", "0"), "2561", when,
        sample.get("host", "10.0.0.5"), sample.get("vsys", "vsys1"), sample.get("cmd", ""),
        sample.get("admin", ""), sample.get("client", "Web"), sample.get("result", "Succeeded"),
        sample.get("path", ""),
    ]
    line = [_panos_csv(value) for value in fields]
    line += [_panos_csv(sample.get("before_change_detail"), True), _panos_csv(sample.get("after_change_detail"), True)]
    line += ["7286123782408765488", "0x0", "0", "0", "0", "0", "", PANOS_DEVICE, "0", "", "0",
             "2026-01-01T12:00:00.000+00:00"]
    return ",".join(line)


def panos_config_syslog(sample: dict) -> str:
    """The CONFIG log as a BSD syslog message from the firewall (what a syslog collector receives)."""
    return f"<14>Jan  1 12:00:00 {PANOS_DEVICE} {panos_config_csv(sample)}"


FORMATS: dict[str, Callable[[dict], str]] = {
    "sysmon_xml": sysmon_xml, "json": json_text, "key_values": key_values, "message": message,
    "windows_message": windows_message, "windows_event_xml": windows_event_xml,
    "panos_config_csv": panos_config_csv, "panos_config_syslog": panos_config_syslog,
}


# --- time formats ------------------------------------------------------------------------

def time_as(moment: datetime, form: str) -> Any:
    if form == "iso":
        return moment.isoformat().replace("+00:00", "Z")
    if form == "epoch_ms":
        return int(moment.timestamp() * 1000)
    if form == "epoch_s":
        return moment.timestamp()
    raise ValueError(f"unknown time format {form!r}")
