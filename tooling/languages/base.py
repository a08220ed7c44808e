"""The language contract: `Language.parse(text) -> ParseResult`, never raising, never hanging.

A language folder knows nothing about packages. It turns query text into a tree and a list of
`Diagnostic`s whose line/column are 1-based positions within the query; the validator maps them
into the YAML file.
"""
from __future__ import annotations

import re
from copy import copy
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from tooling.diagnostics import Diagnostic
from tooling.languages.evaluation import (
    EMPTY_CONTEXT, Compiled, Deadline, Evaluation, EvaluationContext, NotEvaluated, checked_events,
)
from tooling.languages.lalr import LalrLoop, UnsupportedParser
from tooling.languages.parse_tree import add_positions
from tooling.languages.parser_cache import build_parser

# Far above any hand-written detection (the largest corpus query is ~40 kB); bounds work per query.
MAX_QUERY_CHARS = 200_000
# Brackets nested deeper than this are not a hand-written detection (real queries stay under 20).
# A deeper query gets DAC303 before it is parsed, so neither the parser's error reporting nor a
# lint rule or evaluator walking the tree spends time on it.
MAX_NESTING = 200
# Quoted strings, whose brackets do not count; a language passes its own shapes (comments, raw
# strings) as `opaque`. Only a query with over MAX_NESTING brackets in all is scanned.
QUOTED = r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
_BRACKET = re.compile(r"[(\[{]|[)\]}]")

LintRule = Callable[[Any, str], Iterable[Diagnostic]]

STRUCTURE = ("')'", "']'", "'}'", "'|'", "','", "';'")


@dataclass(frozen=True)
class Reference:
    """A name a query uses, for the platform checks (tooling/platforms): a table (or index, event
    type), a field, or a literal compared with a field. Positions are 1-based, in the query."""

    kind: str  # "table" | "field" | "value"
    name: str  # the table or field name
    line: int
    column: int
    tables: tuple[str, ...] = ()  # the tables in scope where the field is used, when known
    value: str | None = None  # kind "value": the literal compared with field `name`
    operator: str | None = None  # the operator applied to the field, when known (e.g. "==", ":")
    produced: bool = False  # a field made by an earlier stage of the query (extend, eval, parse, :=)


@dataclass
class ParseResult:
    ok: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tree: Any = None


# the most events `per_event` queries are run on at once (a package has a few dozen samples)
BATCH_SIZE = 100


