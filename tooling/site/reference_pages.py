"""Reference pages generated from the code: one page per diagnostic code (from `Code.explain()`),
their index, and the package format (from the JSON Schema)."""
from __future__ import annotations

import json
from typing import Any, Iterator

from tooling.diagnostics.codes import CODES
from tooling.site.escape import md_text, yaml_string

RANGES = (
    ("DAC1", "File, YAML and schema"),
    ("DAC2", "ATT&amp;CK mapping"),
    ("DAC3", "Query syntax"),
    ("DAC4", "Query lint"),
    ("DAC5", "Tests"),
    ("DAC6", "Repository-wide"),
)


def render_diagnostic(code: str) -> str:
    entry = CODES[code]
    return "\n".join(["---", f"title: {yaml_string(f'{entry.code} {entry.name}')}", "---", "",
                      entry.explain().rstrip(), "",
                      "---", "",
                      f"Show this page in a terminal with `dac explain {entry.code}`. "
                      "[All diagnostic codes](../index.md)", ""])


def render_diagnostics_index() -> str:
    lines = ["---", 'title: "Diagnostic codes"', "---", "", "# Diagnostic codes", "",
             "Every problem `dac validate` reports carries a stable code, a severity and a link to its page "
             "here. A package may suppress a code for itself only, with a written reason (`suppressions:`); "
             "a suppression that no longer suppresses anything is itself reported.", ""]
    for prefix, label in RANGES:
        codes = [c for c in CODES.values() if c.code.startswith(prefix)]
        if not codes:
            continue
        lines += [f"## {prefix}xx \u2014 {label}", "", "| Code | Name | Severity | Summary |", "|---|---|---|---|"]
        for c in codes:
            lines.append(f"| [{c.code}]({c.code}/index.md) | `{c.name}` | {c.severity.value} | {md_text(c.summary)} |")
        lines.append("")
    other = [c for c in CODES.values() if not any(c.code.startswith(p) for p, _ in RANGES)]
    if other:
        lines += ["## Other", ""] + [f"- [{c.code}]({c.code}/index.md) {md_text(c.summary)}" for c in other] + [""]
    return "\n".join(lines)


def _type_of(schema: dict) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    if "anyOf" in schema or "oneOf" in schema:
        return " or ".join(_type_of(s) for s in schema.get("anyOf") or schema.get("oneOf"))
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        items = schema.get("items")
        return f"array of {_type_of(items)}" if isinstance(items, dict) and items else "array"
    return kind or "any"


def _constraints(schema: dict) -> list[str]:
    out = []
    for key, label in (("pattern", "pattern"), ("format", "format"), ("minLength", "min length"),
                       ("maxLength", "max length"), ("minItems", "min items"), ("maxItems", "max items"),
                       ("minProperties", "min properties"), ("uniqueItems", "unique items")):
        if key in schema:
            value = schema[key]
            out.append(f"{label} `{value}`" if key != "uniqueItems" else label)
    return out


def _walk(schema: dict, path: str, required: bool) -> Iterator[tuple[str, dict, bool]]:
    yield path, schema, required
    props = schema.get("properties") or {}
    needed = set(schema.get("required") or ())
    for name, sub in props.items():
        yield from _walk(sub, f"{path}.{name}" if path else name, name in needed)
    items = schema.get("items")
    if isinstance(items, dict) and (items.get("properties") or items.get("items")):
        needed_items = set(items.get("required") or ())
        for name, sub in (items.get("properties") or {}).items():
            yield from _walk(sub, f"{path}[].{name}", name in needed_items)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_schema(schema: dict) -> str:
    lines = ["---", 'title: "Package format"', "---", "", "# Package format", "",
             _cell(schema.get("description", "")), "",
             "A detection package is one YAML file, `detections/<parent technique>/<id>.yml`. This page is "
             "generated from the JSON Schema ([`schema/detection.schema.json`](#the-json-schema)), which is "
             "also what editors use: start a package with "
             "`# yaml-language-server: $schema=../../schema/detection.schema.json` for completion and "
             "inline errors. `dac validate` checks the schema and much more (ATT&amp;CK, the seven queries, "
             "tests).", "",
             "`[]` in a path means \u201ceach item of the list\u201d.", "",
             "| Property | Type | Required | Description |", "|---|---|---|---|"]
    for path, sub, required in _walk(schema, "", True):
        if not path:
            continue
        constraints = _constraints(sub)
        description = _cell(sub.get("description", ""))
        if constraints:
            description = (description + " " if description else "") + "(" + "; ".join(constraints) + ")"
        if sub.get("additionalProperties") is False and sub.get("properties"):
            description += " No other keys."
        lines.append(f"| `{path}` | {_cell(_type_of(sub))} | {'yes' if required else 'no'} | {description} |")
    lines += ["", "## The JSON Schema", "", "```json", json.dumps(schema, indent=2), "```", ""]
    return "\n".join(lines)
