"""YARA-L lint rules (DAC460-DAC468): mistakes that parse but that Google SecOps rejects or that
make a rule do something other than what its author meant.

Every rule is `(tree, text) -> Iterable[Diagnostic]`, reads the shared `analysis.analyze` view
of the tree, and never raises (a parsed query of an odd shape yields nothing rather than an
exception). Positions are 1-based within the query and point at the offending token.

- DAC460 undefined-variable: `$x` / `#x` / `!$x` in match, outcome or condition that the events
  section never defines (and that is not an outcome variable).
- DAC461 match-key-not-placeholder: a `match` key that is not a placeholder bound in events.
- DAC462 multi-event-without-match: several event variables and no `match` section.
- DAC463 condition-or-with-several-events: `or` in the condition of a multi-event rule.
- DAC464 invalid-regex: a regex literal or `re.regex` / `re.capture` / `re.replace` pattern that
  neither RE2 nor Python's `re` can compile.
- DAC465 match-window-out-of-range: a match window under 1 minute or over 48 hours.
- DAC466 unused-placeholder (info): a placeholder bound once and used nowhere else.
- DAC467 event-variables-not-joined: event variables not all joined by equalities/placeholders.
- DAC468 too-many-outcome-variables: more than 20 outcome variables in one rule.
"""
from __future__ import annotations

import bisect
import re
from typing import Any, Callable, Iterable, Iterator

from tooling.diagnostics import Diagnostic
from tooling.languages.yaral.analysis import Pos, RuleInfo, analyze, event_variable

Check = Callable[[RuleInfo, str], Iterator[Diagnostic]]


def _safe(check: Check) -> Callable[[Any, str], list[Diagnostic]]:
    """Run a per-rule check on every rule of the query; a crash in a check yields nothing."""

    def rule(tree: Any, text: str) -> list[Diagnostic]:
        try:
            return [d for info in analyze(tree) for d in check(info, text)]
        except Exception:  # noqa: BLE001 - a lint rule must never break validation
            return []

    rule.__name__ = check.__name__
    rule.__doc__ = check.__doc__
    return rule


def _at(code: str, info: RuleInfo, message: str, pos: Pos) -> Diagnostic:
    return Diagnostic(code, f"YARA-L rule {info.name}: {message}", pos.line, pos.column)


def _defined(info: RuleInfo) -> set[str]:
    return set(info.event_variables) | set(info.placeholders) | {o.name for o in info.outcomes}


# ---- DAC460 -------------------------------------------------------------------------------------

def undefined_variable(info: RuleInfo, text: str) -> Iterator[Diagnostic]:
    """DAC460: a variable used in match (pivot), outcome or condition but never defined."""
    defined = _defined(info)
    events = info.event_variables
    reported: set[str] = set()
    for variable in info.variables:
        if variable.section == "events" or variable.name in defined or variable.name in reported:
            continue
        if variable.section == "match" and variable.role != "pivot":
            continue  # match keys are DAC461's
        reported.add(variable.name)
        if variable.role in ("event", "exists", "absent", "count", "pivot"):
            what = "event variable" if variable.role in ("event", "pivot") else "event or placeholder variable"
            hint = f"; the events section defines {', '.join(sorted(events))}" if events else ""
            yield _at("DAC460", info, f"{variable.name} is used in {variable.section} but no "
                      f"{what} of that name is defined in events{hint}", variable.pos)
        else:
            yield _at("DAC460", info, f"{variable.name} is used in {variable.section} but is neither bound "
                      "in events nor an outcome variable", variable.pos)


# ---- DAC461 -------------------------------------------------------------------------------------

def match_key_not_placeholder(info: RuleInfo, text: str) -> Iterator[Diagnostic]:
    """DAC461: a match key that is not a placeholder bound in the events section."""
    if info.match is None:
        return
    placeholders = info.placeholders
    events = info.event_variables
    outcomes = {o.name for o in info.outcomes}
    for key, pos in info.match.keys:
        if key in placeholders:
            continue
        if "." in key:
            reason = (f"{key} is an event field; a rule groups by placeholders: bind it in events "
                      f"(`$name = {key}`) and match on `$name`")
        elif key in events:
            reason = f"{key} is an event variable, not a placeholder: match on a placeholder bound to one of its fields"
        elif key in outcomes:
            reason = f"{key} is an outcome variable; match keys must be placeholders bound in events"
        else:
            reason = f"{key} is not bound in events; add `{key} = $e.<field>` there"
        yield _at("DAC461", info, f"match key {reason}", pos)


