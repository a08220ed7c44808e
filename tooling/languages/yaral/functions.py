"""YARA-L 2.0 functions, as Google SecOps documents them ("Functions" reference page,
https://cloud.google.com/chronicle/docs/yara-l/functions). Each takes its evaluated arguments
(an omitted field is MISSING, its zero value) and the call node (for positions).

A function not listed here, or an argument form a function does not document (a time zone other
than UTC, a format string), is not evaluated.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import math
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

from tooling.languages.evaluation import MISSING, NotEvaluated
from tooling.languages.yaral.values import as_number, as_text, compiled_regex, kind_of


def _text(args, node, index=0):
    return as_text(args[index], node, "a function")


# ---- strings.* ---------------------------------------------------------------------------

def _concat(args, node, run):
    # "strings.concat(a, b, c, ...)": strings, integers or floats, joined.
    out = []
    for value in args:
        if value is MISSING:
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise NotEvaluated.at(node, f"strings.concat of a {kind_of(value)}")
        out.append(value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value))
    return "".join(out)


def _coalesce(args, node, run):
    # "returns the value of the first expression that does not evaluate to an empty string"
    for value in args:
        text = as_text(value, node)
        if text:
            return text
    return ""


def _contains(args, node, run):
    # case-sensitive substring test
    return _text(args[1:], node) in _text(args, node)


def _starts_with(args, node, run):
    return _text(args, node).startswith(_text(args[1:], node))


def _ends_with(args, node, run):
    return _text(args, node).endswith(_text(args[1:], node))


def _trim(args, node, run, side="both"):
    text = _text(args, node)
    cut = _text(args[1:], node) if len(args) > 1 else " "
    return text.strip(cut) if side == "both" else text.lstrip(cut) if side == "left" else text.rstrip(cut)


def _url_host(text: str, node) -> str:
    if not text:
        return ""
    parts = urlsplit(text if "//" in text else "//" + text)
    try:
        return parts.hostname or ""
    except ValueError:
        raise NotEvaluated.at(node, "a URL that does not parse") from None


def _extract_hostname(args, node, run):
    return _url_host(_text(args, node), node)


def _extract_domain(args, node, run):
    # The registered domain needs the public suffix list; only the last two labels of a host
    # whose suffix is one label long (com, org, net, ...) are certain without it.
    host = _url_host(_text(args, node), node)
    labels = host.split(".")
    if len(labels) < 2:
        return ""
    if len(labels) == 2 or (len(labels[-1]) > 2 and labels[-1] in ("com", "org", "net", "edu", "gov", "io", "info")):
        return ".".join(labels[-2:])
    raise NotEvaluated.at(node, "strings.extract_domain of a host whose public suffix needs the suffix list")


def _base64_decode(args, node, run):
    try:
        return base64.b64decode(_text(args, node), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise NotEvaluated.at(node, "strings.base64_decode of text that is not base64 UTF-8 "
                              "(the result is not documented)") from None


def _split(args, node, run):
    return _text(args, node).split(_text(args[1:], node) if len(args) > 1 else ",")


def _count_substrings(args, node, run):
    needle = _text(args[1:], node)
    if not needle:
        raise NotEvaluated.at(node, "strings.count_substrings of an empty substring")
    return _text(args, node).count(needle)


# ---- re.* -----------------------------------------------------------------------------------

def _regex(args, node, run, nocase=False):
    pattern = compiled_regex(_text(args[1:], node), nocase, node)
    return pattern.search(_text(args, node), node)


def _capture(args, node, run):
    # "returns the first capture group, or the whole match when there is none; "" if no match"
    pattern = compiled_regex(_text(args[1:], node), False, node)
    text = _text(args, node)
    try:
        found = pattern.compiled.search(text, timeout=0.25)
    except TimeoutError:
        raise NotEvaluated.at(node, "a regular expression that backtracks without end") from None
    if found is None:
        return ""
    if pattern.compiled.groups > 1:
        raise NotEvaluated.at(node, "re.capture with several capture groups")
    return (found.group(1) or "") if pattern.compiled.groups == 1 else found.group(0)


def _replace(args, node, run):
    pattern = compiled_regex(_text(args[1:], node), False, node)
    replacement = _text(args[2:], node)
    if "\\" in replacement and any(c not in "0123456789\\" for c in replacement.split("\\")[1][:1]):
        raise NotEvaluated.at(node, "re.replace with an escape in the replacement")
    try:
        return pattern.compiled.sub(replacement, _text(args, node), timeout=0.25)
    except TimeoutError:
        raise NotEvaluated.at(node, "a regular expression that backtracks without end") from None


# ---- net.* -----------------------------------------------------------------------------------

def _in_cidr(args, node, run):
    text = _text(args, node)
    try:
        network = ipaddress.ip_network(_text(args[1:], node), strict=False)
    except ValueError:
        raise NotEvaluated.at(node, "net.ip_in_range_cidr with a range that is not CIDR") from None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False  # not an IP address (an omitted field is "")
    return address.version == network.version and address in network


def in_cidr_list(text: str, lines: list[str], node: Any) -> bool:
    """`in cidr %list`: whether the address is in one of the list's ranges."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    for line in lines:
        try:
            network = ipaddress.ip_network(line.strip(), strict=False)
        except ValueError:
            raise NotEvaluated.at(node, f"a CIDR reference list line that is not a range ({line!r})") from None
        if address.version == network.version and address in network:
            return True
    return False


# ---- math.* ----------------------------------------------------------------------------------

