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
from tooling.languages.explanation import Explanation, Leaf, explain, predicate_text
from tooling.package import Package
from tooling.platforms import render
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


@dataclass
class BranchCoverage:
    """A branch of a query as the match samples reach it: the predicates that together returned
    a match sample (each would drop it alone), and the samples that prove it."""

    package: str
    language: str
    predicates: list[str]  # "line:column" in the package file, in query order
    matched_by: list[str] = field(default_factory=list)
    near_missed_by: list[str] = field(default_factory=list)  # near-misses one of its predicates decides

    def as_json(self) -> dict:
        return asdict(self)


def package_coverage(package: Package, keys: Iterable[str] | None = None,
                     local: LocalPlatforms = NONE) -> tuple[list[PredicateCoverage], list[BranchCoverage]]:
    """Every predicate of the package's queries in `keys` with the samples that prove it, and
    every branch the match samples reach with the near-misses that test it."""
    if not runnable(package):
        return [], []
    samples = package_samples(package)
    logsource = logsource_of(package)
    package_id = package.id or package.path.stem
    found: list[PredicateCoverage] = []
    reached: list[BranchCoverage] = []
    for key, text in queries_to_parse(package, list(keys or LANGUAGES)):
        context = local.context(key)
        predicates: dict[tuple, PredicateCoverage] = {}
        branches: dict[frozenset, BranchCoverage] = {}
        near_misses: list[tuple[str, set]] = []  # (label, the predicates that decided it alone)

        def entry(leaf: Leaf) -> PredicateCoverage:
            if leaf.key not in predicates:
                line, column = package.text_position(("queries", key), leaf.line, leaf.column)
                predicates[leaf.key] = PredicateCoverage(package_id, key, line, column, predicate_text(text, leaf))
            return predicates[leaf.key]

        for position, sample in enumerate(samples):
            if key in sample.declined:
                continue
            rendering = render(key, sample.event, logsource, index=position)
            explained = [explain(key, text, event, context) for event in rendering.events] if rendering else [None]
            if None in explained or any(e.matched for e in explained) != sample.expected:
                continue
            for leaf in (leaf for e in explained for leaf in e.held + e.failed):
                if not leaf.scope:
                    entry(leaf)
            deciding = _deciding(explained, sample.expected)
            if deciding is None:
                continue  # two predicates away from the other verdict: it proves neither alone
            label = f"{sample.test}: {sample.label}"
            for leaf in deciding:
                (entry(leaf).matched_by if sample.expected else entry(leaf).near_missed_by).append(label)
            if sample.expected and deciding:
                branch = branches.setdefault(frozenset(leaf.key for leaf in deciding), BranchCoverage(
                    package_id, key, [f"{entry(leaf).line}:{entry(leaf).column}" for leaf in deciding]))
                branch.matched_by.append(label)
            elif not sample.expected:
                near_misses.append((label, {leaf.key for leaf in deciding}))
        for keys_of_branch, branch in branches.items():
            branch.near_missed_by = [label for label, decided in near_misses if decided & keys_of_branch]
        found.extend(sorted(predicates.values(), key=lambda p: (p.line, p.column)))
        reached.extend(branches.values())
    return found, reached


def _deciding(explained: list[Explanation], expected: bool) -> list[Leaf] | None:
    """The predicates on the event's values that decide a sample, from its records' explanations
    (one, but for a platform that stores it as several records, any of which the query may return):
    for a match, those that decide every record returned; for a near-miss, those that would return
    any one record. None when no record is one predicate from the other verdict."""
    if expected:
        returned = [e for e in explained if e.matched]
        keys = set.intersection(*({leaf.key for leaf in e.deciding} for e in returned))
        return [leaf for leaf in returned[0].deciding if leaf.key in keys and not leaf.scope]
    alone = [e for e in explained if not e.together]
    if not alone:
        return None
    seen: dict[tuple, Leaf] = {}
    for e in alone:
        for leaf in e.deciding:
            if not leaf.scope:
                seen.setdefault(leaf.key, leaf)
    return list(seen.values())


def coverage(paths: list[Path], keys: list[str] | None = None) -> tuple[list[PredicateCoverage], list[BranchCoverage]]:
    """The coverage of every package under `paths`."""
    from tooling.package import LoadError, iter_package_files, load_package
    from tooling.testing import local_additions

    local = local_additions(paths)
    predicates: list[PredicateCoverage] = []
    branches: list[BranchCoverage] = []
    for path in iter_package_files(paths):
        try:
            package = load_package(path)
        except LoadError:
            continue  # `dac validate` and `dac test` report it
        found, reached = package_coverage(package, keys, local)
        predicates.extend(found)
        branches.extend(reached)
    return predicates, branches


def render_coverage(found: list[PredicateCoverage], branches: list[BranchCoverage]) -> str:
    """Per package and language: predicates and how many the samples prove, the branches match
    samples reach and how many a near-miss tests; then each gap."""
    lines = [f"{'package':12s} {'language':9s} {'predicates':>10s} {'by a match':>11s} {'by a near-miss':>15s}"
             f" {'branches':>9s} {'with a near-miss':>17s}"]
    gaps: list[str] = []
    groups: dict[tuple[str, str], list[PredicateCoverage]] = {}
    for item in found:
        groups.setdefault((item.package, item.language), []).append(item)
    for (package, language), items in groups.items():
        own = [b for b in branches if (b.package, b.language) == (package, language)]
        lines.append(f"{package:12s} {language:9s} {len(items):10d} {_proven(items, 'matched_by'):11d} "
                     f"{_proven(items, 'near_missed_by'):15d} {len(own):9d} {_proven(own, 'near_missed_by'):17d}")
        for branch in own:
            if not branch.near_missed_by:
                gaps.append(f"  {package} {language} branch {', '.join(branch.predicates)} (through "
                            f"{branch.matched_by[0]}): no near-miss")
        for item in items:
            missing = [what for what, proof in (("no match sample", item.matched_by),
                                                ("no near-miss", item.near_missed_by)) if not proof]
            if missing:
                gaps.append(f"  {package} {language} line {item.line}:{item.column} `{item.predicate}`: "
                            f"{' and '.join(missing)}")
    summary = (f"{len(found)} predicates: {_proven(found, 'matched_by')} proven by a match sample, "
               f"{_proven(found, 'near_missed_by')} by a near-miss; {len(branches)} branches reached by a match "
               f"sample, {_proven(branches, 'near_missed_by')} of them tested by a near-miss")
    return "\n".join([*lines, "", summary, *(["", "Not proven:", *gaps] if gaps else [])])


def _proven(items: list, proof: str) -> int:
    return sum(1 for item in items if getattr(item, proof))
