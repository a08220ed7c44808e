"""KQL references for the platform checks: tables, fields with the tables in scope, compared
values with their operator, and the columns the query makes (`produced`)."""
from __future__ import annotations

import glob

import pytest
import yaml

from tooling.checks.platform_names import name_diagnostics
from tooling.languages import get_language

KQL = get_language("kql")


def refs(query: str):
    parsed = KQL.parse(query)
    assert parsed.ok, parsed.diagnostics
    return KQL.references(query, parsed.tree)


def short(query: str):
    return [(r.kind, r.name, r.line, r.column, r.tables, r.value, r.operator, r.produced) for r in refs(query)]


def test_a_pipeline_names_its_table_fields_and_compared_values():
    assert short('DeviceRegistryEvents\n| where ActionType == "RegistryValueSet" and RegistryKey has @"\\Lsa"') == [
        ("table", "DeviceRegistryEvents", 1, 1, (), None, None, False),
        ("field", "ActionType", 2, 9, ("DeviceRegistryEvents",), None, None, False),
        ("value", "ActionType", 2, 23, ("DeviceRegistryEvents",), "RegistryValueSet", "==", False),
        ("field", "RegistryKey", 2, 46, ("DeviceRegistryEvents",), None, None, False),
        ("value", "RegistryKey", 2, 62, ("DeviceRegistryEvents",), "\\Lsa", "has", False),
    ]


def test_in_lists_report_each_value_inline_or_let_bound():
    query = 'let Names = dynamic(["a.exe", "b.exe"]);\nDeviceProcessEvents | where FileName in~ (Names, "c.exe")'
    values = [(r.value, r.line, r.column, r.operator, r.tables) for r in refs(query) if r.kind == "value"]
    assert values == [("a.exe", 1, 22, "in~", ("DeviceProcessEvents",)),
                      ("b.exe", 1, 31, "in~", ("DeviceProcessEvents",)),
                      ("c.exe", 2, 50, "in~", ("DeviceProcessEvents",))]
    # the let name is the query's own: neither a table nor a field
    assert {r.name for r in refs(query) if r.kind != "value"} == {"DeviceProcessEvents", "FileName"}


def test_union_of_let_pipelines_keeps_every_table_in_scope_and_the_made_columns():
    query = ("let P = DeviceProcessEvents | extend Indicator = \"p\";\n"
             "let R = Syslog | where SyslogMessage has \"x\";\n"
             "union P, R\n| project Timestamp, Indicator, Computer")
    found = refs(query)
    assert [(r.name, r.line, r.column) for r in found if r.kind == "table"] == [
        ("DeviceProcessEvents", 1, 9), ("Syslog", 2, 9)]
    last = {r.name: r for r in found if r.line == 4}
    assert last["Timestamp"].tables == ("DeviceProcessEvents", "Syslog")
    assert last["Indicator"].produced and not last["Computer"].produced
    made = [r for r in found if r.name == "Indicator" and r.line == 1]
    assert [(r.column, r.produced) for r in made] == [(38, True)]


def test_columns_made_by_the_query_are_produced():
    query = ("DeviceProcessEvents\n| extend Cmd = tolower(ProcessCommandLine)\n| parse Cmd with \"sc \" Verb:string \" \" *"
             "\n| summarize Hits = count(), dcount(DeviceId) by Verb, bin(Timestamp, 1h)"
             "\n| project-rename When = Timestamp\n| where Hits > 1 and dcount_DeviceId > 1 and When > ago(1d)")
    by_name = {}
    for r in refs(query):
        if r.kind == "field":
            by_name.setdefault(r.name, []).append(r.produced)
    assert by_name["ProcessCommandLine"] == [False]
    assert by_name["Cmd"] == [True, True]
    assert by_name["Verb"] == [True, True]
    assert by_name["Hits"] == [True, True]
    assert by_name["dcount_DeviceId"] == [True]
    assert by_name["When"] == [True, True]
    assert by_name["Timestamp"] == [False, False]


def test_wildcards_dynamic_paths_and_join_sides():
    found = refs("union Device*\n| where AdditionalFields.Command == \"x\"")
    assert [(r.kind, r.name, r.tables) for r in found][:2] == [
        ("table", "Device*", ()), ("field", "AdditionalFields.Command", ("Device*",))]
    query = "DeviceNetworkEvents\n| join kind=inner (DeviceProcessEvents) on $left.DeviceId == $right.DeviceId"
    fields = [(r.name, r.column, r.tables) for r in refs(query) if r.kind == "field"]
    assert fields == [("DeviceId", 50, ("DeviceNetworkEvents",)), ("DeviceId", 69, ("DeviceProcessEvents",))]


def test_after_evaluate_every_column_may_be_made_by_the_plugin():
    found = refs("DeviceEvents | evaluate bag_unpack(AdditionalFields) | where Command has \"x\"")
    assert [r.produced for r in found if r.name == "Command" and r.kind == "field"] == [True]


@pytest.mark.parametrize("path", sorted(glob.glob("detections/T1562/*.yml")))
def test_the_packages_name_only_what_the_platform_has(path):
    with open(path, encoding="utf-8") as handle:
        query = yaml.safe_load(handle)["queries"]["kql"]
    parsed = KQL.parse(query)
    assert parsed.ok
    assert KQL.references(query, parsed.tree)
    assert [(d.code, d.message) for d in name_diagnostics("kql", parsed.tree, query)] == []
