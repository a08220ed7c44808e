"""The scope (keyword search expression before the first pipe) of a Sumo Logic query.

Documented semantics (docs/search/get-started-with-search/build-search/keyword-search-expressions.md
and docs/search/faq.md "Searching by Keyword Returns No Results"):

- "AND is implicit"; the precedence is NOT, AND, OR; "Keyword expressions are case-insensitive".
- Keywords are matched against indexed *terms*, not substrings: "raw messages are broken into
  individual keyword terms ... defined by detecting boundaries around the characters found
  within the message, including white space, dashes, commas, question marks, exclamation points,
  brackets, and more", and the special characters "would also be indexed as separate keywords".
  The example `[com.test.services.test.TESTClientImpl] ... Request:id=1234567` gives the terms
  com, test, services, test, TESTClientImpl, Request, id, 1234567: periods, colons and equals
  signs are boundaries too. So a term is a run of letters and digits and every other character
  that is not white space is a term of its own; the docs list `_` among the punctuation
  characters (Rules: "Punctuation characters are allowed (-, _, :, /, ., +, @, ...)"), so `_`
  is a boundary as well.
- A keyword or phrase of several terms matches "the individual indexed terms that appear next
  to each other"; white space between them does not count ("Normalization of phrase queries").
- Unquoted, `*` is zero or more characters and `?` one character within a term (`TEST*`,
  `*456*`); a lone `*` between punctuation stands for one full term (`jsmith@*.com`); "not a
  partial term" in a multi-term keyword (`jsmith@some*re.com`): that form is not evaluated.
  Inside double quotes `*` is a literal character.
- Built-in metadata (`_sourceCategory=...`, `_sourceHost`, `_collector`, `_source`,
  `_sourceName`, `_index` / `_view`): the whole value, "case-insensitive when searching", with
  `*` wildcards; "Quotes and wildcards cannot be used together" (built-in-metadata.md).
"""
from __future__ import annotations

import re
from typing import Any, Callable

import regex
from lark import Token, Tree

from tooling.languages.evaluation import all_of, any_of, NotEvaluated
from tooling.languages.sumo.leaves import negation_span, scope_leaf, shown
from tooling.languages.sumo.values import string_literal, wildcard, wildcard_fullmatch

# `_index` and `_view` name the same thing: "_view: The name of the index, view, or partition".
SYNONYMS = {"_index": ("_index", "_view"), "_view": ("_view", "_index")}
# The metadata that selects where to look (the query's tables, as references.py reads them), not
# what to find: `explain` names it with what it reads and puts it last among a match's reasons.
SOURCE_SELECTORS = {"_sourcecategory": "the event's source category", "_index": "the event's partition",
                    "_view": "the event's partition"}

ScopeTest = Callable[[dict], bool]


# `re`'s \w is str.isalnum() plus "_", and its \s is str.isspace(): the same split as a loop over
# the characters, at C speed (a message's terms were a tenth of Sumo's evaluation time).
_TERM = re.compile(r"[^\W_]+|\S")


def terms(text: str) -> list[str]:
    """The indexed terms of a text, lower-cased: runs of letters and digits, and each other
    character that is not white space."""
    return _TERM.findall(text.lower())


class _TermPattern:
    """One term of a keyword: literal text, or a wildcard pattern over one term."""

    __slots__ = ("text", "compiled")

    def __init__(self, text: str, wild: bool):
        self.text = text
        self.compiled = None
        if wild:
            body = "".join(".*" if c == "*" else "." if c == "?" else regex.escape(c) for c in text)
            self.compiled = regex.compile(body, regex.DOTALL)

    def matches(self, term: str) -> bool:
        if self.compiled is None:
            return term == self.text
        return self.compiled.fullmatch(term) is not None


