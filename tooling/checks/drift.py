"""Drift: where a native query and the package's Sigma form disagree on generated events.

`tooling.sigma.probes` makes boundary events from each Sigma rule's detection (an event through
each branch, a near-miss per predicate, case and wildcard variants), starting from the package's
own `match` samples. The Sigma form (the package's rules as a whole) labels each; every native
query runs on the platform's rendering of it. A disagreement is a DAC514 warning at the query that
shows the event. A package whose query differs on purpose (say, a case-sensitive platform default
the team accepts) suppresses DAC514 with its reason, as any other code. An event built on a sample
of a test that declares a platform cannot see its events (`not_covered_by`) is not run there.
"""
from __future__ import annotations

import json
from typing import Iterator

from tooling.checks.queries import place, queries_to_parse
from tooling.checks.verdicts import decided, logsource_of, package_samples, runnable
from tooling.diagnostics import Diagnostic
from tooling.languages import LANGUAGES, get_language
from tooling.languages.evaluation import EvaluationContext
from tooling.package import Package
from tooling.platforms import case_varies, classify, render
from tooling.platforms.local import NONE, LocalPlatforms
from tooling.sigma.detection import InvalidDetection, SigmaDetection, SlowMatch
from tooling.sigma.probes import Probe, probe_events
from tooling.sigma.rules import InvalidRule, SigmaRules, UnsupportedRule, package_rules

MAX_SHOWN = 300  # characters of the event shown in a message


def labelled_probes(package: Package) -> list[tuple[Probe, bool]]:
    """The events generated from each Sigma rule, with the Sigma form's verdict on each (some rule
    of the package matches it, or none does); [] when it has none."""
    rules = package_rules(package.data)
    if not rules or not runnable(package):
        return []
    try:
        compiled = SigmaRules.parse(rules)
    except (InvalidDetection, InvalidRule, UnsupportedRule):
        return []
    bases = [s.event for s in package_samples(package) if s.expected]
    probes: list[Probe] = []
    for rule, detection in compiled.compiled:
        # each rule's events are built on the samples it matches itself (a Linux rule's on Linux
        # events, not on a Windows sample of the same package), else on any match sample
        own = [base for base in bases if _matches(detection, base)]
        probes.extend(probe_events(rule.detection, own or bases, case_fields=case_varies()))
    labelled = []
    seen: set[str] = set()
    for probe in probes:
        key = repr(sorted(probe.event.items(), key=lambda item: item[0]))
        if key in seen:  # the same event from two rules is one event
            continue
        seen.add(key)
        try:
            labelled.append((probe, compiled.matches(probe.event)))
        except SlowMatch:
            continue
    return labelled


def _matches(detection: SigmaDetection, event: dict) -> bool:
    try:
        return detection.matches(event)
    except SlowMatch:
        return False


def check_drift(package: Package, keys: list[str] | None = None, local: LocalPlatforms = NONE) -> Iterator[Diagnostic]:
    labelled = labelled_probes(package)
    if not labelled:
        return
    logsource = logsource_of(package)
    # a probe built on a sample of a test that declares a platform cannot see its events
    # (not_covered_by) is out of that platform's reach too
    declined = {id(sample.event): sample.declined for sample in package_samples(package)}
    for key, text in queries_to_parse(package, keys or list(LANGUAGES)):
        language = get_language(key)
        context = local.context(key)
        disagreeing: list[tuple[Probe, bool, dict]] = []
        unevaluated = 0
        for index, (probe, expected) in enumerate(labelled):
            if key in declined.get(id(probe.base), {}):
                continue
            kind = classify(probe.event, logsource)
            rendering = render(key, probe.event, logsource, index=index, kind=kind) if kind else None
            if rendering is None:
                continue
            evaluation = language.evaluate(text, list(rendering.events), context)
            if not evaluation.ok:
                # a construct not evaluated (DAC512 names it) or, on this event only, a value
                # the platform's semantics leave open (a null): no verdict, go on
                unevaluated += 1
                if unevaluated == index + 1 and unevaluated >= 3:
                    break  # nothing evaluates at all: the query's DAC512 says why
                continue
            if bool(evaluation.matched) != expected:  # any of the probe's records
                disagreeing.append((probe, expected, rendering.event))
        if disagreeing:
            yield from place(package, key, [_drift(key, text, context, disagreeing)])


def _drift(key: str, text: str, context: EvaluationContext, disagreeing: list[tuple[Probe, bool, dict]]) -> Diagnostic:
    probe, expected, rendered = disagreeing[0]
    explanation, line, column = decided(key, text, rendered, context)
    because = f"; {explanation}" if explanation else ""
    shown = json.dumps(probe.event, ensure_ascii=False)
    shown = shown if len(shown) <= MAX_SHOWN else shown[:MAX_SHOWN - 1] + "…"
    what = "misses" if expected else "returns"
    more = f" ({len(disagreeing) - 1} more generated events disagree)" if len(disagreeing) > 1 else ""
    return Diagnostic("DAC514", f"{LANGUAGES[key].name} query drifts from the Sigma form: it {what} an event the "
                      f"Sigma form {'matches' if expected else 'does not match'} ({probe.note}): {shown}{more}"
                      f"{because}", line, column)
