"""SPL evaluation: stats, eventstats, streamstats and tstats (Search Reference 9.x).

- stats: "If a BY clause is used, one row is returned for each distinct value specified in the
  BY clause"; a result without a value for a BY field belongs to no row (fillnull is the
  documented way to keep them; tstats documents the same with its fillnull_value option: "Null
  values include field values that are missing"); a multivalue BY field puts the result in a
  row per value. Rows come out sorted by the BY fields.
- count: results; count(X) / dc(X): values of X / distinct values; values(X): distinct values in
  lexicographical order; list(X): values in order; min/max: numeric when the values are numbers,
  else lexicographic; earliest(X)/latest(X): the value of X at the earliest/latest _time;
  first/last: in result order; sum/avg over numeric values.
- eventstats adds the aggregates of each result's group to it; streamstats adds the running
  aggregates over the results so far (current=t, window=0).
- tstats from datamodel=M.D: the events of dataset D (its constraint tags, datamodels.py), with
  the dataset's fields named `D.field`; the where clause is the search language.
A result row returns the events that took part in it (the contract's `matched`).
"""
from __future__ import annotations

import itertools
from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import MISSING, NotEvaluated
from tooling.languages.spl.datamodels import BASE_FIELDS, dataset
from tooling.languages.spl.leaves import leaf
from tooling.languages.spl.search_expr import compile_search, event_time
from tooling.languages.spl.values import Row, get, number, order_key, show_number, texts, unquote_field

_ALIASES = {"c": "count", "distinct_count": "dc", "mean": "avg"}
_FUNCTIONS = {"count", "dc", "values", "list", "min", "max", "earliest", "latest", "first", "last", "sum", "avg"}


class Aggregate:
    __slots__ = ("function", "field", "condition", "name", "node")

    def __init__(self, function: str, field: str | None, condition: Callable | None, name: str, node: Any):
        self.function, self.field, self.condition, self.name, self.node = function, field, condition, name, node


def _aggregates(items: list, cx: Any) -> list[Aggregate]:
    from tooling.languages.spl.eval_expr import compile_expr

    found = []
    for item in items:
        if not (isinstance(item, Tree) and item.data == "aggregation"):
            continue
        call, alias = item.children[0], item.children[1] if len(item.children) > 1 else None
        raw_name = str(call.children[0])
        function = _ALIASES.get(raw_name.lower(), raw_name.lower())
        if function not in _FUNCTIONS:
            raise NotEvaluated.at(item, f"the stats function {raw_name}")
        field, condition = None, None
        if call.data == "agg_func" and len(call.children) > 1:
            argument = call.children[1]
            if isinstance(argument, Tree) and argument.data == "agg_eval":
                condition = compile_expr(argument.children[0])
            elif isinstance(argument, Token) and argument.type != "MACRO":
                field = unquote_field(str(argument))
                if "*" in field:
                    raise NotEvaluated.at(argument, "a wildcard field in a stats function")
            else:
                raise NotEvaluated.at(argument, "this stats function argument")
        elif function != "count":
            raise NotEvaluated.at(item, f"{raw_name} without a field")
        name = unquote_field(str(alias)) if alias is not None else cx.source(call)
        if condition is not None and function != "count" and function != "dc":
            raise NotEvaluated.at(item, f"{raw_name}(eval(...))")
        found.append(Aggregate(function, field, condition, name, item))
    if not found:
        raise NotEvaluated.at(items[0] if items else None, "stats without an aggregation")
    return found


def _options(items: list, allowed: dict) -> dict:
    options = {}
    for item in items:
        if isinstance(item, Tree) and item.data == "option":
            name, value = str(item.children[0]).lower(), str(item.children[1]).strip('"')
            if name not in allowed or (allowed[name] is not None and value.lower() not in allowed[name]):
                raise NotEvaluated.at(item, f"the option {name}={value}")
            options[name] = value
        elif isinstance(item, Token) and item.type == "MACRO":
            raise NotEvaluated.at(item, f"the macro {item} (not expanded)")
    return options


def _by_fields(node: Tree) -> list[str]:
    by = next((c for c in node.children if isinstance(c, Tree) and c.data == "by_clause"), None)
    if by is None:
        return []
    fields = []
    for child in by.children:
        if isinstance(child, Tree):
            raise NotEvaluated.at(child, "an option in a by clause (span, bins)")
        if child.type == "MACRO":
            raise NotEvaluated.at(child, f"the macro {child} (not expanded)")
        name = unquote_field(str(child).rstrip(","))
        if name:
            fields.append(name)
    return fields