def _keyword_terms(text: str, quoted: bool, node: Any) -> list[_TermPattern]:
    if quoted:
        return [_TermPattern(t, False) for t in terms(text)]
    # Unquoted: * and ? join the term they touch (TEST*, *456*); alone they are a full term.
    pieces: list[str] = []
    run: list[str] = []
    for char in text.lower():
        if char.isalnum() or char in "*?":
            run.append(char)
            continue
        if run:
            pieces.append("".join(run))
            run = []
        if not char.isspace():
            pieces.append(char)
    if run:
        pieces.append("".join(run))
    patterns = [_TermPattern(p, any(c in p for c in "*?")) for p in pieces]
    if len(patterns) > 1 and any(p.compiled is not None and p.text not in ("*", "?") for p in patterns):
        raise NotEvaluated.at(node, "a wildcard for part of a term in a keyword of several terms")
    return patterns


def _contains_sequence(text_terms: list[str], known: frozenset, wanted: list[_TermPattern]) -> bool:
    if not wanted:
        return True
    if any(p.compiled is None and p.text not in known for p in wanted):
        return False
    width = len(wanted)
    first = wanted[0]
    if width == 1 and first.compiled is None:
        return True  # the one literal term is among the message's terms
    if width == 1:  # one wildcard term: each distinct term of the message once
        return any(first.matches(term) for term in known)
    if first.compiled is None:  # jump between the occurrences of the first term
        start = -1
        last = len(text_terms) - width
        while True:
            try:
                start = text_terms.index(first.text, start + 1, last + 1)
            except ValueError:
                return False
            if all(wanted[k].matches(text_terms[start + k]) for k in range(1, width)):
                return True
    for start in range(len(text_terms) - width + 1):
        if first.matches(text_terms[start]) and all(
                wanted[k].matches(text_terms[start + k]) for k in range(1, width)):
            return True
    return False


def _literal_terms_search(words: list[str]) -> re.Pattern:
    """Whether the terms `words` occur next to each other (white space between them ignored) in
    the lower-cased text, as one search, the same answer as tokenizing: a word of letters and
    digits is a whole term there (none either side of it), a punctuation character is a term
    wherever it is. The lookbehind comes after the word, so the search looks for the word's
    text first, at C speed (a loop over each occurrence was a twentieth of Sumo's evaluation)."""
    parts = []
    for word in words:
        escaped = re.escape(word)
        parts.append(escaped + r"(?<![^\W_]" + escaped + r")(?![^\W_])" if word[0].isalnum() else escaped)
    return re.compile(r"\s*".join(parts))


def _one_term_search(pattern: str) -> tuple[re.Pattern, list[str]] | None:
    """A keyword of one wildcard term holding a letter or digit (`stop*`, `*48495354*`) as a search
    of the lower-cased text for a whole term it matches, with the literal pieces every match
    holds: such a term is a run of letters and digits (a punctuation term is one other
    character), so `*` stands for a run of them and `?` for one, between term boundaries. The
    same answer as tokenizing the message and matching each distinct term, which was most of
    what a message cost Sumo's evaluation where a scope has such a keyword. None for a pattern
    without a letter or digit (`?*` may match a punctuation term)."""
    pieces = [piece for piece in re.split(r"[*?]+", pattern) if piece]
    if not pieces:
        return None
    body = "".join(r"[^\W_]*" if c == "*" else r"[^\W_]" if c == "?" else re.escape(c) for c in pattern)
    return re.compile(r"(?<![^\W_])" + body + r"(?![^\W_])"), pieces


def _keyword(node: Tree, quoted: bool) -> ScopeTest:
    token = node.children[0]
    text = string_literal(token) if quoted else str(token)
    if not quoted and text == "*":
        return _every_message
    wanted = _keyword_terms(text, quoted, token)
    # Each literal term must occur in the lower-cased text: a cheap test before tokenizing.
    literals = [p.text for p in wanted if p.compiled is None]
    all_literal = len(literals) == len(wanted) and bool(wanted)
    phrase = _literal_terms_search(literals) if all_literal else None
    one_term = _one_term_search(wanted[0].text) if len(wanted) == 1 and not all_literal else None
    if one_term is not None:
        search, literals = one_term  # each literal piece of the term must occur, as above

    def test(row: dict) -> bool:
        raw = row.get("_raw")
        if raw is None:
            return False
        lowered = row.get("\x00lower")
        if lowered is None:
            lowered = row["\x00lower"] = raw.lower()
        for literal in literals:
            if literal not in lowered:
                return False
        if phrase is not None:
            return phrase.search(lowered) is not None
        if one_term is not None:
            return search.search(lowered) is not None
        cached = row.get("\x00terms")
        if cached is None:
            listed = terms(raw)
            cached = (listed, frozenset(listed))
            row["\x00terms"] = cached
        return _contains_sequence(cached[0], cached[1], wanted)

    return test


