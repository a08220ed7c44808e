"""Sumo Logic search language (log search queries).

The grammar is `sumo.lark` (LALR, contextual lexer). Dashboard template variables (`{{var}}`)
and app-catalog install parameters (`$$logsrc`) are accepted wherever a value, name or search
term may stand, and each one is reported as a DAC401 warning so a package never ships one by
accident. Lint rules DAC450-DAC457 are in `lint.py`, the operator vocabulary in `operators.py`,
the regex checks in `regex.py`, the tree class and helpers in `tree.py`.

Parse tree
----------
`ParseResult.tree` is a `SumoTree` (a Lark `Tree`). Every node has a position: `node.meta.line`,
`.column`, `.end_line`, `.end_column` (1-based, within the query), computed from its tokens on
first use. Leaves are Lark `Token`s with `.type`, `.line`, `.column`: NAME (field or function
name), FIELD_REF (`%"a.b"`, `%a`), NUMBER, STRING (`"..."`, quotes kept), SQSTRING, REGEX
(`/re/i`), PLACEHOLDER, STAR, URL, SLASH_PATH, SCOPE_WORD (a search keyword), and keyword tokens
(AND, OR, NOT, MATCHES, IN, CONTAINS, ASC, DESC, NODROP, REGEX_KW, ...).

Query and scope (the search before the first pipe; the data source):

    start            scope, then one stage node per `| operator`
    scope            one scope expression
    keyword          [SCOPE_WORD]                      error, fail*, 10.0.0.*
    phrase           [STRING]                          "connection reset"
    field_search     [field, op ('=' / '!='), value]   _sourceCategory=prod/web, _index!=x
    scope_and        operands (and AND tokens) - juxtaposition is an implicit AND
    scope_or         operands with OR tokens between them
    scope_negation   [operand]                         !debug, NOT x
    scope_subquery   [subquery_body]                   [subquery: ... | compose x]
    subquery         [subquery_body]                   the same, inside an expression
    subquery_body    subquery_option*, scope, stages

Stages (the operator is the node name; `tree.operator_name(stage)` gives it as text). A stage
with its own rule starts with its keyword token (WHERE, PARSE, JSON, SORT/ORDER, FIELDS, LOOKUP,
JOIN, FILTER, LIMIT, TOP, TRANSPOSE, TIMESLICE, SAVE), so its position is the operator's:

    where_cmd        [WHERE, expr]
    parse_cmd        PARSE, then parse_option* and parse_pattern+ in source order
      parse_option   [REGEX_KW | NODROP | MULTI | XML | field_option]
      field_option   [FIELD_KW, field]                 field=msg
      parse_pattern  [REGEX_KW?, STRING, parse_fields?] - the pattern and its output fields
      parse_fields   [alias tokens]                    as user, action
    json_cmd         json_option*, json_paths?
      json_paths     [STRING+, json_fields?]          "a.b", "c" as x, y
    aggregate_cmd    aliased+, by_clause?              count by x; sum(b) as s, pct(l, 95) by h
      by_clause      aliased+ (one per group key), option_assign*
    assign_cmd       [field, expr]                     | x = a + b
    eval_cmd         aliased+                          | if(c, 1, 0) as y; | concat(a, b) as c
      aliased        [expr, alias?]                    alias: a token, or alias_target (a, b)
    sort_cmd         sort_key*                         sort_key: [expr, ASC|DESC?]
    fields_cmd       [fields_sign?, field+]
    lookup_cmd       lookup_field+, source, on-expressions
    join_cmd         join_source+, on-expressions, timewindow
      join_source    stages, alias
    filter_cmd       [field, IN, stages]
    limit_cmd, top_cmd, transpose_cmd, timeslice_cmd, save_cmd   their arguments as tokens
    generic_cmd      [NAME (the operator), arguments: tokens and generic_group ( (...) / [...] )]
                     every other operator: csv, split, kv, compare, outlier, fillmissing, ...

Expressions (each binary node keeps its operator token between the operands):

    or, and          [left, OR|BARBAR / AND|AMPAMP, right]
    not              [NOT?, operand]                   not x, !isNull(x)
    compare          [left, COMPARE, right]            status >= 500, user = "x" (a filter)
    matches          [left, NOT?, MATCHES, pattern]    url matches "*admin*", x matches /re/
    contains         [left, NOT?, CONTAINS, right]
    in               [left, NOT?, IN, value+]          port in (22, 3389)
    arith            [left, ADD_OP|MUL_OP, right]      precedence: * / % over + - over
                     comparisons over not over and over or over `? :`
    conditional      [condition, then, else]           c ? a : b
    negative         [operand]                         -x
    group            [expr]                            ( ... )
    call             [NAME, argument exprs...]         if(a, b, c), count_distinct(user)
    placeholder_condition  [operand, PLACEHOLDER]      duration {{cond}}
"""
from __future__ import annotations

import re
from pathlib import Path

from tooling.diagnostics import Diagnostic
from tooling.languages.base import STRUCTURE, LarkLanguage, describe_terminal, placeholder_rule
from tooling.languages.parse_tree import node_kinds
from tooling.languages.sumo.lint import RULES
from tooling.languages.sumo.tree import Shaper, SumoTree

