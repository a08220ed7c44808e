"""SPL evaluation: eval expressions (eval, where, `count(eval(...))`), compiled to closures.

Semantics (Splunk Search Reference, "eval", "where", "Evaluation functions"; Search Manual,
"Types of expressions", "Boolean expressions"):
- Values are null (None), text, numbers, Booleans (only inside an expression: "The result of an
  eval expression cannot be a Boolean") and multivalue lists.
- "The eval and where commands evaluate AND before OR"; NOT binds tightest.
- `=` and `==` compare text case-sensitively ("The <eval-expression> is case-sensitive", where);
  two numbers, or a number and text that reads as one, compare numerically.
- `where` "returns only the results for which the eval expression returns true": null is not.
- A comparison or a function of a null value is null; `.` concatenates text and is null when a
  side is null; "If, at search time, the expression cannot be evaluated successfully for a given
  event, the eval command erases the value in the result field" (arithmetic on text: null).
- `LIKE` / like(): `%` any run of characters, `_` one character, the whole value, case-sensitive.
Undocumented, read conservatively (not evaluated): two texts that are equal only as numbers
("1" vs "1.0"); `<`/`>` between texts; NOT of a null; a multivalue field in a comparison or a
single-value function; a non-Boolean where a Boolean is needed.
"""
from __future__ import annotations

import operator
from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import MISSING, NotEvaluated, fullmatch
from tooling.languages.spl.leaves import compound, leaf
from tooling.languages.spl.values import Row, get, number, show_number, text_of, unquote_eval, unquote_field

Value = Callable[[Row, Any], Any]

_LITERALS = {"true": True, "false": False, "null": None}  # "Types of expressions": Boolean and null literals


def compile_expr(node: Any) -> Value:
    """Comparisons, LIKE, IN and the Boolean functions are leaves (`leaves.leaf`); a Boolean
    expression expanded from one macro call is one leaf at the call (leaves.py)."""
    if isinstance(node, Token):
        return _token(node)
    kind = node.data
    compiler = _NODES.get(kind)
    if compiler is None:
        raise NotEvaluated.at(node, f"the eval construct {kind}")
    if _boolean_node(node):
        expansion = compound(node, lambda: compiler(node))
        if expansion is not None:
            return expansion
    return compiler(node)


# Nodes whose value is a Boolean (or null): only those can be a leaf a flip negates.
_BOOLEAN_NODES = frozenset({"xor_expr", "or_expr", "and_expr", "negation", "compare", "like", "not_like",
                            "in_expr", "not_in_expr", "in_call", "like_call"})
BOOLEAN_FUNCTIONS = frozenset({"match", "like", "in", "cidrmatch", "searchmatch", "isnull", "isnotnull",
                               "isnum", "isstr", "isint"})


def _boolean_node(node: Tree) -> bool:
    if node.data == "call":
        return str(node.children[0]).lower() in BOOLEAN_FUNCTIONS
    return node.data in _BOOLEAN_NODES


def shown(node: Any, compiled: Value) -> Value:
    """The event's value an operand gives a leaf: a field the row lacks is MISSING (eval reads
    it as null), anything else its value."""
    if isinstance(node, Token) and node.type in ("NAME", "SQFIELD") and str(node) not in _LITERALS:
        name = unquote_field(str(node)) if node.type == "SQFIELD" else str(node)

        def field_value(row: Row, run: Any) -> Any:
            value = get(row.fields, name)
            return MISSING if value is None and name not in row.fields else value
        return field_value
    return compiled


def _subject(nodes: list, compiled: list) -> Value:
    """The operand a comparison tests: the first that reads a field, else the first."""
    for node, value in zip(nodes, compiled):
        if not (isinstance(node, Token) and node.type in ("STRING", "NUMBER")):
            return shown(node, value)
    return shown(nodes[0], compiled[0])


def _token(token: Token) -> Value:
    kind = token.type
    text = str(token)
    if kind == "NAME":
        if text in _LITERALS:
            constant = _LITERALS[text]
            return lambda row, run: constant
        return lambda row, run: get(row.fields, text)
    if kind == "SQFIELD":
        name = unquote_field(text)
        return lambda row, run: get(row.fields, name)
    if kind == "STRING":
        literal = unquote_eval(text)
        return lambda row, run: literal
    if kind == "NUMBER":
        value = float(text)
        constant = show_number(value) if "." not in text and "e" not in text.lower() else value
        return lambda row, run: constant
    if kind == "MACRO":
        raise NotEvaluated.at(token, f"the macro {text} (not expanded)")
    if kind in ("TOKEN", "FOREACH_TOKEN"):
        raise NotEvaluated.at(token, f"the placeholder {text}")
    raise NotEvaluated.at(token, f"the eval token {kind}")


