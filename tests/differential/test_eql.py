"""Differential test of the EQL evaluator: SigmaHQ's rules converted by pySigma's Elasticsearch
backend in EQL mode (without a pipeline, and with ecs_windows), evaluated on events synthesised
from each rule and rendered as the documents each target reads (eql_events.py), against the Sigma
verdict of each event.

A rule has a verdict when the evaluator evaluates the query on all its events (`ok`); it agrees
when every verdict equals Sigma's. The verdict share is taken over the converted rules the
synthesiser makes events for: a rule with none (keyword searches, conditions only on regular
expressions or numbers) puts no question to the evaluator. The summary also gives the share over
every converted rule. The classes of disagreement and of refusal, ours or the backend's, are in
eql_disagreements.md.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import pytest

from tests.differential.eql_events import render
from tests.differential.harness import (
    MIN_AGREEMENT, MIN_VERDICT_SHARE, Conversion, conversions, errors, labelled_events, rules_or_skip,
)
from tooling.languages import get_language

TARGETS = ("eql", "eql+ecs_windows")

# (target, rule) left out of the agreement count, each for a class written in
# eql_disagreements.md. Kept short: a rule whose converted query still runs but answers another
# question than the rule asks is listed here, never a rule our evaluator gets wrong.
_EVENTLOG = "rules/windows/builtin/system/microsoft_windows_eventlog/"
EXCLUDED: dict[tuple[str, str], str] = {
    # ecs_windows maps the rule's `Channel` (in event 104, the log that was cleared) onto
    # winlog.channel, the field the log source already pins to "System": the query can never
    # match ("Channel is two fields", eql_disagreements.md).
    ("eql+ecs_windows", _EVENTLOG + "win_system_eventlog_cleared.yml"): "Channel is two fields",
    ("eql+ecs_windows", _EVENTLOG + "win_system_susp_eventlog_cleared.yml"): "Channel is two fields",
}


@dataclass
class Tally:
    target: str
    converted: int = 0
    no_events: int = 0  # rules the synthesiser makes no event for (keyword searches, regex only, ...)
    ok: int = 0
    agree: int = 0
    excluded: int = 0
    reasons: Counter = field(default_factory=Counter)  # why a rule had no verdict
    disagreements: list = field(default_factory=list)  # (rule, query, event, sigma verdict)

    def verdict_share(self) -> float:
        """Of the converted rules with synthesised events, the share with a verdict."""
        asked = self.converted - self.no_events - self.excluded
        return self.ok / asked if asked > 0 else 0.0

    def verdict_share_of_all(self) -> float:
        return self.ok / (self.converted - self.excluded) if self.converted > self.excluded else 0.0

    def agreement(self) -> float:
        return self.agree / self.ok if self.ok else 0.0

    def summary(self) -> str:
        return (f"{self.target}: {self.converted} rules converted ({errors('eql').get(self.target, 0)} "
                f"refused by the backend), {self.no_events} without synthesised events, {self.excluded} excluded; "
                f"{self.ok} with a verdict ({self.verdict_share():.1%} of those with events, "
                f"{self.verdict_share_of_all():.1%} of all); {self.agree} agree ({self.agreement():.2%})")


@lru_cache(maxsize=None)
def _labelled(rule: str) -> tuple:
    return tuple(labelled_events(_detections()[rule]))


@lru_cache(maxsize=None)
def _detections() -> dict[str, dict]:
    return {case.rule: case.detection for case in _cases()}


@lru_cache(maxsize=None)
def _cases() -> tuple[Conversion, ...]:
    return tuple(conversions("eql"))


def run(target: str) -> Tally:
    """Every conversion for `target`, evaluated on its rule's events."""
    language = get_language("eql")
    tally = Tally(target)
    for case in _cases():
        if case.target != target:
            continue
        tally.converted += 1
        labelled = _labelled(case.rule)
        if not labelled:
            tally.no_events += 1
            tally.reasons["no synthesised event"] += 1
            continue
        # The query is one `any where` filter: all of a rule's events are evaluated at once.
        documents = [render(event, target, case.logsource) for event, _ in labelled]
        result = language.evaluate(case.query, documents)
        if not result.ok:
            tally.reasons[_reason_class(result.reason or "")] += 1
            continue
        tally.ok += 1
        if (target, case.rule) in EXCLUDED:
            tally.excluded += 1
            tally.ok -= 1
            continue
        wrong = [index for index, (_, expected) in enumerate(labelled) if (index in result.matched) != expected]
        if not wrong:
            tally.agree += 1
        else:
            expected = labelled[wrong[0]][1]
            tally.disagreements.append((case.rule, case.query, documents[wrong[0]], expected))
    return tally


def _reason_class(reason: str) -> str:
    """A reason without its position and quoted specifics, to count reasons by kind."""
    text = reason.split(": ", 1)[-1]
    for quote in ("'", '"'):
        parts = text.split(quote)
        text = quote.join(part if i % 2 == 0 else "…" for i, part in enumerate(parts))
    return text[:120]


@pytest.mark.parametrize("target", TARGETS)
def test_eql_agrees_with_sigma(target):
    rules_or_skip()
    tally = run(target)
    print("\n" + tally.summary())
    assert tally.converted, "the backend converted no rule"
    common = ", ".join(f"{count} {why}" for why, count in tally.reasons.most_common(5))
    assert tally.verdict_share() >= MIN_VERDICT_SHARE, f"{tally.summary()}; no verdict: {common}"
    shown = "\n".join(f"  {rule}\n    {query[:300]}\n    {event} -> Sigma {expected}"
                      for rule, query, event, expected in tally.disagreements[:10])
    assert tally.agreement() >= MIN_AGREEMENT, f"{tally.summary()}; disagreements:\n{shown}"
