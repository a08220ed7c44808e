"""Sumo Logic operators after a pipe, other than the parsers: where, field expressions (`as`),
aggregation (count, count_distinct, sum, min, max, avg ... by), sort, limit, fields, timeslice
and lookup. Pages cited: SumoLogic/sumologic-documentation, docs/search/search-query-language/.

A stage is either per row (`row(row) -> list of rows`, so the pipeline checks the time budget
between rows) or over all rows (`rows(rows) -> rows`): see `Step`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import NotEvaluated, EvaluationContext
from tooling.languages.sumo.expressions import compile_condition, compile_expr
from tooling.languages.sumo.tree import field_name
from tooling.languages.sumo.values import KLEENE, as_number, decide, number_literal, string_literal, text_of

SOURCES = "\x00src"  # per row: the indexes of the events it came from


@dataclass
class Step:
    node: Any
    per_row: Callable[[dict], list] | None = None
    over_rows: Callable[[list, EvaluationContext], list] | None = None
    keeps_rows: bool = False  # never drops, adds or merges rows: cannot change the verdict


def where_step(stage: Tree) -> Step:
    """where.md: "filter results based on a boolean expression"; null readings: values.decide."""
    condition = compile_condition(stage.children[-1])
    node = stage.children[-1]
    return Step(stage, per_row=lambda row: [row] if decide(condition, row, node) else [])


def eval_step(stage: Tree) -> Step:
    """`| <expression> as <field>` (field-expressions.md, if.md)."""
    items = []
    for aliased in stage.children:
        if not isinstance(aliased, Tree) or aliased.data != "aliased":
            raise NotEvaluated.at(aliased, "this field expression")
        if len(aliased.children) != 2 or not isinstance(aliased.children[1], Token):
            raise NotEvaluated.at(aliased, "a field expression without one 'as' field")
        alias = aliased.children[1]
        if alias.type == "PLACEHOLDER":
            raise NotEvaluated.at(alias, "a {{placeholder}} (its value is not known offline)")
        items.append((field_name(alias), compile_expr(aliased.children[0])))

    def run(row: dict) -> list:
        for name, expr in items:
            row[name] = expr(row, KLEENE)
        return [row]
    return Step(stage, per_row=run, keeps_rows=True)


_AGGREGATES = {"count", "count_distinct", "sum", "min", "max", "avg"}


def _aggregate(values: list, function: str, node: Any) -> Any:
    if function == "count":
        return float(len(values))
    present = [v for v in values if v is not None]
    if function == "count_distinct":
        return float(len({text_of(v) for v in present}))
    if len(present) != len(values):
        raise NotEvaluated.at(node, f"{function} over a null value (not documented)")
    numbers = [as_number(v) for v in present]
    if any(n is None for n in numbers):
        raise NotEvaluated.at(node, f"{function} over text that is not a number")
    if not numbers:
        return None
    return {"sum": sum(numbers), "min": min(numbers), "max": max(numbers),
            "avg": sum(numbers) / len(numbers)}[function]


def aggregate_step(stage: Tree) -> Step:
    """count-count-distinct-and-count-frequent.md and the aggregate pages: each group of the `by`
    fields gives one row holding the groups' fields and `_count` / `_count_distinct` / `_sum` ...
    (or the `as` name). The events that took part in a row are the ones it returns."""
    specs = []
    keys: list[str] = []
    for child in stage.children:
        if isinstance(child, Tree) and child.data == "by_clause":
            for item in child.children:
                if isinstance(item, Tree) and item.data == "option_assign":
                    raise NotEvaluated.at(item, "an aggregation option")
                expr = item.children[0] if isinstance(item, Tree) else item
                if not isinstance(expr, Token) or field_name(expr) is None or len(item.children) > 1:
                    raise NotEvaluated.at(item, "a group key that is not a field")
                keys.append(field_name(expr))
            continue
        expr = child.children[0]
        alias = child.children[1] if len(child.children) > 1 else None
        if isinstance(expr, Token) and str(expr).lower() == "count":
            function, argument = "count", None
        elif isinstance(expr, Tree) and expr.data == "call" and str(expr.children[0]).lower() in _AGGREGATES:
            function = str(expr.children[0]).lower()
            arguments = expr.children[1:]
            if len(arguments) > 1 or (function != "count" and len(arguments) != 1):
                raise NotEvaluated.at(expr, f"{function} with these arguments")
            argument = compile_expr(arguments[0]) if arguments else None
        else:
            raise NotEvaluated.at(child, "this aggregate function")
        if alias is not None and not isinstance(alias, Token):
            raise NotEvaluated.at(alias, "an aggregate with several 'as' names")
        name = field_name(alias) if alias is not None else f"_{function}"
        specs.append((name, function, argument, expr))

    def run(rows: list, context: EvaluationContext) -> list:
        groups: dict[tuple, list] = {}
        for row in rows:
            key = tuple(row.get(k) for k in keys)
            if any(part is None for part in key):
                raise NotEvaluated.at(stage, "a group key that is null in a message (not documented)")
            groups.setdefault(tuple(text_of(p) for p in key), []).append(row)
        out = []
        for key, members in groups.items():
            result = dict(zip(keys, key))
            result[SOURCES] = frozenset().union(*(m[SOURCES] for m in members))
            for name, function, argument, expr in specs:
                if function == "count" and argument is not None:
                    values = [argument(m, KLEENE) for m in members]
                    if any(v is None for v in values):
                        raise NotEvaluated.at(expr, "count(field) over a null value (not documented)")
                    result[name] = float(len(values))
                    continue
                values = [argument(m, KLEENE) for m in members] if argument is not None else members
                result[name] = _aggregate(values, function, expr)
            out.append(result)
        return out
    return Step(stage, over_rows=run)


def _order(rows: list, keys: list, node: Any) -> list:
    """Rows sorted by (value function, descending) keys: numbers when every value is one, else
    text; a null sort value is not evaluated."""
    ordered = list(rows)
    for expr, descending in reversed(keys):
        values = [expr(row, KLEENE) for row in ordered]
        if any(v is None for v in values):
            raise NotEvaluated.at(node, "sorting on a null value (where it goes is not documented)")
        numbers = [as_number(v) for v in values]
        use = numbers if all(n is not None for n in numbers) else [text_of(v) for v in values]
        pairs = sorted(zip(use, range(len(ordered))), key=lambda p: p[0], reverse=descending)
        ordered = [ordered[i] for _, i in pairs]
    return ordered


def sort_step(stage: Tree, order_matters: bool) -> Step:
    """sort.md. The order only counts when a later stage keeps the first rows (limit): there a
    key without asc / desc is not evaluated rather than guessing the default direction."""
    if not order_matters:
        return Step(stage, over_rows=lambda rows, context: rows, keeps_rows=True)
    keys = []
    for key in (c for c in stage.children if isinstance(c, Tree) and c.data == "sort_key"):
        direction = next((str(c).lower() for c in key.children if isinstance(c, Token) and c.type in ("ASC", "DESC")),
                         None)
        if direction is None:
            raise NotEvaluated.at(key, "a sort key without asc / desc before a limit")
        keys.append((compile_expr(key.children[0]), direction == "desc"))
    if not keys:
        raise NotEvaluated.at(stage, "a sort without keys before a limit")
    return Step(stage, over_rows=lambda rows, context: _order(rows, keys, stage))


def limit_step(stage: Tree, sorted_before: bool) -> Step:
    """limit.md: the first n results. Without a sort, messages come newest first (by
    _messagetime); a cut between two messages of the same time is not evaluated."""
    token = stage.children[-1]
    if token.type != "NUMBER":
        raise NotEvaluated.at(token, "a limit that is not a number")
    count = int(number_literal(str(token), token))

    def run(rows: list, context: EvaluationContext) -> list:
        if len(rows) <= count:
            return rows
        if sorted_before:
            return rows[:count]
        times = [as_number(row.get("_messagetime")) for row in rows]
        if any(t is None for t in times):
            raise NotEvaluated.at(stage, "a limit on messages without _messagetime")
        ordered = sorted(zip(times, range(len(rows))), key=lambda p: -p[0])
        if ordered[count - 1][0] == ordered[count][0] if count else False:
            raise NotEvaluated.at(stage, "a limit that cuts between messages of the same time")
        return [rows[i] for _, i in ordered[:count]]
    return Step(stage, over_rows=run)


def fields_step(stage: Tree) -> Step:
    """fields.md: `fields a, b` keeps only those fields, `fields - a, b` removes them."""
    sign = next((str(c.children[0]) for c in stage.children if isinstance(c, Tree) and c.data == "fields_sign"), "+")
    names = set()
    for token in stage.children:
        if isinstance(token, Token) and token.type in ("NAME", "FIELD_REF"):
            names.add(field_name(token))
        elif isinstance(token, Token) and token.type == "PLACEHOLDER":
            raise NotEvaluated.at(token, "a {{placeholder}} (its value is not known offline)")
    remove = sign == "-"

    def run(row: dict) -> list:
        for key in list(row):
            if key.startswith("\x00"):
                continue
            if (key in names) == remove:
                del row[key]
        return [row]
    return Step(stage, per_row=run, keeps_rows=True)


def timeslice_step(stage: Tree) -> Step:
    """timeslice.md: `timeslice 1h` puts each message's `_messagetime` into `_timeslice`, the
    start of its bucket (epoch milliseconds); `as` renames it."""
    tokens = [c for c in stage.children if isinstance(c, Token)]
    number = next((t for t in tokens if t.type == "NUMBER"), None)
    if number is None or any(t.type == "NAME" for t in tokens) or any(t.type == "PLACEHOLDER" for t in tokens):
        raise NotEvaluated.at(stage, "a timeslice without one time span (buckets or a default span)")
    span = number_literal(str(number), number)
    alias = next((field_name(t) for t in tokens if t.type in ("NAME", "FIELD_REF")), None) or "_timeslice"
    alias = "_timeslice" if alias is None else alias

    def run(row: dict) -> list:
        moment = as_number(row.get("_messagetime"))
        if moment is None or span <= 0:
            raise NotEvaluated.at(stage, "a timeslice of a message without _messagetime")
        row[alias] = float(moment - moment % span)
        return [row]
    return Step(stage, per_row=run, keeps_rows=True)


def _lookup_table(source: Any, context: EvaluationContext) -> list[dict]:
    text = str(source)
    if source.type == "STRING":
        text = string_literal(source)
    candidates = [text]
    if text.startswith("path://"):
        inner = text[len("path://"):]
        candidates.append(inner[1:-1] if inner.startswith('"') and inner.endswith('"') else inner)
    for name in candidates:
        if name in context.lookups:
            return context.lookups[name]
    raise NotEvaluated.at(source, f"a lookup table the deployment does not declare ({text})")


def lookup_step(stage: Tree) -> Step:
    """lookup.md: `lookup a, b from <table> on key=field` adds the table's columns for the row
    whose key column equals the field; "a mismatch from a lookup" leaves them null
    (isnull-isempty-isblank.md). Tables come from the deployment (platforms.yml lookups)."""
    wanted: list[tuple[str, str]] = []
    conditions: list[tuple[str, str]] = []
    source = None
    for child in stage.children:
        if isinstance(child, Tree) and child.data == "lookup_field":
            column = child.children[0]
            if isinstance(column, Token) and column.type == "STAR":
                raise NotEvaluated.at(column, "lookup * (the table's columns are not known before it is read)")
            alias = child.children[1] if len(child.children) > 1 else column
            wanted.append((str(field_name(column)), str(field_name(alias))))
        elif isinstance(child, Token) and child.type in ("URL", "SLASH_PATH", "STRING", "PLACEHOLDER"):
            if child.type == "PLACEHOLDER":
                raise NotEvaluated.at(child, "a {{placeholder}} (its value is not known offline)")
            source = child
        elif isinstance(child, Tree) and child.data == "compare" and str(child.children[1]) in ("=", "=="):
            left, right = child.children[0], child.children[2]
            names = (field_name(left), field_name(right))
            if not (isinstance(left, Token) and isinstance(right, Token)) or None in names:
                raise NotEvaluated.at(child, "a lookup condition that is not column=field")
            conditions.append((field_name(left), field_name(right)))
        elif isinstance(child, Tree):
            raise NotEvaluated.at(child, "this lookup condition")
    if source is None or not conditions:
        raise NotEvaluated.at(stage, "this lookup")
    if source.type == "URL" and not str(source).lower().startswith("path://"):
        raise NotEvaluated.at(source, f"the built-in lookup {source}")

    def run(rows: list, context: EvaluationContext) -> list:
        table = [{str(k).lower(): v for k, v in entry.items()} for entry in _lookup_table(source, context)]
        for row in rows:
            keys = [row.get(field) for _, field in conditions]
            found = []
            if None not in keys:
                texts = [text_of(k) for k in keys]
                found = [entry for entry in table
                         if all(text_of(entry.get(column)) == value for (column, _), value in zip(conditions, texts))]
                loose = [entry for entry in table
                         if all(str(text_of(entry.get(column))).lower() == value.lower()
                                for (column, _), value in zip(conditions, texts))]
                if len(loose) != len(found):
                    raise NotEvaluated.at(stage, "a lookup key that matches only ignoring case (not documented)")
            if len(found) > 1:
                raise NotEvaluated.at(stage, "a lookup key that matches several table rows")
            for column, alias in wanted:
                row[alias] = text_of(found[0].get(column)) if found else None
        return rows
    return Step(stage, over_rows=run, keeps_rows=True)
