"""The validation pipeline: load -> schema -> content -> ATT&CK -> queries -> repository -> suppressions.

Data flows one way: file -> `Package` -> checks -> `Diagnostic`s. Nothing here prints.
"""
from __future__ import annotations

import gc
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from tooling.cache import ValidationCache
from tooling.checks.attack import check_attack
from tooling.checks.content import check_dates, check_location, check_placeholders, check_references, check_tests
from tooling.checks.queries import check_queries, parse_queries, queries_to_parse, query_digest
from tooling.checks.repository import check_repository
from tooling.checks.samples import check_samples
from tooling.checks.schema import check_schema, quick_validator
from tooling.checks.verdicts import check_verdicts, verdict_results
from tooling.checks.telemetry import check_telemetry
from tooling.checks.text import check_bidi
from tooling.diagnostics import CODES, Diagnostic, Severity
from tooling.languages import LANGUAGES, get_language
from tooling.platforms.local import find_local_file, load_local, use_local
from tooling.package import LoadError, Package, QueryResults, display_path, iter_package_files, load_package

PackageCheck = Callable[[Package], Iterable[Diagnostic]]

# Order matters only for reading: the output is sorted by position.
PACKAGE_CHECKS: tuple[PackageCheck, ...] = (
    check_schema, check_location, check_dates, check_references, check_tests, check_samples, check_placeholders,
    check_attack, check_queries, check_telemetry, check_verdicts, check_bidi,
)

MIN_REASON = 10  # the schema's minLength for a suppression reason
# Codes only `dac test` reports (drift needs the generated events): validate cannot tell whether
# their suppressions still suppress something, so it does not call them unused.
TEST_ONLY_CODES = frozenset({"DAC514"})

# Parallel workers pay for themselves only on larger runs (each builds its own parsers).
PARALLEL_THRESHOLD = 64
GC_YOUNG_THRESHOLD = 20_000  # allocations between collections of the youngest generation (Python's: 700)


@dataclass
class FileResult:
    path: Path
    package: Package | None  # a summary (Package.summary): all that later steps read
    diagnostics: list[Diagnostic] = field(default_factory=list)
    queries: QueryResults = field(default_factory=dict)  # for the cache: see checks/queries.py


@dataclass
class ValidationReport:
    files: int
    diagnostics: list[Diagnostic]

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)

    def failed(self, fail_on: Severity = Severity.WARNING) -> bool:
        return any(d.severity.rank >= fail_on.rank for d in self.diagnostics)


def check_file(path: Path, known: QueryResults | None = None) -> FileResult:
    """Every per-package check on one file; load errors stop the file's checks. `known`: query
    results already at hand (see checks/queries.py)."""
    shown = display_path(path)
    try:
        package = load_package(path)
    except LoadError as exc:
        return FileResult(path, None, [exc.diagnostic.at(path=shown)])
    package.query_results = package.earlier_results = known or {}
    diagnostics = [d.at(path=shown) for check in PACKAGE_CHECKS for d in check(package)]
    return FileResult(path, package.summary(), diagnostics, package.query_results)


def _check_all(files: list[Path], jobs: int, cache: ValidationCache | None) -> list[FileResult]:
    results: dict[Path, FileResult] = {}
    known: dict[Path, QueryResults] = {}  # query results from the files' previous versions
    if cache is not None:
        for path in files:
            hit = cache.get(path)
            if hit is not None:
                results[path] = hit
            else:
                known[path] = cache.earlier_queries(path)
    todo = [f for f in files if f not in results]
    for path, result in zip(todo, _check_files(todo, known, jobs, cache)):
        results[path] = result
    return [results[f] for f in files]


# Workers' share of a parallel run: set before the workers are forked, so they inherit it.
_worker_cache: ValidationCache | None = None


def _check_and_store(path: Path, known: QueryResults | None) -> FileResult:
    """check_file in a worker, which also stores the result in the cache: the entries are
    written by both processes as they go, not by this one after the last (a tenth of a second
    per thousand packages, all of it after the parallel part)."""
    result = check_file(path, known)
    if _worker_cache is not None:
        _worker_cache.put(path, result)
    return result


