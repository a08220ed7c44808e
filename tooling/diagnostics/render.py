"""Renderers: diagnostics -> text, JSON, SARIF 2.1.0, GitHub Actions annotations. They never decide."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Sequence

from tooling import SITE_URL, __version__
from tooling.diagnostics import Diagnostic
from tooling.diagnostics.codes import CODES

DOCS_URL = SITE_URL + "diagnostics/{code}/"

Renderer = Callable[[Sequence[Diagnostic], int], str]


def _source_line(path: str | None, line: int, cache: dict[str, list[str]]) -> str | None:
    if not path:
        return None
    if path not in cache:
        try:
            cache[path] = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            cache[path] = []
    lines = cache[path]
    return lines[line - 1] if 0 < line <= len(lines) else None


def render_text(diagnostics: Sequence[Diagnostic], files: int) -> str:
    """`path:line:col: CODE message`, then the source line and a caret under the column."""
    out: list[str] = []
    cache: dict[str, list[str]] = {}
    for d in diagnostics:
        out.append(f"{d.path or '<input>'}:{d.line}:{d.column}: {d.code} [{d.severity.value}] {d.message}")
        source = _source_line(d.path, d.line, cache)
        if source is not None and len(source) <= 400:
            gutter = f"{d.line:>5} | "
            out.append(gutter + source)
            # Tabs in the prefix keep their width so the caret lines up in a terminal.
            prefix = "".join(c if c == "\t" else " " for c in source[: d.column - 1])
            out.append(" " * (len(gutter) - 2) + "| " + prefix + "^")
    errors = sum(1 for d in diagnostics if d.severity.value == "error")
    warnings = sum(1 for d in diagnostics if d.severity.value == "warning")
    infos = len(diagnostics) - errors - warnings
    if diagnostics:
        codes = sorted({d.code for d in diagnostics})
        out.append("")
        out.append(f"Run `dac explain CODE` for what a code means and how to fix it ({', '.join(codes)}).")
    out.append(f"{files} package file{'s' if files != 1 else ''} checked: "
               f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}, "
               f"{infos} info.")
    return "\n".join(out)


def render_json(diagnostics: Sequence[Diagnostic], files: int) -> str:
    return json.dumps([
        {"code": d.code, "severity": d.severity.value, "message": d.message, "path": d.path,
         "line": d.line, "column": d.column}
        for d in diagnostics], indent=2)


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def render_sarif(diagnostics: Sequence[Diagnostic], files: int) -> str:
    """SARIF 2.1.0, as GitHub code scanning reads it: rules with help, results with locations."""
    used = sorted({d.code for d in diagnostics})
    rules = []
    for code in used:
        info = CODES[code]
        rules.append({
            "id": code,
            "name": "".join(part.capitalize() for part in info.name.split("-")),
            "shortDescription": {"text": info.summary},
            "fullDescription": {"text": info.why},
            "helpUri": DOCS_URL.format(code=code),
            "help": {"text": info.fix, "markdown": info.explain()},
            "defaultConfiguration": {"level": _SARIF_LEVEL[info.severity.value]},
        })
    index = {code: i for i, code in enumerate(used)}
    results = [{
        "ruleId": d.code,
        "ruleIndex": index[d.code],
        "level": _SARIF_LEVEL[d.severity.value],
        "message": {"text": d.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": (d.path or "").replace("\\", "/"), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": d.line, "startColumn": d.column},
        }}],
    } for d in diagnostics]
    return json.dumps({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "dac", "version": __version__,
                                "informationUri": SITE_URL, "rules": rules}},
            "results": results,
        }],
    }, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def render_github(diagnostics: Sequence[Diagnostic], files: int) -> str:
    """GitHub Actions workflow commands: one annotation per diagnostic on the PR's file and line."""
    lines = []
    for d in diagnostics:
        props = f"file={_escape_property(d.path or '')},line={d.line},col={d.column},title={_escape_property(d.code)}"
        lines.append(f"::{_GITHUB_LEVEL[d.severity.value]} {props}::{_escape_data(d.code + ' ' + d.message)}")
    return "\n".join(lines)


RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}
