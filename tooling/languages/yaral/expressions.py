"""Compile YARA-L expressions (events predicates, outcome and condition expressions) into closures
over a `Row`: the unnested copy of each event variable's event, the placeholders' values, the
outcome values and, in the condition, the event counts.

Documentation facts (YARA-L 2.0 "Expressions, operators and other constructs"):
* "By default, the precedence order from highest to lowest is not, and, or"; predicates written
  one after the other in the events section are joined with `and`.
* `$e.field = /regex/` is `re.regex($e.field, "regex")`; `nocase` after a comparison or a
  regex makes it ignore case ("re.regex" page; the `nocase` modifier).
* `$e.f in %list`, `in regex %list` (each line a regex, matched as a substring), `in cidr %list`
  ("Reference list syntax"): the list's lines come from the deployment's declared reference
  sets (`platforms.yml`); a list that is not declared is not evaluated.

Explanations (tooling/languages/explanation.py): every comparison, list membership and
boolean call, in any section (events filters and joins, `#e > 3` and outcome tests in the
condition, `if(...)` tests), is a leaf predicate; so is `not <leaf>` as a whole (the negated
test is the leaf, so that "did not hold" / "held" read right), while and/or and a `not` over a
group stay structure. The event's value shown is that of the first field the leaf reads (the
list of every element for a repeated field; MISSING when the event lacks it), else the
placeholder, count or outcome it tests. An events leaf decides per unnested copy of the event;
flipped, it is negated for the event as a whole (false on every copy when it held on one, true
on every copy when it held on none of the copies it was reached on), as "any copy" is what an
event's verdict aggregates.
"""
from __future__ import annotations

from typing import Any, Callable

from lark import Token, Tree

from tooling.languages import explanation
from tooling.languages.evaluation import MISSING, all_of, any_of, NotEvaluated
from tooling.languages.explanation import NO_VALUE
from tooling.languages.yaral.analysis import tokens
from tooling.languages.yaral.functions import AGGREGATES, FUNCTIONS, aggregate, in_cidr_list
from tooling.languages.yaral.leaves import event_value, field_path, first_field, probed, quiet
from tooling.languages.yaral.rows import Row
from tooling.languages.yaral.values import (
    Index, PathTrie, Quantified, all_values, as_number, as_text, compare, compiled_regex, kind_of, literal,
    pattern_text,
)

Closure = Callable[["Row"], Any]
# the predicates explain() sees as leaves (comparisons, `in %list`, boolean calls)
LEAVES = frozenset({"comparison", "membership", "bool_call", "call"})


