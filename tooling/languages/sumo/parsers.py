"""Sumo Logic parse operators as pipeline stages: parse (anchor), parse regex, json, keyvalue
(regular-expression mode), csv and split.

A stage is `stage(row) -> rows`, the rows a row becomes (none when it is dropped, several for
`parse regex multi`); a row is a dict of lower-cased field names. The pages cited are in
SumoLogic/sumologic-documentation, docs/search/search-query-language/parse-operators/.

parse-nodrop-option.md: "For all parse operators, messages must match at least one segment of
the parse expression or they are dropped from the results. Adding the nodrop option forces
results to also include messages that don't match", and those "don't contain any alias fields".
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

import regex
from lark import Token, Tree

from tooling.languages.evaluation import REGEX_TIMEOUT_S, NotEvaluated
from tooling.languages.sumo.leaves import stage_leaf
from tooling.languages.sumo.tree import field_name
from tooling.languages.sumo.values import Pattern, string_literal, text_of

Stage = Callable[[dict], list]
MAX_JSON_AUTO_FIELDS = 100  # parse-json-formatted-logs.md: "Up to 100 fields are extracted"


def _options(stage: Tree) -> tuple[set[str], str]:
    """The keyword options of a parse / json stage and its field= source (default the message)."""
    flags: set[str] = set()
    source = "_raw"
    for child in stage.children:
        if isinstance(child, Tree) and child.data in ("parse_option", "json_option"):
            for item in child.children:
                if isinstance(item, Tree) and item.data == "field_option":
                    ref = item.children[-1]
                    if isinstance(ref, Token) and ref.type == "PLACEHOLDER":
                        raise NotEvaluated.at(ref, "a {{placeholder}} (its value is not known offline)")
                    source = field_name(ref)
                elif isinstance(item, Token):
                    flags.add(str(item).lower())
    return flags, source


def _assign(row: dict, names: list[str], values: list[Any]) -> dict:
    for name, value in zip(names, values):
        row[name] = value
    return row


def _keep_unmatched(row: dict, names: list[str], node: Any) -> dict:
    """A nodrop row that did not match: without the alias fields. A field an earlier stage gave
    a value: whether it keeps it is not documented."""
    for name in names:
        if row.get(name) is not None:
            raise NotEvaluated.at(node, "a nodrop parse that did not match a field an earlier stage set")
    return row


def _stage(names: list[str], nodrop: bool, node: Any, extract: Callable, decided: Callable | None = None) -> Stage:
    """A parse stage from what it extracts from a row; `decided`: the stage as a leaf predicate
    (stage_leaf), when it drops what does not match."""
    def run(row: dict) -> list:
        found = extract(row)
        if decided is not None:
            found = decided(row, found)
        if found is None:
            return [_keep_unmatched(row, names, node)] if nodrop else []
        if found and isinstance(found[0], list):  # parse regex multi: one row per match
            return [_assign(dict(row), names, values) for values in found]
        return [_assign(row, names, found)]
    return run


def _anchor(pattern: str, node: Any) -> list[regex.Pattern]:
    """parse-predictable-patterns-using-an-anchor.md: `*` between a start and a stop anchor. The
    docs do not say whether the anchors match case-insensitively (the page's own example parses
    "User=" with "user=*:") nor whether `*` crosses a line break: each variant is compiled and a
    result that differs between them is not evaluated."""
    if "**" in pattern:
        raise NotEvaluated.at(node, "'**' in a parse pattern ('**' is not valid)")
    if pattern.startswith("*") or pattern.endswith("*"):
        raise NotEvaluated.at(node, "a parse pattern that starts or ends with '*' (its extent is not documented)")
    body = "(.*?)".join(re.escape(piece) for piece in pattern.split("*"))
    return [regex.compile(body, flags) for flags in (regex.DOTALL, 0, regex.IGNORECASE | regex.DOTALL)]


def _search_all(variants: list[regex.Pattern], text: str, node: Any) -> Any:
    results = []
    try:
        for compiled in variants:
            found = compiled.search(text, timeout=REGEX_TIMEOUT_S)
            results.append(None if found is None else found.groups())
    except TimeoutError:
        raise NotEvaluated.at(node, "a parse pattern that backtracks without end") from None
    if any(result != results[0] for result in results[1:]):
        raise NotEvaluated.at(node, "a parse pattern whose match depends on letter case or line breaks "
                                    "(not documented)")
    return results[0]


def _patterns(stage: Tree) -> list[Tree]:
    return [c for c in stage.children if isinstance(c, Tree) and c.data == "parse_pattern"]


def _aliases(pattern: Tree) -> list[str]:
    fields = next((c for c in pattern.children if isinstance(c, Tree) and c.data == "parse_fields"), None)
    names = []
    for token in fields.children if fields is not None else []:
        if token.type == "PLACEHOLDER":
            raise NotEvaluated.at(token, "a {{placeholder}} (its value is not known offline)")
        names.append(field_name(token))
    return names


def parse_stage(stage: Tree) -> Stage:
    flags, source = _options(stage)
    if "xml" in flags:
        raise NotEvaluated.at(stage, "parse xml")
    if "regex" in flags or any(isinstance(c, Token) and c.type == "REGEX_KW"
                               for p in _patterns(stage) for c in p.children):
        return _parse_regex(stage, flags, source)
    if "multi" in flags:
        raise NotEvaluated.at(stage, "parse (anchor) multi")
    specs = []
    names: list[str] = []
    for pattern in _patterns(stage):
        token = pattern.children[0]
        fields = _aliases(pattern)
        variants = _anchor(string_literal(token), token)
        if variants[0].groups != len(fields):
            # "The number of wildcards in the pattern string must match the number of variables."
            raise NotEvaluated.at(token, "a parse pattern whose '*' count differs from its field count")
        specs.append((variants, token))
        names.extend(fields)
    nodrop = "nodrop" in flags

    def extract(row: dict) -> Any:
        text = row.get(source)
        if text is None:
            return None
        values: list = []
        matched = 0
        for variants, token in specs:
            found = _search_all(variants, text, token)
            if found is not None:
                matched += 1
                values.extend(found)
        if matched == 0:
            return None
        if matched < len(specs):
            raise NotEvaluated.at(stage, "a parse with several patterns of which only some match")
        return values

    return _stage(names, nodrop, stage, extract, None if nodrop else stage_leaf(stage, source, len(names)))


def _parse_regex(stage: Tree, flags: set[str], source: str) -> Stage:
    """parse-variable-patterns-using-regex.md: "Regex must be a valid JAVA or RE2 regular
    expression", at least one named capturing group; "Matching is case sensitive. If any of the
    text segments cannot be matched, then none of the variables will be assigned"; `multi`
    "creates copies of each message" for every match."""
    specs = []
    names: list[str] = []
    for pattern in _patterns(stage):
        token = next(c for c in pattern.children if isinstance(c, Token) and c.type == "STRING")
        if _aliases(pattern):
            raise NotEvaluated.at(token, "parse regex with 'as' fields")
        compiled = Pattern(string_literal(token), "", token, re2=False)
        groups = sorted(compiled.groupindex.items(), key=lambda item: item[1])
        if not groups:
            raise NotEvaluated.at(token, "parse regex without a named capturing group")
        specs.append((compiled, [number for _, number in groups]))
        names.extend(name.lower() for name, _ in groups)
    multi, nodrop = "multi" in flags, "nodrop" in flags
    if multi and len(specs) > 1:
        raise NotEvaluated.at(stage, "parse regex multi with several patterns")

    def extract(row: dict) -> Any:
        text = row.get(source)
        if text is None:
            return None
        text = text_of(text)
        if multi:
            compiled, numbers = specs[0]
            matches = compiled.finditer(text)
            return [[m.group(n) for n in numbers] for m in matches] or None
        values: list = []
        for compiled, numbers in specs:
            found = compiled.search(text)
            if found is None:
                return None
            values.extend(found.group(n) for n in numbers)
        return values

    return _stage(names, nodrop, stage, extract, None if nodrop else stage_leaf(stage, source, len(names)))


# --- json -----------------------------------------------------------------------------------

_PATH_PART = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def json_path(path: str, node: Any) -> list:
    """A JSONPath of the forms the packages use: a.b, a[0].b, ['a b'] (parse-json-formatted-logs.md)."""
    if path.startswith("$"):
        path = path[1:].lstrip(".")
    if "*" in path or ".." in path or "?" in path or "@" in path:
        raise NotEvaluated.at(node, f"the JSONPath {path!r} (wildcards, recursion and filters)")
    parts: list = []
    index = 0
    while index < len(path):
        match = _PATH_PART.match(path, index)
        if match is None or match.end() == index:
            raise NotEvaluated.at(node, f"the JSONPath {path!r}")
        name, number, quoted, double = match.groups()
        parts.append(int(number) if number is not None else name if name is not None else quoted or double)
        index = match.end()
    return parts


def json_text(value: Any) -> Any:
    """A JSON value as the field text Sumo gives it: objects and arrays as JSON text."""
    if type(value) is str:  # most values: text as it is
        return value
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text_of(value)


_ABSENT = object()


def _walk(document: Any, parts: list) -> Any:
    node = document
    for part in parts:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return _ABSENT
            node = node[part]
        else:
            if not isinstance(node, dict):
                return _ABSENT
            node = node.get(part, _ABSENT)  # keys are case sensitive
            if node is _ABSENT:
                return _ABSENT
    return node


def _document(text: Any, node: Any, row: dict | None = None) -> Any:
    if text is None:
        return _ABSENT
    text = text_of(text)
    if row is not None:  # several json stages on one message parse it once
        cached = row.get("\x00json")
        if cached is not None and cached[0] is text:
            return cached[1]
        document = _document(text, node)
        row["\x00json"] = (text, document)
        return document
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        if "{" in text:  # JSON inside other text: whether plain json finds it is not documented
            raise NotEvaluated.at(node, "json on text that holds JSON after other text") from None
        return _ABSENT


def json_stage(stage: Tree) -> Stage:
    flags, source = _options(stage)
    nodrop = "nodrop" in flags
    if flags & {"keys", "refonly", "maxdepth", "ref"}:
        raise NotEvaluated.at(stage, "json auto keys / refonly / maxdepth")
    paths_node = next((c for c in stage.children if isinstance(c, Tree) and c.data == "json_paths"), None)
    if "auto" in flags:
        if paths_node is not None:
            raise NotEvaluated.at(stage, "json auto with paths")
        return _json_auto(stage, source)
    strings = [c for c in paths_node.children if isinstance(c, Token) and c.type == "STRING"]
    fields_node = next((c for c in paths_node.children if isinstance(c, Tree) and c.data == "json_fields"), None)
    aliases = [field_name(t) for t in fields_node.children] if fields_node is not None else []
    paths = [json_path(string_literal(t), t) for t in strings]
    if aliases and len(aliases) != len(paths):
        raise NotEvaluated.at(stage, "json with a different number of paths and 'as' fields")
    names = []
    for index, (token, parts) in enumerate(zip(strings, paths)):
        if aliases:
            names.append(aliases[index])
        elif len(parts) == 1 and isinstance(parts[0], str):
            names.append(parts[0].lower())  # `json "accountId"` gives the field accountId
        else:
            raise NotEvaluated.at(token, "json of a nested path without 'as' (the field's name is not documented)")

    def extract(row: dict) -> Any:
        document = _document(row.get(source), stage, row)
        if document is _ABSENT:
            return None  # "Unable to parse input as json": dropped unless nodrop
        values = [_walk(document, parts) for parts in paths]
        absent = values.count(_ABSENT)
        if absent == len(values):
            return None
        if absent and not nodrop:
            raise NotEvaluated.at(stage, "json without nodrop on a message that has some of the keys")
        return [None if value is _ABSENT else json_text(value) for value in values]

    decided = None if nodrop else stage_leaf(stage, source, len(names))

    def run(row: dict) -> list:
        found = extract(row)
        if decided is not None:
            found = decided(row, found)
        if found is not None:
            return [_assign(row, names, found)]
        if nodrop:  # "set the extracted field values to null (empty)"
            return [_assign(row, names, [None] * len(names))]
        return []
    return run


def _flatten(value: Any, prefix: str, out: dict, depth: int) -> None:
    if depth > 64:
        raise NotEvaluated("a JSON value nested more than 64 levels deep")
    if isinstance(value, dict):
        for key, inner in value.items():
            name = str(key).replace(" ", "_")  # "Spaces in field names are automatically reformatted to underscores"
            _flatten(inner, f"{prefix}.{name}" if prefix else name, out, depth + 1)
    elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        for position, inner in enumerate(value):  # "Non-flat arrays ... are extracted by default"
            _flatten(inner, f"{prefix}[{position}]", out, depth + 1)
    else:
        out[prefix.lower()] = json_text(value)


def _json_auto(stage: Tree, source: str) -> Stage:
    """json auto: every key, hierarchy "denoted using dot as the separator", array indices in
    brackets (`users[2].address.street`); keys "not case sensitive"; "messages that do not
    contain JSON are not dropped"; "json auto overrides previously extracted fields"."""
    def run(row: dict) -> list:
        document = _document(row.get(source), stage)
        if isinstance(document, (dict, list)):
            found: dict = {}
            _flatten(document, "", found, 0)
            if len(found) > MAX_JSON_AUTO_FIELDS:
                raise NotEvaluated.at(stage, "json auto on a message with more than 100 fields")
            row.update(found)
        return [row]
    return run


__all__ = ["Stage", "json_path", "json_stage", "json_text", "parse_stage"]