# --- logic ------------------------------------------------------------------------------------

def boolean(value: Any, node: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise NotEvaluated.at(node, "a value that is not a Boolean used as a condition")


def _and(node: Tree) -> Value:
    parts = [compile_expr(child) for child in node.children]

    def run_and(row: Row, run: Any) -> Any:
        unknown = False
        for part in parts:
            value = part(row, run)
            if value is not True and value is not False:
                value = boolean(value, node)  # null, or an error
            if value is False:
                return False
            unknown = unknown or value is None
        return None if unknown else True
    return run_and


def _or(node: Tree) -> Value:
    parts = [compile_expr(child) for child in node.children]

    def run_or(row: Row, run: Any) -> Any:
        unknown = False
        for part in parts:
            value = part(row, run)
            if value is not True and value is not False:
                value = boolean(value, node)  # null, or an error
            if value is True:
                return True
            unknown = unknown or value is None
        return None if unknown else False
    return run_or


def _xor(node: Tree) -> Value:
    parts = [compile_expr(child) for child in node.children]

    def run_xor(row: Row, run: Any) -> Any:
        values = [boolean(part(row, run), node) for part in parts]
        if any(value is None for value in values):
            return None
        return sum(values) % 2 == 1
    return run_xor


def _not(node: Tree) -> Value:
    inner = compile_expr(node.children[0])

    def run_not(row: Row, run: Any) -> Any:
        value = boolean(inner(row, run), node)
        if value is None:
            raise NotEvaluated.at(node, "NOT of a null value (its result is undocumented)")
        return not value
    return run_not


# --- comparison -------------------------------------------------------------------------------

def scalar(value: Any, node: Any) -> Any:
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return value[0]
        raise NotEvaluated.at(node, "a multivalue field where one value is needed")
    if isinstance(value, dict):
        raise NotEvaluated.at(node, "a field holding an object")
    return value


def equal(left: Any, right: Any, node: Any) -> bool | None:
    if type(left) is not str or type(right) is not str:  # two texts (most calls) need none of this
        left, right = scalar(left, node), scalar(right, node)
        if left is None or right is None:
            return None
        if isinstance(left, bool) or isinstance(right, bool):
            if isinstance(left, bool) and isinstance(right, bool):
                return left == right
            raise NotEvaluated.at(node, "a Boolean compared with a value")
    if isinstance(left, str) and isinstance(right, str):
        if left == right:
            return True
        as_left = number(left)  # the right one's number only counts when the left is one
        if as_left is not None and as_left == number(right):
            raise NotEvaluated.at(node, f"texts equal only as numbers ({left[:30]!r}, {right[:30]!r}): undocumented")
        return False
    as_left, as_right = number(left), number(right)
    if as_left is not None and as_right is not None:
        return as_left == as_right
    return text_of(left) == text_of(right)


def _relation(op: Callable, left: Any, right: Any, node: Any) -> bool | None:
    left, right = scalar(left, node), scalar(right, node)
    if left is None or right is None:
        return None
    as_left, as_right = number(left), number(right)
    if as_left is None or as_right is None or isinstance(left, bool) or isinstance(right, bool):
        raise NotEvaluated.at(node, "an order comparison of values that are not both numbers (undocumented)")
    return op(as_left, as_right)


_ORDER = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


def _compare(node: Tree) -> Value:
    left_node, op_token, right_node = node.children
    left, right = compile_expr(left_node), compile_expr(right_node)
    value_of = _subject([left_node, right_node], [left, right])
    op = str(op_token)
    if op in ("=", "=="):
        return leaf(node, lambda row, run: equal(left(row, run), right(row, run), node), value_of)
    if op == "!=":
        def differs(row: Row, run: Any) -> Any:
            same = equal(left(row, run), right(row, run), node)
            return None if same is None else not same
        return leaf(node, differs, value_of)
    test = _ORDER[op]
    return leaf(node, lambda row, run: _relation(test, left(row, run), right(row, run), node), value_of)


def like_regex(pattern: str) -> Any:
    import regex

    body = "".join(".*" if c == "%" else "." if c == "_" else regex.escape(c) for c in pattern)
    return regex.compile(body, regex.DOTALL)


def like(value: Any, pattern: Any, node: Any) -> bool | None:
    value, pattern = scalar(value, node), scalar(pattern, node)
    if value is None or pattern is None:
        return None
    return fullmatch(like_regex(text_of(pattern)), text_of(value))


def _like(node: Tree, negated: bool = False) -> Value:
    left, right = compile_expr(node.children[0]), compile_expr(node.children[1])

    def run_like(row: Row, run: Any) -> Any:
        found = like(left(row, run), right(row, run), node)
        return found if found is None or not negated else not found
    return leaf(node, run_like, shown(node.children[0], left))


def member(value: Any, options: list, node: Any) -> bool | None:
    value = scalar(value, node)
    if value is None:
        return None
    return any(equal(value, option, node) for option in options if option is not None)


def _in(node: Tree, negated: bool = False) -> Value:
    left = compile_expr(node.children[0])
    options = [compile_expr(child) for child in node.children[1].children] if len(node.children) > 1 else []

    def run_in(row: Row, run: Any) -> Any:
        found = member(left(row, run), [option(row, run) for option in options], node)
        return found if found is None or not negated else not found
    return leaf(node, run_in, shown(node.children[0], left))


# --- arithmetic and concatenation -----------------------------------------------------------------

def _sum(node: Tree) -> Value:
    children = node.children
    first = compile_expr(children[0])
    steps = [(str(children[i]), compile_expr(children[i + 1])) for i in range(1, len(children), 2)]

    def run_sum(row: Row, run: Any) -> Any:
        value = first(row, run)
        for op, part in steps:
            value = _arith(op, value, part(row, run), node)
        return value
    return run_sum


def _product(node: Tree) -> Value:
    return _sum(node)


def _arith(op: str, left: Any, right: Any, node: Any) -> Any:
    left, right = scalar(left, node), scalar(right, node)
    if left is None or right is None:
        return None
    if isinstance(left, bool) or isinstance(right, bool):
        raise NotEvaluated.at(node, "arithmetic on a Boolean")
    if op == ".":
        return text_of(left) + text_of(right)
    as_left, as_right = number(left), number(right)
    if op == "+" and isinstance(left, str) and isinstance(right, str) and (as_left is None or as_right is None):
        if as_left is None and as_right is None:
            return left + right  # "+" concatenates two strings
        raise NotEvaluated.at(node, "+ between a number and text (undocumented)")
    if as_left is None or as_right is None:
        return None  # arithmetic on text: "eval erases the value"
    if op == "+":
        return show_number(as_left + as_right)
    if op == "-":
        return show_number(as_left - as_right)
    if op == "*":
        return show_number(as_left * as_right)
    if as_right == 0:
        return None
    if op == "/":
        return show_number(as_left / as_right)
    return show_number(as_left % as_right)


def _sign(node: Tree) -> Value:
    inner = compile_expr(node.children[0])

    def run_sign(row: Row, run: Any) -> Any:
        value = number(scalar(inner(row, run), node))
        return None if value is None else show_number(-value)
    return run_sign


def _call(node: Tree) -> Value:
    from tooling.languages.spl.functions import compile_call

    name_token = node.children[0]
    arguments = node.children[1].children if len(node.children) > 1 else []
    return compile_call(str(name_token).lower(), [compile_expr(a) for a in arguments], arguments, node)


def _in_call(node: Tree) -> Value:
    arguments = [compile_expr(a) for a in node.children[0].children]
    if len(arguments) < 2:
        raise NotEvaluated.at(node, "in() with fewer than two arguments")
    first, rest = arguments[0], arguments[1:]
    return leaf(node, lambda row, run: member(first(row, run), [option(row, run) for option in rest], node),
                shown(node.children[0].children[0], first))


def _like_call(node: Tree) -> Value:
    arguments = [compile_expr(a) for a in node.children[0].children]
    if len(arguments) != 2:
        raise NotEvaluated.at(node, "like() without exactly two arguments")
    left, right = arguments
    return leaf(node, lambda row, run: like(left(row, run), right(row, run), node),
                shown(node.children[0].children[0], left))


def _subsearch(node: Tree) -> Value:
    raise NotEvaluated.at(node, "a subsearch inside an expression")


_NODES: dict[str, Callable[[Tree], Value]] = {
    "xor_expr": _xor, "or_expr": _or, "and_expr": _and, "negation": _not, "compare": _compare,
    "like": _like, "not_like": lambda n: _like(n, True), "in_expr": _in, "not_in_expr": lambda n: _in(n, True),
    "sum_expr": _sum, "product": _product, "sign": _sign, "call": _call, "in_call": _in_call,
    "like_call": _like_call, "subsearch": _subsearch,
}