class Compiler:
    """Compiles the expressions of one rule. `section` is "events", "outcome" or "condition";
    the paths each event variable's expressions read are collected in `tries`."""

    def __init__(self, event_variables: set[str], placeholders: set[str], outcome_names: set[str]):
        self.event_variables = event_variables
        self.placeholders = placeholders
        self.outcome_names = outcome_names
        self.tries: dict[str, PathTrie] = {v: PathTrie() for v in event_variables}
        self.section = "events"
        self.aggregate_rows: Callable | None = None  # outcome of a rule with match: rows of a var

    # ---- operands ------------------------------------------------------------------------

    def value(self, node: Any) -> Closure:
        if isinstance(node, Token):
            return self._token(node)
        kind = node.data
        method = getattr(self, f"_{kind}", None)
        if method is None:
            raise NotEvaluated.at(node, f"the expression {kind}")
        return method(node)

    def _token(self, token: Token) -> Closure:
        kind = token.type
        if kind == "VARIABLE":
            name = str(token)
            if name in self.event_variables and self.section != "condition":
                raise NotEvaluated.at(token, f"the event variable {name} used as a value")
            if self.section in ("outcome", "condition") and name in self.outcome_names:
                return lambda row: _lookup(row.outcomes, name, token)
            if name in self.placeholders:
                return lambda row: _lookup(row.ph, name, token)
            raise NotEvaluated.at(token, f"the variable {name}, which nothing defines")
        if kind == "COUNT_VARIABLE":
            if self.section != "condition":
                raise NotEvaluated.at(token, f"{token} outside the condition")
            name = "$" + str(token)[1:]
            return lambda row: _lookup(row.counts, name, token)
        if kind == "FIELD":
            return self._path(token, field_path(token), token)
        if kind == "REFERENCE_LIST":
            raise NotEvaluated.at(token, f"the data table column {token}")
        constant = literal(token)
        return lambda row: constant

    def _path(self, node: Any, path: tuple[str, tuple], token: Token) -> Closure:
        variable, parts = path
        if variable not in self.event_variables:
            raise NotEvaluated.at(token, f"{variable}, which is not an event variable of the events section")
        if self.section == "condition":
            raise NotEvaluated.at(token, "an event field in the condition")
        if self.section == "outcome" and self.aggregate_rows is not None and not self._in_aggregate:
            raise NotEvaluated.at(token, "an event field outside an aggregation in the outcome of a rule "
                                  "with a match section")
        self.tries[variable].add(parts)

        def read(row: Row):
            return row.copies[variable].get(parts, MISSING)
        return read

    _in_aggregate = False

    def _field(self, node: Tree) -> Closure:
        token = node.children[0]
        return self._path(node, field_path(token), token)

    def _indexed_field(self, node: Tree) -> Closure:
        base = node.children[0]
        if base.type != "FIELD":
            raise NotEvaluated.at(node, "a subscript on a placeholder")
        parts: list = []
        for child in node.children[1:]:
            if isinstance(child, Tree) and child.data == "index":
                key = child.children[0]
                parts.append(Index.of(int(str(key)) if key.type == "NUMBER" else literal(key)))
            else:
                parts.append(str(child))
        return self._path(node, field_path(base, parts), base)

    def _quantified(self, node: Tree) -> Closure:
        kind, target = str(node.children[0]).lower(), node.children[1]
        if target.type != "FIELD":
            raise NotEvaluated.at(node, f"`{kind}` on a placeholder")
        variable, parts = field_path(target)
        if variable not in self.event_variables:
            raise NotEvaluated.at(target, f"{variable}, which is not an event variable")

        def elements(row: Row):
            return Quantified(kind, all_values(row.events[variable], parts), node)
        return elements

    def _arith(self, node: Tree) -> Closure:
        return self._binary(node)

    def _term(self, node: Tree) -> Closure:
        return self._binary(node)

    def _binary(self, node: Tree) -> Closure:
        operands = [self.value(c) for c in node.children[0::2]]
        operators = [str(c.children[0]) for c in node.children[1::2]]

        def run(row: Row):
            result = as_number(operands[0](row), node)
            for operator, operand in zip(operators, operands[1:]):
                other = as_number(operand(row), node)
                if operator == "+":
                    result = result + other
                elif operator == "-":
                    result = result - other
                elif operator == "*":
                    result = result * other
                elif other == 0:
                    raise NotEvaluated.at(node, "a division by zero")
                elif operator == "/":
                    result = result / other
                else:
                    raise NotEvaluated.at(node, "the % operator (its sign rules are not documented)")
            return result
        return run

    def _array(self, node: Tree) -> Closure:
        items = [self.value(c) for c in node.children if c is not None]
        return lambda row: [item(row) for item in items]

    # ---- calls -----------------------------------------------------------------------------

    def _call(self, node: Tree, nocase: bool = False) -> Closure:
        name = str(node.children[0]).lower()
        arguments = [c for c in node.children[1:] if c is not None]
        if any(isinstance(a, Tree) and a.data == "named_argument" for a in arguments):
            raise NotEvaluated.at(node, f"{name} with named arguments")
        if name == "if":
            return self._if(node, arguments)
        if name in AGGREGATES:
            return self._aggregate(node, name, arguments)
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise NotEvaluated.at(node, f"the function {name}")
        low, high, function = spec
        if not low <= len(arguments) <= high:
            raise NotEvaluated.at(node, f"{name} with {len(arguments)} arguments")
        if nocase and name != "re.regex":
            raise NotEvaluated.at(node, f"nocase after {name}")
        if name == "re.regex":
            return self._regex_call(node, arguments, nocase)
        compiled = [self.value(a) for a in arguments]

        def call(row: Row):
            values = [c(row) for c in compiled]
            quantified = [i for i, v in enumerate(values) if type(v) is Quantified]
            if not quantified:
                return function(values, node, row.run)
            if len(quantified) > 1:
                raise NotEvaluated.at(node, f"`any` / `all` on several arguments of {name}")
            where = quantified[0]

            def test(element):
                result = function(values[:where] + [element] + values[where + 1:], node, row.run)
                if type(result) is not bool:
                    raise NotEvaluated.at(node, f"`any` / `all` in {name}, which does not return a boolean")
                return result
            return values[where].test(test)
        return call

    def _regex_call(self, node: Tree, arguments: list, nocase: bool) -> Closure:
        subject = self.value(arguments[0])
        pattern = arguments[1]
        if isinstance(pattern, Token) and pattern.type in ("STRING", "RAW_STRING", "REGEX"):
            compiled = compiled_regex(pattern_text(pattern), nocase, pattern)

            def test(v: Any) -> bool:
                return compiled.search(as_text(v, node, "re.regex"), node)

            def regex_call(row: Row) -> bool:
                value = subject(row)
                return value.test(test) if type(value) is Quantified else test(value)  # as `_each`
            regex_call.boolean = True  # type: ignore[attr-defined]  # what `_as_bool` would check
            return regex_call
        dynamic = self.value(pattern)
        return lambda row: _each(subject(row), lambda v: compiled_regex(
            as_text(dynamic(row), node, "re.regex"), nocase, node).search(as_text(v, node, "re.regex"), node))

    def _bool_call(self, node: Tree) -> Closure:
        nocase = any(isinstance(c, Token) and c.type == "NOCASE" for c in node.children[1:])
        call = node.children[0]
        return self._call(call, nocase)

    def _if(self, node: Tree, arguments: list) -> Closure:
        if len(arguments) not in (2, 3):
            raise NotEvaluated.at(node, f"if with {len(arguments)} arguments")
        test = self.boolean(arguments[0])
        then = self.value(arguments[1])
        otherwise = self.value(arguments[2]) if len(arguments) == 3 else None

        def run(row: Row):
            if test(row):
                return then(row)
            if otherwise is None:
                raise NotEvaluated.at(node, "if(...) without an else value whose condition is false")
            return otherwise(row)
        return run

    def _aggregate(self, node: Tree, name: str, arguments: list) -> Closure:
        if self.section != "outcome" or self.aggregate_rows is None:
            raise NotEvaluated.at(node, f"the aggregation {name} outside the outcome of a rule with a match section")
        if len(arguments) != 1:
            raise NotEvaluated.at(node, f"{name} with {len(arguments)} arguments")
        variables = {str(t).partition(".")[0] for t in tokens(arguments[0]) if t.type == "FIELD"}
        if len(variables) != 1:
            what = "no event field" if not variables else "several event variables"
            raise NotEvaluated.at(node, f"{name} over {what}")
        variable = variables.pop()
        self._in_aggregate = True
        try:
            inner = self.value(arguments[0])
        finally:
            self._in_aggregate = False
        rows_of = self.aggregate_rows

        def run(row: Row):
            values = [inner(r) for r in rows_of(row, variable)]
            return aggregate(name, values, node)
        return run

    # ---- predicates ------------------------------------------------------------------------

    def boolean(self, node: Any) -> Closure:
        if isinstance(node, Tree):
            kind = node.data
            if kind in ("or_expr", "cond_or"):
                return any_of([self.boolean(c) for c in node.children])
            if kind in ("and_expr", "cond_and"):
                return all_of([self.boolean(c) for c in node.children])
            if kind == "not_":
                child = node.children[0]
                if isinstance(child, Tree) and child.data in LEAVES:
                    # `not <leaf>` is the leaf: "`not re.regex(...)` did not hold" reads right
                    test = self._predicate(child)
                    return self._leaf(node, lambda row: not test(row), child)
                inner = self.boolean(child)
                return lambda row: not inner(row)
            if kind in LEAVES:
                return self._leaf(node, self._predicate(node), node)
            if kind == "exists":
                name = str(node.children[0])
                if name not in self.event_variables:
                    # a boolean outcome (or placeholder) as a condition: a leaf on its value
                    token = node.children[0]
                    value = self._token(token)
                    return self._leaf(node, _as_bool(value, node), node, (value, self._subject(token)))
                return lambda row: _lookup(row.counts, name, node) > 0
            if kind == "absent":
                name = str(node.children[0])
                return lambda row: _lookup(row.counts, name, node) == 0
        return _as_bool(self.value(node), node)

    def _predicate(self, node: Tree) -> Closure:
        """A leaf predicate compiled as such (not yet passed through explanation)."""
        kind = node.data
        if kind == "comparison":
            return self._comparison(node)
        if kind == "membership":
            return self._membership(node)
        if kind == "bool_call":
            return _as_bool(self._bool_call(node), node)
        return _as_bool(self._call(node), node)

    # ---- explanations ----------------------------------------------------------------------

    def _leaf(self, node: Any, test: Closure, predicate: Any,
              value: tuple[Closure, str | None] | None = None) -> Closure:
        """`test` passing its result through explanation.predicate: outside explain() one module
        read more; the event's value is only read while probing."""
        value_of, subject = value or self.value_of(predicate)
        per_event = self.section == "events"

        def leaf(row: Row) -> bool:
            held = test(row)
            probe = explanation._probe
            if probe is None:
                return held
            return probed(probe, node, value_of, subject, row, held, per_event)
        return leaf

    def value_of(self, node: Any) -> tuple[Closure, str | None]:
        """The event's value a leaf (or a placeholder binding) tests, while probing, and what it
        is when not an event field: the first field the leaf reads, else the placeholder, count or
        outcome on its left."""
        kind = node.data if isinstance(node, Tree) else None
        if kind == "not_":
            return self.value_of(node.children[0])
        if kind == "comparison":
            operands = node.children[0:3:2]  # left, then right (`"x" = $e.f`)
        elif kind == "membership":
            operands = node.children[:1]
        elif kind in ("bool_call", "call"):
            call = node.children[0] if kind == "bool_call" else node
            operands = [c for c in call.children[1:] if c is not None]
        else:
            operands = []
        for operand in operands:
            found = first_field(operand)
            if found is not None:
                variable, parts = found
                return (lambda row: event_value(row, variable, parts)), None
        first = operands[0] if operands else None
        if isinstance(first, Token) and first.type in ("VARIABLE", "COUNT_VARIABLE"):
            reader = self._token(first)
            return (lambda row: quiet(reader, row, NO_VALUE)), self._subject(first)
        return (lambda row: NO_VALUE), None

    def _subject(self, token: Token) -> str:
        """What a variable's value is, in a sentence ("`#e > 3` on the count 2")."""
        if token.type == "COUNT_VARIABLE":
            return "the count"
        if self.section in ("outcome", "condition") and str(token) in self.outcome_names:
            return "the outcome"
        return "the placeholder's value"

    def _comparison(self, node: Tree) -> Closure:
        lhs, comparator, rhs = node.children[:3]
        nocase = any(isinstance(c, Token) and c.type == "NOCASE" for c in node.children[3:])
        operator = str(comparator.children[0])
        if isinstance(rhs, Token) and rhs.type == "REGEX":
            if operator not in ("=", "!="):
                raise NotEvaluated.at(node, f"`{operator}` with a regular expression")
            pattern = compiled_regex(pattern_text(rhs), nocase, rhs)
            subject = self.value(lhs)
            wanted = operator == "="

            def test(v: Any) -> bool:
                return pattern.search(as_text(v, node, "a regex"), node) == wanted

            def regex_comparison(row: Row) -> bool:
                value = subject(row)
                return value.test(test) if type(value) is Quantified else test(value)  # as `_each`
            return regex_comparison
        if isinstance(rhs, Tree) and rhs.data == "array" or isinstance(lhs, Tree) and lhs.data == "array":
            raise NotEvaluated.at(node, "a comparison with an array literal")
        left, right = self.value(lhs), self.value(rhs)
        if operator in ("=", "!=") and isinstance(rhs, Token) and rhs.type in ("STRING", "RAW_STRING"):
            return _text_comparison(left, operator, literal(rhs), nocase, node)

        def run(row: Row):
            a, b = left(row), right(row)
            if type(b) is Quantified:
                if type(a) is Quantified:
                    raise NotEvaluated.at(node, "`any` / `all` on both sides")
                return b.test(lambda v: compare(a, operator, v, nocase, node))
            if type(a) is Quantified:
                return a.test(lambda v: compare(v, operator, b, nocase, node))
            return compare(a, operator, b, nocase, node)  # as `_each`, without a lambda per row
        return run

    def _membership(self, node: Tree) -> Closure:
        subject = self.value(node.children[0])
        mode = next((str(c).lower() for c in node.children[1:] if isinstance(c, Token)
                     and c.type in ("REGEX_KW", "CIDR_KW")), "")
        token = node.children[-1]
        name = str(token)[1:]
        if "." in name:
            raise NotEvaluated.at(token, f"the data table column %{name}")

        def run(row: Row):
            value = subject(row)
            if type(value) is Quantified:
                raise NotEvaluated.at(node, "`any` / `all` with a reference list (Google SecOps refuses it)")
            lines = row.run.reference_list(name, token)
            text = as_text(value, node, "a reference list")
            if mode == "regex":
                return any(compiled_regex(line, False, token).search(text, node) for line in lines)
            if mode == "cidr":
                return in_cidr_list(text, lines, token)
            return text in lines
        return run


