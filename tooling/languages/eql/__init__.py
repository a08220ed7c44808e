'''Elastic Event Query Language (EQL): event queries, sequences, samples and pipes.

The grammar (`eql.lark`) follows the Elasticsearch EQL syntax reference and is parsed LALR(1)
with Lark's contextual lexer. This module adds clearer syntax-error messages (terminals described
in words; single quotes, `?"raw"` strings and `=` for `==` named directly), node positions, and
the lint rules of `lint.py` (DAC430-DAC438).

The tree
--------
`result.tree` is a `lark.Tree`. Every node has `meta.line`/`meta.column` (1-based, where the node
starts: a keyword, a bracket or its first operand) and `meta.end_line`/`meta.end_column`; tokens
(`lark.Token`) carry `line`, `column` and `type`. Keywords and punctuation are not children.
Parentheses are not nodes: `(a or b)` is the `or_` node itself, which starts at `a`.

Queries

- `start`: the query node, then one `pipe` per `|` stage.
- `event_query`: a plain query; holds one `event_filter`.
- `event_filter`: `category`, then the condition (any condition node below).
- `category`: one token, the data source: `ANY` (`any`), `NAME` (`process`), `STRING` or
  `RAW_STRING` (a quoted category).
- `sequence`: optional `join_keys` (`sequence by ...`), optional `maxspan`, `sequence_stages`,
  optional `until`. Its position is the `sequence` keyword.
- `maxspan`: `INT` and `TIME_UNIT` tokens (`with maxspan=5m` -> `5`, `m`).
- `sequence_stages`: the stages in order, each a `plain_stage` (`subquery`, optional `join_keys`)
  or a `repeated_stage` (`subquery`, optional `join_keys`, the `INT` of `with runs=N`).
- `subquery`: `[ ... ]`, holds one `event_filter`; `missing_subquery`: the same for `![ ... ]`
  (a missing-event stage). Position: the opening bracket.
- `until`: `subquery`, optional `join_keys`.
- `sample`: optional `join_keys`, then two or more `sample_filter` (`subquery`, optional
  `join_keys`).
- `join_keys`: the key expressions of one `by` (usually `field` nodes).
- `pipe`: the command `NAME` token (`head`, `tail`, `filter`, `unique`, ...), then its arguments.

Conditions (every filter is field / operator / value(s))

- `or_`, `and_`: two operands (left-nested: `a and b and c` is `and_(and_(a, b), c)`).
- `not_`: one operand.
- `comparison`: left operand, `COMPARE` token (`==`, `!=`, `<`, `<=`, `>`, `>=`), right operand.
- `match`: left operand, `MATCH_OP` token (`:`, `like`, `like~`, `regex`, `regex~`), then one
  literal token or a `literal_list` of literal tokens.
- `in_` / `not_in`: left operand, `IN_OP` token (`in`, `in~`), `value_list` of expressions.
- `arithmetic`: left operand, `ADD_OP` or `MUL_OP` token, right operand; `sign`: `ADD_OP`, operand.
- `call`: the function name token (`NAME`, or `INSENSITIVE_NAME` for `name~`), then one child per
  argument.
- `field`: one `NAME` or `FIELD` token holding the whole path (`process.parent.name`,
  `?process.args[0]`, `` a.`b c` ``).
- Literals are tokens, not nodes: `STRING` (`"..."`, with its quotes and escapes as written),
  `RAW_STRING` (`"""..."""`), `INT`, `DECIMAL`, `TRUE`, `FALSE`, `NULL`.

Positions cost little: Lark's own position propagation made the corpus ~50% slower; `_Span`, a
lean replacement installed on the built parser, sets start and end only (~20%).
'''
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Iterable

import threading


from tooling.diagnostics import Diagnostic
from tooling.languages.base import LarkLanguage, describe_terminal, position_of
from tooling.languages.parse_tree import node_kinds
from tooling.languages.eql.endpoint import endpoint_errors
from tooling.languages.eql.lint import INDEXED, RULES, remember

_ENDPOINT_NAMES = ("stringcontains", "startswith", "endswith", "indexof", "cidrmatch")

# Tokens that can start an operand, summarised as one phrase when most of them are expected.
_VALUE_STARTS = ("NAME", "FIELD", "INSENSITIVE_NAME", "STRING", "RAW_STRING", "INT", "DECIMAL",
                 "TRUE", "FALSE", "NULL", "LPAR", "ADD_OP")
_LITERALS = ("STRING", "RAW_STRING", "INT", "DECIMAL", "TRUE", "FALSE", "NULL")

_WORDS = {
    "NAME": "a name",
    "FIELD": "a field",
    "INSENSITIVE_NAME": "a function~ name",
    "STRING": "a string",
    "RAW_STRING": 'a """raw string"""',
    "INT": "a number",
    "DECIMAL": "a number",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*', '/' or '%'",
    "COMPARE": "a comparison ('==', '!=', '<', '<=', '>', '>=')",
    "IN_OP": "'in' or 'in~'",
    "MATCH_OP": "':', 'like', 'like~', 'regex' or 'regex~'",
    "TIME_UNIT": "a time unit (ms, s, m, h, d)",
    "ANY": "'any'",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "NULL": "'null'",
}

