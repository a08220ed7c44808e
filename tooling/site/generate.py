"""Every generated page of the site, as (src_uri, Markdown, edit path, in nav) records.

Independent of mkdocs: `tooling.site.hooks` turns the records into mkdocs `File`s. Package pages
are rendered in worker processes for large repositories (tooling.site.parallel).
"""
from __future__ import annotations

from dataclasses import dataclass

from tooling.attack import attack_data
from tooling.diagnostics.codes import CODES
from tooling.site.attack_pages import render_hub, render_matrix
from tooling.site.catalog import Catalog, Entry
from tooling.site.package_page import render_package
from tooling.site.parallel import pmap
from tooling.site.reference_pages import render_diagnostic, render_diagnostics_index, render_schema

CODES_SOURCE = "tooling/diagnostics/codes.py"
SCHEMA_SOURCE = "schema/detection.schema.json"

_current: dict[str, Catalog] = {}


@dataclass(frozen=True)
class GeneratedPage:
    src_uri: str  # where the page pretends to be under docs/
    content: str  # Markdown
    edit_path: str | None  # the source file, relative to the repository root
    in_nav: bool


def _render(entry: Entry) -> str:  # module level, so that worker processes can run it
    return render_package(entry, _current["catalog"])


def generate_pages(catalog: Catalog) -> list[GeneratedPage]:
    from tooling.checks.schema import load_schema

    attack_data()  # load once, before workers fork
    _current["catalog"] = catalog
    try:
        contents = pmap(_render, catalog.entries)
    finally:
        _current.pop("catalog", None)
    pages = [GeneratedPage(e.src_uri, c, e.edit_path, False) for e, c in zip(catalog.entries, contents)]
    pages += [
        GeneratedPage("detections/index.md", render_hub(catalog), None, True),
        GeneratedPage("detections/matrix/index.md", render_matrix(catalog), None, True),
        GeneratedPage("diagnostics/index.md", render_diagnostics_index(), CODES_SOURCE, True),
        GeneratedPage("reference/package-format.md", render_schema(load_schema()), SCHEMA_SOURCE, True),
    ]
    pages += [GeneratedPage(f"diagnostics/{code}/index.md", render_diagnostic(code), CODES_SOURCE, False)
              for code in CODES]
    return pages
