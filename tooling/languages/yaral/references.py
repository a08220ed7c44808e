"""The names a YARA-L query uses, for the platform checks (`Language.references`).

* `table`: each UDM event type a rule selects (`$e.metadata.event_type = "PROCESS_LAUNCH"`),
  at the string's position; the schema's tables are event types (tooling/platforms/yaral).
* `field`: each UDM path the rule reads (`principal.hostname`, without the event variable; a
  map or index subscript ends the path: `additional.fields`), with the event types the rule
  selects as its tables, and the operator it is compared with when it is; `produced=True` for
  the rule's own placeholders and outcome variables (`$host`, `$risk_score`).
* `value`: each literal compared with a field (`=`, `!=`, `<`, ..., a regex literal as `= /.../`,
  and the pattern of `re.regex(field, ...)` with operator `re.regex`).
"""
from __future__ import annotations

from typing import Any, Iterator

from lark import Token, Tree

from tooling.languages.base import Reference
from tooling.languages.yaral.analysis import string_value

_LITERALS = ("STRING", "RAW_STRING", "NUMBER", "TRUE", "FALSE", "REGEX")


def references(tree: Any) -> Iterator[Reference]:
    for rule in (n for n in tree.children if isinstance(n, Tree) and n.data == "rule"):
        yield from _rule(rule)


def _field_name(node: Any) -> tuple[str, Token] | None:
    """(UDM path, first token) of a field operand, or None."""
    if isinstance(node, Token) and node.type == "FIELD":
        return str(node).partition(".")[2], node
    if isinstance(node, Tree):
        if node.data == "field":
            return _field_name(node.children[0])
        if node.data == "quantified":
            return _field_name(node.children[1])
        if node.data == "indexed_field" and node.children[0].type == "FIELD":
            return str(node.children[0]).partition(".")[2], node.children[0]
    return None


def _literal(token: Token) -> str:
    if token.type in ("STRING", "RAW_STRING"):
        return string_value(str(token))
    if token.type == "REGEX":
        return str(token)
    return str(token)


def _selected_types(rule: Tree) -> list[tuple[str, Token]]:
    found = []
    for node in rule.iter_subtrees_topdown():
        if node.data != "comparison" or len(node.children) < 3:
            continue
        lhs, comparator, rhs = node.children[:3]
        named = _field_name(lhs)
        if named and named[0] == "metadata.event_type" and isinstance(rhs, Token) and rhs.type == "STRING":
            found.append((_literal(rhs), rhs))
    return found


def _rule(rule: Tree) -> Iterator[Reference]:
    selected = _selected_types(rule)
    tables = tuple(dict.fromkeys(name for name, _ in selected))
    for name, token in selected:
        yield Reference("table", name, token.line, token.column)
    seen: set[int] = set()
    for section in (c for c in rule.children if isinstance(c, Tree)):
        if section.data in ("meta_section", "options_section"):
            continue
        if section.data == "outcome_section":
            for assignment in section.children:
                target = assignment.children[0]
                yield Reference("field", str(target), target.line, target.column, tables, produced=True)
        for node in section.iter_subtrees_topdown():
            if node.data == "comparison" and len(node.children) >= 3:
                yield from _comparison(node, tables, seen)
            elif node.data == "call" and str(node.children[0]).lower() == "re.regex":
                yield from _regex_call(node, tables, seen)
        for token in (t for t in section.scan_values(lambda v: isinstance(v, Token))):
            if token.type == "FIELD" and id(token) not in seen:
                seen.add(id(token))
                yield Reference("field", str(token).partition(".")[2], token.line, token.column, tables)
            elif token.type == "VARIABLE" and section.data == "events_section" and id(token) not in seen:
                seen.add(id(token))
                yield Reference("field", str(token), token.line, token.column, tables, produced=True)


def _comparison(node: Tree, tables: tuple, seen: set) -> Iterator[Reference]:
    lhs, comparator, rhs = node.children[:3]
    operator = str(comparator.children[0])
    for field_side, other in ((lhs, rhs), (rhs, lhs)):
        named = _field_name(field_side)
        if named is None:
            continue
        name, token = named
        if id(token) not in seen:
            seen.add(id(token))
            yield Reference("field", name, token.line, token.column, tables, operator=operator)
        if isinstance(other, Token) and other.type in _LITERALS:
            shown = "=~" if other.type == "REGEX" else operator
            yield Reference("value", name, other.line, other.column, tables, value=_literal(other), operator=shown)


def _regex_call(node: Tree, tables: tuple, seen: set) -> Iterator[Reference]:
    arguments = [c for c in node.children[1:] if c is not None]
    if len(arguments) < 2:
        return
    named = _field_name(arguments[0])
    if named is None:
        return
    name, token = named
    if id(token) not in seen:
        seen.add(id(token))
        yield Reference("field", name, token.line, token.column, tables, operator="re.regex")
    pattern = arguments[1]
    if isinstance(pattern, Token) and pattern.type in ("STRING", "RAW_STRING"):
        yield Reference("value", name, pattern.line, pattern.column, tables, value=_literal(pattern),
                        operator="re.regex")
