"""YARA-L 2.0 (Google SecOps / Chronicle detection rules).

The grammar (`yaral.lark`) is LALR with Lark's contextual lexer; see the comments there for the
design. A query is one or more complete `rule name { ... }` blocks.

`YaralLanguage` only refines syntax errors (parsing itself is the base class's):
- the "expected" set is asked from Lark's interactive parser, which is exact where the LALR
  table's merged lookaheads are not;
- twenty-odd operand or operator terminals are folded into "an expression" / "an operator", so
  that the concrete alternatives (`')'`, `'}'`, a section name) stay visible;
- a keyword used as a variable name (`$outcome`) and an unterminated string get their own words.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from tooling.diagnostics import Diagnostic
from tooling.languages.base import LarkLanguage, describe_terminal

# Terminals that can start an operand or a predicate.
_EXPRESSION_STARTS = frozenset({
    "FIELD", "VARIABLE", "FUNCTION_NAME", "NAME", "NUMBER", "STRING", "RAW_STRING", "REGEX",
    "TRUE", "FALSE", "NULL", "COUNT_VARIABLE", "REFERENCE_LIST", "BANG", "LPAR", "LSQB",
    "_NOT", "ANY", "ALL",
})
# Terminals that can continue an expression after an operand.
_OPERATORS = frozenset({
    "EQUAL", "__ANON_0", "__ANON_1", "__ANON_2", "LESSTHAN", "MORETHAN", "PLUS", "MINUS",
    "STAR", "SLASH", "PERCENT", "_AND", "_OR", "_IN", "NOCASE", "DOT", "LSQB",
})
# Words a `$variable` / `#count` may not be named (the reference's keyword list).
_RESERVED = re.compile(
    r"[$#]((?i:rule|meta|match|over|events|condition|outcome|options|and|or|not|nocase|in|regex|"
    r"cidr|before|after|all|any|if|max|min|sum|array|array_distinct|count|count_distinct|is|null))\b")
# Sections in the order a rule lists them, so messages name them in that order too.
_SECTION_ORDER = {f"'{name}'": i for i, name in enumerate(
    ("meta", "events", "match", "outcome", "condition", "options"))}


class YaralLanguage(LarkLanguage):
    def _expected(self, names: Iterable[str]) -> str:
        names = {n for n in names if n != "$END"}
        if not names:
            return ""
        groups: list[str] = []
        # Fold only real sets of alternatives: a lone `-` or `(` is worth naming as itself.
        if len(names & _OPERATORS) >= 3 and names & {"EQUAL", "_AND"}:
            groups.append("an operator")
            names -= _OPERATORS
        if len(names & _EXPRESSION_STARTS) >= 3 and names & {"FIELD", "STRING"}:
            # meta and options values are literals only; elsewhere any expression may follow
            groups.append("an expression" if "FIELD" in names else "a value (string, number, true or false)")
            names -= _EXPRESSION_STARTS
        terminals = {t.name: t.pattern for t in self.parser.terminals}
        described = sorted({describe_terminal(n, terminals.get(n)) for n in names},
                           key=lambda d: (_SECTION_ORDER.get(d, -1), d))
        items = described + groups
        if len(items) > 8:
            items = items[:8] + [f"{len(items) - 8} more"]
        if len(items) == 1:
            return f"; expected {items[0]}"
        return f"; expected {', '.join(items[:-1])} or {items[-1]}"

    def _syntax_error(self, exc, text: str) -> Diagnostic:
        from lark.exceptions import UnexpectedCharacters

        # The base class asks the parser which tokens it would really shift (exact where the
        # LALR table merges contexts, e.g. 'events' after a string in the events section).
        diagnostic = super()._syntax_error(exc, text)
        if isinstance(exc, UnexpectedCharacters) and exc.char in "$#":
            reserved = _RESERVED.match(text, exc.pos_in_stream)
            if reserved:
                return Diagnostic(
                    diagnostic.code,
                    f"{self.name} syntax error: {reserved.group(0)!r} is not a valid variable name, "
                    f"{reserved.group(1)!r} is a keyword; rename the variable",
                    diagnostic.line, diagnostic.column)
        # A quote the lexer cannot take as the start of a string is a string left open on its
        # line (double-quoted strings cannot span lines; raw strings must close somewhere).
        if isinstance(exc, UnexpectedCharacters) and exc.char in "\"`":
            hint = ('unterminated string starting here; close it with " on the same line'
                    if exc.char == '"' else "unterminated raw string starting here; close it with `")
            return Diagnostic(diagnostic.code, f"{self.name} syntax error: {hint}",
                              diagnostic.line, diagnostic.column)
        return diagnostic


LANGUAGE = YaralLanguage(
    "yaral",
    "YARA-L",
    grammar=Path(__file__).with_name("yaral.lark"),
    start="start",
    # Diagnostics come from Lark's exceptions, whose tokens carry line/column anyway; not
    # propagating positions to every tree node cuts the median parse time by about a quarter.
    propagate_positions=False,
)