def _value(function: str, rows: list[Row], agg: Aggregate, run: Any) -> Any:
    if agg.condition is not None:
        hits = [row for row in rows if agg.condition(row, run) is True]
        return len(hits)
    if function == "count" and agg.field is None:
        return len(rows)
    pairs = [(row, value) for row in rows for value in texts(get(row.fields, agg.field), agg.node)]
    values = [value for _, value in pairs]
    if function == "count":
        return len(values)
    if function == "dc":
        return len(set(values))
    if function == "values":
        distinct = sorted(set(values))
        return None if not distinct else distinct[0] if len(distinct) == 1 else distinct
    if function == "list":
        kept = values[:100]
        return None if not kept else kept[0] if len(kept) == 1 else kept
    if not values:
        return None
    if function in ("min", "max"):
        chosen = (min if function == "min" else max)(values, key=order_key)
        as_number = number(chosen)
        return show_number(as_number) if as_number is not None else chosen
    if function in ("first", "last"):
        return values[0] if function == "first" else values[-1]
    if function in ("earliest", "latest"):
        timed = [(event_time(row), value) for row, value in pairs]
        if any(moment is None for moment, _ in timed):
            raise NotEvaluated.at(agg.node, f"{function}() over results without a _time")
        pick = min if function == "earliest" else max
        return pick(timed, key=lambda pair: pair[0])[1]
    numbers = [n for n in (number(v) for v in values) if n is not None]
    if not numbers:
        return None
    total = sum(numbers)
    return show_number(total if function == "sum" else total / len(numbers))


def _keys(row: Row, by: list[str], node: Any, fill: str | None = None) -> list[tuple]:
    columns = []
    for name in by:
        values = texts(get(row.fields, name), node)
        if not values:
            if fill is None:
                return []
            values = [fill]
        columns.append(values)
    return list(itertools.product(*columns))


def _groups(rows: list[Row], by: list[str], node: Any, run: Any, fill: str | None = None) -> dict[tuple, list[Row]]:
    groups: dict[tuple, list[Row]] = {}
    for row in rows:
        run.deadline.check()
        for key in _keys(row, by, node, fill):
            groups.setdefault(key, []).append(row)
    return groups


def aggregate_rows(rows: list[Row], aggs: list[Aggregate], by: list[str], node: Any, run: Any,
                   fill: str | None = None) -> list[Row]:
    groups = _groups(rows, by, node, run, fill)
    if not by and not groups:
        groups = {(): []}
    out = []
    for key in sorted(groups, key=lambda k: tuple(order_key(v) for v in k)):
        members = groups[key]
        fields: dict = dict(zip(by, key))
        for agg in aggs:
            value = _value(agg.function, members, agg, run)
            if value is not None:
                fields[agg.name] = value
        sources = tuple(sorted({index for row in members for index in row.sources}))
        out.append(Row(fields, sources))
    return out


def compile_stats(node: Tree, cx: Any) -> Callable:
    kind = str(node.children[0].children[0]).lower()
    items = [c for c in node.children[1:] if not (isinstance(c, Tree) and c.data == "by_clause")]
    by = _by_fields(node)
    aggs = _aggregates(items, cx)
    if kind == "stats":
        _options(items, {})
        return lambda rows, run: aggregate_rows(rows, aggs, by, node, run)
    if kind == "eventstats":
        _options(items, {"allnum": ("f", "false")})

        def eventstats(rows: list[Row], run: Any) -> list[Row]:
            for summary in aggregate_rows(rows, aggs, by, node, run):
                key = tuple(summary.fields.get(name) for name in by)
                for row in rows:
                    if key in _keys(row, by, node):
                        row.fields = {**row.fields, **{a.name: summary.fields.get(a.name) for a in aggs
                                                       if summary.fields.get(a.name) is not None}}
            return rows
        return eventstats
    if kind == "streamstats":
        _options(items, {"current": ("t", "true"), "window": ("0",), "global": ("t", "true")})

        def streamstats(rows: list[Row], run: Any) -> list[Row]:
            seen: dict[tuple, list[Row]] = {}
            for row in rows:
                run.deadline.check()
                keys = _keys(row, by, node)
                if len(keys) != 1:
                    continue  # no value (or several) for a by field: the result gets no statistics
                group = seen.setdefault(keys[0], [])
                group.append(row)
                added = {a.name: _value(a.function, group, a, run) for a in aggs}
                row.fields = {**row.fields, **{k: v for k, v in added.items() if v is not None}}
            return rows
        return streamstats
    raise NotEvaluated.at(node, f"the command {kind}")


