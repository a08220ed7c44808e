"""Each defect class issue #16 names, caught on a minimal package by `dac validate`.

A query that parses can still name what its platform lacks, or read an event its platform does
not produce in that shape. Each case here is the base fixture with one query replaced by the
defective form (and, where the defect is a shape, a sample of that kind).
"""
from __future__ import annotations

from pathlib import Path

from tests.fixtures.common import with_query
from tooling.validate import validate

LINUX_SAMPLE = """      match:
        - {EventID: 1, Image: /usr/sbin/auditctl, CommandLine: auditctl -e 0, User: root}
      no_match:
        - {EventID: 1, Image: /usr/sbin/auditctl, CommandLine: auditctl -l, User: root}
"""
_KEY = "'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware'"
REGISTRY_SAMPLE = "".join([
    "      match:\n",
    f"        - {{EventID: 13, EventType: SetValue, TargetObject: {_KEY}, Details: DWORD (0x00000001)}}\n",
    "      no_match:\n",
    f"        - {{EventID: 13, EventType: SetValue, TargetObject: {_KEY}, Details: DWORD (0x00000000)}}\n",
])


def _with_samples(text: str, samples: str) -> str:
    start = text.index("      match:\n")
    return text[:start] + samples


def _codes(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    target = tmp_path / "detections" / "T1562" / "T1562.001.yml"
    target.parent.mkdir(parents=True)
    target.write_text(text, encoding="utf-8")
    return [(d.code, d.message) for d in validate([target], jobs=1).diagnostics if d.code != "DAC206"]


def _only(found: list[tuple[str, str]], code: str) -> str:
    # the Sigma form (DAC504/DAC505) and the other queries are not the point here
    codes = [c for c, _ in found]
    assert code in codes, found
    return next(message for c, message in found if c == code)


def test_eql_on_the_text_field_message_is_refused(tmp_path):
    # Elasticsearch EQL cannot search `text` fields; ECS `message` is one (T1562.011, T1562.013).
    found = _codes(tmp_path, with_query("eql", 'any where message : "*access-list*"\n'))
    assert "'message' is a text field" in _only(found, "DAC483")


def test_logscale_reg_integer_value_is_not_a_falcon_field(tmp_path):
    # Falcon's DWORD registry data is RegNumericValue; RegIntegerValue does not exist.
    query = ('#event_simpleName=RegGenericValueUpdate RegValueName=/^DisableAntiSpyware$/i RegIntegerValue=1\n'
             '| table([ComputerName, RegObjectName])\n')
    found = _codes(tmp_path, with_query("logscale", query))
    assert "did you mean 'RegNumericValue'?" in _only(found, "DAC481")


def test_kql_sentinel_only_table_with_a_defender_only_table_runs_nowhere(tmp_path):
    # BehaviorInfo is not streamed to Sentinel; Syslog exists only in Sentinel.
    found = _codes(tmp_path, with_query("kql", "union BehaviorInfo, Syslog\n| take 10\n"))
    assert "no product runs this query" in _only(found, "DAC484")


def test_kql_sysmon_field_names_get_the_defender_name_suggested(tmp_path):
    found = _codes(tmp_path, with_query("kql", 'DeviceProcessEvents\n| where CommandLine has "stop"\n'))
    assert "did you mean 'ProcessCommandLine'?" in _only(found, "DAC481")


def test_aql_process_commandline_on_linux_events_misses_them(tmp_path):
    # QRadar's Linux OS DSM names the property "Command" (T1562.003, .012, the Linux branch of .004).
    text = with_query("aql", "SELECT username FROM events WHERE \"Process CommandLine\" ILIKE '%auditctl -e 0%' "
                             "LAST 24 HOURS\n")
    text = _with_samples(text, LINUX_SAMPLE)  # a Linux process (its image is a POSIX path)
    assert "does not return sample match[0]" in _only(_codes(tmp_path, text), "DAC510")


def test_sumo_parsing_sysmon_xml_misses_the_windows_json_source(tmp_path):
    # Sumo's Windows event log source sends JSON (EventData.*), not Sysmon's XML.
    query = ("_sourceCategory=windows/sysmon \"sc.exe\"\n"
             "| parse regex \"<Data Name='CommandLine'>(?<command_line>[^<]*)</Data>\"\n"
             "| where command_line matches \"*stop*\"\n")
    assert "does not return sample match[0]" in _only(_codes(tmp_path, with_query("sumo", query)), "DAC510")


def test_yaral_registry_key_holds_the_full_path(tmp_path):
    # Google's UDM keeps the value name at the end of target.registry.registry_key: a rule anchoring
    # the key at the key itself misses the write.
    query = ("rule registry_anchor {\n  meta:\n    author = \"Fixture Author\"\n  events:\n"
             "    $e.metadata.event_type = \"REGISTRY_MODIFICATION\"\n"
             "    $e.target.registry.registry_key = /\\\\Windows Defender$/ nocase\n"
             "    $e.target.registry.registry_value_name = \"DisableAntiSpyware\"\n"
             "  condition:\n    $e\n}\n")
    text = _with_samples(with_query("yaral", query), REGISTRY_SAMPLE)
    assert "does not return sample match[0]" in _only(_codes(tmp_path, text), "DAC510")


PAN_SAMPLE = "".join([
    "      match:\n",
    "        - {type: CONFIG, cmd: delete, admin: labadmin, client: CLI, result: Succeeded,\n",
    "           path: ' vsys  vsys1 rulebase security rules  T1562_LAB'}\n",
    "      no_match:\n",
    "        - {type: CONFIG, cmd: show, admin: labadmin, client: CLI, result: Succeeded,\n",
    "           path: ' vsys  vsys1 rulebase security rules  T1562_LAB'}\n",
])


def test_kql_palo_alto_log_type_is_in_activity_not_device_event_class_id(tmp_path):
    # Sentinel's CommonSecurityLog keeps PAN-OS's log type (CONFIG) in Activity; DeviceEventClassID
    # holds the result (T1562.013's KQL tested the wrong column and missed every change).
    query = ("CommonSecurityLog\n"
             "| where DeviceVendor == \"Palo Alto Networks\" and DeviceEventClassID == \"CONFIG\"\n"
             "| where DeviceAction == \"delete\"\n")
    text = _with_samples(with_query("kql", query), PAN_SAMPLE)
    assert "does not return sample match[0]" in _only(_codes(tmp_path, text), "DAC510")
    fixed = query.replace("DeviceEventClassID == \"CONFIG\"", "Activity == \"CONFIG\"")
    kql = [code for code, message in _codes(tmp_path / "fixed", _with_samples(with_query("kql", fixed), PAN_SAMPLE))
           if message.startswith("KQL")]
    assert kql == []  # evaluated (no DAC512), and right on both samples
