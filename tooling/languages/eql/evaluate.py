"""EQL queries compiled for offline evaluation: event queries, sequences, samples, pipes.

`compile_query(tree, text)` turns a parsed query into a `Compiled` callable (see
tooling/languages/evaluation.py); conditions are compiled by `expressions.py`. Semantics follow
Elasticsearch EQL (Elastic Security's EQL rules run on it); sources in `values.py`. Facts:

- `<category> where` keeps events whose `event.category` holds the category (a keyword, so
  case-sensitive; the field may hold several values); `any where` keeps every event, with or
  without a category (EQL syntax reference, "Basic syntax" / "Match any event category").
- Every result is returned: the search API's `size` (10 by default; a detection rule's
  max_signals, 100 by default) is not applied: `dac test` feeds a handful of events.
- `head N` returns the N earliest results, `tail N` the N most recent (EQL pipe reference);
  results are in @timestamp order. Events with the same @timestamp are ordered by the
  tiebreaker field, which a query does not name: where that order decides, not evaluated.
- `sequence [by k] [with maxspan=t] [A] [B] ... [until [U]]`: events in @timestamp order; each
  stage advances the most recent partial sequence of the previous stage with the same join-key
  values (a newer partial sequence replaces an older one at the same stage); all events of a
  sequence lie within maxspan of its first; an `until` event with the same keys drops the
  partial sequences (EQL syntax reference, "Sequences", "Example: sequence with maxspan",
  "until keyword"). `[A] with runs=N` is the stage written N times ("Repeated sequence
  stages"). Missing-event stages `![...]` are not evaluated.
- `sample [by k] [A] [B] ...`: events of the same join-key values, one per filter, in any
  order, one sample per key combination by default ("Samples"). Which event a sample takes
  when several match one filter is not documented: not evaluated.
- A join key must have one value: a missing (null) or multi-valued key is not evaluated (null
  join keys are restricted, elastic/elasticsearch#79910).
"""
from __future__ import annotations

import re
from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import (
    Deadline, Evaluation, EvaluationContext, NotEvaluated, field_values, parse_time, values_reader,
)
from tooling.languages import explanation
from tooling.languages.eql.expressions import Span, condition, shown, value
from tooling.languages.eql.values import as_tuple, decide, evaluating

TIMESTAMP = "@timestamp"
CATEGORY = "event.category"
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def compile_query(tree: Tree, text: str) -> Callable[[list[dict], Deadline, EvaluationContext], Evaluation]:
    query, pipes = tree.children[0], tree.children[1:]
    if query.data == "event_query":
        select = _event_query(query, text)
    elif query.data == "sequence":
        select = _sequence(query, text)
    elif query.data == "sample":
        select = _sample(query, text)
    else:  # pragma: no cover - the grammar has no other query
        raise NotEvaluated.at(query, f"the query {query.data}")
    limits = [_pipe(pipe) for pipe in pipes]

    def run(events: list[dict], deadline: Deadline, _context: EvaluationContext) -> Evaluation:
        with evaluating():
            results = select(events, deadline)
            for limit in limits:
                results = limit(results, events)
        return Evaluation(True, sorted({index for result in results for index in result}))

    return run


# --- event filters ----------------------------------------------------------------------------

def _category(node: Tree) -> str | None:
    token = node.children[0]
    if token.type == "ANY":
        return None
    if token.type in ("STRING", "RAW_STRING"):
        return value(token)({})
    return str(token)


_WHERE = re.compile(r"(?:\s+|//[^\n]*|/\*[\s\S]*?\*/)*where(?![A-Za-z0-9_@])")


def _category_span(node: Tree, text: str) -> Any:
    meta = node.meta
    found = _WHERE.match(text, meta.end_pos) if text and text[meta.start_pos:meta.end_pos] == str(node.children[0]) \
        else None
    return Span(meta.line, meta.column, meta.start_pos, found.end()) if found else node


def event_filter(node: Tree, text: str = "") -> Callable[[dict], bool]:
    """event -> whether the `<category> where <condition>` keeps it (raises NotEvaluated). The
    category test is a leaf predicate for `explain`, with the event's event.category; `text`, the
    query, lets its sentence quote `<category> where` rather than the category alone."""
    category = _category(node.children[0])
    test = condition(node.children[1], text)
    if category is None:
        return lambda event: decide(test(event))
    span = _category_span(node.children[0], text)
    read_category = values_reader(CATEGORY)

    def run(event):
        found = read_category(event)
        held = category in found
        if explanation._probe is not None:
            held = explanation.predicate(span, shown(tuple(found)), held, "the event's event.category")
        if not held:
            return False
        return decide(test(event))

    return run


def _event_query(node: Tree, text: str):
    keep = event_filter(node.children[0], text)

    def select(events, deadline):
        results = []
        for index, event in enumerate(events):
            deadline.check()
            if keep(event):
                results.append((index,))
        return results

    return select


# --- ordering ---------------------------------------------------------------------------------

def _times(events: list[dict], indexes, node: Any, why: str) -> dict[int, float]:
    times = {}
    for index in indexes:
        found = field_values(events[index], TIMESTAMP)
        moment = parse_time(found[0]) if len(found) == 1 else None
        if moment is None:
            raise NotEvaluated.at(node, f"{why} needs each event's {TIMESTAMP} (one date); an event has none")
        times[index] = moment.timestamp()
    return times


