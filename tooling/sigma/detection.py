"""Evaluate the `detection` section of a Sigma rule (specification v2) against one event.

Used to check a package's sample events: those listed as matching must satisfy the detection, the
others must not. An event is a flat mapping of Sigma taxonomy field names to values.

A rule that no Sigma backend could convert raises `InvalidDetection`; a rule that uses a feature
this module leaves out (encodings, placeholders, aggregations) raises `UnsupportedDetection`, so
that callers skip its samples instead of calling them wrong. Rules are untrusted input: parsing
raises nothing else, and bounds the nesting of conditions. Patterns (the `re` modifier's and the
wildcards') run on the `regex` module with a time limit, since a pattern can backtrack without end;
`matches` raises `SlowMatch` when one does. A caller with a budget for many events passes its
deadline to `matches`: every pattern match then stops at it too (`OutOfTime`), so one event with
many values, each slow but under the limit, cannot outrun the budget.
"""
from __future__ import annotations

import ipaddress
import operator
import re
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, Callable

import regex

from tooling.languages.evaluation import work_time
from tooling.languages.prefilter import SLOW, untimed
from tooling.sigma.condition import MAX_DEPTH, ConditionParser, InvalidDetection

__all__ = ["MAX_DEPTH", "InvalidDetection", "OutOfTime", "SigmaDetection", "SlowMatch", "UnsupportedDetection"]

TIMEOUT_S = 0.5  # for one pattern on one value; real rules take microseconds on a sample event

# Modifiers of the Sigma specification that are not evaluated here. Knowing them all tells a
# typo (InvalidDetection) apart from a real feature (UnsupportedDetection).
_UNSUPPORTED_MODIFIERS = frozenset({
    "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide", "expand", "fieldref", "neq",
    "minute", "hour", "day", "week", "month", "year"})
_TYPE_MODIFIERS = ("re", "cidr", "exists", "gt", "gte", "lt", "lte")  # each replaces string matching
_STRING_MODIFIERS = ("windash", "contains", "startswith", "endswith")  # each changes string matching
_REGEX_FLAGS = {"i": regex.IGNORECASE, "ignorecase": regex.IGNORECASE, "m": regex.MULTILINE,
                "multiline": regex.MULTILINE, "s": regex.DOTALL, "dotall": regex.DOTALL}
_COMPARISONS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
_DASHES = "[" + re.escape("-/\u2013\u2014\u2015") + "]"  # windash: hyphen, slash, en dash, em dash, bar
_MISSING = object()  # a field absent from the event
# The caller's deadline (evaluation.work_time()) for the `matches` or `explain` running, if any.
_DEADLINE: ContextVar[float | None] = ContextVar("sigma_deadline", default=None)

Test = Callable[[Any], bool]  # a search identifier's test takes the event; a value's test takes the field's value


class UnsupportedDetection(Exception):
    """The detection uses a Sigma feature this module does not evaluate (message names it, e.g.
    "the modifier 'base64offset'" or "aggregations ('| count() ...')"). Callers then skip the
    samples rather than report them wrong. `.feature` is the feature alone; `.message` (and str())
    adds where it is used, e.g. "the modifier 'base64' (search identifier 'enc', field 'x|base64')"."""

    def __init__(self, feature: str, where: str = ""):
        self.feature = feature
        self.message = f"{feature} ({where})" if where else feature
        super().__init__(self.message)


class SlowMatch(Exception):
    """A pattern of the detection ran longer than TIMEOUT_S on one value of an event; the message
    says which search identifier and field."""


class OutOfTime(SlowMatch):
    """The deadline given to `matches` or `explain` passed during a pattern match."""


