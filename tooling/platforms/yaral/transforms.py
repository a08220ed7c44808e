"""Transforms the Google SecOps (UDM) render table names (render.json): repeated fields as lists,
key/value labels, security_result, registry event types and the network-device syslog header."""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Mapping

from tooling.platforms.transforms import is_key_event, user_name


def as_list(value: Any, sample: Mapping | None = None) -> Any:
    """A repeated UDM field (principal.ip, principal.user.email_addresses) holds a list."""
    return None if value is None else [value]


def userid(value: Any, sample: Mapping | None = None) -> Any:
    """CONTOSO\\admin -> admin (the domain goes to principal.administrative_domain)."""
    return user_name(value, sample)


def _leaves(node: Any, top: str | None, out: list[dict]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "items":
                _leaves(value, top, out)
            else:
                _leaves(value, top or key, out) if isinstance(value, (dict, list)) else out.append(
                    {"key": key if top is None else f"{top} {key}", "value": _text(value)})
    elif isinstance(node, list):
        for item in node:
            _leaves(item, top, out)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def cloudtrail_labels(value: Any, sample: Mapping | None = None) -> Any:
    """CloudTrail requestParameters -> target.resource.attribute.labels, one label per leaf, keyed
    by the top-level parameter and the leaf name as Google's parser does ("ipPermissions cidrIp",
    as in Google's rule aws_security_group_open_to_world)."""
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return None
    out: list[dict] = []
    _leaves(parsed, None, out)
    return out or None


def m365_parameters(value: Any, sample: Mapping | None = None) -> Any:
    """Exchange cmdlet Parameters [{"Name", "Value"}] -> labels [{"key", "value"}]."""
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return None
    if not isinstance(parsed, list):
        return None
    return [{"key": str(p.get("Name")), "value": _text(p.get("Value"))} for p in parsed if isinstance(p, dict)]


def allowed(value: Any, sample: Mapping | None = None) -> Any:
    """An operation's result -> security_result (repeated), action (repeated): ALLOW when it
    succeeded, UNKNOWN_ACTION while it is only started or accepted (an Azure operation writes
    a Start record first; its outcome is not known yet), BLOCK otherwise."""
    status = str(value).lower()
    if status in ("start", "started", "accept", "accepted"):
        return [{"action": ["UNKNOWN_ACTION"]}]
    return [{"action": ["ALLOW" if status in ("success", "succeeded", "allow") else "BLOCK"]}]


def blocked(value: Any, sample: Mapping | None = None) -> Any:
    """A CloudTrail errorCode: the call was refused."""
    return None if value in (None, "") else [{"action": ["BLOCK"]}]


def registry_event_type(value: Any, sample: Mapping | None = None) -> Any:
    """Sysmon 12/13/14 -> the UDM event type."""
    kind = str((sample or {}).get("EventType", ""))
    if kind == "CreateKey":
        return "REGISTRY_CREATION"
    if kind in ("DeleteKey", "DeleteValue"):
        return "REGISTRY_DELETION"
    event_id = str((sample or {}).get("EventID", ""))
    return "REGISTRY_CREATION" if event_id == "12" and not kind else "REGISTRY_MODIFICATION"


def registry_value_name(value: Any, sample: Mapping | None = None) -> Any:
    if is_key_event(sample) or not isinstance(value, str):
        return None
    return value.rsplit("\\", 1)[-1]


_SYSLOG = re.compile(r"^%(?P<facility>[A-Z0-9_]+)-(?P<severity>\d)-(?P<mnemonic>[A-Z0-9_]+):\s*(?P<text>.*)$", re.S)


def _syslog(value: Any):
    return _SYSLOG.match(value) if isinstance(value, str) else None


def syslog_log_type(value: Any, sample: Mapping | None = None) -> Any:
    found = _syslog(value)
    if found is None:
        return None
    return "CISCO_ASA_FIREWALL" if found.group("facility") == "ASA" else "CISCO_IOS"


def syslog_event_type(value: Any, sample: Mapping | None = None) -> Any:
    """ASA: the message number (111008); IOS: the mnemonic (CFGLOG_LOGGEDCMD)."""
    found = _syslog(value)
    return None if found is None else found.group("mnemonic")


def syslog_text(value: Any, sample: Mapping | None = None) -> Any:
    found = _syslog(value)
    return value if found is None else found.group("text")


TRANSFORMS: dict[str, Callable[[Any, Mapping | None], Any]] = {
    "as_list": as_list, "userid": userid, "cloudtrail_labels": cloudtrail_labels,
    "m365_parameters": m365_parameters, "allowed": allowed, "blocked": blocked,
    "udm_registry_event_type": registry_event_type,
    "udm_registry_value_name": registry_value_name, "syslog_log_type": syslog_log_type,
    "syslog_event_type": syslog_event_type, "syslog_text": syslog_text,
}
FORMATS: dict[str, Callable[[dict], str]] = {}
