"""`dac test`: every package's seven native queries and its Sigma form, run on its sample events.

    report = run_tests([Path("detections")], keys=["kql"])
    report.results       # SampleResult per (package, language or "sigma", sample)
    report.diagnostics   # DAC510-DAC513 at the queries, DAC504-DAC507 for the Sigma form, load errors

Data flows one way: files -> packages -> verdicts -> report -> a renderer. Nothing here prints.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from tooling.cache import EntryStore, diagnostic_row
from tooling.checks.drift import check_drift
from tooling.checks.samples import check_samples
from tooling.checks.verdicts import SIGMA, SampleResult, package_verdicts
from tooling.diagnostics import Diagnostic, Severity
from tooling.languages import LANGUAGES
from tooling.package import LoadError, iter_package_files, load_package
from tooling.platforms.local import LocalPlatforms, find_local_file, load_local
from tooling.validate import apply_suppressions, find_detections_root


@dataclass
class TestReport:
    files: int
    results: list[SampleResult] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def disagreements(self) -> list[SampleResult]:
        return [r for r in self.results if r.verdict is not None and r.verdict != r.expected]

    def failed(self, fail_on: Severity = Severity.ERROR) -> bool:
        """A verdict disagrees, or an error (a file that cannot be read, a Sigma form that cannot
        work). Drift (DAC514) is a warning to read, not a failure, unless `fail_on` says so."""
        return bool(self.disagreements) or any(d.severity.rank >= fail_on.rank for d in self.diagnostics)

    def as_json(self) -> str:
        from tooling.diagnostics.render import render_json

        # The diagnostics exactly as `dac validate --format json` gives them.
        return json.dumps({"results": [r.as_json() for r in self.results],
                           "diagnostics": json.loads(render_json(self.diagnostics, self.files))}, indent=2)


def local_additions(paths: list[Path]) -> LocalPlatforms:
    """The `platforms.yml` beside the detections/ folder the paths are in (NONE when there is none)."""
    return load_local(find_local_file(find_detections_root(paths)))


def run_tests(paths: list[Path], keys: list[str] | None = None, drift: bool = True,
              cache: "TestCache | None" = None) -> TestReport:
    """Run the samples of every package under `paths` through the languages in `keys` (default:
    all seven) and the Sigma form; with `drift`, also the events generated from the Sigma form
    (DAC514). With a `cache`, an unchanged package's results are reused."""
    files = list(iter_package_files(paths))
    local = local_additions(paths)
    report = TestReport(len(files), diagnostics=list(local.diagnostics))
    options = json.dumps([sorted(keys or LANGUAGES), drift, local.digest])
    for path in files:
        found = cache.get(path, options) if cache is not None else None
        if found is None:
            found = _test_file(path, keys, drift, local)
            if cache is not None:
                cache.put(path, options, found)
        results, diagnostics = found
        report.results.extend(results)
        report.diagnostics.extend(diagnostics)
    report.diagnostics.sort(key=Diagnostic.sort_key)
    return report


def _test_file(path: Path, keys: list[str] | None, drift: bool, local) -> tuple[list[SampleResult], list[Diagnostic]]:
    try:
        package = load_package(path)
    except LoadError as exc:
        return [], [exc.diagnostic.at(path=str(path))]
    results, diagnostics = package_verdicts(package, keys, local)
    diagnostics = [*diagnostics, *check_samples(package)]
    if drift:
        diagnostics.extend(check_drift(package, keys, local))
    shown = [d.at(path=package.display_path) for d in diagnostics]
    return results, list(apply_suppressions(package, shown, report_unused=False))


class TestCache(EntryStore):
    """`dac test`'s results per package file, kept as the validation cache keeps its entries
    (tooling/cache.py), keyed by the file's content and the run's options."""

    __test__ = False  # not a pytest test class

    def __init__(self, root: Path | None = None):
        super().__init__("test", root)
        self.hits = 0

    def _entry(self, path: Path, options: str) -> Path | None:
        from tooling.package import read_package_bytes

        if self.folder is None:
            return None
        try:
            content = read_package_bytes(path)
        except (LoadError, OSError):
            return None
        key = hashlib.sha256(f"{Path.cwd()}\0{path.resolve()}\0{options}\0".encode() + content).hexdigest()
        return self.folder / f"{key}.json"

    def get(self, path: Path, options: str) -> tuple[list[SampleResult], list[Diagnostic]] | None:
        entry = self._entry(path, options)
        stored = self.read(entry) if entry is not None else None
        if stored is None:
            return None
        try:
            found = ([SampleResult(**r) for r in stored["results"]], [Diagnostic(*d) for d in stored["diagnostics"]])
        except (TypeError, KeyError):
            return None
        self.hits += 1
        return found

    def put(self, path: Path, options: str, found: tuple[list[SampleResult], list[Diagnostic]]) -> None:
        entry = self._entry(path, options)
        if entry is None:
            return
        results, diagnostics = found
        self.write(entry, json.dumps({"results": [r.as_json() for r in results],
                                      "diagnostics": [diagnostic_row(d) for d in diagnostics]}, ensure_ascii=False))


