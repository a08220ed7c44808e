"""AQL function calls: the documented functions this evaluator runs, and the aggregates.

IBM pages: "AQL data calculation and formatting functions" (LOWER, UPPER, STR, UTF8, BASE64,
CONCAT, LONG, DOUBLE, DATEFORMAT, STRLEN, REPLACEFIRST, REPLACEALL, NOW), "AQL data retrieval
functions" (LOGSOURCETYPENAME, LOGSOURCENAME, QIDNAME, CATEGORYNAME, INCIDR,
REFERENCESETCONTAINS) and "AQL data aggregation functions" (COUNT, UNIQUECOUNT / DISTINCTCOUNT,
MIN, MAX, SUM, AVG). Any other function raises NotEvaluated with its name and position.

The name functions read id -> name tables kept as platform data (`tooling/platforms/aql/
names.json`): an id missing there is not evaluated rather than guessed.
"""
from __future__ import annotations

import base64
import ipaddress
import json
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from lark import Tree

from tooling.languages.aql.nodes import call_arguments, call_name, string_value, unquote
from tooling.languages.aql.values import NUMBER, JavaRegex, Payload
from tooling.languages.evaluation import REGEX_TIMEOUT_S, NotEvaluated

AGGREGATES = frozenset({"COUNT", "UNIQUECOUNT", "DISTINCTCOUNT", "MIN", "MAX", "SUM", "AVG", "FIRST", "LAST",
                        "STDEV", "STDEVP"})
NAMES_FILE = Path(__file__).resolve().parents[2] / "platforms" / "aql" / "names.json"
_NAME_TABLES = {"LOGSOURCETYPENAME": "devicetype", "LOGSOURCENAME": "logsourceid", "QIDNAME": "qid",
                "CATEGORYNAME": "category"}


@lru_cache(maxsize=1)
def name_tables() -> dict[str, dict[str, str]]:
    data = json.loads(NAMES_FILE.read_text(encoding="utf-8"))
    return {key: {str(k): str(v) for k, v in data.get(key, {}).items()} for key in _NAME_TABLES.values()}


def has_aggregate(node: Any, aliases: dict, seen: frozenset = frozenset()) -> bool:
    """True when `node` calls an aggregate, directly or through a SELECT alias it names."""
    if not isinstance(node, Tree):
        return False
    if node.data == "call" and call_name(node).upper() in AGGREGATES:
        return True
    if node.data == "field":
        name = unquote(str(node.children[0]))
        target = aliases.get(name)
        if target is not None and name not in seen and not (
                isinstance(target, Tree) and target.data == "field"):
            return has_aggregate(target, aliases, seen | {name})
        return False
    return any(has_aggregate(child, aliases, seen) for child in node.children)


def compile_call(compiler: Any, node: Tree, group: bool) -> Callable:
    name = call_name(node).upper()
    arguments = call_arguments(node)
    star = any(isinstance(c, Tree) and c.data == "star_argument" for c in node.children[1:])
    if name in AGGREGATES:
        if not group:
            raise NotEvaluated.at(node, f"the aggregate {name} outside SELECT / HAVING")
        return _aggregate(compiler, node, name, arguments, star)
    builder = _SCALARS.get(name)
    if builder is None:
        raise NotEvaluated.at(node, f"the function {call_name(node)}")
    closures = [compiler._compile(argument, group) for argument in arguments]
    return builder(node, closures, arguments)


def _arity(node: Tree, closures: list, count: int, name: str) -> None:
    if len(closures) != count:
        raise NotEvaluated.at(node, f"{name} with {len(closures)} arguments (it takes {count})")


# --- scalar functions -----------------------------------------------------------------------

def _text_function(name: str, apply: Callable[[str], Any]) -> Callable:
    def build(node: Tree, closures: list, arguments: list) -> Callable:
        _arity(node, closures, 1, name)
        inner = closures[0]

        def run(x: Any, state: Any) -> Any:
            value = inner(x, state)
            if value is None:
                return None
            if not isinstance(value, str):
                raise NotEvaluated.at(node, f"{name} of a value that is not text")
            return apply(value)
        return run
    return build