class Language:
    """One query language. Subclasses implement `_parse`; `parse` adds the guarantees."""

    def __init__(self, key: str, name: str, lint_rules: Sequence[LintRule] = (), opaque: str = QUOTED):
        self.key = key
        self.name = name  # short display name used in messages, e.g. "KQL"
        self.lint_rules = tuple(lint_rules)
        self.opaque = re.compile(opaque)  # strings and comments, whose brackets do not nest

    def parse(self, text: str) -> ParseResult:
        # The same query is parsed for its diagnostics, then compiled for its verdicts: keep the
        # last few results.
        return self._kept("_recent_parses", text, lambda: self._parse_checked(text), bound=32)

    def _kept(self, cache: str, text: Any, make: Callable[[], Any], bound: int = 1024) -> Any:
        """`make()`, kept by the query's text in this language's cache named `cache` (emptied once
        it holds `bound` texts): what is derived from a query's text alone (its parse, compiled
        form, references, whether it runs per event) is made once. Callers read a result, never
        change it. A text that is not a string is not kept."""
        kept = self.__dict__.setdefault(cache, {})
        found = kept.get(text) if isinstance(text, str) else None
        if found is None:
            found = make()
            if isinstance(text, str):
                if len(kept) >= bound:
                    kept.clear()
                kept[text] = found
        return found

    def _parsed(self, text: str) -> ParseResult:
        """The query's parse, from the recent ones when there (not a second call of `parse`)."""
        return self.__dict__.get("_recent_parses", {}).get(text) or self.parse(text)

    def _parse_checked(self, text: str) -> ParseResult:
        if not isinstance(text, str):
            return ParseResult(False, [Diagnostic("DAC301", f"{self.name} syntax error: a query must be text")])
        if len(text) > MAX_QUERY_CHARS:
            return ParseResult(False, [Diagnostic(
                "DAC302", f"{self.name} query is {len(text):,} characters; the bound is {MAX_QUERY_CHARS:,}")])
        if not text.strip():
            return ParseResult(False, [Diagnostic("DAC301", f"{self.name} syntax error: the query is empty")])
        # Only a query with very many brackets can break the bound; skip the scan otherwise.
        if text.count("(") + text.count("[") + text.count("{") > MAX_NESTING:
            depth, offset = deepest_nesting(text, self.opaque)
            if depth > MAX_NESTING:
                return ParseResult(False, [Diagnostic(
                    "DAC303", f"{self.name} query nests brackets {depth:,} deep; the bound is {MAX_NESTING}",
                    *position_of(text, offset))])
        try:
            tree, errors = self._parse(text)
        except RecursionError:
            return ParseResult(False, [Diagnostic("DAC303", f"{self.name} query is nested too deeply to parse")])
        if errors:
            return ParseResult(False, errors, tree)
        lint: list[Diagnostic] = []
        for rule in self.lint_rules:
            lint.extend(rule(tree, text))
        return ParseResult(True, lint, tree)

    def _parse(self, text: str) -> tuple[Any, list[Diagnostic]]:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- evaluation (see evaluation.py for the contract) ------------------------------------

    def evaluate(self, text: str, events: Any, context: EvaluationContext | None = None) -> Evaluation:
        """Run the query over `events` (dicts in the platform's shape). Never raises, never hangs."""
        checked = checked_events(events)
        if isinstance(checked, str):
            return Evaluation(False, reason=f"1:1: {checked}", line=1, column=1)
        compiled = self.compiled(text)
        if isinstance(compiled, NotEvaluated):
            return _not_evaluated(compiled)
        try:
            result = compiled(checked, Deadline(), context or EMPTY_CONTEXT)
        except NotEvaluated as exc:
            return _not_evaluated(exc)
        except RecursionError:
            return Evaluation(False, reason="1:1: a value nested too deeply to evaluate", line=1, column=1)
        except Exception as exc:  # noqa: BLE001 - the contract: a bug gives no verdict, not a crash
            return Evaluation(False, reason=f"1:1: internal error in the {self.name} evaluator: "
                              f"{type(exc).__name__}: {exc}", line=1, column=1)
        result.matched = sorted(set(result.matched))
        return result

    def compiled(self, text: str) -> Compiled | NotEvaluated:
        """The query compiled for evaluation, cached by its text (a package's query is evaluated
        on many samples, in `dac test` and `dac validate` alike)."""
        return self._kept("_compiled_cache", text, lambda: self._compile_text(text))

    def _compile_text(self, text: str) -> Compiled | NotEvaluated:
        parsed = self._parsed(text)
        if not parsed.ok:
            first = next((d for d in parsed.diagnostics if d.code.startswith("DAC3")), None)
            line, column = (first.line, first.column) if first else (1, 1)
            return NotEvaluated(f"the query does not parse ({first.message if first else 'no tree'})", line, column)
        try:
            return self._compile(parsed.tree, text)
        except NotEvaluated as exc:
            return exc
        except RecursionError:
            return NotEvaluated("the query is nested too deeply to evaluate")
        except Exception as exc:  # noqa: BLE001 - see evaluate
            return NotEvaluated(f"internal error in the {self.name} evaluator: {type(exc).__name__}: {exc}")

    def references(self, text: str, tree: Any = None) -> list[Reference]:
        """The tables, fields and compared values the query names (empty when it does not parse
        or the language does not report them yet). `tree`: the query's parse tree, if at hand.
        Kept by the query's text, as parse results and compiled queries are (the platform checks
        and the telemetry check both read them); the list is read, never changed, by callers."""
        def make() -> list[Reference]:
            parsed = self.parse(text) if tree is None else None
            if parsed is not None and not parsed.ok:
                return []
            try:
                return list(self._references(parsed.tree if parsed is not None else tree, text))
            except Exception:  # noqa: BLE001 - the platform checks are skipped rather than crash
                return []
        return self._kept("_references_cache", text, make)

    def _references(self, tree: Any, text: str) -> Iterable[Reference]:
        return ()

    def per_event(self, text: str, context: EvaluationContext | None = None) -> bool:
        """Whether the query decides each event on its own: no aggregate, sequence, join, limit,
        subsearch or row-order function, so one run over many events returns exactly the events
        a run on each alone would. Then a package's samples are evaluated in one run (a third of
        the cost of a run each). False whenever unsure: a run per event is always right.
        `context`: what the repository declares (an SPL macro may hide a pipe)."""
        def make() -> bool:
            parsed = self._parsed(text)
            try:
                return bool(parsed.ok and self._per_event(parsed.tree))
            except Exception:  # noqa: BLE001 - unsure: evaluate event by event
                return False
        return isinstance(text, str) and self._kept("_per_event_cache", text, make) and \
            self._per_event_in(text, context or EMPTY_CONTEXT)

    def _per_event(self, tree: Any) -> bool:
        return False

    def _per_event_in(self, text: str, context: EvaluationContext) -> bool:
        return True

    def _compile(self, tree: Any, text: str) -> Compiled:
        """Turn a parse tree into a `Compiled` callable; raise NotEvaluated for what it cannot."""
        raise NotEvaluated(f"{self.name} queries are not evaluated yet")


