"""Differential test for YARA-L: SigmaHQ's rules converted by pySigma's SecOps backend with the
secops_udm pipeline, evaluated by our YARA-L evaluator on events synthesised from each rule
(rendered as UDM events by yaral_events.py; the backend's UDM search written as a one-event rule
there too), compared with the Sigma verdict (issue 23). The older sigmac `chronicle` output the
issue names as a second source is not available offline (sigmac is not installable from the
package index the differential environment uses), so pySigma's backend is the only source.
The disagreement classes are written down in yaral_disagreements.md.

    python -m pytest -s tests/differential/test_yaral.py     # prints a summary line per target
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from tests.differential.harness import (MIN_AGREEMENT, MIN_VERDICT_SHARE, Conversion, conversions, errors,
                                        labelled_events)
from tests.differential.yaral_events import NotARule, as_rule, event_types, path_of, render
from tooling.languages import get_language
from tooling.sigma.detection import (InvalidDetection, SigmaDetection, SlowMatch, UnsupportedDetection,
                                     _ConditionParser)

TARGETS = ("secops+secops_udm",)


# --- what the comparison leaves out, each a class in yaral_disagreements.md ---------------------

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


def _tree(detection: dict) -> tuple:
    """The condition as ("id", name) / ("not", tree) / ("and" | "or", [trees])."""
    names = sorted(k for k in detection if k not in ("condition", "timeframe") and isinstance(k, str))
    conditions = detection["condition"]
    trees = [_ConditionParser(text, names, "").parse()[0]
             for text in ([conditions] if isinstance(conditions, str) else conditions)]
    return trees[0] if len(trees) == 1 else ("or", trees)


def _negated(node: tuple) -> Iterator[tuple]:
    """Every subtree directly under a `not`."""
    if node[0] == "not":
        yield node[1]
        yield from _negated(node[1])
    elif node[0] in ("and", "or"):
        for child in node[1]:
            yield from _negated(child)


def _one_predicate(definition: Any) -> bool:
    """A search identifier the backend negates correctly: one field, with one string or a list of
    plain strings (written as one `!=` per value, and-ed). Numbers, null, booleans, cidr and
    exists keep their `=` under a `not` (their templates are not swapped for the negated ones)."""
    if not (isinstance(definition, dict) and len(definition) == 1):
        return False
    (key, values), = definition.items()
    modifiers = set(str(key).split("|")[1:])
    values = values if isinstance(values, list) else [values]
    if not values or not all(isinstance(value, str) for value in values):
        return False
    if modifiers & {"cidr", "exists", "windash", "fieldref", "gt", "gte", "lt", "lte"}:
        return False
    return len(values) == 1 or not modifiers & {"all", "re"}


def _negation_not_distributed(case: Conversion) -> bool:
    """A `not` over more than one predicate: the backend negates each predicate where it stands
    and keeps the `and` / `or` between them (no De Morgan), and under a `not` only the first
    level of a group is negated (pySigma's convert_condition passes the group's parent on)."""
    try:
        tree = _tree(case.detection)
    except (InvalidDetection, UnsupportedDetection):
        return False
    for node in _negated(tree):
        if node[0] != "id" or not _one_predicate(case.detection.get(node[1])):
            return True
    return False


def _expansion_not_grouped(case: Conversion) -> bool:
    """`|windash`: the backend writes the variants (`-s`, `/s`, `–s`, ...) as an `OR` without
    parentheses inside the surrounding `AND` (and binds tighter than or)."""
    predicates = list(_items(case.detection))
    return len(predicates) > 1 and any("windash" in modifiers for _, modifiers, _ in predicates)


def _list_unanchored(case: Conversion) -> bool:
    """A field with a list of values under startswith / endswith / no modifier: the backend writes
    one regex `/a|b/` without `^` / `$`, and plain values unescaped (`FIND.EXE`): it matches
    values Sigma does not."""
    for name, definition in case.detection.items():
        for mapping in definition if isinstance(definition, list) else [definition]:
            if not isinstance(mapping, dict):
                continue
            for key, values in mapping.items():
                modifiers = set(str(key).split("|")[1:])
                if (isinstance(values, list) and len(values) > 1 and all(isinstance(v, str) for v in values)
                        and not modifiers & {"contains", "all", "re", "cidr", "exists", "fieldref"}):
                    return True
    return False


def _regex_backslash_doubled(case: Conversion) -> bool:
    r"""A `|re` value with a backslash: the backend escapes the escape character too (`\\.` for
    `\.`), so the regex asks for a literal backslash."""
    return any("re" in modifiers and isinstance(value, str) and "\\" in value
               for _, modifiers, value in _items(case.detection))


def _regex_made_caseless(case: Conversion) -> bool:
    """A `|re` value with letters: Sigma's regular expressions are case-sensitive, the backend
    writes every one with `nocase`."""
    for _, modifiers, value in _items(case.detection):
        if "re" in modifiers and isinstance(value, str) and "(?i)" not in value:
            if re.search(r"[A-Za-z]", re.sub(r"\\.", "", value)):
                return True
    return False


def _event_type_field(case: Conversion) -> bool:
    """Sysmon's registry `EventType` (SetValue, DeleteValue, ...): the pipeline maps it to
    metadata.event_type, which already holds the UDM event type the query requires
    (REGISTRY_MODIFICATION, ...), so the two tests can never hold together."""
    return any(name == "EventType" for name, _, _ in _items(case.detection)) and any(
        path_of("EventType", [kind]) == "metadata.event_type" for kind in event_types(case.query))


def _hash_prefix_kept(case: Conversion) -> bool:
    """Sysmon's `Hashes` (`MD5=...`, `IMPHASH=...`): the pipeline removes an algorithm prefix only
    after a `|`, so the query asks UDM's hash fields, which hold the bare digest, for `MD5=...`."""
    return any(name == "Hashes" for name, _, _ in _items(case.detection))


