"""Transforms the EQL render table (render.json) names: how Elastic's agents and integrations
write a value into an ECS document. Looked up before the shared ones (tooling/platforms/
transforms.py); each is `(value, sample) -> value` and returns None when it produces nothing.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from tooling.platforms import transforms as shared


# shlex.split's posix rules as pieces (its character-by-character loop costs ~40 µs a line):
# blanks, plain text, 'single' (literal), "double" (\\ and \" escaped), or an escaped character.
_POSIX_PIECE = re.compile(r"""([ \t\r\n]+)|([^ \t\r\n'"\\]+)|'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)""", re.S)
_DOUBLE_ESCAPE = re.compile(r'\\(["\\])')


# process.args_count comes right after process.args in the table: the number of arguments of the
# last text each split was given (that very object) is kept for it, rather than splitting it again.
_LAST_SPLIT: dict[Callable, tuple[str, int]] = {}


def _counted(split: Callable[[str], list[str]], value: str) -> list[str]:
    args = split(value)
    _LAST_SPLIT[split] = (value, len(args))
    return args


def argv_posix(value: Any, sample: Mapping | None = None) -> Any:
    """A Linux command line as Elastic Defend's process.args: the argv the kernel saw, which a
    shell-like split of the sample's command line approximates (shlex.split's answer)."""
    return _counted(_posix_split, value) if isinstance(value, str) else value


_POSIX_WORD = re.compile(r"[^ \t\r\n]+")


def _posix_split(value: str) -> list[str]:
    if "'" not in value and '"' not in value and "\\" not in value:
        return _POSIX_WORD.findall(value)  # without quotes or escapes, the words between blanks
    args: list[str] = []
    current: list[str] = []
    started = False
    end = 0
    for piece in _POSIX_PIECE.finditer(value):
        if piece.start() != end:
            return value.split()  # an unclosed quote or a lone last backslash: shlex refuses it
        end = piece.end()
        blanks, plain, single, double, escaped = piece.groups()
        if blanks is not None:
            if started:
                args.append("".join(current))
                current, started = [], False
            continue
        started = True
        if plain is not None:
            current.append(plain)
        elif single is not None:
            current.append(single)
        elif double is not None:
            current.append(_DOUBLE_ESCAPE.sub(r"\1", double) if "\\" in double else double)
        else:
            current.append(escaped)
    if end != len(value):
        return value.split()
    if started:
        args.append("".join(current))
    return args


_WINDOWS_BLANKS = re.compile(r"[ \t]+")
# a backslash run (and the quote after it, if any), a quote, blanks, or a run of anything else
_WINDOWS_TOKEN = re.compile(r'(\\+)("?)|(")|([ \t]+)|([^\\" \t]+)')


def argv_windows(value: Any, sample: Mapping | None = None) -> Any:
    """A Windows command line as Elastic Defend's process.args (CommandLineToArgvW's rules:
    whitespace separates, double quotes group, 2n backslashes before a quote give n)."""
    return _counted(_windows_split, value) if isinstance(value, str) else value


# Where no backslash comes before a quote, backslashes are plain text: an argument is a run of
# text and quoted parts (a quote to the next, or to the end), its quotes dropped.
_WINDOWS_ARGUMENT = re.compile(r'(?:[^ \t"]+|"[^"]*"?)+')


def _windows_split(value: str) -> list[str]:
    if '"' not in value:  # backslashes count only before a quote
        return [arg for arg in _WINDOWS_BLANKS.split(value) if arg]
    if '\\"' not in value:
        return [arg.replace('"', "") for arg in _WINDOWS_ARGUMENT.findall(value)]
    args: list[str] = []
    current: list[str] = []
    quoted = started = False
    for slashes, after, quote, blanks, other in _WINDOWS_TOKEN.findall(value):
        if slashes:
            if after:  # 2n backslashes and a quote: n and the quote groups; 2n+1: n and a quote
                current.append("\\" * (len(slashes) // 2))
                if len(slashes) % 2:
                    current.append('"')
                else:
                    quoted = not quoted
            else:
                current.append(slashes)
            started = True
        elif quote:
            quoted = not quoted
            started = True
        elif blanks:
            if quoted:
                current.append(blanks)
            elif started:
                args.append("".join(current))
                current, started = [], False
        else:
            current.append(other)
            started = True
    if started:
        args.append("".join(current))
    return args


def argv_count(value: Any, sample: Mapping | None = None) -> Any:
    """process.args_count: how many arguments process.args holds."""
    if not isinstance(value, str):
        return None
    linux = str((sample or {}).get("Image", "")).startswith("/")
    split = _posix_split if linux else _windows_split
    last = _LAST_SPLIT.get(split)
    return last[1] if last is not None and last[0] is value else len(split(value))


def argv(value: Any, sample: Mapping | None = None) -> Any:
    linux = str((sample or {}).get("Image", "")).startswith("/")
    return argv_posix(value) if linux else argv_windows(value)


_DEFEND_HIVES = {"HKLM": "HKLM", "HKEY_LOCAL_MACHINE": "HKLM", "HKU": "HKEY_USERS", "HKEY_USERS": "HKEY_USERS",
                 "HKCU": "HKEY_USERS", "HKEY_CURRENT_USER": "HKEY_USERS", "HKCR": "HKLM\\SOFTWARE\\Classes"}


def _hive(value: str) -> tuple[str, str]:
    head, _, rest = value.partition("\\")
    return head.upper(), rest


def defend_registry_path(value: Any, sample: Mapping | None = None) -> Any:
    """A Sysmon TargetObject as Elastic Defend's registry.path: the hive as Defend names it
    (HKLM, HKEY_USERS), the key and, for a value event, the value name."""
    if not isinstance(value, str):
        return value
    head, rest = _hive(value)
    hive = _DEFEND_HIVES.get(head)
    return f"{hive}\\{rest}" if hive else value


def defend_registry_hive(value: Any, sample: Mapping | None = None) -> Any:
    if not isinstance(value, str):
        return None
    hive = _DEFEND_HIVES.get(_hive(value)[0])
    return hive.split("\\")[0] if hive else None


def defend_registry_key(value: Any, sample: Mapping | None = None) -> Any:
    """registry.key: the key's path below the hive, without the value name."""
    if not isinstance(value, str):
        return value
    key = shared.registry_key(value, sample)
    head, rest = _hive(key)
    return rest if head in _DEFEND_HIVES else key


