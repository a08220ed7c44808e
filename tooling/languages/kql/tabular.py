"""KQL tabular expressions compiled to closures `fn(env) -> rows`.

A row is `(columns: dict, sources: frozenset[int])`: its values and the indexes of the events it
came from (an aggregate or join row carries all of its inputs'), which is what `matched` reports.
Compilation also knows statically whether the rows are in a defined order (after `sort`, `top`,
`serialize`): `take` of fewer rows than there are, from rows in no defined order, is not
evaluated (take-operator: "there's no guarantee which records are returned").

Operators documented at learn.microsoft.com/kusto/query/<name>-operator. Aggregations are in
aggregates.py; joins in joins.py.
"""
from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import MISSING, NotEvaluated
from tooling.languages.explanation import predicate, probing_now, untraced_stage
from tooling.languages.kql import values as V
from tooling.languages.kql.scalar import Binding, Scope, compile_expr, is_const, is_tabular
from tooling.languages.kql.tree import name_of, string_value

Rows = list
TableFn = Callable[[Any], Rows]
Op = Callable[[Rows, Any], Rows]
EMPTY = frozenset()


def compile_tabular(node: Any, scope: Scope) -> tuple[TableFn, bool]:
    """(fn(env) -> rows, ordered)."""
    if isinstance(node, Token):
        if node.type == "NAME":
            binding = scope.lets.get(str(node))
            if binding is not None:
                return _let_table(binding, node, str(node))
            return _table(str(node), node), False
        raise NotEvaluated.at(node, f"the source {node}")
    data = node.data
    if data == "paren":
        return compile_tabular(node.children[0], scope)
    if data == "table":
        return _table_node(node.children[0]), False
    if data == "let_ref":
        name = name_of(node.children[0]) or ""
        binding = scope.lets.get(name)
        if binding is None:
            raise NotEvaluated.at(node, f"the name {name}")
        return _let_table(binding, node, name)
    if data == "pipeline":
        source, ordered = compile_tabular(node.children[0], scope)
        ops = []
        for stage in node.children[1:]:
            op, ordered = compile_operator(stage, scope, ordered)
            # an `extend` no later operator reads: its predicates choose a label, not a row
            ops.append(untraced_stage(op) if id(stage) in scope.labels else op)
        return _chain(source, ops), ordered
    if data == "union_op":
        return _union(node, scope), False
    if data == "datatable":
        return _datatable(node, scope), True
    if data == "print_op":
        items = _assignments(node.children[0], scope, "print")
        return (lambda env: [({name: fn({}, env) for name, fn in items}, EMPTY)]), True
    if data == "call" and str(node.children[0]) == "materialize" and len(node.children) == 2:
        return compile_tabular(node.children[1], scope)
    raise NotEvaluated.at(node, f"the tabular source {data.replace('_op', '')}")


def _chain(source: TableFn, ops: list[Op]) -> TableFn:
    def run(env):
        rows = source(env)
        for op in ops:
            rows = op(rows, env)
        return rows
    return run


def _let_table(binding: Binding, node: Any, name: str) -> tuple[TableFn, bool]:
    if binding.kind != "tabular":
        raise NotEvaluated.at(node, f"the {binding.kind} let {name} used as a table")
    fn, key = binding.fn, id(binding)

    def rows(env):  # a tabular let is computed once per evaluation
        found = env.memo.get(key)
        if found is None:
            found = env.memo[key] = fn(env)
        return found
    return rows, binding.ordered


def tables_of(env) -> dict:
    if env.tables is None:
        tables: dict = {}
        for index, event in enumerate(env.events):
            name = event.get("$table")
            if isinstance(name, str):
                tables.setdefault(name, []).append((event, frozenset((index,))))
        env.tables = tables
    return env.tables


def _table(name: str, node: Any) -> TableFn:
    # Table names are case-sensitive in Kusto (entity names are).
    def rows(env):
        if probing_now():  # the table is a leaf too: "`Syslog` on the event's table ..."
            return [(event, frozenset((index,))) for index, event in enumerate(env.events)
                    if predicate(node, event.get("$table", MISSING), event.get("$table") == name,
                                 "the event's table")]
        return tables_of(env).get(name, [])
    return rows


