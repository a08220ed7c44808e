"""Splunk SPL: an LALR grammar (spl.lark) over Lark's contextual lexer, lint rules, tree helpers.

Modules: `spl.lark` the grammar; `lint.py` the DAC420-DAC428 rules; `names.py` the commands and
functions Splunk documents (data); `pcre.py` whether a regular expression compiles; `tree.py`
helpers over the tree (`commands`, `command_name`, `filters`, `data_sources`).

Dashboard tokens (`$name$`) parse as ordinary words/operands and are reported by a DAC401 lint rule.
`SplLanguage` only changes how syntax errors are worded (parsing is `LarkLanguage`'s): "expected"
comes from the parser state rather than the lexer, so keywords are included, listed once whatever
their spelling (`by`/`BY`) and without the extras LALR state merging adds; token kinds get
readable names; a quote, macro or comment that is never closed is said to be unterminated.

The tree
--------
Lark `Tree`s and `Token`s; every tree has `.meta.line/.column` (`positions=True`), every
token `.line/.column`, 1-based within the query. Keywords, `|`, brackets, commas and `=` of
options are not kept. A node listed as "(>= 2)" exists only with two or more operands; with one
the operand stands in its place. Tokens by type: WORD a bare search term or command argument
(`*\\cmd.exe`, `a,`: a comma may stay attached); STRING `"..."` with its quotes; VALUE the value of
a comparison or option; FIELD a field or function name in stats-like commands; NAME a field or
function name in eval; SQFIELD `'quoted field'`; NUMBER; MACRO `` `name(args)` `` with backticks;
TOKEN `$token$`; FOREACH_TOKEN `<<FIELD>>`; CMP_OP `= == != < <= > >=`; SUM_OP `+ - .`;
MUL_OP `* / %`; TERM_DIRECTIVE `TERM(` / `CASE(`; COMMAND_NAME the name of any other command.

Pipeline
  start            -> pipeline
  pipeline         -> base_search?, command...   (the base search, then each `| command`)
  base_search      -> search expression (the implicit `search` before the first pipe)
  command_pipeline -> command...                 (the `[...]` body of foreach / appendpipe)
  subsearch        -> pipeline                   (`[ ... ]` in a search, an argument, an eval)

Commands (the children of a pipeline; `tree.command_name(node)` gives the name)
  search_cmd   -> search expression
  where_cmd    -> expression
  eval_cmd     -> assignment...
  assignment   -> target (NAME | SQFIELD | STRING | TOKEN | FOREACH_TOKEN), expression
  stats_cmd    -> stats_name (stats | eventstats | streamstats | sistats), item..., by_clause?
  chart_cmd    -> chart_name (chart | timechart | sichart | sitimechart), item..., over_clause?,
                  by_clause?
  tstats_cmd   -> tstats_name (tstats | mstats), item..., from_clause?, tstats_where?, by_clause?
                  (item: aggregation | option | MACRO)
  aggregation  -> agg_name | agg_func, alias (FIELD | STRING)?   (`dc(user) AS users`)
  agg_name     -> FIELD                       (`count` without parentheses)
  agg_func     -> FIELD function, argument?   (argument: FIELD | STRING | MACRO | agg_eval)
  agg_eval     -> expression                  (`count(eval(status>=500))`)
  by_clause    -> field (FIELD | STRING | MACRO) or option (`span=1h`)...
  over_clause  -> field
  from_clause  -> option (`datamodel=Endpoint.Processes`) | FIELD
  tstats_where -> search expression
  option       -> FIELD name, value (VALUE | STRING | MACRO)      (`max_match=0`)
  rex_cmd      -> option..., STRING regular expression, option...
  rename_cmd   -> rename_pair...;  rename_pair -> old field, new field
  nested_cmd   -> nested_name (foreach | appendpipe), argument..., command_pipeline
  required_cmd -> required_name (table, fields, dedup, sort, lookup, inputlookup, join, append
                  ... commands that need an argument), argument...
  generic_cmd  -> COMMAND_NAME, argument...   (any other command)
  macro_cmd    -> MACRO, argument...          (a macro standing for a command)
  arguments of required/generic/macro/nested commands: WORD | STRING | MACRO | subsearch |
  gen_compare (left, CMP_OP, right: `type=left`, `count>10`) | gen_group (argument... in `( )`)

Search language (base search, `search`, tstats `where`)
  search_and      -> operand... (>= 2)   implicit or explicit AND
  search_or       -> operand... (>= 2)
  search_negation -> operand             NOT
  comparison      -> field (WORD | STRING), CMP_OP, value (VALUE | STRING | MACRO)
  in_list         -> field, value...     `field IN (a, "b")`
  term_directive  -> TERM_DIRECTIVE, search expression     `TERM(10.0.0.1)`
  operands also: WORD and STRING (bare terms and phrases), MACRO, subsearch

Expressions (eval, where, agg_eval)
  xor_expr / or_expr / and_expr -> operand... (>= 2)
  negation     -> operand                 NOT / not
  compare      -> left, CMP_OP, right
  like / not_like                -> left, pattern          (`x LIKE "a%"`)
  in_expr / not_in_expr          -> left, arguments?       (`x IN ("a", "b")`)
  sum_expr     -> operand, SUM_OP, operand ...  (>= 2; `.` concatenates)
  product      -> operand, MUL_OP, operand ...  (>= 2)
  sign         -> operand                 unary minus
  call         -> NAME function, arguments?              (`if(a, b, c)`)
  in_call / like_call -> arguments        (`in(x, "a")`, `like(x, "a%")`)
  arguments    -> expression...
  atoms: NAME (a field), SQFIELD, STRING, NUMBER, TOKEN, FOREACH_TOKEN, MACRO, subsearch
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from lark import Token, Tree

from tooling.diagnostics import Diagnostic
from tooling.languages.base import LarkLanguage, describe_terminal, placeholder_rule
from tooling.languages.parse_tree import first_words
from tooling.languages.spl.lint import RULES

# Readable names for the grammar's terminals in "expected ..." messages.
_TERMINAL_NAMES = {  # in the order they are listed
    "COMMAND_NAME": "a command name",
    "NAME": "a field or function name",
    "FIELD": "a field name",
    "WORD": "a search term",
    "VALUE": "a value",
    "NUMBER": "a number",
    "STRING": "a quoted string",
    "SQFIELD": "a 'quoted field'",
    "MACRO": "a `macro`",
    "CMP_OP": "a comparison operator",
    "SUM_OP": "+ - .",
    "MUL_OP": "* / %",
    "FOREACH_TOKEN": "<<FIELD>>",
    "TOKEN": "a $token$",
    "TERM_DIRECTIVE": "a TERM() or CASE() directive",
}
# Clause keywords of the stats family that a given member does not have.
_STATS_CLAUSES = {"stats_name": {"from", "where", "over"}, "chart_name": {"from", "where"},
                  "tstats_name": {"over"}}
_RANK = {name: rank for rank, name in enumerate(_TERMINAL_NAMES)}
_QUOTES = {'"': "quoted string", "'": "quoted field name", "`": "macro"}
_CLOSED = {'"': re.compile(r'"(?:[^"\\]|\\.)*"', re.S), "'": re.compile(r"'(?:[^'\\]|\\.)*'", re.S),
           "`": re.compile(r"`[^`]+`")}


# commands that see many events at once; and the named commands that handle each event alone
_ACROSS_EVENTS = frozenset({"stats_cmd", "chart_cmd", "tstats_cmd", "subsearch", "nested_cmd", "macro_cmd"})
_PER_EVENT_COMMANDS = frozenset({"table", "fields", "sort", "rename", "regex", "spath", "fillnull", "convert",
                                 "lookup"})

class SplLanguage(LarkLanguage):
    def _compile(self, tree, text: str):
        """The query compiled for evaluation (pipeline.py and the modules it names)."""
        from tooling.languages.spl.pipeline import compile_query

        return compile_query(tree, text)

    def _per_event(self, tree) -> bool:
        """Event by event: search, where, eval, rex, rename and display commands; no stats,
        tstats, subsearch, macro command, dedup, head or `sort N`."""
        for node in tree.iter_subtrees():
            if node.data in _ACROSS_EVENTS:
                return False
            if node.data in ("required_cmd", "generic_cmd"):
                name = first_words(node, node.data).pop() if node.children else ""
                if name not in _PER_EVENT_COMMANDS:
                    return False
                if name == "sort" and any(isinstance(t, Token) and str(t).isdigit() for t in node.scan_values(
                        lambda v: isinstance(v, Token))):
                    return False  # `sort 5 x`: a limit
        return True

    def _per_event_in(self, text: str, context) -> bool:
        # a macro is expanded as text: one whose body has a pipe or a subsearch may add a command
        return "`" not in text or not any("|" in body or "[" in body for body in context.macros.values())

    def _references(self, tree, text: str):
        """Tables (indexes, sourcetypes, data models, lookups), fields and compared values."""
        from tooling.languages.spl.references import references

        return references(tree, text)

    def _expected(self, names: Iterable[str]) -> str:
        names = list(names)
        terminals = {t.name: t.pattern for t in self.parser.terminals}
        kinds: list[str] = []  # terminal names, listed by _RANK
        literals: dict[str, str] = {}
        for name in names:
            if name == "$END":
                continue
            if name in _TERMINAL_NAMES:
                kinds.append(name)
                continue
            text = describe_terminal(name, terminals.get(name))
            if "COMMAND_NAME" in names and text.strip("'").isalpha():
                continue  # command keywords (`eval`, `stats` ...) are all "a command name"
            # one entry per keyword whatever its case: prefer the upper-case spelling
            key = text.lower()
            if key not in literals or text < literals[key]:
                literals[key] = text
        described = [_TERMINAL_NAMES[k] for k in sorted(set(kinds), key=_RANK.get)]
        described += sorted(literals.values())
        if not described:
            return "; expected the end of the query or '|'" if "$END" in names else ""
        more = f" (and {len(described) - 10} more)" if len(described) > 10 else ""
        return "; expected " + ", ".join(described[:10]) + more

    def _syntax_error(self, exc, text: str) -> Diagnostic:
        diagnostic = super()._syntax_error(exc, text)
        head = diagnostic.message.split("; expected ", 1)[0]
        # Lark lists what the *lexer* of the state could read, in which keywords are folded into
        # the word terminals; the parser state says what may come next, keywords included.
        interactive = getattr(exc, "interactive_parser", None)
        expected = diagnostic.message[len(head):]
        accepted: list[str] = []
        if interactive is not None:
            try:
                names = {t.name for t in self.parser.terminals} | {"$END"}
                accepted = [n for n in interactive.choices() if n in names]
                words, ignored = _merged_lookaheads(interactive.parser_state.value_stack)
                ignored |= {t.name for t in self.parser.terminals
                            if isinstance(t.pattern.value, str) and t.pattern.value.lower() in words}
                expected = self._expected([n for n in accepted if n not in ignored])
            except Exception:  # pragma: no cover - wording only; keep Lark's list
                accepted = []
        unclosed = _unclosed_quote(text, diagnostic.line, diagnostic.column, "SQFIELD" in accepted)
        if unclosed:
            head, expected = f"{self.name} syntax error: unterminated {unclosed}", ""
        return Diagnostic(diagnostic.code, head + expected, diagnostic.line, diagnostic.column)


def _merged_lookaheads(stack: list) -> tuple[set[str], set[str]]:
    """Terminals the LALR tables allow here only because states of different contexts merged.

    Parsing `| stats count )` the state after `count` is shared with tstats and chart, whose
    `from`/`where`/`over` then show up as "expected"; likewise `]` and `)` with no open bracket.
    The value stack (tokens and subtrees shifted so far) says which context we are really in.
    Returns keywords (lower case) and terminal names to leave out of the message.
    """
    words: set[str] = set()
    shifted = [v.type for v in stack if isinstance(v, Token)]
    ignored = {name for name, opener in (("RSQB", "LSQB"), ("RPAR", "LPAR")) if opener not in shifted}
    for value in reversed(stack):
        if isinstance(value, Token) and value.type in ("VBAR", "LSQB", "LPAR"):
            break
        if isinstance(value, Tree) and value.data in _STATS_CLAUSES:
            words = _STATS_CLAUSES[value.data]
            break
    return words, ignored


def _unclosed_quote(text: str, line: int, column: int, field_quote: bool) -> str | None:
    """What is left open when the error sits on a quote that is never closed, else None."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    offset = sum(len(previous) + 1 for previous in lines[:line - 1]) + column - 1
    rest = text[offset:]
    if rest.startswith("```"):
        return None if "```" in rest[3:] else "comment: no closing ``` after this one"
    quote = rest[:1]
    if quote not in _QUOTES or (quote == "'" and not field_quote):
        return None
    if _CLOSED[quote].match(rest):
        return None
    return f"{_QUOTES[quote]}: no closing {quote} after this one"


LANGUAGE = SplLanguage(
    "spl",
    "SPL",
    grammar=Path(__file__).with_name("spl.lark"),
    start="start",
    lint_rules=(placeholder_rule("SPL", r"\$\w+\$", "dashboard token"), *RULES),
    positions=True,  # every node, the cheap way (a quarter of Lark's propagate_positions)
)
