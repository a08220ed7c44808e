"""KQL scalar functions and aggregation functions for the evaluator.

Each scalar function is compiled from its call node into a closure `fn(row, env)`; a function not
listed here raises NotEvaluated naming it. Semantics follow the function pages under
learn.microsoft.com/kusto/query/<name>-function; notes below where a choice was made.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import NotEvaluated, REGEX_TIMEOUT_S
from tooling.languages.prefilter import SLOW, untimed
from tooling.languages.kql import values as V
from tooling.languages.kql.scalar import Scope, compile_expr, const, is_const, is_tabular

Impl = Callable[..., Any]


def _regex_call(pattern, method: str, node, *args):
    if method in ("search", "match", "fullmatch") and len(args) == 1:
        found = untimed(pattern, method, args[0])
        if found is not SLOW:
            return found
    try:
        return getattr(pattern, method)(*args, timeout=REGEX_TIMEOUT_S)
    except TimeoutError:
        raise NotEvaluated.at(node, "a regular expression that backtracks without end") from None


def _pattern(fn, node, row, env):
    return V.re2(V.to_text(fn.value if is_const(fn) else fn(row, env)), node)


# --- special forms (lazy or needing the node) ------------------------------------------------

def _iff(node, args, scope):
    if len(args) != 3:
        raise NotEvaluated.at(node, "iff() takes three arguments")
    test, yes, no = args
    # iff-function: "if the predicate evaluates to true ... otherwise" the else value (null too)
    return lambda row, env: yes(row, env) if test(row, env) is True else no(row, env)


def _case(node, args, scope):
    if len(args) < 3 or len(args) % 2 == 0:
        raise NotEvaluated.at(node, "case() takes predicate/value pairs and an else value")
    pairs = [(args[i], args[i + 1]) for i in range(0, len(args) - 1, 2)]
    otherwise = args[-1]

    def case(row, env):
        for test, value in pairs:
            if test(row, env) is True:  # the first predicate that is true
                return value(row, env)
        return otherwise(row, env)
    return case


def _coalesce(node, args, scope):
    # coalesce-function: the first value that is not null, or not empty for strings.
    def coalesce(row, env):
        for arg in args:
            value = arg(row, env)
            if not V.is_empty(value):
                return value
        return value
    return coalesce


def _not(node, args, scope):
    (inner,) = args

    def negate(row, env):
        value = inner(row, env)
        if value is None:
            raise NotEvaluated.at(node, "not() of null (not documented)")
        if not isinstance(value, bool):
            raise NotEvaluated.at(node, "not() of a non-boolean value")
        return not value
    return negate


def _isnull(positive: bool):
    def build(node, args, scope):
        (inner,) = args
        plain_column = getattr(inner, "column", None) is not None

        def isnull(row, env):
            value = inner(row, env)
            if value is None and plain_column and inner.column not in row:
                # A column the event lacks: a string column would be "" (never null), any other
                # type null. Which one it is depends on the table's schema: not evaluated.
                raise NotEvaluated.at(node, "isnull() of a column the event does not have (is it a string?)")
            return (value is None) is positive
        return isnull
    return build


def _ago(node, args, scope):
    (span,) = args
    return lambda row, env: _shift(env.now, span(row, env), -1, node)


def _now(node, args, scope):
    if not args:
        return lambda row, env: env.now
    return lambda row, env: _shift(env.now, args[0](row, env), 1, node)


def _shift(moment, span, sign, node):
    if span is None:
        return None
    if not isinstance(span, timedelta):
        raise NotEvaluated.at(node, "ago()/now() of a value that is not a timespan")
    return moment + sign * span


def _extract(node, args, scope):
    if len(args) not in (3, 4):
        raise NotEvaluated.at(node, "extract() with this number of arguments")
    pattern, group, source = args[:3]
    if len(args) == 4:
        raise NotEvaluated.at(node, "extract() with a type argument")

    def extract(row, env):
        compiled = _pattern(pattern, node, row, env)
        index = group(row, env)
        match = _regex_call(compiled, "search", node, V.to_text(source(row, env)))
        if match is None or not isinstance(index, int) or index > (compiled.groups or 0):
            return None  # extract-function: no match -> null
        return match.group(index)
    return extract


def _extract_all(node, args, scope):
    if len(args) != 2:
        raise NotEvaluated.at(node, "extract_all() with capture-group selection")
    pattern, source = args

    def extract_all(row, env):
        compiled = _pattern(pattern, node, row, env)
        if not compiled.groups:
            raise NotEvaluated.at(node, "extract_all() of a regex without a capture group (Kusto refuses it)")
        out = []
        for match in _regex_call(compiled, "finditer", node, V.to_text(source(row, env))):
            env.deadline.check()
            out.append(match.group(1) if compiled.groups == 1 else list(match.groups()))
        return out or None
    return extract_all


def _replace_regex(node, args, scope):
    text, pattern, rewrite = args

    def replace(row, env):
        compiled = _pattern(pattern, node, row, env)
        template = V.to_text(rewrite(row, env))
        try:
            return compiled.sub(lambda m: m.expand(template), V.to_text(text(row, env)), timeout=REGEX_TIMEOUT_S)
        except TimeoutError:
            raise NotEvaluated.at(node, "a regular expression that backtracks without end") from None
    return replace


def _toscalar(node, args, scope):
    inner = node.children[1]
    if not is_tabular(inner, scope):
        return args[0] if args else const(None)
    table, ordered = scope.tabular(inner, scope)

    def toscalar(row, env):
        key = ("toscalar", id(node))
        if key not in env.memo:
            rows = table(env)
            if len(rows) > 1 and not ordered:
                raise NotEvaluated.at(node, "toscalar() of several rows in no defined order")
            env.memo[key] = next(iter(rows[0][0].values()), None) if rows and rows[0][0] else None
        return env.memo[key]
    return toscalar


def _column_ifexists(node, args, scope):
    name_fn, default = args
    if not is_const(name_fn):
        raise NotEvaluated.at(node, "column_ifexists() with a computed name")
    name = V.to_text(name_fn.value)

    def get(row, env):
        if name in row:
            return row[name]
        # A column the event lacks may still exist in the table (as "" or null).
        raise NotEvaluated.at(node, f"column_ifexists({name!r}) on an event without that column")
    return get


SPECIAL = {
    "iff": _iff, "iif": _iff, "case": _case, "coalesce": _coalesce, "not": _not,
    "isnull": _isnull(True), "isnotnull": _isnull(False), "ago": _ago, "now": _now,
    "extract": _extract, "extract_all": _extract_all, "replace_regex": _replace_regex,
    "toscalar": _toscalar, "column_ifexists": _column_ifexists,
}


# --- plain functions (values in, value out) -----------------------------------------------------

def _to_long(value):
    if value is None or isinstance(value, bool):
        return int(value) if isinstance(value, bool) else None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                return int(float(value.strip()))
            except ValueError:
                return None
    return None


def _to_real(value):
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _to_bool(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return {"true": True, "false": False, "1": True, "0": False}.get(value.strip().lower())
    return None


def _to_datetime(value):
    if isinstance(value, datetime) or value is None:
        return value
    return V.parse_datetime(value) if isinstance(value, str) else None


def _to_timespan(value):
    if isinstance(value, timedelta) or value is None:
        return value
    return V.parse_timespan(value) if isinstance(value, str) else None


def _parse_json(value):
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # parse_json of text that is not JSON: the text as a dynamic string


def _bin(value, size):
    if value is None or size is None:
        return None
    if isinstance(value, str):
        value = V.parse_datetime(value)
    if isinstance(value, datetime) and isinstance(size, timedelta) and size:
        return value - (value - V.DATETIME_ZERO) % size
    if isinstance(value, timedelta) and isinstance(size, timedelta) and size:
        return value - value % size
    if isinstance(value, (int, float)) and isinstance(size, (int, float)) and size and not isinstance(value, bool):
        result = (value // size) * size
        return int(result) if isinstance(value, int) and isinstance(size, int) else result
    return None


_DIFF_UNITS = {"hour": 3600, "minute": 60, "second": 1, "millisecond": 1e-3, "microsecond": 1e-6}


def _datetime_diff(part, first, second):
    first, second = _to_datetime(first), _to_datetime(second)
    if first is None or second is None:
        return None
    part = V.to_text(part).lower()
    # datetime-diff-function: the number of period boundaries crossed between the two values
    if part == "year":
        return first.year - second.year
    if part == "quarter":
        return (first.year * 4 + (first.month - 1) // 3) - (second.year * 4 + (second.month - 1) // 3)
    if part == "month":
        return (first.year * 12 + first.month) - (second.year * 12 + second.month)
    if part == "day":
        return (first.date() - second.date()).days
    if part in _DIFF_UNITS:
        unit = _DIFF_UNITS[part]
        since = (first - V.DATETIME_ZERO).total_seconds(), (second - V.DATETIME_ZERO).total_seconds()
        return int(since[0] // unit - since[1] // unit)
    raise NotEvaluated(f"datetime_diff() by {part!r}")


def _countof(text, needle, kind="normal"):
    text, needle = V.to_text(text), V.to_text(needle)
    if kind == "regex":
        return len(V.re2(needle).findall(text, timeout=REGEX_TIMEOUT_S))
    if not needle:
        return 0
    # Whether kind=normal counts overlapping occurrences is not settled by the pages consulted:
    # when the two readings differ ("aaa", "aa"), not evaluated.
    overlapping, start = 0, text.find(needle)
    while start >= 0:
        overlapping, start = overlapping + 1, text.find(needle, start + 1)
    if overlapping != text.count(needle):
        raise NotEvaluated("countof() where overlapping and separate occurrences differ (not documented)")
    return overlapping


def _indexof(text, needle, start=0, length=-1, occurrence=1):
    if text is None or needle is None:
        return None
    text, needle = V.to_text(text), V.to_text(needle)
    if start < 0 or start > len(text) or occurrence < 1:
        return -1 if start <= len(text) else None
    end = len(text) if length == -1 else start + length
    position = start - 1
    for _ in range(occurrence):
        position = text.find(needle, position + 1, end)
        if position < 0:
            return -1
    return position


def _split(text, delimiter, index=None):
    parts = V.to_text(text).split(V.to_text(delimiter)) if V.to_text(delimiter) else [V.to_text(text)]
    if index is None:
        return parts
    return [parts[index]] if -len(parts) <= index < len(parts) else []


def _substring(text, start, length=None):
    text = V.to_text(text)
    start = max(0, start or 0)
    return text[start:] if length is None else text[start:start + max(0, length)]


def _strcat(*values):
    return "".join(V.to_text(v) for v in values)


def _array_length(value):
    return len(value) if isinstance(value, list) else None


def _set_has_element(array, value):
    return isinstance(array, list) and any(V.equal(item, value) is True for item in array)


def _array_index_of(array, value):
    if not isinstance(array, list):
        return None
    return next((i for i, item in enumerate(array) if V.equal(item, value) is True), -1)


# ipv4-is-in-range-function: "true: If the long representation of the first IPv4 string argument is
# in range of the second IPv4 string argument. false: Otherwise. null: If conversion for one of
# the two IPv4 strings wasn't successful." A range is IP-prefix (CIDR) notation, "a prefix
# length between 0 and 32"; without a prefix it is the one address (the page's first example:
# ipv4_is_in_range("192.168.1.1", "192.168.1.1") is true). ipv4-is-in-any-range-function: true
# if the address is in any of the ranges (strings, or one dynamic array of them).
_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:/(\d{1,2}))?")


def _ipv4(text, is_range: bool):
    """(address as a number, prefix length), or None where Kusto's conversion fails. Forms whose
    conversion the pages do not settle (leading zeros, spaces, an address with a prefix) are not
    evaluated."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise NotEvaluated("an IPv4 function of a value that is not a string")
    found = _IPV4.fullmatch(text)
    if found is None:
        if text == "" or ":" in text or not any(c.isdigit() for c in text):
            return None  # empty, IPv6, or no address at all: the conversion cannot succeed
        raise NotEvaluated(f"an IPv4 text in a form the documentation does not settle ({text[:40]!r})")
    octets = [int(part) for part in found.groups()[:4]]
    if any(len(part) > 1 and part.startswith("0") for part in found.groups()[:4]):
        raise NotEvaluated(f"an IPv4 text with leading zeros ({text[:40]!r}: octal or decimal is not documented)")
    if found.group(5) is not None and not is_range:
        raise NotEvaluated("an IPv4 address with a prefix where an address is expected")
    prefix = 32 if found.group(5) is None else int(found.group(5))
    if any(octet > 255 for octet in octets) or prefix > 32:
        return None
    return (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3], prefix