class SigmaDetection:
    """A parsed detection: one test per search identifier, and the condition over them."""

    def __init__(self, searches: dict[str, Test], condition: tuple):
        self._searches = searches
        self._condition = condition

    @classmethod
    def parse(cls, detection: dict) -> "SigmaDetection":
        if not isinstance(detection, dict):
            raise InvalidDetection(f"the detection must be a mapping, not {_kind(detection)}")
        if "condition" not in detection:
            raise InvalidDetection("the detection has no 'condition'")
        searches: dict[str, Test] = {}
        for name, definition in detection.items():
            if name in ("condition", "timeframe"):  # a timeframe only matters to aggregations
                continue
            if not isinstance(name, str) or not name:
                raise InvalidDetection(f"search identifier {name!r} must be a non-empty text")
            searches[name] = _search(name, definition)
        conditions = detection["condition"]
        if isinstance(conditions, str):
            conditions = [conditions]
        if not isinstance(conditions, list) or not conditions or not all(isinstance(c, str) for c in conditions):
            raise InvalidDetection("the condition must be a text or a non-empty list of texts")
        trees, aggregation = [], None
        for index, text in enumerate(conditions):
            label = f"condition {index + 1}: " if len(conditions) > 1 else ""
            tree, pipe = ConditionParser(text, sorted(searches), label).parse()
            trees.append(tree)
            aggregation = aggregation or pipe
        if aggregation:  # reported only once every condition is known to be valid
            raise UnsupportedDetection(f"aggregations ('| {aggregation} ...')")
        return cls(searches, trees[0] if len(trees) == 1 else ("or", trees))

    def matches(self, event: dict, deadline: float | None = None) -> bool:
        """Whether the event satisfies the condition. With a `deadline` (an evaluation.work_time()
        value), raises OutOfTime when a pattern match reaches it."""
        results: dict[str, bool] = {}  # each search identifier is tested at most once

        def search(name: str) -> bool:
            if name not in results:
                results[name] = self._searches[name](event)
            return results[name]
        token = _DEADLINE.set(deadline)
        try:
            return _evaluate(self._condition, search)
        finally:
            _DEADLINE.reset(token)

    def explain(self, event: dict, deadline: float | None = None) -> list[str]:
        """The search identifiers that match the event, sorted, for messages such as "selection_x
        matched". `deadline` as for `matches`."""
        token = _DEADLINE.set(deadline)
        try:
            return sorted(name for name, test in self._searches.items() if test(event))
        finally:
            _DEADLINE.reset(token)


def _evaluate(node: tuple, search: Callable[[str], bool]) -> bool:
    kind = node[0]
    if kind == "id":
        return search(node[1])
    if kind == "not":
        return not _evaluate(node[1], search)
    combine = all if kind == "and" else any
    return combine(_evaluate(child, search) for child in node[1])


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {dict: "a mapping", list: "a list", str: "a text", bool: "a boolean", int: "a number", float: "a number"}
    return names.get(type(value), f"a {type(value).__name__}")


