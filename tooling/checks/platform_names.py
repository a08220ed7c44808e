"""Platform checks: every table, field and compared value a query names must exist on its
platform (tooling/platforms/<key>/schema.json, plus the repository's platforms.yml).

A query that parses can still name something its platform does not have: a Sentinel-only table
in a Defender XDR query, a field of another product's schema, an `ActionType` value with a typo,
an ECS text field in EQL. The language reports what its query names (`Language.references`);
this module compares the names with the platform data:

- DAC480 a table (index, event type) the platform does not have;
- DAC481 a field the tables in scope do not have, with a "did you mean";
- DAC482 a compared value outside the field's enumeration;
- DAC483 a field whose type the platform refuses for that use;
- DAC484 tables from different products in one query (Sentinel-only with Defender XDR-only);
- DAC485 a field used before the stage that makes it (a `where` on a field a later `parse`,
  `rex`, `eval` or `extend` produces).

DAC486, a table outside the product the package's telemetry names, needs the package:
tooling/checks/telemetry.py.

Positions are within the query, like syntax diagnostics: `check_queries` maps them into the file
and keeps them per query. Platforms without schema data are not checked.
"""
from __future__ import annotations

import difflib
from typing import Any, Iterator

from tooling.diagnostics import Diagnostic
from tooling.languages import LANGUAGES, get_language
from tooling.languages.base import Reference
from tooling.platforms import PlatformSchema, has_platform_data, platform_schema
from tooling.platforms.local import local_in_use


def name_diagnostics(key: str, tree: Any, text: str) -> list[Diagnostic]:
    """The platform diagnostics of one parsed query (positions within the query)."""
    if not has_platform_data(key, "schema.json"):
        return []
    references = get_language(key).references(text, tree)
    if not references:
        return []
    return list(_check(key, platform_schema(key), references))


def _check(key: str, schema: PlatformSchema, references: list[Reference]) -> Iterator[Diagnostic]:
    name = LANGUAGES[key].name
    local = local_in_use()
    custom = local.tables(key)
    extra_fields = local.fields(key)
    known_tables = set(schema.tables) | set(custom)
    scopes: dict[tuple[str, ...], dict | None] = {}  # the query's refs share a few table scopes
    for ref in references:
        if ref.kind == "table" and not _table_known(ref.name, known_tables) and not schema.open_tables:
            hint = _suggest(ref.name, known_tables, schema.aliases)
            yield Diagnostic("DAC480", f"{name}: {LANGUAGES[key].platform} has no table {ref.name!r}{hint}",
                             ref.line, ref.column)
    yield from _products(name, schema, [r for r in references if r.kind == "table"])
    for ref in references:
        if ref.kind not in ("field", "value") or ref.produced:
            continue
        fields = scopes.get(ref.tables, scopes)
        if fields is scopes:
            fields = scopes[ref.tables] = _fields_in_scope(schema, custom, extra_fields, ref.tables)
        if fields is None:
            continue
        kind = _field_type(fields, ref.name)
        if ref.kind == "field" and kind is None and (made := _made_later(ref, references)) is not None:
            yield Diagnostic("DAC485", f"{name}: {ref.name!r} is used before the stage that makes it "
                             f"(query line {made.line}, column {made.column}); here it is not yet a field",
                             ref.line, ref.column)
        elif ref.kind == "field" and kind is None:
            hint = _suggest(ref.name, fields, schema.aliases)
            scope = f" in {', '.join(ref.tables)}" if ref.tables else ""
            yield Diagnostic("DAC481", f"{name}: no field {ref.name!r}{scope}{hint}", ref.line, ref.column)
        elif ref.kind == "field" and kind in schema.refused_types:
            yield Diagnostic("DAC483", f"{name}: {ref.name!r} is a {kind} field: {schema.refused_types[kind]}",
                             ref.line, ref.column)
        elif ref.kind == "value" and ref.value is not None:
            allowed = _enumeration(schema, ref.tables, ref.name)
            if allowed and _literal_value(ref.value) and not _allowed(ref, allowed):
                close = difflib.get_close_matches(ref.value, allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(list(allowed)[:8])}"
                yield Diagnostic("DAC482", f"{name}: {ref.name} is never {ref.value!r}{hint}", ref.line, ref.column)


def _made_later(ref: Reference, references: list[Reference]) -> Reference | None:
    """The stage further on that makes the field `ref` uses (parse, rex, eval, extend...)."""
    return next((other for other in references if other.produced and other.kind == "field"
                 and other.name.lower() == ref.name.lower()
                 and (other.line, other.column) > (ref.line, ref.column)), None)


