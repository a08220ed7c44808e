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
  really accepts, because LALR lookahead sets merge contexts (e.g. 'begin' inside a call);
  `_expected` then words them in AQL's terms ("an expression", "an operator", "a clause").

Lint rules (DAC440-DAC447) live in `lint.py`; the documented function list they check calls
against is data in `functions.py`; `nodes.py` has helpers that read the tree (`predicates`,
`calls`, `statements`, ...).

Parse tree
----------
`parse(text).tree` is a Lark `Tree`; every node has `meta.line` / `meta.column` (1-based) and
every token `line` / `column`. Optional parts are kept as `None` children, so each node's
children sit at fixed positions. Keywords are tokens named after themselves (`SELECT`, `FROM`,
`AND`, ...). Node types, with their children in order:

Statement and clauses
* `start` - the query: one `select_stmt`.
* `select_stmt` - `SELECT`, `select_list`, then one slot per clause in the documented order,
  each a clause node or None: `from_clause`, `into_clause`, `where_clause`, `session_clause`,
  `group_clause`, `having_clause`, `order_clause`, `limit_clause`, the time clause
  (`last_clause` or `start_stop_clause`), `parameters_clause`.
* `select_list` - `select_all` (`*`, no children) and `select_expr` items.
* `select_expr` - an expression and its `alias` or None.
* `alias` - `[AS]` and the name: a NAME, QUOTED_NAME (`"Total"`) or STRING (`'Event Name'`).
* `from_clause` - `FROM` and the data source: `table_name` (a NAME or QUOTED_NAME token:
  events, flows, simarc...), a `call` (table function: `GLOBALVIEW('view', 'DAILY')`) or
  `subquery_source` (its `select_stmt`).
* `into_clause` - `INTO` and the cursor name (STRING, NAME or QUOTED_NAME).
* `where_clause` - `WHERE` and the condition expression.
* `session_clause` - `SESSION`, `BY`, the time `field`, an `expr_list` of session keys, then
  `session_begin` / `session_end` (`[EXPLICIT]`, `BEGIN`/`END`, condition),
  `session_timeout` (`TIMEOUT`, INT, unit or None), `session_timewindow` (`TIMEWINDOW`, INT, unit).
* `group_clause` - `GROUP`, `BY`, `expr_list` of grouping expressions.
* `having_clause` - `HAVING` and the condition.
* `order_clause` - `ORDER`, `BY`, `order_item`s; `order_item` - expression, ASC/DESC or None,
  COLLATE or None, the collation STRING or None.
* `limit_clause` - `LIMIT`, INT.
* `last_clause` - `LAST`, INT, `time_unit` (one token: SECOND(S), MINUTE(S), HOUR(S), DAY(S)).
* `start_stop_clause` - `START`, the start time, `STOP` or None, the stop time or None; a
  time is a STRING (`'2024-01-01 00:00'`), an INT (epoch ms) or a `call` (`PARSEDATETIME(...)`).
* `parameters_clause` - `PARAMETERS` and `parameter`s; `parameter` - NAME and its value
  (INT, STRING, NAME or `call`).

Filters (each one predicate: field / operator / values; `nodes.predicates` reads them as
`Predicate(node, left, operator, values)`)
* `comparison` - left, COMP_OP token (`=`, `==`, `!=`, `<>`, `<`, `>`, `<=`, `>=`), right.
* `between` - operand, `NOT` or None, `BETWEEN`, low, `AND`, high.
* `in_list` - operand, `NOT` or None, `IN`, then an `expr_list` of values or a `select_stmt`.
* `string_match` - operand, `NOT` or None, `match_op` (one token: LIKE, ILIKE, MATCHES,
  IMATCHES), the pattern (usually a STRING).
* `is_null` - operand, `IS`, `NOT` or None, `NULL`.
* `text_search` - the `TEXT SEARCH` token, the STRING searched for.
* `or_expr` / `and_expr` - operands with the OR / AND tokens between them (only present when
  there are two or more operands); `not_` - `NOT` and its operand.

Expressions
* `field` - one NAME (`sourceip`) or QUOTED_NAME (`"Process CommandLine"`, quotes kept).
* literals are tokens: STRING (`'x'`, quotes kept), INT, DECIMAL, HEX, NULL.
* `call` - `function_name` and `arguments`, `star_argument` (`COUNT(*)`) or None (`NOW()`);
  `function_name` - one NAME, or two for a namespace (`GEO`, `LOOKUP` for `GEO::LOOKUP`);
  `arguments` - one child per argument expression.
* `binary` - left, operator token (ADD_OP, MUL_OP, BIT_OP, SHIFT_OP), right.
* `negate` - ADD_OP (`-`), operand; `bit_not` - operand of `~`.
* `case_expr` - `CASE`, the operand or None, `when_branch`es (`WHEN`, condition, `THEN`,
  value), `ELSE` or None, the else value or None, `END`.
* `if_expr` - `IF`, condition, `THEN`, value, `ELSE`, value.
* `expr_list` - expressions separated by commas (GROUP BY, IN lists, session keys).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Iterable

from lark import Token, Tree

from tooling.diagnostics import Diagnostic
from tooling.languages.aql.lint import RULES
from tooling.languages.base import STRUCTURE, LarkLanguage, describe_terminal, position_of
from tooling.languages.parse_tree import first_words, node_kinds

