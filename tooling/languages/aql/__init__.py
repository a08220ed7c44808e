"""IBM QRadar Ariel Query Language (AQL).

A Lark LALR grammar (`aql.lark`) with the contextual lexer, so that AQL's keywords are reserved
only where the grammar can use them: `minute`, `start`, `last` or `user` remain field names and
aliases, while `LAST 24 HOURS` is the time clause.

`AqlLanguage` adds three things to `LarkLanguage`, none of which changes what the grammar accepts
except where QRadar is stricter than a context-free grammar can say cheaply:

* comments: QRadar accepts `/* comments */` only inside the body of a query; a comment before the
  first token or after the last one is a parse error there (IBM support note "How to include
  comments in an AQL query"). The lexer ignores comments, so the check compares the parsed span
  with the text around it;
* a missing FROM: the grammar lets FROM be absent so that `SELECT a WHERE ...` is reported as
  "unexpected 'WHERE'; expected 'from'" instead of reading WHERE as an implicit alias;
* exact "expected" lists: on the error path only, the interactive parser is asked which tokens it
  really accepts, because LALR lookahead sets merge contexts (e.g. 'begin' inside a call).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lark import Token, Tree

from tooling.diagnostics import Diagnostic
from tooling.languages.base import LarkLanguage, position_of


class AqlLanguage(LarkLanguage):
    def _parse(self, text: str):
        tree, errors = super()._parse(text)
        if errors or tree is None:
            return tree, errors
        errors = self._comment_outside_body(tree, text) or _missing_from(tree, text, self.name)
        return (None, errors) if errors else (tree, [])

    def _comment_outside_body(self, tree: Tree, text: str) -> list[Diagnostic]:
        meta = tree.meta
        if getattr(meta, "empty", True):  # pragma: no cover - a parsed query always has tokens
            return []
        head = len(text) - len(text.lstrip())
        if head < meta.start_pos:  # only a comment can be ignored before the first token
            line, column = position_of(text, head)
            return [Diagnostic("DAC301", f"{self.name} syntax error: a comment cannot come before the "
                               "query; expected 'select'", line, column)]
        tail = text[meta.end_pos:]
        if tail.strip():
            line, column = position_of(text, meta.end_pos + len(tail) - len(tail.lstrip()))
            return [Diagnostic("DAC301", f"{self.name} syntax error: a comment cannot come after the "
                               "query; AQL allows comments only inside the query body", line, column)]
        return []

    def _syntax_error(self, exc, text: str) -> Diagnostic:
        accepted = self.exact_expected(text)
        diagnostic = super()._syntax_error(exc, text)
        if accepted and "$END" in accepted:
            tail = "; expected the end of the query" if accepted == {"$END"} else " or the end of the query"
            diagnostic = replace(diagnostic, message=diagnostic.message + tail)
        return diagnostic


def _missing_from(tree: Tree, text: str, name: str) -> list[Diagnostic]:
    """DAC301 for the first SELECT (outer query first, then subqueries) without its FROM clause."""
    for select in tree.iter_subtrees_topdown():
        if select.data != "select_stmt":
            continue
        children = select.children  # SELECT, select_list, from_clause?, then the optional clauses
        if children[2] is not None:
            continue
        following = next((c for c in children[3:] if c is not None), None)
        if following is not None:  # a clause tree: report its keyword
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
