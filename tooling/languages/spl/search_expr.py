"""SPL evaluation: the search language (the base search, `| search`, the `where` of tstats).

Semantics, from the Splunk Search Manual and Search Reference (9.x):
- "The search command evaluates OR before AND": NOT binds tightest, then OR, then AND, which may
  be implicit ("Boolean expressions with logical operators"); the grammar builds that tree.
- `field=value`: field names are case-sensitive, values are not; `*` in a value matches any run
  of characters ("Use wildcards", search command usage). A value in CIDR notation matches the
  addresses of that subnet ("The search command supports IPv4 and IPv6 addresses and subnets
  that use CIDR notation").
- `field!=value` keeps only events that have the field; `NOT field=value` also keeps events
  without it ("Difference between NOT and !=").
- A multivalue field matches when any of its values matches.
- Bare terms and "quoted phrases" match `_raw`, case-insensitively, on segment boundaries: the
  text is split by major breakers (space, brackets, quotes, `|!;,&?+*`) and then minor breakers
  (`/:=@.-$#%\\_`) ("Event segmentation and searching"). A term matches where it starts and ends
  at a breaker (or the text's ends, or the term itself starts/ends with a breaker).
- `TERM(x)`: x as one indexed term, bounded by major breakers only; `CASE(x)`: case-sensitive
  ("Use CASE() and TERM() to match phrases").
- `earliest=` / `latest=`: time modifiers of the whole search, relative to the latest event.
Undocumented points, read conservatively (not evaluated): a numeric field value that equals
the searched number only numerically (`x=1` against "1.0"); `<`/`>` between text values; `!=`
on a multivalue field whose values disagree; an escaped `\\*`; time modifiers under OR or NOT.
"""
from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import regex
from lark import Token, Tree

from tooling.languages.evaluation import MISSING, all_of, any_of, fullmatch, NotEvaluated, parse_time, wildcard_regex
from tooling.languages.spl.leaves import compound, groups, leaf, no_value, whole
from tooling.languages.spl.values import Row, get, guarded, number, texts, unquote_search

Predicate = Callable[[Row, Any], bool]

MAJOR = " \t\n\r\f\v[]<>(){}|!;,'\"*&?+"
MINOR = "/:=@.-$#%\\_"
BREAKERS = MAJOR + MINOR
_CLASS_MAJOR = regex.escape(MAJOR, special_only=False).replace("\\ ", " ")
_CLASS_ALL = regex.escape(BREAKERS, special_only=False).replace("\\ ", " ")
TIME_FIELDS = ("earliest", "latest", "_index_earliest", "_index_latest", "starttime", "endtime")
# Fields whose test selects where to look (the index, the data's source) rather than what to find:
# their leaves carry a subject for `explain` (named last among the reasons of a match).
SCOPE_FIELDS = ("index", "sourcetype", "source", "eventtype")


def compile_search(node: Any, *, time_allowed: bool, time_filters: list | None = None) -> Predicate:
    """A predicate over rows for a search expression. Time modifiers (`earliest=-24h`) are
    allowed in the top-level AND of a base search: they are returned in `time_filters`."""
    return _compile(node, time_allowed, time_filters if time_filters is not None else [])


def _compile(node: Any, top: bool, time_filters: list) -> Predicate:
    """Each leaf (a term, comparison, IN list, TERM()/CASE(), time bound) passes through
    `leaves.leaf`; a macro's whole expansion is one leaf at its call (leaves.py)."""
    expansion = compound(node, lambda: _compile_node(node, top, time_filters))
    if expansion is not None:
        return expansion
    return _compile_node(node, top, time_filters)


def _parts(node: Tree, top: bool, time_filters: list) -> list[Predicate]:
    """The operands of an AND/OR; consecutive ones expanded from one macro call are one leaf."""
    parts = []
    for call, children in groups(node.children):
        if call is not None and len(children) > 1:
            joined = Tree(node.data, children)
            parts.append(whole(call, lambda: _compile_node(joined, top, time_filters)))
        else:
            parts.extend(_compile(child, top, time_filters) for child in children)
    return parts


def _scope(field: str) -> str | None:
    """The subject of a leaf testing `field`: what it selects, or None for what it detects."""
    if field in TIME_FIELDS:
        return "the event's time"
    return f"the event's {field.lower()}" if field.lower() in SCOPE_FIELDS else None


def _field_value(field: str) -> Callable[[Row, Any], Any]:
    """The event's value a field comparison tested: MISSING when the row has none."""
    def value_of(row: Row, run: Any) -> Any:
        value = get(row.fields, field)
        return MISSING if value is None else value
    return value_of


