"""KQL (Kusto Query Language): Microsoft Sentinel and Defender XDR advanced hunting.

The grammar (`kql.lark`) is LALR(1) with Lark's contextual lexer, so operator keywords
(`by`, `kind`, `on`, `count` ...) stay usable as column names where no keyword fits.

`KqlLanguage` only changes how the "expected ..." part of a syntax error is worded: after a
complete expression Lark can accept some forty comparison operators, which would otherwise
crowd out the useful suggestions (`|`, `;`, `,`, `)`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from tooling.languages.base import LarkLanguage, describe_terminal

# Binary scalar operators: listed as one entry when a syntax error could continue with them.
_SCALAR_OPERATORS = frozenset({
    "==", "!=", "<>", "=", "<", ">", "<=", ">=", "=~", "!~",
    "has", "!has", "has_cs", "!has_cs", "hasprefix", "!hasprefix", "hasprefix_cs", "!hasprefix_cs",
    "hassuffix", "!hassuffix", "hassuffix_cs", "!hassuffix_cs",
    "contains", "!contains", "contains_cs", "!contains_cs", "notcontains", "containscs", "notcontainscs",
    "startswith", "!startswith", "startswith_cs", "!startswith_cs",
    "endswith", "!endswith", "endswith_cs", "!endswith_cs",
    "in", "!in", "in~", "!in~", "has_any", "has_all", "between", "!between", "matches",
    "+", "-", "*", "/", "%", "and", "or", ".", "[", "(",
})
# Shown first: the tokens that close or continue the structure around the error.
_STRUCTURE = ("'|'", "';'", "','", "')'", "']'", "'}'", "'by'", "'on'", "'with'", "'='")
_LIMIT = 8


class KqlLanguage(LarkLanguage):
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


LANGUAGE = KqlLanguage(
    "kql",
    "KQL",
    grammar=Path(__file__).with_name("kql.lark"),
    start="start",
    # The tree's nodes carry no positions: nothing downstream needs them, and recording them
    # costs about a quarter of the parse time. Syntax errors still carry line and column.
    propagate_positions=False,
)
