"""SPL leaf predicates, as `explain` sees them (tooling/languages/explanation.py).

Every test the evaluator decides from the event and a literal, pattern or list goes through
`leaf(node, test, value_of)` when it is compiled: a search term (`field=value`, `field!=value`,
`field<n>`, `field IN (...)`, a bare keyword or "phrase" over `_raw`, `TERM()`/`CASE()`, a time
bound), a comparison or Boolean function of eval/where (`x==y`, `LIKE`, `IN`, match(), like(),
in(), cidrmatch(), isnull(), isnotnull(), isnum(), isstr(), isint(), searchmatch()), the regex
command, and the constraint of a tstats data model. Boolean structure (AND, OR, NOT, brackets)
is not a leaf; a `NOT` stays outside the leaf it negates, while `!=` is its own leaf, as written.

Macros. A query with macros is compiled from its expansion (pipeline.py), whose positions are
not the query's. While that expansion is compiled, `relocating(...)` maps them back: a leaf
outside every macro gets its position in the query as written; the whole expansion of a macro
call (`` `sysmon` ``) is one leaf at the call, whose inner leaves are not traced, so flipping it
flips the macro's result (flipping its inner leaves one by one at one shared position could not
say that the macro as a whole excluded the event). The same holds for the search string of
searchmatch(), whose own positions are not the query's: the call is the leaf.

All of this happens at compile time; at run time a leaf costs `traced`'s one global read.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator

from lark import Token, Tree

from tooling.languages.evaluation import NotEvaluated
from tooling.languages.explanation import NO_VALUE, Span, predicate, probing_now, traced

class Silent:
    """Compiling inside a compound leaf: its inner leaves are not traced, only collected."""

    __slots__ = ("inner",)

    def __init__(self):
        self.inner: list[tuple[Callable, Callable, str | None]] = []


_PLACES: ContextVar[Any] = ContextVar("spl_leaf_places", default=None)


def leaf(node: Any, test: Callable, value_of: Callable, subject: str | None = None) -> Callable:
    """`test` (a compiled predicate over (row, run)) as a leaf at `node`, the whole predicate's
    parse-tree node; `value_of(row, run)` gives the event's value it tested (called only while
    an explanation probes); `subject`, for a leaf that selects where or when to look rather than
    what to find, what that value is ("the event's sourcetype", "the event's time")."""
    places = _PLACES.get()
    if places is None:
        return traced(node, test, value_of, subject)
    if type(places) is Silent:
        places.inner.append((test, value_of, subject))
        return test
    return traced(places.place(node), test, value_of, subject)


def no_value(row: Any, run: Any) -> Any:
    return NO_VALUE


def compound(node: Any, compile_inner: Callable[[], Callable]) -> Callable | None:
    """When `node` lies within one macro call's expansion: `compile_inner()` compiled without
    tracing its leaves, as one leaf at the call. None otherwise (compile `node` as usual)."""
    places = _PLACES.get()
    if places is None or type(places) is Silent:
        return None
    call = places.call_of(node)
    if call is None:
        return None
    return whole(call, compile_inner)


def whole(at: Token, compile_inner: Callable[[], Callable]) -> Callable:
    """`compile_inner()` as one leaf at the macro call `at` (a token of the query as written),
    its own leaves untraced. The value shown when it fails is that of its first inner leaf that
    failed (`sysmon` on the event's sourcetype 'WinEventLog'). It selects where to look, as a
    `sourcetype=` does, when every inner leaf does."""
    with silenced() as silent:
        test = compile_inner()
    inner = silent.inner
    scope = bool(inner) and all(subject is not None for _, _, subject in inner)
    held_subject = inner[0][2] if scope else None

    def shown(row: Any, run: Any) -> tuple[Any, str | None]:
        try:
            for part, value_of, subject in inner:
                if part(row, run) is not True:
                    return value_of(row, run), subject if scope else None
        except NotEvaluated:
            pass
        return NO_VALUE, held_subject

    def expansion(row: Any, run: Any) -> Any:
        held = test(row, run)
        if not probing_now():
            return held
        value, subject = shown(row, run) if held is not True else (NO_VALUE, held_subject)
        return predicate(at, value, held, subject)
    return expansion


def groups(children: list) -> list[tuple[Any, list]]:
    """Children of an AND/OR, consecutive ones from the same macro call together: [(call or
    None, children)], so `a b` expanded from one macro into a longer AND is one leaf."""
    places = _PLACES.get()
    if places is None or type(places) is Silent:
        return [(None, [child]) for child in children]
    out: list[tuple[Any, list]] = []
    for child in children:
        call = places.call_of(child)
        if call is not None and out and out[-1][0] is call:
            out[-1][1].append(child)
        else:
            out.append((call, [child]))
    return out


@contextmanager
def silenced() -> Iterator[Silent]:
    silent = Silent()
    token = _PLACES.set(silent)
    try:
        yield silent
    finally:
        _PLACES.reset(token)


@contextmanager
def relocating(text: str, spans: list) -> Iterator[None]:
    """Compile an expanded query whose macro calls are `spans` [(call token, start, end)]
    (offsets of each expansion in the expanded text); `text` is the query as written."""
    token = _PLACES.set(Relocation(text, spans))
    try:
        yield
    finally:
        _PLACES.reset(token)


class Relocation:
    def __init__(self, text: str, spans: list):
        self.text = text
        self.spans = spans

    def call_of(self, node: Any) -> Token | None:
        start, end = _offsets(node)
        if start is None:
            return None
        for call, begin, finish in self.spans:
            if begin <= start and end <= finish:
                return call
        return None

    def place(self, node: Any) -> Any:
        """The node's span in the query as written; a node inside an expansion is at its call."""
        start, end = _offsets(node)
        if start is None:
            return node
        call = self.call_of(node)
        if call is not None:
            return call
        start, end = self._back(start, False), self._back(end, True)
        line = self.text.count("\n", 0, start) + 1
        column = start - (self.text.rfind("\n", 0, start) + 1) + 1
        return Span(line, column, start, end)

    def _back(self, offset: int, is_end: bool) -> int:
        """An offset of the expanded text in the query as written (one inside an expansion:
        its call's start, or end for the end of a span)."""
        shift = 0
        for call, begin, finish in self.spans:
            if (begin < offset <= finish) if is_end else (begin <= offset < finish):
                return call.end_pos if is_end else call.start_pos
            if offset >= finish:
                shift += (finish - begin) - (call.end_pos - call.start_pos)
        return max(0, offset - shift)


def _offsets(node: Any) -> tuple[int | None, int | None]:
    holder = getattr(node, "_meta", None) if isinstance(node, Tree) else node
    start = getattr(holder, "start_pos", None)
    end = getattr(holder, "end_pos", None)
    if not isinstance(start, int) or not isinstance(end, int):
        return None, None
    return start, end
