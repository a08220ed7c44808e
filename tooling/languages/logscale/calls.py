"""Function calls of the LogScale evaluator that work event by event: the value functions usable in
expressions (lower, upper, length, concat, format, if, coalesce) and the transforms of a pipeline
stage (regex, replace, splitString, rename, drop, default, select, match ...).

Documented (library.humio.com function reference), encoded here:
- lower(field, as=_lower), upper(as=_upper), length(as=_length), concat(as=_concat),
  format(format, field=[...], as=_format), splitString(field=@rawstring, by, index, as=_splitstring).
- regex(regex, field=@rawstring, flags=m, strict=true, repeat=false): named groups become fields;
  `strict` "specifies if events not matching the regular expression should be filtered out".
- replace(regex, with, field=@rawstring, as=<the field>): every match is replaced.
- match(file, field, column, include, strict=true, mode=string, ignoreCase=false): looks the field
  up in a lookup file; only files declared in the repository's platforms.yml (`context.lookups`)
  are known offline, anything else is not evaluated.

Not documented, so not evaluated: a transform whose input field is missing (LogScale may drop the
event or pass it on), a `format` directive other than %s %d %%, regex(repeat=true), match() with
more than one matching row or a `cidr` mode, any argument this module does not model.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import regex
from lark import Token, Tree

from tooling.languages import explanation
from tooling.languages.evaluation import MISSING, NotEvaluated
from tooling.languages.explanation import NO_VALUE
from tooling.languages.logscale.values import (Row, Undecided, ValueProblem, as_number, compile_regex, glob,
                                               glob_match, named_groups, regex_literal, regex_string,
                                               rx_search, string_literal, value_of)

Stream = Callable[[Row, Any], "Row | None"]


class Arguments:
    """A call's arguments by name (lower case) and position."""

    def __init__(self, call: Tree):
        self.call = call
        self.named: dict[str, Any] = {}
        self.positional: list[Any] = []
        for child in call.children[1:]:
            if isinstance(child, Tree) and child.data == "arguments":
                for argument in child.children:
                    if argument.data == "named_argument":
                        self.named[str(argument.children[0]).lower()] = argument.children[1]
                    elif argument.data == "positional_argument":
                        self.positional.append(argument.children[0])
                    else:
                        raise NotEvaluated.at(argument, "a labelled argument")

    def add(self, name: str, value: Any) -> None:
        self.named[name.lower()] = value

    def only(self, *allowed: str) -> "Arguments":
        for name in self.named:
            if name not in {a.lower() for a in allowed}:
                raise NotEvaluated.at(self.call, f"the argument {name}= of {self.call.children[0]}()")
        return self

    def raw(self, name: str, position: int | None = None) -> Any:
        if name.lower() in self.named:
            return self.named[name.lower()]
        if position is not None and position < len(self.positional):
            return self.positional[position]
        return None

    def token(self, name: str, position: int | None = None) -> Token | None:
        value = self.raw(name, position)
        if value is not None and not isinstance(value, Token):
            raise NotEvaluated.at(value, f"a computed value for {name}=")
        return value

    def text(self, name: str, position: int | None = None, default: str | None = None) -> str | None:
        token = self.token(name, position)
        if token is None:
            return default
        return string_literal(token) if token.type == "STRING" else str(token)

    def field_name(self, name: str, position: int | None = None, default: str | None = None) -> str:
        found = self.text(name, position, default)
        if found is None:
            raise NotEvaluated.at(self.call, f"{self.call.children[0]}() without {name}=")
        return found

    def field_names(self, name: str, position: int | None = None) -> list[str]:
        value = self.raw(name, position)
        if value is None:
            return []
        items = value.children if isinstance(value, Tree) and value.data == "list" else [value]
        names = []
        for item in items:
            if not isinstance(item, Token):
                raise NotEvaluated.at(item, f"a computed field name in {name}=")
            names.append(string_literal(item) if item.type == "STRING" else str(item))
        return names

    def list_tokens(self, name: str, position: int | None = None) -> list[Token] | None:
        value = self.raw(name, position)
        if value is None:
            return None
        items = value.children if isinstance(value, Tree) and value.data == "list" else [value]
        for item in items:
            if not isinstance(item, Token) or item.type not in ("STRING", "NAME", "GLOB", "WORD"):
                raise NotEvaluated.at(item, f"a computed value in {name}=")
        return items

    def boolean(self, name: str, default: bool) -> bool:
        text = self.text(name)
        if text is None:
            return default
        if text.lower() not in ("true", "false"):
            raise NotEvaluated.at(self.call, f"{name}={text} (not true or false)")
        return text.lower() == "true"

    def integer(self, name: str, default: int, position: int | None = None) -> int:
        text = self.text(name, position)
        if text is None:
            return default
        number = as_number(text)
        if not isinstance(number, int):
            raise NotEvaluated.at(self.call, f"{name}={text} (not a whole number)")
        return number


