"""Filters of the LogScale evaluator: free text, field comparisons, regexes, and/or/not, and the
filter functions (in, wildcard, test, text:contains ...). Each compiles once into a predicate
`(row, env) -> bool`.

Documented semantics encoded here (library.humio.com, CrowdStrike Query Language):
- "Operators": the left side is a field name and "the value must match exactly, including the
  case"; "if the specified field is not present in an event, then the comparison always fails --
  unless it is !=", so `foo != *` and `not (foo = *)` find events without `foo`.
- `field=value` with `*` is an anchored wildcard: wildcard(field=animal, pattern=horse,
  ignoreCase=true) "is equivalent to animal=/\\Ahorse\\z/i. Note that it is anchored."
- `field=/regex/` matches anywhere in the value: text:contains(string=name, substring="download")
  "would be equivalent to name = /download/".
- Free text `horse` searches the original event (@rawstring), case-sensitive: wildcard(pattern=
  horse, ignoreCase=false) "is equivalent to the freetext search "horse""; a `/regex/` alone does
  the same with a regex (wildcard(pattern=horse, ignoreCase=true) "is equivalent to the freetext
  regex /horse/i").
- Tag filters (`#event_simpleName=...`) "behave in the same way as regular query filters".
- in(field, values=[...], ignoreCase=false): "Values can contain wildcards"; negatable (!in()).
- Numeric comparisons (< <= > >=) "can only perform a comparison between numbers".

Each leaf predicate (a comparison or tag filter, a free-text term or bare regex, a filter function,
a `!`/`not` applied to one of those) passes its result through `explanation.traced`, so `explain`
can name the one that decided a verdict, with the event's value (`NO_VALUE` when the leaf searches
@rawstring without naming it). A leaf is recorded as written: `CommandLine!=/x/` and `!in(...)`
record the negated result, at a span that includes the negation; `not (a b)` negates outside.
A tag filter (`#event_simpleName=...`, `#Vendor=...`) selects the kind of event, as a table does
elsewhere: it is recorded with the subject "the tag", so a false match is not blamed on it.

Not documented, so not evaluated: `==` and `<=>` in a filter, `like`, `field in [...]`, a query
parameter (`?x`), a named-group regex inside and/or/not (its fields would depend on the branch).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

from lark import Token, Tree

from tooling.languages.evaluation import MISSING, all_of, any_of, NotEvaluated
from tooling.languages.explanation import NO_VALUE, Span, traced
from tooling.languages.logscale.values import (ValueProblem, as_number, glob, glob_match, named_groups,
                                               regex_token, rx_search, string_literal, value_of)

Predicate = Callable[[Any, Any], bool]
Reader = Callable[[Any, Any], Any]  # (row, env) -> the event's value a leaf tested, for `explain`
RAW = "@rawstring"
LEAVES = frozenset({"comparison", "tag_filter", "freetext", "regex_filter", "call", "function_match"})


def field_name(token: Any) -> str:
    if isinstance(token, Token) and token.type == "STRING":
        return string_literal(token)
    if isinstance(token, Token):
        return str(token)
    raise NotEvaluated.at(token, "a computed field name")


def pattern_text(token: Token) -> str:
    """The pattern of a WORD or STRING value: `\\*` stays an escaped star for `glob`."""
    if token.type == "STRING":
        return string_literal(token, keep_star_escape=True)
    if "\\" in str(token):
        raise NotEvaluated.at(token, "a backslash in an unquoted pattern (write it quoted)")
    return str(token)


def value_matcher(token: Token, ignore_case: bool = False) -> Callable[[str], bool]:
    """value -> does it match the pattern (anchored, `*` wildcards, case as asked)."""
    text = pattern_text(token) if token.type in ("WORD", "STRING") else str(token)
    if text and set(text) == {"*"}:
        return lambda value: True
    if "*" not in text and "\\" not in text and not ignore_case:
        return text.__eq__
    compiled = glob(text, True, ignore_case)
    return lambda value: glob_match(compiled, value)


def raw_text(row) -> str:
    raw = value_of(row.fields, RAW)
    if raw is None:
        raise ValueProblem("a free-text search on an event without @rawstring")
    return raw


def reader(name: str) -> Reader:
    """The event's value of field `name` as a leaf tested it (MISSING when absent)."""
    def read(row, env):
        found = value_of(row.fields, name)
        return MISSING if found is None else found
    return read


