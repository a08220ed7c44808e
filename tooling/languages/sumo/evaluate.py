"""Offline evaluation of a Sumo Logic log query: the parse tree compiled once into closures.

    compiled = compile_query(tree)            # raises NotEvaluated for what it cannot evaluate
    compiled(events, deadline, context)       # -> Evaluation

An event is a Sumo Logic message: `_raw` (the message text), `_sourceCategory`, `_sourceHost`,
`_collector`, `_source`, `_sourceName`, `_messagetime` (epoch ms), `_index` / `_view`, and any
field an ingest-time field extraction rule gave it. Field names are case-insensitive (a row
keeps them lower-cased); every value is text, as Sumo Logic holds it. The events returned are
those whose rows reach the end of the query (for an aggregation: those that took part in a
result row).

The stages after the last one that can drop, add or merge rows (a where, a parse without
nodrop, an aggregation, a limit, ...) cannot change which events are returned: they are not
run, and an operator there that this evaluator does not know does not stop the verdict.
"""
from __future__ import annotations

import json
from typing import Any

from lark import Token, Tree

from tooling.languages.evaluation import Deadline, Evaluation, EvaluationContext, NotEvaluated
from tooling.languages.explanation import untraced_stage
from tooling.languages.sumo.delimited import delimited_stage, keyvalue_stage
from tooling.languages.sumo.labels import read_later
from tooling.languages.sumo.leaves import QUERY_TEXT
from tooling.languages.sumo.parsers import json_stage, parse_stage
from tooling.languages.sumo.scope import compile_scope
from tooling.languages.sumo.stages import (
    SOURCES, Step, aggregate_step, eval_step, fields_step, limit_step, lookup_step, sort_step,
    timeslice_step, where_step,
)
from tooling.languages.sumo.tree import STAGES, operator_name


def _flags(stage: Tree) -> set[str]:
    found = set()
    for child in stage.children:
        if isinstance(child, Tree) and child.data in ("parse_option", "json_option"):
            found.update(str(c).lower() for c in child.children if isinstance(c, Token))
    return found


def _keeps_rows(stage: Tree) -> bool:
    """A stage that never drops, adds or merges rows (so cannot change the verdict)."""
    kind = stage.data
    if kind in ("eval_cmd", "fields_cmd", "sort_cmd", "timeslice_cmd", "lookup_cmd"):
        return True
    if kind in ("parse_cmd", "json_cmd"):
        flags = _flags(stage)
        return ("nodrop" in flags or "auto" in flags) and "multi" not in flags
    return False


def _per_row(function: Any) -> Any:
    return lambda row: function([row])


def _step(stage: Tree, following: list[Tree]) -> Step:
    kind = stage.data
    if kind == "where_cmd":
        return where_step(stage)
    if kind == "parse_cmd":
        return Step(stage, per_row=parse_stage(stage), keeps_rows=_keeps_rows(stage))
    if kind == "json_cmd":
        return Step(stage, per_row=json_stage(stage), keeps_rows=_keeps_rows(stage))
    if kind == "eval_cmd":
        return eval_step(stage)
    if kind == "aggregate_cmd":
        return aggregate_step(stage)
    if kind == "sort_cmd":
        return sort_step(stage, any(s.data in ("limit_cmd", "top_cmd") for s in following))
    if kind == "limit_cmd":
        return limit_step(stage, False)
    if kind == "fields_cmd":
        return fields_step(stage)
    if kind == "timeslice_cmd":
        return timeslice_step(stage)
    if kind == "lookup_cmd":
        return lookup_step(stage)
    if kind == "assign_cmd":
        raise NotEvaluated.at(stage, "an assignment statement (`| x = expression`; Sumo Logic writes "
                                     "`expression as x`)")
    if kind == "generic_cmd":
        name = operator_name(stage)
        if name in ("csv", "split"):
            return Step(stage, per_row=_per_row(delimited_stage(stage, name)), keeps_rows=False)
        if name in ("keyvalue", "kv"):
            return Step(stage, per_row=_per_row(keyvalue_stage(stage)))
        raise NotEvaluated.at(stage, f"the {name} operator")
    raise NotEvaluated.at(stage, f"the {operator_name(stage)} operator")


def _field_text(value: Any) -> Any:
    """A field's value as Sumo Logic holds it: text (null stays null)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is not None and not isinstance(value, str):
        return str(value)
    return value


def _row(event: dict, index: int) -> dict:
    row: dict = {}
    for key, value in event.items():
        if type(key) is not str and not isinstance(key, str):
            raise NotEvaluated(f"a field name that is not text: {key!r}")
        name = key.lower()
        if type(value) is not str:  # most values are text already: four type tests each were a
            value = _field_text(value)  # twentieth of Sumo's evaluation
        if name in row and row[name] != value:
            raise NotEvaluated(f"the fields {key!r} and another differing only in case (Sumo field names are "
                               "case-insensitive)")
        row[name] = value
    row[SOURCES] = frozenset((index,))
    return row


def compile_query(tree: Tree, text: str | None = None):
    """The query as a closure; `text` (the query) places the leaves `explain` names (leaves.py)."""
    token = QUERY_TEXT.set(text)
    try:
        return _compile_query(tree)
    finally:
        QUERY_TEXT.reset(token)


def _compile_query(tree: Tree):
    children = [c for c in tree.children if isinstance(c, Tree)]
    scope_node = children[0] if children and children[0].data == "scope" else None
    stages = [c for c in children if c.data in STAGES]
    scope = compile_scope(scope_node) if scope_node is not None else (lambda row: True)
    last_deciding = -1
    for position, stage in enumerate(stages):
        if not _keeps_rows(stage):
            last_deciding = position
    steps = []
    for position, stage in enumerate(stages[:last_deciding + 1]):
        step = _step(stage, stages[position + 1:])
        if stage.data == "eval_cmd" and not read_later(stage, stages[position + 1:]):
            # it only names what the results show: its predicates choose a value, not a message
            step.per_row = untraced_stage(step.per_row)
        steps.append(step)
    if any(s.data == "limit_cmd" for s in stages[:last_deciding + 1]):
        steps = _with_sorted_limits(steps, stages[:last_deciding + 1])

    def run(events: list[dict], deadline: Deadline, context: EvaluationContext) -> Evaluation:
        rows = []
        for index, event in enumerate(events):
            deadline.check()
            row = _row(event, index)
            if scope(row):
                rows.append(row)
        for step in steps:
            if step.per_row is not None:
                out: list = []
                for row in rows:
                    deadline.check()
                    out.extend(step.per_row(row))
                rows = out
            else:
                deadline.check()
                rows = step.over_rows(rows, context)
        matched: set[int] = set()
        for row in rows:
            matched.update(row[SOURCES])
        return Evaluation(True, sorted(matched))

    return run


def _with_sorted_limits(steps: list[Step], stages: list[Tree]) -> list[Step]:
    """A limit right after a sort keeps the sort's order."""
    out = []
    for position, (step, stage) in enumerate(zip(steps, stages)):
        if stage.data == "limit_cmd" and position and stages[position - 1].data == "sort_cmd":
            step = limit_step(stage, True)
        out.append(step)
    return out
