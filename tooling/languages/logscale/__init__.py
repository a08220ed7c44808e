"""CrowdStrike Query Language (CQL) as used by Falcon LogScale / Next-Gen SIEM.

The grammar is `logscale.lark` (LALR, contextual lexer). The only thing added on top of
`LarkLanguage` is a sharper "expected ..." list in syntax errors: LALR merges parser states that
are reached from different contexts (a top-level pipeline, a `{ sub-query }`, a `case` clause),
so the raw look-ahead set of a state can name tokens such as `}` or `;` that are not valid at
that point of *this* query. Lark's interactive parser can replay each candidate token against
the real state stack; only the tokens that it accepts are reported.

Query parameters (`?name`, `?"name"`, `?{name=default}`) are valid CQL, but they are filled in by a
dashboard or a person at search time, never by an alert or scheduled search, so each one is
reported as a DAC401 warning. The rule reads PARAM tokens from the parse tree rather than
matching the text, so a `?` inside a regex (`(?<name>...)`, `net1?`) or a string is not reported.
"""
from __future__ import annotations

from pathlib import Path

from lark import Token, Tree

from tooling.diagnostics import Diagnostic
from tooling.languages.base import LarkLanguage


def query_parameter_rule(tree, _text):
    """DAC401 for every query parameter token in the parse tree."""
    if not isinstance(tree, Tree):
        return
    for token in tree.scan_values(lambda v: isinstance(v, Token) and v.type == "PARAM"):
        yield Diagnostic("DAC401", f"LogScale query contains the query parameter {str(token)!r}",
                         token.line or 1, token.column or 1)


LANGUAGE = LarkLanguage(
    "logscale",
    "LogScale",
    grammar=Path(__file__).with_name("logscale.lark"),
    start="start",
    lint_rules=(query_parameter_rule,),
)