# Mistakes worth naming, keyed by the text at the error position.
_HINTS = (
    ('"""', 'unterminated """raw string"""'),
    ('"', "unterminated string (a string ends on the line where it starts)"),
    ("'", "single-quoted strings are not EQL; use double quotes"),
    ('?"', 'raw strings are written """...""" in Elasticsearch EQL, not ?"..."'),
    ("?'", 'raw strings are written """...""" in Elasticsearch EQL, not ?\'...\''),
)


def _keyword(name: str) -> str | None:
    """Keyword terminals are named `_WORD` in the grammar (so they stay out of the tree)."""
    if name.startswith("_") and name[1:].isalpha() and name[1:].isupper():
        return repr(name[1:].lower())
    return None


_collected = threading.local()  # the INDEXED nodes of the query being parsed, per thread


def _index(name: str):
    """Lint rules read only some node kinds: record those as the parser builds them."""
    return (lambda node: _collected.nodes.append(node)) if name in INDEXED else None


class EqlLanguage(LarkLanguage):
    def _parse(self, text: str):
        nodes = _collected.nodes = []
        tree, errors = super()._parse(text)
        if errors or any(name in text for name in _ENDPOINT_NAMES):
            errors = endpoint_errors(text, errors)  # DAC305: the Elastic Endpoint rule dialect
        if tree is not None and not errors:
            remember(tree, nodes)
        _collected.nodes = []
        return tree, errors

    def _compile(self, tree, text: str):
        from tooling.languages.eql.evaluate import compile_query

        return compile_query(tree, text)

    def _per_event(self, tree) -> bool:
        """One event query without pipes (no sequence, sample, `descendant of` or head/tail)."""
        return not node_kinds(tree) & {"sequence", "sample", "subquery", "pipe", "join_keys"}

    def _references(self, tree, text: str):
        from tooling.languages.eql.references import references

        return references(tree, text)

    def _syntax_error(self, exc, text: str) -> Diagnostic:
        try:
            return self._explain(exc, text)
        except Exception:  # pragma: no cover - a message helper must never turn into a crash
            return super()._syntax_error(exc, text)

    def _explain(self, exc, text: str) -> Diagnostic:
        from lark.exceptions import UnexpectedCharacters

        if isinstance(exc, UnexpectedCharacters):
            pos = exc.pos_in_stream
            if text.startswith('"', pos) and text[max(pos - 2, 0):pos] == '""':
                pos -= 2  # an unterminated """ was lexed as "" and a lone "
            rest = text[pos:pos + 3]
            for start, hint in sorted(_HINTS, key=lambda h: -len(h[0])):
                if rest.startswith(start):
                    line, column = position_of(text, pos)
                    return Diagnostic("DAC301", f"{self.name} syntax error: {hint}", line, column)
        diagnostic = super()._syntax_error(exc, text)
        if "unexpected '='" in diagnostic.message and "comparison" in diagnostic.message:
            diagnostic = replace(diagnostic, message=diagnostic.message + " (equality is written '==')")
        elif "unexpected 'by'" in diagnostic.message and "maxspan" in text:
            diagnostic = replace(diagnostic, message=diagnostic.message
                                 + " (a sequence's 'by' comes before 'with maxspan')")
        return diagnostic

    def _expected(self, names: Iterable[str]) -> str:
        names = {n for n in names if n != "$END"}
        if not names:
            return ""
        terminals = {t.name: t.pattern for t in self.parser.terminals}
        phrases: list[str] = []
        if names == {"NAME"}:  # only after '|'
            return "; expected a pipe command (head, tail, ...)"
        if {"ANY", "NAME", "STRING"} <= names and "FIELD" not in names:
            phrases.append("an event category (a name such as process, 'any', or a quoted string)")
            names -= {"ANY", "NAME", "STRING", "RAW_STRING"}
        elif {"NAME", "FIELD", "STRING", "LPAR"} <= names:
            phrases.append("a value (field, literal, function call or '(')")
            names -= set(_VALUE_STARTS)
        elif set(_LITERALS) <= names:
            phrases.append("a literal (string, number, true, false, null)")
            names -= set(_LITERALS)
        operators: list[str] = []
        if {"COMPARE", "MATCH_OP", "IN_OP"} <= names:
            operators.append("an operator ('==', '!=', '<', ':', 'like', 'regex', 'in', '+', '*', ...)")
            names -= {"COMPARE", "MATCH_OP", "IN_OP", "ADD_OP", "MUL_OP", "NOT"}
        words = {_WORDS.get(n) or _keyword(n) or describe_terminal(n, terminals.get(n)) for n in names}
        phrases.extend(sorted(words, key=lambda w: (not w.startswith("'"), w)))
        phrases.extend(operators)
        return "; expected " + ", ".join(phrases)


LANGUAGE = EqlLanguage(
    "eql",
    "EQL",
    grammar=Path(__file__).with_name("eql.lark"),
    start="start",
    positions=_index,  # cheaper than Lark's propagate_positions
    maybe_placeholders=False,
    lint_rules=RULES,
)