def _name_function(name: str) -> Callable:
    table_key = _NAME_TABLES[name]

    def build(node: Tree, closures: list, arguments: list) -> Callable:
        _arity(node, closures, 1, name)
        inner = closures[0]
        table = name_tables()[table_key]

        def run(x: Any, state: Any) -> Any:
            value = inner(x, state)
            if value is None:
                return None
            key = str(value) if isinstance(value, int) and not isinstance(value, bool) else None
            found = table.get(key) if key is not None else None
            if found is None:
                raise NotEvaluated.at(node, f"{name}({value!r}): id not in the platform's name table "
                                      "(tooling/platforms/aql/names.json)")
            return found
        return run
    return build


def _utf8(node: Tree, closures: list, arguments: list) -> Callable:
    _arity(node, closures, 1, "UTF8")
    inner = closures[0]

    def run(x: Any, state: Any) -> Any:
        value = inner(x, state)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, Payload):
            return value.text
        raise NotEvaluated.at(node, "UTF8 of a value that is not the payload")
    return run


def _base64(node: Tree, closures: list, arguments: list) -> Callable:
    _arity(node, closures, 1, "BASE64")
    inner = closures[0]

    def run(x: Any, state: Any) -> Any:
        value = inner(x, state)
        if value is None:
            return None
        if isinstance(value, Payload):
            return base64.b64encode(value.text.encode("utf-8")).decode("ascii")
        raise NotEvaluated.at(node, "BASE64 of a value that is not the payload")
    return run


def _str(node: Tree, closures: list, arguments: list) -> Callable:
    _arity(node, closures, 1, "STR")
    inner = closures[0]

    def run(x: Any, state: Any) -> Any:
        value = inner(x, state)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise NotEvaluated.at(node, "STR of a decimal number or the payload (Java's text form is not evaluated)")
    return run