def data_strings(value: Any, sample: Mapping | None = None) -> Any:
    """registry.data.strings: an array; a DWORD as its decimal text ("1"), as Defend writes it."""
    if value is None:
        return None
    return [shared.dword_text(value)]


def data_type(value: Any, sample: Mapping | None = None) -> Any:
    if isinstance(value, str) and value.startswith("DWORD ("):
        return "REG_DWORD"
    if isinstance(value, str) and value.startswith("QWORD ("):
        return "REG_QWORD"
    return "REG_SZ" if isinstance(value, str) else None


_REGISTRY_TYPES = {"SetValue": ("change", "modification"), "DeleteValue": ("deletion", "deletion"),
                   "CreateKey": ("creation", "creation"), "DeleteKey": ("deletion", "deletion"),
                   "RenameKey": ("change", "rename")}


def registry_event_type(value: Any, sample: Mapping | None = None) -> Any:
    return [_REGISTRY_TYPES.get(str(value), ("change", ""))[0]]


def registry_event_action(value: Any, sample: Mapping | None = None) -> Any:
    return _REGISTRY_TYPES.get(str(value), ("", "modification"))[1]


def name_value_object(value: Any, sample: Mapping | None = None) -> Any:
    """M365 `Parameters` ([{"Name": n, "Value": v}, ...], JSON text or list) as the o365
    integration stores it: an object {n: v}."""
    value = shared.json_value(value)
    if isinstance(value, list):
        return {str(item.get("Name")): item.get("Value") for item in value if isinstance(item, dict) and "Name" in item}
    return value


# Cisco syslog: "%ASA-5-111008: text" / "%PARSER-5-CFGLOG_LOGGEDCMD: text".
_CISCO = re.compile(r"%(?P<facility>[A-Z0-9_]+)-(?P<severity>[0-7])-(?P<mnemonic>[A-Z0-9_]+):\s*(?P<text>.*)", re.S)


