"""LogScale references for the platform checks, and the LogScale schema's shape."""
from __future__ import annotations

from tooling.languages import get_language
from tooling.platforms import platform_schema

LANG = get_language("logscale")


def refs(query):
    return LANG.references(query)


def test_event_types_selected_are_tables():
    found = refs("#event_simpleName=/^(ProcessRollup2|RegGenericValueUpdate)$/ | CommandLine=/x/")
    tables = [(r.name, r.line, r.column) for r in found if r.kind == "table"]
    assert tables == [("ProcessRollup2", 1, 19), ("RegGenericValueUpdate", 1, 19)]
    field = next(r for r in found if r.kind == "field" and r.name == "CommandLine")
    assert field.tables == ("ProcessRollup2", "RegGenericValueUpdate") and (field.line, field.column) == (1, 64)


def test_values_with_operator_and_in_values():
    found = refs('RegNumericValue!=0 | in(field="RegValueName", values=["Start", "Enabled"])')
    values = [(r.name, r.value, r.operator) for r in found if r.kind == "value"]
    assert values == [("RegNumericValue", "0", "!="), ("RegValueName", "Start", "in"), ("RegValueName", "Enabled", "in")]


def test_produced_fields():
    found = refs('regex("(?<cmd>\\\\w+)") | x := lower(cmd) | x=a | cmd=b | y=c')
    produced = {r.name: r.produced for r in found if r.kind == "field"}
    assert produced == {"cmd": True, "x": True, "y": False}


def test_case_branch_scopes_event_types():
    found = refs("case { #event_simpleName=ProcessRollup2 | CommandLine=a; RegValueName=b }")
    command = next(r for r in found if r.name == "CommandLine" and r.kind == "field")
    value_name = next(r for r in found if r.name == "RegValueName" and r.kind == "field")
    assert command.tables == ("ProcessRollup2",) and value_name.tables == ()


def test_schema_knows_the_packages_event_types_and_the_dword_alias():
    schema = platform_schema("logscale")
    for table in ("ProcessRollup2", "RegGenericValueUpdate", "RegSystemConfigValueUpdate", "AsepValueUpdate"):
        assert table in schema.tables
    assert "RegNumericValue" in schema.fields_of("RegGenericValueUpdate")
    assert "RegIntegerValue" not in schema.fields_of("RegGenericValueUpdate")
    assert schema.aliases["RegIntegerValue"] == "RegNumericValue"
    assert schema.sources
