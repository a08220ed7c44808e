"""Read a package file into a `Package`: plain values plus the source position of every value.

Package files are untrusted pull-request input. Every way a file can be bad becomes a
`Diagnostic` (never a traceback, never a hang): too large, not UTF-8, tabs, invalid YAML,
duplicate keys, too many aliases (billion laughs), too deep, not a mapping, tags; a link that
leads outside the repository, and anything but a regular file (a fifo, a device).
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from tooling.diagnostics import Diagnostic

MAX_FILE_BYTES = 256 * 1024  # real packages are a few kB; the bound is generous
MAX_ALIASES = 50
MAX_DEPTH = 32
MAX_VALUES = 100_000

Pointer = tuple  # a path into the document: keys (str) and indexes (int)
# A query's own diagnostics (positions within the query) by (language key, digest of its text).
QueryResults = dict[tuple[str, bytes], list[Diagnostic]]
SUMMARY_KEYS = ("id", "title", "related", "suppressions")

_CORE = "tag:yaml.org,2002:"
_MAP, _SEQ, _STR, _TIMESTAMP, _NULL, _BOOL, _INT, _FLOAT, _MERGE = (
    _CORE + name for name in ("map", "seq", "str", "timestamp", "null", "bool", "int", "float", "merge"))


class LoadError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class Span(NamedTuple):
    """Where a value (and, in a mapping, its key) stands in the file; 1-based.

    A tuple, not a dataclass: the loader makes one per value, and tuples are three times cheaper
    to build and to unpickle."""

    line: int
    column: int
    key_line: int
    key_column: int
    style: str | None  # '|' literal, '>' folded, '"' or "'" quoted, None plain or collection


@dataclass
class Package:
    """One detection package: its values, and where each came from in the file."""

    path: Path
    text: str
    data: dict
    spans: dict[Pointer, Span] = field(repr=False, default_factory=dict)
    query_results: QueryResults = field(repr=False, default_factory=dict)  # see checks/queries.py
    # The per-query results known before this run's checks (checks/verdicts.py looks its own up
    # here, since check_queries replaces `query_results` with this version's parse results).
    earlier_results: QueryResults = field(repr=False, default_factory=dict)

    @property
    def id(self) -> str | None:
        value = self.data.get("id")
        return value if isinstance(value, str) else None

    @property
    def display_path(self) -> str:
        return display_path(self.path)

    def summary(self) -> "Package":
        """Only what the repository-wide checks and suppressions read (id, title, related links,
        suppressions, with their positions): what a cached or worker result needs to carry."""
        data = {key: self.data[key] for key in SUMMARY_KEYS if key in self.data}
        spans = {pointer: span for pointer, span in self.spans.items()
                 if not pointer or pointer[0] in SUMMARY_KEYS}
        return Package(self.path, "", data, spans)

    def _span(self, pointer: Pointer) -> Span | None:
        pointer = tuple(pointer)
        while pointer and pointer not in self.spans:
            pointer = pointer[:-1]  # the nearest existing parent
        return self.spans.get(pointer)

    def position(self, pointer: Pointer) -> tuple[int, int]:
        """1-based (line, column) of the value at `pointer`, or of its nearest existing parent."""
        span = self._span(pointer)
        return (span.line, span.column) if span else (1, 1)

    def key_position(self, pointer: Pointer) -> tuple[int, int]:
        """1-based position of the key of the value at `pointer` (the value itself for list items)."""
        span = self._span(pointer)
        return (span.key_line, span.key_column) if span else (1, 1)

    def text_position(self, pointer: Pointer, line: int, column: int) -> tuple[int, int]:
        """Map a 1-based (line, column) inside the string at `pointer` to the file.

        Exact for literal block scalars (how queries are written) and single-line scalars;
        for folded or multi-line flow scalars, whose lines do not survive loading, the
        position of the value itself.
        """
        span = self.spans.get(tuple(pointer))
        if span is None:
            return self.position(pointer)
        if span.style == "|":
            lines = self.text.splitlines()
            indent = 0
            for candidate in lines[span.line:]:  # content starts on the line after the indicator
                if candidate.strip():
                    indent = len(candidate) - len(candidate.lstrip(" "))
                    break
            return span.line + line, indent + column
        if span.style == ">" or line != 1:
            return span.line, span.column
        return span.line, span.column + column - 1 + (1 if span.style in ("'", '"') else 0)


def display_path(path: Path) -> str:
    """Paths are shown relative to the working directory when they are inside it. A link is shown
    by its own name, never by where it leads (which may be outside, or a loop)."""
    absolute = Path(os.path.abspath(path))
    cwd = Path.cwd()
    try:
        return str(absolute.relative_to(cwd))
    except ValueError:
        pass
    try:
        return str(absolute.parent.resolve().relative_to(cwd.resolve()) / absolute.name)
    except (ValueError, OSError, RuntimeError):
        return str(path)


_STYLES = frozenset(("|", ">", "'", '"'))
_new_span = tuple.__new__  # Span(...) without the NamedTuple's Python-level __new__: one per value


class _Builder:
    """Composed YAML nodes -> plain values and spans, refusing what a package never needs."""

    def __init__(self) -> None:
        self.spans: dict[Pointer, Span] = {}
        self.seen: set[int] = set()
        self.aliases = 0
        self.values = 0

    def build(self, node: Node, pointer: Pointer, key: Node | None, depth: int) -> Any:
        mark = node.start_mark
        if id(node) in self.seen:  # the same node again: an alias
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise LoadError(Diagnostic(
                    "DAC106", f"more than {MAX_ALIASES} YAML aliases; a package needs few or none",
                    mark.line + 1, mark.column + 1))
        self.seen.add(id(node))
        self.values += 1
        if self.values > MAX_VALUES:
            raise LoadError(Diagnostic("DAC106", f"the document expands to more than {MAX_VALUES:,} values",
                                       mark.line + 1, mark.column + 1))
        if depth > MAX_DEPTH:
            raise LoadError(Diagnostic("DAC108", f"values nested more than {MAX_DEPTH} levels deep",
                                       mark.line + 1, mark.column + 1))
        key_mark = key.start_mark if key is not None else mark
        # ruamel's text of the tag, kept on it once read (`node.tag` is three Python calls per node)
        tag = getattr(node.ctag, "_trval", None) or node.tag
        if isinstance(node, ScalarNode):
            style = node.style
            self.spans[pointer] = _new_span(Span, (mark.line + 1, mark.column + 1, key_mark.line + 1,
                                                   key_mark.column + 1, style if style in _STYLES else None))
            return self._scalar(node, tag)
        self.spans[pointer] = _new_span(Span, (mark.line + 1, mark.column + 1, key_mark.line + 1,
                                               key_mark.column + 1, None))
        if isinstance(node, MappingNode):
            if tag != _MAP:
                raise self._tag_error(node)
            result: dict[str, Any] = {}
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    raise LoadError(Diagnostic("DAC112", "mapping keys must be plain text",
                                               key_node.start_mark.line + 1, key_node.start_mark.column + 1))
                name = key_node.value
                if name in result:
                    raise LoadError(Diagnostic(
                        "DAC103", f"duplicate key {name!r} (first defined on line {first_line[name]})",
                        key_node.start_mark.line + 1, key_node.start_mark.column + 1))
                first_line[name] = key_node.start_mark.line + 1
                result[name] = self.build(value_node, pointer + (name,), key_node, depth + 1)
            return result
        if isinstance(node, SequenceNode):
            if tag != _SEQ:
                raise self._tag_error(node)
            return [self.build(item, pointer + (i,), None, depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, tag)

    def _scalar(self, node: ScalarNode, tag: str | None) -> Any:
        value = node.value
        if tag == _STR or tag == _TIMESTAMP:  # dates stay text: the schema checks them
            return value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return value.lower() in ("true", "yes", "on")
        if tag == _INT:
            digits = value.replace("_", "")
            try:
                return int(digits, 10)
            except ValueError:
                try:
                    return int(digits, 0)  # 0x.., 0o.., 0b..
                except ValueError:
                    return value
        if tag == _FLOAT:
            lowered = value.lower().replace("_", "")
            if lowered in (".inf", "+.inf"):
                return float("inf")
            if lowered == "-.inf":
                return float("-inf")
            if lowered == ".nan":
                return float("nan")
            try:
                return float(lowered)
            except ValueError:
                return value
        if tag == _MERGE:
            return value
        raise self._tag_error(node)

    @staticmethod
    def _tag_error(node: Node) -> LoadError:
        mark = node.start_mark
        return LoadError(Diagnostic("DAC102", f"YAML tag {str(node.tag)!r} is not allowed in a package",
                                    mark.line + 1, mark.column + 1))


_TAB_INDENT = re.compile(r"^[ ]*\t", re.MULTILINE)


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise LoadError(Diagnostic(
            "DAC101", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; save the file as UTF-8", line, column))
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        raise LoadError(Diagnostic("DAC101", "the file contains a NUL character; it is not a text file",
                                   line, offset - (text.rfind("\n", 0, offset) + 1) + 1))
    return text


def _check_bracket_depth(text: str) -> None:
    """Reject absurd bracket nesting before YAML sees it: ruamel's scanner is quadratic on it.

    Counted over the whole text (queries included), so the bound is far above any real query.
    """
    if text.count("[") + text.count("{") <= 4 * MAX_DEPTH:
        return  # fewer opening brackets than the bound: no need to follow them (C speed, no regex)
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > 4 * MAX_DEPTH:
            offset = match.start()
            line = text.count("\n", 0, offset) + 1
            column = offset - (text.rfind("\n", 0, offset) + 1) + 1
            raise LoadError(Diagnostic("DAC108", f"brackets nested more than {4 * MAX_DEPTH} levels deep",
                                       line, column))
        depth = max(depth, 0)


_BRACKETS = re.compile(r"[\[\]{}]")


def package_root(path: Path) -> Path:
    """The folder a package file may not leave through a link: the nearest `detections/` folder
    above it as written; else the working directory, when the path is inside it; else the file's
    own folder."""
    absolute = Path(os.path.abspath(path))
    for parent in absolute.parents:
        if parent.name == "detections":
            return parent
    cwd = Path(os.path.abspath(Path.cwd()))
    if cwd in absolute.parents:
        return cwd
    return absolute.parent


def leaves_root(path: Path, root: Path) -> str | None:
    """Where `path` really leads (links resolved) when that is outside `root`, else None."""
    real = os.path.realpath(path)
    real_root = os.path.realpath(root)
    if real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep):
        return None
    return real


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (fifo)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISLNK, "a link that never reaches a file (a loop)"))
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))


def _not_regular(mode: int, shown: str) -> LoadError | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "something else")
    return LoadError(Diagnostic("DAC120", f"refused to read {shown}: it is {kind}, not a regular file"))


def read_package_bytes(path: Path, root: Path | None = None) -> bytes:
    """The bytes of one package file, read only when it is a regular file inside `root` (default:
    `package_root(path)`), and at most MAX_FILE_BYTES of them. A link that stays inside is
    followed; one that leaves is refused (DAC119) before anything is opened, and so is anything
    but a regular file (DAC120): a fifo would block, /dev/zero never ends. Raises `LoadError`."""
    root = package_root(path) if root is None else root
    shown = repr(str(path.name))
    real = leaves_root(path, root)
    if real is not None:
        raise LoadError(Diagnostic(
            "DAC119", f"refused to follow {shown}: it leads through a link to {real!r}, outside {str(root)!r}"))
    real = os.path.realpath(path)
    try:
        # Never open what is not a regular file: opening a device can act on it.
        refused = _not_regular(os.lstat(real).st_mode, shown)
        if refused is not None:
            raise refused
        # O_NOFOLLOW: a link swapped in since the check is refused, not followed.
        descriptor = os.open(real, _OPEN_FLAGS)
    except OSError as exc:
        raise LoadError(Diagnostic("DAC101", f"cannot read the file: {exc.strerror or exc}"))
    try:
        status = os.fstat(descriptor)
        refused = _not_regular(status.st_mode, shown)
        if refused is not None:
            raise refused
        if status.st_size > MAX_FILE_BYTES:
            raise LoadError(Diagnostic(
                "DAC107", f"the file is {status.st_size:,} bytes; a package may be at most {MAX_FILE_BYTES:,}"))
        chunks: list[bytes] = []
        left = MAX_FILE_BYTES + 1  # one more than allowed: enough to know it is too large
        while left > 0:
            chunk = os.read(descriptor, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise LoadError(Diagnostic("DAC101", f"cannot read the file: {exc.strerror or exc}"))
    finally:
        os.close(descriptor)


def load_package(path: Path, root: Path | None = None) -> Package:
    """Read one package file (see `read_package_bytes` for `root`). Raises `LoadError` carrying the
    diagnostic when it cannot be read."""
    return parse_package(path, read_package_bytes(path, root))


class _Resolver(VersionedResolver):
    """ruamel's resolver, minus a look-up of the YAML version for every scalar (a fifth of the
    loading time): the C parser does not report `%YAML` directives, so it is always 1.2.

    A scalar's tag depends only on its text and whether it was quoted, and a package repeats
    the same keys and values many times: the tags found are kept (a tenth of the loading time).
    Nothing changes a tag once made; no path resolvers are registered (they would make the
    tag depend on where the scalar is)."""

    _MAX_KEPT = 4096  # scalars of up to 200 characters: at most about a megabyte
    _scalar_tags: dict = {}  # shared: each load makes a new resolver

    @cached_property
    def versioned_resolver(self) -> Any:
        return VersionedResolver.versioned_resolver.fget(self)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not ScalarNode or len(value) > 200 or self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)  # long texts (queries) are not kept
        kept = _Resolver._scalar_tags
        key = (value, implicit)
        tag = kept.get(key)
        if tag is None:
            if len(kept) >= self._MAX_KEPT:
                kept.clear()
            tag = kept[key] = super().resolve(kind, value, implicit)
        return tag


# The C-accelerated composer (ruamel.yaml.clib) when installed; ruamel falls back to pure Python.
_YAML = YAML(typ="safe")
_YAML.Resolver = _Resolver


def parse_package(path: Path, raw: bytes) -> Package:
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError(Diagnostic(
            "DAC107", f"the file is {len(raw):,} bytes; a package may be at most {MAX_FILE_BYTES:,}"))
    text = _decode(raw)
    _check_bracket_depth(text)
    tab = _TAB_INDENT.search(text) if "\t" in text else None  # most files have no tab at all
    if tab:
        line = text.count("\n", 0, tab.start()) + 1
        column = tab.end() - tab.start()
        raise LoadError(Diagnostic("DAC104", "tab character in indentation; indent with spaces", line, column))
    try:
        root = _YAML.compose(text)
    except MarkedYAMLError as exc:
        raise LoadError(_yaml_error(exc))
    except RecursionError:
        raise LoadError(Diagnostic("DAC108", "values are nested too deeply to read"))
    except Exception as exc:  # ruamel raises a few unmarked errors (bad escapes, odd scalars)
        raise LoadError(Diagnostic("DAC102", f"invalid YAML: {exc}"))
    if not isinstance(root, MappingNode):
        kind = "empty" if root is None else "a list" if isinstance(root, SequenceNode) else "a single value"
        raise LoadError(Diagnostic("DAC105", f"the top level must be a mapping of sections; it is {kind}"))
    builder = _Builder()
    try:
        data = builder.build(root, (), None, 0)
    except RecursionError:
        raise LoadError(Diagnostic("DAC108", "values are nested too deeply to read"))
    return Package(path, text, data, builder.spans)


def _yaml_error(exc: MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = (exc.problem or "").strip()
    if type(exc).__name__ == "DuplicateKeyError":
        first = exc.context_mark.line + 1 if exc.context_mark else None
        key = re.search(r'duplicate key "([^"]*)"', problem)
        name = key.group(1) if key else "?"
        return Diagnostic("DAC103", f"duplicate key {name!r}" + (f" (first defined on line {first})" if first else ""),
                          line, column)
    context = (exc.context or "").strip()
    message = problem or context or "invalid YAML"
    if context and problem:
        message = f"{problem} ({context})"
    return Diagnostic("DAC102", f"invalid YAML: {message}", line, column)


def iter_package_files(paths: list[Path]) -> Iterator[Path]:
    """Package files under the given files/folders, sorted, each once."""
    seen: set[Path] = set()
    for path in paths:
        candidates = sorted(path.rglob("*.yml")) + sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
        for candidate in candidates:
            if candidate not in seen:
                seen.add(candidate)
                yield candidate
