"""Elastic Event Query Language (EQL): event queries, sequences, samples and pipes.

The grammar (`eql.lark`) follows the Elasticsearch EQL syntax reference and is parsed LALR(1)
with Lark's contextual lexer. This module only adds clearer syntax-error messages:

- "expected ..." lists what the parser really accepts at the error. Lark reports every terminal
  of the LALR state, and LALR merges states, so its list can name tokens that are not valid there
  (e.g. ']' after a top-level condition). We replay the parser on each candidate instead; this
  costs time only for rejected queries.
- terminals are described in words ("a value", "a comparison"), and a few common mistakes from
  other dialects (single quotes, `?"raw"` strings, `=` for `==`) are named directly.

Positions are not propagated into the tree: nothing reads them and parsing is faster without.
"""
from __future__ import annotations

from copy import copy
from dataclasses import replace
from pathlib import Path
from typing import Iterable

from tooling.diagnostics import Diagnostic
from tooling.languages.base import LarkLanguage, describe_terminal, position_of

# Tokens that can start an operand, summarised as one phrase when most of them are expected.
_VALUE_STARTS = ("NAME", "FIELD", "INSENSITIVE_NAME", "STRING", "RAW_STRING", "INT", "DECIMAL",
                 "TRUE", "FALSE", "NULL", "LPAR", "ADD_OP")
_LITERALS = ("STRING", "RAW_STRING", "INT", "DECIMAL", "TRUE", "FALSE", "NULL")

_WORDS = {
    "NAME": "a name",
    "FIELD": "a field",
    "INSENSITIVE_NAME": "a function~ name",
    "STRING": "a string",
    "RAW_STRING": 'a """raw string"""',
    "INT": "a number",
    "DECIMAL": "a number",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*', '/' or '%'",
    "COMPARE": "a comparison ('==', '!=', '<', '<=', '>', '>=')",
    "IN_OP": "'in' or 'in~'",
    "MATCH_OP": "':', 'like', 'like~', 'regex' or 'regex~'",
    "TIME_UNIT": "a time unit (ms, s, m, h, d)",
    "ANY": "'any'",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "NULL": "'null'",
}

# Mistakes worth naming, keyed by the text at the error position.
_HINTS = (
    ('"""', 'unterminated """raw string"""'),
    ('"', "unterminated string (a string ends on the line where it starts)"),
    ("'", "single-quoted strings are not EQL; use double quotes"),
    ('?"', 'raw strings are written """...""" in Elasticsearch EQL, not ?"..."'),
    ("?'", 'raw strings are written """...""" in Elasticsearch EQL, not ?\'...\''),
)


def _keyword(name: str) -> str | None:
    """Keyword terminals are named `_WORD` in the grammar (so they stay out of the tree)."""
    if name.startswith("_") and name[1:].isalpha() and name[1:].isupper():
        return repr(name[1:].lower())
    return None


def _accepted_terminals(parser_state) -> set[str]:
    """Terminals the LALR parser can really shift next, found by replaying each candidate."""
    from lark.exceptions import UnexpectedToken
    from lark.lexer import Token

    conf = copy(parser_state.parse_conf)
    conf.callbacks = {}  # replay without building trees
    accepted = set()
    for name in conf.parse_table.states[parser_state.position]:
        if not name.isupper():
            continue
        trial = parser_state.copy(deepcopy_values=False)
        trial.parse_conf = conf
        try:
            trial.feed_token(Token(name, ""), is_end=name == "$END")
        except (UnexpectedToken, KeyError, IndexError, AssertionError):
            continue
        accepted.add(name)
    return accepted


