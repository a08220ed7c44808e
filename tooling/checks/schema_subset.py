"""A quick "certainly valid" test for the JSON Schema keywords dac's schemas use.

jsonschema is exact and explains every error, but importing it (with `referencing`, `attrs` and
its format checkers) costs about a fifth of validating one package, and its validation a seventh
of validating a thousand. Nearly every package is valid, and a valid one gives no schema
diagnostic: so the checks first ask `SubsetValidator.certainly_valid`, and only when it says no
(or cannot tell) run jsonschema, whose errors become the diagnostics as before.

The test may only err towards "no": every keyword is checked as jsonschema checks it, or more
strictly (an `enum` value must be of the same type, `uniqueItems` is decided for text only), and
a schema with any keyword outside the subset below is never answered (every instance goes to
jsonschema). `tests/test_schema_subset.py` compares it with jsonschema.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Callable

# Keywords that say nothing about validity (annotations), and those checked here.
ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description", "examples", "default",
                         "deprecated", "readOnly", "writeOnly"})
CHECKED = frozenset({"type", "enum", "properties", "additionalProperties", "required", "minProperties",
                     "propertyNames", "items", "minItems", "maxItems", "uniqueItems", "minLength", "maxLength",
                     "pattern", "format", "anyOf", "$ref"})

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)  # jsonschema's own test for "date", then fromisoformat

Check = Callable[[Any], bool]


class Unsupported(Exception):
    """The schema uses something this test does not decide."""


# jsonschema's type test (draft 2020-12's type checker), or stricter, for the types YAML gives:
# the Python types each JSON type name accepts (`type(x) in ...`, so bool is no integer).
_TYPES = {"string": {str}, "object": {dict}, "array": {list}, "boolean": {bool}, "null": {type(None)},
          "integer": {int},  # stricter: jsonschema also takes 2.0
          "number": {int, float}}


def _python_types(names: Any) -> frozenset:
    found: set = set()
    for name in names if isinstance(names, list) else [names]:
        if name not in _TYPES:
            raise Unsupported(f"type {name!r}")
        found |= _TYPES[name]
    return frozenset(found)


def _valid_date(instance: Any) -> bool:
    if type(instance) is not str:
        return True  # as jsonschema: a format only applies to strings
    if not _DATE.fullmatch(instance):
        return False
    try:
        date.fromisoformat(instance)
    except ValueError:
        return False
    return True


class SubsetValidator:
    """`certainly_valid(instance)`: True only when jsonschema would find no error. `assert_formats`:
    whether the jsonschema validator it stands for was given a format checker."""

    def __init__(self, schema: dict, assert_formats: bool = False):
        self.root = schema
        self.assert_formats = assert_formats
        self._refs: dict[str, Check] = {}
        try:
            self._check: Check | None = self._compile(schema)
        except Unsupported:
            self._check = None

    @property
    def supported(self) -> bool:
        return self._check is not None

    def certainly_valid(self, instance: Any) -> bool:
        if self._check is None:
            return False
        try:
            return self._check(instance)
        except RecursionError:
            return False

    # --- the schema as a tree of checks, built once --------------------------------------

    def _compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda instance: True
        if schema is False:
            return lambda instance: False
        if not isinstance(schema, dict):
            raise Unsupported("a schema that is not an object")
        unknown = set(schema) - CHECKED - ANNOTATIONS
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(self._ref(schema["$ref"]))
        if "type" in schema:
            types = _python_types(schema["type"])
            checks.append(lambda instance: type(instance) in types)
        if "enum" in schema:
            checks.append(self._enum(schema["enum"]))
        if "anyOf" in schema:
            options = tuple(self._compile(option) for option in schema["anyOf"])

            def any_of(instance: Any) -> bool:
                for option in options:
                    if option(instance):
                        return True
                return False

            checks.append(any_of)
        if "format" in schema and self.assert_formats:
            if schema["format"] != "date":
                raise Unsupported(f"format {schema['format']!r}")
            checks.append(_valid_date)
        checks.extend(self._string(schema))
        checks.extend(self._array(schema))
        object_check = self._object(schema)
        if object_check is not None:
            checks.append(object_check)
        return _all(checks)

    def _ref(self, ref: Any) -> Check:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise Unsupported(f"$ref {ref!r}")
        if ref not in self._refs:
            target: Any = self.root
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise Unsupported(f"$ref {ref!r}")
                target = target[part]
            self._refs[ref] = lambda instance: False  # while compiling: a reference to itself
            compiled = self._compile(target)
            self._refs[ref] = compiled
        return lambda instance: self._refs[ref](instance)

    @staticmethod
    def _enum(values: Any) -> Check:
        if not isinstance(values, list):
            raise Unsupported("enum")
        # Only scalars, matched with their own type (jsonschema's `equal` also takes 1 for 1.0).
        allowed = {(type(v), v) for v in values if type(v) in (str, int, float, bool) or v is None}
        return lambda instance: type(instance) in (str, int, float, bool, type(None)) \
            and (type(instance), instance) in allowed

    @staticmethod
    def _string(schema: dict) -> list[Check]:
        checks: list[Check] = []
        if "minLength" in schema:
            least = _count(schema["minLength"])
            checks.append(lambda instance: type(instance) is not str or len(instance) >= least)
        if "maxLength" in schema:
            most = _count(schema["maxLength"])
            checks.append(lambda instance: type(instance) is not str or len(instance) <= most)
        if "pattern" in schema:
            pattern = schema["pattern"]
            if not isinstance(pattern, str):
                raise Unsupported("pattern")
            # jsonschema's own test: re.search with the pattern's text (re caches the compiled form)
            checks.append(lambda instance: type(instance) is not str or re.search(pattern, instance) is not None)
        return checks

    def _array(self, schema: dict) -> list[Check]:
        checks: list[Check] = []
        if "items" in schema:
            if not isinstance(schema["items"], (dict, bool)):
                raise Unsupported("items as a list")
            item = self._compile(schema["items"])

            def items(instance: Any) -> bool:
                if type(instance) is list:
                    for each in instance:
                        if not item(each):
                            return False
                return True

            checks.append(items)
        if "minItems" in schema:
            least = _count(schema["minItems"])
            checks.append(lambda instance: type(instance) is not list or len(instance) >= least)
        if "maxItems" in schema:
            most = _count(schema["maxItems"])
            checks.append(lambda instance: type(instance) is not list or len(instance) <= most)
        if schema.get("uniqueItems") is True:
            # decided for text items only; any other list goes to jsonschema
            checks.append(lambda instance: type(instance) is not list
                          or (all(type(each) is str for each in instance) and len(set(instance)) == len(instance)))
        elif schema.get("uniqueItems", False) is not False:
            raise Unsupported("uniqueItems")
        return checks

    def _object(self, schema: dict) -> Check | None:
        properties = schema.get("properties", {})
        if not isinstance(properties, dict):
            raise Unsupported("properties")
        named = {name: self._compile(sub) for name, sub in properties.items()}
        extra = schema.get("additionalProperties", True)
        extra_check = None if extra is True else self._compile(extra)
        required = schema.get("required", [])
        if not isinstance(required, list):
            raise Unsupported("required")
        least = _count(schema.get("minProperties", 0))
        names = self._compile(schema["propertyNames"]) if "propertyNames" in schema else None
        if not named and extra_check is None and not required and not least and names is None:
            return None

        def check(instance: Any) -> bool:
            if type(instance) is not dict:
                return True
            if len(instance) < least or any(name not in instance for name in required):
                return False
            for key, value in instance.items():
                if names is not None and not names(key):
                    return False
                sub = named.get(key)
                if sub is not None:
                    if not sub(value):
                        return False
                elif extra_check is not None and not extra_check(value):
                    return False
            return True

        return check


def _all(checks: list[Check]) -> Check:
    """One check that passes when every one of `checks` passes (the common shapes unrolled)."""
    if not checks:
        return lambda instance: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda instance: first(instance) and second(instance)
    every = tuple(checks)

    def check(instance: Any) -> bool:
        for each in every:
            if not each(instance):
                return False
        return True

    return check


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise Unsupported("a bound that is not a count")
    return value
