"""Sumo Logic operators that reach the grammar as generic commands (`| name args...`):
csv, split and keyvalue / kv. Pages cited: SumoLogic/sumologic-documentation,
docs/search/search-query-language/parse-operators/.
"""
from __future__ import annotations

from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.evaluation import NotEvaluated
from tooling.languages.sumo.leaves import stage_leaf
from tooling.languages.sumo.tree import field_name
from tooling.languages.sumo.values import Pattern, string_literal, text_of

Stage = Callable[[list], list]


def _name(token: Any) -> str | None:
    """A field name among a generic operator's arguments (a NAME, %"field" or a plain word)."""
    if isinstance(token, Token) and token.type == "WORD":
        return str(token).lower()
    return field_name(token)


def _arguments(stage: Tree) -> list:
    """The stage's arguments as tokens, a comma as the string ','; groups are not evaluated."""
    out: list = []
    for child in stage.children[1:]:
        if isinstance(child, Token):
            out.append(child)
        elif isinstance(child, Tree) and child.data == "generic_arg" and not child.children:
            out.append(",")
        else:
            raise NotEvaluated.at(child, "a bracketed argument of this operator")
    return out


def _char_option(value: Any, node: Any) -> str:
    text = str(value)
    if isinstance(value, Token) and value.type in ("SQSTRING", "STRING"):
        text = text[1:-1].replace("\\\\", "\\")
    if len(text) != 1:
        raise NotEvaluated.at(node, f"a delimiter, quote or escape of other than one character: {text!r}")
    return text


def split_line(text: str, delim: str, quote: str, escape: str, node: Any) -> list[str]:
    """Columns of a delimited line: `quote` groups a column, `escape` makes the next character
    literal (split and csv: "comma (,) for a delimiter, backslash (\\) for an escape character,
    and (") quote for a quote character")."""
    columns: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == escape and index + 1 < len(text):
            current.append(text[index + 1])
            index += 2
            continue
        if char == quote:
            if quoted and index + 1 < len(text) and text[index + 1] == quote:
                raise NotEvaluated.at(node, "a doubled quote inside a quoted column (not documented)")
            quoted = not quoted
        elif char == delim and not quoted:
            columns.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    if quoted:
        raise NotEvaluated.at(node, "a quoted column that is not closed")
    columns.append("".join(current))
    return columns


def delimited_stage(stage: Tree, name: str) -> Stage:
    """`csv <field> [options] extract 1 as a, 2 as b` / `extract a, _, b` (split also takes
    `delim=`): positions count from 1; `_` skips a position."""
    args = _arguments(stage)
    if not args or not isinstance(args[0], Token):
        raise NotEvaluated.at(stage, f"{name} without a field")
    source = _name(args[0])
    if source is None:
        raise NotEvaluated.at(args[0], f"{name} of {str(args[0])!r}")
    options = {"delim": ",", "quote": '"', "escape": "\\"}
    index = 1
    while index < len(args) and not (isinstance(args[index], Token) and str(args[index]).lower() == "extract"):
        item = args[index]
        text = str(item)
        if text == ",":
            index += 1
            continue
        key = text.rstrip("=").lower()
        if not text.endswith("=") or key not in options or index + 1 >= len(args):
            raise NotEvaluated.at(item, f"the {name} option {text!r}")
        if key == "delim" and name == "csv":
            raise NotEvaluated.at(item, "csv with delim= (split takes a delimiter)")
        options[key] = _char_option(args[index + 1], item)
        index += 2
    if index >= len(args):
        raise NotEvaluated.at(stage, f"{name} without extract")
    targets: list[tuple[int, str | None]] = []
    position = 0
    items = [a for a in args[index + 1:]]
    cursor = 0
    while cursor < len(items):
        item = items[cursor]
        if item == ",":
            cursor += 1
            continue
        if isinstance(item, Token) and str(item).isdigit() and cursor + 2 < len(items) \
                and str(items[cursor + 1]).lower() == "as":
            position = int(str(item))
            targets.append((position, _name(items[cursor + 2])))
            cursor += 3
            continue
        position += 1
        targets.append((position, None if str(item) == "_" else _name(item)))
        cursor += 1
    if not targets or any(p < 1 for p, _ in targets):
        raise NotEvaluated.at(stage, f"the {name} extract list")

    def run(rows: list) -> list:
        for row in rows:
            value = row.get(source)
            if value is None:
                raise NotEvaluated.at(stage, f"{name} of a null field (not documented)")
            columns = split_line(text_of(value), options["delim"], options["quote"], options["escape"], stage)
            for where, target in targets:
                if target is None:
                    continue
                if where > len(columns):
                    raise NotEvaluated.at(stage, f"{name} extract of column {where} from a line of {len(columns)}")
                row[target] = columns[where - 1]
        return rows
    return run


