"""`summarize` and its aggregation functions (learn.microsoft.com/kusto/query/summarize-operator
and the <name>-aggregation-function pages).

A result row's sources are those of every row in its group. Without `by`, summarize returns one
row even over no input (count() 0). Null values are ignored by the aggregation functions
(null-values: "null values are ignored and don't factor into the calculation" for count(),
dcount(), make_set(), make_list(), sum() ...).
"""
from __future__ import annotations

from typing import Any

from lark import Token, Tree

from tooling.languages.evaluation import NotEvaluated
from tooling.languages.kql import values as V
from tooling.languages.kql.scalar import Scope, compile_expr, is_const
from tooling.languages.kql.tree import name_of

# Default result names (summarize-operator, "Default values / names"): <prefix>_<column>.
PREFIX = {"count": "count", "countif": "countif", "dcount": "dcount", "dcountif": "dcountif", "sum": "sum",
          "sumif": "sumif", "min": "min", "max": "max", "avg": "avg", "make_set": "set", "make_list": "list",
          "make_set_if": "set", "make_list_if": "list", "take_any": "any", "any": "any"}
EMPTY = frozenset()


def _key(value: Any) -> tuple:
    return (V.kind(value), V.to_text(value))


def _non_null(values):
    return [v for v in values if v is not None]


def _agg(name: str, args: list, node: Tree):
    """fn(list of column dicts, env) -> value, for one aggregate call."""
    def values_of(fn, rows, env):
        return [fn(cols, env) for cols in rows]

    if name == "count":
        if args:
            return lambda rows, env: len(_non_null(values_of(args[0], rows, env)))
        return lambda rows, env: len(rows)
    if name == "countif":
        return lambda rows, env: sum(1 for cols in rows if args[0](cols, env) is True)
    if name in ("dcount", "dcountif"):
        # dcount-aggfunction: an estimate (HyperLogLog); for the small sets of a detection's
        # events the estimate is exact, as the documented error bound is relative.
        def dcount(rows, env):
            if name == "dcountif":
                rows = [cols for cols in rows if args[1](cols, env) is True]
            return len({_key(v) for v in _non_null(values_of(args[0], rows, env))})
        return dcount
    if name in ("make_set", "make_list", "make_set_if", "make_list_if"):
        conditional = name.endswith("_if")
        limit_index = 2 if conditional else 1
        limit = args[limit_index].value if len(args) > limit_index and is_const(args[limit_index]) else None

        def make(rows, env):
            if conditional:
                rows = [cols for cols in rows if args[1](cols, env) is True]
            out, seen = [], set()
            for value in _non_null(values_of(args[0], rows, env)):
                items = value if isinstance(value, list) and name.startswith("make_set") else [value]
                for item in items:
                    if name.startswith("make_set"):
                        key = _key(item)
                        if key in seen:
                            continue
                        seen.add(key)
                    out.append(item)
            if limit is not None and len(out) > limit:
                raise NotEvaluated.at(node, f"{name}() over more values than its limit (which are kept is not defined)")
            return out
        return make
    if name in ("sum", "sumif", "avg", "avgif"):
        def total(rows, env):
            if name.endswith("if"):
                rows = [cols for cols in rows if args[1](cols, env) is True]
            numbers = _non_null(values_of(args[0], rows, env))
            if any(isinstance(n, bool) or not isinstance(n, (int, float)) for n in numbers):
                raise NotEvaluated.at(node, f"{name}() of values that are not numbers")
            if name.startswith("avg"):
                return sum(numbers) / len(numbers) if numbers else None
            return sum(numbers) if numbers else None
        return total
    if name in ("min", "max"):
        def extreme(rows, env):
            found = None
            for value in _non_null(values_of(args[0], rows, env)):
                try:
                    if found is None or V.order(value, found) == (-1 if name == "min" else 1):
                        found = value
                except V.TypeMismatch:
                    raise NotEvaluated.at(node, f"{name}() of values of different types") from None
            return found
        return extreme
    if name in ("take_any", "any"):
        def take_any(rows, env):
            values = {_key(v) for v in values_of(args[0], rows, env)}
            if len(values) > 1:
                raise NotEvaluated.at(node, f"{name}() over different values (which one is returned is arbitrary)")
            return args[0](rows[0], env) if rows else None
        return take_any
    raise NotEvaluated.at(node, f"the aggregation {name}()")