def _text_comparison(left: Closure, operator: str, text: str, nocase: bool, node: Any) -> Closure:
    """`<operand> = "text"` (or !=), the most common predicate: what the general comparison gives,
    with the string-to-string case decided here rather than through `compare`."""
    folded = text.lower() if nocase else text
    wanted = operator == "="

    def run(row: Row) -> bool:
        a = left(row)
        if type(a) is str:  # compare() on two strings: (case-folded) equality
            return ((a.lower() if nocase else a) == folded) is wanted
        if type(a) is Quantified:
            return a.test(lambda v: compare(v, operator, text, nocase, node))
        return compare(a, operator, text, nocase, node)
    return run


def _lookup(values: dict, name: str, node: Any):
    try:
        return values[name]
    except KeyError:
        raise NotEvaluated.at(node, f"{name}, whose value is not known here") from None


def _each(value: Any, test: Callable[[Any], bool]) -> bool:
    if type(value) is Quantified:
        return value.test(test)
    return test(value)


def _as_bool(closure: Closure, node: Any) -> Closure:
    if getattr(closure, "boolean", False):
        return closure  # it returns a bool whatever the row: nothing to check
    def run(row: Row) -> bool:
        value = closure(row)
        if type(value) is not bool:
            raise NotEvaluated.at(node, f"a {kind_of(value)} used as a condition")
        return value
    return run
