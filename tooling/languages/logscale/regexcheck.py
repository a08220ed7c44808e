"""Does a LogScale regular expression compile? Only errors that every dialect shares are reported.

LogScale compiles regexes with its own engine (JitRex), whose syntax follows Java's
java.util.regex. Python's `re` is used as the checker after translating the Java-only syntax it
does not know (`(?<name>...)`, `\\k<name>`, `\\p{...}`, `\\Q...\\E`, other letter escapes), and only
three kinds of error are reported, because they are errors in Java, RE2 and PCRE alike: an
unbalanced parenthesis, an unterminated character class, and a quantifier with nothing before
it (at the start, or just after `(` or `|`). Anything else Python rejects (fixed-width
look-behind, flags in the middle, ...) may be valid JitRex and is not reported.
"""
from __future__ import annotations

import re
import warnings

# Letters that Python's `re` knows after a backslash; any other escaped letter is Java syntax
# (\h, \R, \X, \z, \G, \e, \cX ...) and is replaced by a plain character before compiling.
_PY_LETTERS = set("abBdDfnrsStvwWZAxuUN")


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "Q":  # \Q...\E quotes everything in between
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2:] if end < 0 else pattern[i + 2:end]
                out.append(re.escape(literal))
                i = n if end < 0 else end + 2
                continue
            if nxt in "pP":  # \p{Lu}, \pL: a Unicode class
                if pattern.startswith("{", i + 2):
                    end = pattern.find("}", i + 3)
                    i = n if end < 0 else end + 1
                else:
                    i += 3
                out.append("x")
                continue
            if nxt == "k" and pattern.startswith("<", i + 2):  # \k<name>
                end = pattern.find(">", i + 3)
                if end > 0:
                    out.append(f"(?P={pattern[i + 3:end]})")
                    i = end + 1
                    continue
            if nxt.isalpha() and nxt not in _PY_LETTERS:
                out.append("x")
                i += 2
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if pattern.startswith("(?<", i) and i + 3 < n and pattern[i + 3] not in "=!":
            out.append("(?P<")  # a Java named group
            i += 3
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def regex_error(pattern: str) -> str | None:
    """A short description of why `pattern` cannot compile in any dialect, or None."""
    try:
        translated = _translate(pattern)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "possible nested set" and similar
            re.compile(translated)
    except re.error as exc:
        message = exc.msg
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
    except (RecursionError, OverflowError, ValueError, IndexError):
        return None
    return None


def unescape_string(body: str) -> str:
    """The value of a CQL string's contents: `\\"` is a quote and `\\\\` a backslash."""
    return re.sub(r'\\([\\"])', r"\1", body)


def string_regex_error(body: str) -> str | None:
    """`regex_error` for a pattern written in a quoted string, with or without unescaping.

    Whether a given backslash is a string escape or reaches the regex engine depends on the
    function; a pattern is reported only when neither reading compiles.
    """
    first = regex_error(body)
    if first is None:
        return None
    return first if regex_error(unescape_string(body)) is not None else None