def _table_node(child: Any) -> TableFn:
    if isinstance(child, Token) and child.type in ("WILDCARD", "STAR"):
        pattern = str(child)

        def wildcard(env):
            tables = tables_of(env)
            return [row for name in sorted(tables) if fnmatchcase(name, pattern) for row in tables[name]]
        return wildcard
    name = name_of(child)
    if name is None:
        raise NotEvaluated.at(child, "a table from another database or cluster")
    return _table(name, child)


def _union(node: Tree, scope: Scope) -> TableFn:
    legs: list[TableFn] = []
    source_column = None
    for child in node.children:
        if isinstance(child, Tree) and child.data == "kind_opt":
            if str(child.children[0]) != "outer":
                raise NotEvaluated.at(child, f"union kind={child.children[0]}")
        elif isinstance(child, Tree) and child.data == "withsource_opt":
            source_column = str(child.children[0])
        elif isinstance(child, Tree) and child.data in ("hint", "isfuzzy_opt"):
            continue
        else:
            legs.append(compile_tabular(child, scope)[0])
    if source_column is not None:
        raise NotEvaluated.at(node, "union withsource=")

    def union(env):
        out: list = []
        for leg in legs:
            out.extend(leg(env))
        return out
    return union


def _datatable(node: Tree, scope: Scope) -> TableFn:
    decls = node.children[0]
    names = [name_of(d.children[0]) for d in decls.children if d is not None]
    cells = [compile_expr(v, scope) for v in node.children[1:] if v is not None]
    if not all(is_const(c) for c in cells) or len(cells) % max(1, len(names)):
        raise NotEvaluated.at(node, "a datatable whose values are not literals filling whole rows")
    values = [c.value for c in cells]
    rows = [(dict(zip(names, values[i:i + len(names)])), EMPTY) for i in range(0, len(values), len(names))]
    return lambda env: rows


def _assignments(assign_list: Tree, scope: Scope, operator: str) -> list[tuple[str, Any]]:
    """(name, fn) of `Name = expr` items and bare column names."""
    items = []
    for item in assign_list.children:
        if isinstance(item, Tree) and item.data == "assign":
            target, value = item.children
            items.append((name_of(target) or string_value(target.children[0]), compile_expr(value, scope)))
            continue
        name = name_of(item)
        if name is not None and name not in scope.lets:
            items.append((name, compile_expr(item, scope)))
            continue
        # Kusto names an unnamed computed column itself (Column1, or after a function):
        # the naming rule is not documented in full, so not evaluated.
        raise NotEvaluated.at(item, f"an unnamed computed column in {operator}")
    return items


# --- operators ---------------------------------------------------------------------------

def compile_operator(node: Tree, scope: Scope, ordered: bool) -> tuple[Op, bool]:
    handler = OPERATORS.get(node.data)
    if handler is None:
        from tooling.languages.kql import joins
        handler = joins.OPERATORS.get(node.data)
    if handler is None:
        raise NotEvaluated.at(node, f"the {node.data.replace('_op', '').replace('_', '-')} operator")
    return handler(node, scope, ordered)


def _where(node, scope, ordered):
    predicate = compile_expr(node.children[0], scope)

    def where(rows, env):
        check = env.deadline.check
        out = []
        for row in rows:
            check()
            verdict = predicate(row[0], env)
            if verdict is True:
                out.append(row)
            elif verdict is not False and verdict is not None:
                raise NotEvaluated.at(node, "a where predicate that is not a boolean")
        return out
    return where, ordered


def _extend(node, scope, ordered):
    items = _assignments(node.children[0], scope, "extend")

    def extend(rows, env):
        check = env.deadline.check
        out = []
        for cols, src in rows:
            check()
            new = dict(cols)
            for name, fn in items:  # later items see earlier ones
                new[name] = fn(new, env)
            out.append((new, src))
        return out
    return extend, ordered


def _project(node, scope, ordered):
    items = _assignments(node.children[0], scope, "project")

    def project(rows, env):
        check = env.deadline.check
        out = []
        for cols, src in rows:
            check()
            out.append(({name: fn(cols, env) for name, fn in items}, src))
        return out
    return project, ordered


def _patterns(children) -> list[str]:
    out = []
    for child in children:
        name = name_of(child)
        out.append(name if name is not None else str(child))
    return out


def _project_away(node, scope, ordered):
    keep = str(node.children[0]) == "project-keep"
    patterns = _patterns(node.children[1:])

    def project_away(rows, env):
        out = []
        for cols, src in rows:
            hit = {k: v for k, v in cols.items() if any(fnmatchcase(k, p) for p in patterns) is keep}
            out.append((hit, src))
        return out
    return project_away, ordered


