"""YARA-L 2.0 (Google SecOps / Chronicle detection rules).

The grammar (`yaral.lark`) is LALR with Lark's contextual lexer; see the comments there for the
design. A query is one or more complete `rule name { ... }` blocks.

Parse tree
----------
`parse(text).tree` is a Lark `Tree`. Every node carries `meta.line/column/end_line/end_column`
(1-based, within the query; set as the parser builds each node by `parse_tree.add_positions`, much
cheaper than Lark's `propagate_positions`); every token carries `line/column` and its `type`.

Nodes (children in order; `?` optional; tokens in CAPITALS):

- `start`: one `rule` per rule block.
- `rule`: NAME (the rule name), then `meta_section`?, `events_section`, `match_section`?,
  `outcome_section`?, `condition_section`, `options_section`?.
- `meta_section`: `meta_entry`*; `meta_entry`: NAME (key), value (STRING, RAW_STRING, NUMBER,
  TRUE or FALSE).
- `events_section`: the predicates, each an expression below (juxtaposed predicates are and-ed).
- Boolean expressions (events, `if(...)` conditions): `or_expr` / `and_expr` (two or more
  operands), `not_` (one operand), and the predicates:
  - `comparison`: left operand, `comparator` (its one token: `=`, `!=`, `<`, `<=`, `>`, `>=`),
    right operand (an operand, REGEX literal or `array`), NOCASE?. A filter is a comparison of a
    `field` with a value, a placeholder binding one with a VARIABLE on either side, a join one
    with fields of two event variables on both sides.
  - `membership`: operand, REGEX_KW or CIDR_KW?, REFERENCE_LIST (`in %list`,
    `in regex %list`, `in cidr %list`).
  - `bool_call`: `call`, NOCASE? (e.g. `re.regex($e.f, `...`) nocase`).
- Operands: `field` (one FIELD token, `$e.principal.hostname`: the event variable is the part
  before the first dot), `indexed_field` (FIELD or VARIABLE, then `index` (`["key"]`, `[0]`) and
  NAME path parts), `quantified` (ANY or ALL, FIELD or VARIABLE), `call`, VARIABLE (a
  placeholder, or an outcome variable in outcome/condition), COUNT_VARIABLE (`#e`),
  REFERENCE_LIST (a data-table column), literals (STRING, RAW_STRING, NUMBER, TRUE, FALSE,
  NULL), `arith` (operand, `add_op`, operand, ...) and `term` (operand, `mul_op`, operand, ...).
- `call`: FUNCTION_NAME (`re.regex`, `strings.to_lower`) or NAME (`max`, `if`), then the
  arguments in order (any expression, REGEX, `array`, or `named_argument`: NAME or
  FUNCTION_NAME, value). `f()` has a single `None` argument slot. `array`: its elements.
- `match_section`: the keys (VARIABLE tokens; FIELD in search-style text), then a window:
  `hop_or_sliding_window` (DURATION, `pivot`?; `pivot`: BEFORE or AFTER, VARIABLE) or
  `tumbling_window` (DURATION).
- `outcome_section`: `outcome_assignment`*; `outcome_assignment`: VARIABLE, expression.
- `condition_section`: one expression of `cond_or` / `cond_and` / `not_` over `exists`
  (VARIABLE: `$e`), `absent` (VARIABLE: `!$e`), `comparison` (`#e > 5`, `$risk > 50`) and
  `bool_call`.
- `options_section`: `option_entry`*; `option_entry`: NAME, value (literal or DURATION).

`analysis.analyze(tree)` turns the tree into one `RuleInfo` per rule: name, meta, every events
predicate as kind (filter / binding / join / membership / call) with its event variable(s),
field, operator, values and nocase; placeholders and their occurrences; match keys, window and
pivot; outcome assignments; condition terms; calls with arguments; regular expressions; options.

Lint rules (DAC460-DAC468) are in `lint.py`; their documentation in
`tooling/diagnostics/lint/yaral.py`.

Syntax errors
-------------
`YaralLanguage` refines the base class's messages:
- the "expected" set is asked from Lark's interactive parser, which is exact where the LALR
  table's merged lookaheads are not;
- twenty-odd operand or operator terminals are folded into "an expression" / "an operator", so
  that the concrete alternatives (`')'`, `'}'`, a section name) stay visible; the remaining
  terminals get words ("a variable", "a field path", "a duration such as 10m", ...);
- a keyword used as a variable name (`$outcome`) and an unterminated string get their own words.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from tooling.diagnostics import Diagnostic
from tooling.languages.base import LarkLanguage, describe_terminal
from tooling.languages.yaral.lint import LINT_RULES

# Terminals that can start an operand or a predicate.
_EXPRESSION_STARTS = frozenset({
    "FIELD", "VARIABLE", "FUNCTION_NAME", "NAME", "NUMBER", "STRING", "RAW_STRING", "REGEX",
    "TRUE", "FALSE", "NULL", "COUNT_VARIABLE", "REFERENCE_LIST", "BANG", "LPAR", "LSQB",
    "_NOT", "ANY", "ALL",
})
# Terminals that can continue an expression after an operand.
_OPERATORS = frozenset({
    "EQUAL", "__ANON_0", "__ANON_1", "__ANON_2", "LESSTHAN", "MORETHAN", "PLUS", "MINUS",
    "STAR", "SLASH", "PERCENT", "_AND", "_OR", "_IN", "NOCASE", "DOT", "LSQB",
})
# Words a `$variable` / `#count` may not be named (the reference's keyword list).
_RESERVED = re.compile(
    r"[$#]((?i:rule|meta|match|over|events|condition|outcome|options|and|or|not|nocase|in|regex|"
    r"cidr|before|after|all|any|if|max|min|sum|array|array_distinct|count|count_distinct|is|null))\b")
# Words for the terminals that are not literal strings (Lark's names are not the user's words).
_WORDS = {
    "NAME": "a name",
    "FIELD": "a field path ($e.field)",
    "VARIABLE": "a variable ($name)",
    "COUNT_VARIABLE": "a count (#name)",
    "FUNCTION_NAME": "a function name",
    "REFERENCE_LIST": "a reference list (%name)",
    "DURATION": "a duration such as 10m",
    "NUMBER": "a number",
    "STRING": "a string",
    "RAW_STRING": "a raw string",
    "REGEX": "a regex (/.../)",
}
# Sections in the order a rule lists them, so messages name them in that order too.
_SECTION_ORDER = {f"'{name}'": i for i, name in enumerate(
    ("meta", "events", "match", "outcome", "condition", "options"))}


class YaralLanguage(LarkLanguage):
    def _compile(self, tree, text: str):
        """Compile a parsed query for evaluation over UDM events (evaluate.py)."""
        from tooling.languages.yaral.evaluate import compile_query

        return compile_query(tree)

    def _per_event(self, tree) -> bool:
        """A single-event rule: no match section, and a condition that is one event variable."""
        if any(True for _ in tree.find_data("match_section")):
            return False
        conditions = list(tree.find_data("condition_section"))
        return len(conditions) == 1 and len(conditions[0].children) == 1 and \
            getattr(conditions[0].children[0], "data", None) == "exists"

    def _references(self, tree, text: str):
        """Event types, fields and compared values the query names (references.py)."""
        from tooling.languages.yaral.references import references

        return references(tree)

    def _expected(self, names: Iterable[str]) -> str:
        names = {n for n in names if n != "$END"}
        if not names:
            return ""
        groups: list[str] = []
        # Fold only real sets of alternatives: a lone `-` or `(` is worth naming as itself.
        if len(names & _OPERATORS) >= 3:
            groups.append("an operator")
            names -= _OPERATORS
        if len(names & _EXPRESSION_STARTS) >= 3 and names & {"FIELD", "STRING"}:
            # meta and options values are literals only; elsewhere any expression may follow
            groups.append("an expression" if "FIELD" in names else "a value (string, number, true or false)")
            names -= _EXPRESSION_STARTS
        terminals = {t.name: t.pattern for t in self.parser.terminals}
        described = sorted({_WORDS.get(n) or describe_terminal(n, terminals.get(n)) for n in names},
                           key=lambda d: (_SECTION_ORDER.get(d, -1), d))
        items = described + groups
        if len(items) > 8:
            items = items[:8] + [f"{len(items) - 8} more"]
        if len(items) == 1:
            return f"; expected {items[0]}"
        return f"; expected {', '.join(items[:-1])} or {items[-1]}"

    def _syntax_error(self, exc, text: str) -> Diagnostic:
        from lark.exceptions import UnexpectedCharacters

        # The base class asks the parser which tokens it would really shift (exact where the
        # LALR table merges contexts, e.g. 'events' after a string in the events section).
        diagnostic = super()._syntax_error(exc, text)
        if isinstance(exc, UnexpectedCharacters) and exc.char in "$#":
            reserved = _RESERVED.match(text, exc.pos_in_stream)
            if reserved:
                return Diagnostic(
                    diagnostic.code,
                    f"{self.name} syntax error: {reserved.group(0)!r} is not a valid variable name, "
                    f"{reserved.group(1)!r} is a keyword; rename the variable",
                    diagnostic.line, diagnostic.column)
        # A quote the lexer cannot take as the start of a string is a string left open on its
        # line (double-quoted strings cannot span lines; raw strings must close somewhere).
        if isinstance(exc, UnexpectedCharacters) and exc.char in "\"`":
            hint = ('unterminated string starting here; close it with " on the same line'
                    if exc.char == '"' else "unterminated raw string starting here; close it with `")
            return Diagnostic(diagnostic.code, f"{self.name} syntax error: {hint}",
                              diagnostic.line, diagnostic.column)
        return diagnostic


LANGUAGE = YaralLanguage(
    "yaral",
    "YARA-L",
    grammar=Path(__file__).with_name("yaral.lark"),
    start="start",
    lint_rules=LINT_RULES,
    positions=True,  # every node, the cheap way (a quarter of Lark's propagate_positions)
)
