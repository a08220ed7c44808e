"""`join` and `lookup` (learn.microsoft.com/kusto/query/join-operator, lookup-operator).

join kinds: innerunique (the default: the left side is deduplicated on the key, keeping one
arbitrary row per key), inner, leftouter, rightouter, fullouter, leftanti (anti, leftantisemi),
rightanti (rightantisemi), leftsemi, rightsemi. When innerunique would have to pick between left
rows that differ, the result depends on an arbitrary choice: not evaluated. Keys compare with
`==` (case-sensitive for strings). Columns of the right side whose names the left side already
has get a numeric suffix (Key1). A joined row's sources are both sides' (semi and anti joins
return one side's rows: that side's sources).
"""
from __future__ import annotations

from lark import Token, Tree

from tooling.languages.evaluation import NotEvaluated
from tooling.languages.kql import values as V
from tooling.languages.kql.scalar import compile_expr
from tooling.languages.kql.tree import name_of

KINDS = {"innerunique", "inner", "leftouter", "rightouter", "fullouter", "leftanti", "anti", "leftantisemi",
         "rightanti", "rightantisemi", "leftsemi", "rightsemi"}


def _side(node, scope, which: str):
    """A key expression: `Col` (both sides), `$left.Col` / `$right.Col`."""
    if isinstance(node, Tree) and node.data == "dot" and isinstance(node.children[0], Token) \
            and str(node.children[0]) in ("$left", "$right"):
        side = str(node.children[0])[1:]
        if side != which:
            raise NotEvaluated.at(node, "a join condition with $left and $right swapped")
        name = name_of(node.children[1])
        return lambda row, env: row.get(name)
    return compile_expr(node, scope)


def _conditions(nodes, scope):
    keys = []
    for node in nodes:
        if isinstance(node, Tree) and node.data == "compare":
            left, op, right = node.children
            if str(op.children[0]) != "==":
                raise NotEvaluated.at(node, "a join condition other than ==")
            keys.append((_side(left, scope, "left"), _side(right, scope, "right")))
        elif name_of(node) is not None:
            name = name_of(node)
            getter = lambda row, env, name=name: row.get(name)  # noqa: E731
            keys.append((getter, getter))
        else:
            raise NotEvaluated.at(node, "this join condition")
    return keys


def _key(values, node):
    out = []
    for value in values:
        if isinstance(value, (dict, list)):
            raise NotEvaluated.at(node, "a join key that is an array or property bag")
        # a column the event lacks is read as "" (a string column: strings have no null)
        value = "" if value is None else value
        out.append((V.kind(value) if V.kind(value) != "number" else "number", value))
    return tuple(out)


def _merge(left: dict, right: dict, drop: set = frozenset()) -> dict:
    out = dict(left)
    for name, value in right.items():
        if name in drop:
            continue
        if name in out:
            suffix = 1
            while f"{name}{suffix}" in out:
                suffix += 1
            out[f"{name}{suffix}"] = value
        else:
            out[name] = value
    return out


def _parts(node, scope):
    from tooling.languages.kql.tabular import compile_tabular
    kind, right, conditions = None, None, []
    for child in node.children:
        if isinstance(child, Tree) and child.data == "kind_opt":
            kind = str(child.children[0])
        elif isinstance(child, Tree) and child.data == "hint":
            continue
        elif right is None:
            right = compile_tabular(child, scope)[0]
        else:
            conditions.append(child)
    return kind, right, _conditions(conditions, scope)


def _join(node, scope, ordered):
    kind, right, keys = _parts(node, scope)
    kind = kind or "innerunique"
    if kind not in KINDS:
        raise NotEvaluated.at(node, f"join kind={kind}")
    kind = {"anti": "leftanti", "leftantisemi": "leftanti", "rightantisemi": "rightanti"}.get(kind, kind)

    def join(rows, env):
        right_rows = right(env)
        left_keyed = [(_key([lk(cols, env) for lk, _ in keys], node), cols, src) for cols, src in rows]
        right_keyed = [(_key([rk(cols, env) for _, rk in keys], node), cols, src) for cols, src in right_rows]
        index: dict = {}
        for key, cols, src in right_keyed:
            index.setdefault(key, []).append((cols, src))
        if kind == "innerunique":
            firsts: dict = {}
            for key, cols, src in left_keyed:
                if key in firsts:
                    if key in index and (firsts[key][1] != cols or firsts[key][2] != src):
                        raise NotEvaluated.at(node, "join kind=innerunique with several different left rows "
                                                    "for one key (Kusto keeps an arbitrary one)")
                    continue
                firsts[key] = (key, cols, src)
            left_keyed = list(firsts.values())
        out = []
        matched_right = set()
        left_keys = set()
        for key, cols, src in left_keyed:
            env.deadline.check()
            left_keys.add(key)
            partners = index.get(key, [])
            if kind in ("inner", "innerunique", "leftouter", "fullouter", "rightouter"):
                for rcols, rsrc in partners:
                    out.append((_merge(cols, rcols), src | rsrc))
                    matched_right.add(key)
                if not partners and kind in ("leftouter", "fullouter"):
                    out.append((dict(cols), src))
            elif kind == "leftsemi" and partners:
                out.append((cols, src))
            elif kind == "leftanti" and not partners:
                out.append((cols, src))
        if kind in ("rightouter", "fullouter", "rightsemi", "rightanti"):
            for key, cols, src in right_keyed:
                if kind in ("rightouter", "fullouter") and key not in left_keys:
                    out.append((dict(cols), src))
                elif kind == "rightsemi" and key in left_keys:
                    out.append((cols, src))
                elif kind == "rightanti" and key not in left_keys:
                    out.append((cols, src))
        return out
    return join, False


def _lookup(node, scope, ordered):
    kind, right, keys = _parts(node, scope)
    kind = kind or "leftouter"
    if kind not in ("leftouter", "inner"):
        raise NotEvaluated.at(node, f"lookup kind={kind}")
    key_names = {name_of(c) for c in node.children if name_of(c) is not None}

    def lookup(rows, env):
        index: dict = {}
        for cols, src in right(env):
            index.setdefault(_key([rk(cols, env) for _, rk in keys], node), []).append((cols, src))
        out = []
        for cols, src in rows:
            env.deadline.check()
            partners = index.get(_key([lk(cols, env) for lk, _ in keys], node), [])
            for rcols, rsrc in partners:
                out.append((_merge(cols, rcols, key_names), src | rsrc))
            if not partners and kind == "leftouter":
                out.append((cols, src))
        return out
    return lookup, ordered


OPERATORS = {"join_op": _join, "lookup_op": _lookup}
