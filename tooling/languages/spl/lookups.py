"""SPL lookup / inputlookup (Search Reference 9.x): only lookups declared for the repository
(`EvaluationContext.lookups`, from platforms.yml), matched case-sensitively (transforms.conf
`case_sensitive_match = true` by default). OUTPUT replaces a field the event has; OUTPUTNEW only
fills one it lacks."""
from __future__ import annotations

from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import NotEvaluated
from tooling.languages.spl.values import Row, get, texts, unquote_field


def _lookup_rows(name: str, run: Any, node: Any) -> list[dict]:
    rows = run.context.lookups.get(name) if run.context.lookups else None
    if rows is None and name.endswith(".csv"):
        rows = run.context.lookups.get(name[:-4])
    if rows is None:
        raise NotEvaluated.at(node, f"the lookup {name} (not declared for this repository)")
    return rows


def compile_inputlookup(node: Tree) -> Callable:
    arguments = node.children[1:]
    if len(arguments) != 1 or not isinstance(arguments[0], Token):
        raise NotEvaluated.at(node, "inputlookup with options or a where clause")
    name = unquote_field(str(arguments[0]))
    return lambda run: [Row(dict(row), ()) for row in _lookup_rows(name, run, node)]


def compile_lookup(node: Tree, words: list[str]) -> Callable:
    """`lookup <table> <field> [AS <field>] ... [OUTPUT|OUTPUTNEW <field> [AS <field>] ...]`."""
    if not words:
        raise NotEvaluated.at(node, "lookup without a table")
    name, rest = words[0], words[1:]
    upper = [w.upper() for w in rest]
    cut = next((i for i, w in enumerate(upper) if w in ("OUTPUT", "OUTPUTNEW")), len(rest))
    mode = upper[cut] if cut < len(rest) else "OUTPUT"
    match_fields = _pairs(rest[:cut], node)
    outputs = _pairs(rest[cut + 1:], node)

    def lookup(rows: list[Row], run: Any) -> list[Row]:
        table = _lookup_rows(name, run, node)
        columns = outputs or [(k, k) for k in (table[0] if table else {}) if k not in dict(match_fields)]
        for row in rows:
            run.deadline.check()
            hits = [entry for entry in table
                    if all(str(entry.get(lookup_field)) == (texts(get(row.fields, event_field), node) or [None])[0]
                           for lookup_field, event_field in match_fields)]
            if not hits:
                continue
            added = {}
            for source, target in columns:
                values = [entry[source] for entry in hits if entry.get(source) is not None]
                if values and (mode == "OUTPUT" or get(row.fields, target) is None):
                    added[target] = values[0] if len(values) == 1 else values
            row.fields = {**row.fields, **added}
        return rows
    return lookup


def _pairs(words: list[str], node: Any) -> list[tuple[str, str]]:
    pairs, index = [], 0
    while index < len(words):
        if index + 2 < len(words) and words[index + 1].upper() == "AS":
            pairs.append((words[index], words[index + 2]))
            index += 3
        else:
            pairs.append((words[index], words[index]))
            index += 1
    return pairs
