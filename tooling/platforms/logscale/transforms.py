"""Value transforms and raw-text formats of the LogScale render table (logscale/render.json).

Falcon sensor events: Windows image paths in the kernel's device form, registry keys with the
kernel's hive names and the value data split by type (RegNumericValue for DWORD/QWORD data,
RegStringValue for text), as the Falcon Data Replicator schema lists them. Cloud, FortiGate and
syslog records keep their original text in @rawstring, as a LogScale parser receives it.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

import tooling.platforms as platforms  # loaded before this module, which it loads when it renders
from tooling.platforms.transforms import _dword, compact_json, key_values, registry_kernel, registry_key, text

# The sensor reports the image path as the kernel names it (\Device\HarddiskVolumeN\...); the
# volume number depends on the disk layout; volume 3 is the usual system volume of a UEFI install.
DEVICE = "\\Device\\HarddiskVolume3"


def falcon_image(value: Any, sample: Mapping | None = None) -> Any:
    """C:\\Windows\\System32\\cmd.exe -> \\Device\\HarddiskVolume3\\Windows\\System32\\cmd.exe."""
    if isinstance(value, str) and len(value) > 2 and value[1] == ":" and value[2] == "\\":
        return DEVICE + value[2:]
    return value


def falcon_registry_key(value: Any, sample: Mapping | None = None) -> Any:
    """Sysmon TargetObject -> RegObjectName: the key (no value name), hive as \\REGISTRY\\..."""
    return registry_kernel(registry_key(value, sample))


def falcon_numeric(value: Any, sample: Mapping | None = None) -> Any:
    """DWORD/QWORD data -> RegNumericValue as decimal text; None for other data."""
    number = _dword(value)
    return None if number is None else str(number)


def falcon_string(value: Any, sample: Mapping | None = None) -> Any:
    """Text data -> RegStringValue; None for DWORD/QWORD data."""
    return None if _dword(value) is not None else text(value)


def falcon_reg_type(value: Any, sample: Mapping | None = None) -> Any:
    """RegType: 4 (REG_DWORD) / 11 (REG_QWORD) / 1 (REG_SZ)."""
    if isinstance(value, str) and value.startswith("DWORD ("):
        return "4"
    if isinstance(value, str) and value.startswith("QWORD ("):
        return "11"
    return "1"


def json_object(value: Any, sample: Mapping | None = None) -> Any:
    """JSON text (CloudTrail requestParameters, M365 Parameters) -> its parsed value, which LogScale's
    JSON parsing flattens into dotted fields (Vendor.requestParameters.groupId, ...)."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _unflatten(sample: Mapping) -> dict:
    record: dict = {}
    for name, value in sample.items():
        node = record
        *heads, last = name.split(".")
        for head in heads:
            node = node.setdefault(head, {})
        node[last] = json_object(value)
    return record


def record_json(sample: dict) -> str:
    """The original JSON record (dotted Sigma names nested again, JSON-text fields as objects)."""
    return compact_json(_unflatten(sample))


def gcp_record_json(sample: dict) -> str:
    """A Cloud Audit Logs entry: the audit fields under protoPayload, as Google writes them."""
    payload = {k: v for k, v in sample.items() if k != "principalEmail"}
    if "principalEmail" in sample:
        payload["authenticationInfo"] = {"principalEmail": sample["principalEmail"]}
    return compact_json({"protoPayload": payload})


def fortigate_kv(sample: dict) -> str:
    """A FortiOS event log line: key=value, every text value in double quotes (as FortiOS writes)."""
    def show(value: Any) -> str:
        value = text(value)
        return value if isinstance(value, str) and value.isdigit() and not value.startswith("0") else f'"{value}"'
    header = 'date=2026-01-01 time=12:00:00 devname="FGT-LAB" devid="FGVM01TM00000000" type="event" subtype="system"'
    return header + " " + " ".join(f"{name}={show(value)}" for name, value in sample.items())


_RENDERING: list = []


def falcon_json(sample: dict, rendered: dict | None = None, kind: str | None = None) -> str:
    """The sensor event as the JSON LogScale stores in @rawstring: the rendered fields with
    event_simpleName spelled without its tag mark (tags and @-fields are LogScale's own).
    `rendered`: the event `render` is building as `kind`; when the sample's own kind is that
    one, it holds what a render of the sample would (its raw @-fields and time apart)."""
    if _RENDERING:  # the inner render of the event itself
        return ""
    own = platforms.classify(sample)
    if rendered is None or own != kind:
        _RENDERING.append(True)
        try:
            rendering = platforms.render("logscale", sample, kind=own)
        finally:
            _RENDERING.pop()
        if rendering is None:
            return ""
        rendered = rendering.event
    event = {"event_simpleName": rendered.get("#event_simpleName")}  # first, whatever the rendering holds
    for name, value in rendered.items():
        if not name.startswith(("#", "@")):
            event[name] = value
    return compact_json(event)


falcon_json.takes_rendering = True  # render passes it the event so far (see render)


def windows_dataset(value: Any, sample: Mapping | None = None) -> Any:
    """#event.dataset of the microsoft-windows parser: windows.<channel> (windows.application)."""
    return f"windows.{str(value).lower()}" if value else None


def audisp_syslog(sample: dict) -> str:
    """An auditd record as the audisp-syslog plugin writes it to syslog and a syslog source receives
    it: the syslog header, then type=... msg=audit(<time>:<serial>): key=value ..."""
    rest = {k: v for k, v in sample.items() if k != "type"}
    return (f"<14>Jan  1 12:00:00 lnx01 audisp-syslog: type={sample.get('type', '')} "
            f"msg=audit(1767268800.000:4242): {key_values(rest)}").rstrip()


TRANSFORMS = {"windows_dataset": windows_dataset, "falcon_image": falcon_image,
              "falcon_registry_key": falcon_registry_key, "falcon_numeric": falcon_numeric,
              "falcon_string": falcon_string, "falcon_reg_type": falcon_reg_type, "json_object": json_object}
FORMATS = {"falcon_json": falcon_json, "record_json": record_json, "gcp_record_json": gcp_record_json,
           "fortigate_kv": fortigate_kv, "audisp_syslog": audisp_syslog}
