"""Elastic Event Query Language (EQL): event queries, sequences, samples and pipes.

The grammar (`eql.lark`) follows the Elasticsearch EQL syntax reference and is parsed LALR(1)
with Lark's contextual lexer. This module only adds clearer syntax-error messages:

- terminals are described in words ("a value", "a comparison"), and a few common mistakes from
  other dialects (single quotes, `?"raw"` strings, `=` for `==`) are named directly.

Positions are not propagated into the tree: nothing reads them and parsing is faster without.
"""
from __future__ import annotations

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


class EqlLanguage(LarkLanguage):
    def _syntax_error(self, exc, text: str) -> Diagnostic:
        try:
            return self._explain(exc, text)
        except Exception:  # pragma: no cover - a message helper must never turn into a crash
            return super()._syntax_error(exc, text)

    def _explain(self, exc, text: str) -> Diagnostic:
        from lark.exceptions import UnexpectedCharacters

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
