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
from collections import Counter
from typing import Any, Callable, Iterator

from tests.differential.harness import (Conversion, Labelled, NotEvaluated, conversions, errors, first_class,
                                        labelled_by_rule, predicates, present_where_compared_with_empty,
                                        run_target, summarise_and_check)
from tests.differential.yaral_events import NotARule, as_rule, event_types, path_of, render
from tooling.sigma.condition import condition_tree
from tooling.sigma.detection import InvalidDetection, UnsupportedDetection

TARGETS = ("secops+secops_udm",)


# --- what the comparison leaves out, each a class in yaral_disagreements.md ---------------------

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
        tree = condition_tree(case.detection)
    except (InvalidDetection, UnsupportedDetection):
        return False
    for node in _negated(tree):
        if node[0] != "id" or not _one_predicate(case.detection.get(node[1])):
            return True
    return False


def _expansion_not_grouped(case: Conversion) -> bool:
    """`|windash`: the backend writes the variants (`-s`, `/s`, `–s`, ...) as an `OR` without
    parentheses inside the surrounding `AND` (and binds tighter than or)."""
    found = list(predicates(case.detection))
    return len(found) > 1 and any("windash" in modifiers for _, modifiers, _ in found)


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
               for _, modifiers, value in predicates(case.detection))


def _regex_made_caseless(case: Conversion) -> bool:
    """A `|re` value with letters: Sigma's regular expressions are case-sensitive, the backend
    writes every one with `nocase`."""
    for _, modifiers, value in predicates(case.detection):
        if "re" in modifiers and isinstance(value, str) and "(?i)" not in value:
            if re.search(r"[A-Za-z]", re.sub(r"\\.", "", value)):
                return True
    return False


def _event_type_field(case: Conversion) -> bool:
    """Sysmon's registry `EventType` (SetValue, DeleteValue, ...): the pipeline maps it to
    metadata.event_type, which already holds the UDM event type the query requires
    (REGISTRY_MODIFICATION, ...), so the two tests can never hold together."""
    return any(name == "EventType" for name, _, _ in predicates(case.detection)) and any(
        path_of("EventType", [kind]) == "metadata.event_type" for kind in event_types(case.query))


def _hash_prefix_kept(case: Conversion) -> bool:
    """Sysmon's `Hashes` (`MD5=...`, `IMPHASH=...`): the pipeline removes an algorithm prefix only
    after a `|`, so the query asks UDM's hash fields, which hold the bare digest, for `MD5=...`."""
    return any(name == "Hashes" for name, _, _ in predicates(case.detection))


def _fields_share_a_path(case: Conversion) -> bool:
    """Two Sigma fields the pipeline maps to one UDM field (Image and CurrentDirectory to
    target.process.file.full_path, TargetFilename and OldName to target.file.names): an event
    holds one value there, Sigma's holds two."""
    types = event_types(case.query)
    fields = {name for name, _, _ in predicates(case.detection)}
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


# --- the comparison ----------------------------------------------------------------------------

def _comparable(case: Conversion, labelled: Labelled) -> Labelled:
    """UDM has no absent field distinct from its zero value "": the absent case of a field the rule
    compares with null or '' is not asked."""
    return present_where_compared_with_empty(case.detection, labelled)


def _one_event_rule(case: Conversion) -> str:
    """The backend's UDM search as the one-event rule it means (yaral_events.as_rule)."""
    try:
        return as_rule(case.query)
    except NotARule as exc:
        raise NotEvaluated(str(exc)) from exc


def _render(case: Conversion, event: dict, index: int) -> dict:
    return render(event, case.query)


def test_yaral_backend_conversions_agree_with_sigma():
    cases = conversions("yaral")
    labelled = labelled_by_rule(cases, _comparable)
    # The rule has one event variable and no match section: each event is a detection of its own,
    # so all of a rule's events go in at once.
    tallies = {target: run_target("yaral", target, cases, labelled, _render, query=_one_event_rule,
                                  exclude=first_class(EXCLUDED_CLASSES)) for target in TARGETS}
    failures = summarise_and_check("yaral", tallies, errors("yaral"))
    assert not failures, "\n".join(failures)
