"""Each test's sample events, rendered into every platform's shape and run through the package's
seven native queries and its Sigma form: a verdict per (language, sample).

A sample is written once, in the Sigma taxonomy; `tooling.platforms.render` turns it into the
event each platform would hand its query, and the language's `evaluate` runs the query on it
alone. A verdict that disagrees with the test's `match` / `no_match` is DAC510 / DAC511 at the
query; a query that cannot be evaluated is a DAC512 note naming the construct; a sample a
platform cannot render is a DAC513 note. The Sigma form's own diagnostics stay in
`checks/samples.py` (DAC504-DAC507); here it contributes its verdict to the results.

Diagnostics carry positions within the query (mapped into the file by `check_verdicts`), so a
package's results can be kept per query, like parse results: see `verdicts_digest`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Iterator

from tooling.checks.content import has_placeholder
from tooling.checks.queries import has_errors, place, queries_to_parse, query_digest
from tooling.diagnostics import Diagnostic
from tooling.languages import LANGUAGES, get_language
from tooling.languages.base import BATCH_SIZE
from tooling.languages.evaluation import MISSING, Evaluation, EvaluationContext
from tooling.languages.explanation import explain, leaf_values
from tooling.package import Package, QueryResults
from tooling.platforms import classify, render
from tooling.platforms.local import NONE, LocalPlatforms, local_in_use

SIGMA = "sigma"
NOT_COVERED = "not covered: "  # the reason of a verdict a test's not_covered_by declines
MAX_SAMPLES = 200  # per package: far above any real package, bounds what one file can cost
MAX_EXPLAINED = 8  # disagreements of one query explained (each costs up to explanation.BUDGET_S)


@dataclass(frozen=True)
class Sample:
    test_index: int
    test: str  # the test's name
    expected: bool  # True: in `match`, False: in `no_match`
    number: int  # index within its list
    event: dict
    # language -> why its platform cannot see this test's events (the test's `not_covered_by`)
    declined: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{'match' if self.expected else 'no_match'}[{self.number}]"


@dataclass(frozen=True)
class SampleResult:
    package: str
    language: str  # a language key, or "sigma"
    test: str
    sample: str  # "match[0]"
    expected: bool
    verdict: bool | None  # None: not evaluated
    reason: str | None = None  # why not evaluated, or what decided a disagreeing verdict

    def as_json(self) -> dict:
        return asdict(self)

    @property
    def agrees(self) -> bool:
        return self.verdict is not None and self.verdict == self.expected

    @property
    def declared(self) -> bool:
        """Not evaluated on purpose: the test declares this platform cannot see its events."""
        return self.verdict is None and (self.reason or "").startswith(NOT_COVERED)


def package_samples(package: Package) -> list[Sample]:
    tests = package.data.get("tests")
    found: list[Sample] = []
    for index, test in enumerate(tests if isinstance(tests, list) else []):
        samples = test.get("samples") if isinstance(test, dict) else None
        if not isinstance(samples, dict):
            continue
        name = test.get("name") if isinstance(test.get("name"), str) else f"test {index + 1}"
        declined = _declined(test.get("not_covered_by"))
        for kind, expected in (("match", True), ("no_match", False)):
            events = samples.get(kind)
            for number, event in enumerate(events if isinstance(events, list) else []):
                if isinstance(event, dict):
                    found.append(Sample(index, name, expected, number, event, declined))
    return found[:MAX_SAMPLES]


def _declined(entries: Any) -> dict[str, str]:
    """A test's `not_covered_by`: language -> the written reason its platform cannot see the events."""
    declined: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("language"), str) and isinstance(entry.get("reason"), str):
            declined[entry["language"]] = entry["reason"]
    return declined


def logsource_of(package: Package) -> dict:
    """The logsource samples are classified under: what all the package's Sigma rules say alike."""
    from tooling.sigma.rules import shared_logsource

    return shared_logsource(package.data)


def runnable(package: Package) -> bool:
    """False for a scaffold still being filled in (DAC118 lists what is missing)."""
    return not (has_placeholder(package.data.get("tests")) or has_placeholder(package.data.get("sigma")))


