"""Differential test of the EQL evaluator: SigmaHQ's rules converted by pySigma's Elasticsearch
backend in EQL mode (without a pipeline, and with ecs_windows), evaluated on events synthesised
from each rule and rendered as the documents each target reads (eql_events.py), against the Sigma
verdict of each event.

A rule has a verdict when the evaluator evaluates the query on all its events; it agrees when
every verdict equals Sigma's (the measures are harness.py's). The classes of disagreement and of
refusal, ours or the backend's, are in eql_disagreements.md.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

import pytest

from tests.differential.eql_events import render
from tests.differential.harness import (Conversion, Labelled, conversions, errors, first_class, labelled_by_rule,
                                        predicates, run_target, summarise_and_check)

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


# --- the backend's translation of Sigma's `re`, each a class in eql_disagreements.md ------------
# The backend writes a Sigma `re` value unchanged as `field regex~ "<value>"`. EQL runs `regex~`
# as a case-insensitive Lucene regexp query (EQL syntax reference; Elasticsearch's "Regular
# expression syntax"), which differs from Sigma's Python `re.search` in three ways.

def _regexes(case: Conversion) -> list[tuple[list[str], str]]:
    """(modifiers, value) of each `re` predicate of the rule."""
    return [(modifiers, value) for _, modifiers, value in predicates(case.detection)
            if "re" in modifiers and isinstance(value, str)]


def _ends_with_anchor(value: str) -> bool:
    """Whether the regex ends with a `$` that is not escaped (an even run of backslashes before it)."""
    return value.endswith("$") and (len(value) - 1 - len(value[:-1].rstrip("\\"))) % 2 == 0


def _regex_anchor(case: Conversion) -> bool:
    """A `re` value anchored with `^` or `$`: Lucene has no anchors (its regexes always match the
    whole value), so `^` and `$` are literal characters the value must contain."""
    return any(value.startswith("^") or _ends_with_anchor(value) for _, value in _regexes(case))


def _regex_matched_whole(case: Conversion) -> bool:
    """A `re` value not spanning the whole value (neither `^` / `.*` at its start nor `$` / `.*` at
    its end): Sigma searches for it anywhere in the value, Lucene matches it against the whole
    value, and the backend adds no `.*` around it."""
    return any(not (value.startswith(("^", ".*")) and (_ends_with_anchor(value) or value.endswith(".*")))
               for _, value in _regexes(case))


_CHARACTER_CLASS = re.compile(r"\[\^?\]?[^\]]*\]")


def _case_closed(klass: str) -> bool:
    """Whether a character class (escapes already removed) holds each ASCII letter it holds in both cases."""
    letters = {chr(code) for start, end in re.findall(r"(.)-(.)", klass) for code in range(ord(start), ord(end) + 1)}
    letters |= set(re.sub(r".-.", "", klass))
    letters = {char for char in letters if char.isascii() and char.isalpha()}
    return letters == {char.swapcase() for char in letters}


def _cased(value: str) -> bool:
    """Whether case-insensitive matching changes what the regex matches: a letter outside a
    character class, or a class holding a letter in one case only (`\\s`, `\\d`... are no letters)."""
    text = re.sub(r"\\.", "", value)
    text = _CHARACTER_CLASS.sub(lambda match: "" if _case_closed(match.group(0)) else "A", text)
    return re.search("[A-Za-z]", text) is not None


def _regex_case_folded(case: Conversion) -> bool:
    """A case-sensitive `re` value (no `i` modifier) written as `regex~`, which folds case: the
    query also returns values whose letters differ in case only."""
    return " regex~ " in case.query and any("i" not in modifiers and _cased(value)
                                            for modifiers, value in _regexes(case))


# Rules left out of the agreement, by class of the backend's mistranslation (in order: a rule
# counts under the first that applies), never to reach a number.
EXCLUDED_CLASSES: dict[str, Callable[[Conversion], bool]] = {
    "regex anchor as a character": _regex_anchor,
    "regex matched against the whole value": _regex_matched_whole,
    "regex~ for a case-sensitive re": _regex_case_folded,
}
_first_class = first_class(EXCLUDED_CLASSES)


def _excluded(case: Conversion) -> str | None:
    return EXCLUDED.get((case.target, case.rule)) or _first_class(case)


@lru_cache(maxsize=None)
def _cases() -> tuple[list[Conversion], dict[str, Labelled]]:
    """The conversions and their rules' labelled events, once for both targets."""
    cases = conversions("eql")
    return cases, labelled_by_rule(cases)


def _render(case: Conversion, event: dict, index: int) -> dict:
    return render(event, case.target, case.logsource)


@pytest.mark.parametrize("target", TARGETS)
def test_eql_agrees_with_sigma(target):
    cases, labelled = _cases()
    # The query is one `any where` filter: all of a rule's events are evaluated at once.
    tally = run_target("eql", target, cases, labelled, _render,
                       exclude=_excluded)
    failures = summarise_and_check("eql", {target: tally}, errors("eql"))
    assert not failures, "\n".join(failures)
