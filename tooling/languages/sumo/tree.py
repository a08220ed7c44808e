"""The Sumo Logic parse tree: node class, parse-time reshaping and walking helpers.

The node types are documented in the package docstring (`tooling/languages/sumo/__init__.py`).
This module holds what makes them convenient:

- `SumoTree`, a Lark `Tree` whose `meta` (line, column, end_line, end_column, start_pos,
  end_pos) is worked out on first use from the node's first and last tokens. The parser runs
  with `propagate_positions=False` (about a quarter faster), yet every node has a position.
- `Shaper`, the parse-time callbacks for the few rules whose LALR-friendly shape is not the
  one analysis wants: `parse` field lists are regrouped under their pattern, expression
  statements become `aggregate_cmd`, `assign_cmd` or `eval_cmd`, and `by` lists hold one
  `aliased` node per group key. It is a plain object (not a Lark Transformer), so every other
  rule keeps Lark's default, cheapest tree building.
- Small helpers used by the lint rules: `stages`, `pipelines`, `first_token`, `text_of`, ...
"""
from __future__ import annotations

from typing import Iterator

from lark import Token, Tree
from lark.tree import Meta

from tooling.languages.sumo.operators import AGGREGATE_FUNCTIONS

# The stage (operator) node names; generic_cmd is "any other operator".
STAGES = frozenset({
    "where_cmd", "parse_cmd", "json_cmd", "sort_cmd", "fields_cmd", "lookup_cmd", "join_cmd",
    "filter_cmd", "limit_cmd", "top_cmd", "transpose_cmd", "save_cmd", "timeslice_cmd",
    "aggregate_cmd", "assign_cmd", "eval_cmd", "generic_cmd",
})
FIELD_TOKENS = frozenset({"NAME", "FIELD_REF", "PLACEHOLDER"})


class SumoTree(Tree):
    """A Lark tree whose position is computed lazily from its tokens."""

    @property
    def meta(self) -> Meta:
        if self._meta is None:
            self._meta = _meta_from_tokens(self)
        return self._meta


def _meta_from_tokens(node: Tree) -> Meta:
    meta = Meta()
    first, last = first_token(node), last_token(node)
    if first is None or last is None:
        return meta  # meta.empty stays True
    meta.empty = False
    meta.line, meta.column, meta.start_pos = first.line, first.column, first.start_pos
    meta.end_line, meta.end_column, meta.end_pos = last.end_line, last.end_column, last.end_pos
    return meta


def first_token(node) -> Token | None:
    """The leftmost token of a node (the node itself when it is a token)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Token):
            return item
        if isinstance(item, Tree):
            stack.extend(reversed(item.children))
    return None


def last_token(node) -> Token | None:
    """The rightmost token of a node."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Token):
            return item
        if isinstance(item, Tree):
            stack.extend(item.children)
    return None


def tokens(node) -> Iterator[Token]:
    """Every token of a node, left to right."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Token):
            yield item
        elif isinstance(item, Tree):
            stack.extend(reversed(item.children))


def subtrees(node) -> Iterator[Tree]:
    """Every subtree of a node (the node first), depth first, left to right."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Tree):
            yield item
            stack.extend(reversed(item.children))


class Index:
    """One walk of a tree: its subtrees by rule name and its tokens by type (in source order,
    nested nodes of one name excepted).

    Lint rules share it (`index(tree)`), so a query is walked once however many rules run.
    """

    def __init__(self, tree) -> None:
        nodes: dict[str, list[Tree]] = {}
        found: dict[str, list[Token]] = {}
        stack = [tree]
        pop, extend = stack.pop, stack.extend
        while stack:
            item = pop()
            if isinstance(item, Tree):
                same = nodes.get(item.data)
                if same is None:
                    nodes[item.data] = [item]
                else:
                    same.append(item)
                extend(item.children)
            elif isinstance(item, Token):
                same = found.get(item.type)
                if same is None:
                    found[item.type] = [item]
                else:
                    same.append(item)
        # the walk went right to left: put each list back in source order
        for same in nodes.values():
            same.reverse()
        for same in found.values():
            same.reverse()
        self.nodes, self.tokens = nodes, found

    def of(self, *names: str) -> list[Tree]:
        if len(names) == 1:
            return self.nodes.get(names[0], [])
        return [node for name in names for node in self.nodes.get(name, [])]


def index(tree) -> Index:
    """The (cached) Index of a tree."""
    cached = getattr(tree, "_sumo_index", None)
    if cached is None:
        cached = Index(tree)
        try:
            tree._sumo_index = cached
        except AttributeError:  # a plain Lark Tree or a token: no cache
            pass
    return cached


def pipelines(tree) -> Iterator[list]:
    """Every pipeline in the query: the main one first, then those inside subqueries, join
    tables and filter children. Each is the list of its nodes: scope (if any) then stages."""
    for node in index(tree).of("start", "subquery_body", "join_source", "filter_cmd"):
        if node.data in ("start", "subquery_body"):
            yield [c for c in node.children if isinstance(c, Tree) and (c.data == "scope" or c.data in STAGES)]
        elif node.data in ("join_source", "filter_cmd"):
            yield [c for c in node.children if isinstance(c, Tree) and c.data in STAGES]


def stages(tree) -> list[Tree]:
    """The stages (operators after a pipe) of the main pipeline, in order."""
    if not isinstance(tree, Tree):
        return []
    return [c for c in tree.children if isinstance(c, Tree) and c.data in STAGES]


