"""A structured view of a parsed YARA-L query, for lint rules and later analysis.

`analyze(tree)` walks the Lark tree once and returns one `RuleInfo` per `rule` block: the rule
name, meta entries, every events predicate (classified as filter, placeholder binding, join,
list membership or boolean call, each with its event variable(s), field, operator and values),
the placeholders and where they occur, the match keys and window, the outcome assignments, the
condition's terms, every function call with its arguments, and every regular expression (regex
literals and the pattern argument of `re.regex` / `re.capture` / `re.replace`). Each item keeps
the position of its first token (1-based line and column within the query).

`position(node)` gives the position of any tree node or token. Tree nodes also carry
`meta.line/column/end_line/end_column` (filled by `add_positions`, which the language runs after
every successful parse).

The walk never raises on an odd but parsed tree: unknown shapes are skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from lark import Token, Tree

# Functions whose second argument is a regular expression (RE2 syntax).
REGEX_FUNCTIONS = frozenset({"re.regex", "re.capture", "re.replace"})


class Pos(NamedTuple):
    line: int
    column: int


@dataclass(slots=True)
class Predicate:
    """One events-section predicate (a comparison, a list membership or a boolean call).

    kind: "filter" (event field against values), "binding" (a placeholder assigned a field or an
    expression), "join" (fields of two event variables compared), "membership" (`in %list`,
    `in regex %list`, `in cidr %list`), "call" (a boolean function call such as `re.regex(...)`)
    or "compare" (anything else, e.g. two literals or a call compared with a value).
    """

    kind: str
    pos: Pos
    node: Tree
    operator: str = ""  # "=", "!=", "<", "in", "in regex", "in cidr", or the function name
    field: str = ""  # the first event field involved, e.g. "$e.principal.hostname"
    event_variables: tuple[str, ...] = ()  # e.g. ("$e",), or ("$e1", "$e2") for a join
    placeholders: tuple[str, ...] = ()  # placeholders the predicate mentions
    values: tuple[str, ...] = ()  # literal values / list name / regex, as written
    nocase: bool = False
    negated: bool = False  # under a `not`


@dataclass(slots=True)
class Call:
    name: str
    pos: Pos
    node: Tree
    arguments: list[Any]  # tree nodes or tokens, in order
    section: str


@dataclass(slots=True)
class Regex:
    """A regular expression as the engine sees it (quotes, slashes and string escapes removed)."""

    pattern: str
    pos: Pos  # the literal's first character (its quote or slash)
    source: str  # "literal" (/.../), "string" ("..."), "raw" (`...`)
    section: str


@dataclass(slots=True)
class Variable:
    """One occurrence of `$name` (or `#name`, or the `$e` of a field) in some section."""

    name: str  # always with `$`: `#e` and `$e.principal.ip` both give "$e"
    pos: Pos
    section: str
    role: str  # "event" (prefix of a field), "placeholder", "count", "exists", "absent", "value"


@dataclass(slots=True)
class Outcome:
    name: str
    pos: Pos
    node: Tree  # the assigned expression


@dataclass(slots=True)
class MatchInfo:
    keys: list[tuple[str, Pos]]  # `$user` or, in search-style rules, a field
    window: str | None  # "over", "over before", "over after", "by" or None
    duration: str | None
    duration_pos: Pos | None
    pivot: tuple[str, Pos] | None  # the event variable of `before $e` / `after $e`
    pos: Pos


@dataclass(slots=True)
class ConditionTerm:
    """One leaf of the condition: `$e`, `!$e`, `#e > 5`, `$risk > 50`, `f(...)`."""

    kind: str  # "exists", "absent", "count", "outcome", "call", "compare"
    variable: str | None
    pos: Pos
    operator: str = ""
    value: str = ""


@dataclass
class RuleInfo:
    name: str
    pos: Pos
    node: Tree
    meta: dict[str, tuple[str, Pos]] = field(default_factory=dict)
    predicates: list[Predicate] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)
    match: MatchInfo | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    condition: list[ConditionTerm] = field(default_factory=list)
    condition_operators: list[tuple[str, Pos]] = field(default_factory=list)  # "or" nodes
    calls: list[Call] = field(default_factory=list)
    regexes: list[Regex] = field(default_factory=list)
    options: dict[str, tuple[str, Pos]] = field(default_factory=dict)

    def in_section(self, section: str, role: str | None = None) -> list[Variable]:
        return [v for v in self.variables if v.section == section and (role is None or v.role == role)]

    @cached_property
    def event_variables(self) -> dict[str, Pos]:
        """Event variables of the events section, each with its first position."""
        found: dict[str, Pos] = {}
        for v in self.in_section("events", "event"):
            found.setdefault(v.name, v.pos)
        return found

    @cached_property
    def placeholders(self) -> dict[str, list[Pos]]:
        """Placeholder variables of the events section, each with all its positions there."""
        found: dict[str, list[Pos]] = {}
        for v in self.in_section("events", "placeholder"):
            found.setdefault(v.name, []).append(v.pos)
        return found


# ---- positions ------------------------------------------------------------------------------

def position(item: Any) -> Pos:
    """1-based position of a token or tree node (its first token); (1, 1) when unknown."""
    if type(item) is Token:
        return Pos(item.line or 1, item.column or 1)
    if isinstance(item, Tree):
        meta = item._meta
        if meta is not None and not meta.empty:
            return Pos(meta.line, meta.column)
        found = tokens(item)
        if found:
            return position(found[0])
    return Pos(1, 1)


def tokens(node: Any) -> list[Token]:
    """All tokens under a node, left to right."""
    out: list[Token] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Token):
            out.append(current)
        elif isinstance(current, Tree):
            stack.extend(reversed(current.children))
    return out


def event_variable(field_text: str) -> str:
    """`$e.principal.ip` -> `$e`."""
    return field_text.split(".", 1)[0]


# ---- the walk -------------------------------------------------------------------------------

_cache: tuple[Any, list[RuleInfo]] | None = None


def analyze(tree: Any) -> list[RuleInfo]:
    """One `RuleInfo` per rule in the parse tree (cached for the last tree, so that several lint
    rules share one walk)."""
    global _cache
    if _cache is not None and _cache[0] is tree:
        return _cache[1]
    rules: list[RuleInfo] = []
    if isinstance(tree, Tree):
        for node in tree.children:
            if isinstance(node, Tree) and node.data == "rule":
                rules.append(_rule(node))
    _cache = (tree, rules)
    return rules


def _rule(node: Tree) -> RuleInfo:
    name_token = node.children[0] if node.children and isinstance(node.children[0], Token) else None
    info = RuleInfo(str(name_token or ""), position(name_token or node), node)
    for section in node.children:
        if not isinstance(section, Tree):
            continue
        kind = section.data
        if kind == "meta_section":
            for entry in section.children:
                if isinstance(entry, Tree) and len(entry.children) == 2:
                    key, value = entry.children
                    info.meta[str(key)] = (str(value), position(key))
        elif kind == "events_section":
            for expr in section.children:
                _events_expr(info, expr, negated=False)
        elif kind == "match_section":
            info.match = _match(info, section)
        elif kind == "outcome_section":
            for assignment in section.children:
                if isinstance(assignment, Tree) and len(assignment.children) == 2:
                    target, expr = assignment.children
                    info.outcomes.append(Outcome(str(target), position(target), expr))
                    _references(info, expr, "outcome")
        elif kind == "condition_section":
            for expr in section.children:
                _condition(info, expr)
        elif kind == "options_section":
            for entry in section.children:
                if isinstance(entry, Tree) and len(entry.children) == 2:
                    key, value = entry.children
                    info.options[str(key)] = (str(value), position(key))
    return info


def _events_expr(info: RuleInfo, node: Any, negated: bool) -> None:
    if not isinstance(node, Tree):
        return
    kind = node.data
    if kind in ("or_expr", "and_expr"):
        for child in node.children:
            _events_expr(info, child, negated)
    elif kind == "not_":
        for child in node.children:
            _events_expr(info, child, not negated)
    elif kind == "comparison":
        info.predicates.append(_comparison(info, node, negated))
    elif kind == "membership":
        info.predicates.append(_membership(info, node, negated))
    elif kind == "bool_call":
        info.predicates.append(_bool_call(info, node, negated))
    else:  # an odd shape: still collect its variables and calls
        _references(info, node, "events")


def _operand_summary(found: list[Token]) -> tuple[list[str], list[str], list[str]]:
    """(fields, placeholders, literal values) among an operand's tokens."""
    fields: list[str] = []
    placeholders: list[str] = []
    values: list[str] = []
    for token in found:
        if token.type == "FIELD":
            fields.append(str(token))
        elif token.type == "VARIABLE":
            placeholders.append(str(token))
        elif token.type in ("STRING", "RAW_STRING", "NUMBER", "REGEX", "TRUE", "FALSE", "NULL",
                            "REFERENCE_LIST"):
            values.append(str(token))
    return fields, placeholders, values


