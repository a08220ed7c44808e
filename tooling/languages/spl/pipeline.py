"""SPL evaluation: a parsed query compiled once into closures (`compile_query`), and run.

A pipeline is a source (the base search over the events, or a generating command such as tstats
or inputlookup) and then stages, each taking the rows so far and returning the next rows. The
events the query returns are those behind its final rows.

Order: the base search returns events newest first, as Splunk does ("By default, events are
returned with the most recent event first", Search Manual); order matters to head, dedup,
streamstats, first/last.

Macros (`` `name` ``, `` `name(arg)` ``) are text substitutions made before the search is parsed
("Search macros": "the macro is expanded ... and the search string is run"). They expand only
from the definitions the repository declares (`EvaluationContext.macros`: "name" or "name(n)",
or "name(a,b)" to give the argument names used as `$a$` in the definition; a one-argument
"name(1)" binds its only `$x$`). An undeclared macro is not evaluated. Expansion happens when the
query runs (the definitions belong to the run); the expanded text is compiled once and cached.
Positions: an error in the expansion is reported at the macro call (`_mapped`); so are leaf
predicates for `explain`, the whole expansion of a call being one leaf (leaves.py).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import (
    Deadline, Evaluation, EvaluationContext, NotEvaluated, node_position, parse_time,
)
from tooling.languages.spl.search_expr import compile_search
from tooling.languages.spl.values import Row

Stage = Callable[[list, Any], list]
MAX_MACRO_DEPTH = 16
MAX_EXPANDED_CHARS = 200_000


class Run:
    """What one evaluation shares: the events, the time budget, the declared context."""

    __slots__ = ("events", "deadline", "context", "cache", "_latest", "_rows")

    def __init__(self, events: list[dict], deadline: Deadline, context: EvaluationContext):
        self.events, self.deadline, self.context = events, deadline, context
        self.cache: dict = {}
        self._latest: datetime | None = None
        self._rows: list[Row] | None = None

    def latest_time(self, node: Any) -> datetime:
        if self._latest is None:
            moments = [parse_time(event.get("_time")) for event in self.events]
            known = [moment for moment in moments if moment is not None]
            if not known:
                raise NotEvaluated.at(node, "a time modifier over events without a _time")
            self._latest = max(known)
        return self._latest

    def initial_rows(self) -> list[Row]:
        """Every event as a row, newest first (events without a _time keep their place last)."""
        if self._rows is None:
            rows = []
            for index, event in enumerate(self.events):
                self.deadline.check()
                rows.append(Row(dict(event), (index,)))
            timed = [(parse_time(event.get("_time")), position) for position, event in enumerate(self.events)]
            order = sorted(range(len(rows)), key=lambda i: (timed[i][0] is None,
                                                             -(timed[i][0].timestamp()) if timed[i][0] else 0, i))
            self._rows = [rows[i] for i in order]
        return [Row(dict(row.fields), row.sources) for row in self._rows]


class Compiler:
    """Compile-time state: the query text (default names of aggregations are their text)."""

    def __init__(self, text: str):
        self.text = text

    def source(self, node: Any) -> str:
        meta = getattr(node, "meta", None)
        start, end = getattr(meta, "start_pos", None), getattr(meta, "end_pos", None)
        if isinstance(start, int) and isinstance(end, int):
            return self.text[start:end]
        return str(node.children[0]) if isinstance(node, Tree) else str(node)


def compile_query(tree: Any, text: str) -> Callable:
    macros = sorted((token for token in tree.scan_values(lambda v: isinstance(v, Token) and v.type == "MACRO")),
                    key=lambda token: token.start_pos)
    if macros:
        return _with_macros(text, macros)
    pipeline = compile_pipeline(tree.children[0], Compiler(text))

    def run_query(events: list[dict], deadline: Deadline, context: EvaluationContext) -> Evaluation:
        rows = pipeline(Run(events, deadline, context))
        return Evaluation(True, sorted({index for row in rows for index in row.sources}))
    return run_query


def compile_pipeline(node: Tree, cx: Compiler, subsearch: bool = False) -> Callable[[Run], list[Row]]:
    from tooling.languages.spl.commands import compile_command, compile_source

    children = list(node.children)
    if children and isinstance(children[0], Tree) and children[0].data == "base_search":
        expression = _strip_search_keyword(children[0].children[0]) if subsearch else children[0].children[0]
        source = _base_search(expression)
        stages = children[1:]
    else:
        source = compile_source(children[0], cx)
        stages = children[1:]
    compiled: list[Stage] = []
    for position, stage in enumerate(stages):
        # (a subsearch's results go on to commands of the outer search, which may read them)
        if stage.data == "eval_cmd" and not subsearch and not _read_later(stage, stages[position + 1:]):
            from tooling.languages.spl.leaves import silenced

            with silenced():  # it only names what the results show: no predicate of it decides one
                compiled.append(compile_command(stage, cx))
        else:
            compiled.append(compile_command(stage, cx))

    def run_pipeline(run: Run) -> list[Row]:
        rows = source(run)
        for stage in compiled:
            run.deadline.check()
            rows = stage(rows, run)
        return rows
    return run_pipeline


# commands that show the results without reading a field to choose them
_DISPLAY = frozenset({"table", "fields", "sort"})


def _read_later(stage: Tree, later: list) -> bool:
    """Whether a command after an `eval` may read a field it assigns (by name, in any case; a
    display command does not count). Unknown shapes count as reads: a predicate stays traced."""
    from tooling.languages.spl.tree import command_name

    assigned = {str(assignment.children[0]).strip('"\'').lower() for assignment in stage.children
                if isinstance(assignment, Tree) and assignment.children and isinstance(assignment.children[0], Token)}
    if len(assigned) != len(stage.children):
        return True
    for command in later:
        if not isinstance(command, Tree):
            return True
        if command.data != "eval_cmd" and (command_name(command) or "").lower() in _DISPLAY:
            continue
        words = {str(token).strip('"\'').lower() for token in command.scan_values(lambda v: isinstance(v, Token))}
        if assigned & words or any(re.search(r"[*$`]", word) for word in words):
            return True
    return False


def _strip_search_keyword(expression: Any) -> Any:
    """`[search x=1 ...]`: in a subsearch the leading `search` is the command, not a term."""
    if isinstance(expression, Token) and expression.type == "WORD" and str(expression).lower() == "search":
        return None
    if isinstance(expression, Tree) and expression.data == "search_and":
        first = expression.children[0]
        if isinstance(first, Token) and first.type == "WORD" and str(first).lower() == "search":
            rest = expression.children[1:]
            return rest[0] if len(rest) == 1 else Tree("search_and", rest, expression.meta)
    return expression


def _base_search(expression: Any) -> Callable[[Run], list[Row]]:
    if expression is None:
        return lambda run: run.initial_rows()
    predicate = compile_search(expression, time_allowed=True)

    def base(run: Run) -> list[Row]:
        kept = []
        for row in run.initial_rows():
            run.deadline.check()
            if predicate(row, run):
                kept.append(row)
        return kept
    return base


_SEARCH_CACHE: dict[str, Callable] = {}


def search_predicate(text: str, node: Any) -> Callable:
    """searchmatch(): a search string, compiled once, as a predicate over rows."""
    found = _SEARCH_CACHE.get(text)
    if found is None:
        from tooling.languages.spl import LANGUAGE

        parsed = LANGUAGE.parse(text)
        pipeline = parsed.tree.children[0] if parsed.ok else None
        if pipeline is None or len(pipeline.children) != 1 or pipeline.children[0].data != "base_search":
            raise NotEvaluated.at(node, "searchmatch() of a string that is not one search expression")
        if any(True for _ in pipeline.scan_values(lambda v: isinstance(v, Token) and v.type == "MACRO")):
            raise NotEvaluated.at(node, "searchmatch() of a string with a macro")
        from tooling.languages.spl.leaves import silenced

        with silenced():  # positions in the string, not the query: the call is the leaf
            inner = compile_search(pipeline.children[0].children[0], time_allowed=False)
        found = lambda row, run: inner(row, run)  # noqa: E731
        if len(_SEARCH_CACHE) > 512:
            _SEARCH_CACHE.clear()
        _SEARCH_CACHE[text] = found
    return found


# --- macros ----------------------------------------------------------------------------------

_MACRO_CALL = re.compile(r"\s*([A-Za-z0-9_.:-]+)\s*(?:\((.*)\))?\s*", re.S)
_ARGUMENT = re.compile(r"\$([A-Za-z_]\w*)\$")


def _split_arguments(text: str) -> list[str]:
    parts, depth, quoted, current = [], 0, False, []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and quoted and index + 1 < len(text):
            current.append(text[index:index + 2])
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "([":
            depth += 1
        elif not quoted and char in ")]":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append("".join(current).strip())
            current = []
            index += 1
            continue
        current.append(char)
        index += 1
    parts.append("".join(current).strip())
    return parts


def definition(token_text: str, macros: Any, node: Any) -> str:
    """The text a macro call stands for, its arguments substituted."""
    found = _MACRO_CALL.fullmatch(token_text[1:-1])
    if found is None:
        raise NotEvaluated.at(node, f"the macro {token_text} (not a macro call)")
    name, arguments = found.group(1), found.group(2)
    values = _split_arguments(arguments) if arguments is not None and arguments.strip() else []
    if not values:
        body = macros.get(name)
        if body is None:
            raise NotEvaluated.at(node, f"the macro `{name}` (not declared for this repository)")
        return body
    count = len(values)
    body = macros.get(f"{name}({count})")
    names: list[str] | None = None
    if body is not None:
        used = list(dict.fromkeys(_ARGUMENT.findall(body)))
        if len(used) == count == 1:
            names = used
    else:
        for key, text in macros.items():
            head, _, rest = key.partition("(")
            declared = [part.strip() for part in rest.rstrip(")").split(",")] if rest else []
            if head == name and len(declared) == count and all(p.isidentifier() for p in declared):
                body, names = text, declared
                break
    if body is None:
        raise NotEvaluated.at(node, f"the macro `{name}({count})` (not declared for this repository)")
    if names is None:
        raise NotEvaluated.at(node, f"the macro `{name}({count})`: declare its argument names, e.g. "
                              f"\"{name}({', '.join('arg%d' % (i + 1) for i in range(count))})\"")
    bound = dict(zip(names, values))
    return _ARGUMENT.sub(lambda m: bound.get(m.group(1), m.group(0)), body)


def _scan_macros(text: str) -> list[tuple[int, int]]:
    """Backquoted macro calls in text, outside quoted strings and ``` comments."""
    spans, index = [], 0
    while index < len(text):
        if text.startswith("```", index):
            end = text.find("```", index + 3)
            index = len(text) if end < 0 else end + 3
        elif text[index] == '"':
            index += 1
            while index < len(text) and text[index] != '"':
                index += 2 if text[index] == "\\" else 1
            index += 1
        elif text[index] == "`":
            end = text.find("`", index + 1)
            if end < 0:
                break
            spans.append((index, end + 1))
            index = end + 1
        else:
            index += 1
    return spans


