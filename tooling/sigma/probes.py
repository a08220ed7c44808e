"""Boundary events generated from a Sigma detection: an event through each branch of the
condition, a near-miss for each predicate, and case and wildcard variants.

    for probe in probe_events(detection, bases=[sample, ...]):
        probe.event, probe.note       # "branch selection_a and selection_b", "near-miss: ..."

The generator only proposes events; it never decides what they should give. The caller labels
each with the Sigma evaluator (`SigmaDetection.matches`), so a generated event is labelled by the
same semantics as the package's samples. Events start from a base event (a package's own `match`
sample of the same fields, so that what the native queries also test, such as the image, is
there) and overlay what the branch needs: a regular expression by a text built from Python's parse
of it, a CIDR by an address inside it, a comparison by a number beyond its bound. Keyword
searches (no field to build) leave that branch out; the bounds keep a hostile detection cheap.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Iterator

import regex

# Python's own regex parser, read only (a module of `re` since 3.11, `sre_parse` before).
try:
    import re._constants as _sre_constants
    import re._parser as _sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_constants  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

from tooling.sigma.condition import condition_tree
from tooling.sigma.detection import InvalidDetection, SigmaDetection, UnsupportedDetection

MAX_BRANCHES = 64
MAX_PROBES = 400
_SKIP = ("base64", "base64offset", "utf16le", "utf16be", "utf16", "wide", "expand", "fieldref")
_COMPARE = {"gt": 1, "gte": 0, "lt": -1, "lte": 0}  # the number chosen: the bound moved by this much


@dataclass(frozen=True)
class Probe:
    event: dict
    note: str  # how it was made, for messages
    # the sample event it was built on (one of `bases`), or None; drift reads that sample's test
    base: dict | None = field(default=None, compare=False)


@dataclass
class _Field:
    """What a branch needs of one field: an exact value, or a prefix, fragments and a suffix."""

    exact: Any = None
    prefix: str = ""
    middle: list[str] = field(default_factory=list)
    suffix: str = ""
    absent: bool = False

    def value(self) -> Any:
        return self.exact if self.exact is not None else _join(self.prefix, self.middle, self.suffix)


def _join(prefix: str, middle: list[str], suffix: str) -> str:
    parts = [p for p in (prefix, *middle, suffix) if p]
    return " ".join(parts)


class _Unsatisfiable(Exception):
    pass


def _literal(pattern: str) -> str:
    """A Sigma wildcard string as one concrete text: `*` nothing, `?` one letter, escapes resolved."""
    out = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and pattern[index + 1:index + 2] in ("*", "?", "\\"):
            out.append(pattern[index + 1])
            index += 2
            continue
        out.append("" if char == "*" else "x" if char == "?" else char)
        index += 1
    return "".join(out)


def _requirement(fields: dict[str, _Field], key: str, value: Any) -> None:
    name, *modifiers = key.split("|")
    if any(m in _SKIP for m in modifiers) or not name:
        raise _Unsatisfiable(key)
    need = fields.setdefault(name, _Field())
    if "re" in modifiers:
        example = regex_example(value) if isinstance(value, str) else None
        if example is None:
            raise _Unsatisfiable(key)
        need.middle.append(example)  # `re` searches: the example anywhere in the value
        return
    if "cidr" in modifiers:
        need.exact = _address_in(value)
        return
    moved = next((_COMPARE[m] for m in modifiers if m in _COMPARE), None)
    if moved is not None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Unsatisfiable(key)
        need.exact = value + moved
        return
    if "exists" in modifiers:
        if value is False:
            need.absent = True
        elif need.exact is None and not (need.prefix or need.middle or need.suffix):
            need.middle.append("present")
        return
    if value is None:
        need.absent = True
        return
    if isinstance(value, bool) or not isinstance(value, str):
        if need.exact is not None and need.exact != value:
            raise _Unsatisfiable(key)
        need.exact = value
        return
    text = _literal(value)
    if "contains" in modifiers:
        need.middle.append(text)
    elif "startswith" in modifiers:
        if need.prefix and not (need.prefix.startswith(text) or text.startswith(need.prefix)):
            raise _Unsatisfiable(key)
        need.prefix = max(need.prefix, text, key=len)
    elif "endswith" in modifiers:
        if need.suffix and not (need.suffix.endswith(text) or text.endswith(need.suffix)):
            raise _Unsatisfiable(key)
        need.suffix = max(need.suffix, text, key=len)
    else:
        if "*" in value or "?" in value:
            need.middle.append(text)  # a wildcard value: its literal parts, in order
        else:
            if need.exact is not None and str(need.exact).lower() != text.lower():
                raise _Unsatisfiable(key)
            need.exact = text


def _address_in(network: Any) -> str:
    """An address inside a CIDR network (the first host where there is one)."""
    try:
        parsed = ipaddress.ip_network(str(network).strip(), strict=False)
    except ValueError:
        raise _Unsatisfiable(str(network)) from None
    address = parsed.network_address + (1 if parsed.num_addresses > 2 else 0)
    return str(address)


def regex_example(pattern: str) -> str | None:
    """A short text the regular expression finds (Python's parse of it, walked), or None when the
    pattern uses what this does not build (back-references, look-arounds) or the text does not
    match after all."""
    try:
        parsed = _sre_parse.parse(pattern)
        text = _build_regex(parsed, 0)
    except (_Unsatisfiable, re.error, RecursionError, OverflowError, ValueError, TypeError):
        return None
    try:
        found = regex.search(pattern, text, timeout=0.1)
    except (regex.error, TimeoutError):
        return None
    return text if found is not None and len(text) <= 200 else None


def _build_regex(items: Any, depth: int) -> str:
    c = _sre_constants
    if depth > 20:
        raise _Unsatisfiable("deep regex")
    out = []
    for op, arg in items:
        if op is c.LITERAL:
            out.append(chr(arg))
        elif op is c.NOT_LITERAL:
            out.append("a" if chr(arg) != "a" else "b")
        elif op is c.ANY:
            out.append("a")
        elif op is c.IN:
            out.append(_class_member(arg))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, _high, sub = arg
            out.append(_build_regex(sub, depth + 1) * max(low, 0 if low == 0 else low))
        elif op is c.SUBPATTERN:
            out.append(_build_regex(arg[-1], depth + 1))
        elif op is c.BRANCH:
            out.append(_build_regex(arg[1][0], depth + 1))
        elif op is c.AT:
            continue
        elif op is getattr(c, "ATOMIC_GROUP", None):
            out.append(_build_regex(arg, depth + 1))
        else:  # group references, look-arounds, conditionals
            raise _Unsatisfiable(str(op))
    return "".join(out)


def _class_member(items: Any) -> str:
    c = _sre_constants
    if items and items[0][0] is c.NEGATE:
        excluded = {chr(arg) for op, arg in items[1:] if op is c.LITERAL}
        return next(ch for ch in "axZ09_" if ch not in excluded)
    op, arg = items[0]
    if op is c.LITERAL:
        return chr(arg)
    if op is c.RANGE:
        return chr(arg[0])
    if op is c.CATEGORY:
        return {c.CATEGORY_DIGIT: "0", c.CATEGORY_SPACE: " ", c.CATEGORY_WORD: "a"}.get(arg, "a")
    raise _Unsatisfiable(str(op))


def _choices(definition: Any) -> list[list[tuple[str, Any]]]:
    """The ways a search identifier can be satisfied: each a list of (field key, value) pairs."""
    if isinstance(definition, dict):
        per_field = []
        for key, value in definition.items():
            values = value if isinstance(value, list) else [value]
            if not isinstance(key, str) or not values:
                raise _Unsatisfiable(str(key))
            if "|all" in key:
                per_field.append([[(key.replace("|all", ""), item) for item in values]])
            else:
                per_field.append([[(key, item)] for item in values])
        return [sum(combo, []) for combo in _bounded_product(per_field)]
    if isinstance(definition, list) and all(isinstance(item, dict) for item in definition):
        return [choice for item in definition for choice in _choices(item)][:MAX_BRANCHES]
    raise _Unsatisfiable("keywords")  # keyword searches match anywhere: no field to build


def _bounded_product(options: list[list]) -> list[tuple]:
    """Not the full product (a rule with ten lists of ten values has 10^10): each value of each
    list at least once, the others at their first value."""
    if not options:
        return [()]
    combos = [tuple(choices[0] for choices in options)]
    for position, choices in enumerate(options):
        for choice in choices[1:]:
            combo = list(combos[0])
            combo[position] = choice
            combos.append(tuple(combo))
    return combos[:MAX_BRANCHES]


def _branches(node: tuple) -> list[list[str]]:
    """The condition in disjunctive form, positive identifiers only (a `not` leaves its subtree to
    the oracle: the base event is expected not to satisfy filters)."""
    kind = node[0]
    if kind == "id":
        return [[node[1]]]
    if kind == "not":
        return [[]]
    children = [_branches(child) for child in node[1]]
    if kind == "or":
        return [branch for child in children for branch in child][:MAX_BRANCHES]
    combined = [[]]
    for child in children:
        combined = [a + b for a, b in product(combined, child)][:MAX_BRANCHES]
    return combined


def _base_for(fields: dict[str, _Field], bases: list[dict]) -> dict:
    """The base event that already satisfies most of what the branch needs (a real command line,
    a real syslog line), then the one sharing most exact values and fields."""
    def score(base: dict) -> tuple:
        satisfied = sum(1 for name, need in fields.items() if name in base and _satisfies(need, base[name]))
        exact = sum(1 for name, need in fields.items() if need.exact is not None and str(base.get(name, "")).lower()
                    == str(need.exact).lower())
        shared = sum(1 for name in fields if name in base)
        return (satisfied, exact, shared)
    return max(bases, key=score) if bases else {}  # the sample itself (never changed): drift finds its test


def _satisfies(need: _Field, value: Any) -> bool:
    if not isinstance(value, str):
        return need.exact is not None and not isinstance(need.exact, str) and value == need.exact
    folded = value.lower()
    if need.exact is not None:
        return folded == str(need.exact).lower()
    return (folded.startswith(need.prefix.lower()) and folded.endswith(need.suffix.lower())
            and all(part.lower() in folded for part in need.middle))


def _build(fields: dict[str, _Field], base: dict) -> dict:
    """The base event with each field the branch needs: the base's own value when it already
    satisfies the need (a real path, a real command line), else one made from the need."""
    event = dict(base)
    for name, need in fields.items():
        if need.absent:
            event.pop(name, None)
        elif not _satisfies(need, base.get(name)):
            event[name] = need.value()
    return event


def _mutate(text: str) -> str:
    """The text with one character changed (a letter to its neighbour, a digit to another)."""
    for index in range(len(text) // 2, len(text)):
        char = text[index]
        if char.isalpha():
            swapped = "b" if char.lower() == "a" else "a"
            return text[:index] + (swapped.upper() if char.isupper() else swapped) + text[index + 1:]
        if char.isdigit():
            return text[:index] + ("1" if char == "0" else "0") + text[index + 1:]
    return text + "_"


def probe_events(detection: dict, bases: list[dict] | None = None,
                 case_fields: frozenset[str] | None = None) -> list[Probe]:
    """Events through each branch, near-misses and variants; [] for a detection that cannot be
    parsed or evaluated (its own diagnostics say why). `case_fields`: the fields whose case
    variants are made (None: every field); a value a system writes (an event type, a DWORD's
    rendering, an API name) never varies in case, so a variant of it would be no real event."""
    try:
        SigmaDetection.parse(detection)
        tree = condition_tree(detection)
    except (InvalidDetection, UnsupportedDetection, KeyError, TypeError):
        return []
    probes: list[Probe] = []
    seen: set[str] = set()

    def add(event: dict, note: str, base: dict | None) -> None:
        key = repr(sorted(event.items(), key=lambda item: item[0]))
        if key not in seen and len(probes) < MAX_PROBES:
            seen.add(key)
            probes.append(Probe(event, note, base or None))

    for branch in _branches(tree):
        try:
            ways = [_choices(detection[name]) for name in branch]
        except _Unsatisfiable:
            continue
        for combo in _bounded_product(ways):
            fields: dict[str, _Field] = {}
            try:
                for pairs in combo:
                    for key, value in pairs:
                        _requirement(fields, key, value)
            except _Unsatisfiable:
                continue
            if not fields:
                continue
            base = _base_for(fields, bases or [])
            label = " and ".join(branch) or "the condition"
            add(_build(fields, base), f"through {label}", base)
            for variant in _variants(fields, base, label, case_fields):
                add(*variant, base)
    return probes


def _fragments(need: _Field) -> list[tuple[str, str]]:
    """(where, text) of each literal the value must hold: where is exact, prefix, suffix or middle."""
    parts = [("exact", need.exact)] if isinstance(need.exact, str) and need.exact else []
    parts += [("prefix", need.prefix)] if need.prefix else []
    parts += [("suffix", need.suffix)] if need.suffix else []
    return parts + [("middle", text) for text in need.middle if text]


def _changed(value: str, where: str, text: str) -> str | None:
    """`value` with the fragment `text` (found where the need puts it) changed by one character."""
    folded, wanted = value.lower(), text.lower()
    if where == "exact":
        return _mutate(value)
    if where == "prefix":
        return _mutate(value[:len(text)]) + value[len(text):] if folded.startswith(wanted) else None
    if where == "suffix":
        cut = len(value) - len(text)
        return value[:cut] + _mutate(value[cut:]) if folded.endswith(wanted) else None
    start = folded.find(wanted)
    if start < 0:
        return None
    return value[:start] + _mutate(value[start:start + len(text)]) + value[start + len(text):]


def _variants(fields: dict[str, _Field], base: dict, label: str,
              case_fields: frozenset[str] | None = None) -> Iterator[tuple[dict, str]]:
    built = _build(fields, base)
    for name, need in fields.items():
        if need.absent:
            continue
        value = built.get(name)
        if isinstance(value, str):
            # a near-miss per predicate: each required fragment with one character changed
            for where, text in _fragments(need):
                changed = _changed(value, where, text)
                if changed is not None:
                    yield {**built, name: changed}, f"near-miss of {label}: {text!r} in {name} changed"
            # case: Sigma matches case-insensitively unless `cased`
            varies = case_fields is None or name in case_fields
            if varies and value.upper() != value:
                yield {**built, name: value.upper()}, f"case variant of {label}: {name} in upper case"
            if varies and value.lower() != value:
                yield {**built, name: value.lower()}, f"case variant of {label}: {name} in lower case"
            # wildcard: the text a `contains` allows around the fragments
            if need.middle and need.exact is None:
                yield {**built, name: f"pre {value} post"}, f"wildcard variant of {label}: {name} inside other text"
        # the field missing altogether
        missing = dict(built)
        missing.pop(name, None)
        yield missing, f"near-miss of {label}: {name} missing"