# {{var}} / {{ var }} dashboard variables and $$name install parameters.
PLACEHOLDER_PATTERN = r"\{\{[^{}\n]*\}\}|\$\$[A-Za-z_]\w*"


_CLOSED_STRING = {'"': re.compile(r'"(?:[^"\\\n]|\\.)*"'), "'": re.compile(r"'(?:[^'\\\n]|\\.)*'")}


# Terminals named in Sumo's own words in syntax errors (keywords and punctuation are quoted as is).
_WORDS = {
    "NAME": "a field name", "FIELD_REF": "a %\"field\" reference", "NUMBER": "a number",
    "STRING": "a \"quoted string\"", "SQSTRING": "a 'quoted string'", "PLACEHOLDER": "a {{placeholder}}",
    "REGEX": "a /regex/", "URL": "a location such as geo://location", "SLASH_PATH": "a /path",
    "SCOPE_WORD": "a search keyword", "SUBQUERY_OPEN": "'[subquery:'", "WORD": "an operator argument",
    "COMPARE": "a comparison ('=', '!=', '<', '>', '<=', '>=')", "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*', '/' or '%'",
}
# Tokens that start a value, summed up as one phrase when most of them are expected.
_VALUE_STARTS = {"NAME", "FIELD_REF", "NUMBER", "STRING", "SQSTRING", "PLACEHOLDER", "REGEX", "URL",
                 "STAR", "LPAR", "SUBQUERY_OPEN", "MINUS", "PLUS", "NOT", "_BANG"}
_STAGE_KEYWORDS = {"WHERE", "PARSE", "JSON", "SORT", "ORDER", "FIELDS", "LOOKUP", "JOIN", "TIMESLICE",
                   "SAVE", "LIMIT", "TOP", "TRANSPOSE", "FILTER"}
_OPERATORS = {"COMPARE", "MATCHES", "IN", "CONTAINS", "ADD_OP", "MUL_OP", "STAR", "AND", "OR",
              "AMPAMP", "BARBAR", "NOT", "QMARK"}


# stages that see many messages at once (named by tree.Shaper), and operators dac names only
# generically (accum, backshift, total, ... among them)
_ACROSS_MESSAGES = frozenset({"aggregate_cmd", "join_cmd", "filter_cmd", "limit_cmd", "top_cmd", "transpose_cmd",
                              "save_cmd", "generic_cmd", "scope_subquery", "subquery"})

class SumoLanguage(LarkLanguage):
    """LarkLanguage with plainer words for the two lexer errors users hit most.

    When the offending text is a quote that never closes on its line, or a `/*` that never
    closes, say so instead of "unexpected character"; position and expected tokens are kept.
    """

    def _compile(self, tree, text: str):
        """The query as a `Compiled` callable with Sumo Logic's semantics (evaluate.py)."""
        from tooling.languages.sumo.evaluate import compile_query

        return compile_query(tree, text)

    def _per_event(self, tree) -> bool:
        """Message by message: where, parse, json, field expressions, fields, sort, lookup; no
        aggregate, join, limit, top, subquery or other operator."""
        return node_kinds(tree).isdisjoint(_ACROSS_MESSAGES)

    def _references(self, tree, text: str):
        """Indexes, metadata, fields and compared values the query names (references.py)."""
        from tooling.languages.sumo.references import references

        return references(tree)

    def _expected(self, names) -> str:
        """What the parser expected, in Sumo's words: never a grammar terminal name."""
        names = set(names)
        at_end = "$END" in names
        names.discard("$END")
        terminals = {t.name: t.pattern for t in self.parser.terminals}
        summary: list[str] = []
        if {"WHERE", "PARSE"} <= names:  # right after a pipe
            summary.append("an operator (where, parse, json, count, sort, fields, lookup, ...)")
            names -= _STAGE_KEYWORDS | _VALUE_STARTS
        if {"NAME", "NUMBER", "STRING", "LPAR"} <= names:
            summary.append("a value (field, number, string, function call or '(')")
            names -= _VALUE_STARTS
        if {"COMPARE", "MATCHES", "IN"} <= names:
            summary.append("an operator ('=', '<', 'matches', 'in', 'and', 'or', '+', ...)")
            names -= _OPERATORS
        words = {_WORDS.get(n) or describe_terminal(n, terminals.get(n)) for n in names}
        ordered = [w for w in STRUCTURE if w in words]
        ordered += sorted(w for w in words - set(STRUCTURE) if w.startswith("'"))
        ordered += summary + sorted(w for w in words - set(STRUCTURE) if not w.startswith("'"))
        more = f" (and {len(ordered) - 10} more)" if len(ordered) > 10 else ""
        ordered = ordered[:10]
        if at_end:
            ordered.append("the end of the query")
        if not ordered:
            return ""
        if len(ordered) == 1:
            return f"; expected {ordered[0]}{more}"
        return "; expected " + ", ".join(ordered[:-1]) + f" or {ordered[-1]}{more}"

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
    lint_rules=[placeholder_rule("Sumo Logic", PLACEHOLDER_PATTERN, "template placeholder"), *RULES],
    # Node positions are computed lazily from tokens (SumoTree.meta), which is about a quarter
    # faster than propagate_positions=True; Shaper reshapes a few rules at parse time.
    propagate_positions=False,
    maybe_placeholders=False,
    tree_class=SumoTree,
    transformer=Shaper(),
)
