"""Stages of the LogScale evaluator that see all events at once: aggregates (groupBy, count, stats,
`[...]`, collect, selectLast, min/max/sum/avg, bucket), head/tail, sort, table, join, defineTable.
Each compiles into `(rows, env) -> rows`; a result row keeps the indexes of every event that went
into it, so `matched` names the events that took part in a result.

Documented (library.humio.com function reference), encoded here:
- groupBy(field, function=count()) gives one row per distinct value of the group fields, holding
  those fields and the aggregates' outputs (count() writes `_count`, sum `_sum`, min `_min`, max
  `_max`, avg `_avg`, or `as=`); stats / `[f(), g()]` give one row over all events.
- head(limit=200), tail(limit=200), sort(field, order=desc, limit=200), table(fields,
  sortby=@timestamp, order=desc, limit=200).
- defineTable(name, query={...}, include=[...]) runs its own query over the repository's events
  and leaves the main query's input as it was; join({...}, field, key, include, mode=inner|left).

Not documented, or not knowable offline, so not evaluated: groupBy on an event that lacks a group
field; collect()/selectLast() results read later when several values compete (their order); a
head/tail/sort/table limit that cuts rows whose order is not fixed (ties, missing sort keys, no
sort before head); join or match with more than one row per key; bucket() without span=.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from lark import Tree

from tooling.languages.evaluation import NotEvaluated
from tooling.languages.logscale.calls import Arguments
from tooling.languages.logscale.values import Row, Undecided, ValueProblem, as_number, number_text, value_of

Batch = Callable[[list, Any], list]
DEFAULT_LIMIT = 200


def _union(rows: list) -> tuple:
    return tuple(sorted({i for r in rows for i in r.src}))


# --- aggregate functions: (call) -> (rows -> {field: value}) ------------------------------

def aggregate(call: Any) -> Callable[[list], dict]:
    if not (isinstance(call, Tree) and call.data == "call"):
        raise NotEvaluated.at(call, "an aggregate that is not a function call")
    name = str(call.children[0]).lower()
    args = Arguments(call)
    if name == "count":
        args.only("field", "distinct", "as")
        field = args.text("field", 0)
        distinct = args.boolean("distinct", False)
        out = args.text("as", None, "_count")

        def count(rows):
            if field is None:
                return {out: str(len(rows))}
            values = [value_of(r.fields, field) for r in rows]
            present = [v for v in values if v is not None]
            return {out: str(len(set(present)) if distinct else len(present))}
        return count
    if name in ("sum", "min", "max", "avg"):
        args.only("field", "as")
        field = args.field_name("field", 0)
        out = args.text("as", None, f"_{name}")

        def numeric(rows):
            numbers = [as_number(value_of(r.fields, field)) for r in rows]
            numbers = [n for n in numbers if n is not None]
            if not numbers:
                return {out: Undecided(f"{name}() over no numeric values (undocumented)")}
            result = {"sum": lambda: sum(numbers), "min": lambda: min(numbers), "max": lambda: max(numbers),
                      "avg": lambda: sum(numbers) / len(numbers)}[name]()
            return {out: number_text(result)}
        return numeric
    if name == "collect":
        args.only("fields", "limit", "separator", "multival")
        fields = args.field_names("fields", 0)

        def collect(rows):
            result = {}
            for field in fields:
                seen: list[str] = []
                for row in rows:
                    value = value_of(row.fields, field)
                    if value is not None and value not in seen:
                        seen.append(value)
                if len(seen) == 1:
                    result[field] = seen[0]
                elif seen:
                    result[field] = Undecided(f"collect() of {len(seen)} values of {field} "
                                              "(their order is undocumented)")
            return result
        return collect
    if name == "selectlast":
        args.only("fields")
        fields = args.field_names("fields", 0)

        def select_last(rows):
            times = [as_number(value_of(r.fields, "@timestamp")) for r in rows]
            if not rows:
                return {}
            if any(t is None for t in times) or times.count(max(times)) > 1:
                return {f: Undecided("selectLast() without one latest @timestamp") for f in fields}
            latest = rows[times.index(max(times))]
            return {f: latest.fields[f] for f in fields if value_of(latest.fields, f) is not None}
        return select_last
    raise NotEvaluated.at(call, f"the aggregate {call.children[0]}()")


def _functions(value: Any, default_count: bool = True) -> list[Callable[[list], dict]]:
    if value is None:
        return [lambda rows: {"_count": str(len(rows))}] if default_count else []
    items = value.children if isinstance(value, Tree) and value.data == "list" else [value]
    return [aggregate(item) for item in items]


def _combine(rows: list, functions: list) -> dict:
    fields: dict = {}
    for function in functions:
        fields.update(function(rows))
    return fields


# --- stages ------------------------------------------------------------------------------

def _group_by(call: Tree, args: Arguments) -> Batch:
    args.only("field", "function", "limit")
    fields = args.field_names("field", 0)
    functions = _functions(args.raw("function"))

    def group(rows, env):
        groups: dict[tuple, list] = {}
        for row in rows:
            env.deadline.check()
            key = tuple(value_of(row.fields, f) for f in fields)
            if None in key:
                raise ValueProblem("groupBy() over an event without a group field (undocumented)")
            groups.setdefault(key, []).append(row)
        env.ordered = False
        return [Row({**dict(zip(fields, key)), **_combine(members, functions)}, _union(members))
                for key, members in groups.items()]
    return group


def _stats(functions: list) -> Batch:
    def stats(rows, env):
        env.ordered = False
        return [Row(_combine(rows, functions), _union(rows))]
    return stats


def _aggregate_stage(call: Tree, args: Arguments) -> Batch:
    return _stats([aggregate(call)])


def _stats_call(call: Tree, args: Arguments) -> Batch:
    args.only("function")
    return _stats(_functions(args.raw("function", 0)))


def _limit_rows(rows: list, limit: int, env, what: str, keys: list | None = None) -> list:
    if len(rows) <= limit:
        return rows
    if keys is not None:  # sorted: a cut between two equal keys is not determined
        if keys[limit - 1] == keys[limit]:
            raise ValueProblem(f"{what} cuts between rows with the same sort key (their order is undocumented)")
        return rows[:limit]
    if not env.ordered:
        raise ValueProblem(f"{what} keeps {limit} of {len(rows)} events whose order is not fixed by a sort")
    return rows[:limit]


def _head(call: Tree, args: Arguments) -> Batch:
    args.only("limit")
    limit = args.integer("limit", DEFAULT_LIMIT, 0)
    return lambda rows, env: _limit_rows(rows, limit, env, "head()")


def _tail(call: Tree, args: Arguments) -> Batch:
    args.only("limit")
    limit = args.integer("limit", DEFAULT_LIMIT, 0)

    def tail(rows, env):
        if len(rows) <= limit:
            return rows
        return list(reversed(_limit_rows(list(reversed(rows)), limit, env, "tail()")))
    return tail


def _sort_key(rows: list, field: str, kind: str) -> list:
    values = [value_of(r.fields, field) for r in rows]
    if any(v is None for v in values):
        raise ValueProblem(f"a sort on {field}, which some events do not have (where they go is undocumented)")
    numbers = [as_number(v) for v in values]
    if kind in ("number", "any") and all(n is not None for n in numbers):
        return numbers
    if kind == "number":
        raise ValueProblem(f"a numeric sort on {field} with values that are not numbers")
    if kind == "any" and any(n is not None for n in numbers):
        raise ValueProblem(f"a sort on {field} mixing numbers and text (undocumented)")
    return values


def _sorter(field: str, order: str, limit: int, kind: str, what: str) -> Batch:
    if order not in ("asc", "desc", "ascending", "descending"):
        raise NotEvaluated(f"{what} order={order}")
    descending = order.startswith("desc")

    def sort(rows, env):
        if len(rows) <= 1:
            env.ordered = True
            return rows
        keys = _sort_key(rows, field, kind)
        order_index = sorted(range(len(rows)), key=lambda i: keys[i], reverse=descending)
        ordered = [rows[i] for i in order_index]
        sorted_keys = [keys[i] for i in order_index]
        env.ordered = True
        return _limit_rows(ordered, limit, env, what, sorted_keys)
    return sort


def _sort(call: Tree, args: Arguments) -> Batch:
    args.only("field", "order", "limit", "type", "reverse")
    fields = args.field_names("field", 0)
    if len(fields) != 1 or args.raw("reverse") is not None:
        raise NotEvaluated.at(call, "sort() on other than one field")
    return _sorter(fields[0], args.text("order", None, "desc"), args.integer("limit", DEFAULT_LIMIT),
                   args.text("type", None, "any"), "sort()")


def _table(call: Tree, args: Arguments) -> Batch:
    args.only("fields", "sortby", "order", "limit", "type")
    fields = args.field_names("fields", 0)
    sortby = args.text("sortby", None, "@timestamp")
    limit = args.integer("limit", DEFAULT_LIMIT)
    sorter = _sorter(sortby, args.text("order", None, "desc"), limit, args.text("type", None, "any"), "table()")

    def table(rows, env):
        if len(rows) > limit:
            rows = sorter(rows, env)
        # the projection keeps the fields asked for (an Undecided one stays, shown not judged)
        return [Row({f: r.fields[f] for f in fields if f in r.fields}, r.src) for r in rows]
    return table


_SPAN = re.compile(r"^(\d+)\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def _bucket(call: Tree, args: Arguments) -> Batch:
    args.only("span", "field", "function")
    span = args.text("span", 0)
    found = _SPAN.match(span or "")
    if not found:
        raise NotEvaluated.at(call, "bucket() without a span= of a fixed duration")
    unit = found.group(2)
    size = int(found.group(1)) * _UNIT_MS["ms" if unit == "ms" else unit[0]]
    fields = args.field_names("field")
    functions = _functions(args.raw("function"))

    def buckets(rows, env):
        groups: dict[tuple, list] = {}
        for row in rows:
            moment = as_number(value_of(row.fields, "@timestamp"))
            key = tuple(value_of(row.fields, f) for f in fields)
            if moment is None or None in key:
                raise ValueProblem("bucket() over an event without @timestamp or a group field")
            groups.setdefault((int(moment) // size * size, *key), []).append(row)
        env.ordered = False
        return [Row({"_bucket": str(key[0]), **dict(zip(fields, key[1:])), **_combine(members, functions)},
                    _union(members)) for key, members in sorted(groups.items(), key=lambda item: item[0][0])]
    return buckets


def _subquery(args: Arguments, name: str, call: Tree):
    from tooling.languages.logscale.evaluate import compile_pipeline  # noqa: PLC0415 - cycle

    node = args.raw(name, 0)
    if not (isinstance(node, Tree) and node.data == "subquery") or not node.children:
        raise NotEvaluated.at(call, f"{call.children[0]}() without a {{ query }}")
    return compile_pipeline(node.children[0])


def _run_subquery(run, env) -> list:
    saved = env.ordered
    env.ordered = False
    rows = run([Row(event, (index,)) for index, event in enumerate(env.events)], env)
    env.ordered = saved
    return rows


def _join(call: Tree, args: Arguments) -> Batch:
    args.only("query", "field", "key", "include", "mode", "max", "limit", "start", "end", "repo")
    for unsupported in ("start", "end", "repo"):
        if args.raw(unsupported) is not None:
            raise NotEvaluated.at(call, f"join({unsupported}=...): another time range or repository")
    run = _subquery(args, "query", call)
    fields = args.field_names("field")
    keys = args.field_names("key") or fields
    include = args.field_names("include")
    mode = args.text("mode", None, "inner")
    if len(fields) != 1 or len(keys) != 1 or not include or mode not in ("inner", "left"):
        raise NotEvaluated.at(call, "join() other than one field/key, include=[...] and mode inner or left")

    def join(rows, env):
        index: dict[str, list] = {}
        for row in _run_subquery(run, env):
            value = value_of(row.fields, keys[0])
            if value is not None:
                index.setdefault(value, []).append(row)
        out = []
        for row in rows:
            env.deadline.check()
            value = value_of(row.fields, fields[0])
            hits = index.get(value, []) if value is not None else []
            if len(hits) > 1:
                raise ValueProblem(f"join() found {len(hits)} rows for {value!r} (which is used is undocumented)")
            if not hits:
                if mode == "left":
                    out.append(row)
                continue
            other = hits[0]
            joined = row.with_fields({f: other.fields[f] for f in include if f in other.fields})
            out.append(Row(joined.fields, tuple(sorted(set(row.src) | set(other.src)))))
        return out
    return join


def _define_table(call: Tree, args: Arguments) -> Batch:
    args.only("name", "query", "include", "start", "end")
    if args.raw("start") is not None or args.raw("end") is not None:
        raise NotEvaluated.at(call, "defineTable() over another time range")
    run = _subquery(args, "query", call)
    name = args.field_name("name")
    include = args.field_names("include")
    if not include:
        raise NotEvaluated.at(call, "defineTable() without include=[...]")

    def define(rows, env):
        table = _run_subquery(run, env)
        entries = [{f: value_of(r.fields, f) for f in include if value_of(r.fields, f) is not None} for r in table]
        env.tables[name] = (entries, [r.src for r in table])
        return rows
    return define


BATCH: dict[str, Callable[[Tree, Arguments], Batch]] = {
    "groupby": _group_by, "stats": _stats_call, "head": _head, "tail": _tail, "sort": _sort,
    "table": _table, "bucket": _bucket, "join": _join, "definetable": _define_table,
    "count": _aggregate_stage, "collect": _aggregate_stage, "selectlast": _aggregate_stage,
    "sum": _aggregate_stage, "min": _aggregate_stage, "max": _aggregate_stage, "avg": _aggregate_stage,
}
