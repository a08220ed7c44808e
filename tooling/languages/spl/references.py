"""SPL references for the platform checks (tooling/platforms/spl/schema.json): the source types and
data models a query reads (kind "table"), the fields it uses with the tables in scope, the
literals it compares with a field and the operator, and the fields the query itself makes
(`produced`: eval, rex, rename, stats aliases, lookup outputs).

Scope: the source types a search names with `sourcetype=` (a query over several has them all in
scope), or the data model of tstats. A macro's contents are the repository's (platforms.yml), not
read here: a query whose source is a macro has no table in scope.
"""
from __future__ import annotations

import re
from typing import Iterator

from lark import Token, Tree

from tooling.languages.base import Reference
from tooling.languages.evaluation import node_position
from tooling.languages.spl.tree import command_name
from tooling.languages.spl.values import unquote_field, unquote_search

_TIME = {"earliest", "latest", "_index_earliest", "_index_latest"}
_LITERAL_NAMES = {"true", "false", "null"}


class _Walk:
    def __init__(self) -> None:
        self.found: list[Reference] = []
        self.produced: set[str] = set()
        self.current: set[str] = set()  # fields of the rows after a stats/tstats, for wildcard renames
        self.opaque = False  # after a macro command

    def field(self, name: str, at, tables: tuple) -> None:
        line, column = node_position(at)
        self.found.append(Reference("field", name, line, column, tables,
                                    produced=name in self.produced or self.opaque))

    def value(self, name: str, value: str, operator: str, at, tables: tuple) -> None:
        line, column = node_position(at)
        self.found.append(Reference("value", name, line, column, tables, value=value, operator=operator,
                                    produced=name in self.produced or self.opaque))

    def table(self, name: str, at) -> None:
        line, column = node_position(at)
        self.found.append(Reference("table", name, line, column))

    def make(self, name: str, at, tables: tuple) -> None:
        self.produced.add(name)
        self.current.add(name)
        line, column = node_position(at)
        self.found.append(Reference("field", name, line, column, tables, produced=True))


def references(tree, text: str) -> Iterator[Reference]:
    walk = _Walk()
    _pipeline(tree.children[0], walk)
    return iter(walk.found)


def _scope(expression) -> tuple[str, ...]:
    names = []
    if isinstance(expression, Tree):
        for node in expression.iter_subtrees_topdown():
            if node.data == "subsearch":
                continue
            if node.data == "comparison" and str(node.children[0]) == "sourcetype" and str(node.children[1]) == "=":
                names.append(unquote_search(str(node.children[2])))
            elif node.data == "in_list" and str(node.children[0]) == "sourcetype":
                names.extend(unquote_search(str(v)) for v in node.children[1:])
            elif node.data == "comparison" and str(node.children[0]) == "source" and str(node.children[1]) == "=":
                # Windows sources name their source type: XmlWinEventLog:<channel>, WinEventLog:<channel>
                head = unquote_search(str(node.children[2])).split(":", 1)[0]
                if head in ("XmlWinEventLog", "WinEventLog"):
                    names.append(head)
    return tuple(dict.fromkeys(names))


def _pipeline(node: Tree, walk: _Walk, scope: tuple = ()) -> None:
    for child in node.children:
        if isinstance(child, Tree) and child.data == "base_search":
            scope = _scope(child.children[0]) or scope
            _search(child.children[0], walk, scope)
        else:
            scope = _command(child, walk, scope)


def _search(node, walk: _Walk, scope: tuple) -> None:
    if isinstance(node, Token) or node is None:
        return
    if node.data == "subsearch":
        _pipeline(node.children[0], _Sub(walk))
        return
    if node.data == "comparison":
        field, operator, value = node.children
        name = unquote_field(str(field))
        if name in _TIME:
            return
        walk.field(name, field, scope)
        walk.value(name, unquote_search(str(value)), str(operator), value, scope)
        if name == "sourcetype" and str(operator) == "=":
            walk.table(unquote_search(str(value)), value)
        return
    if node.data == "in_list":
        name = unquote_field(str(node.children[0]))
        walk.field(name, node.children[0], scope)
        for value in node.children[1:]:
            walk.value(name, unquote_search(str(value)), "IN", value, scope)
            if name == "sourcetype":
                walk.table(unquote_search(str(value)), value)
        return
    for child in node.children:
        _search(child, walk, scope)


class _Sub(_Walk):
    """A subsearch: its own fields, the same list of references."""

    def __init__(self, outer: _Walk) -> None:
        super().__init__()
        self.found = outer.found


def _expression(node, walk: _Walk, scope: tuple) -> None:
    if isinstance(node, Token):
        if node.type == "NAME" and str(node) not in _LITERAL_NAMES:
            walk.field(str(node), node, scope)
        elif node.type == "SQFIELD":
            walk.field(unquote_field(str(node)), node, scope)
        return
    kind = node.data
    if kind == "call":
        arguments = node.children[1].children if len(node.children) > 1 else []
        name = str(node.children[0]).lower()
        if name == "match" and len(arguments) == 2 and _field_of(arguments[0]) and _literal(arguments[1]) is not None:
            walk.value(_field_of(arguments[0]), _literal(arguments[1]), "match", arguments[1], scope)
        for argument in arguments:
            _expression(argument, walk, scope)
        return
    if kind in ("compare", "like", "not_like"):
        left, right = node.children[0], node.children[-1]
        operator = str(node.children[1]) if kind == "compare" else "LIKE" if kind == "like" else "NOT LIKE"
        for field_side, literal_side in ((left, right), (right, left)):
            if _field_of(field_side) and _literal(literal_side) is not None:
                walk.value(_field_of(field_side), _literal(literal_side), operator, literal_side, scope)
    elif kind in ("in_expr", "not_in_expr", "in_call"):
        items = node.children[1].children if kind != "in_call" else node.children[0].children[1:]
        target = node.children[0] if kind != "in_call" else node.children[0].children[0]
        if _field_of(target):
            for item in items:
                if _literal(item) is not None:
                    walk.value(_field_of(target), _literal(item), "IN", item, scope)
    if kind == "subsearch":
        _pipeline(node.children[0], _Sub(walk))
        return
    for child in node.children:
        _expression(child, walk, scope)


