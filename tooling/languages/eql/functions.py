"""EQL functions and arithmetic, as the Elasticsearch EQL function reference documents them
(https://www.elastic.co/guide/en/elasticsearch/reference/current/eql-function-ref.html, read
2026-12-07). A function Elasticsearch does not have, or a case the reference leaves open, raises
NotEvaluated naming it.

Documented facts encoded here:
- A null argument makes the result null (every function's "null handling" examples).
- Matching is case-sensitive by default; the `~` form (`startsWith~`, `endsWith~`,
  `stringContains~`, `wildcard~`, `between~`, `indexOf~`) is case-insensitive. Only those six
  accept `~`: Elasticsearch refuses `length~`, `add~`, ... ("does not support case-insensitive").
- `between(source, left, right[, greedy])`: the text between `left` and `right`, "" when not
  found; greedy takes the last `right`.
- `indexOf(source, substring[, start])`: the first position at or after `start`, null if none.
- `substring(source, start[, end])`: Python-style positions, negative from the end.
- `number(text[, base])`: the number the text spells, in base 10 (or the base given).
- `divide`: two integers give an integer, rounded down ("divide(4, 3) returns 1").
- `wildcard(source, pattern, ...)`: like `like`: `*` and `?`.
- `cidrMatch(ip, block, ...)`: true when the address is in one of the CIDR blocks.
- A field argument holding several values: not documented (elastic/elasticsearch#76610 changed
  it), so not evaluated.
"""
from __future__ import annotations

import ipaddress
import math
from typing import Any, Callable

from lark import Token

from tooling.languages.evaluation import NotEvaluated
from tooling.languages.eql.values import wildcard_matcher

INSENSITIVE = frozenset(("startswith", "endswith", "stringcontains", "wildcard", "between", "indexof"))
BOOLEAN = frozenset(("startswith", "endswith", "stringcontains", "wildcard", "cidrmatch"))
# name (lower case) -> (fewest, most) arguments
ARITY = {
    "add": (2, 2), "between": (3, 4), "cidrmatch": (2, 999), "concat": (1, 999), "divide": (2, 2),
    "endswith": (2, 2), "indexof": (2, 3), "length": (1, 1), "modulo": (2, 2), "multiply": (2, 2),
    "number": (1, 2), "startswith": (2, 2), "stringcontains": (2, 2), "substring": (2, 3),
    "subtract": (2, 2), "wildcard": (2, 999),
}


def _scalar(value: Any, node: Any, name: str) -> Any:
    """A function's argument as one value (None for null)."""
    if type(value) is tuple:
        if not value:
            return None
        if len(value) > 1:
            raise NotEvaluated.at(node, f"{name}() over a multi-valued field (Elasticsearch does not document it)")
        return value[0]
    if value is not None and type(value) not in (str, int, float, bool):
        raise NotEvaluated.at(node, f"{name}() over an undecided argument")
    return value


def _text(value: Any, node: Any, name: str) -> str:
    if type(value) is not str:
        raise NotEvaluated.at(node, f"{name}() over the non-string value {value!r} "
                              "(Elasticsearch accepts strings only)")
    return value


def _number(value: Any, node: Any, name: str) -> int | float:
    if type(value) not in (int, float):
        raise NotEvaluated.at(node, f"{name}() over the non-numeric value {value!r} "
                              "(Elasticsearch accepts numbers only)")
    return value


def _fold(text: str, insensitive: bool) -> str:
    return text.lower() if insensitive else text


def compile_call(node: Any, compile_value: Callable, boolean: bool) -> Callable:
    name_token = node.children[0]
    written = str(name_token)
    insensitive = written.endswith("~")
    name = written.rstrip("~")
    key = name.lower()
    if key not in ARITY:
        raise NotEvaluated.at(name_token, f"the function {name}() (Elasticsearch EQL has no such function)")
    if name != _SPELLING.get(key, key):
        # The reference spells each name one way (startsWith, stringContains); the lower-case
        # forms are the Elastic Endpoint rule dialect's (see endpoint.py).
        raise NotEvaluated.at(name_token, f"the function name {name}() (Elasticsearch EQL spells it "
                              f"{_SPELLING.get(key, key)}(); {name}() is the Elastic Endpoint rule dialect's)")
    if insensitive and key not in INSENSITIVE:
        raise NotEvaluated.at(name_token, f"{name}~(): Elasticsearch has no case-insensitive form of {name}()")
    arguments = node.children[1:]
    fewest, most = ARITY[key]
    if not fewest <= len(arguments) <= most:
        raise NotEvaluated.at(name_token, f"{name}() with {len(arguments)} argument(s)")
    if boolean and key not in BOOLEAN:
        raise NotEvaluated.at(name_token, f"{name}() used as a condition (it does not return a boolean)")
    getters = [compile_value(argument) for argument in arguments]
    implementation = _IMPLEMENTATIONS[key]
    if key in ("wildcard", "cidrmatch"):
        run = implementation(node, name, getters, arguments, insensitive)
    else:
        def run(event):
            values = [_scalar(getter(event), node, name) for getter in getters]
            return implementation(node, name, values, insensitive)

    if key in _QUERY_LEAVES and _is_field(arguments[0]) and all(_is_literal(a) for a in arguments[1:]):
        return _two_valued(run, getters[0])
    return run


