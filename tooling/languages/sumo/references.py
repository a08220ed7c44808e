"""The tables, fields and compared values a Sumo Logic query names, for the platform checks
(tooling/platforms/sumo/schema.json, `Language.references`).

* `table`: each `_sourceCategory=` value of the scope (a literal or a wildcard) and each
  `_index=` / `_view=` partition, at the value's position;
* `field`: each field the query reads: metadata and other fields compared in the scope, fields of
  `where`, function arguments, `field=` sources, group keys, `sort`, `fields`, ... and each JSON
  path a `json` stage reads from the message (`EventData.CommandLine`), checked against the keys
  of the table's messages. `tables` are the source categories in scope (a wildcard stands for the
  known categories it matches), else the field-listed partitions named;
* `value`: each literal compared with a field (`=`, `!=`, `<`, `in`, `matches`, `contains`);
* `produced=True`: a field the query makes (`parse ... as x`, `parse regex (?<x>...)`,
  `json ... as x`, `| expr as x`, `| x = expr`, `count as n`, `_count`, lookup outputs,
  `timeslice`, `csv`/`split` extracts, ...) and every later use of it. A use before the stage
  that makes the field is a plain reference, so DAC481 reports it when the platform does not
  have the field (issue #16's "field used before the stage that produces it").

Sumo field names are case-insensitive: a name the schema lists in another spelling is reported
in the schema's spelling (`_messagetime` -> `_messageTime`). JSON keys are case-sensitive for the
json operator, so JSON paths are reported as written. After an operator whose output fields are
not known (`json auto`, `lookup *`, `join`, `transpose`, an operator this module does not read),
every later field counts as made by the query.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from lark import Token, Tree

from tooling.languages.base import Reference
from tooling.languages.sumo.known_tables import _expand, _schema, _spellings, _table_name
from tooling.languages.sumo.operators import AGGREGATE_FUNCTIONS
from tooling.languages.sumo.tree import STAGES, field_name, first_token, unquote

_TABLE_FIELDS = ("_sourcecategory",)
_PARTITION_FIELDS = ("_index", "_view")
_LITERAL_NAMES = {"true", "false", "null"}
_GROUP = re.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")
_COMPARISONS = {"compare", "matches", "contains"}
# Operators whose output fields are not known from the query text.
_OPAQUE = {"transpose", "join", "logreduce", "logcompare", "logexplain", "summarize", "transaction",
           "transactionize", "merge", "compose", "macro", "infer", "xml", "parsedate", "parsehex"}


def references(tree: Any, text: str = "") -> Iterator[Reference]:
    walk = _Walk()
    _query(tree, walk)
    return iter(walk.found)


class _Walk:
    def __init__(self) -> None:
        self.found: list[Reference] = []
        self.produced: set[str] = set()
        self.opaque = False
        self.tables: tuple[str, ...] = ()

    def _made(self, name: str) -> bool:
        return self.opaque or name.lower() in self.produced

    def field(self, name: str, at: Any, *, exact: bool = False) -> None:
        """A field read by the query; `exact`: a JSON path, whose case counts."""
        spelled = name if exact else _spellings().get(name.lower(), name)
        line, column = _position(at)
        self.found.append(Reference("field", spelled, line, column, self.tables, produced=self._made(name)))

    def value(self, name: str, value: str, operator: str, at: Any) -> None:
        spelled = _spellings().get(name.lower(), name)
        line, column = _position(at)
        self.found.append(Reference("value", spelled, line, column, self.tables, value=value, operator=operator,
                                    produced=self._made(name)))

    def table(self, name: str, at: Any) -> None:
        line, column = _position(at)
        self.found.append(Reference("table", name, line, column))

    def make(self, name: str, at: Any) -> None:
        self.produced.add(name.lower())
        line, column = _position(at)
        self.found.append(Reference("field", name, line, column, self.tables, produced=True))


def _position(at: Any) -> tuple[int, int]:
    token = at if isinstance(at, Token) else first_token(at)
    if token is None or token.line is None:
        return 1, 1
    return token.line, token.column


# --- scope ------------------------------------------------------------------------------------

def _query(tree: Tree, walk: _Walk) -> None:
    children = [c for c in tree.children if isinstance(c, Tree)]
    scope = children[0] if children and children[0].data == "scope" else None
    if scope is not None:
        walk.tables = _scope_tables(scope)
        _scope(scope, walk)
    for stage in children:
        if stage.data in STAGES:
            _stage(stage, walk)


def _scope_tables(scope: Tree) -> tuple[str, ...]:
    """The tables the scope selects: its source categories (not negated), else the partitions
    it names that have a field list."""
    categories: list[str] = []
    partitions: list[str] = []
    stack: list[Any] = [scope]
    while stack:
        node = stack.pop()
        if not isinstance(node, Tree) or node.data in ("scope_negation", "scope_subquery"):
            continue
        if node.data == "field_search":
            name, op, value = node.children
            key = str(name).lower()
            if str(op) == "=" and value.type in ("SCOPE_WORD", "STRING") and key in _TABLE_FIELDS + _PARTITION_FIELDS:
                is_partition = key in _PARTITION_FIELDS
                target = partitions if is_partition else categories
                target.extend(_expand(_table_name(unquote(value)), is_partition))
            continue
        stack.extend(reversed(node.children))
    if categories:
        return tuple(dict.fromkeys(categories))
    schema = _schema()
    listed = [p for p in partitions if schema is not None and p in schema.tables and schema.tables[p].fields]
    return tuple(dict.fromkeys(listed))


def _scope(node: Any, walk: _Walk) -> None:
    if not isinstance(node, Tree):
        return
    if node.data == "scope_subquery":
        return  # a subquery's fields are its own; its result is keywords or a filter
    if node.data == "field_search":
        name, op, value = node.children
        if name.type == "STRING" or name.type == "PLACEHOLDER" or value.type == "PLACEHOLDER":
            return
        field = str(name)
        walk.field(field, name)
        text = unquote(value)
        walk.value(field, text, str(op), value)
        if field.lower() in _TABLE_FIELDS + _PARTITION_FIELDS and str(op) == "=":
            walk.table(_table_name(text), value)
        return
    for child in node.children:
        _scope(child, walk)


# --- stages -----------------------------------------------------------------------------------

def _stage(stage: Tree, walk: _Walk) -> None:
    kind = stage.data
    if kind == "where_cmd":
        _expression(stage.children[-1], walk)
    elif kind == "parse_cmd":
        _parse(stage, walk)
    elif kind == "json_cmd":
        _json(stage, walk)
    elif kind == "assign_cmd":
        _expression(stage.children[1], walk)
        _make_alias(stage.children[0], walk)
    elif kind == "eval_cmd":
        for item in (c for c in stage.children if isinstance(c, Tree) and c.data == "aliased"):
            _expression(item.children[0], walk)
            for alias in _aliases(item.children[1:]):
                _make_alias(alias, walk)
    elif kind == "aggregate_cmd":
        _aggregate(stage, walk)
    elif kind == "sort_cmd":
        for key in (c for c in stage.children if isinstance(c, Tree) and c.data == "sort_key"):
            _expression(key.children[0], walk)
    elif kind == "fields_cmd":
        for token in stage.children:
            if isinstance(token, Token) and token.type in ("NAME", "FIELD_REF"):
                _field_token(token, walk)
    elif kind == "lookup_cmd":
        _lookup(stage, walk)
    elif kind == "filter_cmd":
        field = stage.children[1] if len(stage.children) > 1 else None
        if isinstance(field, Token) and field.type in ("NAME", "FIELD_REF"):
            _field_token(field, walk)
        inner = _Inner(walk)
        for child in stage.children:
            if isinstance(child, Tree) and child.data in STAGES:
                _stage(child, inner)
    elif kind == "top_cmd":
        for token in stage.children:
            if isinstance(token, Token) and token.type in ("NAME", "FIELD_REF"):
                _field_token(token, walk)
        for key in (c for c in stage.children if isinstance(c, Tree) and c.data == "sort_key"):
            _expression(key.children[0], walk)
        walk.produced.add("_count")
    elif kind == "timeslice_cmd":
        # timeslice [by] [<span> [buckets]] [as <alias>]: the grammar drops `as`, so the alias is
        # the last name that is not the bucket unit
        names = [t for t in stage.children if isinstance(t, Token) and t.type in ("NAME", "FIELD_REF")
                 and not str(t).lower().startswith("bucket")]
        if names:
            walk.make(_alias_name(names[-1]), names[-1])
        else:
            walk.produced.add("_timeslice")
    elif kind == "join_cmd":
        for source in (c for c in stage.children if isinstance(c, Tree) and c.data == "join_source"):
            inner = _Inner(walk)
            for child in source.children:
                if isinstance(child, Tree) and child.data in STAGES:
                    _stage(child, inner)
        walk.opaque = True  # the joined rows' fields are named after the tables' aliases
    elif kind == "transpose_cmd":
        for token in stage.children:
            if isinstance(token, Token) and token.type in ("NAME", "FIELD_REF"):
                _field_token(token, walk)
        walk.opaque = True
    elif kind == "generic_cmd":
        _generic(stage, walk)


class _Inner(_Walk):
    """A nested pipeline (join table, filter child): its own fields, the same list of references."""

    def __init__(self, outer: _Walk) -> None:
        super().__init__()
        self.found = outer.found
        self.produced = set(outer.produced)
        self.opaque = outer.opaque
        self.tables = outer.tables


def _aliases(items: list) -> list[Token]:
    out: list[Token] = []
    for item in items:
        if isinstance(item, Token):
            out.append(item)
        elif isinstance(item, Tree) and item.data == "alias_target":
            out.extend(c for c in item.children if isinstance(c, Token))
    return out


def _alias_name(token: Token) -> str:
    if token.type == "FIELD_REF":
        return field_name(token) or str(token)
    return str(token)


def _make_alias(token: Any, walk: _Walk) -> None:
    if isinstance(token, Token) and token.type in ("NAME", "FIELD_REF"):
        walk.make(_alias_name(token), token)


def _field_token(token: Token, walk: _Walk) -> None:
    walk.field(_field_of(token) or str(token), token)


def _source_option(stage: Tree) -> Token | None:
    for child in stage.children:
        if isinstance(child, Tree) and child.data in ("parse_option", "json_option"):
            for item in child.children:
                if isinstance(item, Tree) and item.data == "field_option":
                    return item.children[-1]
    return None


def _flags(stage: Tree) -> set[str]:
    found: set[str] = set()
    for child in stage.children:
        if isinstance(child, Tree) and child.data in ("parse_option", "json_option"):
            found.update(str(c).lower() for c in child.children if isinstance(c, Token))
    return found


def _parse(stage: Tree, walk: _Walk) -> None:
    source = _source_option(stage)
    if isinstance(source, Token) and source.type in ("NAME", "FIELD_REF"):
        _field_token(source, walk)
    flags = _flags(stage)
    made: list[tuple[str, Token]] = []
    for pattern in (c for c in stage.children if isinstance(c, Tree) and c.data == "parse_pattern"):
        string = next((c for c in pattern.children if isinstance(c, Token) and c.type == "STRING"), None)
        fields = next((c for c in pattern.children if isinstance(c, Tree) and c.data == "parse_fields"), None)
        regex = "regex" in flags or any(isinstance(c, Token) and c.type == "REGEX_KW" for c in pattern.children)
        if fields is not None:
            made.extend((_alias_name(t), t) for t in fields.children if isinstance(t, Token)
                        and t.type in ("NAME", "FIELD_REF"))
        elif regex and string is not None:
            made.extend((group, string) for group in _GROUP.findall(unquote(string)))
    if "xml" in flags:
        walk.opaque = True
    for name, at in made:
        walk.make(name, at)


def _json_path(text: str) -> str:
    """A JSONPath as a dotted field path: $.a.b -> a.b, a[0].b -> a.b, ['a b'] -> a b."""
    if text.startswith("$"):
        text = text[1:].lstrip(".")
    text = re.sub(r"\[\s*\d+\s*\]", "", text)
    text = re.sub(r"\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]", lambda m: "." + (m.group(1) or m.group(2) or ""),
                  text)
    return text.strip(".")


def _json(stage: Tree, walk: _Walk) -> None:
    source = _source_option(stage)
    from_message = source is None or (isinstance(source, Token) and str(source).lower() == "_raw")
    if isinstance(source, Token) and source.type in ("NAME", "FIELD_REF"):
        _field_token(source, walk)
    flags = _flags(stage)
    paths = next((c for c in stage.children if isinstance(c, Tree) and c.data == "json_paths"), None)
    if paths is None:
        walk.opaque = True  # json auto: every key of the message becomes a field
        return
    strings = [c for c in paths.children if isinstance(c, Token) and c.type == "STRING"]
    fields_node = next((c for c in paths.children if isinstance(c, Tree) and c.data == "json_fields"), None)
    aliases = [t for t in fields_node.children if isinstance(t, Token)] if fields_node is not None else []
    for token in strings:
        path = _json_path(unquote(token))
        if not path or "*" in path or ".." in path:
            continue
        if from_message:
            walk.field(path, token, exact=True)
        else:  # a path inside another field's JSON: not the table's record
            line, column = _position(token)
            walk.found.append(Reference("field", path, line, column, walk.tables, produced=True))
    if aliases:
        for alias in aliases:
            _make_alias(alias, walk)
    else:
        for token in strings:
            path = _json_path(unquote(token))
            if path:
                walk.make(path, token)
    if "auto" in flags:
        walk.opaque = True


def _aggregate(stage: Tree, walk: _Walk) -> None:
    made: list[tuple[str, Any]] = []
    for child in stage.children:
        if not isinstance(child, Tree):
            continue
        if child.data == "by_clause":
            for item in child.children:
                if isinstance(item, Tree) and item.data == "aliased":
                    _expression(item.children[0], walk)
                    for alias in _aliases(item.children[1:]):
                        made.append((_alias_name(alias), alias))
            continue
        if child.data != "aliased":
            continue
        expr = child.children[0]
        function = None
        if isinstance(expr, Token) and expr.type == "NAME" and str(expr).lower() in AGGREGATE_FUNCTIONS:
            function = str(expr).lower()
        elif isinstance(expr, Tree) and expr.data == "call" and str(expr.children[0]).lower() in AGGREGATE_FUNCTIONS:
            function = str(expr.children[0]).lower()
            for argument in expr.children[1:]:
                _expression(argument, walk)
        else:
            _expression(expr, walk)
        aliases = _aliases(child.children[1:])
        if aliases:
            made.extend((_alias_name(a), a) for a in aliases)
        elif function is not None:
            walk.produced.add(f"_{function}")
            if function == "count_frequent":
                walk.produced.add("_approxcount")
            if function in ("pct", "percentile", "pct_sampling"):
                walk.opaque = True  # _<field>_pct_<n>
    for name, at in made:
        walk.make(name, at)


def _lookup(stage: Tree, walk: _Walk) -> None:
    made: list[tuple[str, Any]] = []
    for child in stage.children:
        if isinstance(child, Tree) and child.data == "lookup_field":
            column = child.children[0]
            if isinstance(column, Token) and column.type == "STAR":
                walk.opaque = True  # every column of the table
                continue
            alias = child.children[1] if len(child.children) > 1 else column
            if isinstance(alias, Token) and alias.type in ("NAME", "FIELD_REF"):
                made.append((_alias_name(alias), alias))
        elif isinstance(child, Tree) and child.data == "compare" and len(child.children) == 3:
            right = child.children[2]  # on <table column> = <query field>
            if isinstance(right, Token) and right.type in ("NAME", "FIELD_REF"):
                _field_token(right, walk)
            else:
                _expression(right, walk)
        elif isinstance(child, Tree) and child.data not in ("lookup_field",):
            _expression(child, walk)
    for name, at in made:
        walk.make(name, at)


def _generic(stage: Tree, walk: _Walk) -> None:
    """csv / split: `csv <field> extract 1 as a, 2 as b` (or `extract a, b`) reads the field and
    makes the extracted ones; keyvalue / kv with listed keys makes them; any other operator's
    output is not known."""
    name = str(stage.children[0]).lower()
    arguments = stage.children[1:]
    if name in ("csv", "split"):
        first = arguments[0] if arguments else None
        if isinstance(first, Token) and first.type in ("NAME", "FIELD_REF"):
            _field_token(first, walk)
        words = [t for t in arguments[1:] if isinstance(t, Token)]
        lowered = [str(t).lower() for t in words]
        if "extract" not in lowered:
            walk.opaque = True
            return
        for token, text in zip(words[lowered.index("extract") + 1:], lowered[lowered.index("extract") + 1:]):
            if text != "as" and not text[:1].isdigit() and re.fullmatch(r"[a-z_][a-z0-9_.]*", text):
                walk.make(str(token), token)
        return
    if name in ("keyvalue", "kv"):
        keys = [t for t in arguments if isinstance(t, Token) and t.type in ("STRING", "SQSTRING")]
        words = [str(t).lower() for t in arguments if isinstance(t, Token)]
        if "auto" in words or "infer" in words or not keys:
            walk.opaque = True
        for key in keys:
            walk.make(unquote(key), key)
        return
    if name in ("geoip", "threatip", "threatlookup", "tourl"):
        first = arguments[0] if arguments else None
        if isinstance(first, Token) and first.type in ("NAME", "FIELD_REF"):
            _field_token(first, walk)
    walk.opaque = True


# --- expressions ------------------------------------------------------------------------------

def _expression(node: Any, walk: _Walk) -> None:
    if isinstance(node, Token):
        if node.type == "NAME" and str(node).lower() not in _LITERAL_NAMES:
            walk.field(str(node), node)
        elif node.type == "FIELD_REF":
            _field_token(node, walk)
        return
    if not isinstance(node, Tree):
        return
    kind = node.data
    if kind == "subquery":
        return
    if kind == "call":
        for argument in node.children[1:]:
            _expression(argument, walk)
        return
    for child in node.children:
        _expression(child, walk)
    if kind in _COMPARISONS or kind == "in":
        _compared(node, walk)


def _field_of(node: Any) -> str | None:
    if isinstance(node, Token) and node.type == "NAME" and str(node).lower() not in _LITERAL_NAMES:
        return str(node)
    if isinstance(node, Token) and node.type == "FIELD_REF":
        raw = str(node)[1:].strip()
        return raw[1:-1] if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2 else raw
    return None


def _literal(node: Any) -> str | None:
    if isinstance(node, Token) and node.type in ("STRING", "SQSTRING"):
        return unquote(node)
    if isinstance(node, Token) and node.type in ("NUMBER", "REGEX"):
        return str(node)
    return None


def _compared(node: Tree, walk: _Walk) -> None:
    kind = node.data
    parts = [c for c in node.children if not (isinstance(c, Token) and c.type in ("NOT", "MATCHES", "CONTAINS",
                                                                                   "IN", "COMPARE"))]
    operator = {"matches": "matches", "contains": "contains", "in": "in"}.get(kind)
    if kind == "compare":
        operator = str(node.children[1])
    if any(isinstance(c, Token) and c.type == "NOT" for c in node.children):
        operator = f"not {operator}"
    left, rest = parts[0], parts[1:]
    if kind == "in":
        field = _field_of(left)
        if field is not None:
            for item in rest:
                if _literal(item) is not None:
                    walk.value(field, _literal(item), operator, item)
        return
    right = rest[0] if rest else None
    for field_side, literal_side in ((left, right), (right, left)):
        field = _field_of(field_side)
        if field is not None and _literal(literal_side) is not None:
            walk.value(field, _literal(literal_side), operator, literal_side)
