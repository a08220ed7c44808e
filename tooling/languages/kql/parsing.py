"""The `parse` / `parse-where` operators (learn.microsoft.com/kusto/query/parse-operator).

The pattern becomes a regular expression as the documentation describes for kind=regex: `*` is
`.*?`, a string column `(.*?)`, a long/int column `(-?\\d+)`; kind=simple (the default) takes
its string constants literally, kind=regex as RE2. Rows whose text does not match get null
columns (`parse`) or are dropped (`parse-where`). The documentation does not say how the match is
anchored at the end: a pattern whose last item is a column is read as taking the rest of the text
and a pattern ending in `*` as skipping it; a pattern ending in a string constant is not
evaluated. kind=relaxed and flags= are not evaluated.
"""
from __future__ import annotations

import re

from lark import Token, Tree

from tooling.languages.evaluation import NotEvaluated, REGEX_TIMEOUT_S
from tooling.languages.kql import values as V
from tooling.languages.kql.scalar import compile_expr
from tooling.languages.kql.tree import name_of, string_value

_TYPES = {"string": r"(.*?)", "long": r"(-?\d+)", "int": r"(-?\d+)"}


def compile_parse(node: Tree, scope, ordered):
    children = list(node.children)
    where = isinstance(children[0], Token) and str(children[0]) == "parse-where"
    if where:
        children = children[1:]
    kind = "simple"
    while children and isinstance(children[0], Tree) and children[0].data in ("kind_opt", "flags_opt"):
        option = children.pop(0)
        if option.data == "flags_opt":
            raise NotEvaluated.at(option, "parse flags=")
        kind = str(option.children[0])
    if kind not in ("simple", "regex"):
        raise NotEvaluated.at(node, f"parse kind={kind}")
    source = compile_expr(children[0], scope)
    items = children[1:]
    parts, columns = [r"\A"], []
    for position, item in enumerate(items):
        last = position == len(items) - 1
        if isinstance(item, Token) and item.type == "STAR":
            parts.append(".*" if last else ".*?")
        elif isinstance(item, Tree) and item.data == "string":
            if last:
                raise NotEvaluated.at(item, "a parse pattern that ends with a string constant (the end anchoring "
                                            "is not documented)")
            text = string_value(item)
            if text is None:
                raise NotEvaluated.at(item, "a string literal with an undefined escape")
            parts.append(re.escape(text) if kind == "simple" else "(?:" + _translated(text, item) + ")")
        elif isinstance(item, Tree) and item.data == "parse_column":
            name, type_token = item.children
            type_name = str(type_token) if type_token is not None else "string"
            if type_name not in _TYPES:
                raise NotEvaluated.at(item, f"a parse column of type {type_name}")
            group = "(.*)" if last and type_name == "string" else _TYPES[type_name]
            parts.append(f"(?P<c{len(columns)}>{group[1:]}")  # named: a kind=regex constant may have groups
            columns.append((name_of(name), type_name))
        else:
            raise NotEvaluated.at(item, "this parse pattern item")
    parts.append(r"\Z")
    try:
        pattern = V.regex.compile("".join(parts), V.regex.DOTALL | V.regex.ASCII)
    except V.regex.error as exc:
        raise NotEvaluated.at(node, f"a parse pattern that does not compile ({exc})") from None

    def parse(rows, env):
        out = []
        for cols, src in rows:
            env.deadline.check()
            try:
                match = pattern.search(V.to_text(source(cols, env)), timeout=REGEX_TIMEOUT_S)
            except TimeoutError:
                raise NotEvaluated.at(node, "a parse pattern that backtracks without end") from None
            if match is None and where:
                continue
            new = dict(cols)
            for index, (name, type_name) in enumerate(columns):
                value = match.group(f"c{index}") if match is not None else None
                new[name] = int(value) if value is not None and type_name != "string" else value
            out.append((new, src))
        return out
    return parse, ordered


def _translated(text: str, node) -> str:
    return V.re2(text, node).pattern
