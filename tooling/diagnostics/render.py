"""Renderers: diagnostics -> text, JSON, SARIF 2.1.0, GitHub Actions annotations. They never decide."""
from __future__ import annotations

import json
import os
import re
import stat
from typing import Callable, Sequence

from tooling import SITE_URL, __version__
from tooling.diagnostics import Diagnostic
from tooling.diagnostics.codes import CODES

DOCS_URL = SITE_URL + "diagnostics/{code}/"

Renderer = Callable[[Sequence[Diagnostic], int], str]

# Codes whose file was not read (too large, a link leaving the repository, not a regular file):
# nothing of it is echoed either.
NOT_READ = frozenset({"DAC107", "DAC119", "DAC120"})
MAX_SOURCE_BYTES = 1 << 20  # how much of a file the code frames may read; packages are far smaller
MAX_SOURCE_LINE = 400  # longer lines are not echoed
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)

# What must not reach a terminal or an annotation raw: C0 controls but tab, DEL, C1 controls
# (ANSI escapes start with ESC or CSI), bidirectional controls ("Trojan Source"), line and
# paragraph separators.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                     "\u2028\u2029]")


def _escape_char(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control, bidirectional and line-separator character spelt out (`\\x1b`,
    `\\u202e`), so that it shows as it is instead of acting on the terminal or the page."""
    return _UNSAFE.sub(_escape_char, text)


def _read_lines(path: str, upto: int) -> list[str]:
    """The first `upto` lines of `path`, reading at most MAX_SOURCE_BYTES, and only from a regular
    file (a fifo would block, a device never end). Fewer lines when the bound stops the read."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except (OSError, ValueError):
        return []
    with os.fdopen(descriptor, "rb") as handle:
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                return []
            chunks: list[bytes] = []
            size = newlines = 0
            complete = False
            while newlines < upto and size < MAX_SOURCE_BYTES:
                chunk = handle.read(min(1 << 16, MAX_SOURCE_BYTES - size))
                if not chunk:
                    complete = True
                    break
                chunks.append(chunk)
                size += len(chunk)
                newlines += chunk.count(b"\n")
        except OSError:
            return []
    lines = b"".join(chunks).decode("utf-8", errors="replace").splitlines()
    if not complete and newlines < upto and lines:
        lines.pop()  # the bound cut this line short
    return lines[:upto]


def _source_lines(diagnostics: Sequence[Diagnostic]) -> dict[str, list[str]]:
    """For each file with a diagnostic to show in a frame, its lines up to the last one needed."""
    needed: dict[str, int] = {}
    for d in diagnostics:
        if d.path and d.code not in NOT_READ:
            needed[d.path] = max(needed.get(d.path, 0), d.line)
    return {path: _read_lines(path, upto) for path, upto in needed.items()}


def render_text(diagnostics: Sequence[Diagnostic], files: int) -> str:
    """`path:line:col: CODE message`, then the source line and a caret under the column.

    Control and bidirectional characters, in the message, the path or the source line, are shown
    escaped (`printable`): they never reach the terminal raw."""
    out: list[str] = []
    sources = _source_lines(diagnostics)
    for d in diagnostics:
        out.append(f"{printable(d.path or '<input>')}:{d.line}:{d.column}: {d.code} [{d.severity.value}] "
                   f"{printable(d.message)}")
        lines = sources.get(d.path or "", []) if d.code not in NOT_READ else []
        source = lines[d.line - 1] if 0 < d.line <= len(lines) else None
        if source is not None and len(source) <= MAX_SOURCE_LINE:
            gutter = f"{d.line:>5} | "
            out.append(gutter + printable(source))
            # Tabs in the prefix keep their width so the caret lines up in a terminal; an escaped
            # character takes the width of its escape.
            prefix = "".join(c if c == "\t" else " " * len(printable(c)) for c in source[: d.column - 1])
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
        "message": {"text": printable(d.message)},
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
    """GitHub Actions workflow commands: one annotation per diagnostic on the PR's file and line.

    A line break ends a workflow command and `::` starts one: the path and message are `printable`
    (no raw line break or control left) and then escaped as the workflow-command syntax requires."""
    lines = []
    for d in diagnostics:
        path = _escape_property(printable(d.path or ""))
        props = f"file={path},line={d.line},col={d.column},title={_escape_property(d.code)}"
        message = _escape_data(printable(d.code + " " + d.message))
        lines.append(f"::{_GITHUB_LEVEL[d.severity.value]} {props}::{message}")
    return "\n".join(lines)


RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}