def _input(row: Row, name: str) -> str:
    value = value_of(row.fields, name)
    if value is None:
        raise ValueProblem(f"a transform of the field {name}, which the event does not have (undocumented)")
    return value


# --- value functions (expressions, and `as=` outputs at a stage) -----------------------------

def _lower(args: Arguments):
    args.only("field", "as", "locale")
    name = args.field_name("field", 0)
    return "_lower", lambda row, env: _input(row, name).lower()


def _upper(args: Arguments):
    args.only("field", "as", "locale")
    name = args.field_name("field", 0)
    return "_upper", lambda row, env: _input(row, name).upper()


def _length(args: Arguments):
    args.only("field", "as")
    name = args.field_name("field", 0)
    return "_length", lambda row, env: str(len(_input(row, name)))


def _concat(args: Arguments):
    args.only("field", "as")
    names = args.field_names("field", 0)
    return "_concat", lambda row, env: "".join(_input(row, n) for n in names)


_DIRECTIVE = re.compile(r"%(.)")


def _format(args: Arguments):
    args.only("format", "field", "as")
    template = args.field_name("format", 0)
    names = args.field_names("field")
    directives = _DIRECTIVE.findall(template)
    for directive in directives:
        if directive not in "sd%":
            raise NotEvaluated.at(args.call, f"the format directive %{directive}")

    def render(row, env):
        values = iter([_input(row, n) for n in names])

        def one(match: re.Match) -> str:
            if match.group(1) == "%":
                return "%"
            value = next(values, None)
            if value is None:
                raise ValueProblem("format() with more directives than fields")
            if match.group(1) == "d":
                number = as_number(value)
                if not isinstance(number, int):
                    raise ValueProblem(f"format() %d of {value[:40]!r}")
                return str(number)
            return value
        return _DIRECTIVE.sub(one, template)
    return "_format", render


def _if(args: Arguments):
    from tooling.languages.logscale.expressions import compile_expr, truth  # noqa: PLC0415

    args.only("condition", "then", "else", "as")
    condition, then, other = args.raw("condition", 0), args.raw("then"), args.raw("else")
    if condition is None or then is None or other is None:
        raise NotEvaluated.at(args.call, "if() without condition, then= and else=")
    test, yes, no = compile_expr(condition), compile_expr(then), compile_expr(other)
    return None, lambda row, env: yes(row, env) if truth(test(row, env), condition) else no(row, env)


def _coalesce(args: Arguments):
    from tooling.languages.logscale.expressions import compile_expr  # noqa: PLC0415

    args.only("expressions", "as", "ignoreempty")
    value = args.raw("expressions", 0)
    items = value.children if isinstance(value, Tree) and value.data == "list" else [value]
    parts = [compile_expr(item) for item in items]
    ignore_empty = args.boolean("ignoreEmpty", True)

    def first(row, env):
        for part in parts:
            found = part(row, env)
            if found is not None and (found != "" or not ignore_empty):
                return found
        return None
    return "_coalesce", first


VALUE_FUNCTIONS = {"lower": _lower, "upper": _upper, "length": _length, "concat": _concat,
                   "format": _format, "if": _if, "coalesce": _coalesce}


def value_function(call: Tree):
    name = str(call.children[0]).lower()
    maker = VALUE_FUNCTIONS.get(name)
    if maker is None:
        raise NotEvaluated.at(call, f"{call.children[0]}() in an expression")
    return maker(Arguments(call))[1]


def _value_stage(maker) -> Callable[[Tree, Arguments], Stream]:
    def stage(call: Tree, args: Arguments) -> Stream:
        default, compute = maker(args)
        target = args.text("as", None, default)
        if target is None:
            raise NotEvaluated.at(call, f"{call.children[0]}() without as=")
        return lambda row, env: row.with_fields({target: compute(row, env)})
    return stage


