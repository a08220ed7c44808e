"""The evaluation contract, and what every language's evaluator shares.

    from tooling.languages import get_language
    ev = get_language("spl").evaluate(query_text, events)   # never raises, never hangs
    ev.ok        # True when every part of the query that decides what it returns was evaluated
    ev.matched   # sorted indexes into `events` of the events the query returns (for aggregations
                 # and sequences: the events that took part in a result row or alert)
    ev.reason    # when not ok: the construct not evaluated, as "line:column: construct"

Events are plain dicts in the platform's own shape (see `tooling/platforms/`). A language
compiles a parsed query once (`Language._compile`, cached by query text) into a `Compiled`
callable; `Language.evaluate` adds the guarantees: bad input, a construct the evaluator does not
know (`NotEvaluated`), the time budget (`Deadline`) and any internal error all give `ok` False
with a reason, never an exception. A wrong verdict is worse than none: an evaluator raises
`NotEvaluated` rather than guess.
"""
from __future__ import annotations

import gc
import re
import time
from collections import abc
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

import regex

from tooling.languages.prefilter import SLOW, untimed

# Per `evaluate` call. Real detections on a test's samples take well under a millisecond.
BUDGET_S = 1.0
MAX_EVENTS = 10_000
# A regex match that takes longer than this is a backtracking pattern: not evaluated.
REGEX_TIMEOUT_S = 0.25


@dataclass
class Evaluation:
    ok: bool
    matched: list[int] = field(default_factory=list)
    reason: str | None = None  # when not ok: "line:column: what was not evaluated"
    line: int | None = None  # 1-based, within the query: the construct not evaluated
    column: int | None = None
    # Why the query returned an event or not is found by probing its leaf predicates
    # (tooling/languages/explanation.py), not reported here.


@dataclass
class EvaluationContext:
    """What a repository declares about its own deployment (`platforms.yml`): the evaluators use
    it; anything not declared is not evaluated."""

    macros: Mapping[str, str] = field(default_factory=dict)  # SPL: name (or name(n)) -> definition
    lookups: Mapping[str, list[dict]] = field(default_factory=dict)  # lookup/table name -> rows
    reference_sets: Mapping[str, list[str]] = field(default_factory=dict)  # AQL sets, YARA-L %lists


EMPTY_CONTEXT = EvaluationContext()


class NotEvaluated(Exception):
    """A construct the evaluator does not evaluate, at its 1-based position in the query."""

    def __init__(self, construct: str, line: int = 1, column: int = 1):
        super().__init__(construct)
        self.construct = construct
        self.line = line
        self.column = column

    @classmethod
    def at(cls, node: Any, construct: str) -> "NotEvaluated":
        """At a Lark tree node or token (anything with line/column or meta.line/meta.column)."""
        line, column = node_position(node)
        return cls(construct, line, column)


def node_position(node: Any) -> tuple[int, int]:
    meta = getattr(node, "meta", None)
    line = getattr(node, "line", None) if meta is None else getattr(meta, "line", None)
    column = getattr(node, "column", None) if meta is None else getattr(meta, "column", None)
    if not isinstance(line, int) or not isinstance(column, int):
        line = getattr(node, "line", None)
        column = getattr(node, "column", None)
    return (line, column) if isinstance(line, int) and isinstance(column, int) else (1, 1)


class _Collections:
    """The time the cyclic garbage collector has taken in this process. A collection of a large
    heap (a long test run's) can take a second while an evaluation runs: that is the
    interpreter's time, not the query's, so the budgets (`work_time`) do not count it."""

    spent = 0.0
    _started = 0.0

    @classmethod
    def observe(cls, phase: str, info: dict) -> None:
        if phase == "start":
            cls._started = time.perf_counter()
        else:
            cls.spent += time.perf_counter() - cls._started


gc.callbacks.append(_Collections.observe)


def work_time() -> float:
    """time.perf_counter() less the time garbage collection has taken: the clock of every time
    budget (an evaluation's, the Sigma samples', an explanation's)."""
    return time.perf_counter() - _Collections.spent


class Deadline:
    """The time budget of one evaluation; `check()` raises NotEvaluated once it is spent."""

    __slots__ = ("end", "budget")

    def __init__(self, budget: float = BUDGET_S):
        self.budget = budget
        self.end = work_time() + budget

    def check(self) -> None:
        if work_time() > self.end:
            raise NotEvaluated(f"the evaluation took over its {self.budget:g} s budget")

    def remaining(self) -> float:
        return max(0.001, self.end - work_time())


# `and` / `or` over a node's compiled parts, as loops: all() / any() over a generator cost about
# twice as much per part, on every event (a tenth to a fifth of an evaluator's run). `arguments`:
# what each part takes, the event or row alone (1) or with the run's state (2).
def all_of(parts: list[Callable], arguments: int = 1) -> Callable:
    if arguments == 1:
        def every(row):
            for part in parts:
                if not part(row):
                    return False
            return True
        return every

    def every_with(row, run):
        for part in parts:
            if not part(row, run):
                return False
        return True
    return every_with


def any_of(parts: list[Callable], arguments: int = 1) -> Callable:
    if arguments == 1:
        def some(row):
            for part in parts:
                if part(row):
                    return True
            return False
        return some

    def some_with(row, run):
        for part in parts:
            if part(row, run):
                return True
        return False
    return some_with


# Compiled form of a query: (events, deadline, context) -> Evaluation.
Compiled = Callable[[list[dict], Deadline, EvaluationContext], Evaluation]


def checked_events(events: Any) -> list[dict] | str:
    """The events as a list of dicts, or why they are not."""
    if not isinstance(events, (list, tuple)):
        return "events must be a list of objects"
    if len(events) > MAX_EVENTS:
        return f"{len(events):,} events; the bound is {MAX_EVENTS:,}"
    if not all(isinstance(event, dict) for event in events):
        return "every event must be an object (a dict)"
    return list(events)


