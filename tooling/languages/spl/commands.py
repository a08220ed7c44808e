"""SPL evaluation: the commands after the first pipe (Search Reference 9.x), each compiled into a
stage (rows, run) -> rows. A command not listed here is not evaluated.

- search / where: filters (where keeps "only the results for which the eval expression returns
  true"); eval: assignments left to right, each seeing the previous ones; a null result removes
  the field, a Boolean result is an error in Splunk ("cannot be a Boolean").
- rex [field=_raw] [max_match=1] "regex": PCRE named groups become fields when the regex matches;
  max_match=0 or >1 collects every match as a multivalue field. regex [field=|field!=] "regex":
  keeps (or drops) the results whose field matches (default _raw).
- table / fields / rename (wildcards), dedup (keeps the first result of each combination; results
  without one of the fields are dropped unless keepempty=true), sort (default limit 10,000; `sort 0`
  unlimited), head (default 10), tail, reverse, fillnull (default value 0), mvexpand,
  convert ctime(), append [subsearch] (its results after the current ones).
- lookup / inputlookup: see lookups.py.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import MISSING, NotEvaluated
from tooling.languages.spl.eval_expr import boolean, compile_expr
from tooling.languages.spl.leaves import leaf
from tooling.languages.spl.lookups import compile_inputlookup, compile_lookup
from tooling.languages.spl.search_expr import compile_search
from tooling.languages.spl.stats import compile_stats, compile_tstats
from tooling.languages.spl.tree import command_name
from tooling.languages.spl.values import (
    Row, get, guarded, number, order_key, pcre, texts, unquote_field, unquote_search,
)

SORT_LIMIT = 10_000


def compile_source(node: Tree, cx: Any) -> Callable:
    """The first command of a pipeline that starts with a pipe: a generating command."""
    name = command_name(node) or ""
    if node.data == "tstats_cmd":
        stage = compile_tstats(node, cx)
        return lambda run: stage([], run)
    if node.data == "search_cmd":
        predicate = compile_search(node.children[0], time_allowed=True)
        return lambda run: [row for row in run.initial_rows() if predicate(row, run)]
    if name == "inputlookup":
        return compile_inputlookup(node)
    raise NotEvaluated.at(node, f"a search that starts with the command {name}")


def compile_command(node: Tree, cx: Any) -> Callable:
    kind = node.data
    if kind == "search_cmd":
        predicate = compile_search(node.children[0], time_allowed=False)
        return lambda rows, run: [row for row in rows if predicate(row, run)]
    if kind == "where_cmd":
        return _where(node)
    if kind == "eval_cmd":
        return _eval(node)
    if kind == "stats_cmd":
        return compile_stats(node, cx)
    if kind == "rex_cmd":
        return _rex(node)
    if kind == "rename_cmd":
        return _rename(node)
    name = (command_name(node) or "").lower()
    builder = _COMMANDS.get(name)
    if builder is None or kind not in ("required_cmd", "generic_cmd"):
        raise NotEvaluated.at(node, f"the command {command_name(node) or kind}")
    arguments = node.children[1:]
    return builder(node, arguments, cx)


def _where(node: Tree) -> Callable:
    condition = compile_expr(node.children[0])

    def where(rows: list[Row], run: Any) -> list[Row]:
        kept = []
        for row in rows:
            run.deadline.check()
            if boolean(condition(row, run), node) is True:
                kept.append(row)
        return kept
    return where


def _eval(node: Tree) -> Callable:
    assignments = []
    for assignment in node.children:
        target = assignment.children[0]
        if target.type in ("TOKEN", "FOREACH_TOKEN"):
            raise NotEvaluated.at(target, f"the placeholder {target}")
        assignments.append((unquote_field(str(target)), compile_expr(assignment.children[1]), assignment))

    def evaluate(rows: list[Row], run: Any) -> list[Row]:
        for row in rows:
            run.deadline.check()
            fields = dict(row.fields)
            row.fields = fields
            for name, expression, at in assignments:
                value = expression(row, run)
                if isinstance(value, bool):
                    raise NotEvaluated.at(at, "eval assigning a Boolean (an error in Splunk)")
                if value is None:
                    fields.pop(name, None)
                else:
                    fields[name] = value
        return rows
    return evaluate


def _option_map(options: list, allowed: set) -> dict[str, str]:
    found = {}
    for option in options:
        name = str(option.children[0]).lower()
        if name not in allowed:
            raise NotEvaluated.at(option, f"the option {name}")
        found[name] = unquote_search(str(option.children[1]), option)
    return found


def _rex(node: Tree) -> Callable:
    options = [c for c in node.children if isinstance(c, Tree)]
    pattern_token = next(c for c in node.children if isinstance(c, Token))
    settings = _option_map(options, {"field", "max_match"})
    field = settings.get("field", "_raw")
    limit = int(settings.get("max_match", "1")) if settings.get("max_match", "1").isdigit() else None
    if limit is None:
        raise NotEvaluated.at(node, "rex with a max_match that is not a number")
    compiled = pcre(unquote_search(str(pattern_token), pattern_token), pattern_token)
    names = [name for name in compiled.groupindex]

    def rex(rows: list[Row], run: Any) -> list[Row]:
        for row in rows:
            run.deadline.check()
            values = texts(get(row.fields, field), node)
            if len(values) > 1:
                raise NotEvaluated.at(node, "rex on a multivalue field")
            if not values or not names:
                continue
            found: dict[str, list] = {}
            if limit == 1:
                match = guarded(compiled.search, values[0])
                matches = [match] if match is not None else []
            else:
                matches = []
                for match in guarded(compiled.finditer, values[0]):
                    matches.append(match)
                    if limit and len(matches) >= limit:
                        break
            for match in matches:
                for name in names:
                    if match.group(name) is not None:
                        found.setdefault(name, []).append(match.group(name))
            if found:
                row.fields = {**row.fields, **{k: v[0] if len(v) == 1 else v for k, v in found.items()}}
        return rows
    return rex


def _wildcard(pattern: str) -> re.Pattern:
    return re.compile("(.*?)".join(re.escape(part) for part in pattern.split("*")) + r"\Z", re.S)


def _rename(node: Tree) -> Callable:
    pairs = []
    for pair in node.children:
        old, new = (unquote_field(str(c)) for c in pair.children)
        if old.count("*") != new.count("*") and new.count("*"):
            raise NotEvaluated.at(pair, "rename with different wildcards on each side")
        pairs.append((old, new, _wildcard(old) if "*" in old else None))

    def rename(rows: list[Row], run: Any) -> list[Row]:
        for row in rows:
            fields = row.fields
            for old, new, pattern in pairs:
                if pattern is None:
                    if old in fields:
                        value = fields[old]
                        fields = {k: v for k, v in fields.items() if k != old}
                        fields[new] = value
                    continue
                renamed = {}
                moved = set()
                for name, value in fields.items():
                    found = pattern.match(name)
                    if found is None:
                        continue
                    target = new
                    for part in found.groups():
                        target = target.replace("*", part, 1)
                    renamed[target] = value
                    moved.add(name)
                if moved:  # the renamed fields dropped at once, not the whole row copied for each
                    fields = {k: v for k, v in fields.items() if k not in moved}
                fields = {**fields, **renamed}
            row.fields = fields
        return rows
    return rename


def _words(arguments: list, node: Any) -> list[str]:
    """Field names of a field list: words (commas split them), quoted names."""
    names = []
    for argument in arguments:
        if isinstance(argument, Tree) or argument.type == "MACRO":
            raise NotEvaluated.at(argument, "this argument")
        if argument.type == "STRING":
            names.append(unquote_field(str(argument)))
        else:
            names.extend(part for part in str(argument).split(",") if part)
    return names


def _table(node: Tree, arguments: list, cx: Any) -> Callable:
    wanted = _words(arguments, node)
    patterns = [_wildcard(name) if "*" in name else name for name in wanted]

    def table(rows: list[Row], run: Any) -> list[Row]:
        for row in rows:
            kept = {}
            for pattern in patterns:
                if isinstance(pattern, str):
                    if pattern in row.fields:
                        kept[pattern] = row.fields[pattern]
                else:
                    kept.update({k: v for k, v in row.fields.items() if pattern.match(k)})
            row.fields = kept
        return rows
    return table


def _fields(node: Tree, arguments: list, cx: Any) -> Callable:
    names = _words(arguments, node)
    remove = bool(names) and names[0] == "-"
    if names and names[0] in "+-":
        names = names[1:]
    elif names and names[0].startswith(("+", "-")):
        remove = names[0][0] == "-"
        names[0] = names[0][1:]
    patterns = [_wildcard(name) for name in names]

    def fields(rows: list[Row], run: Any) -> list[Row]:
        for row in rows:
            hit = {k for k in row.fields if any(p.match(k) for p in patterns)}
            if remove:
                row.fields = {k: v for k, v in row.fields.items() if k not in hit}
            else:  # internal fields (_raw, _time) stay unless removed explicitly
                row.fields = {k: v for k, v in row.fields.items() if k in hit or k.startswith("_")}
        return rows
    return fields


def _dedup(node: Tree, arguments: list, cx: Any) -> Callable:
    limit, keep_empty, names = 1, False, []
    for argument in arguments:
        if isinstance(argument, Tree) and argument.data == "gen_compare":
            option, value = str(argument.children[0]).lower(), str(argument.children[2]).lower()
            if option == "keepempty" and value in ("true", "t", "false", "f"):
                keep_empty = value in ("true", "t")
                continue
            raise NotEvaluated.at(argument, f"dedup {option}=")
        if isinstance(argument, Token) and argument.type == "WORD" and str(argument).isdigit() and not names:
            limit = int(str(argument))
            continue
        if isinstance(argument, Token) and str(argument).lower() == "sortby":
            raise NotEvaluated.at(argument, "dedup sortby")
        names.extend(_words([argument], node))

    def dedup(rows: list[Row], run: Any) -> list[Row]:
        seen: dict[tuple, int] = {}
        kept = []
        for row in rows:
            values = [texts(get(row.fields, name), node) for name in names]
            if any(not v for v in values):
                if keep_empty:
                    kept.append(row)
                continue
            key = tuple(tuple(v) for v in values)
            if seen.get(key, 0) < limit:
                seen[key] = seen.get(key, 0) + 1
                kept.append(row)
        return kept
    return dedup


def _sort(node: Tree, arguments: list, cx: Any) -> Callable:
    limit, keys, sign = SORT_LIMIT, [], 1
    words = list(arguments)
    if words and isinstance(words[0], Token) and str(words[0]).isdigit():
        limit = int(str(words[0])) or None
        words = words[1:]
    if words and isinstance(words[-1], Token) and str(words[-1]).lower() in ("d", "desc"):
        raise NotEvaluated.at(words[-1], "sort ... desc")
    for word in words:
        if isinstance(word, Tree):
            raise NotEvaluated.at(word, "sort by a function (num, str, ip, auto)")
        for part in (p for p in str(word).split(",") if p):
            if part in ("+", "-"):
                sign = -1 if part == "-" else 1
                continue
            if part[0] in "+-":
                sign, part = (-1 if part[0] == "-" else 1), part[1:]
            keys.append((unquote_field(part), sign))
            sign = 1

    def sort(rows: list[Row], run: Any) -> list[Row]:
        ordered = list(rows)
        for name, direction in reversed(keys):
            present = [r for r in ordered if get(r.fields, name) is not None]
            missing = [r for r in ordered if get(r.fields, name) is None]
            present.sort(key=lambda r: order_key(get(r.fields, name)), reverse=direction < 0)
            ordered = present + missing
        return ordered[:limit] if limit else ordered
    return sort


def _head(node: Tree, arguments: list, cx: Any) -> Callable:
    count = 10
    for argument in arguments:
        text = str(argument) if isinstance(argument, Token) else None
        if text is not None and text.isdigit():
            count = int(text)
        elif isinstance(argument, Tree) and argument.data == "gen_compare" and str(argument.children[0]) == "limit":
            count = int(str(argument.children[2]))
        else:
            raise NotEvaluated.at(argument, "head with a condition")
    return lambda rows, run: rows[:count]


def _tail(node: Tree, arguments: list, cx: Any) -> Callable:
    count = int(str(arguments[0])) if arguments and str(arguments[0]).isdigit() else 10
    if arguments and not str(arguments[0]).isdigit():
        raise NotEvaluated.at(arguments[0], "tail with this argument")
    return lambda rows, run: list(reversed(rows[-count:])) if count else []


def _reverse(node: Tree, arguments: list, cx: Any) -> Callable:
    if arguments:
        raise NotEvaluated.at(arguments[0], "reverse with arguments")
    return lambda rows, run: list(reversed(rows))


def _fillnull(node: Tree, arguments: list, cx: Any) -> Callable:
    value, names = "0", []
    for argument in arguments:
        if isinstance(argument, Tree) and argument.data == "gen_compare" and str(argument.children[0]) == "value":
            value = unquote_search(str(argument.children[2]), argument)
        else:
            names.extend(_words([argument], node))

    def fillnull(rows: list[Row], run: Any) -> list[Row]:
        targets = names or sorted({k for row in rows for k in row.fields})
        for row in rows:
            row.fields = {**row.fields, **{k: value for k in targets if get(row.fields, k) in (None, "")}}
        return rows
    return fillnull


def _mvexpand(node: Tree, arguments: list, cx: Any) -> Callable:
    names = _words(arguments, node)
    if len(names) != 1:
        raise NotEvaluated.at(node, "mvexpand with options or several fields")
    name = names[0]

    def mvexpand(rows: list[Row], run: Any) -> list[Row]:
        out = []
        for row in rows:
            values = texts(get(row.fields, name), node)
            if not values:
                out.append(row)
            for value in values:
                out.append(Row({**row.fields, name: value}, row.sources))
        return out
    return mvexpand


def _convert(node: Tree, arguments: list, cx: Any) -> Callable:
    targets, pending = [], None
    for argument in arguments:
        if isinstance(argument, Token) and pending is None and str(argument).lower() == "ctime":
            pending = argument
            continue
        if pending is not None and isinstance(argument, Tree) and argument.data == "gen_group":
            targets.extend(_words(argument.children, node))
            pending = None
            continue
        raise NotEvaluated.at(argument, "convert with a function other than ctime() or an option")

    def convert(rows: list[Row], run: Any) -> list[Row]:
        for row in rows:
            changed = {}
            for name in targets:
                value = number(get(row.fields, name)) if not isinstance(get(row.fields, name), list) else None
                if value is not None:  # the default timeformat, in UTC
                    changed[name] = datetime.fromtimestamp(value, tz=timezone.utc).strftime("%m/%d/%Y %H:%M:%S")
            row.fields = {**row.fields, **changed}
        return rows
    return convert


def _regex(node: Tree, arguments: list, cx: Any) -> Callable:
    if len(arguments) != 1:
        raise NotEvaluated.at(node, "regex with these arguments")
    argument = arguments[0]
    at = argument  # the leaf: `field="regex"`, `field!="regex"` or the regex alone, as written
    field, keep = "_raw", True
    if isinstance(argument, Tree) and argument.data == "gen_compare" and str(argument.children[1]) in ("=", "!="):
        field, keep, argument = str(argument.children[0]), str(argument.children[1]) == "=", argument.children[2]
    if not (isinstance(argument, Token) and argument.type == "STRING"):
        raise NotEvaluated.at(node, "regex without a quoted regular expression")
    compiled = pcre(unquote_search(str(argument), argument), argument)

    def kept_by(row: Row, run: Any) -> bool:
        hit = any(guarded(compiled.search, value) is not None for value in texts(get(row.fields, field), node))
        return hit == keep

    def value_of(row: Row, run: Any) -> Any:
        value = get(row.fields, field)
        return MISSING if value is None else value
    test = leaf(at, kept_by, value_of)

    def regex_filter(rows: list[Row], run: Any) -> list[Row]:
        kept = []
        for row in rows:
            run.deadline.check()
            if test(row, run):
                kept.append(row)
        return kept
    return regex_filter


def _append(node: Tree, arguments: list, cx: Any) -> Callable:
    from tooling.languages.spl.pipeline import compile_pipeline

    subsearches = [a for a in arguments if isinstance(a, Tree) and a.data == "subsearch"]
    others = [a for a in arguments if a not in subsearches]
    if len(subsearches) != 1 or others:
        raise NotEvaluated.at(node, "append with options or without one subsearch")
    inner = compile_pipeline(subsearches[0].children[0], cx, subsearch=True)
    return lambda rows, run: rows + inner(run)


_COMMANDS: dict[str, Callable] = {
    "table": _table, "fields": _fields, "dedup": _dedup, "sort": _sort, "head": _head, "tail": _tail,
    "reverse": _reverse, "fillnull": _fillnull, "mvexpand": _mvexpand, "convert": _convert,
    "regex": _regex, "append": _append,
    "lookup": lambda node, arguments, cx: compile_lookup(node, _words(arguments, node)),
}
