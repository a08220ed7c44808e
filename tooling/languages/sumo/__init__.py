"""Sumo Logic search language (log search queries).

The grammar is `sumo.lark` (LALR, contextual lexer). Dashboard template variables (`{{var}}`)
and app-catalog install parameters (`$$logsrc`) are accepted wherever a value, name or search
term may stand, and each one is reported as a DAC401 warning so a package never ships one by
accident.
"""
from __future__ import annotations

import re
from pathlib import Path

from tooling.diagnostics import Diagnostic
from tooling.languages.base import LarkLanguage, placeholder_rule

# {{var}} / {{ var }} dashboard variables and $$name install parameters.
PLACEHOLDER_PATTERN = r"\{\{[^{}\n]*\}\}|\$\$[A-Za-z_]\w*"


_CLOSED_STRING = {'"': re.compile(r'"(?:[^"\\\n]|\\.)*"'), "'": re.compile(r"'(?:[^'\\\n]|\\.)*'")}


class SumoLanguage(LarkLanguage):
    """LarkLanguage with plainer words for the two lexer errors users hit most.

    When the offending text is a quote that never closes on its line, or a `/*` that never
    closes, say so instead of "unexpected character"; position and expected tokens are kept.
    """

    def _syntax_error(self, exc, text: str) -> Diagnostic:
        diagnostic = super()._syntax_error(exc, text)
        token = getattr(exc, "token", None)
        offset = getattr(token, "start_pos", None) if token is not None else getattr(exc, "pos_in_stream", None)
        if not isinstance(offset, int) or offset >= len(text):
            return diagnostic
        char = text[offset]
        if char in _CLOSED_STRING and not _CLOSED_STRING[char].match(text, offset):
            what = f"unterminated string: no closing {char} on this line"
        elif text.startswith("/*", offset) and "*/" not in text[offset + 2:]:
            what = "unterminated comment: no closing */"
        else:
            return diagnostic
        _, _, expected = diagnostic.message.partition("; expected ")
        message = f"{self.name} syntax error: {what}" + (f"; expected {expected}" if expected else "")
        return Diagnostic(diagnostic.code, message, diagnostic.line, diagnostic.column)


LANGUAGE = SumoLanguage(
    "sumo",
    "Sumo Logic",
    grammar=Path(__file__).with_name("sumo.lark"),
    start="start",
    lint_rules=[placeholder_rule("Sumo Logic", PLACEHOLDER_PATTERN, "template placeholder")],
    # Diagnostics come from the lexer/parser exceptions, not from the tree, so node positions
    # are not needed; skipping them saves ~10% of parse time.
    propagate_positions=False,
)