# --- shared semantics helpers -------------------------------------------------------------

_MISSING = object()
MISSING = _MISSING  # the value of a field an event does not have (distinct from None / null)


def field_value(event: Mapping, path: str, separator: str = ".") -> Any:
    """The value at `path` in `event`, where the event may hold it flat ("process.name" as one
    key, as ECS documents may) or nested ({"process": {"name": ...}}), or mixed. MISSING when
    absent. Lists on the way are not descended: use `field_values` for "any element" semantics."""
    if path in event:
        return event[path]
    parts = path.split(separator)
    for cut in range(1, len(parts)):
        head = separator.join(parts[:cut])
        inner = event.get(head, _MISSING)
        if isinstance(inner, abc.Mapping):
            found = field_value(inner, separator.join(parts[cut:]), separator)
            if found is not _MISSING:
                return found
    return _MISSING


def field_values(event: Mapping, path: str, separator: str = ".") -> list[Any]:
    """Every value at `path`, descending into lists of objects on the way and flattening a list
    value: how ECS arrays and UDM repeated fields are matched ("any element"). An evaluator
    reading the same path in many events takes `values_reader(path)` once instead."""
    return values_reader(path, separator)(event)


def values_reader(path: str, separator: str = ".") -> Callable[[Mapping], list[Any]]:
    """event -> `field_values(event, path, separator)`, with the path's splits worked out once:
    at every node the reader tries the rest of the path as one key, then each way of cutting it
    into a key and a shorter rest (an event may hold "process.name" flat, nested or mixed)."""
    parts = path.split(separator)
    rests = [separator.join(parts[start:]) for start in range(len(parts))]
    # the keys a rest starting at part `start` may begin with, each with where its own rest starts
    cuts = [tuple((separator.join(parts[start:end]), end) for end in range(start + 1, len(parts)))
            for start in range(len(parts))]

    def collect(node: Any, start: int, found: list, depth: int) -> None:
        if depth > 64:
            raise NotEvaluated("a value nested more than 64 levels deep")
        if type(node) is not dict:  # events are dicts: the abc check only for anything else
            if isinstance(node, list):
                for item in node:
                    collect(item, start, found, depth + 1)
                return
            if not isinstance(node, abc.Mapping):  # collections.abc: typing's alias checks in Python
                return
        rest = rests[start]
        if rest in node:
            value = node[rest]
            if isinstance(value, list):
                found.extend(value)
            else:
                found.append(value)
            return
        for head, end in cuts[start]:
            if head in node:
                inner = node[head]
                # the last step of most reads, taken here rather than in one more call: an object
                # holding the rest of the path as a key (as `collect(inner, end, ...)` would)
                if type(inner) is dict and depth < 64 and rests[end] in inner:
                    value = inner[rests[end]]
                    if isinstance(value, list):
                        found.extend(value)
                    else:
                        found.append(value)
                    continue
                collect(inner, end, found, depth + 1)

    def read(event: Mapping) -> list[Any]:
        found: list[Any] = []
        collect(event, 0, found, 0)
        return found

    return read


def search(pattern: str | regex.Pattern, text: str, flags: int = 0) -> bool:
    """Regular-expression search with a time bound (the `regex` module): a pattern that
    backtracks without end raises NotEvaluated instead of hanging."""
    try:
        compiled = pattern if isinstance(pattern, regex.Pattern) else regex.compile(pattern, flags)
        found = untimed(compiled, "search", text)
        if found is SLOW:
            found = compiled.search(text, timeout=REGEX_TIMEOUT_S)
        return found is not None
    except TimeoutError:
        raise NotEvaluated("a regular expression that backtracks without end") from None


def fullmatch(pattern: str | regex.Pattern, text: str, flags: int = 0) -> bool:
    """Like `search`, but the whole text must match."""
    try:
        compiled = pattern if isinstance(pattern, regex.Pattern) else regex.compile(pattern, flags)
        found = untimed(compiled, "fullmatch", text)
        if found is SLOW:
            found = compiled.fullmatch(text, timeout=REGEX_TIMEOUT_S)
        return found is not None
    except TimeoutError:
        raise NotEvaluated("a regular expression that backtracks without end") from None


def wildcard_regex(pattern: str, *, star: str = "*", one: str | None = None, escape: str | None = None,
                   ignore_case: bool = False) -> regex.Pattern:
    """A compiled, anchored regex for a wildcard pattern (`star` any run, `one` any single
    character, `escape` makes the next character literal). Consecutive stars are collapsed, so
    the regex cannot backtrack badly."""
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if escape is not None and char == escape and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        if char == star:
            if not parts or parts[-1] != ".*":
                parts.append(".*")
        elif one is not None and char == one:
            parts.append(".")
        else:
            parts.append(re.escape(char))
        index += 1
    return regex.compile("".join(parts), regex.DOTALL | (regex.IGNORECASE if ignore_case else 0))


def parse_time(value: Any) -> datetime | None:
    """An event time as an aware datetime: ISO 8601 text, or epoch seconds / milliseconds."""
    if isinstance(value, str):  # most event times: before the tests for other types
        text = value.strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 10_000_000_000 else value
        try:
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def latest_time(events: Iterable[Mapping], fields: Iterable[str]) -> datetime | None:
    """The latest time among the events (relative time filters count back from it)."""
    latest = None
    names = tuple(fields)
    for event in events:
        for name in names:
            moment = parse_time(field_value(event, name))
            if moment is not None:
                latest = moment if latest is None or moment > latest else latest
                break
    return latest