def expand_text(text: str, macros: Any, node: Any, depth: int = 0) -> str:
    if depth > MAX_MACRO_DEPTH:
        raise NotEvaluated.at(node, "macros nested more than 16 deep (a macro that expands to itself?)")
    out, last = [], 0
    for start, end in _scan_macros(text):
        out.append(text[last:start])
        out.append(expand_text(definition(text[start:end], macros, node), macros, node, depth + 1))
        last = end
        if sum(len(part) for part in out) > MAX_EXPANDED_CHARS:
            raise NotEvaluated.at(node, "macros expanding to more than 200,000 characters")
    out.append(text[last:])
    return "".join(out)


def _with_macros(text: str, tokens: list[Token]) -> Callable:
    expansions: dict[tuple, Any] = {}  # (expanded text, spans) -> compiled

    def compiled_expansion(expanded: str, spans: list) -> Any:
        from tooling.languages.spl import LANGUAGE
        from tooling.languages.spl.leaves import relocating

        key = (expanded, tuple((start, end) for _, start, end in spans))
        found = expansions.get(key)
        if found is None:
            with relocating(text, spans):  # leaves at their place in the query as written
                found = LANGUAGE._compile_text(expanded)
            if len(expansions) >= 16:
                expansions.clear()
            expansions[key] = found
        return found

    def run_expanded(events: list[dict], deadline: Deadline, context: EvaluationContext) -> Evaluation:
        pieces, spans, last, offset = [], [], 0, 0
        for token in tokens:
            body = expand_text(definition(str(token), context.macros, token), context.macros, token, 1)
            pieces.append(text[last:token.start_pos])
            offset += token.start_pos - last
            spans.append((token, offset, offset + len(body)))
            pieces.append(body)
            offset += len(body)
            last = token.end_pos
        pieces.append(text[last:])
        expanded = "".join(pieces)
        compiled = compiled_expansion(expanded, spans)
        try:
            if isinstance(compiled, NotEvaluated):
                raise compiled
            return compiled(events, deadline, context)
        except NotEvaluated as exc:
            raise _mapped(exc, expanded, text, spans) from None
    return run_expanded


def _mapped(exc: NotEvaluated, expanded: str, text: str, spans: list) -> NotEvaluated:
    """A position in the expanded query, back in the query as written."""
    lines = expanded.split("\n")
    if not 1 <= exc.line <= len(lines):
        return exc
    offset = sum(len(line) + 1 for line in lines[:exc.line - 1]) + exc.column - 1
    shift = 0
    for token, start, end in spans:
        if start <= offset < end:
            line, column = node_position(token)
            return NotEvaluated(f"{exc.construct} (in the expansion of {token})", line, column)
        if offset >= end:
            shift += (end - start) - (token.end_pos - token.start_pos)
    original = max(0, offset - shift)
    line = text.count("\n", 0, original) + 1
    column = original - (text.rfind("\n", 0, original) + 1) + 1
    return NotEvaluated(exc.construct, line, column)
