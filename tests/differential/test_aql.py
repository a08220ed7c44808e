"""Differential test for AQL: SigmaHQ's rules converted by pySigma's QRadar backend
(pySigma-backend-QRadar-community, `qradar-aql-fields` pipeline), evaluated by our AQL evaluator
on events synthesised from each rule (rendered as QRadar events by aql_events.py), compared with
the Sigma verdict (issue 21). The disagreement classes are written down in aql_disagreements.md.

    python -m pytest -s tests/differential/test_aql.py     # prints a summary line per target

Two kinds of disagreement are the backend's, not the evaluator's, and are left out:
* rules whose query cannot mean the rule (a class of the backend's mistranslation, detected on
  the rule or the query: `EXCLUDED_CLASSES`);
* single events whose disagreement a repair of one documented class removes (`explained`): the
  same event in the case the rule writes its value in (the backend compares exact values with the
  case-sensitive `=` / `IN`), the event with the properties the query reads present but empty
  (the backend's `NOT(...)` is unknown, not true, on a property the event lacks), the query
  with its MATCHES patterns unanchored (Sigma's `re` searches, AQL's MATCHES covers the value),
  or the query with the Sigma values' literal `%` / `_` kept literal (LIKE has no escape).
  A repair counts only when it leaves the Sigma verdict as it was and makes the query's verdict
  agree with it; whatever no repair explains is a disagreement.
The summary line prints the strict agreement (no repair) beside the one the threshold reads.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Callable, Iterator

from tests.differential.aql_events import PROPERTIES, qid_names, render
from tests.differential.harness import (MIN_AGREEMENT, MIN_VERDICT_SHARE, Conversion, conversions, errors,
                                        labelled_events)
from tooling.languages import get_language
from tooling.sigma.detection import InvalidDetection, SigmaDetection, SlowMatch, UnsupportedDetection

TARGETS = ("qradar-aql-community+qradar-aql-fields",)
# The backend writes `SELECT * FROM events|flows WHERE <condition>`: a plain filter, so a rule's
# events go in at once; anything else is evaluated one event at a time.
_PLAIN_FILTER = re.compile(r"\ASELECT \*(, [^\n]*)? FROM (events|flows) WHERE [^\n]*\Z")


# --- rules left out, each a class in aql_disagreements.md ---------------------------------------

def _items(detection: dict) -> Iterator[tuple[str, list[str], Any]]:
    """(field, modifiers, value) of every field predicate of the detection."""
    for name, definition in detection.items():
        if name in ("condition", "timeframe"):
            continue
        for mapping in definition if isinstance(definition, list) else [definition]:
            if not isinstance(mapping, dict):
                continue
            for key, values in mapping.items():
                field_name, *modifiers = str(key).split("|")
                for value in values if isinstance(values, list) else [values]:
                    yield field_name, modifiers, value


def _concat_of_literals(case: Conversion) -> bool:
    """The pipeline maps Hashes and ImageLoaded to CONCAT('MD5=', 'MD5 Hash ', ...) and
    CONCAT('file directory', '/', filename): the property names are 'string' literals, so the
    query compares a constant (and CONCAT of an absent `filename` is NULL)."""
    return "CONCAT('" in case.query


def _event_source(case: Conversion) -> bool:
    """eventSource is read as a log source type name: a value that names one
    (cloudtrail.amazonaws.com) only joins the product's list (`devicetype IN (..., 347)`), a value
    that names none (ec2.amazonaws.com) is dropped with a warning; either way the query does not
    test the event's eventSource."""
    return any(name == "eventSource" for name, _, _ in _items(case.detection))


def _reparsed_unstructured(case: Conversion) -> bool:
    """A value ending in a backslash on a field the pipeline treats as unstructured (Message,
    URL): it lowers the value by re-reading its text, so the backslash escapes the wildcard the
    `contains` added (`'%> $env:temp*%'`)."""
    unstructured = {"ScriptBlockText", "properties.message", "c-uri", "c-uri-extension", "c-uri-query", "cs-uri",
                    "cs-uri-query", "cs-uri-stem", "uri"}
    return any(name in unstructured and isinstance(value, str) and value.endswith("\\")
               for name, _, value in _items(case.detection))


EXCLUDED_CLASSES: dict[str, Callable[[Conversion], bool]] = {
    "CONCAT of 'string' literals": _concat_of_literals,
    "eventSource not tested": _event_source,
    "unstructured value re-read": _reparsed_unstructured,
}


# --- single events explained by a repair -------------------------------------------------------

_MATCHES = re.compile(r"\b(I?MATCHES) '((?:[^']|'')*)'")
_LIKE = re.compile(r"\b(I?LIKE) '((?:[^']|'')*)'")
# Sigma fields the pipeline maps to a function rather than a property.
_FUNCTIONS = {"eventName": ("QIDNAME(qid)",)}


