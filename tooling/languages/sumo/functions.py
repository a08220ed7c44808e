"""Sumo Logic functions used in expressions (`if`, `isNull`, `replace`, ...), as closures.

Each cites the documentation page (SumoLogic/sumologic-documentation,
docs/search/search-query-language/search-operators/<page>.md) it follows. A function this
module does not know raises NotEvaluated with its name and position.
"""
from __future__ import annotations

import re
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

from lark import Token, Tree

from tooling.languages.evaluation import NotEvaluated
from tooling.languages.sumo.leaves import expression_leaf
from tooling.languages.sumo.values import KLEENE, READINGS, as_number, regex_literal, text_of, truth

Expr = Callable[[dict, int], Any]


def choose(condition: Expr, row: dict, mode: int, node: Any) -> bool:
    """The branch an if() / ?: takes. Under the Kleene reading an unknown condition takes the
    false branch only when every other null reading agrees (values.py)."""
    value = condition(row, mode)
    if value is True or value is False:  # most conditions are a leaf, which gives a boolean
        return value
    value = truth(value, node)
    if value is not None:
        return value
    if mode == KLEENE and any(truth(condition(row, r), node) for r in READINGS):
        raise NotEvaluated.at(node, "an if() whose condition compares a null field (Sumo Logic does not "
                                    "document how null compares)")
    return False


def conditional(node: Any, condition: Expr, yes: Expr, no: Expr) -> Expr:
    """if.md: "returns value_if_true if the condition is true, else value_if_false"."""
    def run(row: dict, mode: int) -> Any:
        return yes(row, mode) if choose(condition, row, mode, node) else no(row, mode)
    return run


def _is_null(value: Any) -> bool:
    return value is None


def _is_empty(value: Any) -> bool:
    return value is None or value == ""


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# isnull-isempty-isblank.md: isNull(null) true, isNull("") false; isEmpty(null) and isEmpty("")
# true, isEmpty(" ") false; isBlank(null), isBlank(""), isBlank(" ") true.
_PREDICATES = {"isnull": _is_null, "isempty": _is_empty, "isblank": _is_blank}


def _replacement(template: str, node: Any) -> Callable:
    """replace.md: `$1` / `${name}` / `$0` refer to capture groups; `\\\\$` is a dollar sign."""
    parts: list[Any] = []
    index = 0
    while index < len(template):
        char = template[index]
        if char == "\\" and index + 1 < len(template):
            parts.append(template[index + 1])
            index += 2
        elif char == "$":
            named = re.match(r"\$\{(\w+)\}|\$(\d)", template[index:])
            if named is None:
                raise NotEvaluated.at(node, "a '$' in a replace string that names no group")
            group = named.group(1) or int(named.group(2))
            parts.append((group,))
            index += named.end()
        else:
            parts.append(char)
            index += 1

    def build(match: Any) -> str:
        return "".join(match.group(p[0]) or "" if isinstance(p, tuple) else p for p in parts)
    return build


def _replace(node: Tree, args: list, compile_expr: Callable) -> Expr:
    if len(args) != 3:
        raise NotEvaluated.at(node, "replace with other than three arguments")
    source = compile_expr(args[0])
    replacement = compile_expr(args[2])
    if isinstance(args[1], Token) and args[1].type == "REGEX":
        pattern = regex_literal(args[1])

        def run(row: dict, mode: int) -> Any:
            text, repl = source(row, mode), replacement(row, mode)
            if text is None or repl is None:
                return None  # replace.md: "If any of the inputs are null, the output is null"
            return pattern.sub(_replacement(text_of(repl), node), text_of(text))
        return run
    search = compile_expr(args[1])

    def run_literal(row: dict, mode: int) -> Any:
        text, wanted, repl = source(row, mode), search(row, mode), replacement(row, mode)
        if text is None or wanted is None or repl is None:
            return None
        wanted = text_of(wanted)
        if not wanted:
            raise NotEvaluated.at(node, "replace of an empty string")
        return text_of(text).replace(wanted, text_of(repl))  # "case sensitive", all instances
    return run_literal


