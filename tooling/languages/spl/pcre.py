"""Does a PCRE regular expression (as Splunk's rex, regex, match() and replace() take it) compile?

Python's `re` is not PCRE, so the pattern is first rewritten where the two differ only in
spelling (`(?<name>` groups, flags in mid-pattern, `\\h`, `\\Q...\\E` ...), and only errors that
PCRE reports as well are returned. A pattern using PCRE features `re` lacks (recursion, verbs,
branch reset, variable-length look-behind ...) is never reported: no answer beats a wrong one.
"""
from __future__ import annotations

import re
import warnings
from functools import lru_cache

from tooling.languages.re_syntax import check_syntax

# Named groups Splunk accepts: (?<name>...), (?P<name>...), (?'name'...).
NAMED_GROUP = re.compile(r"\(\?(?:P?<(?![=!])[A-Za-z_]\w*>|'[A-Za-z_]\w*')")

# Constructs `re` cannot check: recursion and subroutines, backtracking verbs, branch reset,
# callouts, \g / \k back references in their many spellings.
_UNCHECKABLE = re.compile(r"\(\?(?:R|[+-]?\d|&|\||C|P>)|\(\*|\\[gk]")
_INLINE_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?:-[a-zA-Z]*)?\)")
_QUOTED = re.compile(r"\\Q(.*?)(?:\\E|$)", re.S)
# PCRE escapes without a Python spelling, with a stand-in of the same shape.
_ESCAPES = {"h": "[ \\t]", "H": "[^ \\t]", "R": "(?:\\r\\n|\\n|\\r)", "K": "", "G": "", "X": ".",
            "C": ".", "e": "\\x1b", "z": "\\Z", "N": "[^\\n]", "E": ""}
_ESCAPE = re.compile(r"\\(?:([hHRKGXCezNE])|[pP](?:\{[^}]*\}|[A-Za-z])|x\{[0-9A-Fa-f]+\}|c.|o\{[0-7]+\}|(\\)|(.))",
                     re.S)
# Messages of errors PCRE reports too (others may be `re`-only: they are not reported).
_SHARED_ERRORS = ("missing ), unterminated subpattern", "unbalanced parenthesis",
                  "unterminated character set", "nothing to repeat", "unknown extension",
                  "missing group name", "bad character in group name", "redefinition of group name",
                  "unknown group name", "invalid group reference", "bad escape (end of pattern)",
                  "min repeat greater than max repeat", "bad character range", "missing >")


def spl_string(token: str) -> str:
    """The text of an SPL quoted string: quotes removed, `\\\\` and `\\"` unescaped."""
    inner = token[1:-1] if len(token) >= 2 and token[0] == token[-1] == '"' else token
    return re.sub(r'\\([\\"])', r"\1", inner)


def has_named_group(pattern: str) -> bool:
    return NAMED_GROUP.search(pattern) is not None


def _escape(match: re.Match) -> str:
    letter, backslash, other = match.group(1), match.group(2), match.group(3)
    if letter is not None:
        return _ESCAPES[letter]
    if backslash is not None:
        return "\\\\"
    if other is not None:
        return match.group(0)
    return "."  # \p{..}, \x{..}, \cX, \o{..}: one character


def _python_pattern(pattern: str) -> str | None:
    if _UNCHECKABLE.search(pattern):
        return None
    pattern = _QUOTED.sub(lambda m: re.escape(m.group(1)), pattern)
    pattern = _ESCAPE.sub(_escape, pattern)
    pattern = re.sub(r"\(\?<(?![=!])", "(?P<", pattern)
    pattern = re.sub(r"\(\?'([A-Za-z_]\w*)'", r"(?P<\1>", pattern)
    verbose = False

    def strip(match: re.Match) -> str:  # flags anywhere in PCRE; only at the start in Python
        nonlocal verbose
        verbose = verbose or "x" in match.group(1)
        return ""

    pattern = _INLINE_FLAGS.sub(strip, pattern)
    return ("(?x)" if verbose else "") + pattern


@lru_cache(maxsize=1024)  # as re.compile's own cache did: a pattern met again is not read again
def regex_error(pattern: str) -> str | None:
    """Why `pattern` does not compile as PCRE, or None when it does (or cannot be checked)."""
    python = _python_pattern(pattern)
    if python is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_syntax(python)  # every message reported comes from reading the pattern
    except re.error as exc:
        message = exc.msg
        if message.startswith("bad character range") and "\\" in message:
            return None  # `[\w-z]`: PCRE reads the `-` literally
        if message == "unknown extension ?>":
            return None  # an atomic group: PCRE has them, and Python only from 3.11
        if any(message.startswith(shared) for shared in _SHARED_ERRORS):
            return message
        return None
    except (RecursionError, OverflowError, ValueError):
        return None
    return None