# Called on a field with literal arguments, these run as Query DSL leaves (prefix, wildcard,
# terms on an ip field: Elasticsearch's querytranslator_tests.txt, startsWithFunctionSimple,
# endsWithKeywordFieldFunction, stringContainsExactField, cidrMatchFunctionOne,
# functionEqualsFalse), which do not match a document without the field: false, not null, so
# `not` of one is true (see expressions.py's module doc).
_QUERY_LEAVES = frozenset(("startswith", "endswith", "stringcontains", "cidrmatch"))


def _is_field(node: Any) -> bool:
    return getattr(node, "data", None) == "field"


def _is_literal(node: Any) -> bool:
    return isinstance(node, Token) and node.type in ("STRING", "RAW_STRING", "INT", "DECIMAL", "TRUE", "FALSE")


def _two_valued(run: Callable, field: Callable) -> Callable:
    def leaf(event):
        result = run(event)
        if result is None:
            found = field(event)
            if found is None or found == ():
                return False
        return result

    return leaf


_SPELLING = {"startswith": "startsWith", "endswith": "endsWith", "stringcontains": "stringContains",
             "indexof": "indexOf", "cidrmatch": "cidrMatch"}


def _starts_with(node, name, values, insensitive):
    source, prefix = values
    if source is None or prefix is None:
        return None
    return _fold(_text(source, node, name), insensitive).startswith(_fold(_text(prefix, node, name), insensitive))


def _ends_with(node, name, values, insensitive):
    source, suffix = values
    if source is None or suffix is None:
        return None
    return _fold(_text(source, node, name), insensitive).endswith(_fold(_text(suffix, node, name), insensitive))


def _string_contains(node, name, values, insensitive):
    source, part = values
    if source is None or part is None:
        return None
    return _fold(_text(part, node, name), insensitive) in _fold(_text(source, node, name), insensitive)


def _between(node, name, values, insensitive):
    source, left, right = values[:3]
    greedy = values[3] if len(values) > 3 else False
    if source is None or left is None or right is None:
        return None
    if type(greedy) is not bool:
        raise NotEvaluated.at(node, f"{name}() with a greedy argument that is not true or false")
    text = _text(source, node, name)
    folded = _fold(text, insensitive)
    left_text, right_text = _fold(_text(left, node, name), insensitive), _fold(_text(right, node, name), insensitive)
    start = folded.find(left_text)
    if start < 0:
        return ""
    start += len(left_text)
    end = folded.rfind(right_text) if greedy else folded.find(right_text, start)
    if end < start:
        return ""
    return text[start:end]


def _index_of(node, name, values, insensitive):
    source, part = values[:2]
    start = values[2] if len(values) > 2 else 0
    if source is None or part is None:
        return None
    start = 0 if start is None else start
    if type(start) is not int or start < 0:
        raise NotEvaluated.at(node, f"{name}() with the start position {start!r} (only 0 or more is documented)")
    found = _fold(_text(source, node, name), insensitive).find(_fold(_text(part, node, name), insensitive), start)
    return None if found < 0 else found


def _length(node, name, values, insensitive):
    (source,) = values
    return None if source is None else len(_text(source, node, name))


def _substring(node, name, values, insensitive):
    source, start = values[:2]
    end = values[2] if len(values) > 2 else None
    if source is None or start is None:
        return None
    if type(start) is not int or (end is not None and type(end) is not int):
        raise NotEvaluated.at(node, f"{name}() with positions that are not whole numbers")
    return _text(source, node, name)[start:end]


