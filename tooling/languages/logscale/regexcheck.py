"""Does a LogScale regular expression compile? Only errors that every dialect shares are reported.

LogScale compiles regexes with its own engine (JitRex), whose syntax follows Java's
java.util.regex; the shared Java-syntax check is used, reporting only an unbalanced parenthesis,
an unterminated character class and a quantifier with nothing before it, because those are errors
in Java, RE2 and PCRE alike. Anything else may be valid JitRex and is not reported.
"""
from __future__ import annotations

from functools import partial

from tooling.languages import java_regex
from tooling.languages.java_regex import unescape_string

__all__ = ["regex_error", "string_regex_error", "unescape_string"]

regex_error = partial(java_regex.regex_error, universal_only=True)
string_regex_error = partial(java_regex.string_regex_error, universal_only=True)
