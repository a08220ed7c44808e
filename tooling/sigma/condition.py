"""The condition of a Sigma detection: `selection and not filter`, `1 of sel_*`, `all of them`.

Parsed by recursive descent into a small tree that `detection.py` evaluates and `probes.py`
walks: ("id", name), ("not", tree), ("and", [trees]) or ("or", [trees]). Untrusted input: the
nesting is bounded, identifier patterns are matched without backtracking, and every problem is
an `InvalidDetection` with the offset it is at.
"""
from __future__ import annotations

import re
from typing import NoReturn

MAX_DEPTH = 64  # parentheses and `not`s nested in one condition; real rules nest three or four


class InvalidDetection(Exception):
    """The detection cannot work in any Sigma backend: a condition that does not parse, or names a
    search identifier that is not defined, an empty search identifier, a value of a type Sigma does
    not allow. `.message` is one readable sentence; `.offset` is the 0-based character offset in
    the condition string when the problem is located in the condition, else None. (For a list of
    conditions the message says which one, and the offset is within that one.)"""

    def __init__(self, message: str, offset: int | None = None):
        super().__init__(message)
        self.message = message
        self.offset = offset



_TOKEN = re.compile(r"\s+|(?P<word>[\w.*-]+)|(?P<symbol>[()])|(?P<other>.)", re.DOTALL)
_KEYWORDS = ("and", "or", "not", "of", "them")


class ConditionParser:
    """Recursive descent over `or` < `and` < `not` < parentheses, `1/any/all of`, identifiers.
    A tree is ("id", name), ("not", tree), ("and", [trees]) or ("or", [trees])."""

    def __init__(self, text: str, names: list[str], label: str):
        self.names, self.label = names, label
        # An aggregation after `|` (`count() by x > 5`, `near ...`) is only named, never tokenized.
        self.text, self.pipe, self.aggregation = text.partition("|")
        self.tokens: list[tuple[str, int]] = []  # (token, offset); the end is ("", offset of the end or `|`)
        for match in _TOKEN.finditer(self.text):
            if match.lastgroup == "other":
                self.fail(f"unexpected character {match.group()!r}", match.start())
            if match.lastgroup:
                self.tokens.append((match.group(), match.start()))
        self.tokens.append(("", len(self.text)))
        self.position = 0
        self.depth = 0

    def fail(self, message: str, offset: int) -> NoReturn:
        raise InvalidDetection(f"{self.label}{message} at offset {offset} of the condition", offset)

    def peek(self) -> tuple[str, int]:
        return self.tokens[self.position]

    def keyword(self, word: str) -> bool:
        """Consume the next token if it is this keyword (case-insensitive)."""
        found = self.peek()[0].lower() == word
        self.position += found
        return found

    def parse(self) -> tuple[tuple, str | None]:
        """The tree, and the aggregation function after a `|` (if any)."""
        if not self.text.strip():
            self.fail("the condition is empty", len(self.text))
        tree = self.parse_or()
        token, offset = self.peek()
        if token == ")":
            self.fail("unmatched ')'", offset)
        if token:
            self.fail(f"expected 'and', 'or' or the end, found {token!r}", offset)
        if not self.pipe:
            return tree, None
        name = (self.aggregation.split("(")[0].split() or [""])[0]
        return tree, name if name.lower() == "near" else f"{name}()"

    def parse_or(self) -> tuple:
        children = [self.parse_and()]
        while self.keyword("or"):
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else ("or", children)

    def parse_and(self) -> tuple:
        children = [self.parse_not()]
        while self.keyword("and"):
            children.append(self.parse_not())
        return children[0] if len(children) == 1 else ("and", children)

    def parse_not(self) -> tuple:
        token, offset = self.peek()
        if token.lower() == "not" or token == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                self.fail(f"nested more than {MAX_DEPTH} levels deep", offset)
            self.position += 1
            if token == "(":
                tree = self.parse_or()
                if self.peek()[0] != ")":
                    self.fail("'(' is never closed", offset)
                self.position += 1
            else:
                tree = ("not", self.parse_not())
            self.depth -= 1
            return tree
        return self.parse_operand()

    def parse_operand(self) -> tuple:
        token, offset = self.peek()
        following = self.tokens[self.position + 1][0].lower() if token else ""
        if following == "of":
            if token.lower() not in ("1", "any", "all"):
                self.fail(f"only '1 of', 'any of' and 'all of' are valid, not '{token} of'", offset)
            self.position += 2
            return self.quantifier("and" if token.lower() == "all" else "or")
        if not token or token in "()" or token.lower() in _KEYWORDS:
            self.fail(f"expected a search identifier, found {repr(token) if token else 'the end'}", offset)
        if "*" in token:
            self.fail(f"the pattern {token!r} needs '1 of' or 'all of'", offset)
        if token not in self.names:
            self.fail(f"search identifier {token!r} is not defined", offset)
        self.position += 1
        return ("id", token)

    def quantifier(self, combine: str) -> tuple:
        token, offset = self.peek()
        if token.lower() == "them":  # identifiers starting with `_` are helpers, left out of `them`
            names = [name for name in self.names if not name.startswith("_")]
        elif token and token not in "()" and token.lower() not in _KEYWORDS:
            # `_` helpers are left out of patterns too (`1 of *`), unless the pattern names them
            names = [name for name in self.names if glob_match(token, name)
                     and (not name.startswith("_") or token.startswith("_"))]
        else:
            self.fail("expected a pattern or 'them' after 'of'" + (f", found {token!r}" if token else ""), offset)
        if not names:
            self.fail(f"{token!r} matches no search identifier", offset)
        self.position += 1
        return ("id", names[0]) if len(names) == 1 else (combine, [("id", name) for name in names])


def condition_tree(detection: dict) -> tuple:
    """The detection's condition (a list of conditions is their `or`) as a tree; raises
    InvalidDetection for a condition that does not parse."""
    names = sorted(k for k in detection if k not in ("condition", "timeframe") and isinstance(k, str))
    conditions = detection["condition"]
    conditions = [conditions] if isinstance(conditions, str) else conditions
    trees = [ConditionParser(text, names, "").parse()[0] for text in conditions]
    return trees[0] if len(trees) == 1 else ("or", trees)


def glob_match(pattern: str, name: str) -> bool:
    """Whether `name` fits `pattern`, where `*` is any text (and nothing else is special).

    Without backtracking, so time is linear in the lengths (a regex such as `.*a.*a.*c` can take
    ages on a long name): the first part must start the name, the last must end it, and each part
    between is found at its leftmost place after the one before (leftmost is never worse)."""
    if "*" not in pattern:
        return name == pattern
    first, *middle, last = pattern.split("*")
    if len(first) + len(last) > len(name) or not name.startswith(first) or not name.endswith(last):
        return False
    position, end = len(first), len(name) - len(last)
    for part in middle:
        found = name.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True
