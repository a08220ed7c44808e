"""The tests' sample events against the package's Sigma form.

Each test lists events (in the Sigma field taxonomy) that the detection must match and near-misses
it must not. Evaluating the Sigma form on them shows, without a SIEM, that the detection logic
catches the behaviour and leaves the near-misses alone; the native queries are written from the
same logic. The Sigma form is the package's rules as a whole (one per kind of event): a `match`
sample must be matched by some rule, a `no_match` sample by none. A rule that cannot work (DAC506)
or that dac does not evaluate (DAC507) is reported at that rule, and the samples are not checked.
"""
from __future__ import annotations

from typing import Iterator

from tooling.checks.content import has_placeholder
from tooling.diagnostics import Diagnostic
from tooling.languages.base import position_of
from tooling.languages.evaluation import work_time
from tooling.package import Package
from tooling.sigma.detection import OutOfTime, SlowMatch
from tooling.sigma.rules import InvalidRule, SigmaRule, SigmaRules, UnsupportedRule, package_rules

BUDGET_S = 2.0  # for all of a package's samples; real packages take about a millisecond


def check_samples(package: Package) -> Iterator[Diagnostic]:
    rules = [rule for rule in package_rules(package.data) if isinstance(rule.detection, dict)]
    if not rules or len(rules) != len(_listed_rules(package)):
        return  # the schema check reports a missing or malformed rule
    if has_placeholder(package.data.get("sigma")) or has_placeholder(package.data.get("tests")):
        return  # a scaffold still being filled in: DAC118 lists what is missing
    try:
        compiled = SigmaRules.parse(rules)
    except InvalidRule as exc:
        label = exc.rule.label(len(rules) > 1)
        yield Diagnostic("DAC506", f"Sigma detection{' of ' + label if label else ''}: {exc.error.message}",
                         *_where(package, exc.rule, exc.error.offset))
        return
    except UnsupportedRule as exc:
        label = exc.rule.label(len(rules) > 1)
        line, column = package.key_position((*exc.rule.pointer, "detection"))
        yield Diagnostic("DAC507", f"the Sigma detection{' of ' + label if label else ''} uses {exc.error}, which dac "
                         "does not evaluate; the sample events were not checked", line, column)
        return
    yield from _check_events(package, compiled)


def _listed_rules(package: Package) -> list:
    sigma = package.data.get("sigma")
    rules = sigma.get("rules") if isinstance(sigma, dict) else None
    return rules if isinstance(rules, list) else []


def _check_events(package: Package, compiled: SigmaRules) -> Iterator[Diagnostic]:
    # Each pattern match is bounded (TIMEOUT_S, DAC508); many slow-but-bounded ones, in one event
    # or in many, share the deadline, at which each match stops (OutOfTime, DAC509).
    deadline = work_time() + BUDGET_S
    tests = package.data.get("tests")
    for index, test in enumerate(tests if isinstance(tests, list) else []):
        samples = test.get("samples") if isinstance(test, dict) else None
        if not isinstance(samples, dict):
            continue
        name = test.get("name") if isinstance(test.get("name"), str) else f"test {index + 1}"
        for kind, should_match in (("match", True), ("no_match", False)):
            events = samples.get(kind)
            for number, event in enumerate(events if isinstance(events, list) else []):
                if not isinstance(event, dict):
                    continue
                at = ("tests", index, "samples", kind, number)
                sample = f"sample event {number + 1} of test {name!r}"
                try:
                    if work_time() > deadline:
                        raise OutOfTime("between two events")
                    if compiled.matches(event, deadline) == should_match:
                        continue
                    matched = None if should_match else "; ".join(compiled.explain(event, deadline))
                except OutOfTime:
                    yield Diagnostic("DAC509", f"the sample events took over {BUDGET_S:.0f} s in all to check "
                                     f"against the Sigma detection; {sample} and the ones after it were not "
                                     "checked", *package.position(at))
                    return
                except SlowMatch as exc:  # a pattern that backtracks without end: stop rather than hang
                    yield Diagnostic("DAC508", f"{exc}, in {sample}; it and the sample events after it were not "
                                     "checked", *package.position(at))
                    return
                form = f"any of the {len(compiled.compiled)} Sigma rules" if compiled.several else "the Sigma detection"
                if should_match:
                    yield Diagnostic("DAC504", f"{sample} should match {form} but does not",
                                     *package.position(at))
                else:
                    yield Diagnostic("DAC505", f"{sample} should not match {form} but does "
                                     f"({matched or 'the condition'} matched)", *package.position(at))


def _where(package: Package, rule: SigmaRule, offset: int | None) -> tuple[int, int]:
    """The position of a condition problem: the character itself in a one-line condition of the
    rule it is in; else the rule's condition, or its detection."""
    detection = (*rule.pointer, "detection")
    pointer = (*detection, "condition")
    condition = rule.detection.get("condition")
    if offset is not None and isinstance(condition, str):
        return package.text_position(pointer, *position_of(condition, offset))
    return package.position(pointer if "condition" in rule.detection else detection)