def _project_rename(node, scope, ordered):
    pairs = [(name_of(r.children[0]), name_of(r.children[1])) for r in node.children[1:]]

    def rename(rows, env):
        out = []
        for cols, src in rows:
            new = dict(cols)
            for target, origin in pairs:
                if origin in new:
                    new[target] = new.pop(origin)
            out.append((new, src))
        return out
    return rename, ordered


def _passthrough(node, scope, ordered):
    return (lambda rows, env: rows), ordered


def _serialize(node, scope, ordered):
    if node.children and node.children[0] is not None:
        op, _ = _extend(node, scope, ordered)
        return op, True
    return (lambda rows, env: rows), True


def _sort_items(items, scope) -> list[tuple[Any, bool, bool]]:
    """(fn, descending, nulls_first) per sort item; sort-operator: desc by default, nulls last
    when descending and first when ascending unless `nulls first|last` says otherwise."""
    out = []
    for item in items:
        expr, direction, nulls = item.children
        descending = direction is None or str(direction.children[0]) == "desc"
        nulls_first = (not descending) if nulls is None else str(nulls.children[1]) == "first"
        out.append((compile_expr(expr, scope), descending, nulls_first))
    return out


def sort_rows(rows: Rows, keys, env, node) -> Rows:
    rows = list(rows)
    for fn, descending, nulls_first in reversed(keys):
        values = [fn(cols, env) for cols, _ in rows]
        kinds = {V.kind(v) for v in values} - {"null"}
        if "string" in kinds and "datetime" in kinds:
            values = [V.parse_datetime(v) if isinstance(v, str) else v for v in values]
            kinds = {V.kind(v) for v in values} - {"null"}
        if len(kinds) > 1:
            raise NotEvaluated.at(node, "sorting values of different types")
        present = sorted((i for i, v in enumerate(values) if v is not None),
                         key=lambda i: V.sort_key(values[i]), reverse=descending)
        # sorted(reverse=True) keeps equal rows in input order, as a stable sort must
        nulls = [i for i, v in enumerate(values) if v is None]
        order = nulls + present if nulls_first else present + nulls
        rows = [rows[i] for i in order]
    return rows


def _sort(node, scope, ordered):
    items = [c for c in node.children if isinstance(c, Tree) and c.data == "sort_item"]
    keys = _sort_items(items, scope)
    return (lambda rows, env: sort_rows(rows, keys, env, node)), True


def _count_value(node, scope, child) -> int:
    fn = compile_expr(child, scope)
    if not is_const(fn) or not isinstance(fn.value, int) or isinstance(fn.value, bool) or fn.value < 0:
        raise NotEvaluated.at(node, "a row count that is not a literal number")
    return fn.value


def _take(node, scope, ordered):
    count = _count_value(node, scope, node.children[-1])

    def take(rows, env):
        if len(rows) > count and not ordered:
            raise NotEvaluated.at(node, f"take {count} of {len(rows)} rows in no defined order "
                                        "(Kusto returns any of them)")
        return rows[:count]
    return take, ordered


def _top(node, scope, ordered):
    children = [c for c in node.children if not (isinstance(c, Tree) and c.data == "hint")]
    count = _count_value(node, scope, children[0])
    keys = _sort_items(children[1:], scope)
    return (lambda rows, env: sort_rows(rows, keys, env, node)[:count]), True


def _count(node, scope, ordered):
    def count(rows, env):
        return [({"Count": len(rows)}, frozenset().union(*(src for _, src in rows)))]
    return count, True


def _distinct(node, scope, ordered):
    target = node.children[-1]
    star = isinstance(target, Token) and target.type == "STAR"
    items = None if star else _assignments(target, scope, "distinct")

    def distinct(rows, env):
        groups: dict = {}
        for cols, src in rows:
            env.deadline.check()
            values = dict(cols) if star else {name: fn(cols, env) for name, fn in items}
            key = tuple(sorted((k, V.to_text(v), V.kind(v)) for k, v in values.items()))
            if key in groups:
                groups[key] = (groups[key][0], groups[key][1] | src)
            else:
                groups[key] = (values, src)
        return list(groups.values())
    return distinct, False


