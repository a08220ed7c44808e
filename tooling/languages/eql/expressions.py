"""EQL conditions and expressions compiled into closures: `event -> value`.

See `values.py` for the value model (null, multi-valued fields, Undecided) and the sources.
Each documented fact this module encodes is cited where it is used; `tests/languages/
test_eql_evaluate.py` holds a positive and a negative case for each.

A *plain* comparison (a field against literals: `==`, `!=`, `<`..., `:`, like, regex, in) is
what Elasticsearch translates into a Query DSL leaf (term, terms, wildcard, regexp, range) and
`not` into `bool.must_not` (Elasticsearch's own translator cases, x-pack/plugin/eql/src/test/
resources/querytranslator_tests.txt: notFilter, notFieldsConjunction, fieldNotEqualsTrue). A
leaf query does not match a document without the field, and `must_not` returns every document
its clause does not match ("bool query": must_not "must not appear in the matching documents";
"exists query": a missing field is found with must_not exists). So a plain comparison over a
missing field is false, not null, and its negation (`not`, `!=`, `not in`) is true. Other
comparisons (functions, arithmetic) keep null and the undecided `not null` below.

Each leaf predicate (a comparison, `== null`, `in` / `in~` / `not in`, a `:` / like / regex
match, a boolean function call) is wrapped by `traced_leaf` for `explain` (tooling/languages/
explanation.py), with the event's value of the operand it reads. A leaf holds when its quoted
text is true: `a != "x"`, `a not in (...)` and `not a : "x"` (a `not` directly over a leaf) are
negative leaves, so that "did not hold" / "held" describe what the reviewer reads; a `not` over
`and` / `or` stays structure, outside its leaves.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from lark import Token, Tree

from tooling.languages import explanation
from tooling.languages.evaluation import MISSING, NotEvaluated
from tooling.languages.explanation import NO_VALUE, Span
from tooling.languages.eql import functions
from tooling.languages.eql.values import (
    NullTrue, Undecided, as_tuple, equal, field_getter, literal_value, lucene_regex, regex_matchers, text_lookup,
    text_of, wildcard_matchers,
)

Getter = Callable[[dict], Any]

_CONDITIONS = ("or_", "and_", "not_", "comparison", "in_", "not_in", "match")


def _undecided_first(*results: Any) -> Any:
    for result in results:
        if type(result) is Undecided:
            return result
    return None


# Results: True, False, None (null: false under two-valued logic, null under three-valued),
# NullTrue (true under two-valued logic, null under three-valued; see values.py), Undecided.
def condition(node: Any, text: str = "") -> Getter:
    """A condition: event -> True / False / None (null) / Undecided. `text`, the query, lets an
    explanation quote `not (<leaf>)` with its closing parenthesis."""
    if isinstance(node, Token):
        if node.type in ("TRUE", "FALSE"):
            constant = node.type == "TRUE"
            return lambda event: constant
        raise NotEvaluated.at(node, f"the literal {str(node)[:40]} used as a condition (Elasticsearch refuses a "
                              "condition that is not boolean)")
    kind = node.data
    if kind == "and_":
        return _and(condition(node.children[0], text), condition(node.children[1], text))
    if kind == "or_":
        return _or(condition(node.children[0], text), condition(node.children[1], text))
    if kind == "not_":
        inner = node.children[0]
        if isinstance(inner, Tree) and inner.data in _LEAVES:
            # `not <leaf>` is one negative leaf, as `!=` and `not in` are, so that its sentence
            # ("... did not hold", "... held") is true of the text it quotes
            test, tested = _leaf(inner)
            return traced_leaf(negation_span(node, inner, text), _not(test, node), tested)
        return _not(condition(inner, text), node)
    if kind in _LEAVES:
        test, tested = _leaf(node)
        return traced_leaf(node, test, tested)
    if kind == "field":
        raise NotEvaluated.at(node, f"the field {node.children[0]} used as a condition (Elasticsearch refuses a "
                              "condition that is not boolean)")
    raise NotEvaluated.at(node, f"the condition {kind}")


_LEAVES = ("comparison", "in_", "not_in", "match", "call")


def _leaf(node: Tree) -> tuple[Getter, Getter]:
    """A leaf predicate: (its test, the operand it reads from the event)."""
    kind = node.data
    if kind == "comparison":
        left_node, _, right_node = node.children
        swapped = _is_null(left_node) or (_is_literal(left_node) and not _is_literal(right_node)
                                          and not _is_null(right_node))
        return _comparison(node), value(right_node if swapped else left_node)
    if kind in ("in_", "not_in"):
        found = _in(node)
        return (_not(found, node) if kind == "not_in" else found), value(node.children[0])
    if kind == "match":
        return _match(node), value(node.children[0])
    # a boolean function: the leaf reads its source (first) argument
    return functions.compile_call(node, value, boolean=True), value(node.children[1])


_CLOSE = re.compile(r"\s*\)")


def negation_span(node: Tree, inner: Tree, text: str) -> Any:
    """`not (<leaf>)`: the `not_` node ends where its leaf does, before the parentheses that
    close around it (they are not nodes); the span takes them in again."""
    meta, end = node.meta, inner.meta.end_pos
    opened = text[meta.start_pos:inner.meta.start_pos].count("(") if text else 0
    for _ in range(opened):
        closing = _CLOSE.match(text, end)
        if closing is None:
            return node
        end = closing.end()
    return Span(meta.line, meta.column, meta.start_pos, end) if opened else node


def traced_leaf(node: Any, test: Getter, tested: Getter) -> Getter:
    """`test`, a leaf predicate, seen by `explain`: outside an explanation its own result, at the
    cost of one global read; while probing, recorded (held when it is True) with the event's
    value of `tested`, and True or False when the probe flips it. Only the flip changes the result,
    so null stays null (and `not null` undecided) on the probe's unflipped runs. An undecided
    result is not recorded: it did not hold or fail, and a flip could not say which it became."""
    def leaf(event):
        result = test(event)
        probe = explanation._probe
        if probe is None or isinstance(result, Undecided):
            return result
        held = result is True
        if probe.record(node, shown(tested(event)), held) is held:
            return result
        return not held

    return leaf


def shown(found: Any) -> Any:
    """An operand's value as an explanation shows it: MISSING for a missing field, the value of a
    single-valued one, a list for several values, None for null."""
    if type(found) is tuple:
        if not found:
            return MISSING
        return found[0] if len(found) == 1 else list(found)
    return NO_VALUE if isinstance(found, Undecided) else found


def _and(left: Getter, right: Getter) -> Getter:
    def run(event):
        first = left(event)
        if first is False:
            return False
        second = right(event)
        if second is False:
            return False
        if first is True and second is True:
            return True
        undecided = _undecided_first(first, second)
        if undecided is not None:
            return undecided
        # True / None / NullTrue: null under three-valued logic; true under two-valued logic
        # only when no side is None.
        if first is None or second is None:
            return None
        return first if type(first) is NullTrue else second

    return run


def _or(left: Getter, right: Getter) -> Getter:
    def run(event):
        first = left(event)
        if first is True:
            return True
        second = right(event)
        if second is True:
            return True
        if first is False and second is False:
            return False
        undecided = _undecided_first(first, second)
        if undecided is not None:
            return undecided
        # False / None / NullTrue: null under three-valued logic; true under two-valued logic
        # when a side is NullTrue.
        if type(first) is NullTrue:
            return first
        if type(second) is NullTrue:
            return second
        return None

    return run


_NOT_NULL = ("'not' over a comparison with a missing field (null): Elasticsearch does not document whether "
             "it is true (a must_not query) or null (three-valued logic)")


def _not(inner: Getter, node: Any) -> Getter:
    def run(event):
        result = inner(event)
        if result is True:
            return False
        if result is False:
            return True
        if result is None:
            return NullTrue(node, _NOT_NULL)
        if type(result) is NullTrue:
            return None
        return result

    return run


# --- comparisons ------------------------------------------------------------------------------

def _is_null(node: Any) -> bool:
    return isinstance(node, Token) and node.type == "NULL"


_LITERALS = ("STRING", "RAW_STRING", "INT", "DECIMAL", "TRUE", "FALSE")


def _is_field(node: Any) -> bool:
    return isinstance(node, Tree) and node.data == "field"


def _is_literal(node: Any) -> bool:
    return isinstance(node, Token) and node.type in _LITERALS


def _is_string(node: Any) -> bool:
    return isinstance(node, Token) and node.type in ("STRING", "RAW_STRING")


def _refuse_arithmetic_against_text(node: Any, operand: Any, others: list, operator: str) -> None:
    """Arithmetic gives a number; Elasticsearch refuses to compare it with text (a type error at
    verification). Seen where a field name with '-' was not quoted with backticks, which EQL
    then reads as a subtraction (syntax reference, "Escape a field name")."""
    if isinstance(operand, Tree) and operand.data in ("arithmetic", "sign") and any(_is_string(o) for o in others):
        raise NotEvaluated.at(node, f"'{operator}' between arithmetic and text (Elasticsearch refuses the type "
                              "mismatch; an unquoted field name with '-' reads as a subtraction)")


def _comparison(node: Tree) -> Getter:
    left_node, operator, right_node = node.children
    operator = str(operator)
    if _is_null(left_node):
        left_node, right_node = right_node, left_node
    if _is_null(right_node):
        # "Use == null / != null to check whether a field exists" (EQL syntax reference, "Check
        # for null values"; elastic/elasticsearch#69614): a missing field is null.
        if operator not in ("==", "!="):
            raise NotEvaluated.at(node, f"'{operator} null' (only == null and != null are defined)")
        getter = value(left_node)
        wanted_missing = operator == "=="
        return lambda event: (len(as_tuple(getter(event))) == 0) is wanted_missing
    _refuse_arithmetic_against_text(node, left_node, [right_node], operator)
    _refuse_arithmetic_against_text(node, right_node, [left_node], operator)
    if _is_literal(left_node) and _is_field(right_node):
        left_node, right_node = right_node, left_node
        operator = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(operator, operator)
    plain = _is_field(left_node) and _is_literal(right_node)
    left, right = value(left_node), value(right_node)
    if operator == "==" and plain and _is_string(right_node):
        return _field_equals_text(left, literal_value(right_node), node)
    if operator == "==":
        return _two_valued(_equals(left, right, node), left) if plain else _equals(left, right, node)
    if operator == "!=":
        return _plain_not_equals(left, right, node) if plain else _not_equals(left, right, node)
    found = _ordering(left, right, operator, node)
    return _two_valued(found, left) if plain else found


def _two_valued(test: Getter, field: Getter) -> Getter:
    """A plain comparison: false (not null) when the field is missing (see the module doc)."""
    def run(event):
        result = test(event)
        return False if result is None and not as_tuple(field(event)) else result

    return run


def _field_equals_text(field: Getter, text: str, node: Any) -> Getter:
    """`field == "text"`, the most common comparison: what `_two_valued(_equals(...))` gives
    (false for a missing field, true when a value is the text, `equal` for a value of another
    type), in one call rather than three per event."""
    def run(event):
        pending = None
        for a in field(event):  # a field's values: a tuple
            if type(a) is str:
                if a == text:
                    return True
                continue
            result = equal(a, text, False, node)
            if result is True:
                return True
            if result is not False:
                pending = result
        return pending if pending is not None else False

    return run


def _plain_not_equals(left: Getter, right: Getter, node: Any) -> Getter:
    # `field != literal` is `must_not` of the term query (querytranslator_tests.txt,
    # fieldNotEqualsTrue): true for a document without the field.
    test = _not_equals(left, right, node)

    def run(event):
        if not as_tuple(left(event)):
            return True
        return test(event)

    return run


def _equals(left: Getter, right: Getter, node: Any) -> Getter:
    # `==` is case-sensitive ("Strings are case-sensitive", EQL syntax reference, comparison
    # operators); a multi-valued field matches when any value does (elastic/elasticsearch#76610).
    def run(event):
        lefts, rights = as_tuple(left(event)), as_tuple(right(event))
        if not lefts or not rights:
            return None
        pending = None
        for a in lefts:
            for b in rights:
                result = equal(a, b, False, node)
                if result is True:
                    return True
                if result is not False:
                    pending = result
        return pending if pending is not None else False

    return run


def _not_equals(left: Getter, right: Getter, node: Any) -> Getter:
    def run(event):
        lefts, rights = as_tuple(left(event)), as_tuple(right(event))
        if not lefts or not rights:
            # null != "x": true as a must_not query, null in three-valued logic: undocumented.
            return NullTrue(node, "'!=' with a missing field (null): Elasticsearch does not document whether it "
                            "is true (a must_not query) or null (three-valued logic)")
        results = [equal(a, b, False, node) for a in lefts for b in rights]
        undecided = _undecided_first(*results)
        if undecided is not None:
            return undecided
        if not any(results):
            return True
        if all(results):
            return False
        return Undecided(node, "'!=' on a multi-valued field where some values are equal and some are not "
                         "(Elasticsearch does not document the result)")

    return run


_ORDER = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _ordering(left: Getter, right: Getter, operator: str, node: Any) -> Getter:
    compare = _ORDER[operator]

    def run(event):
        lefts, rights = as_tuple(left(event)), as_tuple(right(event))
        if not lefts or not rights:
            return None
        pending = None
        for a in lefts:
            for b in rights:
                numbers = type(a) in (int, float) and type(b) in (int, float)
                if numbers or (type(a) is str and type(b) is str):
                    if compare(a, b):
                        return True
                else:
                    # A keyword range compares text; a numeric one numbers: mapping-dependent.
                    pending = Undecided(node, f"'{operator}' between {a!r} and {b!r} (values of different types)")
        return pending if pending is not None else False

    return run


def _in(node: Tree) -> Getter:
    # `in` is case-sensitive, `in~` case-insensitive; `not in` is `not (x in (...))` (EQL syntax
    # reference, "Lookup operators").
    left_node, operator, values = node.children
    insensitive = str(operator) == "in~"
    if any(_is_null(item) for item in values.children):
        raise NotEvaluated.at(node, "null in an 'in' list (Elasticsearch does not document its meaning)")
    left = value(left_node)
    items = [value(item) for item in values.children]
    _refuse_arithmetic_against_text(node, left_node, values.children, str(operator))
    missing = False if _is_field(left_node) and all(_is_literal(item) for item in values.children) else None
    lookup = text_lookup([literal_value(item) if _is_string(item) else None for item in values.children], insensitive)

    def run(event):
        lefts = as_tuple(left(event))
        if not lefts:
            return missing
        if lookup is not None:
            found = lookup(lefts)
            if found is not None:
                return found
        pending = None
        for item in items:
            for b in as_tuple(item(event)):
                for a in lefts:
                    result = equal(a, b, insensitive, node)
                    if result is True:
                        return True
                    if result is not False:
                        pending = result
        return pending if pending is not None else False

    return run


def _match(node: Tree) -> Getter:
    left_node, operator, patterns = node.children
    operator = str(operator)
    tokens = patterns.children if isinstance(patterns, Tree) else [patterns]
    _refuse_arithmetic_against_text(node, left_node, tokens, operator)
    texts: list = []
    for token in tokens:
        if isinstance(token, Token) and token.type in ("TRUE", "FALSE") and operator == ":":
            # `field : true` is a term query for the boolean (querytranslator_tests.txt,
            # fieldEqualsTrue runs `bool == true` as a term query on the field).
            texts.append(token.type == "TRUE")
            continue
        if isinstance(token, Token) and token.type == "INT" and operator != "regex" and operator != "regex~":
            # A whole number: `:` compares it as a value (a term query); like / like~ read its
            # text as the pattern (Elasticsearch's parser folds the constant to a string:
            # ExpressionBuilder, toLikePattern(e.fold().toString())).
            texts.append(int(token) if operator == ":" else str(int(token)))
            continue
        if not isinstance(token, Token) or token.type not in ("STRING", "RAW_STRING"):
            raise NotEvaluated.at(token, f"'{operator}' with a non-string pattern "
                                  "(Elasticsearch compares strings only)")
        texts.append(literal_value(token))
    numbers = [text for text in texts if type(text) in (int, bool)]  # compared as values
    texts = [text for text in texts if type(text) is str]
    if operator in (":", "like", "like~"):
        # `:` is case-insensitive equality with wildcards; `like` case-sensitive and `like~`
        # case-insensitive wildcard matching (EQL syntax reference, "Pattern comparison keywords").
        insensitive = operator != "like"
        matches = wildcard_matchers(texts, insensitive)
    else:
        # `regex` / `regex~`: Lucene regular-expression syntax, matched against the whole value.
        insensitive = operator == "regex~"
        matches = regex_matchers([lucene_regex(text, insensitive, token) for text, token in zip(texts, tokens)])
    left = value(left_node)
    missing = False if _is_field(left_node) else None

    def run(event):
        lefts = as_tuple(left(event))
        if not lefts:
            return missing
        pending = None
        for item in lefts:
            for number in numbers:
                result = equal(item, number, True, node)
                if result is True:
                    return True
                if result is not False:
                    pending = result
            if not texts:
                continue
            text = text_of(item, node, f"'{operator}'")
            if type(text) is Undecided:
                pending = text
                continue
            if matches(text):
                return True
        return pending if pending is not None else False

    return run


# --- values -----------------------------------------------------------------------------------

def value(node: Any) -> Getter:
    """An operand: event -> scalar, None (null), tuple (a field's values) or an Undecided."""
    if isinstance(node, Token):
        constant = literal_value(node)
        return lambda event: constant
    kind = node.data
    if kind == "field":
        return field_getter(node.children[0])
    if kind == "call":
        return functions.compile_call(node, value, boolean=False)
    if kind == "arithmetic":
        return functions.arithmetic(node, str(node.children[1]), value(node.children[0]), value(node.children[2]))
    if kind == "sign":
        inner = value(node.children[1])
        if str(node.children[0]) == "+":
            return inner
        return functions.arithmetic(node, "-", lambda event: 0, inner)
    if kind in _CONDITIONS:
        return condition(node)
    raise NotEvaluated.at(node, f"the expression {kind}")
