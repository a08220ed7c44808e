"""DAC474: a field read after `groupBy()` that `groupBy()` does not output.

`groupBy()` replaces the events by one row per group. A row holds only the group fields and the
fields the aggregate functions write (`_count` for `count()`, the `as=` name, the fields of
`collect()`/`selectLast()`): `@timestamp`, tags and every other field are gone. A later
`table([...])`, `sort()` or filter on such a field shows an empty column or filters out every row.

The analysis follows the stages after each `groupBy()` only while it knows what they do
(filters, `:=`, `table`, `select`, `sort`, `head`, `tail`, `rename`, `default`, `format`) and
stops at anything else, so a field that some other function might create is never reported.
"""
from __future__ import annotations

import re
from typing import Iterator

from lark import Token, Tree

from tooling.diagnostics import Diagnostic
from tooling.languages.logscale.lint import (FILTER_NODES, _at, _safe, call_name, named_argument,
                                              pipelines_with_own_start, stage_body, stages)
from tooling.languages.logscale.regexcheck import unescape_string

# Aggregate -> the field it writes when `as=` is not given.
_DEFAULT_OUTPUT = {"count": "_count", "sum": "_sum", "avg": "_avg", "min": "_min", "max": "_max",
                   "stddev": "_stddev", "range": "_range"}
# Aggregates that write the fields named in their first argument.
_FIELD_OUTPUT = {"collect": "fields", "selectlast": "fields"}
_PASS_THROUGH = frozenset({"head", "tail", "limit"})


def _field_name(value) -> str | None:
    if isinstance(value, Token) and value.type in ("NAME", "WORD"):
        return str(value)
    if isinstance(value, Token) and value.type == "STRING":
        return unescape_string(str(value)[1:-1])
    return None


def _field_list(value) -> list[tuple[str, Token]] | None:
    """Field names (with their tokens) of a single field or a `[a, b]` list, else None."""
    items = value.children if isinstance(value, Tree) and value.data == "list" else [value]
    fields = []
    for item in items:
        name = _field_name(item)
        if name is None:
            return None
        fields.append((name, item))
    return fields


def _aggregate_outputs(call) -> set[str] | None:
    if not (isinstance(call, Tree) and call.data == "call"):
        return None
    name = call_name(call).lower()
    alias = named_argument(call, "as")
    if alias is not None:
        alias_name = _field_name(alias)
        return {alias_name} if alias_name else None
    if name in _DEFAULT_OUTPUT:
        return {_DEFAULT_OUTPUT[name]}
    if name in _FIELD_OUTPUT:
        fields = _field_list(named_argument(call, _FIELD_OUTPUT[name], 0))
        return {f for f, _ in fields} if fields else None
    return None


def group_by_outputs(call: Tree) -> set[str] | None:
    """The fields a `groupBy()` call outputs, or None when that is not known."""
    groups = _field_list(named_argument(call, "field", 0))
    if not groups:
        return None
    outputs = {name for name, _ in groups}
    function = named_argument(call, "function")
    if function is None:
        return outputs | {"_count"}
    aggregates = function.children if isinstance(function, Tree) and function.data == "list" else [function]
    for aggregate in aggregates:
        written = _aggregate_outputs(aggregate)
        if written is None:
            return None
        outputs |= written
    return outputs


_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z_][\w.]*)>")


def _filter_fields(node) -> tuple[list[Token], set[str]] | None:
    """Field tokens read by a filter expression and the fields its regexes' named groups
    create; None when it holds something not modelled (a function call)."""
    found: list[Token] = []
    created: set[str] = set()

    def walk(item) -> bool:
        if isinstance(item, Token):
            if item.type == "REGEX":
                created.update(_NAMED_GROUP.findall(str(item)))
            return True
        if item.data not in FILTER_NODES or item.data == "function_match":
            return False
        if item.data in ("comparison", "tag_filter", "like", "in_list") and isinstance(item.children[0], Token):
            found.append(item.children[0])
            return all(walk(child) for child in item.children[1:] if isinstance(child, Token))
        return all(walk(child) for child in item.children)

    return (found, created) if walk(node) else None


def _unknown(tokens, known: set[str]) -> Token | None:
    for token in tokens:
        name = _field_name(token)
        if name is not None and name not in known:
            return token
    return None


def _follow(following: list[Tree], known: set[str]) -> Token | None:
    """The first field read by the stages after a groupBy() that is not in `known`."""
    known = set(known)
    for stage in following:
        body = stage_body(stage)
        if not isinstance(body, Tree):
            return None
        if body.data in FILTER_NODES:
            read = _filter_fields(body)
            if read is None:
                return None
            bad = _unknown(read[0], known)
            if bad is not None:
                return bad
            known |= read[1]
            continue
        if body.data == "assignment":
            target = _field_name(body.children[0])
            if target is None:
                return None
            known.add(target)
            continue
        if body.data != "call":
            return None
        name = call_name(body).lower()
        if name in _PASS_THROUGH:
            continue
        if name in ("table", "select", "sort"):
            fields = _field_list(named_argument(body, "fields" if name != "sort" else "field", 0))
            if fields is None:
                return None
            bad = _unknown((token for _, token in fields), known)
            if bad is not None or name != "sort":
                return bad
            continue
        if name in ("rename", "default", "format"):
            target = named_argument(body, "as" if name != "default" else "field")
            fields = _field_list(target) if target is not None else None
            if fields is None:
                return None
            known |= {f for f, _ in fields}
            continue
        return None
    return None


@_safe
def dropped_field_rule(tree, _text) -> Iterator[Diagnostic]:
    """DAC474: a field read after groupBy() that groupBy() does not output."""
    for pipeline in pipelines_with_own_start(tree):
        steps = stages(pipeline)
        for index, stage in enumerate(steps):
            body = stage_body(stage)
            if not (isinstance(body, Tree) and body.data == "call" and call_name(body).lower() == "groupby"):
                continue
            outputs = group_by_outputs(body)
            if outputs is None:
                continue
            bad = _follow(steps[index + 1:], outputs)
            if bad is not None:
                listed = ", ".join(sorted(outputs))
                yield _at("DAC474", f"field {str(bad)} does not exist after the groupBy() on line "
                                    f"{body.meta.line}: it keeps only {listed}", bad)