def _ipv4_is_in_range(address, cidr):
    parsed, network = _ipv4(address, False), _ipv4(cidr, True)
    if parsed is None or network is None:
        return None
    mask = (0xFFFFFFFF << (32 - network[1])) & 0xFFFFFFFF
    return (parsed[0] & mask) == (network[0] & mask)


def _ipv4_is_in_any_range(address, *ranges):
    if len(ranges) == 1 and isinstance(ranges[0], list):
        ranges = tuple(ranges[0])
    if _ipv4(address, False) is None:
        return None
    results = [_ipv4_is_in_range(address, cidr) for cidr in ranges]
    if any(result is None for result in results):
        # one of several ranges does not convert: null, or true when another range holds the
        # address? The page does not say.
        raise NotEvaluated("ipv4_is_in_any_range() with a range that does not convert (not documented)")
    return any(results)


PLAIN: dict[str, tuple[Impl, int, int]] = {  # name -> (function, least, most arguments)
    "ipv4_is_in_range": (_ipv4_is_in_range, 2, 2), "ipv4_is_in_any_range": (_ipv4_is_in_any_range, 2, 64),
    "tolower": (lambda s: V.to_text(s).lower(), 1, 1), "toupper": (lambda s: V.to_text(s).upper(), 1, 1),
    "strlen": (lambda s: len(V.to_text(s)), 1, 1), "strcat": (_strcat, 1, 64),
    "strcat_delim": (lambda d, *v: V.to_text(d).join(V.to_text(x) for x in v), 2, 65),
    "tostring": (V.to_text, 1, 1), "toint": (_to_long, 1, 1), "tolong": (_to_long, 1, 1),
    "toreal": (_to_real, 1, 1), "todouble": (_to_real, 1, 1), "tobool": (_to_bool, 1, 1),
    "toboolean": (_to_bool, 1, 1), "todatetime": (_to_datetime, 1, 1), "totimespan": (_to_timespan, 1, 1),
    "parse_json": (_parse_json, 1, 1), "todynamic": (_parse_json, 1, 1),
    "isempty": (V.is_empty, 1, 1), "isnotempty": (lambda v: not V.is_empty(v), 1, 1),
    "array_length": (_array_length, 1, 1), "split": (_split, 2, 3), "substring": (_substring, 2, 3),
    "bin": (_bin, 2, 2), "floor": (_bin, 2, 2), "datetime_diff": (_datetime_diff, 3, 3),
    "countof": (_countof, 2, 3), "indexof": (_indexof, 2, 5),
    "replace_string": (lambda t, a, b: V.to_text(t).replace(V.to_text(a), V.to_text(b)) if V.to_text(a)
                       else V.to_text(t), 3, 3),
    "strcat_array": (lambda a, d: V.to_text(d).join(V.to_text(x) for x in a) if isinstance(a, list) else None, 2, 2),
    "set_has_element": (_set_has_element, 2, 2), "array_index_of": (_array_index_of, 2, 2),
    "pack_array": (lambda *v: list(v), 1, 64), "abs": (lambda v: None if v is None else abs(v), 1, 1),
    "startofday": (lambda v: None if _to_datetime(v) is None else _bin(_to_datetime(v), timedelta(days=1)), 1, 1),
    "bag_keys": (lambda v: list(v) if isinstance(v, dict) else None, 1, 1),
}


