"""Values of the YARA-L evaluator: UDM field paths with repeated-field unnesting, zero values,
comparisons, literals and RE2 regular expressions.

Documentation facts encoded here (Google SecOps, YARA-L 2.0):

* Omitted fields: "Fields might be automatically omitted in the events you run your rules
  against. When fields are omitted, they default to their zero values. For example, an omitted
  string value defaults to ''" (YARA-L best practices, "Filter out zero values"). So a field an
  event does not have compares as "" (or 0 / false against a number / boolean).
* Repeated fields: "With unmodified expressions, each element in the repeated field is treated
  individually. If an event's repeated field contains n elements, then the query is applied on n
  copies of the event, where each copy has one of the elements" ("Repeated fields"); a repeated
  field inside a repeated message unnests at both levels, the copies are the Cartesian product
  ("YARA-L known issues and limitations", "Outcome aggregations with repeated field unnesting").
  Several predicates on fields of the same repeated message (labels.key and labels.value) so
  see the same element. Not documented: a repeated field with no element. It is read as one copy
  holding the zero value, as an omitted field (so `or` branches on other fields still work).
* `any` / `all` before a repeated field test any / every element ("Repeated fields", "Modified
  expressions"); over no element at all the answer is not documented: not evaluated.
* re.regex and `= /regex/`: RE2, "returns true if the string contains a substring that matches
  the regular expression"; "If the UDM field includes newline characters, the regexp only matches
  the first line of the UDM field"; `nocase` ignores capitalisation ("re.regex" function page).
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Iterable

import regex

from tooling.languages.evaluation import MISSING, NotEvaluated, search
from tooling.languages.re2 import NotRe2, translate
from tooling.languages.yaral.analysis import string_value

# More unnested copies of one event than this is not a hand-written test event.
MAX_COPIES = 4096


class Index(str):
    """A subscript path part: `["key"]` (a map key) or `[0]` (an array index, `number` set)."""

    number: int | None = None

    @classmethod
    def of(cls, key: Any) -> "Index":
        made = cls(f"[{key!r}]")
        made.key = key  # type: ignore[attr-defined]
        made.number = key if isinstance(key, int) else None
        return made


class Quantified:
    """The elements of a repeated field under `any` or `all`."""

    __slots__ = ("kind", "values", "node")

    def __init__(self, kind: str, values: list, node: Any):
        self.kind = kind
        self.values = values
        self.node = node

    def test(self, predicate) -> bool:
        if not self.values:
            raise NotEvaluated.at(self.node, f"`{self.kind}` over a repeated field with no element "
                                  "(not documented)")
        if self.kind == "any":
            return any(predicate(v) for v in self.values)
        return all(predicate(v) for v in self.values)


# ---- paths and unnesting -----------------------------------------------------------------

class PathTrie:
    """The paths one event variable's predicates read, as a trie: unnesting an event walks it
    once and yields the copies (dicts from path to value), one per combination of elements of
    the repeated fields on the way."""

    __slots__ = ("children", "ends", "_walk")

    def __init__(self):
        self.children: dict[str, PathTrie] = {}
        self.ends: list[tuple] = []
        self._walk: tuple | None = None

    def add(self, path: tuple) -> None:
        self._walk = None
        node = self
        for part in path:
            node = node.children.setdefault(part, PathTrie())
        if path not in node.ends:
            node.ends.append(path)

    def walk(self) -> tuple[tuple, int]:
        """The nodes below this one in preorder (the order `_unnest` merges them), each as
        (the index of its parent's value: 0 for this node, k for the k-th step; its part; the
        paths ending at it; how a list there may still make one copy, `_list_mode`), and the
        trie's height; worked out once per trie."""
        if self._walk is None:
            steps: list[tuple] = []
            height = 0

            def visit(node: PathTrie, slot: int, level: int) -> None:
                nonlocal height
                height = max(height, level)
                for part, child in node.children.items():
                    steps.append((slot, part, tuple(child.ends), _list_mode(child)))
                    visit(child, len(steps), level + 1)
            visit(self, 0, 0)
            self._walk = (tuple(steps), height)
        return self._walk


