"""KQL label stages: an `extend` whose columns no later operator reads but to show them.

`| extend Indicator = iff(FileName =~ "logman.exe", "logman", "ETW")` followed only by `project`,
`project-away` or `sort` names what a result row shows; its predicates choose that name, never
whether an event is returned, so no sample can prove them. tabular.py compiles such a stage
`untraced_stage` (tooling/languages/explanation.py): `explain` and coverage do not see its leaves.

Its rows go on to the operators after it in its pipeline and, when that pipeline is the source of
another (`X | where ...`), a leg of a `union`, the right side of a `join` / `lookup`, or bound by a
`let` and named later, to those of every pipeline that consumes it. Any other place (a scalar
sub-query, a function body, `mv-apply`, `fork`) is unknown, and unknown counts as a read.

A read is a mention of an assigned column (in any case) by a later operator other than a display
one: a bare column of `project` (`project X = Indicator`, a rename, reads it), a `project-away` /
`project-keep` of names without wildcards, and `sort` unless a later operator keeps rows by
their order (`take`, `top`, `sample`, `serialize`, `prev()`, `row_number()`, ...). A wildcard
(`*`, `Ind*`), `pack_all()`, a string naming the column (`column_ifexists("Indicator", "")`) and
an operator that reads every column (`search`, `evaluate`, anything not listed) count as reads.
"""
from __future__ import annotations

from typing import Any

from lark import Token, Tree

from tooling.languages.explanation import names_one_of
from tooling.languages.kql.tree import name_of, nodes

# operators that read only the columns they name (the others, `search` or `evaluate`, may read any)
_NAMING = frozenset({
    "where_op", "extend_op", "project_op", "project_away_op", "project_rename_op", "project_reorder_op",
    "summarize_op", "sort_op", "top_op", "take_op", "count_op", "distinct_op", "mv_expand_op",
    "mv_apply_op", "parse_op", "join_op", "lookup_op", "union_op", "serialize_op", "render_op",
})
# after a sort, these keep or number rows by their order, so the sort key chooses rows
_BY_ORDER = frozenset({"take_op", "top_op", "sample_op", "sample_distinct_op", "serialize_op", "mv_apply_op"})
_ROW_FUNCTIONS = frozenset({"prev", "next", "row_number", "row_cumsum", "row_rank_dense", "row_rank_min",
                            "row_window_session"})
_ALL_COLUMNS = frozenset({"pack_all", "bag_pack_columns"})
_MAX_DEPTH = 64  # lets consuming lets: far more than a real query nests


def label_stages(tree: Tree) -> frozenset[int]:
    """The ids of the `extend_op` nodes of `tree` no later operator reads."""
    candidates = nodes(tree, "extend_op")
    if not candidates:
        return frozenset()
    flow = _Flow(tree)
    found = set()
    for stage in candidates:
        assigned = _assigned(stage)
        if assigned is None:
            continue
        later = flow.after(stage)
        if later is not None and not _read(assigned, later):
            found.add(id(stage))
    return frozenset(found)


def _assigned(stage: Tree) -> frozenset[str] | None:
    """The columns an `extend` assigns, lower-cased; None for a shape not known here."""
    names = set()
    for item in stage.children[0].children:
        if not isinstance(item, Tree):
            return None
        if item.data == "assign":
            name = name_of(item.children[0])
            if name is None:
                return None
            names.add(name.lower())
        elif item.data == "tuple_assign":
            targets = [child for child in item.children[:-1]]
            if not all(isinstance(t, Token) and t.type == "NAME" for t in targets):
                return None
            names.update(str(t).lower() for t in targets)
        else:
            return None
    return frozenset(names)