def _pipe(node: Tree):
    name = node.children[0]
    arguments = node.children[1:]
    if str(name) not in ("head", "tail"):
        raise NotEvaluated.at(name, f"the pipe '{name}' (Elasticsearch EQL runs only head and tail)")
    count_token = arguments[0] if len(arguments) == 1 else None
    if not isinstance(count_token, Token) or count_token.type != "INT" or int(count_token) <= 0:
        raise NotEvaluated.at(name, f"'{name}' without one positive whole number")
    count = int(arguments[0])
    tail = str(name) == "tail"

    def limit(results: list[tuple[int, ...]], events: list[dict]):
        if len(results) <= count:
            return results
        times = _times(events, {index for result in results for index in result}, name, f"'{name}'")
        keyed = sorted(results, key=lambda result: (times[result[0]], times[result[-1]]))
        ordered = keyed[::-1] if tail else keyed
        boundary = (times[ordered[count - 1][0]], times[ordered[count - 1][-1]])
        after = (times[ordered[count][0]], times[ordered[count][-1]])
        if boundary == after:
            raise NotEvaluated.at(name, f"'{name}' cuts between results with the same {TIMESTAMP} "
                                  "(their order depends on the tiebreaker field)")
        return ordered[:count]

    return limit


# --- join keys --------------------------------------------------------------------------------

def _keys(node: Tree | None) -> list[Callable]:
    if node is None:
        return []
    return [value(child) for child in node.children]


def _child(node: Tree, kind: str) -> Tree | None:
    return next((c for c in node.children if isinstance(c, Tree) and c.data == kind), None)


def _key_of(event: dict, getters: list[Callable], node: Any) -> tuple:
    key = []
    for getter in getters:
        found = as_tuple(getter(event))
        if len(found) != 1:
            raise NotEvaluated.at(node, "a join key that is missing (null) or has several values "
                                  "(Elasticsearch restricts null join keys; not evaluated)")
        key.append(found[0])
    return tuple(key)


# --- sequences --------------------------------------------------------------------------------

def _stage(node: Tree, shared: list[Callable], text: str):
    subquery = node.children[0]
    if subquery.data == "missing_subquery":
        raise NotEvaluated.at(subquery, "a missing-event stage ![...]")
    keys = shared + _keys(_child(node, "join_keys"))
    return event_filter(subquery.children[0], text), keys, subquery


def _sequence(node: Tree, text: str):
    shared = _keys(_child(node, "join_keys"))
    span_node = _child(node, "maxspan")
    maxspan = None
    if span_node is not None:
        amount, unit = span_node.children
        maxspan = int(amount) * _UNITS[str(unit)]
    stages = []
    for stage_node in _child(node, "sequence_stages").children:
        stage = _stage(stage_node, shared, text)
        runs = 1
        if stage_node.data == "repeated_stage":
            runs = int(stage_node.children[-1])
            if runs < 1:
                raise NotEvaluated.at(stage_node, "'with runs=' below 1")
        stages.extend([stage] * runs)
    if len(stages) < 2:
        raise NotEvaluated.at(node, "a sequence of fewer than two stages")
    until_node = _child(node, "until")
    until = _stage(until_node, shared, text) if until_node is not None else None

    def select(events, deadline):
        # Which stages (and until) each event matches, then the state machine in time order.
        hits: dict[int, list[int]] = {}
        stops: set[int] = set()
        for index, event in enumerate(events):
            deadline.check()
            matched = [number for number, (keep, _, _) in enumerate(stages) if keep(event)]
            if matched:
                hits[index] = matched
            if until is not None and until[0](event):
                stops.add(index)
        involved = sorted(set(hits) | stops)
        if not involved:
            return []
        times = _times(events, involved, node, "a sequence")
        moments = sorted(times[i] for i in involved)
        if len(set(moments)) != len(moments):
            raise NotEvaluated.at(node, f"sequence events with the same {TIMESTAMP} (their order depends on "
                                  "the tiebreaker field)")
        pending: dict[tuple, list] = {}
        results = []
        last = len(stages) - 1
        for index in sorted(involved, key=times.__getitem__):
            deadline.check()
            event = events[index]
            if index in stops:
                pending.pop(_key_of(event, until[1], until[2]), None)
            for number in reversed(hits.get(index, ())):
                key = _key_of(event, stages[number][1], stages[number][2])
                slots = pending.setdefault(key, [None] * len(stages))
                if number == 0:
                    slots[0] = [index]
                else:
                    before = slots[number - 1]
                    if before is None:
                        continue
                    slots[number - 1] = None
                    if maxspan is not None and times[index] - times[before[0]] > maxspan:
                        continue
                    slots[number] = before + [index]
                if number == last:
                    results.append(tuple(slots[last]))
                    slots[last] = None
        return results

    return select


# --- samples ----------------------------------------------------------------------------------

def _sample(node: Tree, text: str):
    shared = _keys(_child(node, "join_keys"))
    filters = [_stage(child, shared, text) for child in node.children
               if isinstance(child, Tree) and child.data == "sample_filter"]

    def select(events, deadline):
        groups: dict[tuple, list[list[int]]] = {}
        for index, event in enumerate(events):
            deadline.check()
            for number, (keep, keys, where) in enumerate(filters):
                if keep(event):
                    group = groups.setdefault(_key_of(event, keys, where), [[] for _ in filters])
                    group[number].append(index)
        results = []
        for group in groups.values():
            if not all(group):
                continue
            chosen = [candidates[0] for candidates in group]
            if any(len(candidates) > 1 for candidates in group) or len(set(chosen)) != len(chosen):
                raise NotEvaluated.at(node, "a sample whose filter matches several events of the same join keys "
                                      "(which event Elasticsearch picks is not documented)")
            results.append(tuple(chosen))
        return results

    return select
