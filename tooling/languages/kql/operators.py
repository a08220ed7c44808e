"""KQL comparison operators compiled to closures `fn(row, env) -> value`: the string operators
(`has`, `contains`, `startswith`, ... and their `_cs` / negated forms), equality and ordering,
`in` / `in~` / `has_any` / `has_all` lists, `between` and `matches regex` (values.py has the value
model and the documentation facts they follow).

`scalar.compile_expr` dispatches the comparison nodes here; the operands are compiled back through
it. This module reads `scalar` through the module object, at call time, so that either module can
be imported first.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from lark import Tree

from tooling.languages.evaluation import NotEvaluated, search
from tooling.languages.kql import scalar as S
from tooling.languages.kql import values as V

Fn = Callable[[dict, Any], Any]


def _has(case, prefix, suffix):
    return lambda text, needle: V.term_match(text, needle, case=case, prefix=prefix, suffix=suffix)


def _contains(text: str, needle: str) -> bool:
    return needle.lower() in text.lower()


STRING_OPS: dict[str, tuple[Callable[[str, str], bool], bool]] = {}
for _name, _fn in {
    "has": _has(False, True, True), "has_cs": _has(True, True, True),
    "hasprefix": _has(False, True, False), "hasprefix_cs": _has(True, True, False),
    "hassuffix": _has(False, False, True), "hassuffix_cs": _has(True, False, True),
    "contains": _contains, "contains_cs": lambda t, n: n in t,
    "startswith": lambda t, n: t.lower().startswith(n.lower()), "startswith_cs": lambda t, n: t.startswith(n),
    "endswith": lambda t, n: t.lower().endswith(n.lower()), "endswith_cs": lambda t, n: t.endswith(n),
}.items():
    STRING_OPS[_name] = (_fn, False)
    STRING_OPS["!" + _name] = (_fn, True)
STRING_OPS["notcontains"] = (_contains, True)
STRING_OPS["containscs"] = (STRING_OPS["contains_cs"][0], False)
STRING_OPS["notcontainscs"] = (STRING_OPS["contains_cs"][0], True)


def compare(node: Tree, scope: S.Scope) -> Fn:
    left_node, op_node, right_node = node.children
    operator = str(op_node.children[0])
    left = S.compile_expr(left_node, scope)
    right = S.compile_expr(right_node, scope)
    if operator in STRING_OPS:
        test, negate = STRING_OPS[operator]
        to_text = V.to_text
        if S.is_const(right):
            needle = to_text(right.value)

            def string_op_const(row, env):
                return test(to_text(left(row, env)), needle) is not negate
            return string_op_const

        def string_op(row, env):
            return test(to_text(left(row, env)), to_text(right(row, env))) is not negate
        return string_op
    if operator in ("==", "=", "!=", "<>", "=~", "!~"):
        case = operator not in ("=~", "!~")
        check = V.equal if operator in ("==", "=", "=~") else V.not_equal
        if S.is_const(right) and isinstance(right.value, str) and case:
            wanted = right.value
            positive = check is V.equal

            def string_equal(row, env):
                value = left(row, env)
                if value is None or type(value) is str:
                    return ((value or "") == wanted) is positive
                try:
                    return check(value, wanted, case)
                except V.TypeMismatch as exc:
                    raise S.mismatch(node, exc) from None
            return string_equal

        def equality(row, env):
            try:
                return check(left(row, env), right(row, env), case)
            except V.TypeMismatch as exc:
                raise S.mismatch(node, exc) from None
        return equality
    if operator in ("<", ">", "<=", ">="):
        accept = {"<": (-1,), ">": (1,), "<=": (-1, 0), ">=": (0, 1)}[operator]

        def ordering(row, env):
            try:
                result = V.order(left(row, env), right(row, env))
            except V.TypeMismatch as exc:
                raise S.mismatch(node, exc) from None
            return None if result is None else result in accept
        return ordering
    raise NotEvaluated.at(op_node, f"the operator {operator}")


def list_values(nodes: list, scope: S.Scope) -> Callable[[Any], list]:
    """The values of an `in (...)` / `has_any (...)` list: dynamic arrays are expanded into their
    elements (in-operator: "a dynamic array ... is expanded"); a sub-query gives its first column."""
    parts: list = []
    for item in nodes:
        if S.is_tabular(item, scope):
            table, _ordered = scope.tabular(item, scope)
            parts.append(("table", table))
        else:
            parts.append(("value", S.compile_expr(item, scope)))
    if all(kind == "value" and S.is_const(fn) for kind, fn in parts):
        flat = _flatten([fn.value for _, fn in parts])

        def constant(env):
            return flat
        constant.values = flat  # type: ignore[attr-defined]  # for what can be prepared once
        return constant

    def values(env):
        out: list = []
        for kind, fn in parts:
            if kind == "table":
                for cols, _src in fn(env):
                    out.append(next(iter(cols.values()), None) if cols else None)
            else:
                out.append(fn({}, env))
        return _flatten(out)
    return values


def _flatten(items: list) -> list:
    out: list = []
    for item in items:
        if isinstance(item, list):
            out.extend(item)
        else:
            out.append(item)
    return out


def _needle(value: Any) -> tuple[str, str | None]:
    """A has_any / has_all needle as term_match reads it (case-insensitive): folded, with why it
    is not searched (None when it is)."""
    needle = V.to_text(value)
    return needle.lower(), V.term_problem(needle)


def in_list(node: Tree, scope: S.Scope) -> Fn:
    left_node, op_node, *items = node.children
    operator = str(op_node.children[0])
    left = S.compile_expr(left_node, scope)
    values = list_values(items, scope)
    negate = operator.startswith("!")
    base = operator.lstrip("!")
    if base in ("has_any", "has_all"):
        # has_any is true at the first needle found, has_all false at the first one missing
        wanted = base == "has_any"
        constant = getattr(values, "values", None)
        prepared = [_needle(n) for n in constant] if constant is not None else None

        def has_list(row, env):
            text = V.to_text(left(row, env))
            needles = prepared if prepared is not None else [_needle(n) for n in values(env)]
            if base == "has_all" and not needles:
                raise NotEvaluated.at(node, "has_all with an empty list (not documented)")
            folded = text.lower()  # once for all the needles
            for needle, problem in needles:
                if problem is not None:
                    raise NotEvaluated(problem)  # as term_match, when this needle is reached
                if V.term_found(folded, needle, True, True) is wanted:
                    return wanted
            return not wanted
        return has_list
    case = base == "in"

    def in_list(row, env):
        value = left(row, env)
        found = False
        for candidate in values(env):
            try:
                if V.equal(value, candidate, case) is True:
                    found = True
                    break
            except V.TypeMismatch as exc:
                raise S.mismatch(node, exc) from None
        return found is not negate
    return in_list


def between(node: Tree, scope: S.Scope) -> Fn:
    left_node, op_node, low_node, high_node = node.children
    negate = str(op_node.children[0]).startswith("!")
    left, low, high = (S.compile_expr(n, scope) for n in (left_node, low_node, high_node))

    def between(row, env):
        value, start, end = left(row, env), low(row, env), high(row, env)
        if isinstance(end, timedelta) and not isinstance(start, timedelta) and start is not None:
            end = start + end  # `between (datetime .. timespan)`: the range [start, start + span]
        try:
            lower, upper = V.order(value, start), V.order(value, end)
        except V.TypeMismatch as exc:
            raise S.mismatch(node, exc) from None
        if lower is None or upper is None:
            return None
        return (lower >= 0 and upper <= 0) is not negate
    return between


def matches(node: Tree, scope: S.Scope) -> Fn:
    left_node, pattern_node = node.children
    left = S.compile_expr(left_node, scope)
    pattern = S.compile_expr(pattern_node, scope)
    if S.is_const(pattern):
        compiled = V.re2(V.to_text(pattern.value), pattern_node)
        return lambda row, env: search(compiled, V.to_text(left(row, env)))
    return lambda row, env: search(V.re2(V.to_text(pattern(row, env)), pattern_node), V.to_text(left(row, env)))


HANDLERS = {"compare": compare, "in_list": in_list, "between": between, "matches_regex": matches}