class _Flow:
    """Where rows go: the operators each tabular node's rows pass through after it."""

    def __init__(self, tree: Tree):
        self.tree = tree
        self.parents: dict[int, Tree] = {}
        stack = [tree]
        while stack:
            node = stack.pop()
            for child in node.children:
                if isinstance(child, (Tree, Token)):
                    self.parents[id(child)] = node
                    if isinstance(child, Tree):
                        stack.append(child)

    def after(self, node: Any, depth: int = 0) -> list[Tree] | None:
        """The operators the rows of `node` pass through after it, in order (those of several
        consumers one after the other); None when one place they go is not known."""
        parent = self.parents.get(id(node))
        if parent is None or depth > _MAX_DEPTH:
            return None
        if parent is self.tree:
            return []  # the query's result
        kind = parent.data
        if kind == "pipeline":
            rest = self.after(parent, depth + 1)
            if rest is None:
                return None
            index = next(i for i, child in enumerate(parent.children) if child is node)
            return [op for op in parent.children[index + 1:] if isinstance(op, Tree)] + rest
        if kind in ("paren", "union_op") or (kind == "call" and str(parent.children[0]) == "materialize"):
            return self.after(parent, depth + 1)
        if kind in ("join_op", "lookup_op") and node is _right_side(parent):
            rest = self.after(parent, depth + 1)  # the right side: through the join's keys, then on
            return None if rest is None else [parent] + rest
        if kind == "let_stmt" and node is parent.children[1]:
            return self._consumers(parent, depth)
        return None

    def _consumers(self, statement: Tree, depth: int) -> list[Tree] | None:
        name = name_of(statement.children[0])
        if name is None:
            return None
        statements = self.tree.children
        position = next(i for i, child in enumerate(statements) if child is statement)
        out: list[Tree] = []
        for later in statements[position + 1:]:
            if not isinstance(later, Tree):
                continue
            for token in later.scan_values(lambda v: isinstance(v, Token) and str(v) == name):
                parent = self.parents.get(id(token))
                use = parent if parent is not None and parent.data == "let_ref" else token
                rest = self.after(use, depth + 1)
                if rest is None:
                    return None
                out.extend(rest)
        return out


def _right_side(join: Tree) -> Any:
    """A join's or lookup's right side: its first child after the options (`kind=`, hints)."""
    return next((child for child in join.children
                 if not (isinstance(child, Tree) and child.data in ("kind_opt", "hint"))), None)


def _read(assigned: frozenset[str], later: list[Tree]) -> bool:
    for position, op in enumerate(later):
        kind = op.data
        if kind == "project_op":
            for item in op.children[0].children:
                if name_of(item) is not None:
                    continue  # a bare column: shown
                computed = isinstance(item, Tree) and item.data in ("assign", "tuple_assign")
                value = item.children[-1] if computed else item
                if _mentions(value, assigned):
                    return True
            continue
        if kind == "project_away_op":
            if any(isinstance(child, Token) and child.type in ("WILDCARD", "STAR") for child in op.children[1:]):
                return True
            continue
        if kind == "sort_op":
            if _mentions(op, assigned) and _by_order(later[position + 1:]):
                return True
            continue
        if kind not in _NAMING or _mentions(op, assigned):
            return True
    return False


def _by_order(later: list[Tree]) -> bool:
    return any(op.data in _BY_ORDER or op.data not in _NAMING
               or any(str(t) in _ROW_FUNCTIONS for t in op.scan_values(lambda v: isinstance(v, Token)))
               for op in later)


def _mentions(node: Any, assigned: frozenset[str]) -> bool:
    """Whether `node` may read an assigned column: names it (as a column, a string or a
    dotted path's head), or reads every column (`*`, a wildcard, pack_all())."""
    stack = [(node, None)]
    while stack:
        item, parent = stack.pop()
        if isinstance(item, Tree):
            stack.extend((child, item) for child in item.children)
            continue
        if not isinstance(item, Token):
            continue
        text = str(item)
        if item.type in ("STAR", "WILDCARD") and not (parent is not None and parent.data == "mul_op"):
            return True
        if parent is not None and parent.data == "string":
            text = text.lstrip("hH@")[1:-1]
        lowered = text.lower()
        if names_one_of(lowered, assigned) or lowered in _ALL_COLUMNS:
            return True
    return False