def no_value(row, env):
    return NO_VALUE


TAG = "the tag"  # the subject of a tag filter's value: it selects where to look, as a table does


def trace(node: Any, span: Any, test: Predicate, read: Reader | None) -> Predicate:
    """The leaf `node`'s test as `explain` sees it, at `span` (the node, or its negation)."""
    if read is None:
        return test
    return traced(span, test, read, TAG if node.data == "tag_filter" else None)


# --- leaf positions -------------------------------------------------------------------------

_source: list[str] = [""]  # the query being compiled (a negated leaf's span reads its brackets)


@contextmanager
def compiling(text: str) -> Iterator[None]:
    previous, _source[0] = _source[0], text
    try:
        yield
    finally:
        _source[0] = previous


def negated_span(node: Tree) -> Any:
    """`not (x=1)` as written: the not_filter node ends at its leaf, before the `)` that the
    grammar drops, so the span is widened to the brackets opened between `not` and the leaf."""
    meta, inner = node.meta, node.children[-1]
    text = _source[0]
    start, leaf_start = meta.start_pos, inner.meta.start_pos
    end = meta.end_pos
    if not text or not 0 <= start <= leaf_start <= end <= len(text):
        return node
    opened = text.count("(", start, leaf_start)
    while opened and end < len(text):
        char = text[end]
        if char == ")":
            opened -= 1
        elif not char.isspace():
            return node  # a comment or other text: keep the node's own span
        end += 1
    return Span(meta.line, meta.column, start, end) if end != meta.end_pos else node


# --- comparisons ----------------------------------------------------------------------------

def comparison(node: Tree) -> tuple[Predicate, Reader]:
    """`field op value` (a tag filter too): its test, with `!=` negated in it, and its field."""
    field_token, op_node, value = node.children
    name = field_name(field_token)
    op = str(op_node.children[0])
    if isinstance(value, Token) and value.type == "PARAM":
        raise NotEvaluated.at(value, "a query parameter (filled in at search time)")
    if op in ("==", "<=>"):
        raise NotEvaluated.at(op_node, f"the {op} operator in a filter")
    if isinstance(value, Token) and value.type == "REGEX":
        if op not in ("=", "!="):
            raise NotEvaluated.at(op_node, f"a regex with the {op} operator")
        compiled = regex_token(value)
        if op == "=":
            def matches(row, env, _name=name, _rx=compiled):
                found = value_of(row.fields, _name)
                return found is not None and rx_search(_rx, found) is not None
            return matches, reader(name)

        def differs(row, env, _name=name, _rx=compiled):
            found = value_of(row.fields, _name)
            return found is None or rx_search(_rx, found) is None
        return differs, reader(name)
    if op in ("<", "<=", ">", ">="):
        return _numeric(name, op, value), reader(name)
    check = value_matcher(value)
    if op == "=":
        def equals(row, env, _name=name, _check=check):
            found = value_of(row.fields, _name)
            return found is not None and _check(found)
        return equals, reader(name)

    def unequal(row, env, _name=name, _check=check):
        found = value_of(row.fields, _name)
        return found is None or not _check(found)
    return unequal, reader(name)


_ORDER = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}


def _numeric(name: str, op: str, token: Token) -> Predicate:
    literal = as_number(string_literal(token) if token.type == "STRING" else str(token))
    if literal is None:
        raise NotEvaluated.at(token, f"a {op} comparison with a value that is not a number")
    compare = _ORDER[op]
    bound = float(literal)

    def check(row, env):
        number = as_number(value_of(row.fields, name))
        return number is not None and compare(float(number), bound)
    return check


