"""Regex calls that need no timeout: the pattern's own bound shows they end long before it.

A `regex` call with a `timeout` reads the process's CPU clock (`clock()`), a system call on some
virtual machines: about 7 µs per call, more than most matches cost, and evaluators make hundreds
per package. Yet most patterns cannot backtrack far on a sample's text: without nested or
alternating repetition, a backtracking matcher's ways through a pattern number at most
c * (n + 1) ** d for a text of n characters (d repetitions, c the product of the alternatives),
and each part of the pattern is entered at most once per way through what comes before it. The
character tests that allows are a polynomial in n; where it is small on the text at hand
(STEP_LIMIT), the call runs without a timeout: it cannot come near one, so the answer is the one
the timed call gives. Everything else (nested or alternating repetition, lookaround,
backreferences, flags not read here, long texts) keeps its timeout.

Such a quick call is skipped altogether when the text lacks a literal every match contains (a
run of the top-level sequence, or one per branch of an alternation: `.*\\WINEVT\\Channels\\.*`,
`^(ProcessRollup2|RegGenericValueUpdate)$`), as most texts an evaluator tries do.

    found = untimed(compiled, "search", text)
    if found is SLOW:
        found = compiled.search(text, timeout=REGEX_TIMEOUT_S)

What is read of a pattern is kept per compiled pattern: a query's patterns meet every sample.
"""
from __future__ import annotations

import re
import sys
from typing import Any

import regex

_GIVE_UP_FLAGS = regex.VERBOSE | regex.VERSION1 | regex.LOCALE | regex.FULLCASE
# escapes that stand for a class of characters or a zero-width test: they end a literal run
_CLASS_ESCAPES = frozenset("dDsSwWbBAZtnrfv")
_QUANTIFIER = re.compile(r"\{(\d+)(,(\d*))?\}|\{,(\d+)\}")
_FLAGS = re.compile(r"([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])")
_MAX_CHOICES = 16  # strings in one "any of" requirement
_KEPT = 4096  # patterns analysed; a query has a few dozen

# A requirement: any match contains at least one of these (text, case-insensitive?) pairs.
Requirement = frozenset
# A bound on a backtracking matcher's work in (part of) a pattern, n the text's length: (paths,
# steps). Paths: (c, d) for at most c * (n + 1) ** d ways through it; steps: {d: c} for at most
# the sum of c * (n + 1) ** d character tests, in all its ways. None: unbounded or not known.
Cost = "tuple[tuple[int, int], dict[int, int]] | None"
_ONE: Cost = ((1, 0), {0: 1})  # a character, a class, an anchor: one way, one test

_patterns: dict[int, tuple] = {}  # id -> (pattern, requirements, cost, longest quick texts), per pattern


class _Unknown(Exception):
    """A construct this reading does not follow: the pattern gets no requirement."""


def requirements(pattern: str, flags: int = 0) -> tuple[Requirement, ...]:
    """What every match of the pattern contains: each requirement is a set of literal texts, one
    of which every match holds (a run of the top-level sequence, or one per branch of an
    alternation). Empty when nothing is known; case-insensitive texts are ASCII, lower-cased."""
    return _read(pattern, flags)[0]


def _read(pattern: str, flags: int) -> tuple[tuple[Requirement, ...], Cost]:
    if flags & _GIVE_UP_FLAGS:
        return (), None
    reader = _Reader(pattern)
    try:
        found, cost = reader.alternation(bool(flags & regex.IGNORECASE))
        if reader.i != len(pattern):
            return (), None
    except (_Unknown, IndexError):
        return (), None
    usable = [frozenset((text.lower(), True) if folded else (text, False) for text, folded in options)
              for options in found if all(text.isascii() or not folded for text, folded in options)]
    usable.sort(key=lambda options: -min(len(text) for text, _ in options))
    return tuple(usable[:2]), cost


