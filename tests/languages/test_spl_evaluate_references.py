"""SPL references for the platform checks: tables (source types, data models, lookups), fields with
the tables in scope, compared values with their operator, and fields the query makes."""
from __future__ import annotations

from tooling.languages.spl import LANGUAGE
from tooling.platforms import platform_schema


def refs(query):
    return LANGUAGE.references(query)


def test_sourcetype_is_a_table_and_scopes_the_fields():
    found = refs('sourcetype=aws:cloudtrail eventName IN ("StopLogging", "DeleteTrail") | where x="y"')
    assert ("table", "aws:cloudtrail", 1, 12) in [(r.kind, r.name, r.line, r.column) for r in found]
    names = [r for r in found if r.kind == "field" and r.name == "eventName"]
    assert names and names[0].tables == ("aws:cloudtrail",) and not names[0].produced
    values = [(r.value, r.operator) for r in found if r.kind == "value" and r.name == "eventName"]
    assert values == [("StopLogging", "IN"), ("DeleteTrail", "IN")]
    assert [(r.value, r.operator) for r in found if r.kind == "value" and r.name == "x"] == [("y", "=")]


def test_windows_source_scopes_its_sourcetype():
    found = refs('source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational" EventCode=1')
    assert [r.tables for r in found if r.name == "EventCode" and r.kind == "field"] == [("XmlWinEventLog",)]


def test_tstats_data_model_fields_and_produced_fields():
    found = refs("| tstats count from datamodel=Endpoint.Processes where Processes.process=\"*x*\" "
                 "by Processes.dest | rename Processes.* as * | where dest=\"h\"")
    assert any(r.kind == "table" and r.name == "Endpoint.Processes" for r in found)
    process = [r for r in found if r.name == "Processes.process" and r.kind == "field"]
    assert process[0].tables == ("Endpoint.Processes",)
    dest = [r for r in found if r.name == "dest" and r.kind == "field"]
    assert dest and all(r.produced for r in dest)


def test_eval_rex_and_stats_make_fields():
    found = refs('x | rex field=_raw "(?<svc>\\w+)" | eval k=lower(svc) | stats count as n by k | where n>1')
    produced = {r.name for r in found if r.kind == "field" and r.produced}
    assert {"svc", "k", "n"} <= produced
    assert not any(r.name == "lower" for r in found)


def test_the_schema_knows_the_packages_tables():
    schema = platform_schema("spl")
    for table in ("XmlWinEventLog", "aws:cloudtrail", "azure:monitor:activity", "google:gcp:pubsub:message",
                  "o365:management:activity", "fortigate_event", "cisco:asa", "cisco:ios", "pan:config",
                  "linux:audit", "Endpoint.Processes", "Endpoint.Registry"):
        assert table in schema.tables, table
    assert schema.fields_of("Endpoint.Processes")["Processes.process"] == "string"
    assert schema.aliases["ProcessCommandLine"] == "CommandLine"