MARKS = {True: "✓", False: "✗", None: "·", "declared": "–"}


def render_matrix(report: TestReport) -> str:
    """A table per package: one row per sample, one column for Sigma and each language; ✓ the
    verdict agrees with the test, ✗ it disagrees, · not evaluated (the diagnostics say why)."""
    columns = [SIGMA, *LANGUAGES]
    by_package: dict[str, dict[tuple[str, str], dict[str, SampleResult]]] = {}
    for result in report.results:
        rows = by_package.setdefault(result.package, {})
        rows.setdefault((result.test, result.sample), {})[result.language] = result
    lines: list[str] = []
    width = max((len(f"{sample} {test}") for rows in by_package.values() for test, sample in rows), default=20)
    width = min(width, 60)
    for package_id, rows in by_package.items():
        lines.append(f"{package_id}")
        lines.append(f"  {'sample':{width}s} " + " ".join(f"{c:>8s}" for c in columns))
        for (test, sample), cells in rows.items():
            label = f"{sample} {test}"
            label = label if len(label) <= width else label[:width - 1] + "…"
            marks = []
            for column in columns:
                result = cells.get(column)
                marks.append(" " if result is None else MARKS["declared"] if result.declared
                             else MARKS[None if result.verdict is None else result.agrees])
            lines.append(f"  {label:{width}s} " + " ".join(f"{m:>8s}" for m in marks))
    total = len(report.results)
    agreed = sum(1 for r in report.results if r.agrees)
    declared = sum(1 for r in report.results if r.declared)
    unevaluated = sum(1 for r in report.results if r.verdict is None) - declared
    lines.append(f"{report.files} package(s), {total} verdicts: {agreed} agree, {len(report.disagreements)} "
                 f"disagree, {unevaluated} not evaluated, {declared} declared not covered")
    return "\n".join(lines)


# --- replaying a recording (`dac test --events FILE`) --------------------------------------

@dataclass(frozen=True)
class ReplayResult:
    package: str
    language: str  # a language key, or "sigma"
    matched: tuple[int, ...]  # indexes into the recording's events
    ok: bool
    reason: str | None = None
    rendered: int = 0  # how many of the recording's events this platform has a form for


def replay(recording_events: list[dict], paths: list[Path], keys: list[str] | None = None) -> list[ReplayResult]:
    """Which recorded events each package's Sigma form and queries return, each query run once
    over all the events its platform has a form for (so aggregations and sequences work)."""
    from tooling.checks.queries import queries_to_parse
    from tooling.checks.verdicts import logsource_of
    from tooling.languages import get_language
    from tooling.platforms import classify, render
    from tooling.sigma.detection import InvalidDetection, SlowMatch
    from tooling.sigma.rules import InvalidRule, SigmaRules, UnsupportedRule, package_rules

    local = local_additions(paths)
    results: list[ReplayResult] = []
    for path in iter_package_files(paths):
        try:
            package = load_package(path)
        except LoadError:
            continue
        package_id = package.id or path.stem
        logsource = logsource_of(package)
        try:  # the Sigma form returns an event when some rule of the package matches it
            compiled = SigmaRules.parse(package_rules(package.data))
            matched = tuple(i for i, event in enumerate(recording_events) if compiled.matches(event))
            results.append(ReplayResult(package_id, SIGMA, matched, True, rendered=len(recording_events)))
        except (InvalidDetection, InvalidRule, UnsupportedRule, SlowMatch) as exc:
            results.append(ReplayResult(package_id, SIGMA, (), False, str(exc)))
        for key, text in queries_to_parse(package, keys or list(LANGUAGES)):
            origin, events = [], []
            for index, event in enumerate(recording_events):
                kind = classify(event, logsource)
                rendering = render(key, event, logsource, index=index, kind=kind) if kind else None
                if rendering is not None:  # every record of it (one, but for auditd's several)
                    origin.extend([index] * len(rendering.events))
                    events.extend(rendering.events)
            evaluation = get_language(key).evaluate(text, events, local.context(key))
            results.append(ReplayResult(package_id, key, tuple(sorted({origin[i] for i in evaluation.matched})),
                                        evaluation.ok, evaluation.reason, len(set(origin))))
    return results


def render_replay(results: list[ReplayResult], events: int) -> str:
    lines = []
    package = None
    for result in results:
        if result.package != package:
            package = result.package
            lines.append(package)
        if not result.ok:
            shown = f"not evaluated: {result.reason}"
        else:
            listed = ", ".join(map(str, result.matched[:20])) + (" ..." if len(result.matched) > 20 else "")
            shown = f"{len(result.matched)} of {result.rendered} events" + (f": {listed}" if listed else "")
        lines.append(f"  {result.language:9s} {shown}")
    lines.append(f"{events} recorded events; event numbers count from 0 in the recording's order")
    return "\n".join(lines)
