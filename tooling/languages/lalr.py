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
        reductions: dict = {}

        def reduction(rule) -> tuple[int, str, Callable | None]:
            if rule not in reductions:
                callback = None if _hands_up_its_child(rule) else _lighter(callbacks[rule])
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
        scanners, actions = self.scanners, self.actions
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
                kind = token.type
            # Feed the token: the reductions it makes, then its shift (what `_reduce` does, written
            # out here: this is the hottest loop of a parse).
            while True:
                action = actions[states[-1]].get(kind)
                if action is None:
                    return None
                if action.__class__ is int:  # shift
                    states.append(action)
                    values.append(token)
                    break
                size, name, callback = action
                if callback is None:  # a `?rule` with one child: the child stands for it
                    states[-1] = actions[states[-2]][name]
                    continue
                if size:
                    children = values[-size:]
                    del states[-size:]
                    del values[-size:]
                else:
                    children = []
                values.append(callback(children))
                states.append(actions[states[-1]][name])
        return self._finish(states, values)

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
    (and light positions leave it as it is), so the reduction needs no call. Lark's
    propagate_positions leaves it as it is too: it would record the extent of the `?rule` on the
    child (its `container_*` positions), and with one symbol that extent is the child's own,
    recorded when the child was built (or nothing, for a child that spans no token)."""
    options = rule.options
    if not options.expand1 or rule.alias or len(rule.expansion) != 1:
        return False
    symbol = rule.expansion[0]
    return not symbol.is_term and not symbol.name.startswith("_") and not any(options.empty_indices or ())


def _lighter(callback: Callable) -> Callable:
    """The callback, or for Lark's propagate_positions wrapper the same positions at less cost."""
    from lark.parse_tree_builder import PropagatePositions

    if type(callback) is PropagatePositions and callback.node_filter is None:
        return _Propagated(callback)
    return callback


class _Propagated:
    """Lark's `PropagatePositions` (without a node filter), for children that are tokens, trees
    or None (placeholders); anything else goes to Lark's own. The same attributes with the same
    values: a node starts where its first child's container starts and ends where its last
    child's container ends (a container: the extent of a rule inlined into its child, brackets
    included). What it saves is Lark's generic look-up of the first and last child."""

    __slots__ = ("lark", "build")

    def __init__(self, lark: Any):
        self.lark = lark
        self.build = lark.node_builder

    def __call__(self, children: list) -> Any:
        from lark import Token, Tree

        for child in children:
            if child is not None and child.__class__ is not Token and child.__class__ is not Tree:
                return self.lark(children)
        node = self.build(children)
        if not isinstance(node, Tree):
            return node
        meta = node.meta
        first = _edge(children, Token)
        if first is not None:
            if first.__class__ is Token:  # a token has no container of its own
                line, column, start = first.line, first.column, first.start_pos
            else:
                line = getattr(first, "container_line", first.line)
                column = getattr(first, "container_column", first.column)
                start = getattr(first, "container_start_pos", first.start_pos)
            if not hasattr(meta, "line"):  # not a `?rule` handing its child up
                meta.line, meta.column, meta.start_pos, meta.empty = line, column, start, False
            meta.container_line, meta.container_column, meta.container_start_pos = line, column, start
        last = _edge(reversed(children), Token)
        if last is not None:
            if last.__class__ is Token:
                line, column, end = last.end_line, last.end_column, last.end_pos
            else:
                line = getattr(last, "container_end_line", last.end_line)
                column = getattr(last, "container_end_column", last.end_column)
                end = getattr(last, "container_end_pos", last.end_pos)
            if not hasattr(meta, "end_line"):
                meta.end_line, meta.end_column, meta.end_pos, meta.empty = line, column, end, False
            meta.container_end_line, meta.container_end_column, meta.container_end_pos = line, column, end
        return node


def _edge(children: Any, token_type: type) -> Any:
    """The first token, or meta of a tree that spans a token, among `children` (as Lark's
    `_pp_get_meta`, which also gives a tree with no meta an empty one)."""
    for child in children:
        if child is None:
            continue
        if child.__class__ is token_type:
            return child
        meta = child.meta
        if not meta.empty:
            return meta
    return None
