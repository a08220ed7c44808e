"""`dac fmt`: rewrite packages in canonical form without losing a value or a comment.

Canonical form: keys in the order of the schema (unknown keys keep their place after the known
ones), the seven queries as literal block scalars, two-space indentation, no line wrapping.
Every comment stays with the key or list item it belongs to, also when keys move (tooling/comments.py:
fmt emits the YAML without comments and puts each one back at its owner). Every rewrite is checked:
the values loaded from the new text must equal those of the old, and every comment must be back
with its owner, or the file is left alone (DAC122 for a comment that cannot be placed).
"""
from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import Comment as RuamelComment
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from tooling import comments
from tooling.checks.schema import load_schema
from tooling.diagnostics import Diagnostic
from tooling.package import LoadError, parse_package, read_package_bytes

QUERY_KEYS = ("kql", "spl", "eql", "aql", "sumo", "yaral", "logscale")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100_000  # never fold a long line: queries and URLs must stay as written
    # Keep each scalar's quotes as written: re-quoting by the emitter can produce invalid YAML
    # (a plain "a:b" inside a flow sequence); the losslessness check below would refuse it anyway.
    yaml.preserve_quotes = True
    return yaml


def _reorder(node: Any, schema: dict) -> None:
    if isinstance(node, CommentedMap):
        properties = schema.get("properties") or {}
        known = [k for k in properties if k in node]
        own = [k for k in list(node) if k not in properties]
        # Open mappings (Sigma's detection: selections, then condition) keep their own keys first.
        order = own + known if isinstance(schema.get("additionalProperties"), dict) else known + own
        for key in order:
            node.move_to_end(key)
        for key, value in node.items():
            child = properties.get(key) or schema.get("additionalProperties")
            if isinstance(child, dict):
                _reorder(value, child)
    elif isinstance(node, CommentedSeq) and isinstance(schema.get("items"), dict):
        for item in node:
            _reorder(item, schema["items"])


def _queries_as_literal_blocks(root: CommentedMap) -> None:
    queries = root.get("queries")
    if not isinstance(queries, CommentedMap):
        return
    for key in QUERY_KEYS:
        value = queries.get(key)
        # A literal block cannot hold trailing blanks or tabs faithfully: leave those as they are.
        lossless = all(line == line.rstrip() for line in value.splitlines()) if isinstance(value, str) else False
        if lossless and "\t" not in value and not isinstance(value, LiteralScalarString):
            queries[key] = LiteralScalarString(value)


def _strip_comments(node: Any, flows: set[tuple[int, int]]) -> None:
    """Drop every comment ruamel attached (comments.py puts them back at their owners), and write
    the flow collections that held a comment (`flows`: their line, column) in block style."""
    if isinstance(node, (CommentedMap, CommentedSeq)):
        setattr(node, RuamelComment.attrib, RuamelComment())
        if (node.lc.line, node.lc.col) in flows:
            node.fa.set_block_style()
        for value in node.values() if isinstance(node, CommentedMap) else node:
            _strip_comments(value, flows)
    elif getattr(node, "comment", None) is not None:
        node.comment = None


def format_text(text: str, schema: dict | None = None) -> str:
    """The canonical text of a package, with every comment at its owner (comments.py). Raises
    CommentError when a comment cannot be kept; the caller checks it loads to the same values."""
    yaml = _yaml()
    root = yaml.load(text)
    if not isinstance(root, CommentedMap):
        return text
    layout = comments._layout(text)
    old = comments.extract(text, layout)
    flows = {(node.start_mark.line, node.start_mark.column)
             for path in comments.flows_holding_comments(text) for node in [layout.values[path]]}
    _strip_comments(root, flows)
    _reorder(root, schema if schema is not None else load_schema())
    _queries_as_literal_blocks(root)
    out = io.StringIO()
    yaml.dump(root, out)
    formatted = comments.inject(out.getvalue(), old)
    lost = comments.check(old, comments.extract(formatted))
    if lost is not None:
        raise comments.CommentError(lost, "it would not stay with the key or item it belongs to")
    return formatted


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class FormatResult:
    path: Path
    original: str
    formatted: str | None  # None when the file could not be formatted
    problem: Diagnostic | None = None

    @property
    def changed(self) -> bool:
        return self.formatted is not None and self.formatted != self.original

    def diff(self) -> str:
        return "".join(difflib.unified_diff(
            self.original.splitlines(keepends=True), (self.formatted or "").splitlines(keepends=True),
            fromfile=f"{self.path}", tofile=f"{self.path} (formatted)"))


def format_file(path: Path, schema: dict | None = None) -> FormatResult:
    try:
        # A link leaving the repository, a fifo or a device is refused, never read (nor written).
        raw = read_package_bytes(path)
        before = parse_package(path, raw)  # hostile or broken files never reach the round-trip loader
    except LoadError as exc:
        return FormatResult(path, "", None, exc.diagnostic)
    try:
        formatted = format_text(before.text, schema)
        after = parse_package(path, formatted.encode("utf-8"))
    except comments.CommentError as exc:
        c = exc.comment
        return FormatResult(path, before.text, None, Diagnostic(
            "DAC122", f"cannot keep the comment {_short(c.text)!r} with what it belongs to ({exc}); "
                      f"file left as it is", c.line, c.column))
    except Exception as exc:  # noqa: BLE001 - any failure leaves the file as it is
        return FormatResult(path, before.text, None, Diagnostic("DAC102", f"cannot format: {exc}"))
    if after.data != before.data:
        return FormatResult(path, before.text, None,
                            Diagnostic("DAC102", "cannot format without changing a value; file left as it is"))
    return FormatResult(path, before.text, formatted)