# ---- DAC462 -------------------------------------------------------------------------------------

def multi_event_without_match(info: RuleInfo, text: str) -> Iterator[Diagnostic]:
    """DAC462: several event variables but no match section to correlate them."""
    events = info.event_variables
    if info.match is not None or len(events) < 2:
        return
    names = list(events)
    second = names[1]
    yield _at("DAC462", info, f"the rule has {len(names)} event variables ({', '.join(names)}) but no match "
              f"section; correlating {second} with {names[0]} needs `match: $placeholder over <window>`",
              events[second])


# ---- DAC463 -------------------------------------------------------------------------------------

_GAP = re.compile(r"(?:\s+|//[^\n]*|/\*[\s\S]*?\*/|\))*", re.ASCII)
_OR_WORD = re.compile(r"or\b", re.IGNORECASE)


def _or_keywords(node: Any, text: str) -> Iterator[Pos]:
    """Positions of the `or` keywords between the operands of a condition `or` node.

    The parser drops the keyword itself; it is the first word after an operand's end, past
    whitespace, comments and closing parentheses.
    """
    offsets = _line_offsets(text)
    for operand in node.children[:-1]:
        end = getattr(operand, "end_pos", None)  # a token
        if end is None:
            meta = getattr(operand, "_meta", None)
            if meta is None or meta.empty:
                continue
            end = meta.end_pos
        start = _GAP.match(text, end).end()
        if _OR_WORD.match(text, start):
            line = _line_of(offsets, start)
            yield Pos(line, start - offsets[line - 1] + 1)


def _mentions_events(node: Any) -> bool:
    """Whether a condition subtree tests an event or placeholder (`$e`, `!$e`, `#e > 1`)."""
    for sub in node.iter_subtrees():
        if sub.data in ("exists", "absent"):
            return True
        if any(getattr(t, "type", None) == "COUNT_VARIABLE" for t in sub.children):
            return True
    return False


def _line_offsets(text: str) -> list[int]:
    return [0] + [newline.end() for newline in re.finditer("\n", text)]


def _line_of(offsets: list[int], offset: int) -> int:
    return bisect.bisect_right(offsets, offset)


def condition_or_with_several_events(info: RuleInfo, text: str) -> Iterator[Diagnostic]:
    """DAC463: `or` in the condition of a rule with more than one event variable."""
    events = info.event_variables
    if len(events) < 2 or not info.condition_operators:
        return
    for node in _condition_or_nodes(info):
        if not _mentions_events(node):
            continue  # `or` between outcome tests only, e.g. `($risk > 80 or $n > 5)`
        for pos in _or_keywords(node, text):
            yield _at("DAC463", info, f"`or` in the condition of a rule with {len(events)} event variables "
                      f"({', '.join(events)}); `or` is only allowed when a rule has a single event "
                      "variable: split it into one rule per alternative", pos)
            return  # one report per rule is enough


def _condition_or_nodes(info: RuleInfo) -> Iterator[Any]:
    for section in info.node.children:
        if getattr(section, "data", None) == "condition_section":
            for node in section.iter_subtrees_topdown():
                if node.data == "cond_or":
                    yield node


# ---- DAC464 -------------------------------------------------------------------------------------

# Python `re` errors that RE2 reports too (checked against google-re2 in the tests). Errors only
# Python has (unknown flags, `(?<name>`, `\p{L}`, `\z`, `\Q..\E`, flags in mid-pattern) are not
# reported: those patterns are fine in RE2, and RE2 is what Google SecOps runs.
_SHARED_ERRORS = re.compile(
    r"missing \), unterminated subpattern|unbalanced parenthesis|unterminated character set"
    r"|nothing to repeat|multiple repeat|bad character range|min repeat greater than max repeat"
    r"|bad escape \(end of pattern\)|bad escape \\[^pPCQEz]|incomplete escape"
    r"|the repetition number is too large|invalid group reference|unknown group name"
    r"|missing group name|missing >, unterminated name")


