"""The validation cache: one entry per package file, for the tooling's own fingerprint.

A second `dac validate` over unchanged files loads each file's result instead of re-parsing seven
queries; a changed file re-parses only the queries that changed. The fingerprint covers every
source, grammar and data file of the tooling plus the schema, so changing a grammar, a check or the
ATT&CK snapshot invalidates everything. Repository-wide checks and suppressions are always
recomputed (they depend on other files).

Nothing of a checkout is trusted (see SECURITY.md): entries live in the user's private cache
folder (`tooling/user_cache.py`), keyed by the checkout and file they describe, and are plain
JSON data with a digest, so a damaged or planted entry can at worst be a miss, never run code.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tooling import __version__
from tooling.checks.schema import SCHEMA_PATH
from tooling.diagnostics import Diagnostic
from tooling.package import LoadError, Package, QueryResults, Span, read_package_bytes
from tooling.user_cache import private_folder, read_private, remove_entries, write_private

if TYPE_CHECKING:  # pragma: no cover
    from tooling.validate import FileResult

TOOLING = Path(__file__).resolve().parent
SUFFIX = ".json"
FORMAT = "1"  # bump when an entry's shape changes


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """Tool version + every file the results depend on (sources, grammars, data, schema)."""
    digest = hashlib.sha256(f"{__version__}\0{FORMAT}".encode())
    for path in [*_tooling_files(), str(SCHEMA_PATH)]:
        digest.update(os.path.basename(path).encode())
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:20]


def _tooling_files() -> list[str]:
    """The tooling's sources, grammars and data files, in a stable order. os.walk, not
    Path.rglob: a twentieth of the time, which every cached run pays."""
    found = []
    for folder, subfolders, names in os.walk(TOOLING):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        found.extend(os.path.join(folder, name) for name in names if name.endswith((".py", ".lark", ".json")))
    return sorted(path for path in found if os.path.isfile(path))


class EntryStore:
    """A folder of dac's own entries in the user's cache folder, for the tooling's fingerprint:
    each entry plain JSON sealed with its digest (`seal`), read only through `user_cache`'s checks,
    and the entries of other fingerprints dropped once per run. `name`: the folder under the
    user's cache folder; `root`: another folder (tests)."""

    def __init__(self, name: str, root: Path | None = None):
        self.root = private_folder(name) if root is None else private_folder(root=root)
        self.folder = private_folder(fingerprint(), root=self.root) if self.root else None
        self._pruned = False

    def read(self, entry: Path) -> Any:
        """The entry's body, or None when it is missing, damaged, or not this user's."""
        data = read_private(entry)
        body = unseal(data) if data is not None else None
        try:
            return json.loads(body) if body is not None else None
        except (ValueError, RecursionError):
            return None

    def write(self, entry: Path, body: str) -> None:
        """Store the body (JSON text) whole or not at all; a read-only cache just stores nothing."""
        self._prune()
        write_private(entry, seal(body))

    def _prune(self) -> None:
        """Drop entries of other fingerprints (older tool or grammar versions), once per run: only
        dac's own entry files, in folders named as dac names them, never following a link."""
        if self._pruned or self.root is None or self.folder is None:
            return
        self._pruned = True
        prune_other_fingerprints(self.root, self.folder.name)


class ValidationCache(EntryStore):
    """One entry per package file: the digest of the content it was made from, and the result.

    An entry whose digest matches is a hit. One that does not still knows the diagnostics of the
    file's previous queries, so a package with one edited query re-parses only that query.
    `root`: the cache folder (default: `validate/` in the user's cache folder); tests pass their own.
    """

    def __init__(self, root: Path | None = None):
        super().__init__("validate", root)
        self.hits = 0
        self.misses = 0
        self._earlier: dict[Path, QueryResults] = {}
        # The digest each file had when `get` read it, before it was checked: a file edited while
        # it is checked is then stored under its old content, and missed next time (not reused).
        self._digests: dict[Path, bytes] = {}
        self.salt = ""  # what else the results depend on (the repository's platforms.yml)

    def salt_with(self, salt: str) -> None:
        """Key entries also by `salt` (a digest of what else the results depend on)."""
        self.salt = salt

    def _entry(self, path: Path) -> Path:
        # Results carry display paths relative to the working directory, so it is part of the key.
        assert self.folder is not None
        key = f"{Path.cwd()}\0{path.resolve()}\0{self.salt}"
        return self.folder / (hashlib.sha256(key.encode()).hexdigest() + SUFFIX)

    @staticmethod
    def _digest(path: Path) -> bytes | None:
        # Read as the checks read it: a refused file (a link out, a device) is not cached.
        try:
            return hashlib.sha256(read_package_bytes(path)).digest()
        except (LoadError, OSError):
            return None

    def get(self, path: Path) -> "FileResult | None":
        digest = self._digest(path)
        if digest is None or self.folder is None:
            return None
        self._digests[path] = digest
        body = self.read(self._entry(path))
        try:
            made_from, result = _decode(path, body) if body is not None else (None, None)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
            made_from, result = None, None  # damaged or from another version: checked afresh
        if result is None:
            self.misses += 1
            return None
        if made_from == digest:
            self.hits += 1
            return result
        self.misses += 1
        self._earlier[path] = result.queries
        return None

    def earlier_queries(self, path: Path) -> QueryResults:
        """The query results of the file's previous version (after a `get` that missed)."""
        return self._earlier.pop(path, {})

    def put(self, path: Path, result: "FileResult") -> None:
        digest = self._digests.pop(path, None) or self._digest(path)
        if digest is None or self.folder is None:
            return
        try:
            body = _encode(digest, result)
        except (TypeError, ValueError):
            return  # a value JSON cannot hold (e.g. a date as an id): not cached, checked each run
        self.write(self._entry(path), body)


