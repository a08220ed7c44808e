"""KQL evaluation: a parsed query compiled once into a `Compiled` callable (the contract is in
tooling/languages/evaluation.py).

Statements run in order: `let` binds a scalar, a tabular expression (computed once per run) or a
function (calls of user functions are not evaluated); the query's result is its one tabular
statement that is not a `let`. Events are rows of the table named by their `$table`; time filters
(`ago()`, `now()`) count back from the latest `Timestamp` / `TimeGenerated` among the events.
"""
from __future__ import annotations

from typing import Any

from lark import Tree

from tooling.languages.evaluation import Evaluation, NotEvaluated, latest_time
from tooling.languages.kql.labels import label_stages
from tooling.languages.kql.scalar import Binding, Env, Scope, compile_expr, is_const, is_tabular
from tooling.languages.kql.tabular import compile_tabular
from tooling.languages.kql.tree import name_of

TIME_FIELDS = ("Timestamp", "TimeGenerated")


def _bind(node: Tree, scope: Scope) -> None:
    name = name_of(node.children[0])
    value = node.children[1]
    if name is None:
        raise NotEvaluated.at(node, "a let with a quoted name")
    if isinstance(value, Tree) and value.data in ("function_def", "view_def"):
        scope.lets[name] = Binding("function", node=value)
        return
    if isinstance(value, Tree) and value.data == "call" and str(value.children[0]) == "materialize":
        value = value.children[1]
    if is_tabular(value, scope):
        if isinstance(value, Tree) and value.data == "let_ref":
            bound = scope.lets.get(name_of(value.children[0]) or "")
            if bound is not None and bound.kind == "scalar":
                scope.lets[name] = bound
                return
        fn, ordered = compile_tabular(value, scope)
        scope.lets[name] = Binding("tabular", fn=fn, node=value, ordered=ordered)
        return
    if isinstance(value, Tree) and value.data == "let_ref":
        bound = scope.lets.get(name_of(value.children[0]) or "")
        if bound is None:
            raise NotEvaluated.at(value, "a let bound to an unknown name")
        scope.lets[name] = bound
        return
    fn = compile_expr(value, scope)
    scope.lets[name] = Binding("scalar", fn=fn, node=value, constant=is_const(fn))


def compile_query(tree: Tree, text: str):
    scope = Scope(compile_tabular, labels=label_stages(tree))
    outputs = []
    for statement in tree.children:
        if isinstance(statement, Tree) and statement.data == "let_stmt":
            _bind(statement, scope)
        elif isinstance(statement, Tree) and statement.data in ("set_stmt", "declare_stmt"):
            raise NotEvaluated.at(statement, f"a {statement.data.split('_')[0]} statement")
        else:
            outputs.append(statement)
    if len(outputs) != 1:
        node = outputs[1] if outputs else tree
        raise NotEvaluated.at(node, "a query with more than one result" if outputs else "a query without a result")
    output = outputs[0]
    if not is_tabular(output, scope):
        raise NotEvaluated.at(output, "a query whose result is not a table")
    table, _ordered = compile_tabular(output, scope)

    def run(events: list[dict], deadline: Any, context: Any) -> Evaluation:
        env = Env(events, deadline, context, latest_time(events, TIME_FIELDS))
        rows = table(env)
        matched: set[int] = set()
        for _cols, sources in rows:
            matched |= sources
        return Evaluation(True, sorted(matched))
    return run