def compile_tstats(node: Tree, cx: Any) -> Callable:
    kind = str(node.children[0].children[0]).lower()
    if kind != "tstats":
        raise NotEvaluated.at(node, f"the command {kind}")
    items = [c for c in node.children[1:] if not (isinstance(c, Tree) and c.data in ("by_clause", "from_clause",
                                                                                     "tstats_where"))]
    options = _options(items, {"summariesonly": None, "allow_old_summaries": None, "chunk_size": None,
                               "prestats": ("f", "false"), "local": ("f", "false"), "append": ("f", "false"),
                               "fillnull_value": None, "include_reduced_buckets": None})
    aggs = _aggregates(items, cx)
    by = _by_fields(node)
    source = next((c for c in node.children if isinstance(c, Tree) and c.data == "from_clause"), None)
    if source is None or not isinstance(source.children[0], Tree) \
            or str(source.children[0].children[0]).lower() != "datamodel":
        raise NotEvaluated.at(node, "tstats over indexed fields (without from datamodel=)")
    model_name = str(source.children[0].children[1]).strip('"')
    spec = dataset(model_name)
    if spec is None:
        raise NotEvaluated.at(source, f"the data model {model_name} (not one the evaluator knows)")
    prefix = model_name.split(".")[-1]
    where = next((c for c in node.children if isinstance(c, Tree) and c.data == "tstats_where"), None)
    for name, at in _named_fields(where) + [(name, node) for name in by] + [(a.field, a.node) for a in aggs if a.field]:
        _check_field(name, prefix, spec, model_name, at)
    predicate = compile_search(where.children[0], time_allowed=True) if where is not None else None
    fill = options.get("fillnull_value")
    # each model field once: its name in the event, in the model, and whether it may be read along
    # a nested object (`get`); most are absent from an event, which one dict lookup tells
    model_fields = [(name, f"{prefix}.{name}", "." in name) for name in spec["fields"]]

    def tagged(row: Row, run: Any) -> bool:
        tags = {value.lower() for value in texts(get(row.fields, "tag"), node)}
        return all(tag in tags for tag in spec["tags"])

    def tag_value(row: Row, run: Any) -> Any:
        value = get(row.fields, "tag")
        return MISSING if value is None else value
    # the dataset's constraint is a leaf too: `datamodel=Endpoint.Processes` on the event's tags
    in_dataset = leaf(source.children[0], tagged, tag_value, "the event's tag")

    def tstats(rows: list[Row], run: Any) -> list[Row]:
        selected = []
        for row in run.initial_rows():
            run.deadline.check()
            if not in_dataset(row, run):
                continue
            event = row.fields
            fields = {name: event[name] for name in BASE_FIELDS if name in event}
            for name, modelled, dotted in model_fields:
                value = event.get(name)
                if value is None and dotted:
                    value = get(event, name)
                if value is not None:
                    fields[modelled] = value
            modelled = Row(fields, row.sources)
            if predicate is None or predicate(modelled, run):
                selected.append(modelled)
        return aggregate_rows(selected, aggs, by, node, run, fill)
    return tstats


def _named_fields(node: Any) -> list[tuple[str, Any]]:
    if node is None:
        return []
    found = []
    top = node.children[0]
    if isinstance(top, Token):
        raise NotEvaluated.at(top, "a bare term in tstats (only TERM()/PREFIX() of indexed terms)")
    for sub in top.iter_subtrees():
        if sub.data in ("comparison", "in_list"):
            found.append((str(sub.children[0]).strip('"'), sub))
        elif sub.data in ("search_and", "search_or", "search_negation", "term_directive"):
            for child in sub.children:
                if isinstance(child, Token) and child.type in ("WORD", "STRING"):
                    raise NotEvaluated.at(child, "a bare term in tstats (only TERM()/PREFIX() of indexed terms)")
    return found


def _check_field(name: str, prefix: str, spec: dict, model: str, at: Any) -> None:
    if name in BASE_FIELDS or name in ("earliest", "latest"):
        return
    head, _, rest = name.partition(".")
    if head == prefix and rest in spec["fields"]:
        return
    raise NotEvaluated.at(at, f"{name}, not a field of the data model {model}")
