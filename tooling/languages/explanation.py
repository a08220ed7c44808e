"""Why a query returned an event, or did not: the predicate that decided.

Every evaluator passes each leaf predicate it decides (a comparison of a field with a value, a
free-text term, a regex test) through `predicate(node, value, held)` and uses what it returns.
Outside an explanation that is `held`, at the cost of one global read. While `explain` probes a
verdict, it records each leaf with the event's value, then re-runs the query with one leaf's
result flipped: a leaf whose flip changes the verdict decided it. So one mechanism, in one
place, explains all seven languages without each evaluator knowing its boolean structure:

    from tooling.languages.explanation import predicate
    held = predicate(node, value, compare(value, literal))   # node: the leaf in the parse tree

    explain("kql", text, event)  -> Explanation | None
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from tooling.languages.evaluation import MISSING, EMPTY_CONTEXT, EvaluationContext, work_time

MAX_LEAVES = 64  # leaves flipped one at a time; a real detection has a few dozen at most
MAX_RUNS = 256  # evaluations one explanation may cost (each well under a millisecond)
BUDGET_S = 2.0  # and its time: a query slow on purpose stops being probed, it is not waited for
# predicates of a matching branch named in a sentence: a branch rarely has more, and the one
# to fix may be any of them
MAX_SHOWN = 6
MAX_VALUE = 120  # characters of an event value shown
MAX_PREDICATE = 100  # characters of a predicate shown
NO_VALUE = object()  # a leaf that reads no single field (e.g. a free-text term): no value shown


@dataclass(frozen=True)
class Span:
    """A leaf's place in the query when no one parse-tree node covers it (a negation whose `!` the
    tree drops, a call with its closing bracket, a macro's expansion): what `_span` reads."""

    line: int  # 1-based
    column: int
    start_pos: int  # character offsets in the query
    end_pos: int


@dataclass
class Leaf:
    """One leaf predicate as evaluated on the event."""

    line: int  # 1-based, in the query
    column: int
    start: int | None  # character offsets in the query, when the node has them
    end: int | None
    value: Any
    held: bool
    # what the value is, when not the predicate's field: "the event's table", "the count"
    subject: str | None = None
    # the leaf selects where and when to look (a table, source, category, time window) rather
    # than what to find: explanations of a match put it last, and coverage (tooling/coverage.py)
    # does not ask samples to prove it
    scope: bool = False

    @property
    def key(self) -> tuple:
        return (self.line, self.column, self.start, self.end)


@dataclass
class Probe:
    """The leaves seen while one evaluation runs; `flip` names the leaves whose result is negated."""

    flip: frozenset = frozenset()
    leaves: dict = field(default_factory=dict)  # key -> Leaf, in first-seen order

    def record(self, node: Any, value: Any, held: bool, subject: str | None = None,
               scope: bool | None = None) -> bool:
        leaf = Leaf(*_span(node), value, held, subject, subject is not None if scope is None else scope)
        seen = self.leaves.get(leaf.key)
        # a leaf evaluated more than once (several rows, "any element") counts as held if it
        # ever held, with the value it held on
        if seen is None or (held and not seen.held):
            self.leaves[leaf.key] = leaf
        return (not held) if leaf.key in self.flip else held


_probe: Probe | None = None


def predicate(node: Any, value: Any, held: bool, subject: str | None = None, scope: bool | None = None) -> bool:
    """A leaf predicate's result, as the evaluator must use it. `node`: the leaf (a Lark Tree
    with meta, a Token, or anything with line/column and, ideally, start_pos/end_pos); `value`:
    the event's value it tested (MISSING when absent, NO_VALUE when it reads no one field);
    `subject`: what that value is, when the predicate's text does not say (e.g. "the event's table");
    `scope`: whether the leaf selects where or when to look rather than what to find (by default,
    a leaf with a subject does: the table, source or time its value is)."""
    probe = _probe
    if probe is None:
        return held
    return probe.record(node, value, held, subject, scope)


def traced(node: Any, test: Callable[..., Any], value_of: Callable[..., Any],
           subject: str | None = None) -> Callable[..., Any]:
    """`test` (a compiled leaf predicate) passing its result through `predicate`; `value_of`,
    called with the same arguments only while probing, gives the event's value it tested."""
    def leaf(*args):
        held = test(*args)
        probe = _probe
        if probe is None:
            return held
        return probe.record(node, value_of(*args), held, subject)
    return leaf


