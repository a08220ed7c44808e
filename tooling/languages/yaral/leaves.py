"""YARA-L leaves as `explain` sees them (tooling/languages/explanation.py): the event value a
predicate reads, and its result while a probe flips leaves. An event with a repeated field runs as
several copies (one per element); a flipped events leaf is flipped for the event as a whole."""
from __future__ import annotations

from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import MISSING, NotEvaluated
from tooling.languages.explanation import NO_VALUE
from tooling.languages.yaral.values import Index, all_values, literal, step

Closure = Callable[[Any], Any]


def field_path(token: Token, parts: list | None = None) -> tuple[str, tuple]:
    """`$e.principal.hostname` -> ("$e", ("principal", "hostname"))."""
    variable, _, rest = str(token).partition(".")
    return variable, tuple(rest.split(".")) + tuple(parts or ())


def probed(probe, node: Any, value_of: Closure, subject: str | None, row: Any, held: bool,
            per_event: bool) -> bool:
    """A leaf's result while explain() probes: recorded, and negated when the probe flips it; an
    events leaf on one of several copies of an event is negated for the event as a whole."""
    # a YARA-L subject names a count, outcome or placeholder: what to find, never a scope
    result = probe.record(node, value_of(row), held, subject, scope=False)
    siblings = getattr(row, "siblings", None) if per_event else None
    if siblings is None:
        return result
    if siblings.first:
        siblings.held[id(node)] = held or siblings.held.get(id(node), False)
        return held
    return result if result == held else not siblings.held.get(id(node), False)


def quiet(closure: Closure, row: Any, otherwise: Any) -> Any:
    try:
        return closure(row)
    except NotEvaluated:
        return otherwise


def first_field(node: Any) -> tuple[str, tuple] | None:
    """(event variable, path) of the first event field an operand reads, in text order."""
    if isinstance(node, Token):
        return field_path(node) if node.type == "FIELD" else None
    if not isinstance(node, Tree):
        return None
    if node.data == "indexed_field" and node.children[0].type == "FIELD":
        parts: list = []
        for child in node.children[1:]:
            if isinstance(child, Tree) and child.data == "index":
                key = child.children[0]
                try:
                    parts.append(Index.of(int(str(key)) if key.type == "NUMBER" else literal(key)))
                except NotEvaluated:
                    return None
            else:
                parts.append(str(child))
        return field_path(node.children[0], parts)
    for child in node.children:
        found = first_field(child)
        if found is not None:
            return found
    return None


def event_value(row: Any, variable: str, parts: tuple) -> Any:
    """The event's value at a field path: every element's, as a list, for a repeated field;
    MISSING when the event has none."""
    value = row.events.get(variable, MISSING) if row.events else MISSING
    if value is MISSING:
        return NO_VALUE  # not an event's field here (a condition, an outcome over a group)
    for index, part in enumerate(parts):
        if isinstance(value, list) and type(part) is not Index:
            found = all_values(value, parts[index:])
            return found if found else MISSING
        value = step(value, part)
        if value is MISSING:
            return MISSING
    return value
