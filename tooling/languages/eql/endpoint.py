"""DAC305: constructs of the Elastic Endpoint rule dialect, which Elasticsearch EQL does not run.

Elastic Endpoint's behaviour-protection rules (elastic/protections-artifacts) are written in the
EQL dialect of the endpoint's own engine (the original Endgame EQL). Users paste them into
Elastic Security rules and Elasticsearch refuses them. Without this, the parser's message is a
generic "unexpected character"; this names the construct and says why:

- `descendant of [...]`, `child of [...]`, `event of [...]`: process lineage (Endgame EQL join
  functions), which Elasticsearch EQL does not have (its syntax reference lists no such keyword).
- `[...] as alias` in a sequence: named stages, referred to later as `alias.field`.
- `$macro` / `$variable` references: the endpoint rules' macro and variable syntax.
- lower-case function names such as `stringcontains~(...)`: the endpoint engine's spelling;
  the Elasticsearch function reference spells them `stringContains`, `startsWith`, ...

The scan ignores strings and comments (their text is blanked, positions kept).
"""
from __future__ import annotations

import re
from typing import Iterator

from tooling.diagnostics import Diagnostic
from tooling.languages.base import position_of

_BLANK = re.compile(r'"""[^\r\n]*?"""|"(?:\\.|[^"\\\r\n])*"|//[^\n]*|/\*[\s\S]*?\*/')

_CONSTRUCTS = (
    (re.compile(r"\b(descendant|child|event)\s+of\s*\["), "'{0} of [...]' (process lineage)"),
    (re.compile(r"\]\s*as\s+[A-Za-z_][A-Za-z0-9_]*"), "'[...] as alias' (a named sequence stage)"),
    (re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*"), "the macro or variable reference '{match}'"),
    (re.compile(r"\b(stringcontains|startswith|endswith|indexof|cidrmatch)~?\s*\("),
     "the function name '{match}' (Elasticsearch EQL spells it {spelling})"),
)
_SPELLINGS = {"stringcontains": "stringContains", "startswith": "startsWith", "endswith": "endsWith",
              "indexof": "indexOf", "cidrmatch": "cidrMatch"}


def _blank(text: str) -> str:
    return _BLANK.sub(lambda m: " " * len(m.group(0)), text)


def endpoint_constructs(text: str) -> Iterator[Diagnostic]:
    """DAC305 for each Endpoint-dialect construct in `text`, in order."""
    blanked = _blank(text)
    found = []
    for pattern, template in _CONSTRUCTS:
        for match in pattern.finditer(blanked):
            written = match.group(0).rstrip("( \t\r\n[")
            word = match.group(1) if match.groups() else written
            start = match.start(1) if match.groups() else match.start()
            if template.startswith("'[...] as"):
                start = blanked.index("as", match.start())
            construct = template.format(word, match=written, spelling=_SPELLINGS.get(str(word).lower(), ""))
            found.append((start, construct))
    for start, construct in sorted(found):
        line, column = position_of(text, start)
        yield Diagnostic("DAC305", f"EQL: {construct} belongs to the Elastic Endpoint rule dialect, which "
                         "Elasticsearch EQL (and so Elastic Security rules) does not support", line, column)


def endpoint_errors(text: str, errors: list[Diagnostic]) -> list[Diagnostic]:
    """The parse errors of `text`, with DAC305 first (and the syntax error dropped) when the
    query uses Endpoint-dialect constructs; unchanged otherwise."""
    dialect = list(endpoint_constructs(text))
    if not dialect:
        return errors
    return dialect