def _fields_share_a_path(case: Conversion) -> bool:
    """Two Sigma fields the pipeline maps to one UDM field (Image and CurrentDirectory to
    target.process.file.full_path, TargetFilename and OldName to target.file.names): an event
    holds one value there, Sigma's holds two."""
    types = event_types(case.query)
    fields = {name for name, _, _ in _items(case.detection)}
    paths = Counter(path_of(name, types) for name in fields)
    return any(count > 1 for count in paths.values())


# Rules left out, by class (never to reach a number): the backend's mistranslations, each written
# down in yaral_disagreements.md. A rule is left out when its conversion has the defect, whether
# or not a synthesised event shows it.
EXCLUDED_CLASSES: dict[str, Callable[[Conversion], bool]] = {
    "hash algorithm prefix kept": _hash_prefix_kept,
    "Sysmon EventType on metadata.event_type": _event_type_field,
    "regex backslash doubled": _regex_backslash_doubled,
    "regex made case-insensitive": _regex_made_caseless,
    "two fields on one UDM field": _fields_share_a_path,
    "windash variants not grouped": _expansion_not_grouped,
    "negation not distributed": _negation_not_distributed,
    "value list unanchored": _list_unanchored,
}


def _absent_or_empty_fields(detection: dict) -> set[str]:
    """Fields the rule compares with null or '': Sigma tells an absent field from an empty one,
    UDM does not (an omitted field is its zero value, "")."""
    return {name for name, modifiers, value in _items(detection) if value is None or value == ""}


def comparable(detection: dict, labelled: list[tuple[dict, bool]]) -> list[tuple[dict, bool]]:
    """The rule's events with a value in each field it compares with null or '' (an event lacking
    one gets "present" there, labelled again by the Sigma evaluator): an absent field has no UDM
    counterpart distinct from "", so the comparison does not ask about it."""
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
    agree_all: int = 0  # of the rules with a verdict, excluded or not, those agreeing throughout
    excluded: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    unevaluated: dict = field(default_factory=lambda: defaultdict(list))
    disagreements: dict = field(default_factory=lambda: defaultdict(list))


def verdicts(rule: str, events: list[dict]) -> tuple[list[bool] | None, str | None]:
    """Per event, whether the rule returns it; None and the reason when not evaluated. The rule
    has one event variable and no match section: each event is a detection of its own, so all of
    a rule's events go in at once."""
    result = get_language("yaral").evaluate(rule, events)
    if not result.ok:
        return None, result.reason
    matched = set(result.matched)
    return [index in matched for index in range(len(events))], None


def _reason_class(reason: str | None) -> str:
    text = re.sub(r"^\d+:\d+: ", "", reason or "")
    return re.sub(r"\(.*", "", text).strip()[:80]


def run_target(target: str, cases: list[Conversion], labelled: dict) -> Tally:
    tally = Tally()
    for case in cases:
        if case.target != target:
            continue
        tally.converted += 1
        pairs = comparable(case.detection, labelled[case.rule])
        if not pairs:
            tally.without_events += 1
            continue
        tally.evaluated += 1
        try:
            rule = as_rule(case.query)
        except NotARule as exc:
            found, reason = None, str(exc)
        else:
            rows = [render(event, case.query) for event, _ in pairs]
            found, reason = verdicts(rule, rows)
        if found is None:
            tally.reasons[_reason_class(reason)] += 1
            tally.unevaluated[_reason_class(reason)].append(case.rule)
            continue
        tally.ok += 1
        wrong = [index for index, (verdict, (_, expected)) in enumerate(zip(found, pairs)) if verdict != expected]
        tally.agree_all += not wrong
        excluded = next((name for name, applies in EXCLUDED_CLASSES.items() if applies(case)), None)
        if excluded is not None:
            tally.excluded[excluded] += 1
            continue
        tally.compared += 1
        if not wrong:
            tally.agree += 1
        else:
            tally.disagreements[case.rule] = [(pairs[i][0], pairs[i][1]) for i in wrong]
    return tally


def test_yaral_backend_conversions_agree_with_sigma():
    cases = conversions("yaral")
    refused = errors("yaral")
    labelled = {case.rule: labelled_events(case.detection) for case in cases}
    failures = []
    for target in TARGETS:
        tally = run_target(target, cases, labelled)
        share = tally.ok / tally.evaluated if tally.evaluated else 0.0
        agreement = tally.agree / tally.compared if tally.compared else 0.0
        excluded = ", ".join(f"{count} {name}" for name, count in tally.excluded.most_common()) or "none"
        print(f"\nyaral {target}: {tally.converted} rules converted ({refused.get(target, 0)} refused), "
              f"{tally.evaluated} with synthesised events; verdict on {tally.ok} ({share:.1%}); "
              f"{tally.compared} compared ({excluded} excluded), agreeing on {tally.agree} ({agreement:.1%}); "
              f"before the exclusions {tally.agree_all} of {tally.ok} agree")
        if share < MIN_VERDICT_SHARE:
            failures.append(f"{target}: verdict share {share:.1%}; not evaluated: {tally.reasons.most_common(8)}")
        if agreement < MIN_AGREEMENT:
            shown = list(tally.disagreements.items())[:8]
            failures.append(f"{target}: agreement {agreement:.1%}; disagreeing rules: "
                            + "; ".join(f"{rule} {examples[0]}" for rule, examples in shown))
    assert not failures, "\n".join(failures)
