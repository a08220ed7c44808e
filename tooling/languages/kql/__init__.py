"""KQL (Kusto Query Language): Microsoft Sentinel and Defender XDR advanced hunting.

The grammar (`kql.lark`) is LALR(1) with Lark's contextual lexer, so operator keywords
(`by`, `kind`, `on`, `count` ...) stay usable as column names where no keyword fits.

`KqlLanguage` adds a nesting bound (DAC302) and changes the "expected ..." part of a syntax
error. LALR merges parser
states, so the raw set of acceptable terminals at an error is too wide (after `T` it would
offer `by`, `on`, `]` ...); each candidate is tried on a copy of the parser and only those it
really accepts are named. The forty-odd comparison operators are named as one entry so they do
not crowd out `|`, `;`, `,` or `)`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable


from tooling.diagnostics import Diagnostic
from tooling.languages.base import LarkLanguage, describe_terminal, position_of

# Brackets nested deeper than this are not a hand-written detection (real queries stay under
# 20); parsing them costs time for nothing, so they get DAC302 like an oversized query.
MAX_NESTING = 200
# Strings and comments, whose brackets do not count (same shapes as the grammar's terminals).
_OPAQUE = re.compile(r"""```[\s\S]*?```|~~~[\s\S]*?~~~|//[^\n]*"""
                     r"""|@"(?:[^"\n]|"")*"|@'(?:[^'\n]|'')*'"""
                     r"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")

# Binary scalar operators: listed as one entry when a syntax error could continue with them.
_SCALAR_OPERATORS = frozenset({
    "==", "!=", "<>", "=", "<", ">", "<=", ">=", "=~", "!~",
    "has", "!has", "has_cs", "!has_cs", "hasprefix", "!hasprefix", "hasprefix_cs", "!hasprefix_cs",
    "hassuffix", "!hassuffix", "hassuffix_cs", "!hassuffix_cs",
    "contains", "!contains", "contains_cs", "!contains_cs", "notcontains", "containscs", "notcontainscs",
    "startswith", "!startswith", "startswith_cs", "!startswith_cs",
    "endswith", "!endswith", "endswith_cs", "!endswith_cs",
    "in", "!in", "in~", "!in~", "has_any", "has_all", "between", "!between", "matches",
    "and", "or",
})
# Shown first: the tokens that close or continue the structure around the error.
_STRUCTURE = ("'|'", "';'", "','", "')'", "']'", "'}'", "'by'", "'on'", "'with'", "'='")
_LIMIT = 8


class KqlLanguage(LarkLanguage):
    def _parse(self, text: str):
        # Only a query with very many brackets can break the bound; skip the scan otherwise.
        if text.count("(") + text.count("[") + text.count("{") > MAX_NESTING:
            depth, offset = _deepest(text)
            if depth > MAX_NESTING:
                line, column = position_of(text, offset)
                return None, [Diagnostic(
                    "DAC302", f"{self.name} query nests brackets {depth} deep; the bound is {MAX_NESTING}",
                    line, column)]
        return super()._parse(text)

    def _expected(self, names: Iterable[str]) -> str:
        terminals = {t.name: t.pattern for t in self.parser.terminals}
        described = {describe_terminal(n, terminals.get(n)) for n in names if n != "$END"}
        if not described:
            return ""
        operators = {d for d in described if d.strip("'") in _SCALAR_OPERATORS}
        # Fold the operators only when there are many (after a complete expression); where a
        # single '(' or '[' is the only way on, name it.
        folded = len(operators) > 4
        if folded:
            described -= operators
        ordered = [d for d in _STRUCTURE if d in described]
        rest = sorted(described - set(ordered))
        if folded:
            ordered.append("an operator such as '==', 'has', 'in' or 'and'")
        ordered += rest
        more = f" (and {len(ordered) - _LIMIT} more)" if len(ordered) > _LIMIT else ""
        return "; expected " + ", ".join(ordered[:_LIMIT]) + more


def _deepest(text: str) -> tuple[int, int]:
    """The deepest bracket nesting outside strings and comments, and where it first exceeds
    MAX_NESTING (or the offset of the deepest bracket)."""
    blanked = _OPAQUE.sub(lambda m: " " * len(m.group(0)), text)
    depth = deepest = where = 0
    for offset, char in enumerate(blanked):
        if char in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest <= MAX_NESTING + 1:
                    where = offset
        elif char in ")]}":
            depth -= 1
    return deepest, where


LANGUAGE = KqlLanguage(
    "kql",
    "KQL",
    grammar=Path(__file__).with_name("kql.lark"),
    start="start",
    # The tree's nodes carry no positions: nothing downstream needs them, and recording them
    # costs about a quarter of the parse time. Syntax errors still carry line and column.
    propagate_positions=False,
)
