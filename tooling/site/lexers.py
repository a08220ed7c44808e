"""Pygments lexers for the query languages Pygments lacks, derived from our Lark grammars.

Pygments has no lexer for SPL, EQL, AQL, Sumo Logic, YARA-L or LogScale. It does ship a Kusto
lexer (alias `kql`), but that one knows few KQL keywords (`let`, `has_any`, `project-away` are plain
names), so KQL gets a grammar-derived lexer too, under the alias `dac-kql` (Pygments' own `kql`
alias is left alone). This module builds one `RegexLexer` per language at import time from
`tooling/languages/<key>/<key>.lark`:

* keywords are the grammar's word literals (`"where"`, `"by"i`) and keyword-shaped terminals
  (`AND.3: /(?i:and)(?!...)/`, `CASE.3: /case(?=\\s*\\{)/`);
* comments, strings, regular expressions, numbers, macros and variables use the grammar's own
  terminal patterns (`COMMENT`, `STRING`, `REGEX`, `NUMBER`, `MACRO`, ...).

Nothing the grammar knows is repeated here; when a grammar cannot be read, the lexer still
highlights strings and numbers with generic patterns. Lexers only colour text: a lexing mistake
never changes the query shown.

Lexing takes time linear in the query (issue #26: a 245 KB query took minutes): Pygments tries
each rule at each position, so a rule that scans far and then fails (an unclosed string, an
unclosed block comment, a name run before a `(` that never comes) would scan again from each
following position. `_LinearLexer` remembers such a failure until the end of the line (or of the
text, for a rule that can span lines) and the name rules never scan further than the next token.

Registration: `register()` adds the lexers to Pygments' lexer table at build time (the mkdocs
hook calls it). A packaging entry point (`pygments.lexers`) makes them available everywhere.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex
from pygments.lexer import RegexLexer, bygroups
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String, Text

LANGUAGES_DIR = Path(__file__).resolve().parents[1] / "languages"

# Terminal name (without priority and leading underscores) -> token type. Matched by exact name
# first, then by suffix (`LINE_COMMENT`, `BLOCK_COMMENT` -> Comment).
_BY_NAME = (
    ("COMMENT", Comment),
    ("RAW_STRING", String),
    ("SQSTRING", String.Single),
    ("SQFIELD", Name.Variable),
    ("QUOTED_NAME", Name.Variable),
    ("STRING", String.Double),
    ("REGEX", String.Regex),
    ("MACRO", Name.Function),
    ("TOKEN", Name.Variable),
    ("FOREACH_TOKEN", Name.Variable),
    ("PLACEHOLDER", Name.Variable),
    ("PARAM", Name.Variable),
    ("FIELD_REF", Name.Variable),
    ("SAVED_SEARCH", Name.Function),
    ("REFERENCE_LIST", Name.Variable),
    ("VARIABLE", Name.Variable),
    ("TIMESPAN", Number),
    ("TYPED_LITERAL", String.Other),
    ("DECIMAL", Number.Float),
    ("HEX", Number.Hex),
    ("NUMBER", Number),
    ("INT", Number.Integer),
)
_WORD_LITERAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*~?$")
_KEYWORD_REGEX = re.compile(r"^(?:\(\?i:([A-Za-z_]+)\)|([A-Za-z_]+))(?:\(\?[=!].*)?$")


@dataclass
class GrammarTokens:
    keywords: list[str]  # case-sensitive words
    keywords_ci: list[str]  # case-insensitive words
    patterns: list[tuple[str, object]]  # (regex, token type), most specific first


def _token_type(name: str):
    bare = name.split(".")[0].lstrip("_")
    for key, token in _BY_NAME:
        if bare == key:
            return token
    for key, token in _BY_NAME:
        if bare.endswith("_" + key) or bare.endswith(key):
            return token
    return None


def grammar_tokens(key: str) -> GrammarTokens:
    """What the Lark grammar of language `key` says about its tokens (never raises)."""
    terminals = []
    try:
        text = (LANGUAGES_DIR / key / f"{key}.lark").read_text(encoding="utf-8")
    except OSError:
        return GrammarTokens([], [], [])
    try:  # only the terminals are needed: compile the grammar without building parse tables
        from lark.load_grammar import load_grammar

        grammar, _files = load_grammar(text, key, [], False)
        terminals = grammar.compile(["start"], set())[0]
    except Exception:
        try:
            from lark import Lark

            terminals = Lark(text, parser="lalr", lexer="contextual", keep_all_tokens=True).terminals
        except Exception:  # a grammar being edited must never break the site build
            terminals = []
    words, words_ci, patterns = set(), set(), []
    for terminal in terminals:
        pattern = terminal.pattern
        flags = set(getattr(pattern, "flags", ()) or ())
        kind = getattr(pattern, "type", "")
        value = getattr(pattern, "value", "")
        if kind == "str":
            if _WORD_LITERAL.match(value):
                (words_ci if "i" in flags else words).add(value.rstrip("~") if value.endswith("~") else value)
            continue
        match = _KEYWORD_REGEX.match(value) if kind == "re" else None
        if match and not flags - {"i"}:
            word = match.group(1) or match.group(2)
            (words_ci if match.group(1) or "i" in flags else words).add(word)
            continue
        token = _token_type(terminal.name)
        if token is None or kind != "re":
            continue
        try:
            if getattr(pattern, "min_width", 0) < 1:  # an empty match would stall the lexer
                continue
            regex = pattern.to_regexp()
            re.compile(regex)
        except Exception:
            continue
        patterns.append((terminal.name, regex, token, getattr(terminal, "priority", 0)))
    # Comments first, then by grammar priority, then longer (more specific) patterns.
    patterns.sort(key=lambda p: (p[2] is not Comment, -p[3], -len(p[1])))
    return GrammarTokens(sorted(words), sorted(words_ci), [(regex, token) for _n, regex, token, _p in patterns])


def _words_regex(words: list[str], insensitive: bool) -> str | None:
    if not words:
        return None
    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    body = f"(?<![\\w.@$#-])(?:{alternation})(?![\\w-])"
    return f"(?i:{body})" if insensitive else body


_GENERIC = [
    (r'"(?:[^"\\\n]|\\.)*"', String.Double),
    (r"'(?:[^'\\\n]|\\.)*'", String.Single),
    (r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[A-Za-z]*", Number),
]


class _LinearLexer(RegexLexer):
    """A one-state RegexLexer whose delimited rules (strings, comments, regexes) are not retried
    where they cannot match: a string, comment or regex that found no end from one opener finds
    none from a later opener before that end of line (or of the text, for a rule that can span
    lines), so a failure there is remembered. The tokens are Pygments' otherwise."""

    def get_tokens_unprocessed(self, text, stack=("root",)):
        rules = type(self).__dict__.get("_linear_rules")
        if rules is None:
            rules = []
            for match, action, _new in self._tokens["root"]:
                delimited = _delimited(match.__self__.pattern, action)  # Pygments keeps `.match`
                starts = delimited[1] if delimited is not None and delimited[1] is not None else ANY
                rules.append((match, type(action) is type(Text), action, delimited, starts))
            type(self)._linear_rules = rules
        skip_until = [0] * len(rules)  # per delimited rule: a position before which it cannot match
        pos, length = 0, len(text)
        while pos < length:
            for index, (match, is_token, action, delimited, starts) in enumerate(rules):
                if delimited is not None and pos < skip_until[index]:
                    continue
                found = match(text, pos)
                if found is None:
                    if delimited is not None and text[pos] in starts:
                        skip_until[index] = _unclosed_until(delimited, text, pos)
                    continue
                if is_token:
                    yield pos, action, found.group()
                else:
                    yield from action(self, found)
                pos = found.end()
                break
            else:  # pragma: no cover - every lexer ends with a one-character rule
                yield pos, Error, text[pos]
                pos += 1