# A cheap screen run before `re.compile` (which costs about 0.2 ms a pattern, more than parsing
# the rule): escapes and character classes are folded to one character, and what is left is
# searched for the shapes every error above needs. A clean screen means the pattern compiles;
# a suspicious one is compiled to know for sure (so the screen may over-report, never decide).
# an escape, or a character class: `[` then `^` or not (no backtracking between the two readings),
# then a `]` taken literally when it comes first, then anything up to the closing `]`
_CLASS_BODY = r"(?:(?=\])\]|(?!\]))(?:\\.|[^\]\\])*\]"
_ATOMS = re.compile(rf"\\.|\[\^{_CLASS_BODY}|\[(?!\^){_CLASS_BODY}", re.S)
_ESCAPED = re.compile(r"\\(.)", re.S)
_CLEAN_ESCAPES = frozenset("abfnrtvABdDsSwWZ0")
_SUSPICIOUS = re.compile(r"(?:^|\|)[*+?{]|\([*+{]|[*+?}][*+{]|[*+?}]\?\?|\(\?P|[\[\\]|\{\d*,?\d{6,}")
_BOUNDS = re.compile(r"\{(\d+),(\d+)\}")
_RANGE = re.compile(r"(\\.|[^\\])-(\\.|[^\\\]])", re.S)
_PARENS = re.compile(r"[()]")
_RE2_QUANTIFIER = re.compile(r"[*+?]|\{(?:0|[1-9]\d*)(?:,\d*)?\}")
_ENDS_WITH_QUANTIFIER = re.compile(r"(?:[*+?]|\{\d+(?:,\d*)?\})\??$")
_CLASS_ESCAPE_IN_RANGE = re.compile(r"\\[dDsSwW]")


def _suspicious(pattern: str) -> bool:
    skeleton = _ATOMS.sub("x", pattern)
    if _SUSPICIOUS.search(skeleton):
        return True
    if "(" in skeleton or ")" in skeleton:
        depth = 0
        for paren in _PARENS.findall(skeleton):
            depth += 1 if paren == "(" else -1
            if depth < 0:
                return True
        if depth:
            return True
    if "{" in skeleton:
        for low, high in _BOUNDS.findall(skeleton):
            if int(low) > int(high):
                return True
    for escaped in _ESCAPED.findall(pattern):
        if escaped.isalnum() and escaped not in _CLEAN_ESCAPES:
            return True
    if "-" in pattern:
        for atom in _ATOMS.finditer(pattern):
            text = atom.group(0)
            if text[0] == "[" and "-" in text:
                for low, high in _RANGE.findall(text[1:-1]):
                    if low[0] == "\\" or high[0] == "\\" or low > high:
                        return True
    return False


def regex_error(pattern: str) -> str | None:
    """Why `pattern` fails in both RE2 and Python's re, or None when it compiles (in either)."""
    if not _suspicious(pattern):
        return None
    return _compile_error(pattern)


def _shared_in_re2(pattern: str, message: str, pos: int | None) -> bool:
    """Whether RE2 rejects this pattern too, for the messages where the two engines differ."""
    if pos is None:
        return True
    if message in ("nothing to repeat", "multiple repeat"):
        # RE2 reads `{,}` and `{x}` as literal text, and repeats assertions (`^*`, `\\b+`)
        if not _RE2_QUANTIFIER.match(pattern, pos):
            return False
        if message == "multiple repeat":
            return _ENDS_WITH_QUANTIFIER.search(pattern, 0, pos) is not None
        return pos == 0 or pattern[pos - 1] in "|("
    if message.startswith("bad character range"):
        return _CLASS_ESCAPE_IN_RANGE.search(message) is None  # RE2 reads `[\\d-9]` as a set
    if message.startswith("incomplete escape \\x"):
        return pattern[pos + 2:pos + 3] != "{"  # RE2 has `\\x{41}`
    if message.startswith("invalid group reference"):
        return not pattern[pos + 1:pos + 2].isdigit()  # RE2 reads `\\12` as octal
    return True


def _compile_error(pattern: str) -> str | None:
    try:
        re.compile(pattern)
        return None
    except re.error as exc:
        message = exc.msg if hasattr(exc, "msg") else str(exc)
        if not _SHARED_ERRORS.match(message):
            return None
        if not _shared_in_re2(pattern, message, exc.pos):
            return None
        if exc.pos is not None:
            return f"{message} at position {exc.pos}"
        return message
    except Exception:  # noqa: BLE001 - RecursionError, OverflowError: not ours to judge
        return None


