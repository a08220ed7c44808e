"""Differential test for Sumo Logic: SigmaHQ's rules converted by pySigma's Sumo Logic backend
(`sumologic_cse` with the `sumologic_cse` pipeline), evaluated by our Sumo Logic evaluator on
events synthesised from each rule, compared with the Sigma verdict (issue 22).

The backend writes Cloud SIEM rules, not searches: each rule's `expression` is run as the search
Sumo Logic documents for prototyping rule expressions, `_index=sec_record_* | where <expression>`
(with `fields['X']` read as `%"fields.X"`), over the events rendered as Cloud SIEM records
(sumo_events.py explains both, with the documentation). The classes of disagreement are in
sumo_disagreements.md; the numbers `-s` prints are the whole picture:

- raw: the verdict share of all converted rules and the agreement of all rules with a verdict;
- comparable: what says something about our evaluator. Events that only change a value's case
  are set aside (class 1: the backend compares case-sensitively everywhere, Sigma never), and so
  are rules with a construct the backend mistranslates (classes 2-7, recognised from the rule)
  and rules whose query Sumo Logic would refuse or whose answer turns on how null compares,
  which Sumo Logic does not document (classes 8-9, recognised from the evaluator's reason).
  The harness's thresholds are asserted on this part; every rule left out is counted and named.

    python -m pytest -s tests/differential/test_sumo.py     # prints the summary lines
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterator

from tests.differential.harness import MIN_AGREEMENT, MIN_VERDICT_SHARE, conversions, errors
from tests.differential.sumo_events import (
    SCHEMA_FIELDS, FieldCollision, record_field, rule_expression, search_query, sumo_record, uses_field_map,
)
from tooling.languages import get_language
from tooling.sigma.detection import InvalidDetection, SigmaDetection, SlowMatch, UnsupportedDetection
from tooling.sigma.probes import probe_events

TARGET = "sumologic_cse+sumologic_cse"
_CASE_VARIANT = "case variant"  # probes.py's note for an event that only changes a value's case

# Rules left out, each for a reason written in sumo_disagreements.md (never to reach a number).
# None: the classes below are recognised from each rule, not listed by hand.
EXCLUDED: dict[str, str] = {}

# Reasons (the evaluator's) for which the query is not a search Sumo Logic answers, each a class of
# sumo_disagreements.md: the backend's output does not parse or holds a regex Sumo Logic rejects
# (classes 2, 3, 5), compares text with an unquoted number or boolean (class 8), or the answer
# turns on how a missing attribute compares, which Sumo Logic does not document (class 9).
_BACKEND_INVALID = ("the query does not parse (Sumo Logic syntax", "a regular expression Sumo Logic rejects",
                    "a regular expression RE2 does not accept", "the function AND",
                    "'in' comparing text with a number", "an equality between a number and text",
                    "a comparison of a boolean with a non-boolean value")
_UNDOCUMENTED_NULL = "a comparison with a null field whose result decides the verdict"
_INNER_WILDCARD = re.compile(r"(?<!\\)[*?]|\\[*?]")
_ISEMPTY_BARE = re.compile(r"isEmpty\(([A-Za-z_][\w.]*)\)")


@dataclass
class Tally:
    converted: int = 0
    field_map: int = 0  # of the converted, expressions that use fields['X'] (read as %"fields.X")
    without_events: int = 0
    ok: int = 0  # rules with a verdict on all their events
    agree: int = 0  # of those, rules whose every verdict agrees with Sigma's
    agree_but_case: int = 0  # of those, rules whose only disagreements are case variants (class 1)
    backend_invalid: int = 0  # no verdict: the query is not one Sumo Logic answers (classes 2-8)
    undocumented_null: int = 0  # no verdict: null decides, undocumented (class 9)
    mistranslated: Counter = field(default_factory=Counter)  # rules with a verdict in classes 2-7
    comparable_ok: int = 0  # rules with a verdict outside classes 2-7
    comparable_agree: int = 0  # of those, agreeing on every event but case variants
    reasons: Counter = field(default_factory=Counter)
    disagreements: dict = field(default_factory=lambda: defaultdict(list))


def _labelled(detection: dict) -> list[tuple[dict, bool, str]]:
    """harness.labelled_events, keeping each probe's note (to tell case variants apart)."""
    try:
        compiled = SigmaDetection.parse(detection)
    except (InvalidDetection, UnsupportedDetection):
        return []
    labelled = []
    for probe in probe_events(detection):
        try:
            labelled.append((probe.event, compiled.matches(probe.event), probe.note))
        except SlowMatch:
            continue
    return labelled


def _items(detection: dict) -> Iterator[tuple[str, list[str], Any]]:
    """(field, modifiers, value) of every field condition in a detection."""
    for name, selection in detection.items():
        if name == "condition":
            continue
        maps = [selection] if isinstance(selection, dict) else [s for s in selection or [] if isinstance(s, dict)] \
            if isinstance(selection, list) else []
        for mapping in maps:
            for key, values in mapping.items():
                field_name, *modifiers = str(key).split("|")
                for value in values if isinstance(values, list) else [values]:
                    yield field_name, modifiers, value


