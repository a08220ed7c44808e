"""Sumo Logic expressions (where, if, field expressions) compiled into closures.

Each expression becomes `fn(row, mode) -> value`, where a row is a dict of lower-cased field
names ("field names are case-insensitive") and mode is one of the null readings of
values.py (KLEENE, FALSE, NEGATED). Values are text, numbers (float), booleans or None (null).
"""
from __future__ import annotations

from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import NotEvaluated
from tooling.languages.sumo.leaves import expression_leaf, negation_span
from tooling.languages.sumo.tree import field_name
from tooling.languages.sumo.values import (
    KLEENE, NEGATED, Pattern, as_number, compare, number_literal, regex_literal, string_literal,
    text_of, truth, wildcard, wildcard_fullmatch,
)

Expr = Callable[[dict, int], Any]


def _null_atom(mode: int, negative: bool) -> bool | None:
    """What a comparison with a null operand gives under each reading."""
    if mode == KLEENE:
        return None
    return negative and mode == NEGATED


def _connective(operands: list[Expr], node: Any, decisive: bool) -> Expr:
    """A chain `a and b and c` (decisive False) or `a or b or c` (decisive True) as one closure
    (Kleene: the decisive value wins, then unknown)."""
    def run(row: dict, mode: int) -> Any:
        unknown = False
        for operand in operands:
            value = operand(row, mode)
            if value is not None and value is not True and value is not False:
                value = truth(value, node)  # a text read as a condition (a leaf gives a boolean)
            if value is decisive:
                return decisive
            unknown = unknown or value is None
        return None if unknown else not decisive
    return run


def _chain(node: Tree, kind: str) -> list[Any]:
    """The operands of a left-nested chain of one operator (`a or b or c` is or(or(a, b), c)),
    in order, gathered without recursion: a converted rule may join hundreds of terms."""
    operands: list[Any] = []
    while isinstance(node, Tree) and node.data == kind:
        operands.append(node.children[-1])
        node = node.children[0]
    operands.append(node)
    operands.reverse()
    return operands


def _not(inner: Expr, node: Any) -> Expr:
    def run(row: dict, mode: int) -> Any:
        value = truth(inner(row, mode), node)
        if value is None:
            return None if mode == KLEENE else True  # a null condition is false in those readings
        return not value
    return run


def condition_value(value: Any, mode: int, node: Any) -> bool | None:
    """A condition under a reading: in the two-valued readings a null condition is false."""
    result = truth(value, node)
    return False if result is None and mode != KLEENE else result


def _compare(node: Tree, left: Expr, right: Expr) -> Expr:
    op = str(node.children[1])
    negative = op in ("!=", "<>")
    equality = op in ("=", "==", "!=", "<>")

    def run(row: dict, mode: int) -> Any:
        a, b = left(row, mode), right(row, mode)
        if a is None or b is None:
            return _null_atom(mode, negative)
        if equality and type(a) is str and type(b) is str:
            return (a == b) != negative  # compare's first case, without the call
        return compare(op, a, b, node)
    return run


def _matches(node: Tree, compile_expr: Callable) -> tuple[Expr, Expr]:
    negative = any(isinstance(c, Token) and c.type == "NOT" for c in node.children)
    subject = compile_expr(node.children[0])
    pattern_node = node.children[-1]
    # "The matches operator can be used to match a string to a wildcard pattern or an RE2-compliant
    # regex"; "The string expression is case-sensitive" (matches.md). A wildcard pattern is the
    # whole value ("*Windows NT*"). A /regex/ must also match the whole value: the docs do not say
    # it in words, but Sumo Logic's own Sigma backend (SumoLogic/pySigma-backend-sumologic,
    # sumologic.py) writes contains as `matches /.*value.*/`, startswith as `/value.*/` and
    # endswith as `/.*value/`, which only makes sense for a whole-value match.
    if isinstance(pattern_node, Token) and pattern_node.type == "REGEX":
        compiled = regex_literal(pattern_node)

        def test(text: str) -> bool:
            return compiled.fullmatch(text)
    elif isinstance(pattern_node, Token) and pattern_node.type == "STRING":
        literal = wildcard(string_literal(pattern_node))

        def test(text: str) -> bool:
            return wildcard_fullmatch(literal, text, pattern_node)
    else:
        dynamic = compile_expr(pattern_node)  # a field holding a wildcard pattern (matches.md example)

        def run_dynamic(row: dict, mode: int) -> Any:
            value, pattern = subject(row, mode), dynamic(row, mode)
            if value is None or pattern is None:
                return _null_atom(mode, negative)
            found = wildcard_fullmatch(wildcard(str(text_of(pattern))), str(text_of(value)), pattern_node)
            return found != negative
        return run_dynamic, subject

    def run(row: dict, mode: int) -> Any:
        value = subject(row, mode)
        if value is None:
            return _null_atom(mode, negative)
        if not isinstance(value, str):
            value = text_of(value)
        return test(value) != negative
    return run, subject


