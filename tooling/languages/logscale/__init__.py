"""CrowdStrike Query Language (CQL) as used by Falcon LogScale / Next-Gen SIEM.

The grammar is `logscale.lark` (LALR, contextual lexer). The only thing added on top of
`LarkLanguage` is a sharper "expected ..." list in syntax errors: LALR merges parser states that
are reached from different contexts (a top-level pipeline, a `{ sub-query }`, a `case` clause),
so the raw look-ahead set of a state can name tokens such as `}` or `;` that are not valid at
that point of *this* query. Lark's interactive parser can replay each candidate token against
the real state stack; only the tokens that it accepts are reported.
"""
from __future__ import annotations

from pathlib import Path

from tooling.languages.base import LarkLanguage


class LogScaleLanguage(LarkLanguage):
    def _syntax_error(self, exc, text):
        parser = getattr(exc, "interactive_parser", None)
        if parser is not None:
            try:
                accepted = parser.accepts()
            except Exception:  # pragma: no cover - keep Lark's own set if replay fails
                accepted = None
            if accepted:
                if hasattr(exc, "expected"):
                    exc.expected = accepted
                else:
                    exc.allowed = accepted
        return super()._syntax_error(exc, text)


LANGUAGE = LogScaleLanguage(
    "logscale",
    "LogScale",
    grammar=Path(__file__).with_name("logscale.lark"),
    start="start",
)