def mistranslations(case: Any, expression: str) -> list[str]:
    """The classes of sumo_disagreements.md (2-7) the backend's conversion of this rule falls in,
    recognised from the rule and its expression."""
    source = tuple(str(case.logsource.get(k) or "").lower() or None for k in ("product", "service", "category"))
    found = set()
    for name, modifiers, value in _items(case.detection):
        text = value if isinstance(value, str) else None
        if "re" in modifiers:
            found.add("2 regex")
        elif text is not None and '"' in text:
            found.add("3 double quote")
        elif text is not None and text.strip("*") == "" and (text or set(modifiers) & {"contains", "startswith",
                                                                                        "endswith"}):
            found.add("4 any value")
        elif text is not None and _INNER_WILDCARD.search(text.removeprefix("*").removesuffix("*")):
            found.add("5 inner or escaped wildcard")
        if "-" in record_field(name, source):
            found.add("6 field name with '-'")
    for bare in _ISEMPTY_BARE.findall(expression):
        if bare not in SCHEMA_FIELDS:
            found.add("7 isEmpty of an unmapped field")
    return sorted(found)


def _reason_class(reason: str | None) -> str:
    text = re.sub(r"^\d+:\d+: ", "", reason or "")
    text = re.sub(r"\(.*", "", text)
    return text.strip()[:80]


def run(cases: list) -> Tally:
    sumo = get_language("sumo")
    tally = Tally()
    for case in cases:
        if case.target != TARGET or case.rule in EXCLUDED:
            continue
        tally.converted += 1
        expression = rule_expression(case.query)
        tally.field_map += uses_field_map(expression)
        labelled = _labelled(case.detection)
        if not labelled:
            tally.without_events += 1
            continue
        try:
            events = [sumo_record(event, case.logsource, expression, index)
                      for index, (event, _, _) in enumerate(labelled)]
        except FieldCollision as exc:
            tally.reasons[f"rendering: {exc}"] += 1
            continue
        # `| where` is a plain filter: a rule's events go in at once.
        result = sumo.evaluate(search_query(expression), events)
        if not result.ok:
            reason = result.reason or ""
            tally.reasons[_reason_class(reason)] += 1
            tally.backend_invalid += any(mark in reason for mark in _BACKEND_INVALID)
            tally.undocumented_null += _UNDOCUMENTED_NULL in reason
            continue
        tally.ok += 1
        matched = set(result.matched)
        wrong = [(event, expected, note) for index, (event, expected, note) in enumerate(labelled)
                 if (index in matched) != expected]
        beyond_case = [item for item in wrong if _CASE_VARIANT not in item[2]]
        tally.agree += not wrong
        tally.agree_but_case += bool(wrong) and not beyond_case
        classes = mistranslations(case, expression)
        for name in classes:
            tally.mistranslated[name] += 1
        if not classes:
            tally.comparable_ok += 1
            tally.comparable_agree += not beyond_case
        if beyond_case:
            tally.disagreements[case.rule] = (classes, beyond_case)
    return tally


def test_sumo_backend_conversions_agree_with_sigma():
    cases = conversions("sumo")
    refused = errors("sumo")
    tally = run(cases)
    assert tally.converted, "the backend converted no rule"
    share = tally.ok / tally.converted
    agreement = tally.agree / tally.ok if tally.ok else 0.0
    but_case = (tally.agree + tally.agree_but_case) / tally.ok if tally.ok else 0.0
    answerable = tally.converted - tally.backend_invalid - tally.undocumented_null
    comparable_share = tally.ok / answerable if answerable else 0.0
    comparable_agreement = tally.comparable_agree / tally.comparable_ok if tally.comparable_ok else 0.0
    unexplained = sorted(rule for rule, (classes, _) in tally.disagreements.items() if not classes)
    print(f"\nsumo {TARGET} raw: {tally.converted} rules converted ({refused.get(TARGET, 0)} refused by the backend, "
          f"{len(EXCLUDED)} excluded, {tally.field_map} using fields['X'], {tally.without_events} without "
          f"synthesised events); verdict on {tally.ok} ({share:.1%}); agreeing on every event {tally.agree} "
          f"({agreement:.1%}), on every event but case variants {tally.agree + tally.agree_but_case} ({but_case:.1%})")
    print(f"sumo {TARGET} comparable: verdict on {tally.ok} of {answerable} ({comparable_share:.1%}; left out "
          f"{tally.backend_invalid} queries Sumo Logic would refuse, classes 2-8, and {tally.undocumented_null} "
          f"decided by an undocumented null comparison, class 9); agreeing on {tally.comparable_agree} of "
          f"{tally.comparable_ok} ({comparable_agreement:.1%}) rules outside classes 2-7 "
          f"({sum(1 for _ in tally.mistranslated.elements())} class memberships: {dict(tally.mistranslated)})")
    print(f"no verdict: {tally.reasons.most_common(10)}")
    print(f"disagreeing beyond case variants ({len(tally.disagreements)}): "
          + "; ".join(f"{rule} {classes}" for rule, (classes, _) in sorted(tally.disagreements.items())))
    failures = []
    if comparable_share < MIN_VERDICT_SHARE:
        failures.append(f"verdict share {comparable_share:.1%} of the answerable rules; no verdict: "
                        f"{tally.reasons.most_common(8)}")
    if comparable_agreement < MIN_AGREEMENT or unexplained:
        shown = [f"{rule}: {tally.disagreements[rule][1][0]}" for rule in unexplained[:8]]
        failures.append(f"agreement {comparable_agreement:.1%} outside classes 2-7; disagreeing in no class: "
                        + "; ".join(shown))
    assert not failures, "\n".join(failures)
