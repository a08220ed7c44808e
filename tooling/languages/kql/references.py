"""What a KQL query names, for the platform checks (tooling/platforms/kql/schema.json):

* `table`: each data source named in the query (a pipeline's source, a `union` leg, the right
  side of `join` / `lookup`, `search in (...)`), wildcards (`union Device*`) included, at its
  position. A name bound by `let` (or a function parameter) is the query's own, not a table.
* `field`: each column the query reads, with the tables in scope (`tables=`): the tables its
  pipeline reads, through `let` variables and `union` legs. Columns the query makes itself are
  `produced=True`: `extend` / `project` / `summarize` / `parse` outputs, `project-rename` targets,
  `mv-expand` / `mv-apply` names, `join` right-side duplicates (`Name1`), and every column after an
  operator whose output columns cannot be known (`evaluate`, `invoke`, `fork`, ...). A `let` name
  used in an expression is not a field. A dotted path into a column (`RequestMetadata.callerIp`)
  is reported whole; the checks resolve it through the dynamic column.
* `value`: each literal compared with a field, with the operator (`==`, `=~`, `in~`, `has`,
  `startswith`, ...), including the strings of a `dynamic([...])` list, inline or `let`-bound.

Each node is walked once: a `let` tabular value used twice reports its names once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from lark import Token, Tree

from tooling.languages.base import Reference
from tooling.languages.kql.columns import _generated_names
from tooling.languages.kql.tree import CONSTANTS, TABULAR, let_bindings, name_of, nodes, start_token, string_value

_OPTIONS = frozenset({"kind_opt", "hint", "withsource_opt", "isfuzzy_opt"})
# Stages whose output columns cannot be known from the query: every later column may be theirs.
_OPAQUE = frozenset({"evaluate_op", "invoke_op", "fork_op", "partition_op", "facet_op", "reduce_op", "scan_op",
                     "top_nested_op", "top_hitters_op", "sample_distinct_op", "search_op", "make_series_op",
                     "getschema_op"})
# Nodes that hold no column names.
_LITERALS = frozenset({"string", "dynamic", "typeof_expr", "method_call", "cmp_op", "list_op", "between_op"})


@dataclass(frozen=True)
class _Scope:
    tables: tuple[str, ...] = ()
    made: frozenset = frozenset()
    opaque: bool = False  # after an operator whose columns are unknown
    joined: bool = False  # after join/lookup: the right side's duplicate names get a numeric suffix

    def merge(self, other: "_Scope") -> "_Scope":
        tables = tuple(dict.fromkeys(self.tables + other.tables))
        return _Scope(tables, self.made | other.made, self.opaque or other.opaque, self.joined or other.joined)

    def making(self, *names: str) -> "_Scope":
        return _Scope(self.tables, self.made | frozenset(names), self.opaque, self.joined)


@dataclass
class _Walker:
    text: str
    lets: dict
    bound: set
    out: list = field(default_factory=list)
    states: dict = field(default_factory=dict)
    seen_values: set = field(default_factory=set)
    depth: int = 0

    # --- tabular expressions -----------------------------------------------------------------

    def source(self, node) -> _Scope:
        """The scope a tabular expression produces (its names reported the first time)."""
        key = id(node)
        if key in self.states:
            return self.states[key]
        self.states[key] = _Scope(opaque=True)  # a cycle or a too-deep query: nothing known
        if self.depth > 60:
            return self.states[key]
        self.depth += 1
        try:
            scope = self._source(node)
        finally:
            self.depth -= 1
        self.states[key] = scope
        return scope

    def _source(self, node) -> _Scope:
        if not isinstance(node, Tree):
            return _Scope(opaque=True)
        kind = node.data
        if kind == "paren":
            return self.source(node.children[0])
        if kind == "table":
            return self.table(node)
        if kind == "let_ref":
            value = self.lets.get(name_of(node.children[0]))
            return self.source(value) if _tabular(value) else _Scope(opaque=True)
        if kind == "pipeline":
            scope = self.source(node.children[0])
            for stage in node.children[1:]:
                scope = self.stage(scope, stage)
            return scope
        if kind == "union_op":
            return self.union(node, None)
        if kind in ("datatable", "externaldata"):
            names = [name_of(sub.children[0]) for sub in node.iter_subtrees() if sub.data == "col_decl"]
            return _Scope(made=frozenset(n for n in names if n))
        if kind == "print_op":
            return self.assigns(_Scope(), node.children[0], project=True)
        if kind == "range_op":
            for child in node.children[2:]:
                self.expr(child, _Scope())
            return _Scope(made=frozenset({str(node.children[1])}))
        if kind in ("search_op", "find_op"):
            for child in node.children:
                if isinstance(child, Tree) and child.data == "table":
                    self.table(child)
            return _Scope(opaque=True)
        if kind == "call":  # a stored or let-bound function as the source
            for argument in node.children[1:]:
                self.expr(argument, _Scope())
        return _Scope(opaque=True)

    def table(self, node: Tree) -> _Scope:
        child = node.children[0]
        name = name_of(child)
        if name is None and isinstance(child, Token) and child.type in ("WILDCARD", "STAR"):
            name = str(child)
        if name is None:  # database("d").T, cluster(...).database(...).F(): another database
            return _Scope(opaque=True)
        token = start_token(child, self.text) or node.meta
        self.out.append(Reference("table", name, token.line, token.column))
        return _Scope((name,))

    def union(self, node: Tree, before: _Scope | None) -> _Scope:
        scope, sources = before, []
        for child in node.children:
            if isinstance(child, Tree) and child.data in _OPTIONS:
                if child.data == "withsource_opt":
                    sources.append(str(child.children[0]))
                continue
            leg = self.source(child)
            scope = leg if scope is None else scope.merge(leg)
        return (scope or _Scope()).making(*sources)

    # --- stages ---------------------------------------------------------------------------

    def stage(self, scope: _Scope, node) -> _Scope:
        if not isinstance(node, Tree):
            return scope
        kind = node.data
        if kind == "where_op":
            self.expr(node.children[0], scope)
            return scope
        if kind in ("extend_op", "serialize_op"):
            return self.assigns(scope, node.children[0] if node.children else None)
        if kind == "project_op":
            return self.assigns(scope, node.children[0], project=True)
        if kind in ("project_away_op", "project_reorder_op"):
            for child in node.children[1:]:
                self.expr(child.children[0] if isinstance(child, Tree) and child.data == "reorder_item" else child,
                          scope)
            return scope
        if kind == "project_rename_op":
            for rename in node.children[1:]:
                self.expr(rename.children[1], scope)
                scope = self.make(rename.children[0], scope)
            return scope
        if kind == "summarize_op":
            return self.summarize(scope, node)
        if kind == "distinct_op":
            for child in node.children:
                if isinstance(child, Tree) and child.data == "assign_list":
                    scope = self.assigns(scope, child, project=True)
            return scope
        if kind in ("sort_op", "top_op"):
            for child in node.children:
                if isinstance(child, Tree) and child.data == "sort_item":
                    self.expr(child.children[0], scope)
                elif isinstance(child, Tree) and child.data != "hint":
                    self.expr(child, scope)
            return scope
        if kind == "count_op":
            return scope.making("Count")
        if kind in ("join_op", "lookup_op"):
            return self.join(scope, node)
        if kind == "union_op":
            return self.union(node, scope)
        if kind in ("mv_expand_op", "mv_apply_op"):
            return self.expand(scope, node)
        if kind in ("parse_op", "parse_kv_op"):
            made = []
            for child in node.children:
                if isinstance(child, Tree) and child.data in ("parse_column", "col_decl"):
                    made.append(child.children[0])
                elif name_of(child) is not None or isinstance(child, Tree) and child.data not in (
                        "kind_opt", "flags_opt", "string", "prop_list"):
                    self.expr(child, scope)
            for target in made:
                scope = self.make(target, scope)
            return scope
        if kind in ("take_op", "sample_op"):
            return scope
        if kind in _OPAQUE:
            return _Scope(scope.tables, scope.made, True, scope.joined)
        return scope  # render, as, consume: the columns stay as they are

    def assigns(self, scope: _Scope, items, project: bool = False) -> _Scope:
        """extend / project / print items: expressions read in `scope`, then the names made."""
        if items is None:
            return scope
        made = []
        for item in items.children if isinstance(items, Tree) and items.data == "assign_list" else [items]:
            if isinstance(item, Tree) and item.data == "assign":
                self.expr(item.children[1], scope)
                made.append(item.children[0])
            elif isinstance(item, Tree) and item.data == "tuple_assign":
                self.expr(item.children[-1], scope)
                made.extend(item.children[:-1])
            else:
                self.expr(item, scope)
                if not project and name_of(item) is None:  # `extend tolower(x)`: a generated column
                    scope = _Scope(scope.tables, scope.made, True, scope.joined)
        for target in made:
            scope = self.make(target, scope)
        return scope

    def summarize(self, scope: _Scope, node: Tree) -> _Scope:
        made, generated = [], []
        for part in node.children:
            if not isinstance(part, Tree) or part.data not in ("assign_list", "by_clause"):
                continue
            items = part.children[0] if part.data == "by_clause" else part
            for item in items.children if isinstance(items, Tree) and items.data == "assign_list" else [items]:
                if isinstance(item, Tree) and item.data == "assign":
                    self.expr(item.children[1], scope)
                    made.append(item.children[0])
                elif isinstance(item, Tree) and item.data == "tuple_assign":
                    self.expr(item.children[-1], scope)
                    made.extend(item.children[:-1])
                else:
                    self.expr(item, scope)
                    if isinstance(item, Tree) and item.data == "call" and part.data == "assign_list":
                        names = _generated_names(str(item.children[0]), list(item.children[1:]), True)
                        generated.extend(names or ())
        for target in made:
            scope = self.make(target, scope)
        return scope.making(*generated)

    def expand(self, scope: _Scope, node: Tree) -> _Scope:
        made = []
        for child in node.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "mv_item":
                target = child.children[0]
                if isinstance(target, Tree) and target.data == "assign":
                    self.expr(target.children[1], scope)
                    made.append(target.children[0])
                else:
                    self.expr(target, scope)
            elif child.data == "mv_opt":
                made.extend(c for c in child.children[1:] if name_of(c))
        for target in made:
            scope = self.make(target, scope)
        for child in node.children:
            if isinstance(child, Tree) and child.data == "sub_pipeline":
                for stage in child.children:
                    scope = self.stage(scope, stage)
        return scope

    def join(self, scope: _Scope, node: Tree) -> _Scope:
        right = _Scope(opaque=True)
        conditions = []
        for child in node.children:
            if isinstance(child, Tree) and child.data in ("kind_opt", "hint"):
                continue
            if right.opaque and not right.tables and not conditions and _tabular(child):
                right = self.source(child)
                continue
            conditions.append(child)
        both = scope.merge(right)
        for condition in conditions:
            self.expr(condition, both, sides={"$left": scope, "$right": right})
        return _Scope(both.tables, both.made, both.opaque, True)

    def make(self, target, scope: _Scope) -> _Scope:
        name = name_of(target)
        if name is None:
            return scope
        token = start_token(target, self.text)
        if token is not None:
            self.out.append(Reference("field", name, token.line, token.column, scope.tables, produced=True))
        return scope.making(name)

    # --- scalar expressions --------------------------------------------------------------------

    def field(self, name: str, at, scope: _Scope) -> None:
        token = start_token(at, self.text)
        if token is None:
            return
        head = name.split(".", 1)[0]
        produced = (head in scope.made or scope.opaque
                    or (scope.joined and head[-1:].isdigit() and head.rstrip("0123456789") != ""))
        self.out.append(Reference("field", name, token.line, token.column, scope.tables, produced=produced))

    def expr(self, node, scope: _Scope, sides: dict | None = None) -> None:
        if node is None:
            return
        name = name_of(node)
        if name is not None:
            if name not in self.bound and name not in CONSTANTS and not name.startswith("$"):
                self.field(name, node, scope)
            return
        if not isinstance(node, Tree) or node.data in _LITERALS:
            return
        kind = node.data
        if kind in TABULAR and kind not in ("table", "let_ref"):
            self.source(node)
            return
        if kind == "paren":
            if _tabular(node.children[0]):
                self.source(node.children[0])
            else:
                self.expr(node.children[0], scope, sides)
            return
        if kind == "dot":
            path = _path(node)
            if path is not None:
                head, at = path
                if sides and head[0] in sides:  # $left.Column / $right.Column in a join condition
                    if len(head) > 1:
                        self.field(".".join(head[1:]), _nth_name(node, 1), sides[head[0]])
                    return
                if head[0] not in self.bound and head[0] not in CONSTANTS:
                    self.field(".".join(head), at, scope)
                return
            self.expr(node.children[0], scope, sides)
            return
        if kind == "index":
            self.expr(node.children[0], scope, sides)
            if not isinstance(node.children[1], Tree) or node.children[1].data != "string":
                self.expr(node.children[1], scope, sides)
            return
        if kind == "call":
            for argument in node.children[1:]:
                self.expr(argument, scope, sides)
            return
        if kind == "named_arg":
            self.expr(node.children[1], scope, sides)
            return
        if kind == "compare":
            left, operator, right = node.children
            self.expr(left, scope, sides)
            self.expr(right, scope, sides)
            self.compared(left, str(operator.children[0]), [right], scope)
            return
        if kind == "in_list":
            left, operator, *values = node.children
            self.expr(left, scope, sides)
            for value in values:
                self.expr(value, scope, sides)
            self.compared(left, str(operator.children[0]), values, scope)
            return
        if kind in ("any_column_compare", "column_has"):
            self.expr(node.children[-1], scope, sides)
            return
        for child in node.children:
            if child is not None and not isinstance(child, Token) or name_of(child) is not None:
                self.expr(child, scope, sides)

    def compared(self, left, operator: str, values: list, scope: _Scope) -> None:
        """Value references: the literals a field is compared with."""
        subject = name_of(left)
        if subject is None and isinstance(left, Tree) and left.data == "dot":
            path = _path(left)
            subject = ".".join(path[0]) if path and not path[0][0].startswith("$") else None
        if subject is None or subject in self.bound or subject in CONSTANTS:
            return
        produced = subject.split(".", 1)[0] in scope.made or scope.opaque
        for literal, token in self.literals(values):
            key = (subject, token.line, token.column, scope.tables)
            if key in self.seen_values:
                continue
            self.seen_values.add(key)
            self.out.append(Reference("value", subject, token.line, token.column, scope.tables, value=literal,
                                      operator=operator, produced=produced))

    def literals(self, values: list, depth: int = 0) -> Iterator[tuple[str, Token]]:
        for value in values:
            while isinstance(value, Tree) and value.data in ("paren", "let_ref") and depth < 20:
                value, depth = value.children[0], depth + 1
            name = name_of(value)
            if name is not None and name in self.lets and depth < 20:  # a let-bound literal or list
                yield from self.literals([self.lets[name]], depth + 1)
                continue
            if isinstance(value, Token) and value.type == "NUMBER":
                yield str(value), value
            elif isinstance(value, Tree) and value.data == "string":
                text = string_value(value)
                if text is not None:
                    yield text, value.children[0]
            elif isinstance(value, Tree) and value.data == "dynamic":
                for sub in value.iter_subtrees_topdown():
                    if sub.data == "string":
                        text = string_value(sub)
                        if text is not None:
                            yield text, sub.children[0]


def _tabular(node) -> bool:
    return isinstance(node, Tree) and (node.data in TABULAR or node.data == "paren" and _tabular(node.children[0]))


def _path(node) -> tuple[list[str], object] | None:
    """(["A", "b", "c"], the first name) of a dotted path of names, or None."""
    parts = []
    while isinstance(node, Tree) and node.data == "dot":
        member = name_of(node.children[1])
        if member is None:
            return None
        parts.append(member)
        node = node.children[0]
    head = name_of(node)
    if head is None and isinstance(node, Token) and str(node).startswith("$"):
        head = str(node)
    if head is None:
        return None
    return [head] + parts[::-1], node


def _nth_name(node: Tree, index: int):
    """The token of the `index`-th name of a dotted path (0: the head)."""
    chain = []
    while isinstance(node, Tree) and node.data == "dot":
        chain.append(node.children[1])
        node = node.children[0]
    chain.append(node)
    chain.reverse()
    return chain[index]


def references(tree, text: str) -> list[Reference]:
    lets = let_bindings(tree)
    bound = {name_of(n.children[0]) for n in nodes(tree, "let_stmt") + nodes(tree, "param")}
    bound.discard(None)
    walker = _Walker(text, lets, bound)
    for statement in tree.children:
        if isinstance(statement, Tree) and statement.data == "let_stmt":
            value = statement.children[1]
            if _tabular(value):
                walker.source(value)
            elif isinstance(value, Tree) and value.data == "function_def":
                body = value.children[-1]
                last = body.children[-1] if isinstance(body, Tree) and body.children else None
                if _tabular(last):
                    walker.source(last)
            elif isinstance(value, Tree):
                walker.expr(value, _Scope(opaque=True))
        elif _tabular(statement):
            walker.source(statement)
        elif isinstance(statement, Tree):
            walker.expr(statement, _Scope(opaque=True))
    return sorted(walker.out, key=lambda r: (r.line, r.column, r.kind))
