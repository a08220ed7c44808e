"""Differential test for KQL: SigmaHQ's rules converted by pySigma's Kusto backend with the
microsoft_xdr pipeline, evaluated by our KQL evaluator on events synthesised from each rule
(rendered as Defender XDR rows by kql_events.py), compared with the Sigma verdict (issue 18).
The disagreement classes are written down in kql_disagreements.md.

    python -m pytest -s tests/differential/test_kql.py     # prints a summary line per target
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from tests.differential.harness import (MIN_AGREEMENT, MIN_VERDICT_SHARE, Conversion, conversions, errors,
                                        labelled_events)
from tests.differential.kql_events import render
from tooling.languages import get_language
from tooling.sigma.detection import SigmaDetection, SlowMatch

TARGETS = ("kusto+microsoft_xdr",)
RENDERERS: dict[str, Callable[[dict, dict, str], dict]] = {"kusto+microsoft_xdr": render}
# The pipeline's queries are `Table\n| where <condition>`: a plain filter, so a rule's events go
# in at once; anything else is evaluated one event at a time.
_PLAIN_FILTER = re.compile(r"\A[A-Za-z]\w*\n\| where [^\n]*\Z")


# --- what the comparison leaves out, each a class in kql_disagreements.md -----------------------

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


def _dropped_predicate(case: Conversion) -> bool:
    """The pipeline drops EventID / EventCode / ObjectType (and Initiated in network_connection)
    from the detection, so the query ignores a predicate the Sigma verdict depends on."""
    category = case.logsource.get("category")
    return any(name in ("EventID", "EventCode", "ObjectType") or (name == "Initiated" and category ==
               "network_connection") for name, _, _ in _items(case.detection))


def _tokens(value: str) -> list[tuple[str, bool]]:
    r"""A Sigma value as (character, is a wildcard) pairs: `\*` `\?` `\\` are escaped characters,
    any other backslash is itself."""
    out, index = [], 0
    while index < len(value):
        if value[index] == "\\" and value[index + 1:index + 2] in ("*", "?", "\\"):
            out.append((value[index + 1], False))
            index += 2
            continue
        out.append((value[index], value[index] in "*?"))
        index += 1
    return out


def _backslash_before_wildcard(value: str, modifiers: list[str]) -> bool:
    r"""Whether a Sigma value has a wildcard right after a literal backslash (`a\\*b`, or `C:\Temp\`
    under contains / startswith, whose added wildcard follows the value's last backslash).
    `\*` is an escaped, literal star (Sigma's escaping), not a wildcard: it does not count."""
    tokens = _tokens(value)
    if any(wildcard and tokens[i - 1] == ("\\", False) for i, (_, wildcard) in enumerate(tokens) if i):
        return True
    return bool(tokens) and tokens[-1] == ("\\", False) and bool({"contains", "startswith"} & set(modifiers))


def _registry_backslash_wildcard(case: Conversion) -> bool:
    r"""A RegistryKey value with a wildcard right after a backslash: the pipeline's hive rewrite
    (a ReplaceStringTransformation on RegistryKey) re-reads the value and takes the backslash as
    escaping the wildcard (`contains '\Services\'` becomes `endswith "\\Services*"`)."""
    return any(name in ("TargetObject", "ObjectName") and isinstance(value, str)
               and _backslash_before_wildcard(value, modifiers) for name, modifiers, value in _items(case.detection))


_HIVE = re.compile(r"(?i)\bHK(LM|U|CR)\b")


def _unrewritten_hive(case: Conversion) -> bool:
    """A registry value naming a hive abbreviation (HKLM, HKU, HKCR) anywhere but at its anchored
    start: the pipeline rewrites only `^HKLM` ..., so the query keeps `HKLM\\` where Defender's
    RegistryKey says HKEY_LOCAL_MACHINE\\."""
    for name, modifiers, value in _items(case.detection):
        if name in ("TargetObject", "ObjectName") and isinstance(value, str) and _HIVE.search(value):
            anchored = _HIVE.match(value) and not {"contains", "endswith"} & set(modifiers)
            if not anchored:
                return True
    return False


def _inner_wildcard(case: Conversion) -> bool:
    """A value with a wildcard inside it (not `re`): the backend writes it as `matches regex`,
    case-sensitive and unanchored where Sigma is neither, or (in a list) as an unordered `and` of
    `contains` of its pieces."""
    return any(isinstance(value, str) and "re" not in modifiers and any(wild for _, wild in _tokens(value)[1:-1])
               for _, modifiers, value in _items(case.detection))


def _dropped_hash(case: Conversion) -> bool:
    """A Hashes value of an algorithm the pipeline has no column for (IMPHASH): dropped."""
    return any(name == "Hashes" and isinstance(value, str) and not re.search(r"(?i)\b(MD5|SHA1|SHA256)=", value)
               for name, _, value in _items(case.detection))


def _parent_basename(case: Conversion) -> bool:
    """ParentImage outside process_creation: the pipeline keeps only the value's last path part
    (`AppData\\` becomes "", and `startswith ""` holds for every row)."""
    return case.logsource.get("category") != "process_creation" and any(
        name == "ParentImage" for name, _, _ in _items(case.detection))


# Rules left out, by class (never to reach a number): the backend's mistranslations.
EXCLUDED_CLASSES: dict[str, Callable[[Conversion], bool]] = {
    "dropped predicate": _dropped_predicate,
    "registry backslash before a wildcard": _registry_backslash_wildcard,
    "hive abbreviation not rewritten": _unrewritten_hive,
    "inner wildcard": _inner_wildcard,
    "hash algorithm dropped": _dropped_hash,
    "ParentImage as a file name": _parent_basename,
}


def _absent_or_empty_fields(detection: dict) -> set[str]:
    """Fields the rule compares with null or '': Sigma tells an absent field from an empty one,
    a Defender row does not (a string column is "" when unset, never null)."""
    return {name for name, modifiers, value in _items(detection) if value is None or value == ""}


def comparable(detection: dict, labelled: list[tuple[dict, bool]]) -> list[tuple[dict, bool]]:
    """The rule's events with a value in each field it compares with null or '' (an event lacking
    one gets "present" there, labelled again by the Sigma evaluator): an absent field has no
    Defender counterpart, so the comparison does not ask about it."""
    sensitive = _absent_or_empty_fields(detection)
    if not sensitive:
        return labelled
    sigma = SigmaDetection.parse(detection)  # labelled_events parsed it already
    kept, seen = [], set()
    for event, expected in labelled:
        missing = {name: "present" for name in sensitive if name not in event}
        if missing:
            event = {**event, **missing}
            try:
                expected = sigma.matches(event)
            except SlowMatch:
                continue
        key = repr(sorted(event.items()))
        if key not in seen:
            seen.add(key)
            kept.append((event, expected))
    return kept


# --- the comparison ----------------------------------------------------------------------------

@dataclass
class Tally:
    converted: int = 0
    without_events: int = 0
    evaluated: int = 0  # rules with at least one synthesised event
    ok: int = 0  # rules with a verdict on all their events
    compared: int = 0  # of those, rules not excluded by a class
    agree: int = 0  # of those, rules whose every verdict agrees with Sigma's
    excluded: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    disagreements: dict = field(default_factory=lambda: defaultdict(list))


def verdicts(query: str, events: list[dict]) -> tuple[list[bool] | None, str | None]:
    """Per event, whether the query returns it; None and the reason when not evaluated."""
    kql = get_language("kql")
    if _PLAIN_FILTER.match(query):
        result = kql.evaluate(query, events)
        if not result.ok:
            return None, result.reason
        matched = set(result.matched)
        return [index in matched for index in range(len(events))], None
    found = []
    for event in events:
        result = kql.evaluate(query, [event])
        if not result.ok:
            return None, result.reason
        found.append(0 in result.matched)
    return found, None


def _reason_class(reason: str | None) -> str:
    text = re.sub(r"^\d+:\d+: ", "", reason or "")
    return re.sub(r"\(.*", "", text).strip()[:80]


def run_target(target: str, cases: list[Conversion], labelled: dict) -> Tally:
    tally = Tally()
    to_row = RENDERERS[target]
    for case in cases:
        if case.target != target:
            continue
        tally.converted += 1
        pairs = comparable(case.detection, labelled[case.rule])
        if not pairs:
            tally.without_events += 1
            continue
        tally.evaluated += 1
        rows = [to_row(event, case.logsource, case.query) for event, _ in pairs]
        found, reason = verdicts(case.query, rows)
        if found is None:
            tally.reasons[_reason_class(reason)] += 1
            continue
        tally.ok += 1
        excluded = next((name for name, applies in EXCLUDED_CLASSES.items() if applies(case)), None)
        if excluded is not None:
            tally.excluded[excluded] += 1
            continue
        tally.compared += 1
        wrong = [index for index, (verdict, (_, expected)) in enumerate(zip(found, pairs)) if verdict != expected]
        if not wrong:
            tally.agree += 1
        else:
            tally.disagreements[case.rule] = [(pairs[i][0], pairs[i][1]) for i in wrong]
    return tally


def test_kql_backend_conversions_agree_with_sigma():
    cases = conversions("kql")
    refused = errors("kql")
    labelled = {case.rule: labelled_events(case.detection) for case in cases}
    failures = []
    for target in TARGETS:
        tally = run_target(target, cases, labelled)
        share = tally.ok / tally.evaluated if tally.evaluated else 0.0
        agreement = tally.agree / tally.compared if tally.compared else 0.0
        excluded = ", ".join(f"{count} {name}" for name, count in tally.excluded.most_common())
        print(f"\nkql {target}: {tally.converted} rules converted ({refused.get(target, 0)} refused), "
              f"{tally.evaluated} with synthesised events; verdict on {tally.ok} ({share:.1%}); "
              f"{tally.compared} compared ({excluded} excluded), agreeing on {tally.agree} ({agreement:.1%})")
        if share < MIN_VERDICT_SHARE:
            failures.append(f"{target}: verdict share {share:.1%}; not evaluated: {tally.reasons.most_common(8)}")
        if agreement < MIN_AGREEMENT:
            shown = list(tally.disagreements.items())[:8]
            failures.append(f"{target}: agreement {agreement:.1%}; disagreeing rules: "
                            + "; ".join(f"{rule} {examples[0]}" for rule, examples in shown))
    assert not failures, "\n".join(failures)
