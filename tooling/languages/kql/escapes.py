"""DAC304: an escape sequence Kusto does not define in a "..." or '...' string literal.

Kusto's string literals (scalar-data-types/string) use the backslash to escape the enclosing
quote, tab (\\t), newline (\\n) and the backslash itself (\\\\); Kusto.Language rejects other
escapes such as "\\." or "\\+" that regular expressions are often written with. A verbatim
string @"..." keeps its backslashes. Accepted here, to avoid false alarms: the escapes C# defines
(\\0 \\a \\b \\f \\n \\r \\t \\v \\uXXXX \\UXXXXXXXX \\xH..) besides the quotes and the backslash.
"""
from __future__ import annotations

from tooling.diagnostics import Diagnostic
from tooling.languages.kql.tree import nodes

DEFINED = frozenset("\\\"'0abfnrtvuUx")


def undefined_escapes(tree) -> list[Diagnostic]:
    found = []
    for string in nodes(tree, "string"):
        for token in string.children:
            text = str(token)
            body = text[1:] if text[:1] in "hH" else text
            if not body or body[0] not in "\"'":
                continue  # verbatim @"...", ```...```: no escapes
            index = 1
            while index < len(body) - 1:
                if body[index] != "\\":
                    index += 1
                    continue
                following = body[index + 1]
                if following not in DEFINED:
                    column = token.column + (len(text) - len(body)) + index
                    found.append(Diagnostic(
                        "DAC304", f"KQL string literal has the escape \\{following}, which Kusto does not define; "
                        f"write it as a verbatim string @\"...\", where a backslash stays a backslash",
                        token.line, column))
                    break
                index += 2
    return found
