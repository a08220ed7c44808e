"""Compile AQL expressions and conditions (the parse tree, see `__init__.py`) into closures.

A compiled expression is `f(x, run) -> value`: in row mode `x` is one event (a dict), in group
mode (SELECT / HAVING / ORDER BY of an aggregating query) `x` is the list of a group's events.
Values are text, numbers, None (NULL) or a `Payload`; conditions give True, False or None
(unknown, SQL's three-valued logic: QRadar does not document NULL handling, and AQL is SQL-like,
so a comparison with an absent property is neither true nor false, and NOT of it stays unknown).

Each leaf predicate (a comparison, BETWEEN, IN, LIKE / ILIKE / MATCHES / IMATCHES, IS NULL, and
the boolean calls INCIDR and REFERENCESETCONTAINS) in WHERE, HAVING or anywhere else is passed
through `explanation.traced`, with its left operand (the tested address or value, for the calls)
as the event's value, so that `explain` can name the predicate that decided a verdict. A
negation that belongs to the predicate is part of the leaf: `x NOT ILIKE y`, `x <> y`, `x NOT IN
(...)`, `x IS NOT NULL`, and `NOT (x ILIKE y)` written around a single predicate; a NOT around
an AND / OR is structure, outside its leaves. An unknown (NULL) result is a leaf that did not
hold; flipped, it holds.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from lark import Token, Tree

from tooling.languages.aql import calls
from tooling.languages.aql.nodes import call_arguments, call_name, string_value, unquote
from tooling.languages.aql.values import (
    MAX_TEXT, JavaRegex, LikePattern, Payload, arithmetic, ascii_only, comparable, equals, like_pattern, order,
    scalar, text_operand,
)
from tooling.languages.evaluation import MISSING, NotEvaluated
from tooling.languages.explanation import traced

Closure = Callable[[Any, Any], Any]

# AQL's built-in event and flow fields, whose names are case-insensitive (IBM's examples write
# startTime / starttime, sourceIP / sourceip). Rendered events hold them in lower case.
BUILT_IN = frozenset({
    "qid", "devicetype", "logsourceid", "category", "highlevelcategory", "username", "sourceip",
    "destinationip", "sourceport", "destinationport", "protocolid", "starttime", "endtime", "devicetime",
    "eventcount", "magnitude", "severity", "credibility", "relevance", "eventdirection", "domainid",
    "sourcemac", "destinationmac", "sourcev6", "destinationv6", "identityip", "identityhostname",
    "hasidentity", "hasoffense", "isduplicate", "iscreevent", "processorid", "postnatsourceip",
    "postnatdestinationip", "prenatsourceip", "prenatdestinationip", "payload", "sourcebytes",
    "destinationbytes", "sourcepackets", "destinationpackets", "applicationid", "flowtype", "firstpackettime",
    "lastpackettime", "sourcepayload", "destinationpayload", "sourcecidr", "destinationcidr",
})


def _missing_case(event: Mapping, name: str, node: Any, quoted: bool) -> Any:
    """The value of a field the event does not hold under `name` exactly: a built-in field
    (case-insensitive) under another case, else None (absent = NULL). A custom property held
    under another case is not evaluated: QRadar does not document whether those names fold."""
    lowered = name.lower()
    built_in = not quoted and lowered in BUILT_IN
    if built_in and lowered in event:
        return event[lowered]
    for key in event:
        if isinstance(key, str) and key.lower() == lowered and not key.startswith("$"):
            if built_in:
                return event[key]
            raise NotEvaluated.at(node, f"field {name!r} is in the event as {key!r} (whether custom property "
                                  "names are case-sensitive is not documented)")
    return None


def field_reader(name: str, node: Any, quoted: bool) -> Closure:
    if not quoted and name.lower() == "payload":
        def payload(event: Mapping, run: Any) -> Any:
            value = event.get("payload", event.get(name))
            if value is None:
                return None
            if not isinstance(value, str):
                raise NotEvaluated.at(node, "a payload that is not text")
            return Payload(scalar(value, node, "payload"))
        return payload

    def read(event: Mapping, run: Any) -> Any:
        value = event.get(name, _ABSENT)
        if type(value) is str and len(value) <= MAX_TEXT:  # most values: `scalar` keeps them as they are
            return value
        if value is _ABSENT:
            value = _missing_case(event, name, node, quoted)
        return scalar(value, node, name)
    return read


_ABSENT = object()

# Predicates: each one is a leaf for `explain` (the module docstring).
LEAVES = frozenset({"comparison", "between", "in_list", "string_match", "is_null"})
# Boolean calls, and the argument each one tests (the address, the looked-up value).
LEAF_CALLS = {"INCIDR": 1, "REFERENCESETCONTAINS": 1}


def _is_leaf(node: Any) -> bool:
    if not isinstance(node, Tree):
        return False
    if node.data in LEAVES:
        return True
    return node.data == "call" and call_name(node).upper() in LEAF_CALLS


def _operand(leaf: Tree) -> Any:
    """What a leaf tests: its left operand, or the call's tested argument (its arity is checked
    when the call is compiled, before this is asked)."""
    if leaf.data == "call":
        return call_arguments(leaf)[LEAF_CALLS[call_name(leaf).upper()]]
    return leaf.children[0]


def _present(event: Mapping, name: str, quoted: bool) -> bool:
    """Whether `field_reader(name)` finds the field in the event (rather than reading NULL)."""
    if name in event:
        return True
    lowered = name.lower()
    if quoted or lowered not in BUILT_IN:
        return False  # a custom property under another case is not evaluated at all
    return any(isinstance(key, str) and key.lower() == lowered and not key.startswith("$") for key in event)


def _children(node: Tree) -> list:
    return [c for c in node.children if c is not None]


class ExpressionCompiler:
    """Compiles expressions of one SELECT statement. `aliases` maps each SELECT alias (as
    written, and in lower case) to its expression: AQL lets WHERE, GROUP BY, HAVING and ORDER BY
    name a column by its alias (IBM's LIKE clause page: `SELECT qidname(qid) as test ... WHERE
    test LIKE 'Information%'`)."""

    def __init__(self, aliases: Mapping[str, Any]):
        self.aliases = dict(aliases)
        self._resolving: set[str] = set()

    # --- entry points ---------------------------------------------------------------------

    def row(self, node: Any) -> Closure:
        return self._compile(node, False)

    def group(self, node: Any) -> Closure:
        return self._compile(node, True)

    def alias_or_row(self, node: Any, group: bool = False) -> Closure:
        """GROUP BY / ORDER BY items: a 'string' naming a SELECT alias is that column (IBM's
        sample: GROUP BY 'Full Name', 'Location')."""
        text = string_value(node)
        if text is not None and self._alias(text) is not None:
            return self._alias_closure(text, node, group)
        return self._compile(node, group)

    # --- dispatch ---------------------------------------------------------------------------

    def _compile(self, node: Any, group: bool) -> Closure:
        if group and not calls.has_aggregate(node, self.aliases):
            return _lift(self._compile(node, False), node)
        if isinstance(node, Token):
            return self._literal(node)
        compiled = self._method(node)(node, group)
        if _is_leaf(node):
            return traced(node, compiled, self._tested(_operand(node), group))
        return compiled

    def _method(self, node: Tree) -> Callable[[Tree, bool], Closure]:
        kind = node.data
        method = getattr(self, f"_{kind}", None)
        if method is None:
            raise NotEvaluated.at(node, _CONSTRUCTS.get(kind, kind.replace("_", " ")))
        return method

    def _tested(self, operand: Any, group: bool) -> Closure:
        """The event's value a leaf tested (its left operand), for `explain` only: MISSING when
        it is NULL because the one field it reads is absent from the event; the payload as text."""
        value_of = self._compile(operand, group)
        fields = self._fields_read(operand, frozenset())
        absent = next(iter(fields)) if len(fields) == 1 else None

        def tested(x: Any, run: Any) -> Any:
            value = value_of(x, run)
            if isinstance(value, Payload):
                return value.text
            if value is None and absent is not None and isinstance(x, Mapping) and not _present(x, *absent):
                return MISSING
            return value
        return tested

    def _fields_read(self, node: Any, seen: frozenset) -> set:
        """(name, quoted) of the event fields `node` reads, through SELECT aliases."""
        if not isinstance(node, Tree):
            return set()
        if node.data == "field":
            token = node.children[0]
            name = unquote(str(token))
            expression = self._alias(name)
            if expression is not None and not _is_same_field(expression, name):
                return self._fields_read(expression, seen | {name}) if name not in seen else set()
            return {(name, token.type == "QUOTED_NAME")}
        found: set = set()
        for child in node.children:
            found |= self._fields_read(child, seen)
        return found

    def _literal(self, token: Token) -> Closure:
        kind = token.type
        if kind == "STRING":
            value: Any = string_value(token)
        elif kind == "INT":
            value = int(token.value)
        elif kind == "HEX":
            value = int(token.value, 16)
        elif kind == "DECIMAL":
            value = float(token.value)
        elif kind == "NULL":
            value = None
        else:
            raise NotEvaluated.at(token, f"the token {token.value!r}")
        return lambda x, run: value

    def _alias(self, name: str) -> Any:
        # Exact names only: whether aliases fold case is not documented.
        return self.aliases.get(name)

    def _alias_closure(self, name: str, node: Any, group: bool) -> Closure:
        key = name
        if key in self._resolving:
            raise NotEvaluated.at(node, f"the column alias {name!r} refers to itself")
        self._resolving.add(key)
        try:
            return self._compile(self._alias(name), group)
        finally:
            self._resolving.discard(key)

    def _field(self, node: Tree, group: bool) -> Closure:
        token = node.children[0]
        quoted = token.type == "QUOTED_NAME"
        name = unquote(str(token))
        expression = self._alias(name)
        if expression is not None and not _is_same_field(expression, name):
            return self._alias_closure(name, node, group)
        return field_reader(name, node, quoted)

    # --- conditions -------------------------------------------------------------------------

    def _or_expr(self, node: Tree, group: bool) -> Closure:
        parts = [self._compile(c, group) for c in node.children if not isinstance(c, Token) or c.type != "OR"]

        def any_true(x: Any, run: Any) -> bool | None:
            unknown = False
            for part in parts:
                value = part(x, run)
                if value is True:
                    return True
                if value is None:
                    unknown = True
                elif value is not False:
                    raise NotEvaluated.at(node, "OR of a value that is not a condition")
            return None if unknown else False
        return any_true

    def _and_expr(self, node: Tree, group: bool) -> Closure:
        parts = [self._compile(c, group) for c in node.children if not isinstance(c, Token) or c.type != "AND"]

        def all_true(x: Any, run: Any) -> bool | None:
            unknown = False
            for part in parts:
                value = part(x, run)
                if value is False:
                    return False
                if value is None:
                    unknown = True
                elif value is not True:
                    raise NotEvaluated.at(node, "AND of a value that is not a condition")
            return None if unknown else True
        return all_true

    def _not_(self, node: Tree, group: bool) -> Closure:
        operand = node.children[-1]
        if _is_leaf(operand):
            # `NOT (x ILIKE y)`: one negative predicate, like `x NOT ILIKE y` (the module
            # docstring). The NOT has an aggregate whenever its operand has one: no lift here.
            inner = self._method(operand)(operand, group)
        else:
            inner = self._compile(operand, group)

        def negate(x: Any, run: Any) -> bool | None:
            value = inner(x, run)
            if value is None:
                return None
            if value is True or value is False:
                return not value
            raise NotEvaluated.at(node, "NOT of a value that is not a condition")
        if _is_leaf(operand):
            return traced(node, negate, self._tested(_operand(operand), group))
        return negate

    def _comparison(self, node: Tree, group: bool) -> Closure:
        left_node, operator_token, right_node = node.children
        left, right = self._compile(left_node, group), self._compile(right_node, group)
        operator = str(operator_token)
        if operator in ("=", "=="):
            return lambda x, run: equals(left(x, run), right(x, run), node, operator)
        if operator in ("!=", "<>"):
            def differs(x: Any, run: Any) -> bool | None:
                same = equals(left(x, run), right(x, run), node, operator)
                return None if same is None else not same
            return differs
        return lambda x, run: order(left(x, run), right(x, run), node, operator)

    def _between(self, node: Tree, group: bool) -> Closure:
        operand, negated, _, low, _, high = node.children
        value_of, low_of, high_of = (self._compile(n, group) for n in (operand, low, high))

        def between(x: Any, run: Any) -> bool | None:
            value, lower, upper = value_of(x, run), low_of(x, run), high_of(x, run)
            if value is None or lower is None or upper is None:
                return None
            comparable(value, lower, node, "BETWEEN")
            comparable(value, upper, node, "BETWEEN")
            if isinstance(value, str):
                raise NotEvaluated.at(node, "BETWEEN on text (AQL's text ordering is not documented)")
            if value == lower or value == upper:
                # IBM: "returns true if the left side is in between the two values": whether the
                # bounds themselves are in is not said.
                raise NotEvaluated.at(node, "BETWEEN with the value at a bound (whether the bounds are "
                                      "included is not documented)")
            inside = lower < value < upper
            return (not inside) if negated is not None else inside
        return between

    def _in_list(self, node: Tree, group: bool) -> Closure:
        operand, negated, _, values = node.children
        if isinstance(values, Tree) and values.data == "select_stmt":
            raise NotEvaluated.at(values, "IN (SELECT ...) subquery")
        value_of = self._compile(operand, group)
        options = [self._compile(v, group) for v in values.children]

        def member(x: Any, run: Any) -> bool | None:
            # IBM: "The IN operator is a shorthand for multiple OR conditions".
            value = value_of(x, run)
            unknown = False
            for option in options:
                same = equals(value, option(x, run), node, "IN")
                if same:
                    return negated is None
                if same is None:
                    unknown = True
            if unknown:
                return None
            return negated is not None
        return member

    def _string_match(self, node: Tree, group: bool) -> Closure:
        operand, negated, match_op, pattern_node = node.children
        operator = str(match_op.children[0]).upper()
        fold = operator in ("ILIKE", "IMATCHES")
        value_of = self._compile(operand, group)
        shown = f"NOT {operator}" if negated is not None else operator
        constant = string_value(pattern_node)
        if constant is not None:
            matcher = (LikePattern(constant, fold, pattern_node, operator) if "LIKE" in operator
                       else JavaRegex(constant, fold, pattern_node, operator))
            pattern_of = None
        else:
            pattern_of = self._compile(pattern_node, group)
            matcher = None
        like = "LIKE" in operator

        def match(x: Any, run: Any) -> bool | None:
            text = value_of(x, run)
            if type(text) is not str:  # most values are text: the checks only for the others
                text = text_operand(text, node, shown)
                if text is None:
                    return None
            use = matcher
            if use is None:
                pattern = text_operand(pattern_of(x, run), pattern_node, shown)
                if pattern is None:
                    return None
                try:
                    use = like_pattern(pattern, fold) if like else JavaRegex(pattern, fold, pattern_node, operator)
                except NotEvaluated as exc:
                    raise NotEvaluated.at(pattern_node, exc.construct) from None
            if fold and not text.isascii():
                ascii_only(text, node, shown)
            found = use.matches(text) if like else use.matches(text, node, operator)
            return (not found) if negated is not None else found
        return match

    def _is_null(self, node: Tree, group: bool) -> Closure:
        operand, _, negated, _ = node.children
        value_of = self._compile(operand, group)
        if negated is not None:
            return lambda x, run: value_of(x, run) is not None
        return lambda x, run: value_of(x, run) is None

    # --- values -----------------------------------------------------------------------------

    def _binary(self, node: Tree, group: bool) -> Closure:
        left_node, operator_token, right_node = node.children
        left, right = self._compile(left_node, group), self._compile(right_node, group)
        operator = str(operator_token)
        return lambda x, run: arithmetic(operator, left(x, run), right(x, run), node)

    def _negate(self, node: Tree, group: bool) -> Closure:
        sign, operand = node.children
        inner = self._compile(operand, group)
        if str(sign) == "+":
            return lambda x, run: arithmetic("+", 0, inner(x, run), node)
        return lambda x, run: arithmetic("-", 0, inner(x, run), node)

    def _bit_not(self, node: Tree, group: bool) -> Closure:
        inner = self._compile(node.children[0], group)

        def invert(x: Any, run: Any) -> Any:
            value = inner(x, run)
            if value is None:
                return None
            if not isinstance(value, int) or isinstance(value, bool):
                raise NotEvaluated.at(node, "~ on a value that is not an integer")
            return ~value
        return invert

    def _case_expr(self, node: Tree, group: bool) -> Closure:
        parts = node.children
        subject = self._compile(parts[1], group) if parts[1] is not None else None
        branches = [(self._compile(b.children[1], group), self._compile(b.children[3], group), b)
                    for b in parts if isinstance(b, Tree) and b.data == "when_branch"]
        otherwise = self._compile(parts[-2], group) if parts[-3] is not None else (lambda x, run: None)

        def choose(x: Any, run: Any) -> Any:
            value = subject(x, run) if subject is not None else None
            for condition, result, branch in branches:
                test = condition(x, run)
                if subject is not None:
                    test = equals(value, test, branch, "CASE ... WHEN")
                if test is True:
                    return result(x, run)
                if test not in (False, None):
                    raise NotEvaluated.at(branch, "CASE WHEN with a value that is not a condition")
            return otherwise(x, run)
        return choose

    def _if_expr(self, node: Tree, group: bool) -> Closure:
        _, condition, _, then, _, otherwise = node.children
        test_of, then_of, else_of = (self._compile(n, group) for n in (condition, then, otherwise))

        def choose(x: Any, run: Any) -> Any:
            test = test_of(x, run)
            if test not in (True, False, None):
                raise NotEvaluated.at(node, "IF with a value that is not a condition")
            return then_of(x, run) if test is True else else_of(x, run)
        return choose

    def _call(self, node: Tree, group: bool) -> Closure:
        return calls.compile_call(self, node, group)

    def _text_search(self, node: Tree, group: bool) -> Closure:
        raise NotEvaluated.at(node, "TEXT SEARCH (QRadar's full-text index tokenisation is not documented)")


_CONSTRUCTS = {
    "select_stmt": "a subquery",
    "select_all": "*",
}


def _is_same_field(expression: Any, name: str) -> bool:
    """`"Registry Key" AS 'Registry Key'`: the alias names the field itself."""
    return (isinstance(expression, Tree) and expression.data == "field"
            and unquote(str(expression.children[0])).lower() == name.lower())


def _lift(row: Closure, node: Any) -> Closure:
    """A non-aggregated expression in an aggregating query: its one value in the group. QRadar
    does not document which value it shows when the group's events differ, so that is not
    evaluated."""
    def one(group: list, run: Any) -> Any:
        values = {_hashable(row(event, run)) for event in group}
        if len(values) > 1:
            raise NotEvaluated.at(node, "a column that is neither grouped nor aggregated, with different values "
                                  "in one group (which one QRadar shows is not documented)")
        return row(group[0], run) if group else None
    return one


def _hashable(value: Any) -> Any:
    return ("payload", value.text) if isinstance(value, Payload) else value