def _text(value: Any) -> str:
    """A field or rule value as the text that string matching sees (YAML spells booleans in lower case)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- search identifiers --------------------------------------------------------------------------

def _search(name: str, definition: Any) -> Test:
    where = f"search identifier '{name}'"
    if definition is None or definition == {} or definition == []:
        raise InvalidDetection(f"the {where} is empty")
    if isinstance(definition, dict):
        return _field_map(definition, where)
    if isinstance(definition, (str, int, float)) and not isinstance(definition, bool):
        return _keyword(definition, where)  # a single keyword, as pySigma reads it
    if not isinstance(definition, list):
        raise InvalidDetection(f"the {where} must be a mapping or a list, not {_kind(definition)}")
    # A list is OR of its items: mappings of field conditions, or keywords.
    tests = [_field_map(item, f"{where}, item {i + 1}") if isinstance(item, dict) else _keyword(item, where)
             for i, item in enumerate(definition)]
    return lambda event: any(test(event) for test in tests)


def _field_map(definition: dict, where: str) -> Test:
    if not definition:
        raise InvalidDetection(f"{where} contains an empty mapping")
    tests = [_field_condition(key, value, where) for key, value in definition.items()]
    return lambda event: all(test(event) for test in tests)


def _keyword(value: Any, where: str) -> Test:
    """A keyword matches when any value of the event contains it (wildcards apply)."""
    if isinstance(value, (list, dict)) or value is None:
        raise InvalidDetection(f"{where}: a keyword must be a text or a number, not {_kind(value)}")
    pattern = _wildcards(_text(value), contains=True)

    def test(event: dict) -> bool:
        for field_value in event.values():
            for item in field_value if isinstance(field_value, list) else [field_value]:
                # not None, mappings or nested lists
                if isinstance(item, (str, int, float)) and _within_time(pattern.fullmatch, _text(item), where):
                    return True
        return False
    return test


def _field_condition(key: Any, value: Any, where: str) -> Test:
    if not isinstance(key, str):
        raise InvalidDetection(f"{where}: field name {key!r} must be a text")
    field, *modifiers = key.split("|")
    where = f"{where}, field '{key}'"
    if not field:
        if modifiers == ["all"]:  # a keyword list that must all be found (`'|all': [a, b]`)
            keywords = value if isinstance(value, list) else [value]
            if not keywords:
                raise InvalidDetection(f"{where}: the list of keywords is empty")
            tests = [_keyword(item, where) for item in keywords]
            return lambda event: all(test(event) for test in tests)
        if modifiers:
            raise UnsupportedDetection(f"keyword modifiers ('{key}')", where)
        raise InvalidDetection(f"{where}: the field name is empty")
    options = _modifiers(modifiers, where)
    values = value if isinstance(value, list) else [value]
    if not values:
        raise InvalidDetection(f"{where}: the list of values is empty")
    tests = [_value_test(item, options, where) for item in values]
    combine = all if "all" in options else any

    def test(event: dict) -> bool:
        field_value = event.get(field, _MISSING)
        return combine(value_test(field_value) for value_test in tests)
    return test


def _modifiers(names: list[str], where: str) -> dict[str, Any]:
    """The modifiers as options: 'all', 'cased', 'windash', 'contains', 'startswith', 'endswith'
    (present or not), 'type' (one of _TYPE_MODIFIERS or None) and 'flags' (for 're')."""
    options: dict[str, Any] = {"type": None, "flags": 0}
    for name in names:
        if name in _UNSUPPORTED_MODIFIERS:
            raise UnsupportedDetection(f"the modifier '{name}'", where)
        if name in _REGEX_FLAGS:
            if options["type"] != "re":
                raise InvalidDetection(f"{where}: the modifier '{name}' must follow 're'")
            options["flags"] |= _REGEX_FLAGS[name]
        elif name in _TYPE_MODIFIERS:
            if options["type"]:
                raise InvalidDetection(f"{where}: the modifiers '{options['type']}' and '{name}' cannot be combined")
            options["type"] = name
        elif name in ("all", "cased") + _STRING_MODIFIERS:
            options[name] = True
        else:
            raise InvalidDetection(f"{where}: unknown modifier '{name}'")
    string_only = [name for name in _STRING_MODIFIERS if name in options]
    if options["type"] and string_only:  # pySigma accepts some such pairs; their meaning is unclear
        raise UnsupportedDetection(f"the modifier '{string_only[0]}' with '{options['type']}'", where)
    return options


def _value_test(value: Any, options: dict[str, Any], where: str) -> Test:
    kind = options["type"]
    string_only = [name for name in _STRING_MODIFIERS if name in options]
    if isinstance(value, (dict, list)):
        raise InvalidDetection(f"{where}: a value must be a text, a number, a boolean or null, not {_kind(value)}")
    if kind == "exists":
        if not isinstance(value, bool):
            raise InvalidDetection(f"{where}: 'exists' takes true or false, not {_kind(value)}")
        return lambda field_value: (field_value is not _MISSING and field_value is not None) == value
    if value is None:
        if kind or string_only:
            raise InvalidDetection(f"{where}: null cannot be combined with the modifier '{kind or string_only[0]}'")
        return lambda field_value: field_value is _MISSING or field_value is None or field_value in ("", [])
    if kind == "re":
        if not isinstance(value, str):
            raise InvalidDetection(f"{where}: 're' takes a regular expression text, not {_kind(value)}")
        try:
            expression = _compiled(value, options["flags"])
        except (regex.error, RecursionError, OverflowError, ValueError) as exc:
            raise InvalidDetection(f"{where}: the regular expression does not compile ({exc})")
        return _each(lambda item: _within_time(expression.search, _text(item), where))
    if kind == "cidr":
        if not isinstance(value, str):
            raise InvalidDetection(f"{where}: 'cidr' takes a network text, not {_kind(value)}")
        try:
            network = ipaddress.ip_network(value.strip())
        except ValueError as exc:
            raise InvalidDetection(f"{where}: {value!r} is not a network ({exc})")
        return _each(lambda item: (address := _address(item)) is not None and address in network)
    if kind in _COMPARISONS:
        if not _is_number(value):
            raise InvalidDetection(f"{where}: '{kind}' takes a number, not {_kind(value)}")
        compare = _COMPARISONS[kind]
        return _each(lambda item: (number := _number(item)) is not None and compare(number, value))
    if not isinstance(value, str):
        if string_only:
            raise InvalidDetection(f"{where}: the modifier '{string_only[0]}' takes a text, not {_kind(value)}")
        if isinstance(value, bool):
            return _each(lambda item: item is value if isinstance(item, bool) else _text(item).lower() == _text(value))
        text = _text(value)
        return _each(lambda item: item == value if _is_number(item) else _text(item) == text)
    pattern = _wildcards(value, contains="contains" in options, startswith="startswith" in options,
                         endswith="endswith" in options, cased="cased" in options, windash="windash" in options)
    return _each(lambda item: _within_time(pattern.fullmatch, _text(item), where))


def _within_time(match: Callable, text: str, where: str) -> bool:
    """`match` (a pattern's search or fullmatch) on `text`, stopped after TIMEOUT_S or at the
    caller's deadline, whichever comes first."""
    timeout, deadline = TIMEOUT_S, _DEADLINE.get()
    if deadline is not None:
        timeout = min(timeout, deadline - work_time())
        if timeout <= 0:
            raise OutOfTime(f"the time ran out at the pattern of the {where}")
    pattern, method = getattr(match, "__self__", None), getattr(match, "__name__", None)
    if isinstance(pattern, regex.Pattern) and method in ("search", "match", "fullmatch"):
        found = untimed(pattern, method, text)  # a timed call costs more than most matches (prefilter.py)
        if found is not SLOW:
            return found is not None
    try:
        return match(text, timeout=timeout) is not None
    except TimeoutError:
        if timeout < TIMEOUT_S:
            raise OutOfTime(f"the time ran out at the pattern of the {where}") from None
        raise SlowMatch(f"the pattern of the {where} ran over {TIMEOUT_S} s on one value") from None


def _each(test: Test) -> Test:
    """A test of one scalar, applied to a field value: false when absent, any element of a list."""
    def field_test(field_value: Any) -> bool:
        items = field_value if isinstance(field_value, list) else [field_value]
        return any(test(item) for item in items if isinstance(item, (str, int, float)))  # bool is an int
    return field_test


def _address(value: Any) -> Any:
    """An IP address, or None for a field value that is not one (and so does not match)."""
    try:
        return ipaddress.ip_address(value.strip()) if isinstance(value, str) else None
    except ValueError:
        return None


def _number(value: Any) -> int | float | None:
    """A number, or a text that spells one; None for anything else (which then does not match)."""
    for convert in (int, float) if isinstance(value, str) else ():
        try:
            return convert(value)
        except ValueError:
            pass
    return value if _is_number(value) else None


@lru_cache(maxsize=4096)
def _compiled(pattern: str, flags: int) -> regex.Pattern:
    """A pattern compiled once per run: each package's rules are parsed afresh, and the regex
    module's own cache (500 patterns) is shared with the seven evaluators, whose patterns evict
    these."""
    return regex.compile(pattern, flags)


def _wildcards(value: str, contains: bool = False, startswith: bool = False, endswith: bool = False,
               cased: bool = False, windash: bool = False) -> Any:
    """A Sigma string as a regex for fullmatch: `*` any text, `?` one character, `\\*` `\\?` `\\\\`
    literal; a backslash before anything else is itself."""
    parts = [".*"] if contains or endswith else []
    i = 0
    while i < len(value):
        char = value[i]
        if char == "\\" and value[i + 1:i + 2] in ("*", "?", "\\"):
            parts.append(re.escape(value[i + 1]))
            i += 2
            continue
        if char == "*":
            if not parts or parts[-1] != ".*":  # runs of `.*` backtrack polynomially; one is enough
                parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(_DASHES if windash and _word_initial_dash(value, i) else re.escape(char))
        i += 1
    if (contains or startswith) and (not parts or parts[-1] != ".*"):
        parts.append(".*")
    return _compiled("".join(parts), regex.DOTALL | (0 if cased else regex.IGNORECASE))


def _word_initial_dash(value: str, index: int) -> bool:
    """windash expands a `-` or `/` that starts a word (not after a word character, before one),
    as pySigma's windash modifier does: `-enc` and `/c`, not the dash inside `Set-MpPreference`."""
    if value[index] not in "-/":
        return False
    before = value[index - 1] if index else ""
    after = value[index + 1] if index + 1 < len(value) else ""
    return not (before.isalnum() or before == "_") and (after.isalnum() or after == "_")
