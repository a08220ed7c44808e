"""A faster parse loop over a Lark LALR parser's own tables, for queries that parse.

Parsing the seven queries is most of what `dac validate` does, and Lark's general-purpose loop
spends much of that time on its own bookkeeping: a generator per token, attribute look-ups and
Python-level rule hashing on every reduction, and a call per reduction even where a `?rule` only
hands its single child up. This loop reads the same parse table, the same per-state lexers
(contextual lexing) and the same tree-building callbacks, so it builds the same tree, tokens and
positions, in about two thirds of the time.

It only handles success. On anything it does not expect (a character no terminal matches, a token
the state cannot take, an unusual parser configuration) it returns None and the caller parses with
Lark, which raises the error with the detail the diagnostics need. `tests/languages/test_lalr.py`
checks that both build identical trees.
"""
from __future__ import annotations

from typing import Any, Callable


class UnsupportedParser(Exception):
    """The Lark parser uses a feature this loop does not reproduce; use Lark's own."""


class LalrLoop:
    def __init__(self, lark: Any):
        from lark.lexer import ContextualLexer
        from lark.parsers.lalr_analysis import Shift

        frontend = lark.parser
        if lark.options.parser != "lalr" or type(frontend.lexer) is not ContextualLexer \
                or lark.options.postlex is not None or len(frontend.parser_conf.start) != 1:
            raise UnsupportedParser("only LALR with Lark's contextual lexer and one start rule")
        parser = frontend.parser.parser
        callbacks = parser.callbacks
        if any(isinstance(key, str) for key in callbacks):
            raise UnsupportedParser("callbacks on tokens")
        table = parser.parse_table
        if not all(type(state) is int for state in table.states):
            raise UnsupportedParser("a parse table with states that are not numbers")
        (start,) = frontend.parser_conf.start
        self.start_state = table.start_states[start]
        self.end_state = table.end_states[start]
        # Lark's propagate_positions also records the extent of inlined rules on their child, so
        # with it every reduction must run its callback.
        skip_single = not lark.options.propagate_positions
        reductions: dict = {}

        def reduction(rule) -> tuple[int, str, Callable | None]:
            if rule not in reductions:
                callback = None if skip_single and _hands_up_its_child(rule) else callbacks[rule]
                reductions[rule] = (len(rule.expansion), rule.origin.name, callback)
            return reductions[rule]

        # state -> token type or rule name -> the next state (shift, goto) or a reduction tuple
        self.actions = {state: {name: (arg if action is Shift else reduction(arg))
                                for name, (action, arg) in row.items()}
                        for state, row in table.states.items()}
        self.lexers = frontend.lexer.lexers
        self.scanners: dict = {}

    def _scanner(self, state: int) -> tuple:
        lexer = self.lexers[state]
        scanner = lexer.scanner  # Lark builds the state's regular expressions (and callbacks) here
        entry = (tuple(pattern.match for pattern in scanner._mres), lexer.callback, lexer.ignore_types,
                 lexer.newline_types)
        self.scanners[state] = entry
        return entry

    def parse(self, text: str) -> Any:
        """The tree Lark would build for `text`, or None if Lark should parse it (an error)."""
        from lark.lexer import Token

        new_token = Token._future_new  # Token() without its keyword-compatibility layer
        scanners = self.scanners
        states = [self.start_state]
        values: list = []
        pos, line, line_start, length = 0, 1, 0, len(text)
        while pos < length:
            matchers, token_callbacks, ignored, multiline = scanners.get(states[-1]) or self._scanner(states[-1])
            for match in matchers:
                found = match(text, pos)
                if found is not None:
                    break
            else:
                return None
            value, kind = found.group(0), found.lastgroup
            start, start_line, column = pos, line, pos - line_start + 1
            if kind in multiline:
                newlines = value.count("\n")
                if newlines:
                    line += newlines
                    line_start = pos + value.rindex("\n") + 1
            pos += len(value)
            if kind in ignored:
                if kind in token_callbacks:
                    token_callbacks[kind](new_token(kind, value, start, start_line, column, line,
                                                    pos - line_start + 1, pos))
                continue
            token = new_token(kind, value, start, start_line, column, line, pos - line_start + 1, pos)
            if kind in token_callbacks:
                token = token_callbacks[kind](token)  # e.g. a keyword the NAME pattern also matches
            if not self._feed(token.type, token, states, values):
                return None
        return self._finish(states, values)

    def _feed(self, kind: str, token: Any, states: list, values: list) -> bool:
        actions = self.actions
        while True:
            action = actions[states[-1]].get(kind)
            if action is None:
                return False
            if action.__class__ is int:  # shift
                states.append(action)
                values.append(token)
                return True
            self._reduce(action, states, values)

    def _finish(self, states: list, values: list) -> Any:
        actions, end = self.actions, self.end_state
        while True:
            action = actions[states[-1]].get("$END")
            if action is None or action.__class__ is int:
                return None
            if self._reduce(action, states, values) == end:
                return values[-1]

    def _reduce(self, action: tuple, states: list, values: list) -> int:
        size, name, callback = action
        if callback is None:  # a `?rule` with one child: the child stands for it
            goto = states[-1] = self.actions[states[-2]][name]
            return goto
        if size:
            children = values[-size:]
            del states[-size:]
            del values[-size:]
        else:
            children = []
        values.append(callback(children))
        goto = self.actions[states[-1]][name]
        states.append(goto)
        return goto


def _hands_up_its_child(rule: Any) -> bool:
    """A `?rule` whose only symbol is a kept rule: Lark's callback returns that child unchanged
    (and light positions leave it as it is), so the reduction needs no call."""
    options = rule.options
    if not options.expand1 or rule.alias or len(rule.expansion) != 1:
        return False
    symbol = rule.expansion[0]
    return not symbol.is_term and not symbol.name.startswith("_") and not any(options.empty_indices or ())