def _arg_extreme(name: str, node: Tree, scope: Scope, result_name: str | None):
    """arg_max / arg_min (ExprToMaximize, * | Col, ...): the row where the expression is
    greatest / least. Several rows tied: which one is returned is not defined: not evaluated
    unless they agree."""
    raw = node.children[1:]
    target = compile_expr(raw[0], scope)
    star = any(isinstance(a, Token) and a.type == "STAR" for a in raw[1:])
    columns = [] if star else [(name_of(a), compile_expr(a, scope)) for a in raw[1:]]
    if any(n is None for n, _ in columns):
        raise NotEvaluated.at(node, f"{name}() of computed columns")
    target_name = result_name or name_of(raw[0])
    if target_name is None:
        raise NotEvaluated.at(node, f"{name}() of an unnamed expression")

    def pick(rows, env):
        best, best_rows = None, []
        for cols in rows:
            value = target(cols, env)
            if value is None:
                continue
            order = 1 if best is None else V.order(value, best)
            if name == "arg_min" and best is not None:
                order = -order
            if order > 0:
                best, best_rows = value, [cols]
            elif order == 0:
                best_rows.append(cols)
        if not best_rows:
            return {target_name: None}
        chosen = [dict(cols) if star else {n: fn(cols, env) for n, fn in columns} for cols in best_rows]
        if any(c != chosen[0] for c in chosen[1:]):
            raise NotEvaluated.at(node, f"{name}() with tied rows that differ (which one is returned is arbitrary)")
        return {**chosen[0], target_name: best}
    return pick


def compile_summarize(node: Tree, scope: Scope):
    aggregates_node = next((c for c in node.children if isinstance(c, Tree) and c.data == "assign_list"), None)
    by_node = next((c for c in node.children if isinstance(c, Tree) and c.data == "by_clause"), None)
    aggregates = []  # (name or None, fn) ; name None: fn returns a dict of columns
    for item in aggregates_node.children if aggregates_node is not None else []:
        result_name = None
        if isinstance(item, Tree) and item.data == "assign":
            result_name, item = name_of(item.children[0]), item.children[1]
        if not (isinstance(item, Tree) and item.data == "call"):
            raise NotEvaluated.at(item, "a summarize item that is not an aggregation call")
        function = str(item.children[0])
        if function in ("arg_max", "arg_min"):
            aggregates.append((None, _arg_extreme(function, item, scope, result_name)))
            continue
        args = [compile_expr(a, scope) for a in item.children[1:] if not (isinstance(a, Token) and a.type == "STAR")]
        if result_name is None:
            column = name_of(item.children[1]) if len(item.children) > 1 else None
            if function in ("count", "countif") and len(item.children) == 1 + (function == "countif"):
                result_name = f"{PREFIX[function]}_"
            elif function in PREFIX and column is not None:
                result_name = f"{PREFIX[function]}_{column}"
            else:
                raise NotEvaluated.at(item, f"the default name of {function}() of this argument")
        aggregates.append((result_name, _agg(function, args, item)))
    keys = []
    for item in by_node.children[0].children if by_node is not None else []:
        if isinstance(item, Tree) and item.data == "assign":
            keys.append((name_of(item.children[0]), compile_expr(item.children[1], scope)))
            continue
        name = name_of(item)
        binned = isinstance(item, Tree) and item.data == "call" and str(item.children[0]) in ("bin", "floor")
        if name is None and binned:
            name = name_of(item.children[1])  # bin(Timestamp, 1h) is named Timestamp
        if name is None:
            raise NotEvaluated.at(item, "an unnamed computed group key")
        keys.append((name, compile_expr(item, scope)))

    def summarize(rows, env):
        groups: dict = {}
        for cols, src in rows:
            env.deadline.check()
            values = tuple(fn(cols, env) for _, fn in keys)
            key = tuple(_key(v) for v in values)
            group = groups.get(key)
            if group is None:
                groups[key] = [values, [cols], set(src)]
            else:
                group[1].append(cols)
                group[2] |= src
        if not keys and not groups:
            groups[()] = [(), [], set()]
        out = []
        for values, members, sources in groups.values():
            row = {name: value for (name, _), value in zip(keys, values)}
            for name, fn in aggregates:
                result = fn(members, env)
                if name is None:
                    row.update({k: v for k, v in result.items() if k not in row})
                else:
                    row[name] = result
            out.append((row, frozenset(sources)))
        return out
    return summarize
