"""Sumo Logic label stages: a field expression (`| <expression> as <field>`) whose fields no later
operator reads but to show them.

`| if(isBlank(subject_user), sysmon_user, subject_user) as AccountName` followed only by
`fields` and `sort` names what a result shows; its predicates choose that value, never whether
a message is returned, so no sample can prove them. evaluate.py runs such a stage
`untraced_stage` (tooling/languages/explanation.py): `explain` and coverage do not see its leaves.

A read is a mention of an assigned field (field names are case-insensitive; a dotted path's head
counts) by any later operator other than a display one: `fields a, b` (not `fields - a`, which
removes, nor a wildcard), and `sort` unless a `limit` or `top` after it keeps rows by that order.
A string naming the field, a `*`, a {{placeholder}} and an operator not known here (`join`,
`transpose`, `save`, any other) count as reads. Assigning `_raw` is never a label: a parse or
json without `field=` reads it.
"""
from __future__ import annotations

from typing import Iterable

from lark import Token, Tree

from tooling.languages.explanation import names_one_of
from tooling.languages.sumo.tree import field_name

# operators that read only the fields they name
_NAMING = frozenset({"where_cmd", "eval_cmd", "parse_cmd", "json_cmd", "aggregate_cmd", "sort_cmd",
                     "fields_cmd", "limit_cmd", "timeslice_cmd", "lookup_cmd"})


def read_later(stage: Tree, later: list) -> bool:
    """Whether an operator after the field expression `stage` may read a field it assigns (an
    unknown shape counts as a read: its predicates stay traced)."""
    assigned = _assigned(stage)
    if assigned is None or "_raw" in assigned:
        return True
    for position, operator in enumerate(later):
        if not isinstance(operator, Tree) or operator.data not in _NAMING:
            return True
        if operator.data == "fields_cmd":
            sign = next((str(c.children[0]) for c in operator.children
                         if isinstance(c, Tree) and c.data == "fields_sign"), "+")
            if sign == "-" or any("*" in str(token) or token.type == "PLACEHOLDER"
                                  for token in _tokens(operator)):
                return True
            continue
        if operator.data == "sort_cmd":
            if _mentions(operator, assigned) and any(isinstance(after, Tree) and after.data in ("limit_cmd", "top_cmd")
                                                     for after in later[position + 1:]):
                return True
            continue
        if _mentions(operator, assigned):
            return True
    return False


def _assigned(stage: Tree) -> frozenset[str] | None:
    names = set()
    for aliased in stage.children:
        if not (isinstance(aliased, Tree) and aliased.data == "aliased" and len(aliased.children) == 2):
            return None
        name = field_name(aliased.children[1])
        if name is None:
            return None
        names.add(name)
    return frozenset(names)


def _tokens(node: Tree) -> Iterable[Token]:
    return node.scan_values(lambda value: isinstance(value, Token))


def _mentions(node: Tree, assigned: frozenset[str]) -> bool:
    for token in _tokens(node):
        if token.type in ("STAR", "PLACEHOLDER"):
            return True
        if token.type in ("STRING", "SQSTRING"):
            name = str(token)[1:-1].lower()
        else:
            name = field_name(token)
            if name is None:
                continue
        if names_one_of(name, assigned):
            return True
    return False
