"""Predicate coverage (`dac test --coverage`): which predicates of each query its samples prove.

A test's samples prove a predicate two ways:
- a `match` sample proves it when the query returns the sample and would not without that
  predicate (it is on the branch that matched);
- a `no_match` sample (a near-miss) proves it when the query does not return the sample but would
  if that predicate alone held: the near-miss differs from an attack in exactly that predicate.

A predicate proven by no match sample belongs to a branch no test exercises; one proven by no
near-miss could be dropped or loosened without any test noticing. Both are found the way a
disagreement is explained (tooling/languages/explanation.py): by flipping one predicate at a time.
Samples whose verdict disagrees with the test prove nothing and are left out (DAC510/DAC511 say
why); so are the predicates that select the event's table or source.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from tooling.checks.queries import queries_to_parse
from tooling.checks.verdicts import logsource_of, package_samples, runnable
from tooling.languages import LANGUAGES
from tooling.languages.explanation import Leaf, explain, predicate_text
from tooling.package import Package
from tooling.platforms import classify, render
from tooling.platforms.local import NONE, LocalPlatforms


@dataclass
class PredicateCoverage:
    package: str
    language: str
    line: int  # in the package file
    column: int
    predicate: str  # as written in the query
    matched_by: list[str] = field(default_factory=list)  # labels of the match samples that prove it
    near_missed_by: list[str] = field(default_factory=list)  # labels of the near-misses that prove it

    def as_json(self) -> dict:
        return asdict(self)


def package_coverage(package: Package, keys: Iterable[str] | None = None,
                     local: LocalPlatforms = NONE) -> list[PredicateCoverage]:
    """Every predicate of the package's queries in `keys`, with the samples that prove it."""
    if not runnable(package):
        return []
    samples = package_samples(package)
    logsource = logsource_of(package)
    package_id = package.id or package.path.stem
    found: list[PredicateCoverage] = []
    for key, text in queries_to_parse(package, list(keys or LANGUAGES)):
        context = local.context(key)
        predicates: dict[tuple, PredicateCoverage] = {}

        def entry(leaf: Leaf) -> PredicateCoverage:
            if leaf.key not in predicates:
                line, column = package.text_position(("queries", key), leaf.line, leaf.column)
                predicates[leaf.key] = PredicateCoverage(package_id, key, line, column, predicate_text(text, leaf))
            return predicates[leaf.key]

        for position, sample in enumerate(samples):
            if key in sample.declined:
                continue
            kind = classify(sample.event, logsource)
            rendering = render(key, sample.event, logsource, index=position, kind=kind) if kind else None
            explained = explain(key, text, rendering.event, context) if rendering else None
            if explained is None or explained.matched != sample.expected:
                continue
            for leaf in explained.held + explained.failed:
                if leaf.subject is None:
                    entry(leaf)
            if explained.together:
                continue  # two predicates away from the other verdict: it proves neither alone
            for leaf in explained.deciding:
                if leaf.subject is None:
                    proven = entry(leaf).matched_by if sample.expected else entry(leaf).near_missed_by
                    proven.append(f"{sample.test}: {sample.label}")
        found.extend(sorted(predicates.values(), key=lambda p: (p.line, p.column)))
    return found


def coverage(paths: list[Path], keys: list[str] | None = None) -> tuple[list[PredicateCoverage], int]:
    """The coverage of every package under `paths`, and how many package files were read."""
    from tooling.package import LoadError, iter_package_files, load_package
    from tooling.platforms.local import find_local_file, load_local
    from tooling.validate import find_detections_root

    files = list(iter_package_files(paths))
    local = load_local(find_local_file(find_detections_root(paths)))
    found: list[PredicateCoverage] = []
    for path in files:
        try:
            package = load_package(path)
        except LoadError:
            continue  # `dac validate` and `dac test` report it
        found.extend(package_coverage(package, keys, local))
    return found, len(files)


def render_coverage(found: list[PredicateCoverage]) -> str:
    """Per package and language, how many predicates the samples prove, then each gap."""
    lines = [f"{'package':12s} {'language':9s} {'predicates':>10s} {'by a match':>11s} {'by a near-miss':>15s}"]
    gaps: list[str] = []
    groups: dict[tuple[str, str], list[PredicateCoverage]] = {}
    for item in found:
        groups.setdefault((item.package, item.language), []).append(item)
    for (package, language), items in groups.items():
        matched = sum(1 for item in items if item.matched_by)
        near = sum(1 for item in items if item.near_missed_by)
        lines.append(f"{package:12s} {language:9s} {len(items):10d} {matched:11d} {near:15d}")
        for item in items:
            missing = [what for what, proof in (("no match sample", item.matched_by),
                                                ("no near-miss", item.near_missed_by)) if not proof]
            if missing:
                gaps.append(f"  {package} {language} line {item.line}:{item.column} `{item.predicate}`: "
                            f"{' and '.join(missing)}")
    total = len(found)
    summary = (f"{total} predicates: {sum(1 for i in found if i.matched_by)} proven by a match sample, "
               f"{sum(1 for i in found if i.near_missed_by)} by a near-miss")
    return "\n".join([*lines, "", summary, *(["", "Not proven:", *gaps] if gaps else [])])