def _unanchored(query: str) -> str:
    """The query with each MATCHES pattern searched for (Sigma's `re`) rather than covering the value."""
    return _MATCHES.sub(lambda m: f"{m.group(1)} '.*(?:{m.group(2)}).*'", query)


def _literal_fragments(detection: dict) -> set[str]:
    """The literal parts (between Sigma wildcards) of the rule's values that hold `%` or `_`."""
    found = set()
    for _, modifiers, value in _items(detection):
        if not isinstance(value, str) or "re" in modifiers:
            continue
        for piece in re.split(r"(?<!\\)[*?]", value):
            piece = re.sub(r"\\([*?\\])", r"\1", piece)
            if "%" in piece or "_" in piece:
                found.update((piece, piece.lower()))
    return found


def _literal_wildcards(query: str, fragments: set[str]) -> str:
    """The query with each LIKE pattern holding one of `fragments` written as a MATCHES regex in
    which the fragment is literal: what LIKE would mean if AQL could escape `%` and `_`."""
    def rewrite(match: re.Match) -> str:
        pattern = match.group(2).replace("''", "'")
        literal = [False] * len(pattern)
        for fragment in fragments:
            for found in re.finditer(re.escape(fragment), pattern):
                literal[found.start():found.end()] = [True] * len(fragment)
        if not any(literal):
            return match.group(0)
        parts = [re.escape(c) if keep or c not in "%_" else ".*" if c == "%" else "."
                 for c, keep in zip(pattern, literal)]
        operator = "IMATCHES" if match.group(1) == "ILIKE" else "MATCHES"
        body = "".join(parts).replace("'", "''")
        return f"{operator} '{body}'"
    return _LIKE.sub(rewrite, query)


def _compared_with_case(name: str, query: str) -> bool:
    """Whether the query compares the property (or function) Sigma field `name` maps to with a
    case-sensitive operator (=, IN, MATCHES) rather than through LOWER()."""
    for target in PROPERTIES.get(name, _FUNCTIONS.get(name, ())):
        written = re.escape(f'"{target}"' if " " in target else target)
        if re.search(rf"(?<!LOWER\(){written}\s*(=|<>|!=|IN\s*\(|I?MATCHES\b)", query):
            return True
    return False


def _case_twins(event: dict, pairs: list[tuple[dict, bool]], expected: bool, query: str) -> list[dict]:
    """Labelled events of the rule with the same label that differ from `event` only in the case
    of one value, which the query compares case-sensitively."""
    twins = []
    for other, label in pairs:
        if other is event or label != expected or other.keys() != event.keys():
            continue
        changed = [k for k in event if event[k] != other[k]]
        if (len(changed) == 1 and isinstance(event[changed[0]], str) and isinstance(other[changed[0]], str)
                and event[changed[0]].lower() == other[changed[0]].lower() and _compared_with_case(changed[0], query)):
            twins.append(other)
    return twins


def _filled(event: dict, query: str) -> dict:
    """The event with each mapped field the query reads and the event lacks present, empty."""
    missing = {name: "" for name, targets in PROPERTIES.items() if name not in event
               and any(f'"{t}"' in query or re.search(rf"(?<![\w\"]){re.escape(t)}(?![\w\"])", query) for t in targets)}
    return {**event, **missing}


REPAIRS = ("case", "null", "regex", "wildcard")


def explained(case: Conversion, event: dict, expected: bool, pairs: list, detection: SigmaDetection) -> str | None:
    """The repair (or repairs) under which the query's verdict on `event` agrees with Sigma's,
    keeping Sigma's verdict; None when none does."""
    def sigma(candidate: dict) -> bool | None:
        try:
            return detection.matches(candidate)
        except SlowMatch:
            return None

    rewritten = {"regex": _unanchored(case.query),
                 "wildcard": _literal_wildcards(case.query, _literal_fragments(case.detection))}
    for size in range(1, len(REPAIRS) + 1):
        for chosen in combinations(REPAIRS, size):
            query = case.query
            for name in ("regex", "wildcard"):
                if name in chosen:
                    query = _unanchored(query) if name == "regex" else _literal_wildcards(
                        query, _literal_fragments(case.detection))
            if any(name in chosen and rewritten[name] == case.query for name in rewritten):
                continue  # the repair changes nothing here
            candidates = _case_twins(event, pairs, expected, case.query) if "case" in chosen else [event]
            for candidate in candidates:
                if "null" in chosen:
                    candidate = _filled(candidate, case.query)
                    if sigma(candidate) != expected:
                        continue
                row = render(candidate, case.logsource)
                if row is None:
                    continue
                result = get_language("aql").evaluate(query, [row])
                if result.ok and (0 in result.matched) == expected:
                    return " + ".join(chosen)
    return None