class _Any:
    def __contains__(self, _item) -> bool:
        return True


ANY = _Any()  # the first characters of a rule remembered by its leading run: any
_LEADING_RUN = re.compile(r"(\[(?:\\.|[^\]])*\])\*(?=\(\?:)")
_NEGATED_CLASS = re.compile(r"\[\^((?:\\.|[^\]])*)\]")


def _delimited(pattern: str, action) -> Any:
    """For a rule whose failure can be remembered, (how far, first characters, partial matcher);
    else None. How far: True to the end of the text (a delimited token that can span lines),
    False to the end of the line (one that cannot), or a match function giving the end of a
    leading `[...]*` run (Sumo's `a.b{{x}}` placeholders)."""
    bare = re.sub(r"^\(\?[a-z]*:", "", pattern)
    run = _LEADING_RUN.match(bare)
    if run:
        return re.compile(run.group(1) + "*", re.IGNORECASE if pattern.startswith("(?i") else 0).match, None, None
    quoted = bare.startswith(('"', "'", "`"))  # quoted names, macros: delimited whatever their colour
    if not (quoted or action in Comment or action in String) or bare.startswith(("\\d", "datetime")):
        return None
    try:
        partial = regex.compile(pattern)
    except (regex.error, ValueError):
        return None
    # The characters a token can start with: only a failure that began one is remembered.
    starts = frozenset(c for c in map(chr, range(32, 127)) if partial.match(c, partial=True))
    spans_lines = ("[\\s\\S]" in pattern or "(?s" in pattern
                   or any("\\n" not in body and "\n" not in body for body in _NEGATED_CLASS.findall(pattern)))
    return spans_lines, starts, partial


def _unclosed_until(delimited: tuple, text: str, pos: int) -> int:
    """Where a rule that failed at `pos` can match again (`pos` itself when it may at once): a
    token begun at `pos` and still open at the end of the line (or text) is open from any later
    start before it too, for the same end is missing."""
    spans_lines, starts, partial = delimited
    if starts is None:  # a leading run: no later start in it can match
        return spans_lines(text, pos).end()
    line_end = text.find("\n", pos)
    for end in (len(text) if line_end < 0 else line_end, len(text) if spans_lines else -1):
        found = partial.match(text, pos, end, partial=True) if end > pos else None
        if found is not None and found.partial:
            return end
    return pos


