"""KQL (Kusto Query Language): Microsoft Sentinel and Defender XDR advanced hunting.

The grammar (`kql.lark`) is LALR(1) with Lark's contextual lexer, so operator keywords
(`by`, `kind`, `on`, `count` ...) stay usable as column names where no keyword fits.

`KqlLanguage` changes the "expected ..." part of a syntax error. LALR merges parser states, so
the raw set of acceptable terminals at an error is too wide (after `T` it would offer `by`, `on`,
`]` ...); each candidate is tried on a copy of the parser and only those it really accepts are
named, in words ("a name", "a string"). The forty-odd comparison operators are named as one entry
so they do not crowd out `|`, `;`, `,` or `)`.

The parse tree
--------------
`result.tree` is a Lark `Tree`. Every node has `.meta.line` / `.meta.column` and `.meta.end_line`
/ `.meta.end_column` / `.meta.start_pos` / `.meta.end_pos` (1-based lines and columns within the
query; a stage starts at its keyword), and every token `.line` / `.column`. Keywords and
punctuation are dropped; an optional part that is absent is `None`. Names are `NAME` tokens
(`['a b']` is a `bracket_name` node holding a `string`). The node types later analysis uses:

Statements and sources
- `start`: the statements, in order.
- `let_stmt`: [name, value]. The value is a scalar expression, a tabular expression, a
  `function_def` ([param..., function_body]) or a `view_def`.
- `pipeline`: [source, stage, stage, ...]: a source followed by its piped operators, flat.
  A query without pipes (`T`, `union A, B`) is just its source.
- `table`: [NAME | bracket_name | WILDCARD | STAR | dot | method_call]: a data source named in
  the query (a table or stored function; `dot` / `method_call` for `database("d").T` paths):
  the head of a pipeline, a `union` leg, the right side of `join` / `lookup`, a statement or
  `let` value that is only a name, a `search`/`find` `in (...)` item.
- `let_ref`: [NAME]: the same positions when the name is bound by `let` (or is a function
  parameter): a let-bound tabular expression used as a source.
- `paren`: [pipeline or expression]: a parenthesised sub-query or expression.
- `union_op`: [options..., leg, leg, ...]; options are `kind_opt`, `hint`, `withsource_opt`,
  `isfuzzy_opt`. Legs are `table`, `let_ref` or `paren` nodes.
- `datatable`, `externaldata`: [col_decls, values... / urls...]; `print_op`, `range_op`,
  `search_op`, `find_op`, `evaluate_op` are the other sources.

Stages (one node per operator, named after it)
- `where_op`: [predicate] (`where` and `filter`).
- `extend_op`, `project_op`, `print_op`: [assign_list]; `assign_list` holds items that are
  expressions, `assign` [name, value] or `tuple_assign` [name..., value].
- `project_away_op`: [PROJECT_AWAY or PROJECT_KEEP token, column or pattern...];
  `project_rename_op`: [token, rename [new, old]...]; `project_reorder_op`.
- `summarize_op`: [hint..., assign_list (aggregates) or None, by_clause [assign_list] or None].
- `distinct_op`, `sort_op` / `top_op` (`sort_item` [expr, order, nulls]), `take_op`,
  `count_op`, `join_op` / `lookup_op` ([options..., right side, on-condition...]), `mv_expand_op`,
  `mv_apply_op`, `parse_op` ([kind_opt / flags_opt..., source, pattern items...] with
  `parse_column` [name, type]), `parse_kv_op`, `make_series_op`, `render_op`, `evaluate_op`,
  `invoke_op`, `as_op`, `serialize_op`, `getschema_op`, `sample_op`, `sample_distinct_op`,
  `top_nested_op`, `top_hitters_op`, `facet_op`, `fork_op`, `partition_op`, `reduce_op`,
  `consume_op`, `scan_op`.

Predicates (field / operator / values)
- `compare`: [field, cmp_op [operator token], value]: `==`, `=~`, `has`, `contains`, ...
- `in_list`: [field, list_op [token], value, value, ...]: `in`, `!in`, `in~`, `!in~`,
  `has_any`, `has_all`. A value may be a sub-query.
- `between`: [field, between_op [token], low, high]: `between` and `!between`.
- `matches_regex`: [field, pattern].
- `any_column_compare`: [STAR, cmp_op, value] (`* has "x"`); `column_has` [column, value] in
  `search`.
- `and_`, `or_`: [left, right]; `not(...)` is a `call`.

Expressions
- `call`: [NAME, argument...]; an argument is an expression, a sub-query, `STAR` or
  `named_arg` [NAME, value]. `method_call`: [target, NAME, argument...]
  (`database("db").Table()`).
- `dot` [base, member], `index` [base, key], `arith` [left, operator, right], `neg`, `pos`.
- Literals: `string` [STRING...] (adjacent literals concatenate; see `tree.string_value`),
  `dynamic` [json], `typeof_expr`, tokens `NUMBER`, `TIMESPAN`, `TYPED_LITERAL`
  (`datetime(...)`, `guid(...)`...).

Lint rules (DAC410-DAC417) live in `lint.py` and `columns.py`; helpers in `tree.py`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable


from tooling.languages.base import LarkLanguage, describe_terminal
from tooling.languages.parse_tree import first_words, node_kinds
from tooling.languages.kql import lint
from tooling.languages.kql.columns import where_on_dropped_column
from tooling.languages.kql.tree import mark_sources

# Strings and comments, whose brackets the nesting bound (base.MAX_NESTING) does not count (same
# shapes as the grammar's terminals).
_OPAQUE = (r"""```[\s\S]*?```|~~~[\s\S]*?~~~|//[^\n]*"""
           r"""|@"(?:[^"\n]|"")*"|@'(?:[^'\n]|'')*'"""
           r"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")