UNWRAP, KEEP = "unwrap", "keep"


def _list_mode(node: PathTrie) -> str | None:
    """What `_unnest` does with a list found at `node`, when that still makes one copy: UNWRAP
    (no subscript below it) unnests the elements, so a list of one element is that element and
    an empty one is MISSING; KEEP (only subscripts below it, no path ending at it) reads the
    subscripts from the list itself. None: anything else takes the general unnesting."""
    indexed = sum(1 for part in node.children if type(part) is Index)
    if not indexed:
        return UNWRAP
    if indexed == len(node.children) and not node.ends:
        return KEEP
    return None


def step(value: Any, part: str) -> Any:
    """One path part into a value (a message as a dict); MISSING when absent."""
    if type(value) is dict:
        if type(part) is Index:
            key = part.key  # type: ignore[attr-defined]
            return value.get(key, MISSING) if isinstance(key, str) else MISSING
        return value.get(part, MISSING)
    if type(part) is Index and isinstance(value, list):
        if part.number is not None:
            return value[part.number] if -len(value) <= part.number < len(value) else MISSING
        # labels["k"] on a repeated key/value message: the values of the elements with that key
        found = [item.get("value", MISSING) for item in value
                 if isinstance(item, dict) and item.get("key") == part.key]  # type: ignore[attr-defined]
        return found if len(found) != 1 else found[0]
    if part in ("seconds", "nanos") and isinstance(value, str):
        from tooling.languages.evaluation import parse_time

        moment = parse_time(value)
        if moment is not None:
            return int(moment.timestamp()) if part == "seconds" else moment.microsecond * 1000
    return MISSING


def unnest(trie: PathTrie, value: Any, depth: int = 0) -> list[dict]:
    """The copies of `value` for the paths in `trie` (each a dict path -> scalar or MISSING)."""
    # Most events have no repeated field on the paths a rule reads: their one copy is filled in
    # one pass over the trie, without the lists and merges the general case builds at each node.
    single = _single_copy(trie, value, depth)
    return [single] if single is not None else _unnest(trie, value, depth)


def _single_copy(trie: PathTrie, value: Any, depth: int) -> dict | None:
    """The one copy `_unnest` would build when the lists on the trie's paths hold at most one
    element each (or are only subscripted): same keys, same order. None as soon as a list could
    make more copies, or where `_unnest` may find a value nested too deeply."""
    steps, height = trie.walk()
    if depth + height > 64 or isinstance(value, list):
        return None  # `_unnest` raises on a value nested too deeply, or makes the copies
    copy = {path: value for path in trie.ends}
    values = [value]  # each step's value, after the root's
    unwrapped = 0  # lists taken as their element: one more level of nesting each, to `_unnest`
    for parent, part, ends, lists in steps:
        above = values[parent]
        if type(above) is dict and type(part) is not Index:
            found = above.get(part, MISSING)  # what `step` does for a message's field
        elif above is MISSING:
            found = MISSING
        else:
            found = step(above, part)
        if isinstance(found, list):
            if lists is UNWRAP and len(found) <= 1:
                found = found[0] if found else MISSING
                if isinstance(found, list):
                    return None
                unwrapped += 1
            elif lists is not KEEP:
                return None
        values.append(found)
        for path in ends:
            copy[path] = found
    if depth + height + unwrapped > 64:
        return None
    return copy


def _unnest(trie: PathTrie, value: Any, depth: int = 0) -> list[dict]:
    if depth > 64:
        raise NotEvaluated("a value nested more than 64 levels deep")
    if isinstance(value, list):
        index_parts = [p for p in trie.children if type(p) is Index]
        indexed: list[dict] = [{}]
        if index_parts:
            for part in index_parts:
                indexed = _product(indexed, _unnest(trie.children[part], step(value, part), depth + 1))
            if len(index_parts) == len(trie.children) and not trie.ends:
                return indexed
        plain = trie if not index_parts else _without(trie, index_parts)
        copies: list[dict] = []
        for item in value or [MISSING]:
            copies.extend(_unnest(plain, item, depth + 1))
            if len(copies) > MAX_COPIES:
                raise NotEvaluated(f"an event that unnests into more than {MAX_COPIES} copies")
        return _product(copies, indexed) if index_parts else copies
    copies = [{path: value for path in trie.ends}] if trie.ends else [{}]
    for part, child in trie.children.items():
        copies = _product(copies, _unnest(child, step(value, part) if value is not MISSING else MISSING,
                                          depth + 1))
    return copies