def _concat(node, name, values, insensitive):
    if any(v is None for v in values):
        return None
    parts = []
    for v in values:
        if type(v) is bool or type(v) is float:
            raise NotEvaluated.at(node, f"{name}() of {v!r} (how Elasticsearch writes it as text is not documented)")
        parts.append(str(v))
    return "".join(parts)


def _to_number(node, name, values, insensitive):
    source = values[0]
    base = values[1] if len(values) > 1 else 10
    if source is None:
        return None
    text = _text(source, node, name).strip()
    if base is None:
        base = 10
    if type(base) is not int:
        raise NotEvaluated.at(node, f"{name}() with the base {base!r}")
    try:
        if base == 10:
            return int(text) if text.lstrip("+-").isdigit() else float(text)
        if base == 16 and text.lower().startswith(("0x", "-0x", "+0x")):
            return int(text, 16)
        return int(text, base)
    except ValueError:
        raise NotEvaluated.at(node, f"{name}({text[:40]!r}) (Elasticsearch's result for text that is not a number "
                              "is not documented)") from None


def _math(operator: str):
    def run(node, name, values, insensitive):
        left, right = values
        if left is None or right is None:
            return None
        return _calculate(node, operator, _number(left, node, name), _number(right, node, name))

    return run


def _calculate(node: Any, operator: str, left: int | float, right: int | float) -> int | float:
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if right == 0:
        raise NotEvaluated.at(node, "a division by zero")
    both_int = type(left) is int and type(right) is int
    if operator == "/":
        if both_int:
            if (left < 0) != (right < 0) and left % right:
                raise NotEvaluated.at(node, "an integer division with a negative result (rounding not documented)")
            return left // right
        return left / right
    if operator == "%":
        if both_int and (left < 0 or right < 0):
            raise NotEvaluated.at(node, "a modulo of a negative number (its sign is not documented)")
        return left % right if both_int else math.fmod(left, right)
    raise NotEvaluated.at(node, f"the operator {operator!r}")


def arithmetic(node: Any, operator: str, left: Callable, right: Callable) -> Callable:
    """`a + b`, `a - b`, `a * b`, `a / b`, `a % b`: as add/subtract/multiply/divide/modulo."""
    def run(event):
        a = _scalar(left(event), node, operator)
        b = _scalar(right(event), node, operator)
        if a is None or b is None:
            return None
        return _calculate(node, operator, _number(a, node, operator), _number(b, node, operator))

    return run


def _wildcard(node, name, getters, arguments, insensitive):
    source_getter, pattern_getters = getters[0], getters[1:]
    patterns = []
    for argument in arguments[1:]:
        if not isinstance(argument, Token) or argument.type not in ("STRING", "RAW_STRING"):
            raise NotEvaluated.at(argument, f"{name}() with a pattern that is not a string literal")
    for getter in pattern_getters:
        patterns.append(wildcard_matcher(getter({}), insensitive))

    def run(event):
        source = _scalar(source_getter(event), node, name)
        if source is None:
            return None
        text = _text(source, node, name)
        return any(match(text) for match in patterns)

    return run


def _cidr_match(node, name, getters, arguments, insensitive):
    networks = []
    for argument, getter in zip(arguments[1:], getters[1:]):
        block = getter({})
        if not isinstance(argument, Token) or type(block) is not str:
            raise NotEvaluated.at(argument, f"{name}() with a block that is not a string literal")
        try:
            networks.append(ipaddress.ip_network(block, strict=False))
        except ValueError:
            raise NotEvaluated.at(argument, f"{name}() with the invalid CIDR block {block!r}") from None
    source_getter = getters[0]

    def run(event):
        source = _scalar(source_getter(event), node, name)
        if source is None:
            return None
        try:
            address = ipaddress.ip_address(_text(source, node, name))
        except ValueError:
            raise NotEvaluated.at(node, f"{name}() over {source!r}, which is not an IP address") from None
        return any(address.version == network.version and address in network for network in networks)

    return run


_IMPLEMENTATIONS: dict[str, Any] = {
    "add": _math("+"), "subtract": _math("-"), "multiply": _math("*"), "divide": _math("/"), "modulo": _math("%"),
    "between": _between, "cidrmatch": _cidr_match, "concat": _concat, "endswith": _ends_with,
    "indexof": _index_of, "length": _length, "number": _to_number, "startswith": _starts_with,
    "stringcontains": _string_contains, "substring": _substring, "wildcard": _wildcard,
}
