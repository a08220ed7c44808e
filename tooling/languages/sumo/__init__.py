"""Sumo Logic search language (log search queries).

The grammar is `sumo.lark` (LALR, contextual lexer). Dashboard template variables (`{{var}}`)
and app-catalog install parameters (`$$logsrc`) are accepted wherever a value, name or search
term may stand, and each one is reported as a DAC401 warning so a package never ships one by
accident.
"""
from __future__ import annotations

from pathlib import Path

from tooling.languages.base import LarkLanguage, placeholder_rule

# {{var}} / {{ var }} dashboard variables and $$name install parameters.
PLACEHOLDER_PATTERN = r"\{\{[^{}\n]*\}\}|\$\$[A-Za-z_]\w*"

LANGUAGE = LarkLanguage(
    "sumo",
    "Sumo Logic",
    grammar=Path(__file__).with_name("sumo.lark"),
    start="start",
    lint_rules=[placeholder_rule("Sumo Logic", PLACEHOLDER_PATTERN, "template placeholder")],
)