def _cisco(value: Any):
    return _CISCO.search(value) if isinstance(value, str) else None


def syslog_dataset(value: Any, sample: Mapping | None = None) -> Any:
    found = _cisco(value)
    if found is None:
        return None
    return "cisco_asa.log" if found.group("facility") in ("ASA", "FTD") else "cisco_ios.log"


def syslog_code(value: Any, sample: Mapping | None = None) -> Any:
    """event.code: the ASA message ID (111008) or the IOS mnemonic (CFGLOG_LOGGEDCMD)."""
    found = _cisco(value)
    return found.group("mnemonic") if found else None


def syslog_text(value: Any, sample: Mapping | None = None) -> Any:
    """message: the text after the Cisco header (the integrations keep the whole line in
    event.original)."""
    found = _cisco(value)
    return found.group("text") if found else value


def syslog_vendor(value: Any, sample: Mapping | None = None) -> Any:
    return "Cisco" if _cisco(value) else None


def syslog_product(value: Any, sample: Mapping | None = None) -> Any:
    found = _cisco(value)
    if found is None:
        return None
    return "asa" if found.group("facility") in ("ASA", "FTD") else "IOS"


def syslog_severity(value: Any, sample: Mapping | None = None) -> Any:
    found = _cisco(value)
    return int(found.group("severity")) if found else None


def ios_facility(value: Any, sample: Mapping | None = None) -> Any:
    """cisco.ios.facility: the IOS facility (PARSER, SYS ...); the ASA pipeline has none."""
    found = _cisco(value)
    return found.group("facility") if found and found.group("facility") not in ("ASA", "FTD") else None


# The cisco_asa ingest pipeline's groks for the command messages (111008 has none):
# 111009 "^%{NOTSPACE} '%{NOTSPACE:server.user.name}' executed %{NOTSPACE} %{GREEDYDATA:...command_line_arguments}"
# 111010 "User '%{NOTSPACE:server.user.name}', running %{QUOTEDSTRING} from IP %{IP:source.address},
#         executed %{QUOTEDSTRING:...command_line_arguments}" (QUOTEDSTRING keeps the quotes)
_ASA_111009 = re.compile(r"^\S+ '(?P<user>\S+)' executed \S+ (?P<command>.*)$", re.S)
_ASA_111010 = re.compile(r"User '(?P<user>\S+)', running (?:'[^']*'|\"[^\"]*\") from IP (?P<ip>[0-9A-Fa-f.:]+), "
                         r"executed (?P<command>'[^']*'|\"[^\"]*\")")


def _asa_command(value: Any):
    found = _cisco(value)
    if found is None or found.group("facility") not in ("ASA", "FTD"):
        return None
    pattern = {"111009": _ASA_111009, "111010": _ASA_111010}.get(found.group("mnemonic"))
    return pattern.search(found.group("text")) if pattern else None


def asa_command_line_arguments(value: Any, sample: Mapping | None = None) -> Any:
    found = _asa_command(value)
    return found.group("command") if found else None


def asa_command_user(value: Any, sample: Mapping | None = None) -> Any:
    found = _asa_command(value)
    return found.group("user") if found else None


def asa_command_source(value: Any, sample: Mapping | None = None) -> Any:
    found = _asa_command(value)
    return found.groupdict().get("ip") if found else None


# The pipeline's categorization of the configuration messages (script_ecs_categorization).
_ASA_CATEGORIES = {"111007": ("info",), "111009": ("info",), "111010": ("change",)}


def _asa_id(value: Any) -> str | None:
    found = _cisco(value)
    return found.group("mnemonic") if found and found.group("facility") in ("ASA", "FTD") else None


def asa_category(value: Any, sample: Mapping | None = None) -> Any:
    """event.category: network for every ASA message, configuration for 111007/111009/111010."""
    code = _asa_id(value)
    if code is None:
        return ["network"] if _cisco(value) else None
    return ["configuration"] if code in _ASA_CATEGORIES else ["network"]