def _table_known(table: str, known: set[str]) -> bool:
    if table in known:
        return True
    if "*" in table:  # a wildcard (union Device*, index=win*): known if it matches any table
        from fnmatch import fnmatchcase

        return any(fnmatchcase(name, table) for name in known)
    return False


def _products(name: str, schema: PlatformSchema, tables: list[Reference]) -> Iterator[Diagnostic]:
    """DAC484: one query over tables that no single product has together."""
    sets = [(ref, set(schema.tables[ref.name].products)) for ref in tables
            if ref.name in schema.tables and schema.tables[ref.name].products]
    if len(sets) < 2:
        return
    common = set.intersection(*(products for _, products in sets))
    if common:
        return
    first, first_products = sets[0]
    for ref, products in sets[1:]:
        if not products & first_products:
            yield Diagnostic("DAC484", f"{name}: {ref.name!r} exists only in {products_named(schema, products)}, "
                             f"{first.name!r} only in {products_named(schema, first_products)}: no product runs "
                             "this query", ref.line, ref.column)
            return


def products_named(schema: PlatformSchema, products: set[str]) -> str:
    return " and ".join(schema.products.get(product, (product,))[0] for product in sorted(products))


def _fields_in_scope(schema: PlatformSchema, custom: dict, extra: dict, tables: tuple[str, ...]) -> dict | None:
    """The fields of the tables in scope; None when a table in scope is unknown (DAC480 says so)
    or is a wildcard (no field check)."""
    fields: dict[str, str] = {**schema.common_fields, **extra}
    if not tables:
        for table in schema.tables.values():
            fields.update(table.fields)
        for table_fields in custom.values():
            fields.update(table_fields)
        return fields
    for table in tables:
        if table in custom:
            fields.update(custom[table])
        elif table in schema.tables:
            fields.update(schema.tables[table].fields)
        else:
            return None
    return fields


def _field_type(fields: dict[str, str], name: str) -> str | None:
    if name in fields:
        return fields[name]
    # a path into a dynamic or object field (AdditionalFields.x, requestParameters.name), or an
    # element of an array (LogScale's windows.EventData[0])
    head = name
    if head.endswith("]") and "[" in head and fields.get(head[:head.rindex("[")]) in ("dynamic", "object", "array"):
        return "dynamic"
    while "." in head:
        head = head.rsplit(".", 1)[0]
        if fields.get(head) in ("dynamic", "object", "array"):
            return "dynamic"
    return None


def _enumeration(schema: PlatformSchema, tables: tuple[str, ...], name: str) -> tuple[str, ...]:
    """The values `name` can take in the tables in scope; () when any of them holds the field
    without an enumeration (ECS event.action is free text in cloud data sets)."""
    scope = [schema.tables[t] for t in tables if t in schema.tables] or list(schema.tables.values())
    values: list[str] = []
    for table in scope:
        if name in table.enums:
            values.extend(table.enums[name])
        elif name in table.fields or name in schema.common_fields:
            return ()
    return tuple(dict.fromkeys(values))


# Operators that compare a whole value (the rest, such as has, contains or startswith, test a part).
_WHOLE = {None, "=", "==", "!=", "<>", ":", "in", "!in", "not in", "IN", "NOT IN"}
_WHOLE_NOCASE = {"=~", "!~", "in~", "!in~", "ILIKE", "like~", ":~", "nocase"}


def _allowed(ref: Reference, allowed: tuple[str, ...]) -> bool:
    """Whether the compared value can be one of the enumeration's (operators that test a part of
    the value are not checked)."""
    if ref.operator in _WHOLE_NOCASE:
        return ref.value.lower() in {value.lower() for value in allowed}
    if ref.operator not in _WHOLE:
        return True
    return ref.value in allowed


def _literal_value(value: str) -> bool:
    """A plain literal, not a pattern (wildcards, LIKE's %, a /regex/) whose values vary."""
    if len(value) > 1 and value.startswith("/") and value.rstrip("gimsxF").endswith("/"):
        return False
    return not any(ch in value for ch in "*?%")


def _suggest(name: str, candidates, aliases: dict[str, str]) -> str:
    if name in aliases and aliases[name] in candidates:
        return f"; did you mean {aliases[name]!r}?"
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.75)
    if not close:
        lowered = {c.lower(): c for c in candidates}
        close = [lowered[name.lower()]] if name.lower() in lowered else []
    return f"; did you mean {close[0]!r}?" if close else ""