def verdicts_digest(key: str, text: str, samples: list[Sample], logsource: dict, context: EvaluationContext,
                    shared: str | None = None) -> bytes:
    """What a query's verdicts depend on besides the tooling (whose fingerprint keys the cache).
    `shared`: `samples_material(samples, logsource)`, when the caller has it (it is the same for
    every query of the package)."""
    if shared is None:
        shared = samples_material(samples, logsource)
    material = json.dumps([key, text, asdict(context)], sort_keys=True, default=str) + "\0" + shared
    return hashlib.blake2b(material.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def samples_material(samples: list[Sample], logsource: dict) -> str:
    """The samples and the logsource as one text, for `verdicts_digest`."""
    return json.dumps([[[s.test_index, s.test, s.expected, s.number, s.event, s.declined] for s in samples],
                       logsource], sort_keys=True, default=str)


def query_verdicts(package_id: str, key: str, text: str, samples: list[Sample], logsource: dict,
                   context: EvaluationContext, kinds: list[str | None] | None = None, *,
                   keep: bool = True) -> tuple[list[SampleResult], list[Diagnostic]]:
    """One language's verdicts on every sample, and its diagnostics (positions within the query).
    `kinds`: each sample's `classify`, when the caller has them (the same for every language).
    `keep` False: the diagnostics only (`dac validate` keeps no verdicts; building a frozen
    dataclass per sample and language was a fortieth of its time), the results list empty."""
    language = get_language(key)
    name = LANGUAGES[key].name
    results: list[SampleResult] = []

    def add(*fields: Any) -> None:
        if keep:
            results.append(SampleResult(*fields))

    diagnostics: list[Diagnostic] = []
    noted: set[str] = set()
    explained = 0
    declined: dict[str, list[tuple[bool, bool]]] = {}  # test -> (expected, agrees) of declared samples
    if kinds is None:
        kinds = [classify(sample.event, logsource) for sample in samples]
    renderings = [render(key, sample.event, logsource, index=position, kind=kinds[position]) if kinds[position]
                  else None for position, sample in enumerate(samples)]
    together = _together(language, text, context, renderings)
    for position, sample in enumerate(samples):
        rendering, kind = renderings[position], kinds[position]
        if rendering is None:
            why = (f"{LANGUAGES[key].platform} has no form for a {kind} event" if kind
                   else "the sample is no kind of event dac knows")
            add(package_id, key, sample.test, sample.label, sample.expected, None, why)
            if kind and why not in noted:  # an unknown kind is one note at the sample: unknown_kinds
                noted.add(why)
                diagnostics.append(Diagnostic("DAC513", f"{name} query not run on sample {sample.label} of test "
                                              f"{sample.test!r}: {why}"))
            continue
        evaluation = together[position] if together else language.evaluate(text, list(rendering.events), context)
        if not evaluation.ok:
            add(package_id, key, sample.test, sample.label, sample.expected, None, evaluation.reason)
            if evaluation.reason not in noted:
                noted.add(evaluation.reason or "")
                diagnostics.append(Diagnostic(
                    "DAC512", f"{name} query not evaluated: {_construct(evaluation.reason)}",
                    evaluation.line or 1, evaluation.column or 1))
            continue
        verdict = bool(evaluation.matched)  # any of the sample's records
        if key in sample.declined:
            # declared out of this platform's reach, with a reason: no verdict counted, but an
            # agreeing one shows the declaration is no longer needed (as DAC116 for suppressions)
            add(package_id, key, sample.test, sample.label, sample.expected, None,
                f"{NOT_COVERED}{sample.declined[key]}")
            declined.setdefault(sample.test, []).append((sample.expected, verdict == sample.expected))
            continue
        if verdict == sample.expected:
            add(package_id, key, sample.test, sample.label, sample.expected, verdict)
            continue
        explained += 1
        if explained > MAX_EXPLAINED:  # the first few say why; the rest only that they disagree
            add(package_id, key, sample.test, sample.label, sample.expected, verdict)
            diagnostics.append(_disagreement(name, sample, None))
            continue
        attacks = [] if sample.expected else [
            event for position, other in enumerate(samples)
            if other.expected and other.test_index == sample.test_index
            and (found := render(key, other.event, logsource, index=position)) is not None for event in found.events]
        explanation, line, column = decided(key, text, telling_record(key, text, rendering.events, context, verdict),
                                            context, attacks)
        add(package_id, key, sample.test, sample.label, sample.expected, verdict, explanation)
        diagnostics.append(_disagreement(name, sample, explanation).at(line=line, column=column))
    for test, outcomes in declined.items():
        # the query sees the test's events after all: it fires on a match sample and agrees on all
        if all(agrees for _, agrees in outcomes) and any(expected for expected, _ in outcomes):
            diagnostics.append(Diagnostic("DAC515", f"{name} query agrees with every sample of test {test!r}: "
                                          f"its not_covered_by entry for {key} can go"))
    return results, diagnostics


def _together(language: Any, text: str, context: EvaluationContext, renderings: list) -> dict[int, Evaluation]:
    """Each rendered sample's evaluation from one run over all of them, when the query decides
    each event on its own (`Language.per_event`); empty when it does not, or when that run gives
    no verdict (a construct not evaluated on one sample must not cost the others theirs)."""
    positions = [position for position, rendering in enumerate(renderings) if rendering is not None]
    if len(positions) < 2 or len(positions) > BATCH_SIZE or not language.per_event(text, context):
        return {}
    owners = [position for position in positions for _ in renderings[position].events]  # record -> sample
    evaluation = language.evaluate(text, [event for position in positions for event in renderings[position].events],
                                   context)
    if not evaluation.ok:
        return {}
    matched = {owners[index] for index in evaluation.matched}
    return {position: _MATCHED if position in matched else _MISSED for position in positions}


def telling_record(key: str, text: str, events: tuple[dict, ...], context: EvaluationContext,
                   verdict: bool) -> dict:
    """Of a sample's records, the one whose explanation says why the verdict is what it is (one
    record alone can be explained): one the query returns, for a false match; for a missed match,
    the record closest to a branch: one predicate on its values away, else two, else only its
    source (a record another branch reads), else the first."""
    if len(events) == 1:
        return events[0]
    language = get_language(key)
    if verdict:
        return next((event for event in events if language.evaluate(text, [event], context).matched), events[0])

    def distance(event: dict) -> int:
        explained = explain(key, text, event, context)
        if explained is None or not explained.deciding:
            return 4
        if all(leaf.scope for leaf in explained.deciding):
            return 3
        return 2 if explained.together else 1

    return min(events, key=distance)


_MATCHED, _MISSED = Evaluation(True, [0]), Evaluation(True, [])  # read, never changed


def decided(key: str, text: str, event: dict, context: EvaluationContext,
            attacks: list[dict] = ()) -> tuple[str | None, int, int]:
    """What decided the query's verdict on the event, and where in the query: the predicate that
    failed, or the branch that matched (tooling/languages/explanation.py). For a near-miss that
    fired, `attacks` (its test's match events) point at the predicate that should have told them
    apart: the first deciding one whose value on the near-miss no attack shares."""
    explained = explain(key, text, event, context)
    if explained is None:
        return None, 1, 1
    if explained.matched and attacks:
        seen = [leaf_values(key, text, attack, context) for attack in attacks]
        explained.lead_with(lambda leaf: all(values.get(leaf.key, MISSING) != leaf.value for values in seen))
    return explained.sentence(), explained.line or 1, explained.column or 1


def _construct(reason: str | None) -> str:
    """The reason without its "line:column: " prefix (the diagnostic carries the position)."""
    head, _, rest = (reason or "").partition(": ")
    return rest if rest and head.replace(":", "").isdigit() else (reason or "unknown")


def _disagreement(name: str, sample: Sample, explanation: str | None) -> Diagnostic:
    because = f": {explanation}" if explanation else ""
    if sample.expected:
        return Diagnostic("DAC510", f"{name} query does not return sample {sample.label} of test {sample.test!r}, "
                          f"which it must match{because}")
    return Diagnostic("DAC511", f"{name} query returns near-miss sample {sample.label} of test {sample.test!r}, "
                      f"which it must not match{because}")


def sigma_verdicts(package: Package, samples: list[Sample]) -> list[SampleResult]:
    """The Sigma form's verdict on each sample: matched by some rule of the package, or by none."""
    from tooling.sigma.detection import InvalidDetection, SlowMatch
    from tooling.sigma.rules import InvalidRule, SigmaRules, UnsupportedRule, package_rules

    package_id = package.id or package.path.stem
    reason: str | None = None
    compiled = None
    try:
        compiled = SigmaRules.parse(package_rules(package.data))
    except InvalidDetection:
        reason = "the package has no Sigma detection"
    except (InvalidRule, UnsupportedRule) as exc:
        label = exc.rule.label(len(package_rules(package.data)) > 1)
        reason = f"the Sigma detection{' of ' + label if label else ''} is not evaluated: {exc.error}"
    results = []
    for sample in samples:
        verdict = None
        if compiled is not None:
            try:
                verdict = compiled.matches(sample.event)
            except SlowMatch as exc:
                reason = f"the Sigma detection was not evaluated: {exc}"
        results.append(SampleResult(package_id, SIGMA, sample.test, sample.label, sample.expected, verdict,
                                    reason if verdict is None else None))
    return results


def package_verdicts(package: Package, keys: list[str] | None = None,
                     local: LocalPlatforms = NONE) -> tuple[list[SampleResult], list[Diagnostic]]:
    """Every verdict of a package (Sigma first, then the languages in `keys`), and the
    languages' diagnostics mapped into the file."""
    if not runnable(package):
        return [], []
    samples = package_samples(package)
    if not samples:
        return [], []
    logsource = logsource_of(package)
    package_id = package.id or package.path.stem
    results = sigma_verdicts(package, samples)
    diagnostics: list[Diagnostic] = list(unknown_kinds(package, samples, logsource))
    for key, text in queries_to_parse(package, keys or list(LANGUAGES)):
        found, raised = query_verdicts(package_id, key, text, samples, logsource, local.context(key))
        results.extend(found)
        diagnostics.extend(place(package, key, raised))
    return results, diagnostics


def unknown_kinds(package: Package, samples: list[Sample], logsource: dict,
                  kinds: list[str | None] | None = None) -> Iterator[Diagnostic]:
    """DAC513 at each sample no platform can render, because it is no known kind of event."""
    if kinds is None:
        kinds = [classify(sample.event, logsource) for sample in samples]
    for sample, kind in zip(samples, kinds):
        if kind is None:
            kind = "match" if sample.expected else "no_match"
            line, column = package.position(("tests", sample.test_index, "samples", kind, sample.number))
            fields = ", ".join(map(str, list(sample.event)[:6]))
            yield Diagnostic("DAC513", f"sample {sample.label} of test {sample.test!r} is no kind of event dac "
                             f"knows (fields: {fields}), so no query was run on it; `dac platforms kinds` lists "
                             "the kinds", line, column)


def data_verdicts(data: dict, local: LocalPlatforms = NONE) -> list[SampleResult]:
    """The verdicts of a package given as its values alone (the site has no positions to place
    diagnostics at, and needs none)."""
    from pathlib import Path

    name = data.get("id") if isinstance(data.get("id"), str) else "package"
    return package_verdicts(Package(Path(f"{name}.yml"), "", data), local=local)[0]


def proven_languages(results: list[SampleResult]) -> list[str]:
    """The languages whose query was evaluated on every sample and agrees with every one."""
    by_language: dict[str, list[SampleResult]] = {}
    for result in results:
        by_language.setdefault(result.language, []).append(result)
    return [key for key in LANGUAGES if by_language.get(key) and all(r.agrees for r in by_language[key])]


def results_json(results: list[SampleResult]) -> list[dict[str, Any]]:
    return [result.as_json() for result in results]


# --- in `dac validate`: the same verdicts, kept per query like parse results ---------------

VERDICTS = "verdicts:"  # query_results key prefix: ("verdicts:kql", digest)


def verdict_results(package: Package, keys: Iterable[str] = LANGUAGES) -> QueryResults:
    """The verdict diagnostics (positions within each query) of the package's queries in `keys`
    that have no errors (their parse results must be in `package.query_results`), reusing those
    known from `package.earlier_results`. Kept per query like parse results, under
    ("verdicts:<key>", digest of what they depend on)."""
    samples = package_samples(package) if runnable(package) else []
    if not samples:
        return {}
    return _verdict_results(package, keys, samples, logsource_of(package))


def _verdict_results(package: Package, keys: Iterable[str], samples: list[Sample], logsource: dict,
                     kinds: list[str | None] | None = None) -> QueryResults:
    results: QueryResults = {}
    package_id = package.id or package.path.stem
    shared: str | None = None
    for key, text in queries_to_parse(package, keys):
        if has_errors(package.query_results.get((key, query_digest(text)), ())):
            continue  # a query with syntax, lint or platform errors: those come first
        context = local_in_use().context(key)
        if shared is None:
            shared = samples_material(samples, logsource)
        entry = (VERDICTS + key, verdicts_digest(key, text, samples, logsource, context, shared))
        known = package.earlier_results.get(entry)
        if known is None:
            if kinds is None:
                kinds = [classify(sample.event, logsource) for sample in samples]
            known = query_verdicts(package_id, key, text, samples, logsource, context, kinds, keep=False)[1]
        results[entry] = known
    return results


def check_verdicts(package: Package) -> Iterator[Diagnostic]:
    """DAC510-DAC513 for each query without errors (check_queries runs first), reusing a query's
    verdicts while it, the samples and the local additions are unchanged (the tooling's
    fingerprint keys the whole cache)."""
    samples = package_samples(package) if runnable(package) else []
    if not samples:
        return
    logsource = logsource_of(package)
    kinds = [classify(sample.event, logsource) for sample in samples]
    yield from unknown_kinds(package, samples, logsource, kinds)
    found = _verdict_results(package, LANGUAGES, samples, logsource, kinds)
    package.query_results.update(found)
    for (entry, _), diagnostics in found.items():
        yield from place(package, entry[len(VERDICTS):], diagnostics)
