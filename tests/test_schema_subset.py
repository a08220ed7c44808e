"""The quick schema test (tooling/checks/schema_subset.py) never calls valid what jsonschema rejects,
and does call the repository's packages valid (else it would save nothing)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tooling.checks.schema import load_schema, quick_validator, schema_validator
from tooling.checks.schema_subset import SubsetValidator
from tooling.package import LoadError, load_package
from tooling.platforms import local

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted((ROOT / "detections").rglob("*.yml"))
FIXTURES = sorted((ROOT / "tests" / "fixtures").rglob("*.yml"))


def _load(path: Path):
    try:
        return load_package(path, root=path.parent).data
    except LoadError:
        return None


PACKAGE_DATA = [data for data in map(_load, PACKAGES) if data is not None]
FIXTURE_DATA = [data for data in map(_load, FIXTURES) if data is not None]
PLATFORM_FILES = [data for data in map(_load, [ROOT / "platforms.yml",
                                               *(p for p in FIXTURES if p.name == "platforms.yml")])
                  if data is not None]


def jsonschema_valid(data) -> bool:
    return not list(schema_validator().iter_errors(data))


def platforms_valid(data) -> bool:
    return not list(local._validator().iter_errors(data))


def agrees(data) -> None:
    if quick_validator().certainly_valid(data):
        assert jsonschema_valid(data), json.dumps(data, default=str)[:400]


def test_both_schemas_are_within_the_subset():
    assert quick_validator().supported
    assert local._quick_validator().supported


def test_the_repository_packages_are_certainly_valid():
    assert PACKAGE_DATA
    for data in PACKAGE_DATA:
        assert jsonschema_valid(data)
        assert quick_validator().certainly_valid(data), data.get("id")


def test_fixtures_agree_with_jsonschema():
    assert FIXTURE_DATA
    invalid = 0
    for data in FIXTURE_DATA:
        agrees(data)
        invalid += not jsonschema_valid(data)
    assert invalid  # the schema fixtures (DAC110-DAC114) are among them


def test_platform_files_agree_with_jsonschema():
    assert PLATFORM_FILES
    for data in PLATFORM_FILES:
        if local._quick_validator().certainly_valid(data):
            assert platforms_valid(data)
    assert local._quick_validator().certainly_valid(PLATFORM_FILES[0])  # the repository's own


def test_a_schema_with_a_keyword_outside_the_subset_is_never_answered():
    schema = {"type": "object", "properties": {"a": {"type": "string", "oneOf": [{"minLength": 1}]}}}
    quick = SubsetValidator(schema)
    assert not quick.supported
    assert not quick.certainly_valid({"a": "x"})
    assert not SubsetValidator({"format": "email"}, assert_formats=True).supported
    assert SubsetValidator({"format": "email"}, assert_formats=False).supported


@pytest.mark.parametrize("value, valid", [
    ("2024-02-29", True), ("2023-02-29", False), ("2024-2-29", False), ("2024-02-29 ", False),
    ("２０２４-02-01", False), ("20240229", False), ("2024-W09-4", False),
    (20240229, True)])
def test_dates_as_jsonschema_checks_them(value, valid):
    quick = SubsetValidator({"format": "date"}, assert_formats=True)
    checker = jsonschema.Draft202012Validator({"format": "date"},
                                              format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert checker.is_valid(value) is valid
    assert quick.certainly_valid(value) is valid


# --- mutations of real packages ---------------------------------------------------------------

def _pointers(value, pointer=()):
    yield pointer
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _pointers(item, pointer + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _pointers(item, pointer + (index,))


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True), st.sampled_from([
        "", " ", "x", "T1562", "T1562.001", "T12", "2024-01-31", "2024-13-01", "DAC116", "DAC1", "stable",
        "Stable", "high", "windows", "Windows", "kql", "defense-evasion", "1", "18.1", "v18",
        "0000000a-0000-0000-0000-000000000000", "https://example.com/"]),
    st.text(max_size=6))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.sampled_from(
                                                           ["id", "name", "x", "reason", "code", "match"]),
                                                           inner, max_size=3)), max_leaves=6)


def _mutate(data, pointer, operation, value):
    data = copy.deepcopy(data)
    if not pointer:
        return data
    *parents, last = pointer
    holder = data
    for part in parents:
        holder = holder[part]
    if operation == "replace":
        holder[last] = value
    elif operation == "delete":
        del holder[last]
    elif operation == "duplicate" and isinstance(holder, list):
        holder.append(copy.deepcopy(holder[last]))
    elif operation == "add" and isinstance(holder[last], dict):
        holder[last]["unexpected"] = value
    elif operation == "empty":
        holder[last] = type(holder[last])() if isinstance(holder[last], (str, list, dict)) else None
    return data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_packages_are_never_called_valid_when_jsonschema_rejects_them(data):
    package = data.draw(st.sampled_from(PACKAGE_DATA))
    pointers = list(_pointers(package))
    mutated = package
    for _ in range(data.draw(st.integers(1, 3))):
        pointers = list(_pointers(mutated))
        pointer = data.draw(st.sampled_from(pointers))
        operation = data.draw(st.sampled_from(["replace", "delete", "duplicate", "add", "empty"]))
        mutated = _mutate(mutated, pointer, operation, data.draw(VALUES))
    agrees(mutated)


def test_the_subset_is_the_schema_the_check_uses():
    assert quick_validator().root == load_schema()
