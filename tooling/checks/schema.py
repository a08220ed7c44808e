"""The JSON Schema check: every schema error becomes a diagnostic at the offending value."""
from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from tooling.checks.schema_subset import SubsetValidator
from tooling.diagnostics import Diagnostic
from tooling.package import Package

def _schema_path() -> Path:
    """The repository's schema/ in a source checkout; the copy a wheel installs otherwise."""
    source = Path(__file__).resolve().parents[2] / "schema" / "detection.schema.json"
    installed = Path(sys.prefix) / "share" / "dac" / "schema" / "detection.schema.json"
    return source if source.exists() or not installed.exists() else installed


SCHEMA_PATH = _schema_path()


def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def schema_validator():
    import jsonschema

    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@lru_cache(maxsize=1)
def quick_validator() -> SubsetValidator:
    """The quick test that lets a valid package skip jsonschema (see checks/schema_subset.py);
    formats are asserted, as `schema_validator` asserts them."""
    return SubsetValidator(load_schema(), assert_formats=True)


def _where(path) -> str:
    return ".".join(str(p) for p in path) or "the top level"


def check_schema(package: Package) -> Iterator[Diagnostic]:
    if quick_validator().certainly_valid(package.data):
        return  # jsonschema would find nothing: not imported for it
    errors = schema_validator().iter_errors(package.data)
    for error in sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.validator)):
        yield _diagnostic(package, error)


def _diagnostic(package: Package, error) -> Diagnostic:
    pointer = tuple(error.absolute_path)
    where = _where(pointer)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        line, column = package.key_position(pointer) if pointer else (1, 1)
        return Diagnostic("DAC110", f"missing required key {missing!r} in {where}", line, column)
    if error.validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        extras = [k for k in error.instance if k not in (error.schema.get("properties") or {})]
        line, column = package.key_position(pointer + (extras[0],)) if extras else package.position(pointer)
        hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
        return Diagnostic("DAC111", f"unknown key {extras[0]!r} in {where}{hint}" if extras
                          else f"unknown key in {where}", line, column)
    line, column = package.position(pointer)
    if error.validator == "format" and error.validator_value == "date":
        return Diagnostic("DAC114", f"{where}: {error.instance!r} is not a valid YYYY-MM-DD date", line, column)
    if error.validator == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return Diagnostic("DAC112", f"{where}: {error.instance!r} is not one of: {options}", line, column)
    if error.validator == "anyOf":
        described = error.schema.get("description") or "the documented shape"
        return Diagnostic("DAC112", f"{where}: the value does not match {described}", line, column)
    message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    return Diagnostic("DAC112", f"{where}: {message}", line, column)
