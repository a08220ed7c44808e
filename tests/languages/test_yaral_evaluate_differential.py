"""YARA-L evaluation cases found by the differential test (tests/differential/test_yaral.py), each
citing the documentation fact it encodes.

[re]  cloud.google.com/chronicle/docs/detection/yara-l-2-0-functions/re-regex: the regex is RE2
      ("RE2 syntax"); RE2's `\\s`, `\\w`, `\\d`, `\\b` are ASCII classes (github.com/google/re2/wiki/
      Syntax: "\\s whitespace (== [\\t\\n\\f\\r ])"), which is why a pattern with both such a class
      and non-ASCII text is not evaluated (Python's Unicode classes differ). An escaped backslash
      followed by a letter (`\\\\s`: a backslash, then "s") is no class: such a pattern is evaluated.
"""
from __future__ import annotations

import pytest

from tooling.languages import get_language

YARAL = get_language("yaral")


def rule(events: str) -> str:
    return "rule t {\n  events:\n    " + events + "\n  condition:\n    $e\n}\n"


def command(line: str) -> dict:
    return {"target": {"process": {"command_line": line}}}


# [re] an escaped backslash before s / w / d / b, with non-ASCII text: evaluated (positive and
# negative), as the pattern has no ASCII class.
@pytest.mark.parametrize("pattern, line, expected", [
    (r"/\\system|\\ˢystem/ nocase", r"reg save hklm\SYSTEM out", [0]),
    (r"/\\system|\\ˢystem/ nocase", r"reg save hklm\ˢYSTEM out", [0]),
    (r"/\\system|\\ˢystem/ nocase", "reg save hklm system out", []),
    (r"/[–-]e\\s/", r"x –e\s y", [0]),
    (r"/[–-]e\\s/", "x –e y", []),
])
def test_escaped_backslash_before_a_letter_is_not_a_class(pattern, line, expected):
    result = YARAL.evaluate(rule(f"$e.target.process.command_line = {pattern}"), [command(line)])
    assert result.ok, result.reason
    assert result.matched == expected


# [re] a real ASCII class with non-ASCII text stays not evaluated (RE2's ASCII \s against Python's
# Unicode one), and an escaped backslash does not hide a real class after it.
@pytest.mark.parametrize("pattern", [r"/–e\s/", r"/\\\s–/", r"/ˢ\d/"])
def test_ascii_class_with_non_ascii_text_is_not_evaluated(pattern):
    result = YARAL.evaluate(rule(f"$e.target.process.command_line = {pattern}"), [command("–e x")])
    assert not result.ok
    assert "ASCII classes" in (result.reason or "")
