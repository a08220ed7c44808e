"""CrowdStrike Query Language (CQL) as used by Falcon LogScale / Next-Gen SIEM."""
from __future__ import annotations

from pathlib import Path

from tooling.languages.base import LarkLanguage

LANGUAGE = LarkLanguage(
    "logscale",
    "LogScale",
    grammar=Path(__file__).with_name("logscale.lark"),
    start="start",
)