# --- transforms ------------------------------------------------------------------------------

def regex_call(call: Tree, args: Arguments):
    """(compiled regex, field, strict) of a regex() call."""
    args.only("regex", "field", "flags", "strict", "limit", "repeat")
    token = args.token("regex", 0)
    if token is None:
        raise NotEvaluated.at(call, "regex() without a regex")
    if args.boolean("repeat", False):
        raise NotEvaluated.at(call, "regex(repeat=true)")
    if token.type == "REGEX":
        pattern, flags = regex_literal(token)
    elif token.type == "STRING":
        pattern, flags = regex_string(token), ""
    else:
        raise NotEvaluated.at(token, "a regex that is not a string")
    # flags= defaults to "m" (documented for regex()); a /.../flags literal adds its own
    flags = (args.text("flags", None, "m") or "") + flags
    field = args.field_name("field", None, "@rawstring")
    return compile_regex(pattern, flags, token), field, args.boolean("strict", True)


def extractor(compiled, name: str, strict: bool, node: Any = None, named: bool = True,
              subject: str | None = None) -> Stream:
    """Named groups become fields; no match drops the event when strict.

    A strict one is a leaf predicate for `explain` at `node` (the call or the filter), with the
    field's value (`named`: the query names the field; else it searches @rawstring, no value
    shown; `subject`: a tag filter's). Flipped to a match it did not make, its groups are absent
    from the event, so a later filter on them shows as the second leaf a match needs."""
    groups = named_groups(compiled)
    probed = strict and node is not None

    def extract(row, env):
        value = value_of(row.fields, name)
        found = rx_search(compiled, value) if value is not None else None
        if probed and explanation._probe is not None:
            shown = (MISSING if value is None else value) if named else NO_VALUE
            if not explanation.predicate(node, shown, found is not None, subject):
                return None
            if found is None:  # forced to match: its groups capture nothing, as if absent
                return row.without(frozenset(groups)) if groups else row
        if found is None:
            return None if strict else row
        if not groups:
            return row
        updates = {}
        for group in groups:
            captured = found.group(group)
            updates[group] = captured if captured is not None else Undecided(
                f"the group {group} of a regex that did not take part in the match (undocumented)")
        return row.with_fields(updates)
    return extract


def _regex(call: Tree, args: Arguments) -> Stream:
    compiled, field, strict = regex_call(call, args)
    return extractor(compiled, field, strict, call, named=args.raw("field") is not None)


def _replace(call: Tree, args: Arguments) -> Stream:
    args.only("regex", "with", "field", "as", "flags", "replaceempty")
    token = args.token("regex", 0)
    if token is None or token.type not in ("STRING", "REGEX"):
        raise NotEvaluated.at(call, "replace() without a regex string")
    pattern, flags = regex_literal(token) if token.type == "REGEX" else (regex_string(token), "")
    compiled = compile_regex(pattern, (args.text("flags") or "") + flags, token)
    replacement = args.text("with", 1, "")
    if "\\" in replacement or re.search(r"\$(?!\d)", replacement):
        raise NotEvaluated.at(call, "a replacement with escapes or named references")
    python_replacement = re.sub(r"\$(\d)", r"\\g<\1>", replacement)
    source = args.field_name("field", None, "@rawstring")
    target = args.text("as", None, source)

    def replace(row, env):
        value = _input(row, source)
        try:
            result = compiled.sub(python_replacement, value, timeout=0.25)
        except TimeoutError:
            raise ValueProblem("a regular expression that backtracks without end") from None
        except (IndexError, regex.error):
            raise ValueProblem("a replacement naming a group the regex does not have") from None
        return row.with_fields({target: result})
    return replace


def _split_string(call: Tree, args: Arguments) -> Stream:
    args.only("field", "by", "index", "as")
    by = args.token("by")
    if by is None or by.type != "STRING":
        raise NotEvaluated.at(call, "splitString() without by=\"...\"")
    compiled = compile_regex(regex_string(by), "", by)
    source = args.field_name("field", None, "@rawstring")
    target = args.text("as", None, "_splitstring")
    index = args.text("index")
    position = None if index is None else as_number(index)
    if index is not None and not isinstance(position, int):
        raise NotEvaluated.at(call, f"splitString(index={index})")

    def split(row, env):
        try:
            parts = compiled.split(_input(row, source), timeout=0.25)
        except TimeoutError:
            raise ValueProblem("a regular expression that backtracks without end") from None
        if position is None:
            return row.with_fields({f"{target}[{i}]": part for i, part in enumerate(parts)})
        if not -len(parts) <= position < len(parts):
            raise ValueProblem(f"splitString(index={position}) beyond the {len(parts)} parts (undocumented)")
        return row.with_fields({target: parts[position]})
    return split


