"""SPL evaluation: the eval functions (Search Reference, "Evaluation functions", 9.x).

Each function is compiled from its argument closures. A function not listed here is not
evaluated. Facts each implementation follows:
- if(X,Y,Z): "If X evaluates to TRUE, the result is Y ... otherwise Z" (so null gives Z).
- case(X1,Y1,...): the Y of the first X that is TRUE; null when none is.
- coalesce(...): the first value that is not null (an empty string is a value).
- match(SUBJECT, "REGEX"): TRUE when the PCRE regex finds a match in SUBJECT (unanchored).
- replace(X,Y,Z): PCRE substitution, `\\1` back-references in Z.
- substr(X,Y,Z): Y is 1-based, negative counts from the end; Z characters.
- split(X,"D"): a multivalue field; mvindex(X,S,E): 0-based, E inclusive, negative from the end;
  mvfind(X,"REGEX"): the 0-based index of the first value that matches, else null;
  mvcount(X): the number of values (null when X is null).
- cidrmatch("CIDR", IP); searchmatch("search string"): the search language against the result.
- tonumber(X, base) / tostring(X): null when X does not convert.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Callable

from tooling.languages.evaluation import NotEvaluated
from tooling.languages.spl.eval_expr import BOOLEAN_FUNCTIONS, boolean, like, member, scalar, shown
from tooling.languages.spl.leaves import leaf, no_value
from tooling.languages.spl.values import Row, guarded, guarded_search, number, pcre, show_number, text_of, texts

Value = Callable[[Row, Any], Any]


def compile_call(name: str, args: list[Value], nodes: list, node: Any) -> Value:
    builder = _FUNCTIONS.get(name)
    if builder is None:
        raise NotEvaluated.at(node, f"the eval function {name}()")
    low, high = builder[1], builder[2]
    if not low <= len(args) <= high:
        raise NotEvaluated.at(node, f"{name}() with {len(args)} arguments")
    compiled = builder[0](args, nodes, node)
    if name not in BOOLEAN_FUNCTIONS:
        return compiled
    # a leaf: the value shown is the argument tested (cidrmatch's address, searchmatch none)
    if name == "searchmatch":
        return leaf(node, compiled, no_value)
    tested = 1 if name == "cidrmatch" else 0
    return leaf(node, compiled, shown(nodes[tested], args[tested]))


def _text(value: Any, node: Any) -> str | None:
    if type(value) is str:  # most values: text as it is
        return value
    value = scalar(value, node)
    if isinstance(value, bool):
        raise NotEvaluated.at(node, "a Boolean where text is needed")
    return None if value is None else text_of(value)


def _if(args, nodes, node):
    test, yes, no = args
    return lambda row, run: yes(row, run) if boolean(test(row, run), node) is True else no(row, run)


def _case(args, nodes, node):
    if len(args) % 2:
        raise NotEvaluated.at(node, "case() with an odd number of arguments")
    pairs = [(args[i], args[i + 1]) for i in range(0, len(args), 2)]

    def run_case(row: Row, run: Any) -> Any:
        for test, value in pairs:
            if boolean(test(row, run), node) is True:
                return value(row, run)
        return None
    return run_case


def _coalesce(args, nodes, node):
    def run_coalesce(row: Row, run: Any) -> Any:
        for arg in args:
            value = arg(row, run)
            if value is not None:
                return value
        return None
    return run_coalesce


def _constant(value):
    return lambda args, nodes, node: (lambda row, run: value)


def _unary(function):
    def build(args, nodes, node):
        arg = args[0]

        def run_unary(row: Row, run: Any) -> Any:
            value = _text(arg(row, run), node)
            return None if value is None else function(value)
        return run_unary
    return build


def _isnull(negated: bool):
    def build(args, nodes, node):
        arg = args[0]
        return lambda row, run: (arg(row, run) is None) != negated
    return build


def _match(args, nodes, node):
    subject, pattern = args

    def run_match(row: Row, run: Any) -> Any:
        text, regex_text = _text(subject(row, run), node), _text(pattern(row, run), node)
        if text is None or regex_text is None:
            return None
        return guarded_search(pcre(regex_text, node), text) is not None
    return run_match


def _replace(args, nodes, node):
    subject, pattern, replacement = args

    def run_replace(row: Row, run: Any) -> Any:
        text, regex_text, new = (_text(a(row, run), node) for a in (subject, pattern, replacement))
        if text is None or regex_text is None or new is None:
            return None
        try:
            return guarded(pcre(regex_text, node).sub, new, text)
        except (IndexError, ValueError) as exc:
            raise NotEvaluated.at(node, f"replace() with a replacement the evaluator cannot apply ({exc})") from None
    return run_replace


def _substr(args, nodes, node):
    def run_substr(row: Row, run: Any) -> Any:
        text = _text(args[0](row, run), node)
        start = number(scalar(args[1](row, run), node))
        length = number(scalar(args[2](row, run), node)) if len(args) > 2 else None
        if text is None or start is None or (len(args) > 2 and length is None):
            return None
        begin = int(start) - 1 if start > 0 else max(len(text) + int(start), 0)
        return text[begin:] if length is None else text[begin:begin + max(int(length), 0)]
    return run_substr


def _split(args, nodes, node):
    def run_split(row: Row, run: Any) -> Any:
        text, delimiter = _text(args[0](row, run), node), _text(args[1](row, run), node)
        if text is None or delimiter is None:
            return None
        parts = list(text) if delimiter == "" else text.split(delimiter)
        return parts if len(parts) > 1 else parts[0]
    return run_split


def _values(value: Any, node: Any) -> list:
    return texts(value, node) if not isinstance(value, (int, float)) or isinstance(value, bool) else [value]


def _mvcount(args, nodes, node):
    def run_mvcount(row: Row, run: Any) -> Any:
        value = args[0](row, run)
        return None if value is None else len(_values(value, node))
    return run_mvcount


def _mvindex(args, nodes, node):
    def run_mvindex(row: Row, run: Any) -> Any:
        value = args[0](row, run)
        start = number(scalar(args[1](row, run), node))
        end = number(scalar(args[2](row, run), node)) if len(args) > 2 else None
        if value is None or start is None:
            return None
        values = _values(value, node)
        count = len(values)
        first = int(start) + count if start < 0 else int(start)
        if not 0 <= first < count:
            return None
        if end is None:
            return values[first]
        last = int(end) + count if end < 0 else int(end)
        picked = values[first:min(last, count - 1) + 1]
        return None if not picked else picked[0] if len(picked) == 1 else picked
    return run_mvindex


def _mvfind(args, nodes, node):
    def run_mvfind(row: Row, run: Any) -> Any:
        value, pattern = args[0](row, run), _text(args[1](row, run), node)
        if value is None or pattern is None:
            return None
        compiled = pcre(pattern, node)
        for index, item in enumerate(_values(value, node)):
            if guarded(compiled.search, text_of(item)) is not None:
                return index
        return None
    return run_mvfind


def _mvjoin(args, nodes, node):
    def run_mvjoin(row: Row, run: Any) -> Any:
        value, delimiter = args[0](row, run), _text(args[1](row, run), node)
        if value is None or delimiter is None:
            return None
        return delimiter.join(text_of(v) for v in _values(value, node))
    return run_mvjoin


def _mvappend(args, nodes, node):
    def run_mvappend(row: Row, run: Any) -> Any:
        out: list = []
        for arg in args:
            value = arg(row, run)
            if value is not None:
                out.extend(_values(value, node))
        return None if not out else out[0] if len(out) == 1 else out
    return run_mvappend


def _cidrmatch(args, nodes, node):
    def run_cidrmatch(row: Row, run: Any) -> Any:
        cidr, address = _text(args[0](row, run), node), _text(args[1](row, run), node)
        if cidr is None or address is None:
            return None
        try:
            return ipaddress.ip_address(address.strip()) in ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            return False
    return run_cidrmatch


def _searchmatch(args, nodes, node):
    from tooling.languages.spl.pipeline import search_predicate

    def run_searchmatch(row: Row, run: Any) -> Any:
        text = _text(args[0](row, run), node)
        if text is None:
            return None
        return search_predicate(text, node)(row, run)
    return run_searchmatch


def _tonumber(args, nodes, node):
    def run_tonumber(row: Row, run: Any) -> Any:
        text = _text(args[0](row, run), node)
        base = number(scalar(args[1](row, run), node)) if len(args) > 1 else 10
        if text is None or base is None:
            return None
        if base != 10:
            try:
                return int(text.strip(), int(base))
            except ValueError:
                return None
        value = number(text)
        return None if value is None or text.strip()[:2].lower() == "0x" else show_number(value)
    return run_tonumber


def _tostring(args, nodes, node):
    if len(args) > 1:
        raise NotEvaluated.at(node, "tostring() with a format")

    def run_tostring(row: Row, run: Any) -> Any:
        value = scalar(args[0](row, run), node)
        if isinstance(value, bool):
            return "True" if value else "False"
        return None if value is None else text_of(value)
    return run_tostring


def _in(args, nodes, node):
    first, rest = args[0], args[1:]
    return lambda row, run: member(first(row, run), [option(row, run) for option in rest], node)


def _like(args, nodes, node):
    return lambda row, run: like(args[0](row, run), args[1](row, run), node)


def _trim(side: str):
    def build(args, nodes, node):
        def run_trim(row: Row, run: Any) -> Any:
            text = _text(args[0](row, run), node)
            chars = _text(args[1](row, run), node) if len(args) > 1 else " \t"
            if text is None or chars is None:
                return None
            return text.strip(chars) if side == "both" else text.lstrip(chars) if side == "left" else text.rstrip(chars)
        return run_trim
    return build


def _numeric(function):
    def build(args, nodes, node):
        def run_numeric(row: Row, run: Any) -> Any:
            values = [number(scalar(arg(row, run), node)) for arg in args]
            if any(value is None for value in values):
                return None
            return show_number(function(*values))
        return run_numeric
    return build


def _isnum(args, nodes, node):
    return lambda row, run: (lambda v: v is not None and not isinstance(v, bool) and number(v) is not None)(
        scalar(args[0](row, run), node))


def _isstr(args, nodes, node):
    return lambda row, run: (lambda v: isinstance(v, str) and number(v) is None)(scalar(args[0](row, run), node))


def _isint(args, nodes, node):
    def run_isint(row: Row, run: Any) -> Any:
        value = scalar(args[0](row, run), node)
        as_number = None if isinstance(value, bool) else number(value)
        return as_number is not None and float(as_number).is_integer()
    return run_isint


def _round(values_x: float, digits: float = 0) -> float:
    return round(values_x, int(digits))


# name -> (builder, fewest arguments, most arguments)
_FUNCTIONS: dict[str, tuple[Callable, int, int]] = {
    "if": (_if, 3, 3), "case": (_case, 2, 200), "coalesce": (_coalesce, 1, 200),
    "null": (_constant(None), 0, 0), "true": (_constant(True), 0, 0), "false": (_constant(False), 0, 0),
    "isnull": (_isnull(False), 1, 1), "isnotnull": (_isnull(True), 1, 1),
    "match": (_match, 2, 2), "like": (_like, 2, 2), "in": (_in, 2, 200), "replace": (_replace, 3, 3),
    "lower": (_unary(str.lower), 1, 1), "upper": (_unary(str.upper), 1, 1), "len": (_unary(len), 1, 1),
    "substr": (_substr, 2, 3), "split": (_split, 2, 2), "trim": (_trim("both"), 1, 2),
    "ltrim": (_trim("left"), 1, 2), "rtrim": (_trim("right"), 1, 2),
    "mvcount": (_mvcount, 1, 1), "mvindex": (_mvindex, 2, 3), "mvfind": (_mvfind, 2, 2),
    "mvjoin": (_mvjoin, 2, 2), "mvappend": (_mvappend, 1, 200),
    "cidrmatch": (_cidrmatch, 2, 2), "searchmatch": (_searchmatch, 1, 1),
    "tonumber": (_tonumber, 1, 2), "tostring": (_tostring, 1, 2),
    "abs": (_numeric(abs), 1, 1), "round": (_numeric(_round), 1, 2),
    "isnum": (_isnum, 1, 1), "isstr": (_isstr, 1, 1), "isint": (_isint, 1, 1),
}
