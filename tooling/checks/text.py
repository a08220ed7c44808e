"""Checks on the file's text as a reviewer sees it, whatever value it belongs to."""
from __future__ import annotations

import re
import unicodedata
from typing import Iterator

from tooling.diagnostics import Diagnostic
from tooling.package import Package

# Bidirectional controls ("Trojan Source", CVE-2021-42574): embeddings and overrides, isolates,
# the left-to-right and right-to-left marks, the Arabic letter mark.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
MAX_REPORTED = 10  # per file: enough to find them, few enough not to drown the rest


def check_bidi(package: Package) -> Iterator[Diagnostic]:
    """DAC121 at every bidirectional control character in the file (queries, values, comments)."""
    text = package.text
    for count, match in enumerate(_BIDI.finditer(text)):
        if count == MAX_REPORTED:
            break
        offset = match.start()
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        char = match.group()
        yield Diagnostic("DAC121", f"invisible bidirectional control U+{ord(char):04X} "
                                   f"({unicodedata.name(char, 'bidi control')}): the text displays in another "
                                   "order than it is read", line, column)
