"""LogScale evaluation points the differential test (tests/differential/test_logscale.py) found:
pySigma's CrowdStrike backend writes Windows paths into regexes (`/\\\\QuickAssist\\.exe$/i`) and
non-ASCII words under the `i` flag. Expected values written by hand from the LogScale documentation
(library.humio.com), each page cited; a positive and a negative case each.
"""
from __future__ import annotations

import pytest

from tooling.languages import get_language

LOGSCALE = get_language("logscale")


def returned(query: str, event: dict) -> bool:
    result = LOGSCALE.evaluate(query, [event])
    assert result.ok, result.reason
    return 0 in result.matched


# "Regular Expression Syntax Patterns", Single Characters: `\\` is "the backslash character"; the
# Quotation table: `\Q` "nothing, but quotes all characters until \E". An escaped backslash before
# a Q is a backslash and then the letter Q, not the start of a quotation.
BACKSLASH_Q = [
    (r"Image=/\\QuickAssist\.exe$/i", "C:\\Windows\\System32\\QuickAssist.exe", True),
    (r"Image=/\\QuickAssist\.exe$/i", "C:\\Windows\\System32\\QuickAssistXexe", False),
    (r"k=/\\Qualcomm\\Eudora/i", "HKCU\\Software\\Qualcomm\\Eudora\\CommandLine", True),
    (r"k=/\\Qualcomm\\Eudora/i", "HKCU\\Software\\Qualcomm Eudora", False),
    (r"f=/\\QIP Surf/i", "C:\\Users\\x\\AppData\\Local\\QIP Surf\\Profile", True),
    (r"f=/\\QIP Surf/i", "C:\\Users\\x\\AppData\\Local\\QIPSurf", False),
    # a real quotation still quotes: `.` inside \Q...\E is a dot, with or without the \E
    (r"f=/\Q.exe\E$/", "a.exe", True),
    (r"f=/\Q.exe\E$/", "aXexe", False),
    (r"f=/x\Q.+/", "x.+", True),
    (r"f=/x\Q.+/", "xyz", False),
    # an escaped backslash, then a quotation
    (r"f=/\\\Q.\E/", "\\.", True),
    (r"f=/\\\Q.\E/", "\\x", False),
]


@pytest.mark.parametrize(("query", "value", "expected"), BACKSLASH_Q)
def test_escaped_backslash_before_q(query, value, expected):
    name = query.split("=", 1)[0]
    assert returned(query, {name: value}) is expected


# "Regular Expression Flags": `i` is "Case-insensitive searching, matching values regardless of
# the case of the characters" - for ASCII letters. Whether it folds letters beyond ASCII (Java's
# default folding is ASCII-only; RE2J's is Unicode) is not documented, so a case-insensitive match
# whose answer depends on it is not evaluated; one that does not depend on it is.
ASCII_FOLDING = [
    ("p=/^stopped$/i", "STOPPED", True),
    ("p=/^stopped$/i", "STARTED", False),
    # non-ASCII text, but the answer is the same under either folding
    ("p=/^arrêté$/i", "arrêté", True),
    ("p=/^arrêté$/i", "démarré", False),
    ("p=/^arr/i", "ARRÊTÉ", True),
    ("p=/^stop$/i", "STOPé", False),
]


@pytest.mark.parametrize(("query", "value", "expected"), ASCII_FOLDING)
def test_ignore_case_ascii(query, value, expected):
    assert returned(query, {"p": value}) is expected


@pytest.mark.parametrize(("query", "value"), [
    ("p=/^arrêté$/i", "ARRÊTÉ"),  # É/é: the same letter only under Unicode folding
    ("p=/ Järjestelmänvalvoja /i", " USER JÄRJESTELMÄNVALVOJA "),
    ("p=/k/i", "\u212a"),  # KELVIN SIGN folds to k under Unicode only
    ("not p=/^arrêté$/i", "ARRÊTÉ"),
])
def test_ignore_case_beyond_ascii_is_not_evaluated(query, value):
    result = LOGSCALE.evaluate(query, [{"p": value}])
    assert not result.ok
    assert "non-ASCII" in result.reason


def test_case_sensitive_non_ascii_is_evaluated():
    # without `i` the match is exact either way
    assert returned("p=/^arrêté$/", {"p": "arrêté"}) is True
    assert returned("p=/^arrêté$/", {"p": "ARRÊTÉ"}) is False


# "Comments": CQL "supports // single-line and /* multi-line */ comments", so an empty regex `//i`
# after `field=` is a comment and the filter has no value: the query does not parse (the backend
# writes `hostPath=//i` for an empty `contains`).
@pytest.mark.parametrize("query", ["hostPath=//i", "a=/x/ hostPath=//i b=/y/"])
def test_empty_regex_is_a_comment(query):
    result = LOGSCALE.evaluate(query, [{"hostPath": "x", "a": "x", "b": "y"}])
    assert not result.ok
    assert "parse" in result.reason