# Binary scalar operators: listed as one entry when a syntax error could continue with them.
_SCALAR_OPERATORS = frozenset({
    "==", "!=", "<>", "=", "<", ">", "<=", ">=", "=~", "!~",
    "has", "!has", "has_cs", "!has_cs", "hasprefix", "!hasprefix", "hasprefix_cs", "!hasprefix_cs",
    "hassuffix", "!hassuffix", "hassuffix_cs", "!hassuffix_cs",
    "contains", "!contains", "contains_cs", "!contains_cs", "notcontains", "containscs", "notcontainscs",
    "startswith", "!startswith", "startswith_cs", "!startswith_cs",
    "endswith", "!endswith", "endswith_cs", "!endswith_cs",
    "in", "!in", "in~", "!in~", "has_any", "has_all", "between", "!between", "matches",
    "and", "or",
})
# Shown first: the tokens that close or continue the structure around the error.
_STRUCTURE = ("'|'", "';'", "','", "')'", "']'", "'}'", "'by'", "'on'", "'with'", "'='")
_LIMIT = 8
# The regex terminals in words.
_WORDS = {
    "NAME": "a name", "WILDCARD": "a name pattern such as Device*", "STRING": "a string",
    "NUMBER": "a number", "TIMESPAN": "a timespan such as 1h",
    "TYPED_LITERAL": "a literal such as datetime(...)",
    "HINT": "a hint such as hint.strategy", "RANGE": "'range'",
}


# operators that keep, drop or reshape each row alone (the rest see many rows: summarize, top,
# take, join, distinct ...); functions that read other rows or a subquery's result
_PER_EVENT_OPERATORS = frozenset({"where_op", "extend_op", "project_op", "project_away_op", "project_rename_op",
                                  "project_reorder_op", "sort_op", "union_op", "parse_op", "mv_expand_op",
                                  "mv_apply_op"})  # (a subquery on one row's array; its operators are checked too)
_EXPRESSION_RULES = frozenset({"cmp_op", "list_op", "between_op", "add_op", "mul_op"})  # not operators
_ACROSS_ROWS = frozenset({"toscalar", "prev", "next", "row_number", "row_cumsum", "row_rank_dense", "row_rank_min",
                          "row_window_session", "materialize"})

class KqlLanguage(LarkLanguage):
    def _parse(self, text: str):
        tree, errors = super()._parse(text)
        if tree is not None and not errors:
            mark_sources(tree)
            from tooling.languages.kql.escapes import undefined_escapes
            errors = undefined_escapes(tree)  # DAC304: Kusto refuses the query
        return tree, errors

    def _compile(self, tree, text: str):
        from tooling.languages.kql.evaluate import compile_query
        return compile_query(tree, text)

    def _per_event(self, tree) -> bool:
        """Row by row: only operators that keep or reshape each row alone, no function that reads
        other rows (`prev`, `row_number`, `toscalar` of a subquery)."""
        kinds = node_kinds(tree) - _EXPRESSION_RULES
        return all(kind in _PER_EVENT_OPERATORS for kind in kinds if kind.endswith("_op")) and \
            not first_words(tree, "call") & _ACROSS_ROWS

    def _references(self, tree, text: str):
        from tooling.languages.kql.references import references
        return references(tree, text)

    def _expected(self, names: Iterable[str]) -> str:
        terminals = {t.name: t.pattern for t in self.parser.terminals}
        described = {_WORDS.get(n) or describe_terminal(n, terminals.get(n)) for n in names if n != "$END"}
        if not described:
            return ""
        operators = {d for d in described if d.strip("'") in _SCALAR_OPERATORS}
        # Fold the operators only when there are many (after a complete expression); where a
        # single '(' or '[' is the only way on, name it.
        folded = len(operators) > 4
        if folded:
            described -= operators
        ordered = [d for d in _STRUCTURE if d in described]
        # words ("a name", "a string") before the remaining punctuation and keywords
        words = list(_WORDS.values())
        rest = sorted(described - set(ordered),
                      key=lambda d: (words.index(d) if d in words else len(words), d))
        if folded:
            ordered.append("an operator such as '==', 'has', 'in' or 'and'")
        ordered += rest
        more = f" (and {len(ordered) - _LIMIT} more)" if len(ordered) > _LIMIT else ""
        return "; expected " + ", ".join(ordered[:_LIMIT]) + more


LANGUAGE = KqlLanguage(
    "kql",
    "KQL",
    grammar=Path(__file__).with_name("kql.lark"),
    start="start",
    opaque=_OPAQUE,
    # Every node gets positions the cheap way (a quarter of Lark's propagate_positions).
    positions=True,
    lint_rules=[lint.safe(rule) for rule in (
        lint.list_given_one_string, lint.contains_padded_term, lint.unused_let, lint.invalid_regex,
        where_on_dropped_column, lint.wildcard_in_literal, lint.empty_between,
        lint.extract_group_out_of_range)],
)
