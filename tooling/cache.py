"""The validation cache: one entry per package file, for the tooling's own fingerprint.

A second `dac validate` over unchanged files loads each file's result instead of re-parsing seven
queries; a changed file re-parses only the queries that changed. The fingerprint covers every
source, grammar and data file of the tooling plus the schema, so changing a grammar, a check or the
ATT&CK snapshot invalidates everything. Repository-wide checks and suppressions are always
recomputed (they depend on other files).

Entries are pickles written by this tool into `.dac-cache/` of the working tree (git-ignored);
the folder is never read from a clone's content, so it never holds data a pull request wrote.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from tooling import __version__
from tooling.checks.schema import SCHEMA_PATH
from tooling.package import QueryResults

if TYPE_CHECKING:  # pragma: no cover
    from tooling.validate import FileResult

TOOLING = Path(__file__).resolve().parent
DEFAULT_DIR = Path(".dac-cache") / "validate"


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """Tool version + every file the results depend on (sources, grammars, data, schema)."""
    digest = hashlib.sha256(__version__.encode())
    files = sorted(p for p in TOOLING.rglob("*") if p.suffix in (".py", ".lark", ".json") and p.is_file())
    for path in files + [SCHEMA_PATH]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


class ValidationCache:
    """One entry per package file: the digest of the content it was made from, and the result.

    An entry whose digest matches is a hit. One that does not still knows the diagnostics of the
    file's previous queries, so a package with one edited query re-parses only that query.
    """

    def __init__(self, folder: Path = DEFAULT_DIR):
        self.folder = folder / fingerprint()
        self.hits = 0
        self.misses = 0
        self._earlier: dict[Path, QueryResults] = {}
        # The digest each file had when `get` read it, before it was checked: a file edited while
        # it is checked is then stored under its old content, and missed next time (not reused).
        self._digests: dict[Path, bytes] = {}

    def _entry(self, path: Path) -> Path:
        # Results carry display paths relative to the working directory, so it is part of the key.
        return self.folder / (hashlib.sha256(f"{Path.cwd()}\0{path.resolve()}".encode()).hexdigest() + ".pickle")

    @staticmethod
    def _digest(path: Path) -> bytes | None:
        try:
            return hashlib.sha256(path.read_bytes()).digest() if path.stat().st_size <= 1 << 20 else None
        except OSError:
            return None

    def get(self, path: Path) -> "FileResult | None":
        digest = self._digest(path)
        if digest is None:
            return None
        self._digests[path] = digest
        try:
            with self._entry(path).open("rb") as handle:
                made_from, result = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
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
        if digest is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._prune()
            # Write then rename, so a concurrent run never reads half an entry.
            handle, temp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                pickle.dump((digest, result), out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, self._entry(path))
        except OSError:
            pass  # a read-only checkout still validates, just without a cache

    _pruned = False

    def _prune(self) -> None:
        """Drop entries of other fingerprints (older tool or grammar versions), once per run."""
        if self._pruned:
            return
        self._pruned = True
        for sibling in self.folder.parent.iterdir():
            if sibling.is_dir() and sibling.name != self.folder.name:
                shutil.rmtree(sibling, ignore_errors=True)