def _rename(call: Tree, args: Arguments) -> Stream:
    args.only("field", "as")
    source, target = args.field_name("field", 0), args.field_name("as", 1)

    def rename(row, env):
        if source not in row.fields:
            return row
        fields = dict(row.fields)
        fields[target] = fields.pop(source)
        return Row(fields, row.src)
    return rename


def _drop(call: Tree, args: Arguments) -> Stream:
    args.only("fields")
    names = frozenset(args.field_names("fields", 0))
    return lambda row, env: row.without(names)


def _default(call: Tree, args: Arguments) -> Stream:
    args.only("field", "value", "replaceempty")
    names = args.field_names("field")
    value = args.text("value", 0)
    if value is None or not names:
        raise NotEvaluated.at(call, "default() without field= and value=")
    replace_empty = args.boolean("replaceEmpty", False)

    def fill(row, env):
        updates = {}
        for name in names:
            found = value_of(row.fields, name)
            if found is None or (replace_empty and found == ""):
                updates[name] = value
        return row.with_fields(updates) if updates else row
    return fill


def _select(call: Tree, args: Arguments) -> Stream:
    args.only("fields")
    names = args.field_names("fields", 0)

    def project(row, env):
        return Row({n: row.fields[n] for n in names if n in row.fields}, row.src)
    return project


def _match(call: Tree, args: Arguments) -> Stream:
    args.only("file", "table", "field", "column", "include", "strict", "mode", "ignorecase")
    file_name, table_name = args.text("file", 0), args.text("table")
    if (file_name is None) == (table_name is None):
        raise NotEvaluated.at(call, "match() without exactly one of file= or table=")
    fields = args.field_names("field")
    if len(fields) != 1:
        raise NotEvaluated.at(call, "match() on other than one field")
    field = fields[0]
    column = args.text("column", None, field)
    include = args.field_names("include") or None
    strict = args.boolean("strict", True)
    mode = args.text("mode", None, "string")
    ignore_case = args.boolean("ignoreCase", False)
    if mode not in ("string", "glob"):
        raise NotEvaluated.at(call, f"match(mode={mode})")

    def lookup(row, env):
        if file_name is not None:
            rows = env.context.lookups.get(file_name)
            if rows is None:
                raise NotEvaluated.at(call, f"the lookup file {file_name!r} (not declared in platforms.yml)")
            sources: tuple = ()
        else:
            if table_name not in env.tables:
                raise NotEvaluated.at(call, f"the table {table_name!r} (no defineTable() before it)")
            rows, sources = env.tables[table_name]
        value = value_of(row.fields, field)
        hits = []
        if value is not None:
            for index, entry in enumerate(rows):
                key = entry.get(column)
                if key is None:
                    continue
                key = str(key)
                if mode == "glob":
                    ok = glob_match(glob(key, True, ignore_case), value)
                else:
                    ok = key.lower() == value.lower() if ignore_case else key == value
                if ok:
                    hits.append(index)
        if not hits:
            return None if strict else row
        if len(hits) > 1:
            raise ValueProblem(f"match() found {len(hits)} rows for {value!r} (which one is used is undocumented)")
        entry = rows[hits[0]]
        names = include if include is not None else [k for k in entry if k != column]
        updates = {n: str(entry[n]) for n in names if n in entry}
        out = row.with_fields(updates)
        if sources:
            out = Row(out.fields, tuple(sorted(set(row.src) | set(sources[hits[0]]))))
        return out
    return lookup


TRANSFORMS: dict[str, Callable[[Tree, Arguments], Stream]] = {
    "regex": _regex, "replace": _replace, "splitstring": _split_string, "rename": _rename,
    "drop": _drop, "default": _default, "select": _select, "match": _match,
    **{name: _value_stage(maker) for name, maker in VALUE_FUNCTIONS.items() if name not in ("if",)},
}