def _contains(node: Tree, left: Expr, right: Expr) -> Expr:
    negative = any(isinstance(c, Token) and c.type == "NOT" for c in node.children)

    def run(row: dict, mode: int) -> Any:
        a, b = left(row, mode), right(row, mode)
        if a is None or b is None:
            return _null_atom(mode, negative)
        return contains(a, b, node) != negative
    return run


def contains(a: Any, b: Any, node: Any) -> bool:
    """contains.md: "The full string of field2 must exist within field1", "case-sensitive",
    "Requires field values to be strings"; "true if field1 and field2 are empty, and false when
    only one is empty"."""
    if not isinstance(a, str) or not isinstance(b, str):
        raise NotEvaluated.at(node, "contains on a value that is not text")
    if not a or not b:
        return not a and not b
    return b in a


def _in(node: Tree, compile_expr: Callable) -> tuple[Expr, Expr]:
    children = node.children
    negative = any(isinstance(c, Token) and c.type == "NOT" for c in children)
    subject = compile_expr(children[0])
    start = next(i for i, c in enumerate(children) if isinstance(c, Token) and c.type == "IN") + 1
    options = [compile_expr(c) for c in children[start:]]

    def run(row: dict, mode: int) -> Any:
        value = subject(row, mode)
        if value is None:
            return _null_atom(mode, negative)
        found = False
        for option in options:
            wanted = option(row, mode)
            if wanted is None:
                continue
            if isinstance(value, str) != isinstance(wanted, str):
                # in.md compares with the values given; where.md: "If you're using in or not in to
                # match integers, cast x to a number first": text against a number is not documented.
                raise NotEvaluated.at(node, "'in' comparing text with a number")
            if (value == wanted) if isinstance(value, str) else compare("=", value, wanted, node):
                found = True
                break
        return found != negative
    return run, subject


def _arith(node: Tree, left: Expr, right: Expr) -> Expr:
    op = str(node.children[1])

    def run(row: dict, mode: int) -> Any:
        a, b = left(row, mode), right(row, mode)
        if a is None or b is None:
            return None
        x, y = as_number(a), as_number(b)
        if x is None or y is None:
            raise NotEvaluated.at(node, f"arithmetic '{op}' on text that is not a number")
        if op in ("/", "%") and y == 0:
            raise NotEvaluated.at(node, "a division by zero")
        return {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else 0.0, "%": x % y if y else 0.0}[op]
    return run


def field_getter(name: str, produced: frozenset | None = None) -> Expr:
    def run(row: dict, mode: int) -> Any:
        return row.get(name)
    return run


def _token(token: Token, node_position: Any) -> Expr:
    kind = token.type
    if kind == "NUMBER":
        value = number_literal(str(token), token)
        return lambda row, mode: value
    if kind == "STRING":
        text = string_literal(token)
        return lambda row, mode: text
    if kind in ("NAME", "FIELD_REF"):
        name = field_name(token)
        if kind == "NAME" and name in ("true", "false"):
            flag = name == "true"  # "The words true and false act as if they were reserved"
            return lambda row, mode: flag
        if kind == "NAME" and name == "null":
            raise NotEvaluated.at(token, "the word null as a value")
        return field_getter(name)
    if kind == "PLACEHOLDER":
        raise NotEvaluated.at(token, "a {{placeholder}} (its value is not known offline)")
    if kind == "SQSTRING":
        raise NotEvaluated.at(token, "a single-quoted string (Sumo Logic's string literals are double-quoted)")
    if kind == "REGEX":
        raise NotEvaluated.at(token, "a /regex/ outside matches or replace")
    raise NotEvaluated.at(token, f"the value {str(token)!r}")