def _negate(predicate: Predicate) -> Predicate:
    return lambda row, env: not predicate(row, env)


# --- free text ------------------------------------------------------------------------------

def freetext(node: Tree) -> tuple[Predicate, Reader | None]:
    """A free-text term over @rawstring; `*` alone tests nothing (no reader: not a leaf)."""
    token = node.children[0]
    if token.type == "PARAM":
        raise NotEvaluated.at(token, "a query parameter (filled in at search time)")
    text = pattern_text(token)
    if text and set(text) == {"*"}:
        return (lambda row, env: True), None
    if "*" not in text and "\\" not in text:
        return (lambda row, env: text in raw_text(row)), no_value
    compiled = glob(text, False)
    return (lambda row, env: glob_match(compiled, raw_text(row), anchored=False)), no_value


def regex_filter(node: Tree) -> tuple[Predicate, Reader]:
    compiled = regex_token(node.children[0])
    return (lambda row, env: rx_search(compiled, raw_text(row)) is not None), no_value


# --- combinations -----------------------------------------------------------------------------


def compile_filter(node: Any) -> Predicate:
    """A filter node inside and/or/not (no field extraction there). Each leaf is traced for
    `explain`; and/or/not are not leaves, except a negation of one leaf, recorded as written."""
    if not isinstance(node, Tree):
        raise NotEvaluated.at(node, f"the filter {str(node)!r}")
    kind = node.data
    if kind == "filter_and":
        return all_of([compile_filter(c) for c in node.children if isinstance(c, Tree)], arguments=2)
    if kind == "filter_or":
        return any_of([compile_filter(c) for c in node.children if isinstance(c, Tree)], arguments=2)
    if kind == "not_filter":
        inner = node.children[-1]
        if isinstance(inner, Tree) and inner.data in LEAVES:
            test, read = leaf(inner)
            return trace(inner, negated_span(node), _negate(test), read)
        return _negate(compile_filter(inner))
    if kind in LEAVES:
        test, read = leaf(node)
        return trace(node, node, test, read)
    if kind == "like":
        raise NotEvaluated.at(node, "the like operator")
    if kind == "in_list":
        raise NotEvaluated.at(node, "`field in [...]`")
    raise NotEvaluated.at(node, kind.replace("_", " "))


def leaf(node: Tree) -> tuple[Predicate, Reader | None]:
    """A leaf filter's test, untraced, and the reader of the event's value it tests (None: the
    leaf tests nothing, as free text `*`)."""
    kind = node.data
    if kind in ("comparison", "tag_filter"):
        value = node.children[2]
        if isinstance(value, Token) and value.type == "REGEX" and regex_token(value).groupindex:
            if str(node.children[1].children[0]) == "=":
                raise NotEvaluated.at(value, "a regex with named groups inside and/or/not")
        return comparison(node)
    if kind == "freetext":
        return freetext(node)
    if kind == "regex_filter":
        if regex_token(node.children[0]).groupindex:
            raise NotEvaluated.at(node, "a regex with named groups inside and/or/not")
        return regex_filter(node)
    if kind == "function_match":
        return filter_test(node.children[1], extra_field=node.children[0])
    return filter_test(node)


# --- filter functions -----------------------------------------------------------------------

def filter_call(call: Tree, extra_field: Any = None, node: Any = None) -> Predicate:
    """A filter function as a traced leaf; `node`: its place when more than the call (a match
    guard, `field =~ call`)."""
    test, read = filter_test(call, extra_field)
    return traced(call if node is None else node, test, read)


def filter_test(call: Tree, extra_field: Any = None) -> tuple[Predicate, Reader]:
    from tooling.languages.logscale import calls as fn  # noqa: PLC0415 - cycle: calls uses filters

    name = str(call.children[0]).lower()
    args = fn.Arguments(call)
    if extra_field is not None:
        args.add("field", extra_field)
    maker = FILTER_FUNCTIONS.get(name)
    if maker is None:
        if name in fn.TRANSFORMS or name in fn.VALUE_FUNCTIONS:
            raise NotEvaluated.at(call, f"{call.children[0]}() inside and/or/not")
        raise NotEvaluated.at(call, f"the function {call.children[0]}()")
    return maker(call, args)