def _without(trie: PathTrie, parts: list) -> PathTrie:
    made = PathTrie()
    made.ends = trie.ends
    made.children = {k: v for k, v in trie.children.items() if k not in parts}
    return made


def _product(left: list[dict], right: list[dict]) -> list[dict]:
    if len(right) == 1:
        if len(left) == 1:
            left[0].update(right[0])
            return left
        return [{**a, **right[0]} for a in left]
    if len(left) * len(right) > MAX_COPIES:
        raise NotEvaluated(f"an event that unnests into more than {MAX_COPIES} copies")
    return [{**a, **b} for a in left for b in right]


def all_values(value: Any, path: tuple, depth: int = 0) -> list:
    """Every element at `path` (for `any` / `all`): lists on the way are descended."""
    if depth > 64:
        raise NotEvaluated("a value nested more than 64 levels deep")
    if isinstance(value, list) and not (path and type(path[0]) is Index):
        return [v for item in value for v in all_values(item, path, depth + 1)]
    if not path:
        return [] if value is MISSING else [value]
    return all_values(step(value, path[0]), path[1:], depth + 1)


def nested_view(event: dict) -> dict:
    """The event with dotted top-level keys ("metadata.event_type") made nested, as UDM is."""
    if not any("." in key for key in event):
        return event
    made: dict = {}
    for key, value in event.items():
        node = made
        *heads, last = key.split(".")
        for head in heads:
            inner = node.get(head)
            if not isinstance(inner, dict):
                inner = node[head] = {}
            node = inner
        node[last] = value
    return made


# ---- literals ------------------------------------------------------------------------------

def literal(token: Any) -> Any:
    kind = token.type
    text = str(token)
    if kind == "NUMBER":
        return float(text) if "." in text else int(text)
    if kind == "TRUE":
        return True
    if kind == "FALSE":
        return False
    if kind == "NULL":
        raise NotEvaluated.at(token, "null (UDM fields have zero values, not null)")
    if kind == "RAW_STRING":
        return text[1:-1]
    if kind == "STRING":
        body = text[1:-1]
        index = body.find("\\")
        while index >= 0:
            if index + 1 >= len(body) or body[index + 1] not in '\\"':
                raise NotEvaluated.at(token, f"the string escape \\{body[index + 1:index + 2]} (only \\\\ and \\\" "
                                      "are evaluated)")
            index = body.find("\\", index + 2)
        return string_value(text)
    raise NotEvaluated.at(token, f"the literal {text}")


def pattern_text(token: Any) -> str:
    """The regular expression a REGEX literal, a string or a raw string holds."""
    text = str(token)
    if token.type == "REGEX":
        return text[1:-1].replace("\\/", "/")
    return text[1:-1] if token.type == "RAW_STRING" else string_value(text)


# ---- RE2 -------------------------------------------------------------------------------------

class Re2:
    """An RE2 pattern run by the time-bounded `regex` module, with RE2's meaning where they differ
    ($ is the end of the text, \\z, \\Q...\\E, ASCII classes); RE2's refusals are not evaluated."""

    __slots__ = ("compiled", "dotall", "source")

    def __init__(self, compiled: regex.Pattern, dotall: bool, source: str):
        self.compiled = compiled
        self.dotall = dotall
        self.source = source

    def search(self, text: str, node: Any) -> bool:
        found = search(self.compiled, text)
        if "\n" in text and not self.dotall:
            # "If the UDM field includes newline characters, the regexp only matches the first
            # line": when that reading and RE2's own disagree, the verdict is not documented.
            first = search(self.compiled, text.split("\n", 1)[0])
            if first != found:
                raise NotEvaluated.at(node, "a regular expression on a value with several lines (only the "
                                      "first line is matched, the documentation says; RE2 reads them all)")
        return found


