"""Parse each of the seven queries with its language and map positions into the YAML file.

A query's own diagnostics (positions within the query) depend only on its language and text, so
they are kept per query: `Package.query_results` arrives holding the results already known (from
the cache's record of the file's previous version, or parsed ahead by another process) and leaves
holding this version's, for the cache.
"""
from __future__ import annotations

import hashlib
from typing import Iterable, Iterator

from tooling.checks.content import is_placeholder
from tooling.checks.platform_names import name_diagnostics
from tooling.diagnostics import Diagnostic, Severity
from tooling.languages import LANGUAGES, get_language
from tooling.package import Package, QueryResults


def query_digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def queries_to_parse(package: Package, keys: Iterable[str] = LANGUAGES) -> Iterator[tuple[str, str]]:
    """(language, text) of each query that has text to parse."""
    queries = package.data.get("queries")
    if not isinstance(queries, dict):
        return
    for key in keys:
        text = queries.get(key)
        if isinstance(text, str) and text.strip() and not is_placeholder(text):
            yield key, text  # missing or empty queries are schema errors; placeholders are DAC118


def parse_queries(package: Package, keys: Iterable[str] = LANGUAGES) -> QueryResults:
    """The query diagnostics of the package's queries in `keys`, parsing only the unknown ones."""
    results: QueryResults = {}
    for key, text in queries_to_parse(package, keys):
        digest = query_digest(text)
        known = package.query_results.get((key, digest))
        results[key, digest] = known if known is not None else query_diagnostics(key, text)
    return results


def query_diagnostics(key: str, text: str) -> list[Diagnostic]:
    """A query's syntax and lint diagnostics, and, when it parses, the platform checks of the
    names it uses (from the same tree: no second parse)."""
    parsed = get_language(key).parse(text)
    if not parsed.ok:
        return parsed.diagnostics
    # Where a lint rule already speaks (a misspelt EQL category, a double-quoted AQL value), its
    # message is the more specific one: the platform check says nothing more at that place.
    linted = {(d.line, d.column) for d in parsed.diagnostics}
    names = [d for d in name_diagnostics(key, parsed.tree, text) if (d.line, d.column) not in linted]
    return [*parsed.diagnostics, *names]


def check_queries(package: Package) -> Iterator[Diagnostic]:
    package.query_results = parse_queries(package)
    for (key, _), diagnostics in package.query_results.items():
        yield from place(package, key, diagnostics)


def place(package: Package, key: str, diagnostics: Iterable[Diagnostic]) -> Iterator[Diagnostic]:
    """Positions within query `key` -> positions in the package file."""
    for diagnostic in diagnostics:
        line, column = package.text_position(("queries", key), diagnostic.line, diagnostic.column)
        yield diagnostic.at(line=line, column=column)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """A query with syntax, lint or platform errors: the checks that build on it wait for those."""
    return any(d.severity == Severity.ERROR for d in diagnostics)
