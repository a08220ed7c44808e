"""IBM QRadar Ariel Query Language (AQL).

A Lark LALR grammar (`aql.lark`) with the contextual lexer, so that AQL's keywords are reserved
only where the grammar can use them: `minute`, `start`, `last` or `user` remain field names and
aliases, while `LAST 24 HOURS` is the time clause.

One rule is checked outside the grammar: QRadar accepts `/* comments */` only inside the body of
a query; a comment before the first token or after the last one is a parse error there
(IBM support note "How to include comments in an AQL query"). The lexer ignores comments, so the
check compares the parsed span with the text around it.
"""
from __future__ import annotations

from pathlib import Path

from lark import Token, Tree

from tooling.diagnostics import Diagnostic
from tooling.languages.base import LarkLanguage, position_of


class AqlLanguage(LarkLanguage):
    def _parse(self, text: str):
        tree, errors = super()._parse(text)
        if errors or tree is None:
            return tree, errors
        meta = tree.meta
        if getattr(meta, "empty", True):  # pragma: no cover - a parsed query always has tokens
            return tree, errors
        head = len(text) - len(text.lstrip())
        if head < meta.start_pos:  # something ignored before the first token: a comment
            line, column = position_of(text, head)
            errors = [Diagnostic("DAC301", f"{self.name} syntax error: a comment cannot come before "
                                 "the query; expected 'select'", line, column)]
        else:
            tail = text[meta.end_pos:]
            if tail.strip():
                offset = meta.end_pos + len(tail) - len(tail.lstrip())
                line, column = position_of(text, offset)
                errors = [Diagnostic("DAC301", f"{self.name} syntax error: a comment cannot come after "
                                     "the query; AQL allows comments only inside the query body",
                                     line, column)]
        if not errors:
            errors = _missing_from(tree, text, self.name)
        return (None, errors) if errors else (tree, errors)


def _missing_from(tree: Tree, text: str, name: str) -> list[Diagnostic]:
    """DAC301 for a SELECT (outer or subquery) without its required FROM clause."""
    for select in tree.find_data("select_stmt"):
        children = select.children  # SELECT, select_list, from_clause?, clauses...
        if children[2] is not None:
            continue
        following = next((c for c in children[3:] if c is not None), None)
        if isinstance(following, Token):
            line, column, found = following.line, following.column, f"unexpected {following.value!r}"
        elif isinstance(following, Tree):
            first = next(following.scan_values(lambda v: isinstance(v, Token)))
            line, column, found = first.line, first.column, f"unexpected {first.value!r}"
        else:
            line, column = position_of(text, children[1].meta.end_pos)
            found = "the select list is not followed by FROM"
        return [Diagnostic("DAC301", f"{name} syntax error: {found}; expected 'from'", line, column)]
    return []


LANGUAGE = AqlLanguage(
    "aql",
    "AQL",
    grammar=Path(__file__).with_name("aql.lark"),
    start="start",
)
