"""DAC486: a query reads a table that does not exist in the product its package's telemetry
names (a Sentinel-only `Syslog` in a query whose telemetry says Defender XDR, or the reverse).

Only platforms whose tables live in several products say which (`products` in
tooling/platforms/<key>/schema.json: today KQL, Sentinel and Defender XDR). The product of a table
the query reads is taken from the telemetry entry that names the table, else from all entries.
The results depend on the query and the package's telemetry, so they are kept per query like
parse results, under ("telemetry:<key>", digest of both).
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Iterator

from tooling.checks.queries import has_errors, place, queries_to_parse, query_digest
from tooling.diagnostics import Diagnostic
from tooling.languages import LANGUAGES, get_language
from tooling.package import Package
from tooling.checks.platform_names import products_named
from tooling.platforms import PlatformSchema, has_platform_data, platform_schema

TELEMETRY = "telemetry:"  # query_results key prefix


def check_telemetry(package: Package) -> Iterator[Diagnostic]:
    """DAC486 for each query without errors (check_queries runs first)."""
    telemetry = package.data.get("telemetry")
    if not isinstance(telemetry, dict):
        return
    for key, text in queries_to_parse(package):
        entries = telemetry.get(key)
        if not isinstance(entries, list) or not has_platform_data(key, "schema.json"):
            continue
        schema = platform_schema(key)
        if not schema.products:
            continue
        if has_errors(package.query_results.get((key, query_digest(text)), ())):
            continue  # an unknown table or a syntax error comes first
        entries = [entry for entry in entries if isinstance(entry, str)]
        entry_key = (TELEMETRY + key, _digest(text, entries))
        found = package.earlier_results.get(entry_key)
        if found is None:
            found = telemetry_diagnostics(key, text, entries, schema)
        package.query_results[entry_key] = found
        yield from place(package, key, found)


def telemetry_diagnostics(key: str, text: str, entries: list[str], schema: PlatformSchema) -> list[Diagnostic]:
    """DAC486 at each table the query reads outside the products its telemetry names
    (positions within the query)."""
    everywhere = _named(schema, " ".join(entries))
    found: list[Diagnostic] = []
    reported: set[str] = set()
    for ref in get_language(key).references(text):
        table = schema.tables.get(ref.name)
        if ref.kind != "table" or table is None or not table.products or ref.name in reported:
            continue
        own = [entry for entry in entries if re.match(rf"\s*{re.escape(ref.name)}\b", entry)]
        named = _named(schema, " ".join(own)) or everywhere
        if named and not named & set(table.products):
            reported.add(ref.name)
            where = products_named(schema, set(table.products))
            said = products_named(schema, named)
            found.append(Diagnostic("DAC486", f"{LANGUAGES[key].name}: {ref.name!r} exists only in {where}, but the "
                                    f"package's telemetry names {said}", ref.line, ref.column))
    return found


def _named(schema: PlatformSchema, text: str) -> set[str]:
    """The products a piece of telemetry text names."""
    return {product for product, (_, words) in schema.products.items()
            if any(re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE) for word in words)}


def _digest(text: str, entries: list[str]) -> bytes:
    material = json.dumps([text, entries], sort_keys=True)
    return hashlib.blake2b(material.encode("utf-8", "surrogatepass"), digest_size=16).digest()