def _is_literal(node: Any) -> bool:
    return isinstance(node, Token) and node.type in ("STRING", "NUMBER")


def _is_field(node: Any) -> bool:
    return isinstance(node, Token) and node.type in ("NAME", "FIELD_REF") and \
        not (node.type == "NAME" and field_name(node) in ("true", "false", "null"))


def _ungrouped(node: Any) -> Any:
    while isinstance(node, Tree) and node.data == "group":
        node = node.children[0]
    return node


def _leaf_parts(node: Any, condition: bool) -> tuple[Expr, Expr] | None:
    """A leaf predicate as (its closure, the closure of the event's value it tests), or None for
    any other node. Leaves: the comparisons (=, !=, <, matches, in, contains, with their `not`
    forms), the predicate functions (isNull, isEmpty, isBlank, isNumeric, contains) and, where
    `condition` (a value read as a condition), a field (`| where valid`)."""
    if isinstance(node, Token):
        if condition and _is_field(node):
            value = compile_expr(node)
            return value, value
        return None
    kind, children = node.data, node.children
    if kind == "compare":
        left, right = compile_expr(children[0]), compile_expr(children[2])
        # the event's value is the field's side (`"1" = event_id` too)
        subject = right if _is_literal(children[0]) and not _is_literal(children[2]) else left
        return _compare(node, left, right), subject
    if kind == "matches":
        return _matches(node, compile_expr)
    if kind == "contains":
        left = compile_expr(children[0])
        return _contains(node, left, compile_expr(children[-1])), left
    if kind == "in":
        return _in(node, compile_expr)
    if kind == "call":
        from tooling.languages.sumo.functions import predicate_call

        return predicate_call(node, compile_expr)
    return None


def compile_condition(node: Any) -> Expr:
    """An expression used as a condition (where, and / or / not operands, if): as compile_expr,
    and a field read as a condition (`| where valid`) is a leaf predicate of its own."""
    inner = _ungrouped(node)
    if _is_field(inner):
        return expression_leaf(inner, *_leaf_parts(inner, True))
    return compile_expr(node)


def _negation(node: Tree) -> Expr:
    """`not x` / `!x`. Over one leaf it is recorded as one negative leaf (`!isNull(x)`,
    `!(x matches "*a*")`), as `!=` and `not matches` are: the explanation then quotes what held
    or did not. Over `and` / `or` it is structure."""
    operand = _ungrouped(node.children[-1])
    parts = _leaf_parts(operand, True)
    if parts is None:
        return _not(compile_condition(node.children[-1]), node)
    run, subject = parts
    return expression_leaf(negation_span(node, operand), _not(run, node), subject, node)


def compile_expr(node: Any) -> Expr:
    """An expression node as a closure."""
    if isinstance(node, Token):
        return _token(node, node)
    kind = node.data
    children = node.children
    if kind == "group":
        return compile_expr(children[0])
    if kind in ("and", "or"):
        operands = [compile_condition(operand) for operand in _chain(node, kind)]
        return _connective(operands, node, decisive=kind == "or")
    if kind == "not":
        return _negation(node)
    if kind in ("compare", "matches", "contains", "in"):
        return expression_leaf(node, *_leaf_parts(node, False))
    if kind == "arith":
        return _arith(node, compile_expr(children[0]), compile_expr(children[2]))
    if kind == "negative":
        inner = compile_expr(children[0])

        def negative(row: dict, mode: int) -> Any:
            value = inner(row, mode)
            number = as_number(value) if value is not None else None
            if value is not None and number is None:
                raise NotEvaluated.at(node, "a minus sign before text that is not a number")
            return None if value is None else -number
        return negative
    if kind == "conditional":
        from tooling.languages.sumo.functions import conditional

        return conditional(node, compile_condition(children[0]), *(compile_expr(c) for c in children[1:3]))
    if kind == "call":
        from tooling.languages.sumo.functions import compile_call

        return compile_call(node, compile_expr)
    if kind == "placeholder_condition":
        raise NotEvaluated.at(node, "a {{placeholder}} condition (its value is not known offline)")
    if kind == "subquery":
        raise NotEvaluated.at(node, "a subquery")
    raise NotEvaluated.at(node, f"the expression {kind}")


__all__ = ["Expr", "Pattern", "compile_condition", "compile_expr", "condition_value", "contains", "field_getter"]
