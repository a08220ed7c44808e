"""Expressions of the LogScale evaluator: `field := expression`, test(), if() and the arguments of
functions that take expressions. Each compiles into `(row, env) -> str | None` (None: no value).

Documented (library.humio.com, "Expressions"): "there are no types associated with values at run
time, values are basically strings that are interpreted in the context they are used"; the basic
expressions are "literal strings, like "some test", literal booleans like false, and literal
numbers, like 1, 0.5"; an unquoted name is a field of the event; `a := "2" | b := 4 / lower(a)`
gives b = 2 (numbers without a fraction are written as integers).

Not documented, so not evaluated (a decision that reads such a value raises NotEvaluated): a
comparison or arithmetic with a field the event does not have, `<`/`>` on values that are not both
numbers, `==` where the numeric and the text reading disagree ("1.0" == "1"), `=~` in an
expression.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import NotEvaluated
from tooling.languages.logscale.values import ValueProblem, as_number, number_text, string_literal, value_of

Evaluator = Callable[[Any, Any], "str | None"]
_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$")


def compile_expr(node: Any) -> Evaluator:
    if isinstance(node, Token):
        return _token(node)
    kind = node.data
    if kind == "expr_or":
        parts = [compile_expr(c) for c in node.children if not isinstance(c, Token) or c.type != "OR"]
        return lambda row, env: _bool(any(truth(p(row, env), node) for p in parts))
    if kind == "expr_and":
        parts = [compile_expr(c) for c in node.children if not isinstance(c, Token) or c.type != "AND"]
        return lambda row, env: _bool(all(truth(p(row, env), node) for p in parts))
    if kind == "not_expr":
        inner = compile_expr(node.children[-1])
        return lambda row, env: _bool(not truth(inner(row, env), node))
    if kind == "expr_compare":
        return _compare(node)
    if kind in ("expr_sum", "expr_product"):
        return _arithmetic(node)
    if kind == "negate":
        inner = compile_expr(node.children[0])
        return lambda row, env: number_text(-_number(inner(row, env), node))
    if kind == "call":
        from tooling.languages.logscale.calls import value_function  # noqa: PLC0415 - cycle

        return value_function(node)
    raise NotEvaluated.at(node, f"the expression {kind.replace('_', ' ')}")


def fields_read(node: Any) -> list[str]:
    """The event fields an expression reads, in order, each once (function names and argument
    names are not fields): what `explain` shows for a test() that reads one field."""
    names: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, Token):
            text = str(item)
            if item.type == "NAME" and not _NUMBER.match(text) and text not in ("true", "false") \
                    and text not in names:
                names.append(text)
            return
        if item.data == "call":
            children = item.children[1:]
        elif item.data == "named_argument":
            children = [] if str(item.children[0]).lower() == "as" else item.children[1:]
        else:
            children = item.children
        for child in children:
            if isinstance(child, (Token, Tree)):
                walk(child)
    walk(node)
    return names


def _token(token: Token) -> Evaluator:
    text = str(token)
    if token.type == "STRING":
        value = string_literal(token)
        return lambda row, env: value
    if token.type == "NAME":
        if _NUMBER.match(text):
            return lambda row, env: text
        if text in ("true", "false"):
            return lambda row, env: text
        return lambda row, env: value_of(row.fields, text)
    raise NotEvaluated.at(token, f"the value {text!r} in an expression")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def truth(value: str | None, node: Any) -> bool:
    if value == "true":
        return True
    if value == "false":
        return False
    if value is None:
        raise ValueProblem("a condition on a field the event does not have (undocumented in an expression)")
    raise ValueProblem(f"a condition whose value {value[:40]!r} is not true or false")


def _number(value: str | None, node: Any) -> float | int:
    if value is None:
        raise ValueProblem("arithmetic with a field the event does not have (undocumented)")
    number = as_number(value)
    if number is None:
        raise ValueProblem(f"arithmetic on {value[:40]!r}, which is not a number")
    return number


def _compare(node: Tree) -> Evaluator:
    left_node, op_node, right_node = node.children
    op = str(op_node.children[0])
    if op == "=~":
        raise NotEvaluated.at(op_node, "=~ in an expression")
    left, right = compile_expr(left_node), compile_expr(right_node)

    def compare(row, env):
        a, b = left(row, env), right(row, env)
        if a is None or b is None:
            raise ValueProblem("a comparison with a field the event does not have (undocumented in an expression)")
        x, y = as_number(a), as_number(b)
        if op in ("==", "!="):
            same_text = a == b
            if x is not None and y is not None and (x == y) != same_text:
                raise ValueProblem(f"{a!r} {op} {b!r}: the numeric and the text reading disagree (undocumented)")
            return _bool(same_text if op == "==" else not same_text)
        if x is None or y is None:
            raise ValueProblem(f"{a[:40]!r} {op} {b[:40]!r} on values that are not both numbers (undocumented)")
        return _bool({"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op])
    return compare


def _arithmetic(node: Tree) -> Evaluator:
    operands = [compile_expr(c) for c in node.children[0::2]]
    operators = [str(c.children[0]) for c in node.children[1::2]]

    def compute(row, env):
        total = _number(operands[0](row, env), node)
        for op, operand in zip(operators, operands[1:]):
            value = _number(operand(row, env), node)
            if op == "+":
                total = total + value
            elif op == "-":
                total = total - value
            elif op == "*":
                total = total * value
            elif value == 0:
                raise ValueProblem("a division by zero")
            elif op == "/":
                total = total / value
            else:
                total = total % value
        return number_text(total)
    return compute