def compile_call(node: Tree, scope: Scope):
    name_token = node.children[0]
    name = str(name_token)
    raw = node.children[1:]
    binding = scope.lets.get(name)
    if binding is not None:
        raise NotEvaluated.at(node, f"a call of the user-defined function {name}")
    if name in ("materialize",):
        raise NotEvaluated.at(node, f"{name}() as a scalar value")
    for arg in raw:
        if isinstance(arg, Tree) and arg.data == "named_arg":
            raise NotEvaluated.at(arg, f"a named argument of {name}()")
        if isinstance(arg, Token) and arg.type == "STAR":
            raise NotEvaluated.at(arg, f"`*` as an argument of {name}()")
    if name == "toscalar":
        return _toscalar(node, [], scope)
    args = [compile_expr(arg, scope) for arg in raw]
    if name in SPECIAL:
        return SPECIAL[name](node, args, scope)
    if name not in PLAIN:
        raise NotEvaluated.at(node, f"the function {name}()")
    impl, least, most = PLAIN[name]
    if not least <= len(args) <= most:
        raise NotEvaluated.at(node, f"{name}() with {len(args)} arguments")
    if all(is_const(a) for a in args) and name not in ("now",):
        try:
            return const(impl(*(a.value for a in args)))
        except (TypeError, ValueError, AttributeError):
            raise NotEvaluated.at(node, f"{name}() of these argument types") from None

    def call(row, env):
        try:
            return impl(*[a(row, env) for a in args])
        except NotEvaluated as exc:
            if exc.line == 1 and exc.column == 1:
                raise NotEvaluated.at(node, exc.construct) from None
            raise
        except (TypeError, ValueError, AttributeError):
            raise NotEvaluated.at(node, f"{name}() of these argument types") from None
    return call
