"""Sumo Logic references for the platform checks: source categories and partitions (tables),
fields with the tables in scope, compared values, JSON paths read from the message, and fields
the query makes (`produced`); a field used before the stage that makes it is a plain reference."""
from __future__ import annotations

import glob

import pytest
import yaml

from tooling.checks.platform_names import name_diagnostics
from tooling.languages import get_language
from tooling.platforms import platform_schema

SUMO = get_language("sumo")


def refs(query: str):
    parsed = SUMO.parse(query)
    assert parsed.ok, parsed.diagnostics
    return SUMO.references(query, parsed.tree)


def short(query: str):
    return [(r.kind, r.name, r.line, r.column, r.value, r.operator, r.produced) for r in refs(query)]


def findings(query: str):
    parsed = SUMO.parse(query)
    assert parsed.ok, parsed.diagnostics
    return [(d.code, d.line, d.column) for d in name_diagnostics("sumo", parsed.tree, query)]


def test_source_category_is_a_table_and_scopes_the_fields():
    found = refs('_sourceCategory=Windows/Sysmon | where user = "x"')
    assert [(r.kind, r.name, r.line, r.column) for r in found if r.kind == "table"] == [
        ("table", "windows/sysmon", 1, 17)]
    assert ("field", "_sourceCategory", 1, 1, None, None, False) in short('_sourceCategory=windows/sysmon')
    user = [r for r in found if r.name == "user"]
    assert [(r.kind, r.column, r.value, r.operator, r.tables) for r in user] == [
        ("field", 40, None, None, ("windows/sysmon",)), ("value", 47, "x", "=", ("windows/sysmon",))]


def test_a_wildcard_category_scopes_the_categories_it_matches_not_partitions():
    found = refs('_sourceCategory=*network* | json "a" nodrop')
    assert ("table", "*network*") in [(r.kind, r.name) for r in found]
    assert {r.tables for r in found if r.kind == "field"} == {("network/fortigate", "network/syslog")}


def test_field_used_before_the_stage_that_makes_it():
    query = '_sourceCategory=windows/sysmon | where user = "x" | parse "user=*;" as user | where user = "y"'
    fields = [(r.column, r.produced) for r in refs(query) if r.kind == "field" and r.name == "user"]
    assert fields == [(40, False), (72, True), (85, True)]
    assert findings(query) == [("DAC485", 1, 40)]  # made at column 72, by the parse


def test_parse_regex_json_eval_aggregate_and_lookup_make_fields():
    query = ('_sourceCategory=linux/auditd | parse regex "type=(?<t>\\w+)" | json field=_raw "a.b" as ab nodrop '
             '| if(t = "EXECVE", 1, 0) as x | y = x + 1 | lookup owner from /shared/lookups/o on t=t '
             '| count by owner, y | where _count > 1')
    produced = {r.name for r in refs(query) if r.kind == "field" and r.produced}
    assert {"t", "ab", "x", "y", "owner", "_count"} <= produced
    assert ("field", "a.b", 1, 79, None, None, False) in short(query)  # a JSON path read from the message
    assert not any(r.name in ("if", "count") for r in refs(query))


def test_json_paths_are_checked_against_the_record_with_their_case():
    query = '_sourceCategory=aws/cloudtrail | json "userIdentity.arn", "eventname" as arn, en'
    assert findings(query) == [("DAC481", 1, 59)]
    parsed = SUMO.parse(query)
    message = name_diagnostics("sumo", parsed.tree, query)[0].message
    assert "did you mean 'eventName'" in message


def test_metadata_names_are_case_insensitive():
    found = refs("_sourceCategory=linux/auditd | where _messagetime > 0 | sort by _MessageTime")
    assert [r.name for r in found if r.kind == "field"][1:] == ["_messageTime", "_messageTime"]
    assert findings("_sourceCategory=linux/auditd | where _messagetime > 0") == []


def test_cloud_siem_partitions_fields_and_record_types():
    query = ('_index=sec_record_endpoint objectType=EndpointProces | where commandline matches "*x*" '
             '| fields device_hostname, baseimage, user_username')
    found = refs(query)
    assert ("table", "sec_record_endpoint", 1, 8) in [(r.kind, r.name, r.line, r.column) for r in found]
    assert {r.name for r in found if r.kind == "field"} >= {"commandLine", "baseImage", "device_hostname"}
    assert findings(query) == [("DAC482", 1, 39)]
    assert findings('_index=sec_record_* | where %"fields.application" = "x" and bogus = 1') == [("DAC481", 1, 61)]


def test_after_an_operator_with_unknown_outputs_every_field_may_be_made():
    assert [r.produced for r in refs("_sourceCategory=aws/cloudtrail | json auto | where Foo = 1")
            if r.name == "Foo"] == [True, True]
    assert findings('x | csv _raw extract 1 as a, 2 as b | where a = "1" and c = "2"') == [("DAC481", 1, 57)]


def test_the_schema_knows_the_render_tables_and_names_its_sources():
    schema = platform_schema("sumo")
    for table in ("windows/sysmon", "windows/security", "windows/application", "linux/sysmon", "linux/auditd",
                  "aws/cloudtrail", "azure/activity", "gcp/audit", "o365/audit", "network/fortigate",
                  "network/syslog", "sec_record_endpoint"):
        assert table in schema.tables, table
    assert schema.common_fields["_sourceCategory"] == "string" and schema.common_fields["_raw"] == "text"
    assert schema.fields_of("windows/sysmon")["EventData.CommandLine"] == "text"
    assert schema.fields_of("sec_record_endpoint")["baseImage"] == "string"
    assert "caller" not in schema.fields_of("azure/activity")
    assert schema.sources


# The package queries name nothing Sumo lacks (T1562.007 and .008 read the Azure caller from
# identity.claims: the Activity Log record exported to Event Hubs has no top-level `caller`).
EXPECTED: dict[str, list] = {}


@pytest.mark.parametrize("path", sorted(glob.glob("detections/T1562/*.yml")))
def test_the_packages_give_only_the_listed_findings(path):
    with open(path, encoding="utf-8") as handle:
        query = yaml.safe_load(handle)["queries"]["sumo"]
    parsed = SUMO.parse(query)
    assert parsed.ok
    assert SUMO.references(query, parsed.tree)
    assert findings(query) == EXPECTED.get(path, [])