def _in(call: Tree, args) -> tuple[Predicate, Reader]:
    name = args.field_name("field", 0)
    ignore_case = args.boolean("ignoreCase", False)
    values = args.list_tokens("values")
    if values is None:
        raise NotEvaluated.at(call, "in() without values=[...]")
    checks = [value_matcher(v, ignore_case) for v in values]

    def check(row, env):
        found = value_of(row.fields, name)
        return found is not None and any(c(found) for c in checks)
    return check, reader(name)


def _wildcard(call: Tree, args) -> tuple[Predicate, Reader]:
    pattern = args.token("pattern", 0)
    if pattern is None:
        raise NotEvaluated.at(call, "wildcard() without a pattern")
    ignore_case = args.boolean("ignoreCase", False)
    if args.boolean("includeEverythingOnAsterisk", False):
        raise NotEvaluated.at(call, "wildcard(includeEverythingOnAsterisk=true)")
    fields = args.field_names("field")
    text = pattern_text(pattern) if pattern.type in ("WORD", "STRING") else str(pattern)
    if not fields:  # the original event, like free text
        compiled = glob(text, False, ignore_case)
        return (lambda row, env: glob_match(compiled, raw_text(row), anchored=False)), no_value
    check = value_matcher(pattern, ignore_case)

    def matches(row, env):
        for name in fields:
            found = value_of(row.fields, name)
            if found is not None and check(found):
                return True
        return False
    return matches, reader(fields[0]) if len(fields) == 1 else no_value


def _test(call: Tree, args) -> tuple[Predicate, Reader]:
    from tooling.languages.logscale.expressions import compile_expr, fields_read, truth  # noqa: PLC0415

    node = args.raw("expression", 0)
    if node is None:
        raise NotEvaluated.at(call, "test() without an expression")
    expression = compile_expr(node)
    names = fields_read(node)
    return (lambda row, env: truth(expression(row, env), node)), \
        _quiet(reader(names[0])) if len(names) == 1 else no_value


def _quiet(read: Reader) -> Reader:
    """A reader for a field the leaf may not have read (an expression that stopped early): a value
    it cannot show (null) is no value."""
    def shown(row, env):
        try:
            return read(row, env)
        except ValueProblem:
            return NO_VALUE
    return shown


def _text_contains(call: Tree, args) -> tuple[Predicate, Reader]:
    from tooling.languages.logscale.expressions import compile_expr  # noqa: PLC0415

    string, substring = args.raw("string", 0), args.raw("substring")
    if string is None or substring is None:
        raise NotEvaluated.at(call, "text:contains() without string= and substring=")
    left, right = compile_expr(string), compile_expr(substring)

    def check(row, env):
        whole, part = left(row, env), right(row, env)
        return whole is not None and part is not None and part in whole

    def whole(row, env):
        found = left(row, env)
        return MISSING if found is None else found
    return check, _quiet(whole)


def _regex_filter_call(call: Tree, args) -> tuple[Predicate, Reader]:
    from tooling.languages.logscale.calls import regex_call  # noqa: PLC0415

    compiled, name, _strict = regex_call(call, args)
    if named_groups(compiled):
        raise NotEvaluated.at(call, "regex() with named groups inside and/or/not")

    def matches(row, env):
        found = value_of(row.fields, name)
        return found is not None and rx_search(compiled, found) is not None
    return matches, reader(name) if args.raw("field") is not None else no_value


FILTER_FUNCTIONS: dict[str, Callable[[Tree, Any], tuple[Predicate, Reader]]] = {
    "in": _in, "wildcard": _wildcard, "test": _test, "text:contains": _text_contains,
    "regex": _regex_filter_call,
}
