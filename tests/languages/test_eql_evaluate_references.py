"""EQL references (tables, fields with their operator, compared values) and the EQL schema."""
from __future__ import annotations

import glob
from pathlib import Path

import yaml

from tooling.languages import get_language
from tooling.platforms import platform_schema

EQL = get_language("eql")
ROOT = Path(__file__).resolve().parents[2]


def test_references_name_categories_fields_operators_and_values():
    refs = EQL.references('process where process.name : ("a*", "b") and not ?user.`x y` in~ ("q")')
    assert ("table", "process") in {(r.kind, r.name) for r in refs}
    fields = {(r.name, r.operator, r.tables) for r in refs if r.kind == "field"}
    assert ("process.name", ":", ("process",)) in fields and ("user.x y", "in~", ("process",)) in fields
    values = {(r.name, r.value, r.operator) for r in refs if r.kind == "value"}
    assert values == {("process.name", "a*", ":"), ("process.name", "b", ":"), ("user.x y", "q", "in~")}
    assert not any(r.produced for r in refs)


def test_any_has_no_table_and_join_keys_are_fields():
    refs = EQL.references("sequence by host.id [process where true] [file where true] | head 1")
    assert {r.name for r in refs if r.kind == "table"} == {"process", "file"}
    (key,) = [r for r in refs if r.kind == "field"]
    assert (key.name, key.operator, key.tables) == ("host.id", "by", ("file", "process"))
    assert not [r for r in EQL.references("any where true") if r.kind == "table"]


def test_text_field_use_is_visible_to_the_checks():
    refs = EQL.references('any where message : "*x*"')
    (field,) = [r for r in refs if r.kind == "field"]
    schema = platform_schema("eql")
    assert field.operator == ":" and schema.fields_of(None)[field.name] == "text"


def test_schema_knows_every_field_and_category_the_packages_use():
    schema = platform_schema("eql")
    known = schema.fields_of(None)
    assert schema.sources
    for path in sorted(glob.glob(str(ROOT / "detections" / "T1562" / "*.yml"))):
        query = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["queries"]["eql"]
        for ref in EQL.references(query):
            if ref.kind == "table":
                assert ref.name in schema.tables, (path, ref)
            elif ref.kind == "field" and not ref.name.startswith("o365.audit.Parameters."):
                assert ref.name in known, (path, ref)