def _is_bare(operand: Any, token_type: str) -> bool:
    return isinstance(operand, Token) and operand.type == token_type or (
        isinstance(operand, Tree) and operand.data == "field" and token_type == "FIELD")


def _comparison(info: RuleInfo, node: Tree, negated: bool) -> Predicate:
    children = node.children
    lhs = children[0] if children else None
    comparator = children[1] if len(children) > 1 else None
    rhs = children[2] if len(children) > 2 else None
    nocase = any(isinstance(c, Token) and c.type == "NOCASE" for c in children[3:])
    operator = "".join(str(t) for t in tokens(comparator)) if comparator is not None else ""
    lfields, lvars, lvalues = _operand_summary(_references(info, lhs, "events"))
    rfields, rvars, rvalues = _operand_summary(_references(info, rhs, "events"))
    fields = lfields + rfields
    event_vars = tuple(dict.fromkeys(event_variable(f) for f in fields))
    placeholders = tuple(dict.fromkeys(lvars + rvars))
    if _is_bare(lhs, "VARIABLE") or _is_bare(rhs, "VARIABLE"):
        kind = "binding"
    elif len(event_vars) > 1 and lfields and rfields:
        kind = "join"
    elif fields:
        kind = "filter"
    else:
        kind = "compare"
    return Predicate(kind, position(node), node, operator, fields[0] if fields else "", event_vars,
                     placeholders, tuple(lvalues + rvalues), nocase, negated)