def _mv_items(node, scope):
    items = []
    for child in node.children:
        if isinstance(child, Tree) and child.data in ("kind_opt", "hint", "bagexpansion_opt", "itemindex_opt"):
            if child.data == "kind_opt" and str(child.children[0]) != "bag":
                raise NotEvaluated.at(child, f"kind={child.children[0]}")
            if child.data in ("bagexpansion_opt", "itemindex_opt"):
                raise NotEvaluated.at(child, "bagexpansion= / with_itemindex=")
            continue
        if isinstance(child, Tree) and child.data == "mv_item":
            target, cast = child.children
            if isinstance(target, Tree) and target.data == "assign":
                name, fn = name_of(target.children[0]), compile_expr(target.children[1], scope)
            else:
                name, fn = name_of(target), compile_expr(target, scope)
            if name is None:
                raise NotEvaluated.at(child, "an unnamed expression to expand")
            type_name = str(cast.children[0]) if cast is not None else None
            items.append((name, fn, type_name))
        elif isinstance(child, Token) and child.type in ("MV_EXPAND", "MV_APPLY", "MVEXPAND", "MVAPPLY"):
            continue
        elif child is not None and not (isinstance(child, Tree) and child.data == "sub_pipeline"):
            raise NotEvaluated.at(child, "an mv-expand row limit")
    return items


_CASTS = {"string": str, "long": int, "int": int, "real": float, "double": float, "bool": bool,
          "dynamic": object}


def _cast(value, type_name, node):
    if type_name is None or type_name == "dynamic":
        return value
    wanted = _CASTS.get(type_name)
    if wanted is None:
        raise NotEvaluated.at(node, f"to typeof({type_name})")
    # mv-expand: "array elements that don't conform to the declared type become null values"
    if isinstance(value, wanted) and not (wanted is int and isinstance(value, bool)):
        return value
    return None


def expand(cols: dict, items, env, node) -> list[dict]:
    """mv-expand of one row: null -> one row with null, empty array or bag -> no row, else one row
    per element, in order, several columns expanded in parallel (missing values null)."""
    lists = []
    for name, fn, type_name in items:
        value = fn(cols, env)
        if value is None:
            lists.append([None])
        elif isinstance(value, list):
            lists.append(value)
        elif isinstance(value, dict):
            lists.append([{k: v} for k, v in value.items()])
        else:
            raise NotEvaluated.at(node, "mv-expand of a value that is not an array or property bag")
    size = max(len(values) for values in lists) if lists else 0
    out = []
    for i in range(size):
        new = dict(cols)
        for (name, _fn, type_name), values in zip(items, lists):
            new[name] = _cast(values[i] if i < len(values) else None, type_name, node)
        out.append(new)
    return out


def _mv_expand(node, scope, ordered):
    items = _mv_items(node, scope)

    def mv_expand(rows, env):
        out = []
        for cols, src in rows:
            env.deadline.check()
            out.extend((new, src) for new in expand(cols, items, env, node))
        return out
    return mv_expand, ordered


def _mv_apply(node, scope, ordered):
    items = _mv_items(node, scope)
    sub = node.children[-1]
    ops = []
    sub_ordered = True  # the expanded rows are in the array's order (mv-expand: "in the order they appear")
    for stage in sub.children:
        op, sub_ordered = compile_operator(stage, scope, sub_ordered)
        ops.append(op)

    def mv_apply(rows, env):
        out = []
        for cols, src in rows:
            env.deadline.check()
            table = [(new, src) for new in expand(cols, items, env, node)]
            for op in ops:
                table = op(table, env)
            out.extend((new, src) for new, _ in table)
        return out
    return mv_apply, ordered


def _parse(node, scope, ordered):
    from tooling.languages.kql.parsing import compile_parse
    return compile_parse(node, scope, ordered)


def _summarize(node, scope, ordered):
    from tooling.languages.kql.aggregates import compile_summarize
    return compile_summarize(node, scope), False


OPERATORS = {
    "where_op": _where, "extend_op": _extend, "project_op": _project, "project_away_op": _project_away,
    "project_rename_op": _project_rename, "project_reorder_op": _passthrough, "render_op": _passthrough,
    "as_op": _passthrough, "serialize_op": _serialize, "sort_op": _sort, "top_op": _top, "take_op": _take,
    "count_op": _count, "distinct_op": _distinct, "mv_expand_op": _mv_expand, "mv_apply_op": _mv_apply,
    "parse_op": _parse, "summarize_op": _summarize,
}


def is_tabular_value(node, scope) -> bool:
    return is_tabular(node, scope)