@lru_cache(maxsize=2048)
def re2(pattern: str, nocase: bool) -> Re2 | str:
    """The compiled pattern (tooling.languages.re2's translation), or why it is not evaluated (RE2
    refuses it, or a difference)."""
    try:
        translation = translate(pattern)
    except NotRe2 as exc:
        return str(exc)
    flags = regex.V0 | (regex.IGNORECASE if nocase else 0)
    if pattern.isascii():
        flags |= regex.ASCII  # RE2's \w \d \s \b are ASCII
    elif translation.ascii_classes:
        return "ASCII classes (\\w, \\d, \\s, \\b) together with non-ASCII characters (Unicode rules differ)"
    try:
        return Re2(regex.compile(translation.text, flags), translation.dotall, pattern)
    except (regex.error, OverflowError, RecursionError) as exc:
        return f"a regular expression that does not compile ({exc})"


def compiled_regex(pattern: str, nocase: bool, node: Any) -> Re2:
    found = re2(pattern, nocase)
    if isinstance(found, str):
        raise NotEvaluated.at(node, found)
    return found


# ---- comparisons ---------------------------------------------------------------------------

def kind_of(value: Any) -> str:
    if value is MISSING:
        return "missing"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "message"
    if isinstance(value, list):
        return "list"
    return "other"


ZERO = {"string": "", "number": 0, "bool": False}


def _align(left: Any, right: Any, node: Any) -> tuple[Any, Any, str]:
    if type(left) is str and type(right) is str:  # most comparisons: no kinds to work out
        return left, right, "string"
    a, b = kind_of(left), kind_of(right)
    if a == "missing" and b == "missing":
        return "", "", "string"  # both omitted: "" = "" (best practices, "Filter out zero values")
    if a == "missing" and b in ZERO:
        return ZERO[b], right, b
    if b == "missing" and a in ZERO:
        return left, ZERO[a], a
    if a == b and a in ZERO:
        return left, right, a
    if {a, b} <= {"number", "bool"}:
        raise NotEvaluated.at(node, "a comparison of a boolean with a number")
    if "message" in (a, b) or "list" in (a, b) or "other" in (a, b):
        raise NotEvaluated.at(node, f"a comparison with a {'message' if 'message' in (a, b) else 'list'} value")
    raise NotEvaluated.at(node, f"a comparison of a {a} with a {b} (Google SecOps refuses mixed types)")


def compare(left: Any, operator: str, right: Any, nocase: bool, node: Any) -> bool:
    left, right, kind = _align(left, right, node)
    if kind == "string" and nocase:
        left, right = left.lower(), right.lower()
    if operator == "=":
        return left == right
    if operator == "!=":
        return left != right
    if kind == "string":
        raise NotEvaluated.at(node, f"`{operator}` between strings (ordering of text is not documented)")
    if kind == "bool":
        raise NotEvaluated.at(node, f"`{operator}` between booleans")
    if isinstance(left, float) and math.isnan(left) or isinstance(right, float) and math.isnan(right):
        raise NotEvaluated.at(node, "a comparison with NaN")
    if operator == "<":
        return left < right
    if operator == "<=":
        return left <= right
    if operator == ">":
        return left > right
    return left >= right


def as_text(value: Any, node: Any, what: str = "a function") -> str:
    """A string argument: an omitted field is ""."""
    if value is MISSING:
        return ""
    if isinstance(value, str):
        return value
    raise NotEvaluated.at(node, f"{what} given a {kind_of(value)} where text is expected")


def as_number(value: Any, node: Any) -> float | int:
    if value is MISSING:
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise NotEvaluated.at(node, f"arithmetic on a {kind_of(value)}")


def is_zero(value: Any) -> bool:
    return value is MISSING or value == "" or (not isinstance(value, bool) and value == 0) or value is False


def hashable(values: Iterable[Any]) -> tuple:
    return tuple(("", "missing") if v is MISSING else (v, kind_of(v)) for v in values)