def _field_of(node) -> str | None:
    if isinstance(node, Token) and node.type == "NAME" and str(node) not in _LITERAL_NAMES:
        return str(node)
    if isinstance(node, Token) and node.type == "SQFIELD":
        return unquote_field(str(node))
    return None


def _literal(node) -> str | None:
    if isinstance(node, Token) and node.type == "STRING":
        return unquote_search(str(node))
    if isinstance(node, Token) and node.type == "NUMBER":
        return str(node)
    return None


def _words(items) -> list[tuple[str, Token]]:
    out = []
    for item in items:
        if isinstance(item, Token) and item.type in ("WORD", "STRING", "FIELD"):
            for part in str(item).split(","):
                if part and part not in ("+", "-"):
                    out.append((unquote_field(part.lstrip("+-")), item))
    return out


def _command(node: Tree, walk: _Walk, scope: tuple) -> tuple:
    kind = node.data
    name = (command_name(node) or "").lower()
    if kind == "search_cmd":
        _search(node.children[0], walk, scope)
    elif kind == "where_cmd":
        _expression(node.children[0], walk, scope)
    elif kind == "eval_cmd":
        for assignment in node.children:
            _expression(assignment.children[1], walk, scope)
            walk.make(unquote_field(str(assignment.children[0])), assignment.children[0], scope)
    elif kind in ("stats_cmd", "tstats_cmd", "chart_cmd"):
        return _stats(node, walk, scope)
    elif kind == "rex_cmd":
        options = {str(o.children[0]).lower(): o for o in node.children if isinstance(o, Tree)}
        if "field" in options:
            walk.field(str(options["field"].children[1]), options["field"].children[1], scope)
        pattern = next(c for c in node.children if isinstance(c, Token))
        for group in re.findall(r"\(\?P?<([A-Za-z_]\w*)>", str(pattern)):
            walk.make(group, pattern, scope)
    elif kind == "rename_cmd":
        for pair in node.children:
            old, new = (unquote_field(str(c)) for c in pair.children)
            if "*" in old:
                pattern = re.compile("(.*)".join(re.escape(p) for p in old.split("*")) + r"\Z")
                for known in sorted(walk.current):
                    found = pattern.match(known)
                    if found:
                        target = new
                        for part in found.groups():
                            target = target.replace("*", part, 1)
                        walk.make(target, pair.children[1], scope)
            else:
                walk.field(old, pair.children[0], scope)
                walk.make(new, pair.children[1], scope)
    elif name in ("table", "fields", "sort", "dedup", "mvexpand", "fillnull"):
        for field, at in _words(node.children[1:]):
            if not field.isdigit() and "*" not in field and "=" not in field:
                walk.field(field, at, scope)
    elif name == "convert":
        for group in (c for c in node.children[1:] if isinstance(c, Tree) and c.data == "gen_group"):
            for field, at in _words(group.children):
                walk.field(field, at, scope)
    elif name in ("append", "appendcols", "join"):
        for sub in (c for c in node.children[1:] if isinstance(c, Tree) and c.data == "subsearch"):
            inner = _Sub(walk)
            _pipeline(sub.children[0], inner)
            walk.produced |= inner.produced  # its results join the rows
            walk.current |= inner.current
    elif kind == "macro_cmd":
        walk.opaque = True  # a declared macro may make any field: later fields count as made by the query
    elif name in ("lookup", "inputlookup"):
        words = _words(node.children[1:])
        if words:
            walk.table(words[0][0], words[0][1])
        upper = [w.upper() for w, _ in words]
        if "OUTPUT" in upper or "OUTPUTNEW" in upper:
            cut = upper.index("OUTPUT") if "OUTPUT" in upper else upper.index("OUTPUTNEW")
            for field, at in words[cut + 1:]:
                if field.upper() != "AS":
                    walk.make(field, at, scope)
    return scope


def _stats(node: Tree, walk: _Walk, scope: tuple) -> tuple:
    if node.data == "tstats_cmd":
        source = next((c for c in node.children if isinstance(c, Tree) and c.data == "from_clause"), None)
        if source is not None and isinstance(source.children[0], Tree):
            model = unquote_search(str(source.children[0].children[1]))
            walk.table(model, source.children[0].children[1])
            scope = (model,)
        where = next((c for c in node.children if isinstance(c, Tree) and c.data == "tstats_where"), None)
        if where is not None:
            _search(where.children[0], walk, scope)
    walk.current = set()
    for item in node.children:
        if isinstance(item, Tree) and item.data == "aggregation":
            call = item.children[0]
            argument = call.children[1] if call.data == "agg_func" and len(call.children) > 1 else None
            if isinstance(argument, Token) and argument.type in ("FIELD", "STRING"):
                walk.field(unquote_field(str(argument)), argument, scope)
            elif isinstance(argument, Tree) and argument.data == "agg_eval":
                _expression(argument.children[0], walk, scope)
            alias = item.children[1] if len(item.children) > 1 else None
            walk.make(unquote_field(str(alias)) if alias is not None else str(call.children[0]), alias or call, scope)
        elif isinstance(item, Tree) and item.data == "by_clause":
            for field, at in _words(item.children):
                walk.field(field, at, scope)
                walk.current.add(field)
    return scope