def _membership(info: RuleInfo, node: Tree, negated: bool) -> Predicate:
    operand = node.children[0] if node.children else None
    fields, placeholders, _ = _operand_summary(_references(info, operand, "events"))
    words = ["in"] + [str(c).lower() for c in node.children[1:] if isinstance(c, Token)
                      and c.type in ("REGEX_KW", "CIDR_KW")]
    lists = [str(c) for c in node.children[1:] if isinstance(c, Token) and c.type == "REFERENCE_LIST"]
    return Predicate("membership", position(node), node, " ".join(words), fields[0] if fields else "",
                     tuple(dict.fromkeys(event_variable(f) for f in fields)), tuple(dict.fromkeys(placeholders)),
                     tuple(lists), False, negated)


def _bool_call(info: RuleInfo, node: Tree, negated: bool) -> Predicate:
    call = node.children[0] if node.children else None
    nocase = any(isinstance(c, Token) and c.type == "NOCASE" for c in node.children[1:])
    fields, placeholders, values = _operand_summary(_references(info, call, "events"))
    name = str(call.children[0]) if isinstance(call, Tree) and call.children else ""
    return Predicate("call", position(node), node, name, fields[0] if fields else "",
                     tuple(dict.fromkeys(event_variable(f) for f in fields)), tuple(dict.fromkeys(placeholders)),
                     tuple(values), nocase, negated)


def _references(info: RuleInfo, node: Any, section: str) -> list[Token]:
    """Collect variables, calls and regexes under `node`; return its tokens (left to right, less
    the parameter names of named arguments)."""
    found: list[Token] = []
    if node is None:
        return found
    kind = type(node)
    if kind is Token:  # fast paths: most operands are one token or one field
        _token_reference(info, node, section)
        return [node]
    if kind is Tree and node.data == "field" and len(node.children) == 1:
        _token_reference(info, node.children[0], section)
        return [node.children[0]]
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is Token:
            _token_reference(info, current, section)
            found.append(current)
            continue
        if kind is not Tree:
            continue
        if current.data == "call":
            _call(info, current, section)
        elif current.data == "named_argument" and current.children:
            # the parameter name is not a reference; only look at its value
            stack.extend(reversed(current.children[1:]))
            continue
        stack.extend(reversed(current.children))
    return found


def _token_reference(info: RuleInfo, token: Token, section: str) -> None:
    kind = token.type
    if kind == "FIELD":
        name = token.value.partition(".")[0]
        info.variables.append(Variable(name, Pos(token.line, token.column), section, "event"))
    elif kind == "VARIABLE":
        role = "placeholder" if section == "events" else "value"
        info.variables.append(Variable(token.value, Pos(token.line, token.column), section, role))
    elif kind == "COUNT_VARIABLE":
        info.variables.append(Variable("$" + token.value[1:], Pos(token.line, token.column), section, "count"))
    elif kind == "REGEX":
        info.regexes.append(Regex(_regex_literal_body(str(token)), position(token), "literal", section))


