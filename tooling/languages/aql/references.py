"""The names an AQL query uses, for the platform checks (`Language.references`).

* `table`: each FROM table (`events`, `flows`, ...), at its position;
* `field`: each field or custom property the query reads, with the table of its statement;
  `produced=True` when the name is a SELECT alias of the statement (a column the query makes);
* `value`: each literal compared with a field by `=`, `<>`, IN, LIKE, MATCHES, BETWEEN, ... The
  name is the field; for the name functions it is the call as the schema lists its enumeration
  (`LOGSOURCETYPENAME(devicetype)`, `QIDNAME(qid)`, ...), and a case function keeps the field with
  the function in the operator (`UPPER() IN` for `UPPER("operationName") IN (...)`).
"""
from __future__ import annotations

from typing import Any, Iterator

from lark import Token, Tree

from tooling.languages.aql.nodes import (
    PREDICATES, _predicate, call_arguments, call_name, field_name, start_of, string_value, unquote,
)
from tooling.languages.base import Reference

NAME_FUNCTIONS = ("LOGSOURCETYPENAME", "LOGSOURCENAME", "QIDNAME", "CATEGORYNAME", "LOGSOURCEGROUPNAME")
CASE_FUNCTIONS = ("LOWER", "UPPER", "STR", "UTF8")


def references(tree: Any) -> Iterator[Reference]:
    for statement in (s for s in tree.iter_subtrees_topdown() if s.data == "select_stmt"):
        yield from _statement(statement)


def _own_nodes(node: Tree) -> Iterator[Tree]:
    """The subtrees of a statement, not descending into its subqueries."""
    for child in node.children:
        if isinstance(child, Tree):
            if child.data == "select_stmt":
                continue
            yield child
            yield from _own_nodes(child)


def _statement(statement: Tree) -> Iterator[Reference]:
    tables: tuple[str, ...] = ()
    aliases: set[str] = set()
    select_list = statement.children[1]
    for item in select_list.children:
        if isinstance(item, Tree) and item.data == "select_expr" and item.children[1] is not None:
            token = item.children[1].children[-1]
            name = string_value(token) if token.type == "STRING" else unquote(str(token))
            expression = item.children[0]
            if field_name(expression) != name:
                aliases.add(name)
    from_clause = statement.children[2]
    if isinstance(from_clause, Tree):
        source = next((c for c in from_clause.children if isinstance(c, Tree)), None)
        if source is not None and source.data == "table_name":
            name = unquote(str(source.children[0]))
            line, column = start_of(source) or (1, 1)
            tables = (name.lower(),)
            yield Reference("table", name, line, column)
    for node in _own_nodes(statement):
        if node.data == "field":
            name = field_name(node)
            line, column = start_of(node) or (1, 1)
            yield Reference("field", name, line, column, tables, produced=name in aliases)
        elif node.data in PREDICATES:
            yield from _values(node, tables)


def _subject(left: Any) -> tuple[str, str] | None:
    """(name, operator prefix) of the left side of a comparison, when it names a field."""
    name = field_name(left)
    if name is not None:
        return name, ""
    if isinstance(left, Tree) and left.data == "call":
        function = call_name(left).upper()
        arguments = call_arguments(left)
        inner = field_name(arguments[0]) if len(arguments) == 1 else None
        if inner is None:
            return None
        if function in NAME_FUNCTIONS:
            return f"{function}({inner})", ""
        if function in CASE_FUNCTIONS:
            return inner, f"{function}() "
    return None


def _values(node: Tree, tables: tuple[str, ...]) -> Iterator[Reference]:
    predicate = _predicate(node)
    if predicate is None or predicate.left is None:
        return
    subject = _subject(predicate.left)
    if subject is None:
        return
    name, prefix = subject
    for value in predicate.values:
        if not isinstance(value, Token) or value.type not in ("STRING", "INT", "DECIMAL", "HEX"):
            continue
        text = string_value(value) if value.type == "STRING" else str(value)
        yield Reference("value", name, value.line, value.column, tables, value=text,
                        operator=prefix + predicate.operator)
