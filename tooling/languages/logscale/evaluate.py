"""The LogScale (CQL) evaluator: the parse tree compiled once into Python closures.

A query is a pipeline of stages separated by `|`. A stage either works event by event (a filter,
`:=`, case, match, regex(), ...: `(row, env) -> row | None`) or on all events at once (groupBy,
sort, table, head, join ...: `(rows, env) -> rows`). `matched` is the set of given events that
reach the end of the pipeline, or that took part in a row that does.

Documented (library.humio.com, "Conditional Evaluation"): in `case { a | x := 1; b | ...; * | ...}`
"for each clause ... the pipeline is run individually ... If the expressions returns events, the
clause is considered to have matched"; the first clause that matches is used, "if no clauses match
then events are dropped", and `*` is the default clause. `field match { guard => pipeline; ... }`
checks one field against each guard (a value pattern, /regex/ or filter function) in turn.
Aggregates cannot run inside a case or match branch (not evaluated here).

For `explain`, the leaf predicates are traced where they are compiled (filters.py): filters, the
filter functions, match guards, and a strict regex() / named-group regex that drops the event
when it does not match (calls.extractor). case, match, and/or/not are structure, not leaves.
"""
from __future__ import annotations

from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import Evaluation, NotEvaluated, node_position
from tooling.languages.explanation import traced, untraced_stage
from tooling.languages.logscale import batch, calls
from tooling.languages.logscale.expressions import compile_expr
from tooling.languages.logscale.filters import (FILTER_FUNCTIONS, RAW, TAG, Predicate, compile_filter,
                                                compiling, field_name, filter_call, reader, value_matcher)
from tooling.languages.logscale.labels import label_stages
from tooling.languages.logscale.values import Row, Undecided, ValueProblem, regex_token, rx_search, value_of

Stream = Callable[[Row, Any], "Row | None"]
FILTERS = frozenset({"filter_and", "filter_or", "not_filter", "comparison", "tag_filter", "like", "in_list",
                     "function_match", "freetext", "regex_filter"})


class Env:
    __slots__ = ("context", "deadline", "events", "tables", "ordered")

    def __init__(self, context, deadline, events):
        self.context = context
        self.deadline = deadline
        self.events = events
        self.tables: dict = {}
        self.ordered = False


def _where(node: Any, problem: ValueProblem) -> NotEvaluated:
    line, column = node_position(node)
    return NotEvaluated(problem.construct, line, column)


# --- stages ---------------------------------------------------------------------------------

def _filter_stage(node: Any) -> list[Stream]:
    """A filter at the top of a stage: implicit/explicit AND runs its parts in turn, so a regex
    with named groups may extract fields there."""
    if isinstance(node, Tree) and node.data == "filter_and":
        return [s for child in node.children if isinstance(child, Tree) for s in _filter_stage(child)]
    if isinstance(node, Tree) and node.data in ("comparison", "tag_filter"):
        value = node.children[2]
        if (isinstance(value, Token) and value.type == "REGEX" and str(node.children[1].children[0]) == "="
                and regex_token(value).groupindex):
            return [calls.extractor(regex_token(value), field_name(node.children[0]), True, node,
                                    subject=TAG if node.data == "tag_filter" else None)]
    if isinstance(node, Tree) and node.data == "regex_filter" and regex_token(node.children[0]).groupindex:
        return [calls.extractor(regex_token(node.children[0]), RAW, True, node, named=False)]
    if isinstance(node, Tree) and node.data == "call" and str(node.children[0]).lower() == "regex":
        return [_call_stage(node)]
    return [_keeping(compile_filter(node))]


def _keeping(predicate: Predicate) -> Stream:
    """The stream that keeps the rows `predicate` holds for. Its `predicate` lets a chain of
    stages test it directly, without this call around it (`_steps`)."""
    def keep(row, env):
        return row if predicate(row, env) else None
    keep.predicate = predicate  # type: ignore[attr-defined]
    return keep


def _steps(streams: list[Stream]) -> list[tuple[Predicate | None, Stream]]:
    """Each stream with the predicate it only tests (None when it may change the row)."""
    return [(getattr(stream, "predicate", None), stream) for stream in streams]


def _call_stage(call: Tree):
    name = str(call.children[0]).lower()
    if name in calls.TRANSFORMS:
        return calls.TRANSFORMS[name](call, calls.Arguments(call))
    if name in FILTER_FUNCTIONS:
        return _keeping(filter_call(call))
    if name in batch.BATCH:
        return ("batch", batch.BATCH[name](call, calls.Arguments(call)))
    raise NotEvaluated.at(call, f"the function {call.children[0]}()")


def _assignment(node: Tree) -> Stream:
    target = field_name(node.children[0])
    expression = compile_expr(node.children[1])

    def assign(row, env):
        try:
            value = expression(row, env)
        except ValueProblem as problem:
            value = Undecided(problem.construct)
        if value is None:
            value = Undecided(f"{target} := an expression over a field the event does not have (undocumented)")
        return row.with_fields({target: value})
    return assign