def _call(info: RuleInfo, node: Tree, section: str) -> None:
    if not node.children:
        return
    name = str(node.children[0])
    arguments = [c for c in node.children[1:] if c is not None]
    info.calls.append(Call(name, position(node), node, arguments, section))
    if name.lower() in REGEX_FUNCTIONS and len(arguments) >= 2:
        pattern = arguments[1]
        if isinstance(pattern, Token) and pattern.type in ("STRING", "RAW_STRING"):
            source = "raw" if pattern.type == "RAW_STRING" else "string"
            info.regexes.append(Regex(string_value(str(pattern)), position(pattern), source, section))


def _match(info: RuleInfo, node: Tree) -> MatchInfo:
    keys: list[tuple[str, Pos]] = []
    window = duration = None
    duration_pos = None
    pivot = None
    for child in node.children:
        if isinstance(child, Token) and child.type in ("VARIABLE", "FIELD"):
            keys.append((str(child), position(child)))
            role = "value" if child.type == "VARIABLE" else "event"
            name = str(child) if child.type == "VARIABLE" else event_variable(str(child))
            info.variables.append(Variable(name, position(child), "match", role))
        elif isinstance(child, Tree) and child.data in ("hop_or_sliding_window", "tumbling_window"):
            window = "over" if child.data == "hop_or_sliding_window" else "by"
            for part in child.children:
                if isinstance(part, Token) and part.type == "DURATION":
                    duration, duration_pos = str(part), position(part)
                elif isinstance(part, Tree) and part.data == "pivot" and len(part.children) == 2:
                    direction, variable = part.children
                    window = f"over {str(direction).lower()}"
                    pivot = (str(variable), position(variable))
                    info.variables.append(Variable(str(variable), position(variable), "match", "pivot"))
    return MatchInfo(keys, window, duration, duration_pos, pivot, position(node))


def _condition(info: RuleInfo, node: Any) -> None:
    if not isinstance(node, Tree):
        return
    kind = node.data
    if kind in ("cond_or", "cond_and", "not_"):
        if kind == "cond_or":
            info.condition_operators.append(("or", position(node)))
        for child in node.children:
            _condition(info, child)
    elif kind in ("exists", "absent"):
        variable = node.children[-1] if node.children else None
        if isinstance(variable, Token):
            info.condition.append(ConditionTerm(kind, str(variable), position(node)))
            info.variables.append(Variable(str(variable), position(variable), "condition", kind))
    elif kind == "comparison" and len(node.children) >= 3:
        lhs, comparator, rhs = node.children[:3]
        operator = "".join(str(t) for t in tokens(comparator))
        variable = None
        term_kind = "compare"
        if isinstance(lhs, Token) and lhs.type == "COUNT_VARIABLE":
            term_kind, variable = "count", "$" + str(lhs)[1:]
        elif isinstance(lhs, Token) and lhs.type == "VARIABLE":
            term_kind, variable = "outcome", str(lhs)
        value = " ".join(str(t) for t in tokens(rhs))
        info.condition.append(ConditionTerm(term_kind, variable, position(node), operator, value))
        _references(info, lhs, "condition")
        _references(info, rhs, "condition")
    elif kind == "bool_call":
        info.condition.append(ConditionTerm("call", None, position(node)))
        _references(info, node, "condition")
    else:
        _references(info, node, "condition")


# ---- literals ---------------------------------------------------------------------------------

def string_value(text: str) -> str:
    """The value of a `"..."` (backslash escapes removed) or `` `...` `` (verbatim) literal."""
    if len(text) >= 2 and text[0] == "`" and text[-1] == "`":
        return text[1:-1]
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        body = text[1:-1]
        out = []
        i = 0
        while i < len(body):
            char = body[i]
            if char == "\\" and i + 1 < len(body) and body[i + 1] in '\\"':
                out.append(body[i + 1])
                i += 2
                continue
            out.append(char)
            i += 1
        return "".join(out)
    return text


def _regex_literal_body(text: str) -> str:
    """`/a\\/b/` -> `a\\/b`: the body between the slashes (an escaped slash means the same to
    RE2 and Python, so it is kept)."""
    return text[1:-1] if len(text) >= 2 and text[0] == "/" and text[-1] == "/" else text
