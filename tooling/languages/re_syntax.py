"""Whether Python's `re` can read a pattern, without compiling it.

Lint rules ask Python's `re` whether a query's regular expression is malformed (an unclosed
group, a quantifier with nothing to repeat ...). `re.compile` reads the pattern with its parser,
then turns the result into the engine's code; nearly every error comes from the parser, so
reading the pattern is enough and costs about half as much (a query's regular expressions are
read once each: the compiled code would not be used).
"""
from __future__ import annotations

import re

try:
    from re import _parser as _reader  # Python 3.11 and later
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _reader  # type: ignore[no-redef]


def check_syntax(pattern: str) -> None:
    """Raise the `re.error` (or RecursionError, OverflowError ...) that `re.compile(pattern)`
    would raise while reading `pattern`; errors only the compiling step finds (a look-behind of
    variable width) are not raised. Warnings are emitted as `re.compile` emits them."""
    _reader.parse(pattern, 0)


def check_compiles(pattern: str) -> None:
    """Raise what `re.compile(pattern)` raises (an `re.error`, RecursionError, OverflowError ...),
    or nothing when it compiles. Only a look-behind can fail after reading (one of variable width,
    or too long): a pattern with one is compiled; any other is only read. A pattern that reads but
    would then exhaust the stack or the code size is not reported, where `re.compile` raises
    RecursionError or OverflowError: callers treat those as no answer either way."""
    if "(?<=" in pattern or "(?<!" in pattern:
        re.compile(pattern)
    else:
        _reader.parse(pattern, 0)