def _not_evaluated(exc: NotEvaluated) -> Evaluation:
    return Evaluation(False, reason=f"{exc.line}:{exc.column}: {exc.construct}", line=exc.line, column=exc.column)


def describe_terminal(name: str, pattern: Any | None) -> str:
    """A readable name for a grammar terminal: the literal for keywords/punctuation, else a word."""
    if pattern is not None and getattr(pattern, "type", None) == "str":
        return repr(pattern.value)
    cleaned = name.lstrip("_").lower().replace("_", " ")
    if cleaned.startswith("anon"):
        return "token"
    return cleaned


def deepest_nesting(text: str, opaque: re.Pattern) -> tuple[int, int]:
    """The deepest bracket nesting outside the `opaque` parts (strings, comments), and the offset
    of the bracket that first goes beyond MAX_NESTING (else of the deepest one). Linear."""
    blanked = opaque.sub(lambda m: " " * len(m.group(0)), text)
    depth = deepest = where = 0
    for match in _BRACKET.finditer(blanked):
        if match.group() in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest <= MAX_NESTING + 1:
                    where = match.start()
        else:
            depth -= 1
    return deepest, where


def position_of(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


class LarkLanguage(Language):
    """A language whose grammar is a Lark LALR grammar file beside its module.

    The parser is built once per process, and kept built on disk between runs (parser_cache.py).
    """

    def __init__(self, key: str, name: str, grammar: Path, start: str = "start",
                 lint_rules: Sequence[LintRule] = (), lexer: str = "contextual",
                 preprocess: Callable[[str], str] | None = None,
                 positions: Callable[[str], Callable | None] | bool = False, opaque: str = QUOTED,
                 **lark_options: Any):
        """`positions`: True (or a per-rule-name node hook, see `add_positions`) gives every node
        positions the cheap way instead of Lark's `propagate_positions`. `opaque`: a pattern of
        the parts (strings, comments) whose brackets the nesting bound does not count."""
        super().__init__(key, name, lint_rules, opaque)
        self.grammar = grammar
        self.start = start
        self.lexer = lexer
        self.preprocess = preprocess
        self.positions = positions
        self.lark_options = lark_options

    @cached_property
    def parser(self):
        # Lark's cache saves the grammar analysis for a first build; parser_cache the rest.
        options = {"parser": "lalr", "lexer": self.lexer, "start": self.start,
                   "propagate_positions": not self.positions, "cache": True, **self.lark_options}
        parser = build_parser(self.grammar.read_text(encoding="utf-8"), **options)
        if self.positions:
            add_positions(parser, self.positions if callable(self.positions) else None)
        return parser

    @cached_property
    def loop(self) -> LalrLoop | None:
        """The faster loop for queries that parse (see `lalr.py`), if this parser allows it."""
        try:
            return LalrLoop(self.parser)
        except UnsupportedParser:
            return None

    def _parse(self, text: str):
        from lark.exceptions import UnexpectedInput

        source = self.preprocess(text) if self.preprocess else text
        tree = self.loop.parse(source) if self.loop is not None else None
        if tree is not None:
            return tree, []
        try:  # Lark's own parse, for its errors
            return self.parser.parse(source), []
        except UnexpectedInput as exc:
            return None, [self._syntax_error(exc, text)]

    def _expected(self, names: Iterable[str]) -> str:
        terminals = {t.name: t.pattern for t in self.parser.terminals}
        described = {describe_terminal(n, terminals.get(n)) for n in names if n != "$END"}
        # Closers and separators first: after an error they are usually what the author forgot.
        ordered = [d for d in STRUCTURE if d in described] + sorted(described - set(STRUCTURE))
        if not ordered:
            return ""
        more = f" (and {len(ordered) - 8} more)" if len(ordered) > 8 else ""
        return "; expected " + ", ".join(ordered[:8]) + more

    def exact_expected(self, text: str) -> set[str] | None:
        """The terminals the parser would really shift at the error, or None when unknown.

        LALR merges the lookaheads of states reached from different contexts, so the parse
        table's "expected" set can name tokens that are impossible at this point of this query;
        and the state in Lark's exception has already made default reductions with the bad
        token, so asking it can miss tokens. Re-parsing up to the error and replaying each
        candidate on the state before it is exact. Only rejected queries pay for it.
        """
        try:
            state = state_before_error(self.parser, text)
            return (accepted_terminals(state) or None) if state is not None else None
        except Exception:  # noqa: BLE001 - fall back to the parse table's set
            return None

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
        source = self.preprocess(text) if self.preprocess else text
        names = self.exact_expected(source) or getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()
        expected = self._expected(names)
        if not isinstance(line, int) or line < 1:
            line, column = 1, 1
        return Diagnostic("DAC301", f"{self.name} syntax error: {found}{expected}", line, max(column, 1))


def accepted_terminals(parser_state) -> set[str]:
    """Terminals the LALR parser can really shift next, found by replaying each candidate."""
    from lark.exceptions import UnexpectedToken
    from lark.lexer import Token

    conf = copy(parser_state.parse_conf)
    conf.callbacks = {}  # replay without building trees
    accepted = set()
    for name in conf.parse_table.states[parser_state.position]:
        if not name.isupper():
            continue
        trial = parser_state.copy(deepcopy_values=False)
        trial.parse_conf = conf
        try:
            trial.feed_token(Token(name, ""), is_end=name == "$END")
        except (UnexpectedToken, KeyError, IndexError, AssertionError):
            continue
        accepted.add(name)
    return accepted


def state_before_error(parser, text: str):
    """The parser state just before the offending token, or None if the text parses.

    When the parser rejects a token it has often already made LALR default reductions with it as
    lookahead, so the state in Lark's exception no longer shows what was expected. Parsing again
    up to that token fixes that. Only rejected queries pay for it: two passes, one to find the
    token and one to stop before it (a copy of the state before every token would cost time in
    proportion to the nesting depth at each token, quadratic on deeply nested brackets).
    """
    found = _replay(parser, text, None)
    return _replay(parser, text, found) if isinstance(found, int) else found


def _replay(parser, text: str, stop: int | None):
    """Feed `text` (then the end) to a fresh parser. Without `stop`: the number of the token the
    parser rejects (the end counts as one more token), None if it rejects none, or the state
    itself at a lexer error (exact, as nothing was fed). With `stop`: the state before that token."""
    from lark.exceptions import UnexpectedInput
    from lark.lexer import Token

    interactive = parser.parse_interactive(text)
    state = interactive.parser_state
    tokens = interactive.lexer_thread.lex(state)
    last, number, is_end = None, 0, False
    while not is_end:
        try:
            token = next(tokens)
        except StopIteration:
            token, is_end = Token.new_borrow_pos("$END", "", last) if last is not None else Token("$END", ""), True
        except UnexpectedInput:
            return state  # a lexer error happens before anything is fed: the state is exact
        if number == stop:
            return state
        try:
            state.feed_token(token, is_end)
        except UnexpectedInput:
            return number
        last, number = token, number + 1
    return None


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