def _check_files(todo: list[Path], known: dict[Path, QueryResults], jobs: int,
                 cache: ValidationCache | None = None) -> list[FileResult]:
    """The results of checking `todo`, each stored in `cache` when there is one."""
    global _worker_cache
    fork = _fork_context() if jobs > 1 else None
    if len(todo) >= PARALLEL_THRESHOLD:
        warm_languages()  # once, here: forked workers inherit the built parsers
        if not gc.isenabled():
            # The dac command starts without the cyclic garbage collector (see cli.run); over a
            # large run the cycles parse trees leave add up. Frozen, the parsers are never
            # looked at by a collection again. A package allocates objects by the hundred
            # thousand, nearly all freed by reference counting, so the youngest generation is
            # collected every 20,000 allocations instead of 700: 5% of a thousand packages'
            # time, for about 10 MB more per process.
            gc.freeze()
            gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
            gc.enable()
        if fork is not None:
            from concurrent.futures import ProcessPoolExecutor  # here: a tenth of a small run's start-up

            # Small chunks: the last one is what a worker may still be busy with while the other
            # has finished (a sixty-fourth of the run, not a sixteenth as before).
            chunk = max(1, len(todo) // (jobs * 32))
            _worker_cache = cache
            try:
                with ProcessPoolExecutor(max_workers=jobs, mp_context=fork) as pool:
                    return list(pool.map(_check_and_store, todo, [known.get(f) for f in todo], chunksize=chunk))
            finally:
                _worker_cache = None
    elif fork is not None and todo:
        known = parse_ahead(todo, known, fork)
    found = []
    for path in todo:
        found.append(check_file(path, known.get(path)))
        if cache is not None:
            cache.put(path, found[-1])
    return found


def _fork_context():
    """Workers that start as copies of this process (with its parsers built), where the platform
    has them (not Windows; macOS's fork is unsafe with some system libraries)."""
    if not sys.platform.startswith("linux"):
        return None
    import multiprocessing

    return multiprocessing.get_context("fork")


def parse_ahead(files: list[Path], known: dict[Path, QueryResults], fork) -> dict[Path, QueryResults]:
    """The query results of a few files, with the languages split between this process and a
    forked one: building seven parsers is most of the time of a small run, and the halves build
    in parallel. Falls back to parsing later, in order, if the other process fails."""
    packages = []
    for path in files:
        try:
            package = load_package(path)
        except LoadError:
            continue
        package.query_results = known.get(path, {})
        packages.append(package)
    needed = [key for key in LANGUAGES if any((key, query_digest(text)) not in p.query_results
                                              for p in packages for _, text in queries_to_parse(p, [key]))]
    if len(needed) < 2:
        return known
    from concurrent.futures import ProcessPoolExecutor

    theirs, ours = needed[0::2], needed[1::2]
    with ProcessPoolExecutor(max_workers=1, mp_context=fork) as pool:
        helper = pool.submit(_parse_languages, packages, theirs)
        merged = _parse_languages(packages, ours)
        quick_validator()  # the schema check's start-up, while the helper finishes
        try:
            for path, results in helper.result().items():
                merged[path].update(results)
        except Exception:  # noqa: BLE001 - a failed helper only costs time: check_file parses the rest
            pass
    return merged


def _parse_languages(packages: list[Package], keys: list[str]) -> dict[Path, QueryResults]:
    """Parse results and, for the queries without errors, their verdicts on the samples (which
    need the same parsers: done here, they are not built again in the other process)."""
    found: dict[Path, QueryResults] = {}
    for package in packages:
        package.earlier_results = dict(package.query_results)
        package.query_results = {**package.query_results, **parse_queries(package, keys)}
        package.query_results.update(verdict_results(package, keys))
        found[package.path] = package.query_results
    return found


def warm_languages() -> None:
    for key in LANGUAGES:
        get_language(key).parse("x")  # builds the parser; the text need not be valid


def find_detections_root(paths: list[Path]) -> Path | None:
    """The `detections/` folder the paths live in, to know every package id for related links."""
    for path in paths:
        for candidate in [path.resolve(), *path.resolve().parents]:
            if candidate.name == "detections" and candidate.is_dir():
                return candidate
    return None


def validate(paths: list[Path], jobs: int | None = None, cache: ValidationCache | None = None) -> ValidationReport:
    """Validate the package files under `paths`. Pass a `ValidationCache` to reuse unchanged results."""
    files = list(iter_package_files(paths))
    root = find_detections_root(paths)
    local_file = find_local_file(root)
    local = load_local(local_file)
    use_local(local)  # before the checks: forked workers inherit it
    if cache is not None and local_file is not None:
        cache.salt_with(local.digest)  # verdicts depend on the declared macros, lookups and sets
    results = _check_all(files, jobs if jobs is not None else (os.cpu_count() or 1), cache)
    packages = [r.package for r in results if r.package is not None]
    known_ids = {p.stem for p in root.rglob("*.yml")} if root else set()
    # Copies: cached results must stay as the per-file checks left them.
    per_file = {id(r): list(r.diagnostics) for r in results}
    owner = {id(r.package): r for r in results if r.package is not None}
    for package, diagnostic in check_repository(packages, known_ids):
        per_file[id(owner[id(package)])].append(diagnostic.at(path=package.display_path))
    diagnostics: list[Diagnostic] = []
    for result in results:
        found = per_file[id(result)]
        diagnostics.extend(apply_suppressions(result.package, found) if result.package is not None else found)
    diagnostics.extend(local.diagnostics)
    diagnostics.sort(key=Diagnostic.sort_key)
    return ValidationReport(len(files), diagnostics)


def apply_suppressions(package: Package, diagnostics: list[Diagnostic],
                       report_unused: bool = True) -> Iterator[Diagnostic]:
    """Drop diagnostics a package suppresses with a reason; report suppressions that do nothing
    (unless `report_unused` is False: a run of only some checks, as `dac test`, cannot tell)."""
    entries = package.data.get("suppressions")
    suppressed: dict[str, int] = {}
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        code = entry.get("code") if isinstance(entry, dict) else None
        reason = entry.get("reason") if isinstance(entry, dict) else None
        if not isinstance(code, str) or not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
            continue  # without a written reason it suppresses nothing; the schema check says why
        line, column = package.position(("suppressions", index, "code"))
        if code not in CODES:
            yield Diagnostic("DAC117", f"suppression names {code}, which is not a diagnostic code",
                             line, column, package.display_path)
        elif code in ("DAC116", "DAC117"):
            yield Diagnostic("DAC117", f"{code} cannot be suppressed", line, column, package.display_path)
        else:
            suppressed[code] = index
    used: set[str] = set()
    for diagnostic in diagnostics:
        if diagnostic.code in suppressed:
            used.add(diagnostic.code)
        else:
            yield diagnostic
    for code, index in suppressed.items():
        if code not in used and report_unused and code not in TEST_ONLY_CODES:
            line, column = package.position(("suppressions", index, "code"))
            yield Diagnostic("DAC116", f"the suppression of {code} suppresses nothing; remove it",
                             line, column, package.display_path)