def _math(fn: Callable) -> Callable:
    def call(args, node, run):
        try:
            return fn(*[as_number(a, node) for a in args])
        except (ValueError, OverflowError, ZeroDivisionError):
            raise NotEvaluated.at(node, "a math function outside its domain") from None
    return call


def _round(value, places=0):
    # Half away from zero, as C's round (Python's round() is half to even).
    factor = 10 ** int(places)
    result = math.floor(abs(value) * factor + 0.5) / factor
    result = math.copysign(result, value)
    return int(result) if int(places) == 0 else result


# ---- timestamp.* -----------------------------------------------------------------------------

def _moment(args, node):
    if len(args) > 1:
        zone = _text(args[1:], node)
        if zone not in ("UTC", "GMT", "Etc/UTC"):
            raise NotEvaluated.at(node, f"a time zone other than UTC ({zone!r})")
    seconds = as_number(args[0], node)
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise NotEvaluated.at(node, "a timestamp out of range") from None


def _timestamp(part: Callable) -> Callable:
    def call(args, node, run):
        return part(_moment(args, node))
    return call


def _current_seconds(args, node, run):
    # "now" is the latest event's time (the evaluation contract)
    if run.now is None:
        raise NotEvaluated.at(node, "timestamp.current_seconds() without event times")
    return run.now


# ---- arrays.* --------------------------------------------------------------------------------

def _array(value, node):
    if isinstance(value, list):
        return value
    if value is MISSING:
        return []
    raise NotEvaluated.at(node, f"an array function given a {kind_of(value)}")


def _arrays_contains(args, node, run):
    return args[1] in _array(args[0], node)


def _arrays_length(args, node, run):
    return len(_array(args[0], node))


def _arrays_index_to_str(args, node, run):
    items = _array(args[0], node)
    index = as_number(args[1], node)
    return items[int(index)] if -len(items) <= index < len(items) else ""


Function = Callable[[list, Any, Any], Any]

# name -> (fewest arguments, most arguments, function)
FUNCTIONS: dict[str, tuple[int, int, Function]] = {
    "strings.concat": (1, 64, _concat),
    "strings.coalesce": (1, 64, _coalesce),
    "strings.contains": (2, 2, _contains),
    "strings.starts_with": (2, 2, _starts_with),
    "strings.ends_with": (2, 2, _ends_with),
    "strings.to_lower": (1, 1, lambda a, n, r: _text(a, n).lower()),
    "strings.to_upper": (1, 1, lambda a, n, r: _text(a, n).upper()),
    "strings.trim": (1, 2, _trim),
    "strings.ltrim": (1, 2, lambda a, n, r: _trim(a, n, r, "left")),
    "strings.rtrim": (1, 2, lambda a, n, r: _trim(a, n, r, "right")),
    "strings.reverse": (1, 1, lambda a, n, r: _text(a, n)[::-1]),
    "strings.length": (1, 1, lambda a, n, r: len(_text(a, n))),
    "strings.extract_domain": (1, 1, _extract_domain),
    "strings.extract_hostname": (1, 1, _extract_hostname),
    "strings.base64_decode": (1, 1, _base64_decode),
    "strings.split": (1, 2, _split),
    "strings.count_substrings": (2, 2, _count_substrings),
    "re.regex": (2, 2, _regex),
    "re.capture": (2, 2, _capture),
    "re.replace": (3, 3, _replace),
    "net.ip_in_range_cidr": (2, 2, _in_cidr),
    "math.abs": (1, 1, _math(abs)),
    "math.ceil": (1, 1, _math(math.ceil)),
    "math.floor": (1, 1, _math(math.floor)),
    "math.round": (1, 2, _math(_round)),
    "math.sqrt": (1, 1, _math(math.sqrt)),
    "math.pow": (2, 2, _math(math.pow)),
    "math.log": (1, 1, _math(math.log)),
    "timestamp.get_hour": (1, 2, _timestamp(lambda m: m.hour)),
    "timestamp.get_minute": (1, 2, _timestamp(lambda m: m.minute)),
    "timestamp.get_day_of_week": (1, 2, _timestamp(lambda m: m.isoweekday() % 7 + 1)),  # 1 = Sunday
    "timestamp.get_date": (1, 2, _timestamp(lambda m: m.strftime("%Y-%m-%d"))),
    "timestamp.current_seconds": (0, 0, _current_seconds),
    "arrays.contains": (2, 2, _arrays_contains),
    "arrays.length": (1, 1, _arrays_length),
    "arrays.index_to_str": (2, 2, _arrays_index_to_str),
}

# Aggregations (outcome sections of rules with a match section): name -> over the values.
AGGREGATES = frozenset({"count", "count_distinct", "sum", "max", "min", "array", "array_distinct"})


def aggregate(name: str, values: list, node: Any) -> Any:
    # "Outcome section syntax": count, count_distinct, sum, max, min, array, array_distinct over
    # the values of the detection's events (omitted fields are their zero values).
    present = [v for v in values if v is not MISSING]
    if name == "count":
        return len(values)
    if name == "count_distinct":
        return len({(kind_of(v), v) for v in present})
    if name in ("array", "array_distinct"):
        flat = [x for v in present for x in (v if isinstance(v, list) else [v])]
        if name == "array_distinct":
            flat = list(dict.fromkeys(flat))
        if len(flat) > 25:
            raise NotEvaluated.at(node, f"{name} of more than 25 values (which 25 Google SecOps keeps is not "
                                  "documented)")
        return flat
    numbers = [as_number(v, node) for v in values]
    if not numbers:
        raise NotEvaluated.at(node, f"{name} over no value")
    return sum(numbers) if name == "sum" else max(numbers) if name == "max" else min(numbers)