def probing_now() -> bool:
    """True while an explanation runs: an evaluator's fast path that decides several leaves at
    once (a table index, a prefilter) steps aside so each leaf is seen and can be flipped."""
    return _probe is not None


@contextmanager
def probing(flip: frozenset = frozenset()) -> Iterator[Probe]:
    global _probe
    previous, _probe = _probe, Probe(flip)
    try:
        yield _probe
    finally:
        _probe = previous


@contextmanager
def untraced() -> Iterator[None]:
    """No leaf is recorded or flipped while it is open: `predicate` and `traced` leaves give the
    result they hold, as outside an explanation. For a stage that only names what the results
    show (a label no later stage reads): its predicates choose a value, not whether an event is
    returned, so no sample could prove them (tooling/coverage.py) and none decides a verdict."""
    global _probe
    previous, _probe = _probe, None
    try:
        yield
    finally:
        _probe = previous


def names_one_of(name: str, fields: frozenset[str]) -> bool:
    """Whether a field name a later stage reads (lower-cased) is one of `fields` a label stage
    sets, a path into one (`a.b`, `a[0]`) or the object holding one: the label analyses of
    each language (kql/labels.py, sumo/labels.py, logscale/labels.py) count it as a read."""
    return name in fields or any(name.startswith((field + ".", field + "["))
                                 or field.startswith((name + ".", name + "[")) for field in fields)


def untraced_stage(run: Callable[..., Any]) -> Callable[..., Any]:
    """A compiled stage (whatever its arguments) that runs `untraced` while an explanation
    probes; outside one it costs one more call and one global read."""
    def stage(*args):
        if _probe is None:
            return run(*args)
        with untraced():
            return run(*args)
    return stage


def _span(node: Any) -> tuple[int, int, int | None, int | None]:
    meta = getattr(node, "_meta", None) if type(node).__name__ == "Tree" else None
    holder = meta if meta is not None else node
    line = getattr(holder, "line", None)
    column = getattr(holder, "column", None)
    if not isinstance(line, int) or not isinstance(column, int):
        line, column = 1, 1
    start = getattr(holder, "start_pos", None)
    end = getattr(holder, "end_pos", None)
    return line, column, start if isinstance(start, int) else None, end if isinstance(end, int) else None


@dataclass
class Explanation:
    """What decided a verdict: the leaves whose flip changes it (empty when none alone does)."""

    matched: bool
    deciding: list[Leaf]
    held: list[Leaf]  # every leaf that held, in query order
    failed: list[Leaf]  # every leaf that did not hold
    text: str  # the query
    together: bool = False  # the deciding leaves must all flip (a pair), not any one of them

    @property
    def line(self) -> int | None:
        return self.deciding[0].line if self.deciding else None

    @property
    def column(self) -> int | None:
        return self.deciding[0].column if self.deciding else None

    def sentence(self) -> str:
        if self.matched:
            leaves = self.deciding or [leaf for leaf in self.held if not leaf.scope]
            if not leaves:  # at most its table or time window was tested
                return "it returns the event, though no predicate of the query tested it"
            shown = leaves[:MAX_SHOWN]
            held = [leaf for leaf in shown if leaf.held]
            failed = [leaf for leaf in shown if not leaf.held]  # under a negation: its failing decided
            parts = [" and ".join(self._leaf(leaf) for leaf in group) + what
                     for group, what in ((held, " held"), (failed, " did not")) if group]
            more = f" (and {len(leaves) - MAX_SHOWN} more)" if len(leaves) > MAX_SHOWN else ""
            return f"it returned the event because {' and '.join(parts)}{more}"
        if self.deciding and self.together:
            return "the closest branch needs " + " and ".join(self._leaf(leaf) for leaf in self.deciding) + \
                ", which did not hold"
        if self.deciding:
            first = self.deciding[0]
            said = f"{self._leaf(first)} " + \
                ("did not hold" if not first.held else "held, and the negation around it drops the event")
            others = self.deciding[1:3]
            if others:
                said += "; " + " or ".join(self._leaf(leaf) for leaf in others) + " alone would also have returned it"
            return said
        if not self.failed:
            return "no predicate failed, yet the query did not return the event (a later stage dropped it)"
        listed = "; ".join(self._leaf(leaf) for leaf in self.failed[:3])
        return f"no single predicate decides; these did not hold: {listed}"

    def lead_with(self, differs: Callable[[Leaf], bool]) -> None:
        """Put first the deciding leaves for which `differs` holds (stable otherwise): for a
        near-miss that fired, those whose value differs from the test's attack events, the
        predicates that should have told the two apart."""
        self.deciding.sort(key=lambda leaf: not differs(leaf))

    def _leaf(self, leaf: Leaf) -> str:
        quoted = f"`{predicate_text(self.text, leaf)}` (line {leaf.line})"
        if leaf.value is NO_VALUE:
            return quoted
        if leaf.value is MISSING:
            return f"{quoted} on {leaf.subject or 'a field'} absent from the event"
        return f"{quoted} on {leaf.subject + ' ' if leaf.subject else ''}{shown_value(leaf.value)}"