def invalid_regex(info: RuleInfo, text: str) -> Iterator[Diagnostic]:
    """DAC464: a regular expression that does not compile."""
    for regex in info.regexes:
        problem = regex_error(regex.pattern)
        if problem:
            shown = regex.pattern if len(regex.pattern) <= 40 else regex.pattern[:37] + "..."
            yield _at("DAC464", info, f"regular expression {shown!r} does not compile: {problem}", regex.pos)


# ---- DAC465 -------------------------------------------------------------------------------------

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_WINDOW, MAX_WINDOW = 60, 48 * 3600


def window_seconds(duration: str) -> int | None:
    match = re.fullmatch(r"([0-9]+)([smhd])", duration or "")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else None


def match_window_out_of_range(info: RuleInfo, text: str) -> Iterator[Diagnostic]:
    """DAC465: a match window shorter than 1 minute or longer than 48 hours."""
    if info.match is None or info.match.duration is None or info.match.duration_pos is None:
        return
    seconds = window_seconds(info.match.duration)
    if seconds is None:
        return
    if seconds < MIN_WINDOW or seconds > MAX_WINDOW:
        side = "shorter than the minimum, 1m" if seconds < MIN_WINDOW else "longer than the maximum, 48h"
        yield _at("DAC465", info, f"match window {info.match.duration} is {side}", info.match.duration_pos)


# ---- DAC466 -------------------------------------------------------------------------------------

def unused_placeholder(info: RuleInfo, text: str) -> Iterator[Diagnostic]:
    """DAC466: a placeholder bound once in events and used nowhere else: it has no effect."""
    used_elsewhere = {v.name for v in info.variables if v.section != "events"}
    for name, positions in info.placeholders.items():
        if len(positions) == 1 and name not in used_elsewhere:
            yield _at("DAC466", info, f"placeholder {name} is bound but never used (no join, match, outcome "
                      "or condition refers to it), so it has no effect", positions[0])


# ---- DAC467 -------------------------------------------------------------------------------------

def event_variables_not_joined(info: RuleInfo, text: str) -> Iterator[Diagnostic]:
    """DAC467: event variables that no equality or shared placeholder joins to the others."""
    events = info.event_variables
    if len(events) < 2:
        return
    parent = {name: name for name in events}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    def union(a: str, b: str) -> None:
        if a in parent and b in parent:
            parent[root(a)] = root(b)

    by_placeholder: dict[str, set[str]] = {}
    for predicate in info.predicates:
        if predicate.kind not in ("join", "binding", "filter", "compare") or predicate.operator != "=":
            continue
        joined = predicate.event_variables
        for other in joined[1:]:
            union(joined[0], other)
        for placeholder in predicate.placeholders:
            by_placeholder.setdefault(placeholder, set()).update(joined)
    for group in by_placeholder.values():
        members = sorted(group)
        for other in members[1:]:
            union(members[0], other)
    names = list(events)
    first = root(names[0])
    for name in names[1:]:
        if root(name) != first:
            yield _at("DAC467", info, f"event variable {name} is not joined to {names[0]}: compare one of "
                      f"their fields with `=` or bind both to the same placeholder", events[name])
            return


# ---- DAC468 -------------------------------------------------------------------------------------

MAX_OUTCOMES = 20


def too_many_outcome_variables(info: RuleInfo, text: str) -> Iterator[Diagnostic]:
    """DAC468: more outcome variables than a rule may define."""
    if len(info.outcomes) > MAX_OUTCOMES:
        extra = info.outcomes[MAX_OUTCOMES]
        yield _at("DAC468", info, f"the rule defines {len(info.outcomes)} outcome variables; at most "
                  f"{MAX_OUTCOMES} are allowed ({extra.name} is the first one over)", extra.pos)


CHECKS: tuple[Check, ...] = (
    undefined_variable, match_key_not_placeholder, multi_event_without_match,
    condition_or_with_several_events, invalid_regex, match_window_out_of_range, unused_placeholder,
    event_variables_not_joined, too_many_outcome_variables,
)
LINT_RULES = tuple(_safe(check) for check in CHECKS)


def lint(tree: Any, text: str) -> Iterable[Diagnostic]:
    """All YARA-L lint diagnostics of a parsed query (for tests and tools)."""
    return [d for rule in LINT_RULES for d in rule(tree, text)]


__all__ = ["CHECKS", "LINT_RULES", "lint", "regex_error", "window_seconds", "event_variable"]