def _compile_node(node: Any, top: bool, time_filters: list) -> Predicate:
    if isinstance(node, Token):
        if node.type in ("WORD", "STRING"):
            return leaf(node, _term(node, "plain"), no_value)
        if node.type == "MACRO":
            raise NotEvaluated.at(node, f"the macro {node} (not expanded)")
        raise NotEvaluated.at(node, f"the search token {node.type}")
    kind = node.data
    if kind == "search_and":
        return all_of(_parts(node, top, time_filters), arguments=2)
    if kind == "search_or":
        return any_of(_parts(node, False, time_filters), arguments=2)
    if kind == "search_negation":
        inner = _compile(node.children[0], False, time_filters)
        return lambda row, run: not inner(row, run)
    if kind == "comparison":
        field = _field_name(node.children[0])
        return leaf(node, _comparison(node, top, time_filters), _value_tested(node), _scope(field))
    if kind == "in_list":
        field = _field_name(node.children[0])
        matchers = [_value_matcher(value) for value in node.children[1:]]
        return leaf(node, _any_value(field, matchers, node), _field_value(field), _scope(field))
    if kind == "term_directive":
        directive = str(node.children[0])[:-1].upper()
        inner = node.children[1]
        if isinstance(inner, Token) and inner.type in ("WORD", "STRING"):
            return leaf(node, _term(inner, directive.lower()), no_value)
        if isinstance(inner, Tree) and inner.data == "comparison" and str(inner.children[1]) == "=" \
                and all(isinstance(c, Token) and c.type != "STRING" for c in inner.children):
            # `TERM(user=alice@example.com)`: the parser read a comparison; it is one term.
            word = Token.new_borrow_pos("WORD", "".join(str(c) for c in inner.children), inner.children[0])
            return leaf(node, _term(word, directive.lower()), no_value)
        raise NotEvaluated.at(node, f"{directive}() around anything but one term")
    if kind == "subsearch":
        raise NotEvaluated.at(node, "a subsearch used as a search filter")
    raise NotEvaluated.at(node, f"the search construct {kind}")


def _field_name(token: Any) -> str:
    text = str(token)
    return unquote_search(text, token) if text.startswith('"') else text


# a field's values as a loop rather than any() over a generator (see evaluation.all_of)
def _any_value(field: str, matchers: list, node: Any) -> Predicate:
    """Whether any value of the field matches any of `matchers`."""
    def test(row: Row, run: Any) -> bool:
        found = row.fields.get(field)
        if found is None:  # absent as a key: `get` reads it along a dotted name
            found = get(row.fields, field)
        for value in (found,) if type(found) is str else texts(found, node):  # most fields: one text
            for matcher in matchers:
                if matcher(value):
                    return True
        return False
    return test


def _value_tested(node: Tree) -> Callable[[Row, Any], Any]:
    """A comparison's field value; a time bound's is the event's _time."""
    field = _field_name(node.children[0])
    return _field_value("_time" if field in TIME_FIELDS else field)


def _comparison(node: Tree, top: bool, time_filters: list) -> Predicate:
    field_token, operator, value_token = node.children
    field = _field_name(field_token)
    operator = str(operator)
    if field in TIME_FIELDS:
        if not top or operator != "=":
            raise NotEvaluated.at(node, f"the time modifier {field} under OR or NOT, or with {operator}")
        if field not in ("earliest", "latest"):
            raise NotEvaluated.at(node, f"the time modifier {field}")
        time_filters.append((field, unquote_search(str(value_token), value_token), node))
        return _time_bound(field, unquote_search(str(value_token), value_token), node)
    if isinstance(value_token, Token) and value_token.type == "MACRO":
        raise NotEvaluated.at(value_token, f"the macro {value_token} (not expanded)")
    if operator == "=":
        return _any_value(field, [_value_matcher(value_token)], node)
    if operator == "!=":
        matcher = _value_matcher(value_token)

        def differs(row: Row, run: Any) -> bool:
            values = texts(get(row.fields, field), node)
            if not values:
                return False  # `!=` needs the field ("Difference between NOT and !=")
            hits = [matcher(value) for value in values]
            if all(hits):
                return False
            if not any(hits):
                return True
            raise NotEvaluated.at(node, "!= on a multivalue field whose values disagree (undocumented)")
        return differs
    if operator in ("<", ">", "<=", ">="):
        target = number(unquote_search(str(value_token), value_token))
        if target is None:
            raise NotEvaluated.at(node, f"{operator} with a value that is not a number (text order is undocumented)")
        test = _RELATIONS[operator]

        def relation(row: Row, run: Any) -> bool:
            values = texts(get(row.fields, field), node)
            if len(values) > 1:
                raise NotEvaluated.at(node, f"{operator} on a multivalue field")
            if not values:
                return False
            found = number(values[0])
            if found is None:
                raise NotEvaluated.at(node, f"{operator} on a value that is not a number ({values[0][:40]!r})")
            return test(found, target)
        return relation
    raise NotEvaluated.at(node, f"the search operator {operator}")


_RELATIONS = {"<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
              ">=": lambda a, b: a >= b}