def keyvalue_stage(stage: Tree) -> Stage:
    """keyvalue in Regular Expression mode (parse-keyvalue-formatted-logs.md): with two capture
    groups the key and its value; with one, "for each key specified, the operator first finds
    the key itself in the message (first occurrence), and then finds the closest match of the
    regular expression". Inference mode uses "an internal list of regular expressions" that
    is not documented: not evaluated."""
    args = [a for a in _arguments(stage) if a != ","]
    words = [str(a).lower() for a in args]
    if "regex" not in words:
        raise NotEvaluated.at(stage, "keyvalue inference mode (its regular expressions are not documented)")
    at = words.index("regex")
    if at + 1 >= len(args) or args[at + 1].type != "STRING":
        raise NotEvaluated.at(stage, "keyvalue regex without a pattern")
    pattern = Pattern(string_literal(args[at + 1]), "", args[at + 1], re2=False)
    rest = args[at + 2:]
    source, nodrop = "_raw", False
    keys: list[str] = []
    aliases: list[str] = []
    before = args[1:at]
    for item in before:
        text = str(item)
        if text.lower().startswith("field="):
            source = text[6:].lower()
        elif text.lower() != "keys":
            raise NotEvaluated.at(item, f"the keyvalue option {text!r}")
    mode = "keys"
    for item in rest:
        text = str(item)
        lower = text.lower()
        if lower == "keys":
            continue
        if lower == "as":
            mode = "as"
        elif lower == "nodrop":
            nodrop = True
        elif mode == "keys" and item.type == "STRING":
            keys.append(string_literal(item))
        elif mode == "as":
            aliases.append(_name(item))
        else:
            raise NotEvaluated.at(item, f"the keyvalue argument {text!r}")
    if not keys or (aliases and len(aliases) != len(keys)):
        raise NotEvaluated.at(stage, "keyvalue without keys, or with a different number of 'as' fields")
    # "keyvalue replaces every character (other than a..z, A..Z, 0..9, or _) with an underscore"
    names = aliases or ["".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in k).lower()
                        for k in keys]
    groups = pattern.ascii.groups

    def values_of(text: str) -> list:
        found: list = []
        for key in keys:
            value = None
            if groups >= 2:
                for match in pattern.finditer(text):
                    if match.group(1) == key:
                        value = match.group(2)
                        break
            else:
                where = text.find(key)
                if where >= 0:
                    match = pattern.search(text[where + len(key):])
                    value = match.group(1) if match is not None else None
            found.append(value)
        return found

    decided = None if nodrop else stage_leaf(stage, source, len(keys))

    def run(rows: list) -> list:
        out = []
        for row in rows:
            value = row.get(source)
            found = values_of(text_of(value)) if value is not None else [None] * len(keys)
            if decided is not None:  # the stage as a leaf predicate: it drops a message without the keys
                found = decided(row, None if all(v is None for v in found) else found)
                if found is None:
                    continue
                if all(v is None for v in found):  # flipped: kept with its fields null
                    for name in names:
                        row[name] = None
                    out.append(row)
                    continue
            if all(v is None for v in found):
                if nodrop:
                    out.append(row)
                continue
            for name, item in zip(names, found):
                row[name] = item
            out.append(row)
        return out
    return run
