"""The names an EQL query uses, for the platform checks (tooling/platforms/eql/schema.json).

- kind "table": each event category a filter selects (`process where` -> "process"); `any`
  selects every category and is not reported.
- kind "field": each field, with the categories in scope (empty for `any`) and the operator
  applied to it (`==`, `:`, `like~`, `regex`, `in`, `not in`, `<`, a function name such as
  `startsWith~`, or `by` for a join key), so a check can refuse a text field where
  Elasticsearch does (it runs EQL on keyword fields only).
- kind "value": each literal compared with a field, with the operator.
EQL has no stage that makes fields: `produced` is always False.
"""
from __future__ import annotations

import re
from typing import Iterator

from lark import Token, Tree

from tooling.languages.base import Reference
from tooling.languages.eql.lint import string_value

_LITERALS = ("STRING", "RAW_STRING", "INT", "DECIMAL", "TRUE", "FALSE", "NULL")


def field_name(token: Token) -> str:
    """`?process.args[0]` -> process.args; `` a.`b c` `` -> a.b c."""
    text = re.sub(r"\s*\.\s*", ".", str(token).strip()).lstrip("?").strip()
    text = re.sub(r"\s*\[\s*[0-9]+\s*\]", "", text)
    return re.sub(r"`((?:[^`]|``)+)`", lambda m: m.group(1).replace("``", "`"), text)


def _literal_text(token: Token) -> str | None:
    if token.type in ("STRING", "RAW_STRING"):
        return string_value(token)
    if token.type == "NULL":
        return None
    return str(token)


def _category(node: Tree) -> str | None:
    token = node.children[0]
    if token.type == "ANY":
        return None
    return string_value(token) if token.type in ("STRING", "RAW_STRING") else str(token)


def references(tree: Tree, _text: str) -> Iterator[Reference]:
    yield from _walk(tree, ())


def _walk(node, scope: tuple[str, ...]) -> Iterator[Reference]:
    if isinstance(node, Token):
        return
    kind = node.data
    if kind == "event_filter":
        category_node = node.children[0]
        category = _category(category_node)
        token = category_node.children[0]
        if category is not None:
            yield Reference("table", category, token.line, token.column)
        inner = (category,) if category is not None else ()
        yield from _walk(node.children[1], inner)
        return
    if kind in ("sequence", "sample"):
        # Join keys shared by every stage: in scope of every stage's categories.
        categories = tuple(sorted({c for f in node.find_data("event_filter")
                                   if (c := _category(f.children[0])) is not None}))
        for child in node.children:
            if isinstance(child, Tree) and child.data == "join_keys":
                yield from _keys(child, categories)
            else:
                yield from _walk(child, scope)
        return
    if kind in ("plain_stage", "repeated_stage", "until", "sample_filter"):
        subquery = node.children[0]
        filters = list(subquery.find_data("event_filter"))
        category = _category(filters[0].children[0]) if filters else None
        for child in node.children:
            if isinstance(child, Tree) and child.data == "join_keys":
                yield from _keys(child, (category,) if category else ())
            else:
                yield from _walk(child, scope)
        return
    if kind in ("comparison", "match", "in_", "not_in"):
        yield from _predicate(node, scope)
        return
    if kind == "call":
        name = str(node.children[0])
        for argument in node.children[1:]:
            if isinstance(argument, Tree) and argument.data == "field":
                yield _field(argument, scope, name)
            else:
                yield from _walk(argument, scope)
        return
    if kind == "field":
        yield _field(node, scope, None)
        return
    for child in node.children:
        yield from _walk(child, scope)


def _field(node: Tree, scope: tuple[str, ...], operator: str | None) -> Reference:
    token = node.children[0]
    return Reference("field", field_name(token), token.line, token.column, tables=scope, operator=operator)


def _keys(node: Tree, scope: tuple[str, ...]) -> Iterator[Reference]:
    for child in node.children:
        if isinstance(child, Tree) and child.data == "field":
            yield _field(child, scope, "by")
        else:
            yield from _walk(child, scope)


def _predicate(node: Tree, scope: tuple[str, ...]) -> Iterator[Reference]:
    left, operator, right = node.children
    operator = str(operator)
    if node.data == "not_in":
        operator = "not " + operator
    rights = right.children if isinstance(right, Tree) and right.data in ("literal_list", "value_list") else [right]
    sides = [left] + list(rights) if node.data == "comparison" else [left]
    fields = [side for side in sides if isinstance(side, Tree) and side.data == "field"]
    for field in fields:
        yield _field(field, scope, operator)
    if node.data == "comparison":
        literal = next((s for s in (left, right) if isinstance(s, Token) and s.type in _LITERALS), None)
        if literal is not None and fields:
            token = fields[0].children[0]
            yield Reference("value", field_name(token), literal.line, literal.column, tables=scope,
                            value=_literal_text(literal), operator=operator)
    elif fields:
        token = fields[0].children[0]
        for item in rights:
            if isinstance(item, Token) and item.type in _LITERALS:
                yield Reference("value", field_name(token), item.line, item.column, tables=scope,
                                value=_literal_text(item), operator=operator)
    for side in sides:
        if isinstance(side, Tree) and side.data != "field":
            yield from _walk(side, scope)
    if node.data != "comparison":
        for item in rights:
            if isinstance(item, Tree) and item.data == "field":
                yield _field(item, scope, operator)
            elif isinstance(item, Tree):
                yield from _walk(item, scope)