def _state_before_error(parser, text: str):
    """The parser state just before the offending token, or None if the text parses.

    When the parser rejects a token it has often already made LALR default reductions with it as
    lookahead, so the state in Lark's exception no longer shows what was expected. Parsing again
    and keeping a (shallow, cheap) copy of the state before each token fixes that. Only rejected
    queries pay for it.
    """
    from lark.exceptions import UnexpectedInput
    from lark.lexer import Token

    interactive = parser.parse_interactive(text)
    state = interactive.parser_state
    tokens = interactive.lexer_thread.lex(state)
    last = None
    while True:
        try:
            token = next(tokens)
        except StopIteration:
            break
        except UnexpectedInput:
            return state  # a lexer error happens before anything is fed: the state is exact
        before = state.copy(deepcopy_values=False)
        try:
            state.feed_token(token)
        except UnexpectedInput:
            return before
        last = token
    before = state.copy(deepcopy_values=False)
    try:
        end = Token.new_borrow_pos("$END", "", last) if last is not None else Token("$END", "")
        state.feed_token(end, True)
    except UnexpectedInput:
        return before
    return None


class EqlLanguage(LarkLanguage):
    def _syntax_error(self, exc, text: str) -> Diagnostic:
        try:
            return self._explain(exc, text)
        except Exception:  # pragma: no cover - a message helper must never turn into a crash
            return super()._syntax_error(exc, text)

    def _explain(self, exc, text: str) -> Diagnostic:
        from lark.exceptions import UnexpectedCharacters

        state = _state_before_error(self.parser, text)
        if state is not None:
            accepted = _accepted_terminals(state)
            if accepted:
                if isinstance(exc, UnexpectedCharacters):
                    exc.allowed = accepted
                else:
                    exc.expected = accepted
        if isinstance(exc, UnexpectedCharacters):
            pos = exc.pos_in_stream
            if text.startswith('"', pos) and text[max(pos - 2, 0):pos] == '""':
                pos -= 2  # an unterminated """ was lexed as "" and a lone "
            rest = text[pos:pos + 3]
            for start, hint in sorted(_HINTS, key=lambda h: -len(h[0])):
                if rest.startswith(start):
                    line, column = position_of(text, pos)
                    return Diagnostic("DAC301", f"{self.name} syntax error: {hint}", line, column)
        diagnostic = super()._syntax_error(exc, text)
        if "unexpected '='" in diagnostic.message and "comparison" in diagnostic.message:
            diagnostic = replace(diagnostic, message=diagnostic.message + " (equality is written '==')")
        elif "unexpected 'by'" in diagnostic.message and "maxspan" in text:
            diagnostic = replace(diagnostic, message=diagnostic.message
                                 + " (a sequence's 'by' comes before 'with maxspan')")
        return diagnostic

    def _expected(self, names: Iterable[str]) -> str:
        names = {n for n in names if n != "$END"}
        if not names:
            return ""
        terminals = {t.name: t.pattern for t in self.parser.terminals}
        phrases: list[str] = []
        if {"NAME", "FIELD", "STRING", "LPAR"} <= names:
            phrases.append("a value (field, literal, function call or '(')")
            names -= set(_VALUE_STARTS)
        elif set(_LITERALS) <= names:
            phrases.append("a literal (string, number, true, false, null)")
            names -= set(_LITERALS)
        operators: list[str] = []
        if {"COMPARE", "MATCH_OP", "IN_OP"} <= names:
            operators.append("an operator ('==', '!=', '<', ':', 'like', 'regex', 'in', '+', '*', ...)")
            names -= {"COMPARE", "MATCH_OP", "IN_OP", "ADD_OP", "MUL_OP", "NOT"}
        words = {_WORDS.get(n) or _keyword(n) or describe_terminal(n, terminals.get(n)) for n in names}
        phrases.extend(sorted(words, key=lambda w: (not w.startswith("'"), w)))
        phrases.extend(operators)
        return "; expected " + ", ".join(phrases)


LANGUAGE = EqlLanguage(
    "eql",
    "EQL",
    grammar=Path(__file__).with_name("eql.lark"),
    start="start",
    propagate_positions=False,
    maybe_placeholders=False,
)
