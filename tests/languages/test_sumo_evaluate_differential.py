"""Sumo Logic evaluation: cases for the evaluator gaps the differential test against pySigma's
Sumo Logic backend found (tests/differential/test_sumo.py), each with the documentation fact it
encodes. `None` as the expectation: not evaluated (`ok` False).
"""
from __future__ import annotations

import pytest

from tooling.languages import get_language

SUMO = get_language("sumo")

PATHS = [
    {"_raw": "{}", "_index": "sec_record_endpoint", "baseImage": "C:\\Tools\\7z.exe"},
    {"_raw": "{}", "_index": "sec_record_endpoint", "baseImage": "C:\\Tools\\7-zip.exe"},
    {"_raw": "{}", "_index": "sec_record_endpoint", "baseImage": "C:\\Tools\\(x86)+\\cmd.exe"},
]

# matches.md: "Regex must be RE2-compliant". RE2 (github.com/google/re2/wiki/Syntax) has no
# backreferences (`\1`: "NOT SUPPORTED"), no lookaround and no possessive quantifiers, but
# `\\` is a literal backslash ("\* literal *, for any punctuation character *"): what follows
# an escaped backslash is an ordinary character, and an escaped parenthesis or plus sign opens
# no group and makes no quantifier.
RE2_ESCAPES = [
    ("_index=sec_record_* | where baseImage matches /.*\\\\7z\\.exe/", [0]),        # \\7 is "\" then "7"
    ("_index=sec_record_* | where baseImage matches /.*\\\\7.*/", [0, 1]),
    ("_index=sec_record_* | where !(baseImage matches /.*\\\\7z\\.exe/)", [1, 2]),
    ("_index=sec_record_* | where baseImage matches /.*\\\\\\(x86\\)\\+?\\\\cmd\\.exe/", [2]),  # \( \+ literal
    ("_index=sec_record_* | where baseImage matches /.*\\(?=?x86.*/", [2]),         # \( literal, made optional
    ("_index=sec_record_* | where baseImage matches /.*\\++.*/", [2]),              # \+ literal, then +
    ("_index=sec_record_* | where baseImage matches /.*[+]+.*/", [2]),              # + in a class is literal
    # what RE2 does not accept is still not evaluated
    ("_index=sec_record_* | where baseImage matches /.*(\\\\)7z\\1.*/", None),      # a backreference
    ("_index=sec_record_* | where baseImage matches /.*\\\\\\\\1.*/", []),          # two escaped backslashes, "1"
    ("_index=sec_record_* | where baseImage matches /.*(?=7z).*/", None),           # a lookahead
    ("_index=sec_record_* | where baseImage matches /.*(?<!x)7z.*/", None),         # a lookbehind
    ("_index=sec_record_* | where baseImage matches /.*7++.*/", None),              # a possessive quantifier
    ("_index=sec_record_* | where baseImage matches /.*(?>7z).*/", None),           # an atomic group
]


@pytest.mark.parametrize("query, expected", RE2_ESCAPES)
def test_re2_escapes(query, expected):
    result = SUMO.evaluate(query, PATHS)
    if expected is None:
        assert not result.ok, result
        assert "RE2" in result.reason
    else:
        assert result.ok, result.reason
        assert result.matched == expected


# where.md: "Keyword expressions can be used in the boolean expression, such as OR and AND", with
# no bound on their number; converted rules join up to a thousand terms (SigmaHQ's emoji and npm
# package lists). A long chain is evaluated, with the same three-valued answer as a short one.
def test_long_or_and_chains():
    names = [f"tool{n}.exe" for n in range(1500)]
    any_of = " OR ".join(f'baseImage matches /.*\\\\{name.replace(".", "[.]")}/' for name in names)
    all_of = " AND ".join(f'!(baseImage = "{name}")' for name in names)
    events = [{"_index": "sec_record_endpoint", "baseImage": "C:\\bin\\tool1499.exe"},
              {"_index": "sec_record_endpoint", "baseImage": "C:\\bin\\other.exe"}]
    result = SUMO.evaluate(f"_index=sec_record_* | where {any_of}", events)
    assert result.ok, result.reason
    assert result.matched == [0]
    result = SUMO.evaluate(f"_index=sec_record_* | where {all_of}", events)
    assert result.ok, result.reason
    assert result.matched == [0, 1]
    result = SUMO.evaluate(f"_index=sec_record_* | where ({any_of}) AND !(baseImage matches /.*other.*/)", events)
    assert result.ok and result.matched == [0]
