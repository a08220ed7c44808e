"""Differential test for AQL: SigmaHQ's rules converted by pySigma's QRadar backend
(pySigma-backend-QRadar-community, `qradar-aql-fields` pipeline), evaluated by our AQL evaluator
on events synthesised from each rule (rendered as QRadar events by aql_events.py), compared with
the Sigma verdict (issue 21). The disagreement classes are written down in aql_disagreements.md.

    python -m pytest -s tests/differential/test_aql.py     # prints a summary line per target

Two kinds of disagreement are the backend's, not the evaluator's, and are left out of the agreement:
* rules whose query cannot mean the rule (a class of the backend's mistranslation, detected on
  the rule or the query: `EXCLUDED_CLASSES`; still evaluated, and counted in the verdict share);
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
from itertools import combinations
from typing import Callable

from tests.differential.aql_events import PROPERTIES, qid_names, render
from tests.differential.harness import (Conversion, Labelled, conversions, errors, first_class, labelled_by_rule,
                                        predicates, run_target, summarise_and_check)
from tooling.languages import get_language
from tooling.sigma.detection import SigmaDetection, SlowMatch

TARGETS = ("qradar-aql-community+qradar-aql-fields",)
# The backend writes `SELECT * FROM events|flows WHERE <condition>`: a plain filter, so a rule's
# events go in at once; anything else is evaluated one event at a time.
_PLAIN_FILTER = re.compile(r"\ASELECT \*(, [^\n]*)? FROM (events|flows) WHERE [^\n]*\Z")


# --- rules left out, each a class in aql_disagreements.md ---------------------------------------

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
    return any(name == "eventSource" for name, _, _ in predicates(case.detection))


def _reparsed_unstructured(case: Conversion) -> bool:
    """A value ending in a backslash on a field the pipeline treats as unstructured (Message,
    URL): it lowers the value by re-reading its text, so the backslash escapes the wildcard the
    `contains` added (`'%> $env:temp*%'`)."""
    unstructured = {"ScriptBlockText", "properties.message", "c-uri", "c-uri-extension", "c-uri-query", "cs-uri",
                    "cs-uri-query", "cs-uri-stem", "uri"}
    return any(name in unstructured and isinstance(value, str) and value.endswith("\\")
               for name, _, value in predicates(case.detection))


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
    for _, modifiers, value in predicates(detection):
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

def _renderable(case: Conversion, labelled: Labelled) -> Labelled:
    """The events QRadar could hold (`render` is None for a built-in IP or port field with a value
    of another type)."""
    return [(event, expected) for event, expected in labelled if render(event, case.logsource) is not None]


def _render(case: Conversion, event: dict, index: int) -> dict:
    return render(event, case.logsource)


def _explained(case: Conversion, event: dict, expected: bool, pairs: Labelled) -> str | None:
    return explained(case, event, expected, pairs, SigmaDetection.parse(case.detection))


def test_aql_backend_conversions_agree_with_sigma():
    cases = conversions("aql")
    labelled = labelled_by_rule(cases, _renderable)
    with qid_names():
        tallies = {target: run_target("aql", target, cases, labelled, _render, plain_filter=_PLAIN_FILTER.match,
                                      exclude=first_class(EXCLUDED_CLASSES), explain=_explained)
                   for target in TARGETS}
    failures = summarise_and_check("aql", tallies, errors("aql"))
    assert not failures, "\n".join(failures)