def scope_of(tree) -> Tree | None:
    """The scope (search expression before the first pipe) of the main query."""
    if isinstance(tree, Tree) and tree.children and isinstance(tree.children[0], Tree) \
            and tree.children[0].data == "scope":
        return tree.children[0]
    return None


def operator_name(stage: Tree) -> str:
    """The operator name of a stage, lower-cased: 'where', 'parse', 'count', 'csv', ..."""
    if stage.data == "generic_cmd":
        head = stage.children[0] if stage.children else None
        return str(head).lower() if isinstance(head, Token) else ""
    if stage.data in ("aggregate_cmd", "eval_cmd"):
        head = aggregate_head(stage)
        return head[0] if head else stage.data[:-4]
    return stage.data[:-4]


def aggregate_head(stage: Tree) -> tuple[str, Token] | None:
    """(name, token) of the function an aggregate/eval statement starts with: `count`, `sum(x)`."""
    for item in stage.children:
        if isinstance(item, Tree) and item.data == "aliased" and item.children:
            expr = item.children[0]
            if isinstance(expr, Token) and expr.type == "NAME":
                return str(expr).lower(), expr
            if isinstance(expr, Tree) and expr.data == "call" and isinstance(expr.children[0], Token):
                return str(expr.children[0]).lower(), expr.children[0]
            return None
    return None


def unquote(token: Token) -> str:
    """The content of a string token without its quotes (escapes kept as written)."""
    value = str(token)
    if token.type in ("STRING", "SQSTRING") and len(value) >= 2:
        return value[1:-1]
    return value


def field_name(token) -> str | None:
    """The field a NAME / %"field" / %field token names, lower-cased (Sumo field names are
    case-insensitive); None for anything else."""
    if not isinstance(token, Token):
        return None
    value = str(token)
    if token.type == "NAME":
        return value.lower()
    if token.type == "FIELD_REF":
        value = value[1:].strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1]
        return value.lower()
    return None


def _aliases(item) -> list:
    """The alias tokens of an alias target: one token, or a parenthesised alias_target list."""
    if isinstance(item, Tree) and item.data == "alias_target":
        return [c for c in item.children if isinstance(c, Token)]
    return [item] if isinstance(item, Token) else []


def _add_fields(pattern: Tree, fields: list) -> None:
    if not fields:
        return
    if pattern.children and isinstance(pattern.children[-1], Tree) and pattern.children[-1].data == "parse_fields":
        pattern.children[-1].children.extend(fields)
    else:
        pattern.children.append(SumoTree("parse_fields", list(fields)))


class Shaper:
    """Parse-time callbacks (Lark `transformer=` with LALR) for the reshaped rules.

    Each method receives the rule's children, already filtered, and must never raise.
    """

    def parse_cmd(self, children: list) -> SumoTree:
        """`parse [opts] "p1" as a, b, "p2" as c [opts]` -> options and parse_pattern nodes.

        The grammar keeps `as a, b, "p2"` flat (LALR cannot tell a following field from a
        following pattern one token ahead); here each field joins the pattern before it.
        """
        out: list = []
        current: SumoTree | None = None  # the pattern the next fields belong to
        for child in children:
            if isinstance(child, Token) and child.type == "STRING":
                current = SumoTree("parse_pattern", [child])
                out.append(current)
            elif isinstance(child, Tree) and child.data == "parse_pattern":
                head = [c for c in child.children if isinstance(c, Token) and c.type in ("REGEX_KW", "STRING")]
                current = SumoTree("parse_pattern", head)
                out.append(current)
                for rest in child.children[len(head):]:
                    _add_fields(current, _aliases(rest))
            elif isinstance(child, Tree) and child.data == "parse_option" or \
                    isinstance(child, Token) and child.type == "PARSE":
                out.append(child)
            elif current is not None:  # an alias or a parenthesised alias list
                _add_fields(current, _aliases(child))
        return SumoTree("parse_cmd", out)

    def expr_cmd(self, children: list) -> SumoTree:
        """An expression statement, named by what it does: aggregate, assign or eval."""
        if any(isinstance(c, Tree) and c.data == "by_clause" for c in children):
            return SumoTree("aggregate_cmd", children)
        for item in children:
            expr = item.children[0] if isinstance(item, Tree) and item.children else None
            name = None
            if isinstance(expr, Token) and expr.type == "NAME":
                name = str(expr)
            elif isinstance(expr, Tree) and expr.data == "call" and isinstance(expr.children[0], Token):
                name = str(expr.children[0])
            if name is not None and name.lower() in AGGREGATE_FUNCTIONS:
                return SumoTree("aggregate_cmd", children)
        if len(children) == 1 and isinstance(children[0], Tree) and len(children[0].children) == 1:
            expr = children[0].children[0]
            if isinstance(expr, Tree) and expr.data == "compare" and len(expr.children) == 3 \
                    and str(expr.children[1]) == "=" and isinstance(expr.children[0], Token) \
                    and expr.children[0].type in FIELD_TOKENS:
                return SumoTree("assign_cmd", [expr.children[0], expr.children[2]])
        return SumoTree("eval_cmd", children)

    def by_clause(self, children: list) -> SumoTree:
        """Every group key as an `aliased` node (the `by`-less form starts with a bare field)."""
        return SumoTree("by_clause", [SumoTree("aliased", [c]) if isinstance(c, Token) else c
                                      for c in children])