def asa_type(value: Any, sample: Mapping | None = None) -> Any:
    code = _asa_id(value)
    if code is None:
        return ["info"] if _cisco(value) else None
    return list(_ASA_CATEGORIES[code]) if code in _ASA_CATEGORIES else None


def asa_action(value: Any, sample: Mapping | None = None) -> Any:
    return "configuration" if _asa_id(value) in _ASA_CATEGORIES else None


def auditd_action(value: Any, sample: Mapping | None = None) -> Any:
    return str(value).lower() if value is not None else None


def outcome(value: Any, sample: Mapping | None = None) -> Any:
    """event.outcome from a result: success / failure (ECS allowed values)."""
    text = str(value).lower()
    if text in ("success", "succeeded", "1", "yes", "true"):
        return "success"
    if text in ("failure", "failed", "0", "no", "false"):
        return "failure"
    return "unknown"


# The Windows integration's powershell data stream splits the classic log's details (the last
# <Data>: "\tKey=Value" lines) into powershell.* fields, dropping empty values.
_POWERSHELL_DETAIL = re.compile(r"^\s*(?P<key>\w+)=(?P<value>.*?)\s*$", re.M)


def powershell_detail(key: str) -> Callable[[Any, Mapping | None], Any]:
    def transform(value: Any, sample: Mapping | None = None) -> Any:
        if (sample or {}).get("Provider_Name") != "PowerShell" or not isinstance(value, str):
            return None
        found = {m.group("key"): m.group("value") for m in _POWERSHELL_DETAIL.finditer(value)}
        return found.get(key) or None
    return transform


# The panw integration's config pipeline (packages/panw/data_stream/panos/elasticsearch/ingest_pipeline/
# config.yml): event.action is cmd-<command> for the documented commands, event.outcome success /
# failure / unknown from the result, and message keeps the CSV from the host field on.
_PANOS_COMMANDS = ("add", "clone", "commit", "delete", "edit", "move", "rename", "set")


def panos_action(value: Any, sample: Mapping | None = None) -> Any:
    return f"cmd-{value}" if value in _PANOS_COMMANDS else None


def panos_outcome(value: Any, sample: Mapping | None = None) -> Any:
    return {"Succeeded": "success", "Failed": "failure"}.get(str(value), "unknown")


def panos_message(sample: dict) -> str:
    """message as the panw pipeline leaves it: the CONFIG line from the host field on (the header
    fields up to the generated time become @timestamp, observer.serial_number, panw.panos.type ...)."""
    return shared.panos_config_csv(sample).split(",", 7)[7]


TRANSFORMS: dict[str, Callable[[Any, Mapping | None], Any]] = {
    "panos_action": panos_action, "panos_outcome": panos_outcome,
    "argv": argv, "argv_posix": argv_posix, "argv_windows": argv_windows, "argv_count": argv_count,
    "defend_registry_path": defend_registry_path, "defend_registry_hive": defend_registry_hive,
    "defend_registry_key": defend_registry_key, "data_strings": data_strings, "data_type": data_type,
    "registry_event_type": registry_event_type, "registry_event_action": registry_event_action,
    "name_value_object": name_value_object, "syslog_dataset": syslog_dataset, "syslog_code": syslog_code,
    "syslog_text": syslog_text, "syslog_vendor": syslog_vendor, "syslog_product": syslog_product,
    "syslog_severity": syslog_severity, "ios_facility": ios_facility,
    "asa_command_line_arguments": asa_command_line_arguments, "asa_command_user": asa_command_user,
    "asa_command_source": asa_command_source, "asa_category": asa_category, "asa_type": asa_type,
    "asa_action": asa_action, "auditd_action": auditd_action, "outcome": outcome,
    **{f"powershell_{name}": powershell_detail(key) for name, key in (
        ("engine_version", "EngineVersion"), ("host_version", "HostVersion"), ("new_engine_state", "NewEngineState"),
        ("previous_engine_state", "PreviousEngineState"), ("runspace_id", "RunspaceId"),
        ("host_name", "HostName"), ("host_id", "HostId"))},
}
FORMATS: dict[str, Callable[[dict], str]] = {"panos_message": panos_message}