# --- the comparison ----------------------------------------------------------------------------

@dataclass
class Tally:
    converted: int = 0
    without_events: int = 0
    evaluated: int = 0  # rules with at least one renderable synthesised event, not excluded by a class
    ok: int = 0  # of those, rules with a verdict on all their events
    agree_strictly: int = 0  # of those, rules whose every verdict agrees with Sigma's
    agree: int = 0  # of those, rules whose every verdict agrees or is explained by a repair
    excluded: Counter = field(default_factory=Counter)
    repaired: Counter = field(default_factory=Counter)  # events, by repair
    reasons: Counter = field(default_factory=Counter)
    disagreements: dict = field(default_factory=dict)


def verdicts(query: str, events: list[dict]) -> tuple[list[bool] | None, str | None]:
    """Per event, whether the query returns it; None and the reason when not evaluated."""
    aql = get_language("aql")
    if _PLAIN_FILTER.match(query):
        result = aql.evaluate(query, events)
        if not result.ok:
            return None, result.reason
        matched = set(result.matched)
        return [index in matched for index in range(len(events))], None
    found = []
    for event in events:
        result = aql.evaluate(query, [event])
        if not result.ok:
            return None, result.reason
        found.append(0 in result.matched)
    return found, None


def _reason_class(reason: str | None) -> str:
    text = re.sub(r"^\d+:\d+: ", "", reason or "")
    return re.sub(r"\(.*", "", text).strip()[:80]


def run_target(target: str, cases: list[Conversion], labelled: dict) -> Tally:
    tally = Tally()
    for case in cases:
        if case.target != target:
            continue
        tally.converted += 1
        pairs = [(event, expected) for event, expected in labelled[case.rule]
                 if render(event, case.logsource) is not None]
        if not pairs:
            tally.without_events += 1
            continue
        excluded = next((name for name, applies in EXCLUDED_CLASSES.items() if applies(case)), None)
        if excluded is not None:
            tally.excluded[excluded] += 1
            continue
        tally.evaluated += 1
        found, reason = verdicts(case.query, [render(event, case.logsource) for event, _ in pairs])
        if found is None:
            tally.reasons[_reason_class(reason)] += 1
            continue
        tally.ok += 1
        wrong = [index for index, (verdict, (_, expected)) in enumerate(zip(found, pairs)) if verdict != expected]
        if not wrong:
            tally.agree_strictly += 1
            tally.agree += 1
            continue
        detection = SigmaDetection.parse(case.detection)
        unexplained = []
        for index in wrong:
            event, expected = pairs[index]
            repair = explained(case, event, expected, pairs, detection)
            if repair is None:
                unexplained.append((event, expected))
            else:
                tally.repaired[repair] += 1
        if unexplained:
            tally.disagreements[case.rule] = unexplained
        else:
            tally.agree += 1
    return tally


def _labelled(detection: dict) -> list[tuple[dict, bool]]:
    try:
        SigmaDetection.parse(detection)
    except (InvalidDetection, UnsupportedDetection):
        return []
    return labelled_events(detection)


def test_aql_backend_conversions_agree_with_sigma():
    cases = conversions("aql")
    refused = errors("aql")
    labelled = {case.rule: _labelled(case.detection) for case in cases}
    failures = []
    with qid_names():
        tallies = {target: run_target(target, cases, labelled) for target in TARGETS}
    for target, tally in tallies.items():
        share = tally.ok / tally.evaluated if tally.evaluated else 0.0
        agreement = tally.agree / tally.ok if tally.ok else 0.0
        strict = tally.agree_strictly / tally.ok if tally.ok else 0.0
        excluded = ", ".join(f"{count} {name}" for name, count in tally.excluded.most_common())
        repaired = ", ".join(f"{count} {name}" for name, count in tally.repaired.most_common())
        print(f"\naql {target}: {tally.converted} rules converted ({refused.get(target, 0)} refused), "
              f"{tally.evaluated + sum(tally.excluded.values())} with synthesised events ({excluded} excluded); "
              f"verdict on {tally.ok} of {tally.evaluated} ({share:.1%}), agreeing on {tally.agree} ({agreement:.1%}; "
              f"{tally.agree_strictly} ({strict:.1%}) without repairs; events repaired: {repaired})")
        if share < MIN_VERDICT_SHARE:
            failures.append(f"{target}: verdict share {share:.1%}; not evaluated: {tally.reasons.most_common(8)}")
        if agreement < MIN_AGREEMENT:
            shown = list(tally.disagreements.items())[:8]
            failures.append(f"{target}: agreement {agreement:.1%}; disagreeing rules: "
                            + "; ".join(f"{rule} {examples[0]}" for rule, examples in shown))
    assert not failures, "\n".join(failures)