class _Reader:
    """Reads a pattern's structure: what its matches must contain (`requirements`) and a bound on
    the paths a backtracking matcher can take through it (`cost`: (c, d) for at most
    c * (n + 1) ** d, n the text's length; None when unbounded or not known)."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.i = 0

    def alternation(self, folded: bool) -> tuple[list[Requirement], Cost]:
        branches = [self.sequence(folded)]
        while self.i < len(self.pattern) and self.pattern[self.i] == "|":
            self.i += 1
            branches.append(self.sequence(folded))
        if len(branches) == 1:
            return branches[0]
        costs = [cost for _, cost in branches]
        cost = None
        if None not in costs:  # each branch is tried in turn
            steps: dict[int, int] = {}
            for _, branch_steps in costs:
                _add(steps, branch_steps)
            cost = ((sum(c for (c, _), _ in costs), max(d for (_, d), _ in costs)), steps)
        union: set = set()
        for branch, _ in branches:
            if not branch:
                return [], cost  # a branch that requires nothing: the alternation requires nothing
            union |= max(branch, key=lambda options: min(len(text) for text, _ in options))
        return ([frozenset(union)] if len(union) <= _MAX_CHOICES else []), cost

    def sequence(self, folded: bool) -> tuple[list[Requirement], Cost]:
        found: list[Requirement] = []
        run: list[str] = []
        cost: Cost = ((1, 0), {})

        def close() -> None:
            if run:
                found.append(frozenset({("".join(run), folded)}))
                run.clear()

        pattern = self.pattern
        while self.i < len(pattern) and pattern[self.i] not in "|)":
            char = pattern[self.i]
            literal = group = None
            item: Cost = _ONE
            if char == "\\":
                escaped = pattern[self.i + 1]
                self.i += 2
                if escaped.isalnum() or escaped == "_":
                    if escaped not in _CLASS_ESCAPES:
                        raise _Unknown  # \1, \x41, \p{..}, \N{..}, \g<..> ...
                else:
                    literal = escaped
            elif char == "[":
                self.i = self._class_end()
            elif char == "(":
                group, item = self._group(folded)
                if group is None:
                    continue  # inline flags, a comment: nothing to match
            elif char in ".^$":
                self.i += 1
            elif char in "*+?{":
                raise _Unknown
            else:
                literal = char
                self.i += 1
            least, most = self._quantifier()
            if least is not None:
                item = _repeated(item, least, most)
            if cost is None or item is None:
                cost = None
            else:  # the item is entered once per way through what comes before it
                (c, d), steps = cost
                _add(steps, _times((c, d), item[1]))
                cost = ((c * item[0][0], d + item[0][1]), steps)
            if literal is not None:
                if least is None:
                    run.append(literal)
                elif least >= 1:  # a run ends and another starts at the repeated character
                    run.append(literal)
                    close()
                    run.append(literal)
                else:
                    close()  # the character may be absent
            else:
                close()
                if group and (least is None or least >= 1):
                    found.extend(group)
        close()
        return found, cost

    def _group(self, folded: bool) -> tuple[list[Requirement] | None, Cost]:
        pattern = self.pattern
        self.i += 1
        keep = True
        if pattern.startswith("?", self.i):
            rest = pattern[self.i + 1:self.i + 4]
            if rest.startswith((":", ">", "|")):
                self.i += 2
            elif rest.startswith(("=", "!")):
                self.i += 2
                keep = False  # a lookaround matches nothing of its own
            elif rest.startswith(("<=", "<!")):
                self.i += 3
                keep = False
            elif rest.startswith(("P<", "<")):
                end = pattern.find(">", self.i)
                if end < 0:
                    raise _Unknown
                self.i = end + 1
            elif rest.startswith("#"):
                end = pattern.find(")", self.i)
                if end < 0:
                    raise _Unknown
                self.i = end + 1
                return None, _ONE
            else:
                flags = _FLAGS.match(pattern, self.i + 1)
                if flags is None or set(flags.group(1) + (flags.group(2) or "")) - set("ims"):
                    raise _Unknown
                self.i = flags.end()
                if flags.group(3) == ")":
                    if flags.group(2):
                        raise _Unknown  # turning a flag off for the rest of the pattern
                    return None, _ONE  # a global flag: the compiled pattern's flags say it
                if "i" in flags.group(1):
                    folded = True
                if "i" in (flags.group(2) or ""):
                    folded = False
        inner, cost = self.alternation(folded)
        if not pattern.startswith(")", self.i):
            raise _Unknown
        self.i += 1
        # a lookaround is a match of its own at each place it is tried: not bounded here
        return (inner, cost) if keep else ([], None)

    def _quantifier(self) -> tuple[int | None, int | None]:
        """The least and most counts of a quantifier at the reading position (skipped): (None,
        None) when there is none; most None when unbounded."""
        pattern = self.pattern
        if self.i >= len(pattern):
            return None, None
        char = pattern[self.i]
        if char == "*":
            least, most = 0, None
            self.i += 1
        elif char == "+":
            least, most = 1, None
            self.i += 1
        elif char == "?":
            least, most = 0, 1
            self.i += 1
        elif char == "{":
            found = _QUANTIFIER.match(pattern, self.i)
            if found is None:
                raise _Unknown  # a literal brace or a fuzzy constraint
            if found.group(4) is not None:  # {,m}
                least, most = 0, int(found.group(4))
            else:  # {n}, {n,}, {n,m}
                least = int(found.group(1))
                most = least if found.group(2) is None else int(found.group(3)) if found.group(3) else None
            self.i = found.end()
        else:
            return None, None
        if self.i < len(pattern) and pattern[self.i] in "?+":
            self.i += 1  # lazy or possessive
        return least, most

    def _class_end(self) -> int:
        """The index after the `]` that closes the set opened at the reading position."""
        pattern = self.pattern
        i = self.i + 1
        if pattern.startswith("^", i):
            i += 1
        if pattern.startswith("]", i):
            i += 1  # a `]` first in the set is literal
        while i < len(pattern):
            char = pattern[i]
            if char == "\\":
                i += 2
            elif char == "[":
                raise _Unknown  # a POSIX class or a nested set
            elif char == "]":
                return i + 1
            else:
                i += 1
        raise _Unknown


def _repeated(item: Cost, least: int, most: int | None) -> Cost:
    """The cost of `item` repeated least..most times. An item with one way through it (a
    character, a class, a group of those) repeats in at most n + 1 ways, each repetition tested
    and given back once; an item with choices of its own repeats in a number of ways
    exponential in the count: bounded only for a small fixed count, else not known (the timed
    regex decides)."""
    if item is None:
        return None
    (c, d), steps = item
    if (c, d) == (1, 0):
        if most is None:
            repeated = _times((1, 1), steps)
            _add(repeated, {1: 1, 0: 1})
            return (1, 1), repeated
        repeated = _times((most, 0), steps)
        _add(repeated, {0: most - least + 1})
        return (most - least + 1, 0), repeated
    if most is None or most > 4:
        return None
    # the k-th repetition is entered once per way through the k - 1 before it
    repeated = _times((most * c ** (most - 1), d * (most - 1)), steps)
    _add(repeated, {0: most + 1})
    return ((most - least + 1) * c ** most, d * most), repeated


def _times(paths: tuple[int, int], steps: dict[int, int]) -> dict[int, int]:
    c, d = paths
    return {degree + d: coefficient * c for degree, coefficient in steps.items()}


def _add(total: dict[int, int], steps: dict[int, int]) -> None:
    for degree, coefficient in steps.items():
        total[degree] = total.get(degree, 0) + coefficient


SLOW = object()  # what `untimed` returns when the call needs its time bound
# Character tests a quick call may make by the bound (real matches make a small part of it). A
# test costs at most about 15 ns (capturing groups, on a busy machine), so a quick call ends
# within about 50 ms, a fifth of the timeout, whatever the text.
STEP_LIMIT = 3_000_000
_ANCHORED = {"match": True, "fullmatch": True, "search": False}


def untimed(compiled: regex.Pattern, method: str, text: str) -> Any:
    """`compiled.<method>(text)` (search, match or fullmatch) when the pattern's bound on this
    text's length is far below the timeout, run without one; None, with no call at all, when the
    text lacks what every match contains. SLOW when the call must be made with its timeout."""
    found = _patterns.get(id(compiled))
    if found is None or found[0] is not compiled:
        if len(_patterns) >= _KEPT:
            _patterns.clear()
        pattern = compiled.pattern
        needs, cost = _read(pattern, compiled.flags) if isinstance(pattern, str) else ((), None)
        found = _patterns[id(compiled)] = (compiled, needs, cost, _longest(cost, True), _longest(cost, False))
    _, needs, cost, anchored, unanchored = found
    if cost is None or type(text) is not str or len(text) > (anchored if _ANCHORED[method] else unanchored):
        return SLOW
    if needs and _lacks(needs, text):
        return None
    return getattr(compiled, method)(text)


def _steps(cost: tuple, n: int, anchored: bool) -> int:
    """The bound on character tests for a text of n - 1 characters (a search tries each position)."""
    steps = sum(c * n ** d for d, c in cost[1].items())
    return steps if anchored else steps * n


def _longest(cost: tuple | None, anchored: bool) -> int:
    """The longest text whose bound stays within STEP_LIMIT (-1: none), found once per pattern: the
    bound grows with the length, so each call compares lengths instead of summing its terms."""
    if cost is None or max(cost[1], default=0) > 8:
        return -1
    if _steps(cost, 1, anchored) > STEP_LIMIT:
        return -1
    low, high = 1, 2  # n = length + 1: steps(low) within the limit; find high beyond it
    while _steps(cost, high, anchored) <= STEP_LIMIT:
        low, high = high, high * 2
        if high > 1 << 40:
            return sys.maxsize  # within the limit at any length a text can have
    while high - low > 1:
        middle = (low + high) // 2
        if _steps(cost, middle, anchored) <= STEP_LIMIT:
            low = middle
        else:
            high = middle
    return low - 1


def _lacks(needs: tuple[Requirement, ...], text: str) -> bool:
    """Whether the text lacks every option of some requirement."""
    lowered = None
    for options in needs:
        for literal, folded in options:
            if not folded:
                if literal in text:
                    break
            elif not text.isascii():
                break  # undecided: ASCII lower-casing is not the pattern's folding here
            else:
                if lowered is None:
                    lowered = text.lower()
                if literal in lowered:
                    break
        else:
            return True  # none of the options is in the text
    return False