def _make_lexer(key: str, class_name: str, name: str, aliases: list[str], filenames: list[str]) -> type:
    tokens = grammar_tokens(key)
    # Whitespace, plain names and punctuation are emitted as Text, which the HTML formatter writes
    # without a <span>: pages stay small and the search indexer has fewer elements to parse.
    rules: list[tuple] = [(r"\s+", Text)]
    comment_and_string = [(r, t) for r, t in tokens.patterns if t in (Comment,) or t in String]
    other = [(r, t) for r, t in tokens.patterns if (r, t) not in comment_and_string]
    rules += comment_and_string or _GENERIC[:2]
    for words in (_words_regex(tokens.keywords, False), _words_regex(tokens.keywords_ci, True)):
        if words:
            rules.append((words, Keyword))
    rules += other + _GENERIC[2:]
    rules += [
        # A function name is one name (LogScale's have one `:`, as in `text:contains`); a name
        # rule that scanned across many `:` would scan again from each (quadratic).
        (r"[A-Za-z_@#][\w.@#-]*(?::[A-Za-z_][\w.@#-]*)?(?=\s*\()", Name.Function),
        (r"[A-Za-z_@#$][\w.@#$\[\]{}-]*", Text),
        (r"[=!<>~:+\-*%|&^]+", Operator),
        (r"/", Operator),  # alone, so that a regex literal right after `=` is still seen
        (r"[()\[\]{},;]", Text),
        (r".", Text),
    ]
    attrs = {"name": name, "aliases": aliases, "filenames": filenames, "tokens": {"root": rules},
             "url": "https://detections.example/", "__module__": __name__,
             "__doc__": f"{name} queries; keywords and token shapes from tooling/languages/{key}/{key}.lark."}
    return type(class_name, (_LinearLexer,), attrs)


# (language key, class name, display name, aliases, filename patterns)
_SPECS = (
    ("kql", "KqlLexer", "KQL (Kusto)", ["dac-kql"], ["*.kql"]),
    ("spl", "SplLexer", "Splunk SPL", ["spl", "splunk"], ["*.spl"]),
    ("eql", "EqlLexer", "Elastic EQL", ["eql"], ["*.eql"]),
    ("aql", "AqlLexer", "QRadar AQL", ["aql", "qradar"], ["*.aql"]),
    ("sumo", "SumoLexer", "Sumo Logic", ["sumo", "sumologic"], ["*.sumo"]),
    ("yaral", "YaralLexer", "YARA-L", ["yaral", "yara-l"], ["*.yaral"]),
    ("logscale", "LogScaleLexer", "LogScale CQL", ["logscale", "falcon-cql"], ["*.logscale"]),
)

KqlLexer = _make_lexer(*_SPECS[0])
SplLexer = _make_lexer(*_SPECS[1])
EqlLexer = _make_lexer(*_SPECS[2])
AqlLexer = _make_lexer(*_SPECS[3])
SumoLexer = _make_lexer(*_SPECS[4])
YaralLexer = _make_lexer(*_SPECS[5])
LogScaleLexer = _make_lexer(*_SPECS[6])

class SigmaYamlLexer(_LinearLexer):
    """Block-style YAML as `yaml.safe_dump` writes it (Sigma rules, sample events): keys, quoted
    strings and comments only. Pygments' YAML lexer handles all of YAML but is several times
    slower and marks up every scalar; the site shows thousands of these blocks."""

    name = "Sigma YAML"
    aliases = ["dac-yaml"]
    filenames: list[str] = []
    url = "https://detections.example/"
    tokens = {"root": [
        (r"#[^\n]*", Comment),
        (r"(?m)^([ \t]*(?:-[ \t]+)*)([^\s#'\"\-][^:\n]*?|'[^'\n]*'|\"[^\"\n]*\")(:)(?=[ \t]|$)",
         bygroups(Text, Name.Tag, Text)),
        (r"'(?:[^'\n]|'')*'", String.Single),
        (r'"(?:[^"\\\n]|\\.)*"', String.Double),
        (r"[^#'\"\n]+|\n", Text),
        (r".", Text),
    ]}


__all__ = ["SigmaYamlLexer", "KqlLexer", "SplLexer", "EqlLexer", "AqlLexer", "SumoLexer", "YaralLexer", "LogScaleLexer"]
LEXERS = {spec[0]: globals()[spec[1]] for spec in _SPECS}  # by language key


def register() -> None:
    """Make the lexers findable by `pygments.lexers.get_lexer_by_name` (idempotent).

    Adds entries to Pygments' built-in lexer table, which is what `get_lexer_by_name` consults
    first; an alias Pygments already has is left alone.
    """
    import pygments.lexers as pl
    from pygments.util import ClassNotFound

    for class_name in __all__:
        cls = globals()[class_name]
        free = []
        for alias in cls.aliases:
            try:
                pl.get_lexer_by_name(alias)
            except ClassNotFound:
                free.append(alias)
        if free and class_name not in pl.LEXERS:
            pl.LEXERS[class_name] = (__name__, cls.name, tuple(free), tuple(cls.filenames), ())
