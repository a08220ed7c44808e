"""KQL scalar expressions compiled to closures `fn(row, env) -> value` (see values.py for the
value model and the documentation facts the operators follow).

`Scope` is what compilation knows: the `let` names bound so far (scalar, tabular or function) and
how to compile a tabular expression (tabular.py, passed in to avoid an import cycle). `Env` is one
evaluation: the events, the deadline, "now" (the latest event time: time filters are relative to
it), and a memo for `let`s evaluated once per evaluation.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.explanation import traced
from tooling.languages.evaluation import NotEvaluated
from tooling.languages.kql import operators
from tooling.languages.kql import values as V
from tooling.languages.kql.tree import name_of, string_value

Fn = Callable[[dict, Any], Any]
TABULAR_NODES = frozenset({"pipeline", "union_op", "datatable", "externaldata", "print_op", "range_op",
                           "find_op", "search_op", "evaluate_op", "table", "let_ref"})


@dataclass
class Binding:
    kind: str  # "scalar" | "tabular" | "function"
    fn: Any = None  # scalar: Fn; tabular: (env) -> rows
    node: Any = None
    ordered: bool = False
    constant: bool = False


class Scope:
    def __init__(self, tabular: Callable, lets: dict | None = None, labels: frozenset = frozenset()):
        self.tabular = tabular  # (node, scope) -> (fn(env) -> rows, ordered)
        self.lets: dict[str, Binding] = dict(lets or {})
        self.labels = labels  # ids of the `extend`s that only name what the results show (labels.py)

    def child(self) -> "Scope":
        return Scope(self.tabular, self.lets, self.labels)


class Env:
    __slots__ = ("events", "deadline", "context", "now", "memo", "tables")

    def __init__(self, events, deadline, context, now: datetime | None):
        self.events = events
        self.deadline = deadline
        self.context = context
        self.now = now or datetime.now(timezone.utc)
        self.memo: dict = {}
        self.tables: dict | None = None


def is_tabular(node: Any, scope: Scope) -> bool:
    while isinstance(node, Tree) and node.data == "paren":
        node = node.children[0]
    if isinstance(node, Tree) and node.data == "let_ref":
        binding = scope.lets.get(name_of(node.children[0]) or "")
        return binding is not None and binding.kind == "tabular"
    if isinstance(node, Token) and node.type == "NAME":
        binding = scope.lets.get(str(node))
        return binding is not None and binding.kind == "tabular"
    return isinstance(node, Tree) and node.data in TABULAR_NODES


def const(value: Any) -> Fn:
    fn = lambda row, env: value  # noqa: E731 - a closure is the compiled form
    fn.constant = True  # type: ignore[attr-defined]
    fn.value = value  # type: ignore[attr-defined]
    return fn


def is_const(fn: Fn) -> bool:
    return getattr(fn, "constant", False)


def mismatch(node: Any, exc: Exception) -> NotEvaluated:
    return NotEvaluated.at(node, f"{exc} (Kusto refuses to compare these types)")


# --- literals ----------------------------------------------------------------------------

def literal_token(token: Token) -> Any:
    text = str(token)
    if token.type == "NUMBER":
        if text.lower().startswith("0x"):
            return int(text, 16)
        return float(text) if any(c in text for c in ".eE") else int(text)
    if token.type == "TIMESPAN":
        value = V.timespan_literal(text)
        if value is None:
            raise NotEvaluated.at(token, f"the timespan {text}")
        return value
    if token.type == "TYPED_LITERAL":
        head, _, rest = text.partition("(")
        body = rest.rstrip()[:-1]
        head = head.strip().lower()
        if body.strip().lower() == "null":
            return None
        if head in ("datetime", "date"):
            value = V.parse_datetime(body)
        elif head in ("timespan", "time"):
            value = V.parse_timespan(body)
        else:
            value = body.strip()  # guid(...)
        if value is None:
            raise NotEvaluated.at(token, f"the literal {text}")
        return value
    raise NotEvaluated.at(token, f"the token {text!r}")


def string_literal(node: Tree) -> str:
    value = string_value(node)
    if value is None:
        raise NotEvaluated.at(node, "a string literal with an escape sequence Kusto does not define")
    return value


def json_value(node: Any) -> Any:
    if isinstance(node, Token):
        if node.type == "NAME":
            names = {"true": True, "false": False, "null": None}
            if str(node) not in names:
                raise NotEvaluated.at(node, f"the dynamic literal value {node}")
            return names[str(node)]
        return literal_token(node)
    data = node.data
    if data == "string":
        return string_literal(node)
    if data == "json_negative":
        return -literal_token(node.children[0])
    if data == "json_array":
        return [json_value(c) for c in node.children if c is not None]
    if data == "json_object":
        out = {}
        for pair in node.children:
            if pair is None:
                continue
            key, value = pair.children
            out[string_literal(key) if isinstance(key, Tree) else str(key)] = json_value(value)
        return out
    raise NotEvaluated.at(node, f"the dynamic literal part {data}")


# --- compile ----------------------------------------------------------------------------

def compile_expr(node: Any, scope: Scope) -> Fn:
    if isinstance(node, Token):
        return _token(node, scope)
    data = node.data
    handler = _HANDLERS.get(data)
    if handler is None:
        if data in TABULAR_NODES:
            raise NotEvaluated.at(node, "a tabular expression used as a scalar value")
        raise NotEvaluated.at(node, f"the expression {data}")
    return handler(node, scope)


def _token(token: Token, scope: Scope) -> Fn:
    if token.type != "NAME":
        if token.type == "STAR":
            raise NotEvaluated.at(token, "`*` as a value")
        return const(literal_token(token))
    name = str(token)
    if name in ("true", "True", "TRUE"):
        return const(True)
    if name in ("false", "False", "FALSE"):
        return const(False)
    if name == "null":
        return const(None)
    binding = scope.lets.get(name)
    if binding is not None:
        return let_value(binding, token, name)
    return column(name)


def column(name: str) -> Fn:
    def get(row, env):
        return row.get(name)
    get.column = name  # type: ignore[attr-defined]
    return get


def let_value(binding: Binding, node: Any, name: str) -> Fn:
    if binding.kind == "tabular":
        raise NotEvaluated.at(node, f"the tabular let {name} used as a scalar value")
    if binding.kind == "function":
        raise NotEvaluated.at(node, f"the function {name} used without a call")
    fn = binding.fn
    if binding.constant:
        return fn

    def get(row, env):
        # A let is evaluated once per query run (memo); a row column of the same name would
        # be ambiguous, and Kusto's precedence rule is not documented: not evaluated.
        if name in row:
            raise NotEvaluated.at(node, f"{name} is both a let name and a column")
        key = id(binding)
        if key not in env.memo:
            env.memo[key] = fn({}, env)
        return env.memo[key]
    return get


def _string(node: Tree, scope: Scope) -> Fn:
    return const(string_literal(node))


def _bracket_name(node: Tree, scope: Scope) -> Fn:
    return column(string_literal(node.children[0]))


def _dynamic(node: Tree, scope: Scope) -> Fn:
    return const(json_value(node.children[0]))


def _paren(node: Tree, scope: Scope) -> Fn:
    inner = node.children[0]
    if is_tabular(inner, scope):
        raise NotEvaluated.at(node, "a sub-query used as a scalar value (use toscalar)")
    return compile_expr(inner, scope)


def _logic(node: Tree, scope: Scope) -> Fn:
    # logical-operators: `and` is true only if both operands are true, `or` if either is;
    # bool(null) and true -> false, bool(null) or true -> true. Short-circuit: the other operand
    # cannot change the result. A chain `a or b or c ...` (pySigma writes hundreds of terms) is
    # one tree level per operator: flattened here, so its length costs no recursion depth.
    operands = []
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, Tree) and current.data == node.data:
            pending.extend(reversed(current.children))  # left to right, as written
        else:
            operands.append(compile_expr(current, scope))
    if len(operands) == 2:
        left, right = operands
        if node.data == "and_":
            return lambda row, env: left(row, env) is True and right(row, env) is True
        return lambda row, env: left(row, env) is True or right(row, env) is True
    # loops rather than all() / any() over a generator: no generator per row
    if node.data == "and_":
        def all_true(row, env):
            for operand in operands:
                if operand(row, env) is not True:
                    return False
            return True
        return all_true

    def any_true(row, env):
        for operand in operands:
            if operand(row, env) is True:
                return True
        return False
    return any_true


def _neg(node: Tree, scope: Scope) -> Fn:
    inner = compile_expr(node.children[0], scope)
    if is_const(inner) and isinstance(inner.value, (int, float, timedelta)):
        return const(-inner.value)

    def neg(row, env):
        value = inner(row, env)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, timedelta)):
            raise NotEvaluated.at(node, "unary minus on a non-number")
        return -value
    return neg


def _pos(node: Tree, scope: Scope) -> Fn:
    return compile_expr(node.children[0], scope)


def _arith(node: Tree, scope: Scope) -> Fn:
    left = compile_expr(node.children[0], scope)
    operator = str(node.children[1].children[0])
    right = compile_expr(node.children[2], scope)

    def arith(row, env):
        a, b = left(row, env), right(row, env)
        if a is None or b is None:
            return None
        a, b = _arith_operands(a, b, node)
        try:
            if operator == "+":
                return a + b
            if operator == "-":
                return a - b
            if operator == "*":
                return a * b
            if operator == "/":
                if isinstance(a, int) and isinstance(b, int):
                    if b == 0:
                        raise NotEvaluated.at(node, "an integer division by zero")
                    quotient = abs(a) // abs(b)  # long division truncates toward zero
                    return quotient if (a >= 0) == (b >= 0) else -quotient
                return a / b if b else None
            if operator == "%":
                if isinstance(a, int) and isinstance(b, int) and b:
                    return a - b * int(a / b)
                raise NotEvaluated.at(node, "a modulo of non-integers or by zero")
        except TypeError:
            raise NotEvaluated.at(node, f"{V.kind(a)} {operator} {V.kind(b)}") from None
        raise NotEvaluated.at(node, f"the operator {operator}")
    return arith


def _arith_operands(a: Any, b: Any, node: Any) -> tuple[Any, Any]:
    for value in (a, b):
        if isinstance(value, (bool, str, dict, list)):
            raise NotEvaluated.at(node, f"arithmetic on a {V.kind(value)} value")
    return a, b


def member(value: Any, key: Any, node: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(key) if isinstance(key, str) else None
    if isinstance(value, list):
        if isinstance(key, int) and not isinstance(key, bool):
            if -len(value) <= key < len(value):
                return value[key]
            return None
        return None
    if isinstance(value, str):
        # Kusto refuses member access on a string column (it needs dynamic, e.g. parse_json).
        raise NotEvaluated.at(node, "a member of a string value (Kusto needs a dynamic value: parse_json)")
    return None


def _dot(node: Tree, scope: Scope) -> Fn:
    base_node, key_node = node.children
    if isinstance(base_node, Token) and str(base_node) in ("$left", "$right"):
        raise NotEvaluated.at(node, f"{base_node} outside a join condition")
    base = compile_expr(base_node, scope)
    if isinstance(key_node, Tree) and key_node.data == "bracket_member":
        key = compile_expr(key_node.children[0], scope)
        return lambda row, env: member(base(row, env), key(row, env), node)
    name = str(key_node)
    return lambda row, env: member(base(row, env), name, node)


def _index(node: Tree, scope: Scope) -> Fn:
    base = compile_expr(node.children[0], scope)
    key = compile_expr(node.children[1], scope)
    return lambda row, env: member(base(row, env), key(row, env), node)


def _call(node: Tree, scope: Scope) -> Fn:
    from tooling.languages.kql.functions import compile_call
    return compile_call(node, scope)


def _method_call(node: Tree, scope: Scope) -> Fn:
    raise NotEvaluated.at(node, "a method call (cluster(), database(), a stored function)")


def _typeof(node: Tree, scope: Scope) -> Fn:
    raise NotEvaluated.at(node, "typeof() as a value")


def _any_column(node: Tree, scope: Scope) -> Fn:
    raise NotEvaluated.at(node, "a comparison over every column (`*`)")


_HANDLERS = {
    "string": _string, "bracket_name": _bracket_name, "dynamic": _dynamic, "paren": _paren,
    "and_": _logic, "or_": _logic, "neg": _neg, "pos": _pos, "arith": _arith, "dot": _dot, "index": _index,
    "call": _call, "method_call": _method_call, "typeof_expr": _typeof, "any_column_compare": _any_column,
}


def _comparison(name: str) -> Callable[[Tree, Scope], Fn]:
    """The compiler of comparison node `name` (operators.py), looked up when it runs; each
    comparison is a leaf predicate for `explain`, with its left operand as the event's value."""
    def compile_comparison(node: Tree, scope: Scope) -> Fn:
        # a comparison with ago()/now() is the query's time window, not what it detects
        window = any(isinstance(child, Tree) and any(_is_clock(sub) for sub in child.iter_subtrees())
                     for child in node.children[1:])
        return traced(node, operators.HANDLERS[name](node, scope), compile_expr(node.children[0], scope),
                      "the event's time" if window else None)
    return compile_comparison


def _is_clock(node: Tree) -> bool:
    return node.data == "call" and bool(node.children) and str(node.children[0]) in ("ago", "now")


_HANDLERS.update({name: _comparison(name) for name in ("compare", "in_list", "between", "matches_regex")})
