"""KQL (Kusto Query Language): Microsoft Sentinel and Defender XDR advanced hunting.

The grammar (`kql.lark`) is LALR(1) with Lark's contextual lexer, so operator keywords
(`by`, `kind`, `on`, `count` ...) stay usable as column names where no keyword fits.
"""
from __future__ import annotations

from pathlib import Path

from tooling.languages.base import LarkLanguage

LANGUAGE = LarkLanguage(
    "kql",
    "KQL",
    grammar=Path(__file__).with_name("kql.lark"),
    start="start",
)