def _every_message(row: dict) -> bool:
    return True  # `*` alone: every message (keyword-search-expressions.md examples)


def _field_search(node: Tree) -> tuple[ScopeTest, Callable[[dict], Any]]:
    name_token, op, value_token = node.children
    if name_token.type == "STRING":
        raise NotEvaluated.at(name_token, "a quoted field name in the scope")
    name = str(name_token).lower()
    quoted = value_token.type == "STRING"
    value = string_literal(value_token) if quoted else str(value_token)
    if not quoted and "?" in value:
        raise NotEvaluated.at(value_token, "a '?' in a scope field value (single-character wildcard or not)")
    if quoted:  # "Quotes and wildcards cannot be used together": a quoted value is literal
        compiled = regex.compile(regex.escape(value), regex.IGNORECASE | regex.DOTALL)
    else:
        compiled = wildcard(value, ignore_case=True)
    names = SYNONYMS.get(name, (name,))
    negate = str(op) == "!="

    def test(row: dict) -> bool:
        found = False
        for key in names:
            current = row.get(key)
            if current is not None and wildcard_fullmatch(compiled, current, value_token):
                found = True
                break
        return found != negate

    def value_of(row: dict) -> Any:
        return shown(next((row[key] for key in names if row.get(key) is not None), None))

    return test, value_of


def _term(node: Any) -> tuple[ScopeTest, Callable[[dict], Any] | None, str | None] | None:
    """A scope term (a leaf predicate: keyword, phrase, field=value) as (its test, the event's
    value it reads: None for the message's text, what that value is when it selects the
    event's source); None for any other node."""
    kind = node.data if isinstance(node, Tree) else None
    if kind == "keyword":
        token = node.children[0]
        if token.type == "PLACEHOLDER" or "{{" in str(token):
            raise NotEvaluated.at(token, "a {{placeholder}} (its value is not known offline)")
        return _keyword(node, False), None, None
    if kind == "phrase":
        return _keyword(node, True), None, None
    if kind == "field_search":
        for child in node.children:
            # the lexer reads `_sourceCategory={{var}}` as a plain scope word: check the text too
            if isinstance(child, Token) and (child.type == "PLACEHOLDER" or "{{" in str(child)):
                raise NotEvaluated.at(child, "a {{placeholder}} (its value is not known offline)")
        return (*_field_search(node), SOURCE_SELECTORS.get(str(node.children[0]).lower()))
    return None


def compile_scope(node: Any) -> ScopeTest:
    """A scope node as a test on a row (lower-cased field names, `_raw` the message). Each term
    is a leaf predicate for `explain`; a negated term (`!x`, `NOT x`, as `field!=value`) is one
    negative leaf."""
    if isinstance(node, Token):
        raise NotEvaluated.at(node, f"the scope term {str(node)!r}")
    kind = node.data
    if kind == "scope":
        return compile_scope(node.children[0])
    term = _term(node)
    if term is not None:
        test, value_of, subject = term
        return test if test is _every_message else scope_leaf(node, test, value_of, subject)
    if kind == "scope_negation":
        operand = node.children[-1]
        term = _term(operand)
        if term is not None:
            test, value_of, subject = term
            return scope_leaf(negation_span(node, operand), lambda row: not test(row), value_of, subject)
        inner = compile_scope(operand)
        return lambda row: not inner(row)
    if kind in ("scope_and", "scope_or"):
        parts = [compile_scope(c) for c in node.children if isinstance(c, Tree)]
        return all_of(parts) if kind == "scope_and" else any_of(parts)
    raise NotEvaluated.at(node, f"the scope construct {kind}")