def _case(node: Tree) -> Stream:
    branches = [compile_stream(c.children[0]) for c in node.children if isinstance(c, Tree) and c.data == "case_branch"]

    def case(row, env):
        for branch in branches:
            out = branch(row, env)
            if out is not None:
                return out
        return None
    return case


def _guard(field: str, guard: Any) -> Predicate:
    """A match clause's guard on the field, traced at the guard (the field is the statement's)."""
    if isinstance(guard, Token) and guard.type == "REGEX":
        compiled = regex_token(guard)
        if compiled.groupindex:
            raise NotEvaluated.at(guard, "a match guard regex with named groups")
        return traced(guard, lambda row, env: (lambda v: v is not None and rx_search(compiled, v) is not None)(
            value_of(row.fields, field)), reader(field))
    if isinstance(guard, Token) and guard.type in ("WORD", "STRING"):
        check = value_matcher(guard)
        return traced(guard, lambda row, env: (lambda v: v is not None and check(v))(value_of(row.fields, field)),
                      reader(field))
    if isinstance(guard, Tree) and guard.data == "call":
        return filter_call(guard, extra_field=Token("WORD", field))
    raise NotEvaluated.at(guard, "this match guard")


def _match(node: Tree) -> Stream:
    field = field_name(node.children[0])
    clauses = [(_guard(field, c.children[0]), compile_stream(c.children[1]))
               for c in node.children if isinstance(c, Tree) and c.data == "match_clause"]

    def match(row, env):
        for index, (guard, rest) in enumerate(clauses):
            if guard(row, env):
                out = rest(row, env)
                if out is None and any(g(row, env) and r(row, env) is not None for g, r in clauses[index + 1:]):
                    raise ValueProblem("a match clause whose guard matched but whose pipeline dropped the event, "
                                       "where a later clause would keep it (undocumented)")
                return out
        return None
    return match


def _stage(stage: Tree):
    """A stage as a stream function, or ("batch", function)."""
    body = stage.children[0]
    if isinstance(body, Tree):
        kind = body.data
        if kind in FILTERS:
            parts = _filter_stage(body)
            if len(parts) == 1:
                return parts[0]
            steps = _steps(parts)

            def chain(row, env):
                for test, part in steps:
                    if test is not None:
                        if not test(row, env):
                            return None
                        continue
                    row = part(row, env)
                    if row is None:
                        return None
                return row
            return chain
        if kind == "call":
            return _call_stage(body)
        if kind == "assignment":
            return _assignment(body)
        if kind == "case_stmt":
            return _case(body)
        if kind == "match_stmt":
            return _match(body)
        if kind == "aggregate_list":
            functions = [batch.aggregate(a.children[-1]) for a in body.children]
            return ("batch", batch._stats(functions))
        if kind == "saved_search":
            raise NotEvaluated.at(body, "a saved search $name()")
    raise NotEvaluated.at(stage, "this stage")


def compile_stream(pipeline: Tree) -> Stream:
    """A case/match branch: event-by-event stages only."""
    steps = []
    for stage in pipeline.children:
        if not isinstance(stage, Tree):
            continue
        step = _stage(stage)
        if isinstance(step, tuple):
            raise NotEvaluated.at(stage, "an aggregate inside a case or match branch")
        steps.append((stage, step))

    def run(row, env):
        for stage, step in steps:
            try:
                row = step(row, env)
            except ValueProblem as problem:
                raise _where(stage, problem) from None
            if row is None:
                return None
        return row
    return run


def compile_pipeline(pipeline: Tree, labels: frozenset = frozenset()) -> Callable[[list, Any], list]:
    """`labels`: the ids of the stages that only set fields no later stage reads (labels.py),
    run untraced: their conditions choose a value shown, not whether an event is returned."""
    steps = [(stage, untraced_stage(step) if id(stage) in labels else step)
             for stage, step in ((stage, _stage(stage)) for stage in pipeline.children if isinstance(stage, Tree))]

    def run(rows, env):
        for stage, step in steps:
            try:
                if isinstance(step, tuple):
                    rows = step[1](rows, env)
                    continue
                out = []
                check = env.deadline.check
                for row in rows:
                    check()
                    result = step(row, env)
                    if result is not None:
                        out.append(result)
                rows = out
            except ValueProblem as problem:
                raise _where(stage, problem) from None
        return rows
    return run


def compile_query(tree: Tree, text: str):
    if not (isinstance(tree, Tree) and tree.data == "start" and tree.children):
        raise NotEvaluated("an empty query")
    with compiling(text):
        run = compile_pipeline(tree.children[0], label_stages(tree.children[0]))

    def evaluate(events, deadline, context) -> Evaluation:
        env = Env(context, deadline, events)
        rows = run([Row(event, (index,)) for index, event in enumerate(events)], env)
        return Evaluation(True, sorted({index for row in rows for index in row.src}))
    return evaluate
