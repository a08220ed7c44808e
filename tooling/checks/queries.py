"""Parse each of the seven queries with its language and map positions into the YAML file."""
from __future__ import annotations

from typing import Iterator

from tooling.checks.content import is_placeholder
from tooling.diagnostics import Diagnostic
from tooling.languages import LANGUAGES, get_language
from tooling.package import Package


def check_queries(package: Package) -> Iterator[Diagnostic]:
    queries = package.data.get("queries")
    if not isinstance(queries, dict):
        return
    for key in LANGUAGES:
        text = queries.get(key)
        if not isinstance(text, str) or not text.strip() or is_placeholder(text):
            continue  # missing or empty queries are schema errors; placeholders are DAC118
        pointer = ("queries", key)
        for diagnostic in get_language(key).parse(text).diagnostics:
            line, column = package.text_position(pointer, diagnostic.line, diagnostic.column)
            yield diagnostic.at(line=line, column=column)
