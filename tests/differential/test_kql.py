"""Differential test for KQL: SigmaHQ's rules converted by pySigma's Kusto backend with the
microsoft_xdr pipeline, evaluated by our KQL evaluator on events synthesised from each rule
(rendered as Defender XDR rows by kql_events.py), compared with the Sigma verdict (issue 18).
The disagreement classes are written down in kql_disagreements.md.

    python -m pytest -s tests/differential/test_kql.py     # prints a summary line per target
"""
from __future__ import annotations

import re
from typing import Callable

from tests.differential.harness import (Conversion, conversions, errors, first_class, labelled_by_rule,
                                        predicates, present_where_compared_with_empty, run_target,
                                        summarise_and_check)
from tests.differential.kql_events import render

TARGETS = ("kusto+microsoft_xdr",)
# The pipeline's queries are `Table\n| where <condition>`: a plain filter, so a rule's events go
# in at once; anything else is evaluated one event at a time.
_PLAIN_FILTER = re.compile(r"\A[A-Za-z]\w*\n\| where [^\n]*\Z")


# --- what the comparison leaves out, each a class in kql_disagreements.md -----------------------

def _dropped_predicate(case: Conversion) -> bool:
    """The pipeline drops EventID / EventCode / ObjectType (and Initiated in network_connection)
    from the detection, so the query ignores a predicate the Sigma verdict depends on."""
    category = case.logsource.get("category")
    return any(name in ("EventID", "EventCode", "ObjectType") or (name == "Initiated" and category ==
               "network_connection") for name, _, _ in predicates(case.detection))


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
               and _backslash_before_wildcard(value, modifiers)
               for name, modifiers, value in predicates(case.detection))


_HIVE = re.compile(r"(?i)\bHK(LM|U|CR)\b")


def _unrewritten_hive(case: Conversion) -> bool:
    """A registry value naming a hive abbreviation (HKLM, HKU, HKCR) anywhere but at its anchored
    start: the pipeline rewrites only `^HKLM` ..., so the query keeps `HKLM\\` where Defender's
    RegistryKey says HKEY_LOCAL_MACHINE\\."""
    for name, modifiers, value in predicates(case.detection):
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
               for _, modifiers, value in predicates(case.detection))


def _dropped_hash(case: Conversion) -> bool:
    """A Hashes value of an algorithm the pipeline has no column for (IMPHASH): dropped."""
    return any(name == "Hashes" and isinstance(value, str) and not re.search(r"(?i)\b(MD5|SHA1|SHA256)=", value)
               for name, _, value in predicates(case.detection))


def _parent_basename(case: Conversion) -> bool:
    """ParentImage outside process_creation: the pipeline keeps only the value's last path part
    (`AppData\\` becomes "", and `startswith ""` holds for every row)."""
    return case.logsource.get("category") != "process_creation" and any(
        name == "ParentImage" for name, _, _ in predicates(case.detection))


# Rules left out, by class (never to reach a number): the backend's mistranslations.
EXCLUDED_CLASSES: dict[str, Callable[[Conversion], bool]] = {
    "dropped predicate": _dropped_predicate,
    "registry backslash before a wildcard": _registry_backslash_wildcard,
    "hive abbreviation not rewritten": _unrewritten_hive,
    "inner wildcard": _inner_wildcard,
    "hash algorithm dropped": _dropped_hash,
    "ParentImage as a file name": _parent_basename,
}


def _render(case: Conversion, event: dict, index: int) -> dict:
    return render(event, case.logsource, case.query)


def test_kql_backend_conversions_agree_with_sigma():
    cases = conversions("kql")
    # A Defender row has every column of its table (a string column is "" when unset, never
    # null): the absent case of a field the rule compares with null or '' is not asked.
    labelled = labelled_by_rule(cases, lambda case, pairs: present_where_compared_with_empty(case.detection, pairs))
    tallies = {target: run_target("kql", target, cases, labelled, _render, plain_filter=_PLAIN_FILTER.match,
                                  exclude=first_class(EXCLUDED_CLASSES)) for target in TARGETS}
    failures = summarise_and_check("kql", tallies, errors("kql"))
    assert not failures, "\n".join(failures)