# Words for the terminals that have no literal text, and groups of terminals that read better as
# one phrase ("an expression" instead of eleven token kinds).
_WORDS = {
    "NAME": "a name",
    "QUOTED_NAME": 'a "quoted name"',
    "STRING": "a 'string'",
    "INT": "a whole number",
    "DECIMAL": "a decimal number",
    "HEX": "a hex number",
    "COMP_OP": "a comparison ('=', '!=', '<>', '<', '>', '<=', '>=')",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*', '/', '%' or '^'",
    "BIT_OP": "'&' or '|'",
    "SHIFT_OP": "'<<' or '>>'",
    "TEXT_SEARCH": "'text search'",
}
_EXPRESSION = {"NAME", "QUOTED_NAME", "STRING", "INT", "DECIMAL", "HEX", "NULL", "CASE", "IF", "LPAR",
               "ADD_OP", "TILDE"}
_OPERATORS = {"COMP_OP", "BETWEEN", "IN", "IS", "LIKE", "ILIKE", "MATCHES", "IMATCHES", "ADD_OP",
              "MUL_OP", "BIT_OP", "SHIFT_OP"}
_CLAUSES = {"INTO": "'into'", "WHERE": "'where'", "SESSION": "'session by'", "GROUP": "'group by'",
            "HAVING": "'having'", "ORDER": "'order by'", "LIMIT": "'limit'", "LAST": "'last'",
            "START": "'start'", "PARAMETERS": "'parameters'"}
_UNCLOSED = {"'": "a 'string' that is not closed on its line", '"': 'a "quoted name" that is not closed on its line',
             "/": "a /* comment */ that is not closed"}
_UNITS = {"SECOND", "SECONDS", "MINUTE", "MINUTES", "HOUR", "HOURS", "DAY", "DAYS"}


_AGGREGATES = frozenset({"count", "sum", "avg", "min", "max", "first", "last", "uniquecount", "stdev", "stdevp",
                         "variance", "variancep", "median", "distinctcount"})

class AqlLanguage(LarkLanguage):
    def _compile(self, tree: Tree, text: str):
        """The query as a `Compiled` callable with QRadar's semantics (evaluate.py)."""
        from tooling.languages.aql.evaluate import compile_query

        return compile_query(tree)

    def _per_event(self, tree: Tree) -> bool:
        """One SELECT without GROUP BY, HAVING, LIMIT, SESSION BY or an aggregate function."""
        kinds = node_kinds(tree)
        if kinds & {"group_clause", "having_clause", "limit_clause", "session_clause", "into_clause",
                    "parameters_clause"}:
            return False
        if sum(1 for _ in tree.find_data("select_stmt")) != 1:
            return False  # a subquery reads all events
        return not first_words(tree, "function_name") & _AGGREGATES

    def _references(self, tree: Tree, text: str):
        """Tables, fields and compared values the query names (references.py)."""
        from tooling.languages.aql.references import references

        return references(tree)

    def _expected(self, names: Iterable[str]) -> str:
        names = {n for n in names if n != "$END"}
        if not names:
            return ""
        phrases: list[str] = []
        if {"NAME", "STRING", "INT"} <= names:
            phrases.append("an expression (a field, 'string', number, function call, case, if or '(')")
            names -= _EXPRESSION
        if "COMP_OP" in names and "BETWEEN" in names:
            phrases.append("an operator ('=', '<>', '<', 'like', 'ilike', 'matches', 'in', 'between', "
                           "'is', '+', '*', ...)")
            names -= _OPERATORS | {"NOT"}
        if {"ADD_OP", "MUL_OP"} <= names:
            phrases.append("an arithmetic operator ('+', '-', '*', '/', '%', '^', '&', '|', '<<', '>>')")
            names -= {"ADD_OP", "MUL_OP", "BIT_OP", "SHIFT_OP"}
        clauses = [word for name, word in _CLAUSES.items() if name in names]
        if len(clauses) >= 3:
            phrases.append("a clause (" + ", ".join(clauses) + ")")
            names -= set(_CLAUSES)
        if _UNITS <= names:
            phrases.append("a time unit ('seconds', 'minutes', 'hours', 'days')")
            names -= _UNITS
        terminals = {t.name: t.pattern for t in self.parser.terminals}
        words = {_WORDS.get(n) or describe_terminal(n, terminals.get(n)) for n in names}
        ordered = ([w for w in STRUCTURE if w in words] + phrases
                   + sorted(words - set(STRUCTURE), key=lambda w: (not w.startswith("'"), w)))
        return "; expected " + ", ".join(ordered)

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
        from lark.exceptions import UnexpectedCharacters

        accepted = self.exact_expected(text)
        diagnostic = super()._syntax_error(exc, text)
        unclosed = _UNCLOSED.get(getattr(exc, "char", None)) if isinstance(exc, UnexpectedCharacters) else None
        token = getattr(exc, "token", None)
        start = getattr(token, "start_pos", None)
        if str(token) == "/" and isinstance(start, int) and text[start:start + 2] == "/*":
            unclosed = _UNCLOSED["/"]  # `/*` without `*/` is not a comment: the lexer sees '/'
        if unclosed:
            head, _, tail = diagnostic.message.partition("; expected")
            diagnostic = replace(diagnostic, message=f"{head} ({unclosed})" + (f"; expected{tail}" if tail else ""))
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
        stray = next(children[1].scan_values(lambda v: isinstance(v, Token) and v.type == "NAME"
                                             and v.value.lower() == "from"), None)
        if stray is not None:  # `SELECT a, FROM events`: FROM was read as a field after the comma
            return [Diagnostic("DAC301", f"{name} syntax error: unexpected {stray.value!r} after ','; expected "
                               "an expression (or remove the trailing ',')", stray.line, stray.column)]
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
    lint_rules=RULES,
    # Lark's own positions: the end-of-query comment check needs the extents it keeps for
    # inlined rules (a parenthesised condition's parent ends at its ')').
    propagate_positions=True,
)
