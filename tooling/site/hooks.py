"""mkdocs hooks (`hooks: [tooling/site/hooks.py]` in mkdocs.yml): generate pages at build time.

Nothing generated is written to docs/. On every build:

* `on_config` registers the Pygments lexers (tooling.site.lexers) and checks that the Markdown
  extensions the escaping relies on are enabled;
* `on_files` loads the packages and adds virtual files: one page per package
  (detections/<id>/), the tactic hub (detections/), the coverage matrix (detections/matrix/),
  one page per diagnostic code (diagnostics/<CODE>/) and their index, and the package format
  (reference/package-format/). Edit links point at the source of each page.

The packages are read from `extra.dac_detections` in mkdocs.yml (default `detections`, relative
to mkdocs.yml), or from the folder named by the environment variable DAC_DETECTIONS_DIR.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files, InclusionLevel

from tooling.site import lexers
from tooling.site.catalog import Catalog, load_catalog
from tooling.site.generate import generate_pages

log = logging.getLogger("mkdocs.plugins.dac")

ENV_VAR = "DAC_DETECTIONS_DIR"
REQUIRED_EXTENSIONS = ("pymdownx.escapeall", "pymdownx.superfences", "pymdownx.tabbed")
FORBIDDEN_EXTENSIONS = ("pymdownx.snippets", "pymdownx.magiclink", "pymdownx.arithmatex")

_state: dict[str, Catalog] = {}


def repo_root(config) -> Path:
    return Path(config.config_file_path or "mkdocs.yml").resolve().parent


def detections_dir(config) -> Path:
    configured = os.environ.get(ENV_VAR) or (config.extra or {}).get("dac_detections") or "detections"
    path = Path(configured)
    return path if path.is_absolute() else repo_root(config) / path


def on_config(config):
    lexers.register()
    enabled = set(config.markdown_extensions)
    missing = [e for e in REQUIRED_EXTENSIONS if e not in enabled]
    if missing:
        raise PluginError(f"tooling.site needs these markdown_extensions: {', '.join(missing)}")
    unsafe = [e for e in FORBIDDEN_EXTENSIONS if e in enabled]
    if unsafe:  # they would act on package text (file inclusion, autolinking, scripts)
        raise PluginError(f"tooling.site renders untrusted package text; remove {', '.join(unsafe)}")
    return config


def _add(files: Files, config, src_uri: str, content: str, edit: str | None, in_nav: bool) -> None:
    existing = files.get_file_from_path(src_uri)
    if existing is not None:  # a hand-written page of the same name loses to the generated one
        log.warning("tooling.site: generated page %s replaces docs/%s", src_uri, src_uri)
        files.remove(existing)
    inclusion = InclusionLevel.INCLUDED if in_nav else InclusionLevel.NOT_IN_NAV
    file = File.generated(config, src_uri, content=content, inclusion=inclusion)
    file.edit_uri = edit
    files.append(file)


def on_files(files: Files, config):
    root = repo_root(config)
    try:
        docs_prefix = Path(config.docs_dir).resolve().relative_to(root).as_posix() + "/"
    except ValueError:
        docs_prefix = None
    for file in files:  # hand-written pages: edit the file under docs/
        if file.generated_by is None and file.is_documentation_page():
            file.edit_uri = docs_prefix + file.src_uri if docs_prefix else None

    folder = detections_dir(config)
    catalog = load_catalog(folder, root)
    _state["catalog"] = catalog
    for error in catalog.errors:
        log.warning("tooling.site: skipped a package: %s", error)
    log.info("tooling.site: %d packages from %s", len(catalog.entries), folder)
    for page in generate_pages(catalog):
        _add(files, config, page.src_uri, page.content, page.edit_path, page.in_nav)
    return files


def catalog() -> Catalog | None:
    """The catalog of the last build (for tests and tools)."""
    return _state.get("catalog")