def predicate_text(text: str, leaf: Leaf) -> str:
    if leaf.start is None or leaf.end is None or not 0 <= leaf.start < leaf.end <= len(text):
        lines = text.splitlines()
        source = lines[leaf.line - 1][leaf.column - 1:] if 0 < leaf.line <= len(lines) else ""
    else:
        source = text[leaf.start:leaf.end]
    source = " ".join(source.split())
    return source if len(source) <= MAX_PREDICATE else source[:MAX_PREDICATE - 3] + "..."


def shown_value(value: Any) -> str:
    shown = "null" if value is None else repr(value)
    return shown if len(shown) <= MAX_VALUE else shown[:MAX_VALUE - 3] + "..."


def leaf_values(key: str, text: str, event: dict, context: EvaluationContext = EMPTY_CONTEXT) -> dict[tuple, Any]:
    """The value each leaf the query evaluates reads on `event` (one evaluation, nothing flipped)."""
    _, probe = _probed_verdict(key, text, event, context)
    return {leaf_key: leaf.value for leaf_key, leaf in probe.leaves.items()}


def _probed_verdict(key: str, text: str, event: dict, context: EvaluationContext,
                    flip: frozenset = frozenset()) -> tuple[bool | None, Probe]:
    """Whether the query returns `event` with the leaves in `flip` negated (None: not evaluated),
    and the leaves it saw."""
    from tooling.languages import get_language

    with probing(flip) as probe:
        evaluation = get_language(key).evaluate(text, [event], context)
    return (0 in evaluation.matched) if evaluation.ok else None, probe


def explain(key: str, text: str, event: dict, context: EvaluationContext = EMPTY_CONTEXT) -> Explanation | None:
    """Why the query in language `key` returns `event` or not; None when it cannot be evaluated."""
    def verdict(flip: frozenset) -> tuple[bool | None, Probe]:
        return _probed_verdict(key, text, event, context, flip)

    matched, probe = verdict(frozenset())
    if matched is None:
        return None
    runs = [0]
    end = work_time() + BUDGET_S

    def flipped(keys: frozenset) -> tuple[bool | None, Probe | None]:
        runs[0] += 1
        if runs[0] > MAX_RUNS or work_time() > end:
            return None, None
        return verdict(keys)

    leaves = sorted(probe.leaves.values(), key=_order)[:MAX_LEAVES]
    # a missed match is decided by leaves that failed, a false match by leaves that held or by
    # a negated leaf that failed: every leaf is a candidate either way
    singles = {leaf.key: flipped(frozenset([leaf.key])) for leaf in leaves}
    deciding = [leaf for leaf in leaves if singles[leaf.key][0] not in (matched, None)]
    together = False
    if not deciding and not matched:
        # two leaves of one branch failed; the second may only be reached once the first holds
        # (`and` and later stages short-circuit), so pair each with what its flip revealed
        for first in (leaf for leaf in leaves if not leaf.held):
            revealed = singles[first.key][1]
            for second in (revealed.leaves.values() if revealed else ()):
                if second.key == first.key or second.held:
                    continue
                if flipped(frozenset([first.key, second.key]))[0] is True:
                    deciding, together = sorted([first, second], key=_order), True
                    break
            if deciding:
                break
    if matched:
        # what selects the event's source (its table) decides too, but says nothing about why
        # this event matched rather than its neighbours: the predicates on its values do
        deciding = [leaf for leaf in deciding if not leaf.scope]
        leaves.sort(key=lambda leaf: leaf.scope)
    return Explanation(matched, deciding, [leaf for leaf in leaves if leaf.held],
                       [leaf for leaf in leaves if not leaf.held], text, together)


def _order(leaf: Leaf) -> tuple[int, int]:
    return leaf.line, leaf.column
