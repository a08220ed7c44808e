"""What a LogScale query names, for the platform checks: the event types and tags it selects
(`#event_simpleName=...`, `#Vendor=...`, `#type=...`, `#repo=...` as kind "table"), the fields it
reads (with the event types in scope), the literals it compares with a field (kind "value", with
the operator), and the fields the query itself makes (`:=`, regex() named groups, as=, ...) marked
`produced=True`."""
from __future__ import annotations

import re
from typing import Iterator

from lark import Token, Tree

from tooling.languages.base import Reference
from tooling.languages.logscale.values import regex_literal

_TAGS_AS_TABLES = ("#event_simpleName", "#Vendor", "#type", "#repo")
_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z_][\w.]*)>")
_PLAIN_ALTERNATIVES = re.compile(r"^\^?\(?([\w|]+)\)?\$?$")
# Functions whose arguments name fields (argument name, position when unnamed).
_FIELD_ARGUMENTS = {
    "in": [("field", 0)], "wildcard": [("field", None)], "regex": [("field", None)], "replace": [("field", None)],
    "lower": [("field", 0)], "upper": [("field", 0)], "length": [("field", 0)], "concat": [("field", 0)],
    "format": [("field", None)], "splitstring": [("field", None)], "rename": [("field", 0)], "drop": [("fields", 0)],
    "default": [("field", None)], "select": [("fields", 0)], "table": [("fields", 0), ("sortby", None)],
    "groupby": [("field", 0)], "sort": [("field", 0)], "count": [("field", 0)], "collect": [("fields", 0)],
    "selectlast": [("fields", 0)], "sum": [("field", 0)], "min": [("field", 0)], "max": [("field", 0)],
    "avg": [("field", 0)], "match": [("field", None)], "join": [("field", None)], "bucket": [("field", None)],
}
_OUTPUTS = {"lower": "_lower", "upper": "_upper", "length": "_length", "concat": "_concat", "format": "_format",
            "count": "_count", "sum": "_sum", "min": "_min", "max": "_max", "avg": "_avg"}


def _name(token) -> str | None:
    if isinstance(token, Token) and token.type == "STRING":
        return str(token)[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if isinstance(token, Token):
        return str(token)
    return None


def _arguments(call: Tree) -> tuple[dict, list]:
    named, positional = {}, []
    for child in call.children[1:]:
        if isinstance(child, Tree) and child.data == "arguments":
            for argument in child.children:
                if argument.data == "named_argument":
                    named[str(argument.children[0]).lower()] = argument.children[1]
                elif argument.data == "positional_argument":
                    positional.append(argument.children[0])
    return named, positional


def _items(value) -> list:
    if isinstance(value, Tree) and value.data == "list":
        return list(value.children)
    return [value] if value is not None else []


def _tag_values(node: Tree) -> list[str]:
    """The literal event types a tag filter selects (`=X`, or a regex of plain alternatives)."""
    value = node.children[2]
    if isinstance(value, Token) and value.type == "REGEX":
        body, _ = regex_literal(value)
        found = _PLAIN_ALTERNATIVES.match(body)
        return found.group(1).split("|") if found and body.startswith("^") and body.endswith("$") else []
    text = _name(value)
    return [text] if text and "*" not in text else []


class _Walker:
    def __init__(self):
        self.out: list[Reference] = []
        self.tables: tuple[str, ...] = ()
        self.produced: set[str] = set()

    def field(self, token, produced: bool = False) -> None:
        name = _name(token)
        if name is None or not isinstance(token, Token):
            return
        made = produced or name in self.produced
        self.out.append(Reference("field", name, token.line or 1, token.column or 1, self.tables, produced=made))
        if produced:
            self.produced.add(name)

    def walk(self, node) -> None:
        if isinstance(node, Token):
            return
        kind = node.data
        if kind in ("comparison", "tag_filter"):
            field, op_node, value = node.children
            name = _name(field)
            op = str(op_node.children[0])
            if kind == "tag_filter" and name in _TAGS_AS_TABLES and op == "=":
                for table in _tag_values(node):
                    self.out.append(Reference("table", table, value.line or 1, value.column or 1, (name,)))
                if name == "#event_simpleName":
                    self.tables = tuple(_tag_values(node))
            self.field(field)
            if isinstance(value, Token) and value.type in ("WORD", "STRING", "REGEX") and name:
                self.out.append(Reference("value", name, value.line or 1, value.column or 1, self.tables,
                                          value=_name(value), operator=op))
            if isinstance(value, Token) and value.type == "REGEX":
                self.groups(value)
            return
        if kind == "assignment":
            self.walk(node.children[1])
            self.field(node.children[0], produced=True)
            return
        if kind == "call":
            self.call(node)
            return
        if kind == "case_branch":
            saved = self.tables
            for child in node.children:
                self.walk(child)
            self.tables = saved
            return
        if kind == "match_stmt":
            self.field(node.children[0])
        for child in node.children:
            if isinstance(child, Tree):
                self.walk(child)
        if kind in ("expr_compare", "expr_sum", "expr_product", "negate", "not_expr", "expr_and", "expr_or"):
            for child in node.children:
                if isinstance(child, Token) and child.type == "NAME" and not re.match(r"^[\d.]+$|^(true|false)$",
                                                                                     str(child)):
                    self.field(child)

    def groups(self, pattern: Token) -> None:
        """A regex's named groups become fields, made where the pattern is."""
        for group in _NAMED_GROUP.findall(str(pattern)):
            self.produced.add(group)
            self.out.append(Reference("field", group, pattern.line or 1, pattern.column or 1, self.tables,
                                      produced=True))

    def call(self, node: Tree) -> None:
        name = str(node.children[0]).lower()
        named, positional = _arguments(node)
        for argument, position in _FIELD_ARGUMENTS.get(name, ()):
            value = named.get(argument)
            if value is None and position is not None and position < len(positional):
                value = positional[position]
            for item in _items(value):
                if isinstance(item, Token) and item.type in ("NAME", "WORD", "STRING"):
                    self.field(item)
        if name == "in":
            field = named.get("field") or (positional[0] if positional else None)
            for item in _items(named.get("values")):
                if isinstance(item, Token) and _name(field):
                    self.out.append(Reference("value", _name(field), item.line or 1, item.column or 1, self.tables,
                                              value=_name(item), operator="in"))
        for value in list(named.values()) + positional:
            if isinstance(value, Tree):
                self.walk(value)
            elif isinstance(value, Token) and value.type in ("STRING", "REGEX") and name == "regex":
                self.groups(value)
        output = named.get("as")
        if isinstance(output, Token):
            self.field(output, produced=True)
        elif name in _OUTPUTS:
            self.produced.add(_OUTPUTS[name])


def references(tree: Tree, text: str) -> Iterator[Reference]:
    walker = _Walker()
    walker.walk(tree)
    return iter(walker.out)