def prune_other_fingerprints(root: Path, keep: str) -> None:
    """Remove the entries of other tooling fingerprints under `root`: only dac's own entry files,
    in folders named as dac names them, never following a link."""
    for sibling in _fingerprint_folders(root):
        if sibling.name != keep:
            remove_entries(sibling, SUFFIX)


def _fingerprint_folders(root: Path) -> list[Path]:
    try:
        with os.scandir(root) as listing:
            return [Path(e.path) for e in listing if e.is_dir(follow_symlinks=False)
                    and len(e.name) == 20 and all(c in "0123456789abcdef" for c in e.name)]
    except OSError:
        return []


# --- entries: plain JSON, checked by a digest of their own --------------------------------

def seal(body: str) -> bytes:
    """An entry: the format, the digest of the body, and the body (JSON text)."""
    check = hashlib.sha256(body.encode()).hexdigest()
    return f'{{"format":"{FORMAT}","sha256":"{check}","body":{body}}}'.encode()


_SEALED = re.compile(rb'\{"format":"' + re.escape(FORMAT.encode()) + rb'","sha256":"([0-9a-f]{64})","body":')


def unseal(data: bytes) -> str | None:
    """The body of an entry whose digest matches it (checked on the bytes as stored, without
    parsing it first); None for anything else."""
    found = _SEALED.match(data)
    if found is None or not data.endswith(b"}"):
        return None
    body = data[found.end():-1]
    if hashlib.sha256(body).hexdigest() != found.group(1).decode():
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def diagnostic_row(d: Diagnostic) -> list:
    """A diagnostic as plain JSON data (`Diagnostic(*row)` gives it back)."""
    return [d.code, d.message, d.line, d.column, d.path, d.end_line, d.end_column]


def _encode(digest: bytes, result: "FileResult") -> str:
    package = result.package
    if package is not None:
        _json_native(package.data)
    body = {
        "file": digest.hex(),
        "package": None if package is None else {
            "data": package.data,
            "spans": [[list(pointer), list(span)] for pointer, span in package.spans.items()],
        },
        "diagnostics": [diagnostic_row(d) for d in result.diagnostics],
        "queries": [[key, text_digest.hex(), [diagnostic_row(d) for d in found]]
                    for (key, text_digest), found in result.queries.items()],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _decode(path: Path, body: dict) -> tuple[bytes, "FileResult"]:
    from tooling.validate import FileResult

    package = None
    if body["package"] is not None:
        spans = {tuple(pointer): Span(*span) for pointer, span in body["package"]["spans"]}
        package = Package(path, "", body["package"]["data"], spans)
    queries = {(key, bytes.fromhex(text_digest)): [Diagnostic(*d) for d in found]
               for key, text_digest, found in body["queries"]}
    return bytes.fromhex(body["file"]), FileResult(path, package, [Diagnostic(*d) for d in body["diagnostics"]],
                                                   queries)


def _json_native(value: Any, depth: int = 0) -> None:
    """Raise TypeError unless `value` comes back from JSON as itself (string keys, plain scalars):
    a summary that would not is not cached, rather than cached changed."""
    if depth > 100:
        raise TypeError("nested too deeply to cache")
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError("a key JSON would turn into text")
            _json_native(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _json_native(item, depth + 1)
    elif value is not None and type(value) not in (str, int, float, bool):
        raise TypeError(f"{type(value).__name__} is not plain JSON data")


class SafeCache:
    """The validation cache, where any failure of the cache (a damaged entry, an unreadable cache
    folder) is a miss and one warning on stderr, never an internal error: the cache only saves
    time, so the run checks the file afresh and its result stands."""

    def __init__(self, cache) -> None:
        self._cache = cache
        self._warned = False

    @classmethod
    def open(cls) -> "SafeCache | None":
        try:
            return cls(ValidationCache())
        except Exception as exc:  # noqa: BLE001 - see the class docstring
            print(f"dac validate: validation cache unavailable ({type(exc).__name__}: {exc}); "
                  f"checking every file afresh", file=sys.stderr)
            return None

    def _failed(self, path: Path, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            reason = str(exc).splitlines()[0] if str(exc) else ""
            print(f"dac validate: ignored the cache entry for {path} ({type(exc).__name__}: {reason}); "
                  f"checked afresh", file=sys.stderr)

    def get(self, path: Path):
        try:
            return self._cache.get(path)
        except Exception as exc:  # noqa: BLE001
            self._failed(path, exc)
            return None

    def earlier_queries(self, path: Path):
        try:
            return self._cache.earlier_queries(path)
        except Exception as exc:  # noqa: BLE001
            self._failed(path, exc)
            return {}

    def put(self, path: Path, result) -> None:
        try:
            self._cache.put(path, result)
        except Exception as exc:  # noqa: BLE001
            self._failed(path, exc)

    def __getattr__(self, name: str):
        return getattr(self._cache, name)