def _concat(node: Tree, closures: list, arguments: list) -> Callable:
    def run(x: Any, state: Any) -> Any:
        parts = []
        for closure in closures:
            value = closure(x, state)
            if isinstance(value, str):
                parts.append(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                parts.append(str(value))
            else:
                raise NotEvaluated.at(node, "CONCAT of NULL, a decimal or the payload (not documented)")
        return "".join(parts)
    return run


def _number(name: str, convert: Callable) -> Callable:
    def build(node: Tree, closures: list, arguments: list) -> Callable:
        _arity(node, closures, 1, name)
        inner = closures[0]

        def run(x: Any, state: Any) -> Any:
            value = inner(x, state)
            if value is None:
                return None
            if isinstance(value, NUMBER) and not isinstance(value, bool):
                return convert(value)
            if isinstance(value, str):
                text = value.strip()
                try:
                    if name == "DOUBLE":
                        return float(text)
                    if text.lstrip("-").isdigit():
                        return int(text)
                    return int(ipaddress.IPv4Address(text))  # IBM: LONG(sourceip) for bitwise IP filters
                except ValueError:
                    pass
            raise NotEvaluated.at(node, f"{name} of {value!r}")
        return run
    return build


def _strlen(node: Tree, closures: list, arguments: list) -> Callable:
    return _text_function("STRLEN", lambda text: len(text.encode("utf-16-le")) // 2)(node, closures, arguments)


def _incidr(node: Tree, closures: list, arguments: list) -> Callable:
    _arity(node, closures, 2, "INCIDR")
    cidr_of, address_of = closures

    def run(x: Any, state: Any) -> Any:
        cidr, address = cidr_of(x, state), address_of(x, state)
        if cidr is None or address is None:
            return None
        try:
            network = ipaddress.ip_network(str(cidr), strict=False)
            host = ipaddress.ip_address(address if isinstance(address, str) else int(address))
        except (ValueError, TypeError):
            raise NotEvaluated.at(node, f"INCIDR({cidr!r}, {address!r}): not a CIDR and an IP address") from None
        return host.version == network.version and host in network
    return run


def _reference_set(node: Tree, closures: list, arguments: list) -> Callable:
    _arity(node, closures, 2, "REFERENCESETCONTAINS")
    name = string_value(arguments[0])
    if name is None:
        raise NotEvaluated.at(node, "REFERENCESETCONTAINS with a set name that is not a 'string'")
    value_of = closures[1]

    def run(x: Any, state: Any) -> Any:
        sets = state.context.reference_sets
        if name not in sets:
            raise NotEvaluated.at(node, f"REFERENCESETCONTAINS: the reference set {name!r} is not declared "
                                  "(platforms.yml reference_sets)")
        value = value_of(x, state)
        if value is None:
            return None
        if isinstance(value, Payload) or isinstance(value, float):
            raise NotEvaluated.at(node, "REFERENCESETCONTAINS of the payload or a decimal number")
        # An AlphaNumeric reference set matches exactly, case included (the "Ignore Case" set
        # type exists for the other behaviour); a declared set is taken as AlphaNumeric.
        return str(value) in state.set_members(name)
    return run


def _now(node: Tree, closures: list, arguments: list) -> Callable:
    _arity(node, closures, 0, "NOW")
    # Offline, "now" is the latest event's time (the evaluation contract's reference point).
    return lambda x, state: state.now_ms


_DATE_LETTERS = {
    "yyyy": "%Y", "yy": "%y", "MMMM": "%B", "MMM": "%b", "MM": "%m", "dd": "%d", "HH": "%H", "hh": "%I",
    "mm": "%M", "ss": "%S", "a": "%p", "EEEE": "%A", "EEE": "%a",
}


@lru_cache(maxsize=64)
def _date_format(pattern: str) -> list | None:
    """Java SimpleDateFormat -> pieces (strftime codes, 'SSS' for milliseconds, or literal text);
    None when the pattern uses a letter this does not translate."""
    pieces: list = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "'":
            end = pattern.find("'", index + 1)
            if end < 0:
                return None
            pieces.append(("text", pattern[index + 1:end] or "'"))
            index = end + 1
            continue
        if char.isalpha():
            run = index
            while run < len(pattern) and pattern[run] == char:
                run += 1
            letters = pattern[index:run]
            if letters == "SSS":
                pieces.append(("ms", ""))
            elif letters in _DATE_LETTERS:
                pieces.append(("code", _DATE_LETTERS[letters]))
            else:
                return None
            index = run
            continue
        pieces.append(("text", char))
        index += 1
    return pieces


def _dateformat(node: Tree, closures: list, arguments: list) -> Callable:
    _arity(node, closures, 2, "DATEFORMAT")
    time_of, format_of = closures

    def run(x: Any, state: Any) -> Any:
        moment, pattern = time_of(x, state), format_of(x, state)
        if moment is None or pattern is None:
            return None
        if not isinstance(moment, int) or isinstance(moment, bool) or not isinstance(pattern, str):
            raise NotEvaluated.at(node, "DATEFORMAT of a value that is not epoch milliseconds and a format")
        pieces = _date_format(pattern)
        if pieces is None:
            raise NotEvaluated.at(node, f"DATEFORMAT pattern {pattern!r} (a SimpleDateFormat letter this "
                                  "evaluator does not translate)")
        # QRadar formats in the time zone of the console / user, which is not part of the query;
        # offline events are in UTC, so DATEFORMAT is evaluated in UTC.
        try:
            when = datetime.fromtimestamp(moment / 1000, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise NotEvaluated.at(node, f"DATEFORMAT of the time {moment}") from None
        out = []
        for kind, value in pieces:
            if kind == "text":
                out.append(value)
            elif kind == "ms":
                out.append(f"{moment % 1000:03d}")
            else:
                out.append(when.strftime(value))
        return "".join(out)
    return run


def _java_replacement(template: str, node: Tree) -> Callable:
    """Java's Matcher replacement: $n is group n, a backslash makes the next character literal."""
    def expand(match: Any) -> str:
        out, index = [], 0
        while index < len(template):
            char = template[index]
            if char == "\\" and index + 1 < len(template):
                out.append(template[index + 1])
                index += 2
            elif char == "$" and index + 1 < len(template) and template[index + 1].isdigit():
                number = int(template[index + 1])
                if number > (match.re.groups or 0):
                    raise NotEvaluated.at(node, f"replacement ${number} without that group")
                out.append(match.group(number) or "")
                index += 2
            elif char == "$":
                raise NotEvaluated.at(node, "a replacement with $ not followed by a group number")
            else:
                out.append(char)
                index += 1
        return "".join(out)
    return expand


def _replace(name: str, count: int) -> Callable:
    def build(node: Tree, closures: list, arguments: list) -> Callable:
        _arity(node, closures, 3, name)
        pattern = string_value(arguments[0])
        template = string_value(arguments[2])
        if pattern is None or template is None:
            raise NotEvaluated.at(node, f"{name} with a pattern or replacement that is not a 'string'")
        compiled = JavaRegex(pattern, False, arguments[0], name).compiled
        expand = _java_replacement(template, node)
        text_of = closures[1]

        def run(x: Any, state: Any) -> Any:
            text = text_of(x, state)
            if text is None:
                return None
            if not isinstance(text, str):
                raise NotEvaluated.at(node, f"{name} of a value that is not text")
            try:
                return compiled.sub(expand, text, count=count, timeout=REGEX_TIMEOUT_S)
            except TimeoutError:
                raise NotEvaluated.at(node, "a regular expression that backtracks without end") from None
        return run
    return build


_SCALARS: dict[str, Callable] = {
    "LOWER": _text_function("LOWER", str.lower),
    "UPPER": _text_function("UPPER", str.upper),
    "STR": _str, "UTF8": _utf8, "BASE64": _base64, "CONCAT": _concat, "STRLEN": _strlen,
    "LONG": _number("LONG", int), "DOUBLE": _number("DOUBLE", float),
    "INCIDR": _incidr, "REFERENCESETCONTAINS": _reference_set, "NOW": _now, "DATEFORMAT": _dateformat,
    "REPLACEFIRST": _replace("REPLACEFIRST", 1), "REPLACEALL": _replace("REPLACEALL", 0),
    **{name: _name_function(name) for name in _NAME_TABLES},
}


# --- aggregates -----------------------------------------------------------------------------

def _aggregate(compiler: Any, node: Tree, name: str, arguments: list, star: bool) -> Callable:
    if name == "COUNT" and star:
        return lambda group, state: len(group)
    if name in ("FIRST", "LAST", "STDEV", "STDEVP"):
        raise NotEvaluated.at(node, f"the aggregate {name}")
    if len(arguments) != 1:
        raise NotEvaluated.at(node, f"{name} with {len(arguments)} arguments")
    inner = compiler._compile(arguments[0], False)

    def values(group: list, state: Any) -> list:
        found = [inner(event, state) for event in group]
        if any(v is None for v in found):
            # SQL skips NULLs in aggregates; IBM does not say whether AQL does.
            raise NotEvaluated.at(node, f"{name} over a NULL value (whether AQL skips NULLs is not documented)")
        if any(isinstance(v, Payload) for v in found):
            raise NotEvaluated.at(node, f"{name} of the payload")
        return found

    if name == "COUNT":
        return lambda group, state: len(values(group, state))
    if name in ("UNIQUECOUNT", "DISTINCTCOUNT"):
        return lambda group, state: len(set(values(group, state)))

    def numeric(group: list, state: Any) -> list:
        found = values(group, state)
        if not all(isinstance(v, NUMBER) for v in found):
            raise NotEvaluated.at(node, f"{name} over text (AQL's text ordering / sums are not documented)")
        return found

    if name == "MIN":
        return lambda group, state: min(numeric(group, state), default=None)
    if name == "MAX":
        return lambda group, state: max(numeric(group, state), default=None)
    if name == "SUM":
        return lambda group, state: sum(numeric(group, state))

    def average(group: list, state: Any) -> Any:
        found = numeric(group, state)
        return sum(found) / len(found) if found else None
    return average
