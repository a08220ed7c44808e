"""Differential test for LogScale (CQL): SigmaHQ's rules converted by pySigma's CrowdStrike
backend (LogScale output, without a pipeline and with crowdstrike_falcon), evaluated by our
LogScale evaluator on events synthesised from each rule, compared with the Sigma verdict (issue
24). The disagreement classes are written down in logscale_disagreements.md; the events are
rendered by logscale_events.py.

    python -m pytest -s tests/differential/test_logscale.py     # prints a summary line per target
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from tests.differential.harness import MIN_AGREEMENT, MIN_VERDICT_SHARE, conversions, errors, labelled_events
from tests.differential.logscale_events import logscale_event
from tooling.languages import get_language

TARGETS = ("log_scale", "log_scale+crowdstrike_falcon")
# Stages after which a result no longer stands for one event on its own: with them each event is
# evaluated alone; otherwise the query is a plain filter and a rule's events go in at once.
_AGGREGATING = re.compile(r"\|\s*(?:groupBy|count|head|tail|sort|select|table|stats|join|bucket|collect|"
                          r"selectLast|selectFirst|top|timeChart|series|defineTable|dedup|sum|min|max|avg)\s*\(",
                          re.IGNORECASE)

# Rules left out, each for a reason written in logscale_disagreements.md (never to reach a number).
EXCLUDED: dict[str, str] = {}


@dataclass
class Tally:
    converted: int = 0
    without_events: int = 0
    evaluated: int = 0  # rules with at least one synthesised event
    ok: int = 0  # rules with a verdict on all their events
    agree: int = 0  # of those, rules whose every verdict agrees with Sigma's
    reasons: Counter = field(default_factory=Counter)
    disagreements: dict = field(default_factory=lambda: defaultdict(list))


def _verdicts(query: str, events: list[dict]) -> tuple[list[bool] | None, str | None]:
    """Per event, whether the query returns it; None and the reason when not evaluated."""
    logscale = get_language("logscale")
    if not _AGGREGATING.search(query):
        result = logscale.evaluate(query, events)
        if not result.ok:
            return None, result.reason
        matched = set(result.matched)
        return [index in matched for index in range(len(events))], None
    verdicts = []
    for event in events:
        result = logscale.evaluate(query, [event])
        if not result.ok:
            return None, result.reason
        verdicts.append(0 in result.matched)
    return verdicts, None


def _reason_class(reason: str | None) -> str:
    text = re.sub(r"^\d+:\d+: ", "", reason or "")
    text = re.sub(r"\(.*", "", text)
    return text.strip()[:80]


def run_target(target: str, cases: list, labelled: dict) -> Tally:
    tally = Tally()
    for case in cases:
        if case.target != target or case.rule in EXCLUDED:
            continue
        tally.converted += 1
        pairs = labelled[case.rule]
        if not pairs:
            tally.without_events += 1
            continue
        tally.evaluated += 1
        events = [logscale_event(event, case.logsource, target, index) for index, (event, _) in enumerate(pairs)]
        verdicts, reason = _verdicts(case.query, events)
        if verdicts is None:
            tally.reasons[_reason_class(reason)] += 1
            continue
        tally.ok += 1
        wrong = [index for index, (verdict, (_, expected)) in enumerate(zip(verdicts, pairs)) if verdict != expected]
        if not wrong:
            tally.agree += 1
        else:
            tally.disagreements[case.rule] = [(pairs[i][0], pairs[i][1]) for i in wrong]
    return tally


def test_logscale_backend_conversions_agree_with_sigma():
    cases = conversions("logscale")
    refused = errors("logscale")
    labelled = {}
    for case in cases:
        if case.rule not in labelled:
            labelled[case.rule] = labelled_events(case.detection)
    failures = []
    for target in TARGETS:
        tally = run_target(target, cases, labelled)
        # Of the converted rules (harness.py): a rule the synthesiser made no event for (keyword or
        # regex-only selections) counts as one without a verdict.
        share = tally.ok / tally.converted if tally.converted else 0.0
        agreement = tally.agree / tally.ok if tally.ok else 0.0
        print(f"\nlogscale {target}: {tally.converted} rules converted ({refused.get(target, 0)} refused by the "
              f"backend, {len(EXCLUDED)} excluded, {tally.without_events} without synthesised events); verdict on "
              f"{tally.ok} ({share:.1%}), agreeing on {tally.agree} ({agreement:.1%}); disagreeing: "
              f"{', '.join(sorted(tally.disagreements)) or 'none'}")
        if share < MIN_VERDICT_SHARE:
            failures.append(f"{target}: verdict share {share:.1%}; not evaluated: {tally.reasons.most_common(8)}")
        if agreement < MIN_AGREEMENT:
            shown = list(tally.disagreements.items())[:8]
            failures.append(f"{target}: agreement {agreement:.1%}; disagreeing rules: "
                            + "; ".join(f"{rule} {examples[0]}" for rule, examples in shown))
    assert not failures, "\n".join(failures)
