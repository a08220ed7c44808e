"""Platform checks (DAC480-DAC484): the names a query uses, against the platform's data.

A small schema is injected so that each check is tested on its own, independent of how complete
the bundled data is; the references come from the real AQL and KQL languages.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tooling.checks import platform_names
from tooling.checks.platform_names import name_diagnostics
from tooling.languages import get_language
from tooling.platforms import PlatformSchema, Table
from tooling.platforms import local as local_additions
from tooling.platforms.local import LocalPlatforms

SCHEMA = PlatformSchema(
    "aql",
    tables={"events": Table("events", {"username": "string", "devicetype": "number", "EventID": "string",
                                       "Process CommandLine": "string", "payload": "text"},
                            enums={"LOGSOURCETYPENAME(devicetype)": ("Microsoft Windows Security Event Log",
                                                                     "Linux OS")}),
            "flows": Table("flows", {"sourceip": "ip"})},
    common_fields={"starttime": "datetime"},
    aliases={"CommandLine": "Process CommandLine"},
    refused_types={"text": "this test refuses text fields"},
)


@pytest.fixture(autouse=True)
def schema(monkeypatch):
    monkeypatch.setattr(platform_names, "platform_schema", lambda key: SCHEMA)
    monkeypatch.setattr(platform_names, "has_platform_data", lambda key, name="render.json": True)
    monkeypatch.setattr(local_additions, "_in_use", LocalPlatforms())


def found(query: str, key: str = "aql"):
    parsed = get_language(key).parse(query)
    assert parsed.ok, parsed.diagnostics
    return [(d.code, d.line, d.column, d.message) for d in name_diagnostics(key, parsed.tree, query)]


def test_known_names_give_nothing():
    assert found("SELECT username FROM events WHERE \"EventID\" = '1' AND "
                 "LOGSOURCETYPENAME(devicetype) = 'Linux OS'") == []


def test_an_unknown_table_is_dac480_at_the_table():
    (code, line, column, message), = found("SELECT username FROM event WHERE username = 'x'")
    assert (code, line, column) == ("DAC480", 1, 22)
    assert "did you mean 'events'?" in message


def test_an_unknown_field_is_dac481_with_the_alias_suggested():
    (code, line, column, message), = found("SELECT username FROM events WHERE \"CommandLine\" ILIKE '%x%'")
    assert (code, line, column) == ("DAC481", 1, 35)
    assert "did you mean 'Process CommandLine'?" in message


def test_a_field_of_another_table_is_unknown_in_this_one():
    codes = [c[0] for c in found("SELECT sourceip FROM events")]
    assert codes == ["DAC481"]
    assert found("SELECT sourceip FROM flows") == []


def test_an_element_or_a_member_of_an_array_field_is_known_but_not_of_a_string_field(monkeypatch):
    schema = PlatformSchema("logscale", tables={"microsoft": Table("microsoft", {
        "#Vendor": "string", "windows.EventData": "array", "windows.Channel": "string"})},
        common_fields={}, aliases={})
    monkeypatch.setattr(platform_names, "platform_schema", lambda key: schema)
    assert found('#Vendor=microsoft | windows.EventData[0]=/x/ | windows.EventData.Name="y"', "logscale") == []
    (code, line, column, _), = found('#Vendor=microsoft | windows.Channel[0]="x"', "logscale")
    assert (code, line, column) == ("DAC481", 1, 21)


def test_a_value_outside_the_enumeration_is_dac482_with_the_closest_value():
    (code, line, column, message), = found(
        "SELECT username FROM events WHERE LOGSOURCETYPENAME(devicetype) = 'Linux Os'")
    assert (code, line, column) == ("DAC482", 1, 67)  # the opening quote of the value
    assert "did you mean 'Linux OS'?" in message


def test_a_refused_type_is_dac483():
    (code, _, _, message), = found("SELECT username FROM events WHERE payload ILIKE '%x%'")
    assert code == "DAC483" and "text field" in message


def test_a_declared_field_is_known(monkeypatch):
    declared = LocalPlatforms(declared={"aql": {"fields": {"My Property": "string"}}})
    monkeypatch.setattr(local_additions, "_in_use", declared)
    assert found("SELECT \"My Property\" FROM events") == []


def test_tables_of_different_products_are_dac484(monkeypatch):
    kql = PlatformSchema("kql", tables={
        "DeviceProcessEvents": Table("DeviceProcessEvents", {"FileName": "string"}, products=("xdr", "sentinel")),
        "DeviceRegistryEvents": Table("DeviceRegistryEvents", {"RegistryKey": "string"}, products=("xdr",)),
        "Syslog": Table("Syslog", {"SyslogMessage": "string"}, products=("sentinel",))},
        common_fields={}, aliases={})
    monkeypatch.setattr(platform_names, "platform_schema", lambda key: kql)
    query = "union DeviceRegistryEvents, Syslog"
    assert [c[0] for c in found(query, "kql")] == ["DAC484"]
    assert found("union DeviceProcessEvents, Syslog", "kql") == []


ROOT = Path(__file__).resolve().parents[1]
PLATFORM_DATA = sorted((ROOT / "tooling" / "platforms").rglob("*.json"))


@pytest.mark.parametrize("path", PLATFORM_DATA, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_platform_data_file_names_its_sources_and_when_they_were_read(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["sources"], "no sources"
    for source in data["sources"]:  # a vendor's page, a public schema, or another data file here
        url = source.get("url", "")
        assert source.get("title") and (url.startswith("https://") or (ROOT / url).is_file()), source
    date.fromisoformat(data["date"])  # raises unless an ISO date


def test_the_platform_data_files_are_all_there():
    # kinds.json, and each of the seven platforms' render and schema data (AQL's names besides)
    assert len(PLATFORM_DATA) == 1 + 7 * 2 + 1
