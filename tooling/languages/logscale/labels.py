"""LogScale label stages: a stage that only sets fields no later stage reads but to show them.

`| case { in(field="StoppedService", values=[...]) | IsSecurityService := true ; * | IsSecurityService := false ; }`
followed only by `table([...])` names what a result shows: every event goes on (the `*` branch
keeps whatever the others do not), and the branch taken sets a value, so its conditions choose
that value, never whether an event is returned; no sample can prove them. evaluate.py runs such a
stage `untraced_stage` (tooling/languages/explanation.py): `explain` and coverage do not see its
leaves. The label stages are a `field := expression`, and a `case` whose branches are filters
and assignments only, one of them (`*`, or none at all) keeping every event. A `case` without
such a branch drops events and is a filter; so is one whose branch extracts fields with a regex.

A read is a mention of an assigned field (in any case; a dotted path's head counts, a quoted one
too) by any later stage other than a display one: `select(...)` and the fields `table(...)`
shows. `table`'s `sortby=` and `sort(...)`'s fields are reads, as both keep a limited number of
events in that order. A glob argument (`*`), a saved search and a query parameter count as
reads. Assigning @rawstring is never a label: a free-text filter reads it.
"""
from __future__ import annotations

from typing import Any

from lark import Token, Tree

from tooling.languages.explanation import names_one_of
from tooling.languages.logscale.filters import FILTER_FUNCTIONS, RAW

_FILTERS = frozenset({"filter_and", "filter_or", "not_filter", "comparison", "tag_filter", "like", "in_list",
                      "function_match", "freetext", "regex_filter"})
_EXTRACTORS = frozenset({"regex"})  # a call stage by this name extracts fields (calls.TRANSFORMS)


def label_stages(pipeline: Tree) -> frozenset[int]:
    """The ids of the stages of the query's `pipeline` that only set fields no later stage reads."""
    stages = [stage for stage in pipeline.children if isinstance(stage, Tree)]
    found = set()
    for position, stage in enumerate(stages):
        assigned = _assigned(stage)
        if assigned is not None and RAW not in assigned and not _read(assigned, stages[position + 1:]):
            found.add(id(stage))
    return frozenset(found)


def _assigned(stage: Tree) -> frozenset[str] | None:
    """The fields a label-shaped stage sets, lower-cased; None for any other stage."""
    body = stage.children[0] if stage.children else None
    if isinstance(body, Tree) and body.data == "assignment":
        target = _name(body.children[0])
        return None if target is None else frozenset({target})
    if not (isinstance(body, Tree) and body.data == "case_stmt"):
        return None
    names: set[str] = set()
    keeps_every_event = False
    for branch in body.children:
        if not (isinstance(branch, Tree) and branch.data == "case_branch"):
            continue
        filters_all = True
        for part in (s for s in branch.children[0].children if isinstance(s, Tree)):
            inner = part.children[0] if part.children else None
            if isinstance(inner, Tree) and inner.data == "assignment":
                target = _name(inner.children[0])
                if target is None:
                    return None
                names.add(target)
            elif _star(inner):
                continue
            elif _filter(inner):
                filters_all = False
            else:
                return None
        keeps_every_event = keeps_every_event or filters_all
    return frozenset(names) if keeps_every_event else None


def _star(node: Any) -> bool:
    """The free-text filter `*`, which keeps every event."""
    return (isinstance(node, Tree) and node.data == "freetext" and isinstance(node.children[0], Token)
            and node.children[0].type == "WORD" and set(str(node.children[0])) == {"*"})


def _filter(node: Any) -> bool:
    """A filter that only keeps or drops an event (no regex with named groups, which sets fields)."""
    if not isinstance(node, Tree):
        return False
    if node.data == "call":
        name = str(node.children[0]).lower()
        if name not in FILTER_FUNCTIONS or name in _EXTRACTORS:
            return False
    elif node.data not in _FILTERS:
        return False
    return not any(token.type == "REGEX" and ("(?<" in token or "(?P<" in token)
                   for token in node.scan_values(lambda value: isinstance(value, Token)))


def _read(assigned: frozenset[str], later: list[Tree]) -> bool:
    for stage in later:
        body = stage.children[0] if stage.children else None
        if isinstance(body, Tree) and body.data == "call":
            name = str(body.children[0]).lower()
            if name == "select":
                continue  # shown
            if name == "table":
                # the fields it shows, then sortby= (a read) and order=, limit=, type=
                if any(_mentions(argument, assigned) for argument in _arguments(body)
                       if isinstance(argument, Tree) and argument.data == "named_argument"
                       and str(argument.children[0]).lower() == "sortby"):
                    return True
                continue
        if body is None or _mentions(stage, assigned):
            return True
    return False


def _arguments(call: Tree) -> list:
    found = next((child for child in call.children[1:] if isinstance(child, Tree) and child.data == "arguments"), None)
    return [] if found is None else found.children


def _name(token: Any) -> str | None:
    if not isinstance(token, Token):
        return None
    text = str(token)
    if token.type == "STRING":
        text = text[1:-1]
    return text.lower()


def _mentions(node: Tree, assigned: frozenset[str]) -> bool:
    for token in node.scan_values(lambda value: isinstance(value, Token)):
        if token.type in ("SAVED_SEARCH", "PARAM", "GLOB"):  # GLOB: `*...` as an argument (fields)
            return True
        if token.type not in ("WORD", "NAME", "STRING"):
            continue
        name = _name(token)
        if names_one_of(name, assigned):
            return True
    return False