def _urldecode(value: str, node: Any) -> str:
    """urldecode: %XX sequences as UTF-8. Whether '+' becomes a space (Java's URLDecoder) is not
    documented, nor what a malformed sequence gives."""
    if "+" in value:
        raise NotEvaluated.at(node, "urldecode of text with '+' (a space or a plus: not documented)")
    if re.search(r"%(?![0-9A-Fa-f]{2})", value):
        raise NotEvaluated.at(node, "urldecode of a malformed %-sequence")
    try:
        return unquote_to_bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise NotEvaluated.at(node, "urldecode to bytes that are not UTF-8") from None


def _text_function(name: str, node: Any) -> Callable[[Any], Any]:
    if name == "tolowercase":
        return lambda value: text_of(value).lower()  # tolowercase-touppercase.md
    if name == "touppercase":
        return lambda value: text_of(value).upper()
    if name == "urldecode":
        return lambda value: _urldecode(text_of(value), node)
    if name == "trim":
        return lambda value: text_of(value).strip()
    if name == "length":
        return lambda value: float(len(text_of(value)))
    raise KeyError(name)


def _num(value: Any, node: Any) -> Any:
    number = as_number(value)
    if number is None:
        raise NotEvaluated.at(node, "num() of text that is not a number")
    return number


def predicate_call(node: Tree, compile_expr: Callable) -> tuple[Expr, Expr] | None:
    """A predicate function (isNull, isEmpty, isBlank, isNumeric, contains): a leaf predicate,
    as (its closure, the closure of the value it tests); None for any other call."""
    head = node.children[0]
    name = str(head).lower()
    args = node.children[1:]
    if name in _PREDICATES:
        if len(args) != 1:
            raise NotEvaluated.at(head, f"{head} with other than one argument")
        predicate, inner = _PREDICATES[name], compile_expr(args[0])
        return (lambda row, mode: predicate(inner(row, mode))), inner
    if name == "isnumeric":
        inner = compile_expr(args[0])
        return (lambda row, mode: as_number(inner(row, mode)) is not None), inner
    if name == "contains":
        from tooling.languages.sumo.expressions import contains

        left, right = (compile_expr(a) for a in args)

        def run_contains(row: dict, mode: int) -> Any:
            a, b = left(row, mode), right(row, mode)
            if a is None or b is None:
                return None if mode == KLEENE else False
            return contains(a, b, node)
        return run_contains, left
    return None


def compile_call(node: Tree, compile_expr: Callable) -> Expr:
    head = node.children[0]
    name = str(head).lower()
    args = node.children[1:]
    if name == "if":
        if len(args) != 3:
            raise NotEvaluated.at(head, "if with other than three arguments")
        from tooling.languages.sumo.expressions import compile_condition

        return conditional(node, compile_condition(args[0]), *(compile_expr(a) for a in args[1:]))
    parts = predicate_call(node, compile_expr)
    if parts is not None:
        return expression_leaf(node, *parts)
    if name == "replace":
        return _replace(node, args, compile_expr)
    if name == "concat":
        parts = [compile_expr(a) for a in args]

        def run_concat(row: dict, mode: int) -> Any:
            values = [part(row, mode) for part in parts]
            if any(value is None for value in values):
                raise NotEvaluated.at(node, "concat of a null field (not documented)")
            return "".join(text_of(value) for value in values)
        return run_concat
    if name == "num":
        inner = compile_expr(args[0])
        return lambda row, mode: None if (v := inner(row, mode)) is None else _num(v, node)
    try:
        function = _text_function(name, node)
    except KeyError:
        raise NotEvaluated.at(head, f"the function {head}()") from None
    if len(args) != 1:
        raise NotEvaluated.at(head, f"{head} with other than one argument")
    inner = compile_expr(args[0])

    def run(row: dict, mode: int) -> Any:
        value = inner(row, mode)
        # A null input gives null, as replace.md documents for its inputs.
        return None if value is None else function(value)
    return run
