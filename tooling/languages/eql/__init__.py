"""Elastic Event Query Language (EQL): event queries, sequences, samples and pipes.

The grammar (`eql.lark`) follows the Elasticsearch EQL syntax reference. Positions are not
propagated into the tree: nothing downstream reads them and skipping them makes parsing faster.
"""
from __future__ import annotations

from pathlib import Path

from tooling.languages.base import LarkLanguage

LANGUAGE = LarkLanguage(
    "eql",
    "EQL",
    grammar=Path(__file__).with_name("eql.lark"),
    start="start",
    propagate_positions=False,
    maybe_placeholders=False,
)
