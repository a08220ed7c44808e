"""AQL references (tables, fields, compared values for the platform checks) and the QRadar
platform data files: schema.json, names.json and render.json agree with each other."""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from tooling.languages import get_language
from tooling.platforms import platform_schema, render_table

AQL = get_language("aql")
HERE = Path(__file__).resolve().parents[2] / "tooling" / "platforms" / "aql"

QUERY = """SELECT LOGSOURCETYPENAME(devicetype) AS 'Type', COUNT(*) AS n, "Process CommandLine"
FROM events
WHERE LOGSOURCETYPENAME(devicetype) = 'Linux OS'
  AND UPPER("operationName") IN ('A', 'B')
  AND "Process CommandLine" ILIKE '%x%'
  AND n > 0
GROUP BY "Type"
LAST 1 HOURS"""


def test_references_name_the_table_fields_and_values():
    found = AQL.references(QUERY)
    tables = [r for r in found if r.kind == "table"]
    assert [(r.name, r.line, r.column) for r in tables] == [("events", 2, 6)]
    fields = {(r.name, r.produced) for r in found if r.kind == "field"}
    assert ("devicetype", False) in fields and ("Process CommandLine", False) in fields
    assert ("n", True) in fields and ("Type", True) in fields
    assert all(r.tables == ("events",) for r in found if r.kind == "field")
    values = {(r.name, r.value, r.operator) for r in found if r.kind == "value"}
    assert ("LOGSOURCETYPENAME(devicetype)", "Linux OS", "=") in values
    assert ("operationName", "A", "UPPER() IN") in values
    assert ("Process CommandLine", "%x%", "ILIKE") in values
    command = next(r for r in found if r.kind == "value" and r.value == "%x%")
    assert (command.line, command.column) == (5, 35)  # the opening quote


def test_references_of_a_query_that_does_not_parse_are_empty():
    assert AQL.references("SELECT FROM") == []


def test_schema_knows_every_rendered_field_and_log_source_type():
    schema = platform_schema("aql")
    known = schema.fields_of("events")
    names = json.loads((HERE / "names.json").read_text(encoding="utf-8"))
    types = set(schema.tables["events"].enums["LOGSOURCETYPENAME(devicetype)"])
    assert set(names["devicetype"].values()) <= types
    for kind, spec in render_table("aql")["kinds"].items():
        targets = set(spec.get("set", {}))
        for rules in spec.get("fields", {}).values():
            for rule in rules if isinstance(rules, list) else [rules]:
                targets.add(rule if isinstance(rule, str) else rule["to"])
        targets |= {raw["to"] for raw in spec.get("raw", ())}
        unknown = {t for t in targets if not t.startswith("$") and t not in known}
        assert not unknown, f"{kind}: {unknown}"
        for key in ("devicetype", "logsourceid"):
            value = spec.get("set", {}).get(key)
            assert value is None or str(value) in names[key], (kind, key, value)


def test_data_files_name_their_sources_and_date():
    for name in ("render.json", "schema.json", "names.json"):
        data = json.loads((HERE / name).read_text(encoding="utf-8"))
        assert data["sources"] and data["date"]


def test_package_queries_use_known_tables_and_value_forms():
    for path in sorted((Path(__file__).resolve().parents[2] / "detections" / "T1562").glob("*.yml")):

        query = yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]["aql"]
        found = AQL.references(query)
        assert [r.name for r in found if r.kind == "table"] == ["events"], path.name
        types = {r.value for r in found if r.kind == "value" and r.name == "LOGSOURCETYPENAME(devicetype)"}
        assert types <= set(platform_schema("aql").tables["events"].enums["LOGSOURCETYPENAME(devicetype)"]), path
