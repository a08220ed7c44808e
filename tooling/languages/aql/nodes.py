"""Reading the AQL parse tree: statements, predicates (field / operator / values), calls.

The node types themselves are documented in the package docstring (`tooling/languages/aql`).
These helpers never raise on a tree of an odd shape: they skip what they do not recognise.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from lark import Token, Tree

PREDICATES = ("comparison", "between", "in_list", "string_match", "is_null", "text_search")
TIME_CLAUSES = ("last_clause", "start_stop_clause")


@dataclass(frozen=True)
class Predicate:
    """One filter: `left operator values`, e.g. `"EventID" IN ('1', '4688')`.

    `left` is the operand on the left (a `field` tree, a `call`, ...; None for TEXT SEARCH);
    `operator` is upper case and includes NOT (`'NOT ILIKE'`, `'IS NOT NULL'`, `'TEXT SEARCH'`);
    `values` are the right-hand operands (two for BETWEEN, the list items for IN, the subquery's
    `select_stmt` for `IN (SELECT ...)`, none for IS NULL).
    """
    node: Tree
    left: Any
    operator: str
    values: tuple

    @property
    def field(self) -> str | None:
        return field_name(self.left)


_INDEX: tuple[Any, dict[str, list[Tree]]] = (None, {})


def _index(node: Tree) -> dict[str, list[Tree]]:
    """Subtrees of `node` by name, outer ones first. The lint rules all read the same tree one
    after another, so the index of the last tree asked for is kept (one walk instead of eight)."""
    global _INDEX
    cached, index = _INDEX
    if cached is not node:
        index = {"": list(node.iter_subtrees_topdown())}  # "" holds every subtree, in order
        for sub in index[""]:
            index.setdefault(sub.data, []).append(sub)
        _INDEX = (node, index)
    return index


def trees(node: Any, data: str | tuple[str, ...]) -> Iterator[Tree]:
    """Every subtree named `data` (or one of the names), outer ones first, in query order."""
    if not isinstance(node, Tree):
        return iter(())
    if isinstance(data, str):
        return iter(_index(node).get(data, ()))
    names = set(data)
    return (sub for sub in _index(node)[""] if sub.data in names)


def statements(tree: Any) -> Iterator[Tree]:
    """Every `select_stmt`: the query itself first, then its subqueries."""
    return trees(tree, "select_stmt")


def clause(statement: Tree, *names: str) -> Tree | None:
    """The statement's own clause named one of `names` (not one of a subquery), or None."""
    for child in getattr(statement, "children", ()):
        if isinstance(child, Tree) and child.data in names:
            return child
    return None


def source(statement: Tree) -> Any:
    """What the statement reads from: a `table_name`, a `call` (table function) or a
    `subquery_source`; None if it has no FROM clause."""
    from_clause = clause(statement, "from_clause")
    if from_clause is None:
        return None
    return next((c for c in from_clause.children if isinstance(c, Tree)), None)


def table_name(statement: Tree) -> str | None:
    """`events`, `flows`, ... (lower case, quotes removed) when the source is a table."""
    node = source(statement)
    if isinstance(node, Tree) and node.data == "table_name" and node.children:
        return unquote(str(node.children[0])).lower()
    return None


def has_time_range(statement: Tree) -> bool:
    """True when the statement, or the subquery it reads FROM, has LAST or START ... STOP."""
    while isinstance(statement, Tree):
        if clause(statement, *TIME_CLAUSES) is not None:
            return True
        node = source(statement)
        if not (isinstance(node, Tree) and node.data == "subquery_source"):
            return False
        statement = next((c for c in node.children if isinstance(c, Tree)), None)
    return False


_PREDICATES: tuple[Any, list] = (None, [])


def predicates(tree: Any) -> Iterator[Predicate]:
    """Every filter in the query (WHERE, HAVING, CASE conditions, subqueries...). Kept for the
    last tree asked for, like the index: several lint rules read them one after another."""
    global _PREDICATES
    cached, found = _PREDICATES
    if cached is not tree:
        found = [p for p in (_predicate(node) for node in trees(tree, PREDICATES)) if p is not None]
        _PREDICATES = (tree, found)
    return iter(found)


def _predicate(node: Tree) -> Predicate | None:
    parts = [c for c in node.children if c is not None]
    words = [str(c).upper() for c in parts if isinstance(c, Token) and c.type in ("NOT", "IS", "NULL", "IN",
                                                                                   "BETWEEN", "COMP_OP")]
    operands = [c for c in parts if not (isinstance(c, Token) and c.type in ("NOT", "IS", "NULL", "IN",
                                                                             "BETWEEN", "COMP_OP", "AND"))]
    kind = node.data
    if kind == "text_search":
        values = tuple(c for c in parts if isinstance(c, Token) and c.type == "STRING")
        return Predicate(node, None, "TEXT SEARCH", values)
    if kind == "string_match":
        op = next((c for c in operands if isinstance(c, Tree) and c.data == "match_op"), None)
        if op is None or not op.children:
            return None
        operands = [c for c in operands if c is not op]
        words.append(str(op.children[0]).upper())
    if not operands:
        return None
    left, rest = operands[0], operands[1:]
    if kind == "in_list" and rest and isinstance(rest[0], Tree) and rest[0].data == "expr_list":
        rest = list(rest[0].children)
    return Predicate(node, left, " ".join(words), tuple(rest))


def calls(tree: Any) -> Iterator[Tree]:
    """Every function call, including table functions in FROM and PARAMETERS values."""
    return trees(tree, "call")


def call_name_token(call: Tree) -> Token | None:
    """The first NAME token of the call's function name (where a diagnostic should point)."""
    name = call.children[0] if call.children else None
    if isinstance(name, Tree) and name.children and isinstance(name.children[0], Token):
        return name.children[0]
    return None


def call_name(call: Tree) -> str:
    """The function name as written, namespaces joined with '::' (`GEO::LOOKUP`)."""
    name = call.children[0] if call.children else None
    if not isinstance(name, Tree):
        return ""
    return "::".join(str(part) for part in name.children)


def call_arguments(call: Tree) -> list:
    """The argument expressions; `COUNT(*)` and `NOW()` have none."""
    arguments = next((c for c in call.children[1:] if isinstance(c, Tree)), None)
    if arguments is None or arguments.data != "arguments":
        return []
    return list(arguments.children)


def field_name(node: Any) -> str | None:
    """The name of a `field` node, without double quotes; None for anything else."""
    if isinstance(node, Tree) and node.data == "field" and node.children:
        return unquote(str(node.children[0]))
    return None


def unquote(name: str) -> str:
    return name[1:-1] if len(name) >= 2 and name[0] == name[-1] == '"' else name


def string_value(token: Any) -> str | None:
    """The text of a 'single-quoted' string token (quotes removed, \\' and '' read as '),
    or None if `token` is not a string literal. Other backslashes are kept as written."""
    if not (isinstance(token, Token) and token.type == "STRING"):
        return None
    return token.value[1:-1].replace("\\'", "'").replace("''", "'")


def start_of(node: Any) -> tuple[int, int] | None:
    """(line, column) where a token or tree starts, or None if it has no position."""
    if isinstance(node, Token):
        return (node.line, node.column) if node.line is not None else None
    meta = getattr(node, "meta", None)
    if meta is None or getattr(meta, "empty", True):
        return None
    return meta.line, meta.column
