"""AQL lint rules (DAC440-DAC447): queries that parse but do not do what their author meant.

Each rule is `(tree, text) -> Iterable[Diagnostic]`, runs only on a query that parsed, and never
raises: `_guarded` turns an unexpected tree shape into "no finding" instead of an exception.
Positions are 1-based within the query and point at the offending token.
"""
from __future__ import annotations

import re
import warnings
from functools import lru_cache, wraps
from typing import Any, Callable, Iterable, Iterator

from lark import Token, Tree

from tooling.diagnostics import Diagnostic
from tooling.languages.aql import functions
from tooling.languages.aql.nodes import (
    call_arguments, call_name, call_name_token, calls, field_name, has_time_range, predicates,
    source, start_of, statements, string_value, table_name, trees,
)
from tooling.languages.re_syntax import check_syntax

Rule = Callable[[Any, str], Iterable[Diagnostic]]


def _guarded(rule: Callable[[Any, str], Iterator[Diagnostic]]) -> Rule:
    @wraps(rule)
    def safe(tree: Any, text: str) -> list[Diagnostic]:
        try:
            return list(rule(tree, text))
        except Exception:  # noqa: BLE001 - a lint rule must never break validation
            return []
    return safe


def _at(code: str, message: str, node: Any) -> Diagnostic:
    line, column = start_of(node) or (1, 1)
    return Diagnostic(code, message, line, column)


@_guarded
def no_time_range(tree: Any, text: str) -> Iterator[Diagnostic]:
    """DAC440: the query (or the subquery it reads from) has no LAST / START ... STOP."""
    query = next(statements(tree), None)
    if query is None or has_time_range(query):
        return
    target = source(query)  # the table, table function or subquery after FROM
    yield _at("DAC440", "AQL query has no time range (LAST n MINUTES/HOURS/DAYS or START ... STOP): "
              "the period it searches then depends on where it runs", target or query)


@_guarded
def select_star(tree: Any, text: str) -> Iterator[Diagnostic]:
    """DAC441: SELECT * on the events or flows table."""
    for statement in statements(tree):
        table = table_name(statement)
        if table not in ("events", "flows"):
            continue
        select_list = statement.children[1] if len(statement.children) > 1 else None
        for star in getattr(select_list, "children", ()):
            if not (isinstance(star, Tree) and star.data == "select_all"):
                continue
            yield _at("DAC441", f"SELECT * on {table} returns every column of every matching record, "
                      "payload included; name the columns the detection needs", star)


@_guarded
def like_without_wildcard(tree: Any, text: str) -> Iterator[Diagnostic]:
    """DAC442: LIKE / ILIKE with a literal pattern that has no % or _ wildcard."""
    for predicate in predicates(tree):
        operator = predicate.operator.split()[-1] if predicate.operator else ""
        if predicate.node.data != "string_match" or operator not in ("LIKE", "ILIKE") or not predicate.values:
            continue
        pattern = predicate.values[0]
        value = string_value(pattern)
        if value is None or "%" in value or "_" in value:
            continue
        equal = "=" if operator == "LIKE" else "= on LOWER(...)"
        yield _at("DAC442", f"{operator} {pattern.value} has no % or _ wildcard, so it matches only the whole "
                  f"value; add % for a substring match, or use {equal} for an exact one", pattern)


@_guarded
def payload_without_utf8(tree: Any, text: str) -> Iterator[Diagnostic]:
    """DAC443: the raw payload compared with a value instead of UTF8(payload)."""
    for predicate in predicates(tree):
        if predicate.node.data == "is_null":
            continue  # `payload IS NULL` needs no decoding
        for operand in (predicate.left, *predicate.values):
            name = field_name(operand)
            if name is not None and name.lower() == "payload":
                yield _at("DAC443", f"{predicate.operator} on the raw payload, which holds bytes; "
                          "compare the decoded text, UTF8(payload), instead", operand)


# Errors of Python's `re` that Java's java.util.regex reports as well for the same pattern.
_SHARED_REGEX_ERRORS = ("missing ), unterminated subpattern", "unbalanced parenthesis",
                        "unterminated character set", "nothing to repeat")


