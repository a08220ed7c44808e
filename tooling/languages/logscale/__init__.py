"""CrowdStrike Query Language (CQL) as used by Falcon LogScale / Next-Gen SIEM.

The grammar is `logscale.lark` (LALR, contextual lexer). `LogScaleLanguage` adds three things to
`LarkLanguage`: comparisons on a tag field are renamed `tag_filter` after parsing; the "expected
..." list of a syntax error names tokens in CQL's own words; and the lint rules (lint.py,
aggregate.py, DAC470-DAC474, and DAC401 for query parameters).

Query parameters (`?name`, `?"name"`, `?{name=default}`) are valid CQL, but they are filled in by a
dashboard or a person at search time, never by an alert or scheduled search, so each one is
reported as a DAC401 warning. The rule reads PARAM tokens from the parse tree rather than
matching the text, so a `?` inside a regex (`(?<name>...)`, `net1?`) or a string is not reported.

The parse tree
--------------
Every node has `meta.line` / `meta.column` (1-based, within the query); every token has `.line` /
`.column`. Token types: WORD (an unquoted pattern, field or function name in a filter; `*` globs
included), NAME (a field name, number or bare value in an expression or argument), STRING
(`"..."`, quotes kept), REGEX (`/.../flags`), PARAM (`?x`), GLOB (`*...` as an argument value),
SAVED_SEARCH (`$name`), LABEL (`name:` in correlate()), and the keywords AND, OR, NOT, LIKE, IN,
CASE, MATCH.

==================  ===========================================================================
node                children
==================  ===========================================================================
start               one `pipeline` (the query)
pipeline            one or more `stage` (the parts between `|`)
stage               exactly one of: a filter node (below), `call`, `saved_search`,
                    `assignment`, `case_stmt`, `match_stmt`, `aggregate_list`
filter_and          two or more filter nodes, with an AND token between those joined
                    explicitly (no token: implicit AND)
filter_or           two or more filter nodes separated by OR tokens
not_filter          [NOT token (absent for `!`), filter node]
comparison          [field, compare_op, value]: `field op value`. field: WORD or STRING;
                    compare_op: a node holding the operator token (= != == < <= > >= <=>);
                    value: WORD (may hold `*` globs), STRING, REGEX (a regex filter on the
                    field) or PARAM
tag_filter          a `comparison` whose field is a tag (`#event_simpleName=ProcessRollup2`)
like                [field, LIKE, value]
in_list             [field, IN, list]
function_match      [field, call]: `field =~ wildcard(...)`
freetext            [WORD | STRING | PARAM]: a free-text search term (`*` alone: everything)
regex_filter        [REGEX]: a bare `/regex/flags` run against @rawstring
call                [name token (WORD or NAME, `array:contains` included), `arguments`?]
saved_search        [SAVED_SEARCH token, `arguments`?]: `$name(...)`, `$"pkg/name"(...)`
arguments           argument nodes, in order
named_argument      [NAME token, value]: `name=value`
positional_argument [value]: an argument without a name
labelled_query      [LABEL, subquery, (LABEL, value)*]: correlate()'s `name: {...} include: [..]`
subquery            [`pipeline`?]: `{ ... }` passed to join(), defineTable(), array:filter() ...
list                values: `[a, b, ...]`
assignment          [field token, expression]: `field := expression`
case_stmt           [CASE, `case_branch`+]
case_branch         [`pipeline`]: its first stage is the condition; `*` is the default branch
match_stmt          [field, MATCH, `match_clause`+]
match_clause        [guard (WORD, STRING, REGEX token or `call`), `pipeline`]: `guard => ...`
aggregate_list      argument nodes: `[count(), {sub-query}]` run in parallel
==================  ===========================================================================

Expressions (after `:=` and in function arguments) use `expr_or`, `expr_and` (with OR/AND
tokens), `not_expr`, `expr_compare` [left, `expr_compare_op`, right], `expr_sum` and
`expr_product` (operands alternating with `add_op` / `mul_op` nodes), `negate`, and the operands
`call`, `list` and NAME, GLOB, STRING, PARAM tokens. A value made of one token is the token itself.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from lark import Tree

from tooling.diagnostics import Diagnostic
from tooling.languages.base import BATCH_SIZE, STRUCTURE, LarkLanguage, describe_terminal
from tooling.languages.parse_tree import node_kinds
from tooling.languages.logscale.aggregate import dropped_field_rule
from tooling.languages.logscale.lint import RULES, index

# Readable words for the grammar's named terminals in "expected ..." messages.
_WORDS = {
    "WORD": "a word or pattern",
    "NAME": "a field name or value",
    "STRING": "a quoted string",
    "REGEX": "a /regex/",
    "PARAM": "a ?parameter",
    "GLOB": "a * pattern",
    "SAVED_SEARCH": "a $saved_search()",
    "LABEL": "a label:",
    "AND": "'and'", "OR": "'or'", "NOT": "'not'", "LIKE": "'like'", "IN": "'in'",
    "CASE": "'case'", "MATCH": "'match'",
}
_COMPARISONS = {"'='", "'!='", "'=='", "'<'", "'<='", "'>'", "'>='", "'<=>'"}
_ARITHMETIC = {"'+'", "'-'", "'*'", "'/'", "'%'"}


def query_parameter_rule(tree, _text):
    """DAC401 for every query parameter token in the parse tree."""
    if not isinstance(tree, Tree):
        return
    for token in sorted(index(tree).get("PARAM", []), key=lambda t: (t.line, t.column)):
        yield Diagnostic("DAC401", f"LogScale query contains the query parameter {str(token)!r}",
                         token.line or 1, token.column or 1)


def _at_least(value, bound: int) -> bool:
    """A limit= argument that is a number of at least `bound` (one written as text is unsure)."""
    text = str(value.children[0] if isinstance(value, Tree) and value.children else value)
    return text.isdigit() and int(text) >= bound


class LogScaleLanguage(LarkLanguage):
    def _parse(self, text: str):
        tree, errors = super()._parse(text)
        if isinstance(tree, Tree):
            index(tree)  # names the tag filters, and indexes the nodes for the lint rules
        return tree, errors

    def _compile(self, tree, text: str):
        """The query compiled for evaluation (evaluate.py)."""
        from tooling.languages.logscale.evaluate import compile_query  # noqa: PLC0415 - loaded when evaluating

        return compile_query(tree, text)

    def _per_event(self, tree) -> bool:
        """Event by event: filters, assignments, case/match and row functions; `table`, `select`
        and `sort` without a limit only order or show rows (the evaluator keeps 200, more than a
        package's samples, or its own limit when at least as many); no aggregate, head/tail, join or defineTable."""
        from tooling.languages.logscale.batch import BATCH

        if node_kinds(tree) & {"aggregate_list", "subquery", "saved_search"}:
            return False
        for call in tree.find_data("call"):
            name = str(call.children[0]).lower()
            if name in BATCH and (name not in ("table", "sort") or any(
                    str(argument.children[0]).lower() == "limit" and not _at_least(argument.children[-1], BATCH_SIZE)
                    for argument in call.find_data("named_argument"))):
                return False
        return True

    def _references(self, tree, text: str):
        """Tags, fields and compared values the query names (references.py)."""
        from tooling.languages.logscale.references import references  # noqa: PLC0415

        return references(tree, text)

    def _expected(self, names: Iterable[str]) -> str:
        names = set(names)
        terminals = {t.name: t.pattern for t in self.parser.terminals}
        described = {_WORDS.get(n) or describe_terminal(n, terminals.get(n))
                     for n in names if n != "$END"}
        groups = []
        if len(described & _COMPARISONS) >= 3:
            described -= _COMPARISONS
            groups.append("a comparison operator")
        if len(described & _ARITHMETIC) >= 3:
            described -= _ARITHMETIC
            groups.append("an arithmetic operator")
        # Closers and the end first (usually what was forgotten), then kinds of token, then the rest.
        closers = [d for d in STRUCTURE if d in described]
        kinds = [w for w in _WORDS.values() if w in described and not w.startswith("'")]
        rest = sorted(described - set(STRUCTURE) - set(kinds))
        end = ["the end of the query"] if "$END" in names else []
        ordered = closers + end + kinds + groups + rest
        if not ordered:
            return ""
        more = f" (and {len(ordered) - 10} more)" if len(ordered) > 10 else ""
        return "; expected " + ", ".join(ordered[:10]) + more


LANGUAGE = LogScaleLanguage(
    "logscale",
    "LogScale",
    grammar=Path(__file__).with_name("logscale.lark"),
    start="start",
    lint_rules=(query_parameter_rule, *RULES, dropped_field_rule),
    positions=True,  # every node, the cheap way (a quarter of Lark's propagate_positions)
)
