"""The language contract: `Language.parse(text) -> ParseResult`, never raising, never hanging.

A language folder knows nothing about packages. It turns query text into a tree and a list of
`Diagnostic`s whose line/column are 1-based positions within the query; the validator maps them
into the YAML file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from tooling.diagnostics import Diagnostic

# Far above any hand-written detection (the largest corpus query is ~40 kB); bounds work per query.
MAX_QUERY_CHARS = 200_000

LintRule = Callable[[Any, str], Iterable[Diagnostic]]


@dataclass
class ParseResult:
    ok: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tree: Any = None


class Language:
    """One query language. Subclasses implement `_parse`; `parse` adds the guarantees."""

    def __init__(self, key: str, name: str, lint_rules: Sequence[LintRule] = ()):
        self.key = key
        self.name = name  # short display name used in messages, e.g. "KQL"
        self.lint_rules = tuple(lint_rules)

    def parse(self, text: str) -> ParseResult:
        if not isinstance(text, str):
            return ParseResult(False, [Diagnostic("DAC301", f"{self.name} syntax error: a query must be text")])
        if len(text) > MAX_QUERY_CHARS:
            return ParseResult(False, [Diagnostic(
                "DAC302", f"{self.name} query is {len(text):,} characters; the bound is {MAX_QUERY_CHARS:,}")])
        if not text.strip():
            return ParseResult(False, [Diagnostic("DAC301", f"{self.name} syntax error: the query is empty")])
        try:
            tree, errors = self._parse(text)
        except RecursionError:
            return ParseResult(False, [Diagnostic("DAC302", f"{self.name} query is nested too deeply to parse")])
        if errors:
            return ParseResult(False, errors, tree)
        lint: list[Diagnostic] = []
        for rule in self.lint_rules:
            lint.extend(rule(tree, text))
        return ParseResult(True, lint, tree)

    def _parse(self, text: str) -> tuple[Any, list[Diagnostic]]:  # pragma: no cover - abstract
        raise NotImplementedError


def describe_terminal(name: str, pattern: Any | None) -> str:
    """A readable name for a grammar terminal: the literal for keywords/punctuation, else a word."""
    if pattern is not None and getattr(pattern, "type", None) == "str":
        return repr(pattern.value)
    cleaned = name.lstrip("_").lower().replace("_", " ")
    if cleaned.startswith("anon"):
        return "token"
    return cleaned


def position_of(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


class LarkLanguage(Language):
    """A language whose grammar is a Lark LALR grammar file beside its module.

    The parser is built once per process and Lark's on-disk cache keeps start-up small.
    """

    def __init__(self, key: str, name: str, grammar: Path, start: str = "start",
                 lint_rules: Sequence[LintRule] = (), lexer: str = "contextual",
                 preprocess: Callable[[str], str] | None = None, **lark_options: Any):
        super().__init__(key, name, lint_rules)
        self.grammar = grammar
        self.start = start
        self.lexer = lexer
        self.preprocess = preprocess
        self.lark_options = lark_options

    @cached_property
    def parser(self):
        from lark import Lark

        options = {"propagate_positions": True, "cache": True, **self.lark_options}
        return Lark(self.grammar.read_text(encoding="utf-8"), parser="lalr", lexer=self.lexer,
                    start=self.start, **options)

    def _parse(self, text: str):
        from lark.exceptions import UnexpectedInput

        source = self.preprocess(text) if self.preprocess else text
        try:
            return self.parser.parse(source), []
        except UnexpectedInput as exc:
            return None, [self._syntax_error(exc, text)]

    def _expected(self, names: Iterable[str]) -> str:
        terminals = {t.name: t.pattern for t in self.parser.terminals}
        described = sorted({describe_terminal(n, terminals.get(n)) for n in names if n != "$END"})
        if not described:
            return ""
        more = f" (and {len(described) - 8} more)" if len(described) > 8 else ""
        return "; expected " + ", ".join(described[:8]) + more

    def _syntax_error(self, exc, text: str) -> Diagnostic:
        from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

        line, column = getattr(exc, "line", None), getattr(exc, "column", None)
        if isinstance(exc, UnexpectedToken) and exc.token.type == "$END" or isinstance(exc, UnexpectedEOF):
            line, column = position_of(text, len(text.rstrip()))
            found = "unexpected end of query"
        elif isinstance(exc, UnexpectedToken):
            found = f"unexpected {_show(str(exc.token))}"
        elif isinstance(exc, UnexpectedCharacters):
            found = f"unexpected character {_show(exc.char)}"
        else:  # pragma: no cover - Lark has no other UnexpectedInput kinds
            found = "unexpected input"
        expected = self._expected(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
        if not isinstance(line, int) or line < 1:
            line, column = 1, 1
        return Diagnostic("DAC301", f"{self.name} syntax error: {found}{expected}", line, max(column, 1))


def _show(token: str) -> str:
    token = token if len(token) <= 30 else token[:27] + "..."
    return repr(token)


def placeholder_rule(language_name: str, pattern: str, kind: str) -> LintRule:
    """DAC401: a lint rule reporting template placeholders (dashboard variables, tokens)."""
    regex = re.compile(pattern)

    def rule(_tree: Any, text: str) -> Iterable[Diagnostic]:
        for match in regex.finditer(text):
            line, column = position_of(text, match.start())
            yield Diagnostic("DAC401", f"{language_name} query contains the {kind} {match.group(0)!r}",
                             line, column)

    return rule