@lru_cache(maxsize=1024)  # as re.compile's own cache did: a pattern met again is not read again
def regex_error(pattern: str) -> str | None:
    """Why `pattern` cannot compile in Java (as AQL's MATCHES uses it), or None if it may.

    Only errors both Python's `re` and Java report are returned: an unbalanced parenthesis, an
    unterminated character class, a quantifier with nothing before it. Syntax only one of the two
    engines knows (possessive quantifiers, \\p{..}, named groups) is never reported.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # FutureWarning on Java-style nested classes [a[b]]
            check_syntax(pattern)  # every message reported comes from reading the pattern
    except re.error as exc:
        message = str(exc.msg)
        if not message.startswith(_SHARED_REGEX_ERRORS):
            return None
        if message == "nothing to repeat":
            before = pattern[:exc.pos] if exc.pos is not None else ""
            # Java rejects a quantifier at the start, after '(' or after '|'; after '^' it may not.
            if before and before[-1] not in "(|":
                return None
        return message
    except (RecursionError, OverflowError, ValueError):
        return None
    return None


_BACKSLASHES = re.compile(r"\\(\\)")


@_guarded
def invalid_regex(tree: Any, text: str) -> Iterator[Diagnostic]:
    """DAC444: a MATCHES / IMATCHES / REPLACEALL / REPLACEFIRST regex that cannot compile."""
    found: list[tuple[str, Token]] = []
    for predicate in predicates(tree):
        operator = predicate.operator.split()[-1] if predicate.operator else ""
        if predicate.node.data == "string_match" and operator in ("MATCHES", "IMATCHES") and predicate.values:
            found.append((operator, predicate.values[0]))
    for call in calls(tree):
        if call_name(call).upper() in ("REPLACEALL", "REPLACEFIRST"):
            arguments = call_arguments(call)
            if arguments:
                found.append((call_name(call).upper(), arguments[0]))
    for where, token in found:
        pattern = string_value(token)
        # IBM does not document whether \\ in an AQL string reaches the regex as one backslash
        # or two: report a pattern only when it is broken read either way.
        error = regex_error(pattern) if pattern is not None else None
        if error and regex_error(_BACKSLASHES.sub(lambda m: m.group(1), pattern)) is None:
            error = None
        if error:
            yield _at("DAC444", f"the {where} regular expression {token.value} does not compile ({error}); "
                      "QRadar rejects the query when it runs", token)


@_guarded
def unknown_function(tree: Any, text: str) -> Iterator[Diagnostic]:
    """DAC445: a call to a function that is not in IBM's AQL function list."""
    for call in calls(tree):
        name = call_name(call)
        if name and not functions.is_known(name):
            yield _at("DAC445", f"{name} is not a documented AQL function; check its spelling "
                      "(QRadar rejects an unknown function when the query runs)", call_name_token(call) or call)


_VALUE_LIKE = re.compile(r"-?\d+(\.\d+)?|.*%.*", re.S)


@_guarded
def double_quoted_value(tree: Any, text: str) -> Iterator[Diagnostic]:
    """DAC446: a "double-quoted" name used as a value: AQL reads it as a property name."""
    for predicate in predicates(tree):
        kind = predicate.node.data
        for value in predicate.values:
            if not (isinstance(value, Tree) and value.data == "field" and value.children):
                continue
            token = value.children[0]
            if not (isinstance(token, Token) and token.type == "QUOTED_NAME"):
                continue
            inner = token.value[1:-1]
            if kind == "string_match" or (kind in ("comparison", "in_list") and _VALUE_LIKE.fullmatch(inner)):
                yield _at("DAC446", f"{token.value} is a property name in AQL, not a text value; write "
                          f"the value in single quotes: '{inner}'", token)


@_guarded
def unquoted_name_with_space(tree: Any, text: str) -> Iterator[Diagnostic]:
    """DAC447: `SELECT Process Name` reads as field Process aliased Name (no AS, no quotes)."""
    for item in trees(tree, "select_expr"):
        if len(item.children) < 2:
            continue
        expr, alias = item.children[0], item.children[1]
        if not (isinstance(alias, Tree) and len(alias.children) == 1):
            continue  # no alias, or AS alias
        name_token = expr.children[0] if isinstance(expr, Tree) and expr.children else None
        alias_token = alias.children[0]
        if not (isinstance(expr, Tree) and expr.data == "field" and isinstance(name_token, Token)
                and name_token.type == "NAME" and isinstance(alias_token, Token) and alias_token.type == "NAME"):
            continue
        if name_token.value.upper() == "DISTINCT":
            yield _at("DAC447", f"AQL has no SELECT DISTINCT: this selects a field called {name_token.value} "
                      f"under the name {alias_token.value}; use GROUP BY {alias_token.value} to get each value "
                      "once", name_token)
            continue
        yield _at("DAC447", f"{name_token.value} {alias_token.value} selects the field {name_token.value} under "
                  f"the name {alias_token.value}; a property whose name has a space needs double quotes "
                  f"(\"{name_token.value} {alias_token.value}\"), an alias needs AS", name_token)


RULES: tuple[Rule, ...] = (no_time_range, select_star, like_without_wildcard, payload_without_utf8,
                           invalid_regex, unknown_function, double_quoted_value, unquoted_name_with_space)