def _value_matcher(token: Any) -> Callable[[str], bool]:
    """A test of one field value (text) against a search value: wildcards, case-insensitive,
    CIDR subnets."""
    if isinstance(token, Token) and token.type == "MACRO":
        raise NotEvaluated.at(token, f"the macro {token} (not expanded)")
    pattern = unquote_search(str(token), token)
    if "/" in pattern and "*" not in pattern:
        network = _network(pattern)
        if network is not None:
            return lambda value: _in_network(value, network)
    lowered = pattern.lower()
    if "*" not in pattern:
        as_number = number(pattern)

        def equal(value: str) -> bool:
            if value.lower() == lowered:
                return True
            if as_number is not None and number(value) == as_number:
                raise NotEvaluated.at(token, f"a number equal to {pattern} only numerically ({value[:40]!r}): "
                                      "how the search command compares numbers is undocumented")
            return False
        return equal
    inner = lowered.strip("*")
    if "*" not in inner:
        if pattern.startswith("*") and pattern.endswith("*"):
            return lambda value: inner in value.lower()
        if pattern.endswith("*"):
            return lambda value: value.lower().startswith(inner)
        return lambda value: value.lower().endswith(inner)
    compiled = wildcard_regex(pattern, ignore_case=True)
    return lambda value: fullmatch(compiled, value)


def _network(text: str) -> Any:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _in_network(value: str, network: Any) -> bool:
    try:
        return ipaddress.ip_address(value.strip()) in network
    except ValueError:
        return value.lower() == str(network).lower()


def _term(token: Token, mode: str) -> Predicate:
    """A bare term or quoted phrase against `_raw` (see the module's notes on segmentation)."""
    text = unquote_search(str(token), token)
    if not text:
        raise NotEvaluated.at(token, "an empty search term")
    boundary = _CLASS_MAJOR if mode == "term" else _CLASS_ALL
    flags = 0 if mode == "case" else regex.IGNORECASE
    pieces = [regex.escape(piece) for piece in text.split("*")]
    body = f"[^{_CLASS_MAJOR}]*".join(pieces)
    head = "" if text[0] == "*" or (text[0] in BREAKERS and mode != "term") else f"(?<![^{boundary}])"
    tail = "" if text[-1] == "*" or (text[-1] in BREAKERS and mode != "term") else f"(?![^{boundary}])"
    compiled = regex.compile(head + body + tail, flags | regex.DOTALL)

    def matches(row: Row, run: Any) -> bool:
        raw = get(row.fields, "_raw")
        if raw is None:
            return False
        return any(guarded(compiled.search, value) is not None for value in texts(raw, token))
    return matches


# --- time modifiers --------------------------------------------------------------------------

_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60,
          "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
          "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
_RELATIVE = regex.compile(r"([+-]\d*)([a-z]+)?(?:@([a-z]+\d?))?|@([a-z]+\d?)")


def event_time(row: Row) -> float | None:
    moment = parse_time(get(row.fields, "_time"))
    return moment.timestamp() if moment is not None else None


def resolve_time(spec: str, latest: datetime, node: Any) -> float:
    """A time modifier's value as epoch seconds: relative (`-24h`, `-7d@d`, `@w1`), `now`,
    epoch seconds, or %m/%d/%Y:%H:%M:%S ("Time modifiers", Search Reference)."""
    text = spec.strip().lower()
    if text in ("now", "now()", "rt"):
        return latest.timestamp()
    if regex.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    try:
        return datetime.strptime(spec.strip(), "%m/%d/%Y:%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        pass
    found = _RELATIVE.fullmatch(text)
    if found is None:
        raise NotEvaluated.at(node, f"the time modifier value {spec!r}")
    amount, unit, snap, only_snap = found.groups()
    moment = latest
    if amount is not None:
        count = int(amount[1:] or "1") * (-1 if amount[0] == "-" else 1)
        if (unit or "s") not in _UNITS:
            raise NotEvaluated.at(node, f"the time unit {unit!r} (months, quarters and years are not evaluated)")
        moment = moment + timedelta(seconds=count * _UNITS[unit or "s"])
    snap = snap or only_snap
    if snap:
        moment = _snap(moment, snap, node)
    return moment.timestamp()


def _snap(moment: datetime, unit: str, node: Any) -> datetime:
    if unit in ("s", "sec", "second"):
        return moment.replace(microsecond=0)
    if unit in ("m", "min", "minute"):
        return moment.replace(second=0, microsecond=0)
    if unit in ("h", "hr", "hour"):
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit in ("d", "day"):
        return day
    if unit.startswith("w") and (unit in ("w", "week") or unit[1:].isdigit()):
        weekday = int(unit[1:]) if unit[1:].isdigit() else 0  # @w0 = Sunday, as @w
        back = (day.isoweekday() % 7 - weekday) % 7
        return day - timedelta(days=back)
    if unit in ("mon", "month"):
        return day.replace(day=1)
    if unit in ("y", "yr", "year"):
        return day.replace(month=1, day=1)
    raise NotEvaluated.at(node, f"the time snap @{unit}")


def _time_bound(field: str, spec: str, node: Any) -> Predicate:
    key = ("time", id(node))

    def within(row: Row, run: Any) -> bool:
        bound = run.cache.get(key)
        if bound is None:
            latest = run.latest_time(node)
            bound = run.cache[key] = resolve_time(spec, latest, node)
        moment = event_time(row)
        if moment is None:
            raise NotEvaluated.at(node, f"{field}= on an event without a _time")
        # The time range includes its earliest time and excludes its latest.
        return moment >= bound if field == "earliest" else moment < bound
    return within
