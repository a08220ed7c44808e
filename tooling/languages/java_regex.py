"""Java-syntax regular expressions (Sumo Logic, LogScale): does a pattern compile?

Both engines follow java.util.regex. Python's `re` is the checker after translating the Java-only
syntax (`\\p{L}`, `\\Q...\\E`, `\\h`, `\\z`, `\\k<name>`, `(?<name>`, inline flags in the middle,
...). What is left are errors Java rejects too. When in doubt, no report.
"""
from __future__ import annotations

import functools
import re
import warnings

from tooling.languages.re_syntax import check_compiles

# (?<name>...) in Java/.NET/RE2 syntax, (?P<name>...) in Python/RE2 syntax.
NAMED_GROUP = re.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")
_INLINE_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)")
_SCOPED_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?:")
_PY_FLAGS = set("imsx")
# Java escapes with no Python counterpart, mapped to something equivalent enough to compile.
_JAVA_ESCAPES = {"h": r"\s", "H": r"\S", "V": r"\S", "R": r"\s", "X": ".", "z": r"\Z", "e": r"\x1b",
                 "G": ""}
_SHORTHANDS = {r"\d", r"\D", r"\s", r"\S", r"\w", r"\W", r"\v"}


def named_groups(pattern: str) -> list[str]:
    """The named capture groups of a pattern, in order."""
    return NAMED_GROUP.findall(pattern)


def _translate(pattern: str) -> str:
    """Java regex syntax -> Python `re` syntax, for the constructs only Java has."""
    out: list[str] = []
    verbose = False
    depth = 0  # inside a character class (Java nests them)
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if depth and char == "-" and out and out[-1] in _SHORTHANDS:  # [\w-_]: Java reads a '-'
            out.append("\\-")
            i += 1
            continue
        if depth and char == "-" and pattern.startswith("\\", i + 1) and i + 2 < n and pattern[i + 2] in "dDsSwWhHvVpP":
            out.append("\\-")
            i += 1
            continue
        if char == "[":
            depth += 1
            out.append(char)
            i += 1
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):  # a leading ']' is literal
                out.append("\\]")
                i += 1
            continue
        if char == "]" and depth:
            depth -= 1
        if char == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "Q":  # \Q...\E quotes everything in between
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2:] if end < 0 else pattern[i + 2:end]
                out.append(re.escape(literal))
                i = n if end < 0 else end + 2
                continue
            if nxt in "pP":  # \pL, \p{Lu}, \P{InGreek}: a character class
                if i + 2 < n and pattern[i + 2] == "{":
                    end = pattern.find("}", i + 3)
                    if end < 0:
                        out.append(pattern[i:])  # Java rejects it too
                        break
                    i = end + 1
                else:
                    i += 3
                out.append(r"\w")
                continue
            if nxt == "k" and i + 2 < n and pattern[i + 2] == "<":  # \k<name> back-reference
                end = pattern.find(">", i + 3)
                if end > 0:
                    out.append(f"(?P={pattern[i + 3:end]})")
                    i = end + 1
                    continue
            if nxt == "c" and i + 2 < n:  # \cX control character
                out.append(r"\x01")
                i += 3
                continue
            if nxt == "x" and i + 2 < n and pattern[i + 2] == "{":  # \x{263A}
                end = pattern.find("}", i + 3)
                if end > 0 and re.fullmatch(r"[0-9a-fA-F]{1,6}", pattern[i + 3:end]):
                    code = int(pattern[i + 3:end], 16)
                    out.append(re.escape(chr(code)) if code <= 0x10FFFF else "x")
                    i = end + 1
                    continue
            if nxt in _JAVA_ESCAPES:
                out.append(_JAVA_ESCAPES[nxt])
                i += 2
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if char == "(" and pattern.startswith("(?<", i) and i + 3 < n and pattern[i + 3] not in "=!":
            out.append("(?P<")
            i += 3
            continue
        if char == "(" and pattern.startswith("(?", i):
            flags = _INLINE_FLAGS.match(pattern, i)
            if flags:  # (?i) anywhere: Python wants global flags first; Java's d and U are unknown
                verbose = verbose or "x" in flags.group(1)
                i = flags.end()
                continue
            scoped = _SCOPED_FLAGS.match(pattern, i)
            if scoped and (scoped.group(1) or scoped.group(2)):
                on = "".join(f for f in scoped.group(1) if f in _PY_FLAGS)
                off = "".join(f for f in (scoped.group(2) or "") if f in _PY_FLAGS)
                out.append(f"(?{on}-{off}:" if off else f"(?{on}:")
                i = scoped.end()
                continue
        out.append(char)
        i += 1
    return ("(?x)" if verbose else "") + "".join(out)


@functools.lru_cache(maxsize=1024)
def regex_error(pattern: str, universal_only: bool = False) -> str | None:
    """Why `pattern` is not a valid regular expression, or None when it is (or may be).

    `universal_only` reports just the errors every dialect shares (Java, RE2, PCRE): an
    unbalanced parenthesis, an unterminated character class, a quantifier with nothing before it.
    """
    try:
        translated = _translate(pattern)
    except Exception:  # noqa: BLE001 - a lint helper never raises
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            check_compiles(translated)
        except re.error as exc:
            return _universal(exc, translated) if universal_only else (str(exc.msg) if exc.msg else str(exc))
        except (RecursionError, OverflowError, ValueError, IndexError):
            return None
    return None


def _universal(exc: re.error, translated: str) -> str | None:
    message = exc.msg or ""
    if message.startswith("missing ), unterminated subpattern"):
        return "a '(' is never closed"
    if message == "unbalanced parenthesis":
        return "a ')' has no matching '('"
    if message == "unterminated character set":
        return "a '[' character class is never closed"
    if message == "nothing to repeat":
        pos = exc.pos or 0
        if pos == 0 or translated[pos - 1] in "(|":
            return f"the quantifier {translated[pos]!r} has nothing to repeat"
    return None


def unescape_string(body: str) -> str:
    """The value of a quoted string's contents: `\\"` is a quote and `\\\\` a backslash."""
    return re.sub(r'\\([\\"])', r"\1", body)


@functools.lru_cache(maxsize=1024)
def string_regex_error(content: str, universal_only: bool = False) -> str | None:
    """Like `regex_error` for a pattern written in a quoted string: invalid both as written and
    with the string's own escapes resolved, since which one reaches the engine varies."""
    error = regex_error(content, universal_only)
    if error is None:
        return None
    unescaped = unescape_string(content)
    if unescaped != content and regex_error(unescaped, universal_only) is None:
        return None
    return error
