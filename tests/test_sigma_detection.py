"""Sigma detection evaluation (tooling/sigma/detection.py) against sample events.

Covers field matching (case, `cased`, wildcards and their escapes, contains/startswith/endswith,
lists and `all`, null, exists, cidr v4/v6, gt/gte/lt/lte, windash, re and its flags, numbers and
booleans, list-valued and missing fields), keyword lists, lists of mappings, every condition form
and its precedence, `them` versus `_private` identifiers, each reason for InvalidDetection (with the
offset of condition errors) and UnsupportedDetection, hostile input (fuzzed too), and `explain`.
Expected verdicts are written from the Sigma specification v2, not from the module's output.
"""
from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tooling.sigma.detection import InvalidDetection, SigmaDetection, UnsupportedDetection


def selection_matches(selection, event: dict) -> bool:
    return SigmaDetection.parse({"selection": selection, "condition": "selection"}).matches(event)


def invalid(detection) -> InvalidDetection:
    with pytest.raises(InvalidDetection) as caught:
        SigmaDetection.parse(detection)
    return caught.value


CMD = "C:\\Windows\\System32\\cmd.exe"

FIELD_CASES = [
    # plain values: the whole field, case-insensitive unless `cased`
    pytest.param({"Image": CMD}, {"Image": "c:\\windows\\system32\\CMD.EXE"}, True, id="equal-ignores-case"),
    pytest.param({"Image": "cmd.exe"}, {"Image": CMD}, False, id="equal-needs-whole-value"),
    pytest.param({"Image|cased": "cmd.exe"}, {"Image": "cmd.exe"}, True, id="cased-same-case"),
    pytest.param({"Image|cased": "cmd.exe"}, {"Image": "CMD.exe"}, False, id="cased-other-case"),
    pytest.param({"Image|endswith|cased": "\\cmd.exe"}, {"Image": "C:\\CMD.EXE"}, False, id="cased-endswith"),
    # contains / startswith / endswith
    pytest.param({"CommandLine|contains": "-enc"}, {"CommandLine": "powershell -EncodedCommand AA"}, True,
                 id="contains"),
    pytest.param({"CommandLine|contains": "-enc"}, {"CommandLine": "powershell -nop"}, False, id="contains-absent"),
    pytest.param({"Image|startswith": "C:\\Windows\\"}, {"Image": CMD}, True, id="startswith"),
    pytest.param({"Image|startswith": "System32"}, {"Image": CMD}, False, id="startswith-not-at-start"),
    pytest.param({"Image|endswith": "\\cmd.exe"}, {"Image": CMD}, True, id="endswith"),
    pytest.param({"Image|endswith": "\\cmd"}, {"Image": CMD}, False, id="endswith-not-at-end"),
    pytest.param({"CommandLine|contains": "net*user"}, {"CommandLine": "cmd /c net  user bob"}, True,
                 id="contains-with-inner-wildcard"),
    pytest.param({"CommandLine|contains": "net*user"}, {"CommandLine": "user net"}, False,
                 id="contains-inner-wildcard-keeps-order"),
    # wildcards and escapes
    pytest.param({"Image": "C:\\Windows\\\\*\\cmd.exe"}, {"Image": CMD}, True, id="star-any-text"),
    pytest.param({"Image": "C:\\Windows\\\\*\\cmd.exe"}, {"Image": "D:\\Windows\\System32\\cmd.exe"}, False,
                 id="star-rest-must-match"),
    # `C:\Windows\*\cmd.exe` in a rule escapes the star: it is a literal `*` after `Windows`
    pytest.param({"Image": "C:\\Windows\\*\\cmd.exe"}, {"Image": CMD}, False, id="backslash-star-is-escape"),
    pytest.param({"Image": "C:\\Windows\\*\\cmd.exe"}, {"Image": "C:\\Windows*\\cmd.exe"}, True,
                 id="backslash-star-literal-star"),
    pytest.param({"Image": "cmd.ex?"}, {"Image": "cmd.exe"}, True, id="question-one-char"),
    pytest.param({"Image": "cmd.ex?"}, {"Image": "cmd.ex"}, False, id="question-needs-a-char"),
    pytest.param({"Image": "cmd.ex?"}, {"Image": "cmd.exee"}, False, id="question-only-one-char"),
    pytest.param({"CommandLine": "a*b"}, {"CommandLine": "a\nb"}, True, id="star-spans-newlines"),
    pytest.param({"Image": "a.b"}, {"Image": "axb"}, False, id="regex-chars-are-literal"),
    pytest.param({"Image": "(x)+"}, {"Image": "(X)+"}, True, id="regex-chars-literal-match"),
    pytest.param({"Image": "abc\\*"}, {"Image": "abc*"}, True, id="escaped-star-literal"),
    pytest.param({"Image": "abc\\*"}, {"Image": "abcd"}, False, id="escaped-star-not-wildcard"),
    pytest.param({"Image": "a\\?"}, {"Image": "a?"}, True, id="escaped-question-literal"),
    pytest.param({"Image": "a\\?"}, {"Image": "ab"}, False, id="escaped-question-not-wildcard"),
    pytest.param({"Image": "a\\\\b"}, {"Image": "a\\b"}, True, id="escaped-backslash-is-one"),
    pytest.param({"Image": "a\\\\b"}, {"Image": "a\\\\b"}, False, id="escaped-backslash-not-two"),
    pytest.param({"Image": "a\\\\*"}, {"Image": "a\\anything"}, True, id="escaped-backslash-then-star"),
    pytest.param({"Image": "a\\\\*"}, {"Image": "a"}, False, id="escaped-backslash-needs-backslash"),
    pytest.param({"Image": "C:\\Windows"}, {"Image": "C:\\Windows"}, True, id="lone-backslash-literal"),
    pytest.param({"Image": "C:\\Windows"}, {"Image": "C:Windows"}, False, id="lone-backslash-required"),
    # lists of values: OR, or AND with `all`
    pytest.param({"Image|endswith": ["\\cmd.exe", "\\powershell.exe"]}, {"Image": "C:\\x\\powershell.exe"}, True,
                 id="list-is-or"),
    pytest.param({"Image|endswith": ["\\cmd.exe", "\\powershell.exe"]}, {"Image": "C:\\x\\wscript.exe"}, False,
                 id="list-none-matches"),
    pytest.param({"CommandLine|contains|all": ["net", "user"]}, {"CommandLine": "net user bob"}, True,
                 id="all-every-value"),
    pytest.param({"CommandLine|contains|all": ["net", "user"]}, {"CommandLine": "net group"}, False,
                 id="all-one-missing"),
    # two fields in one mapping: AND
    pytest.param({"EventID": 1, "Image|endswith": "\\cmd.exe"}, {"EventID": 1, "Image": CMD}, True,
                 id="mapping-all-fields"),
    pytest.param({"EventID": 1, "Image|endswith": "\\cmd.exe"}, {"EventID": 13, "Image": CMD}, False,
                 id="mapping-one-field-fails"),
    # null
    pytest.param({"ParentImage": None}, {"Image": CMD}, True, id="null-absent"),
    pytest.param({"ParentImage": None}, {"ParentImage": None}, True, id="null-none"),
    pytest.param({"ParentImage": None}, {"ParentImage": ""}, True, id="null-empty-text"),
    pytest.param({"ParentImage": None}, {"ParentImage": CMD}, False, id="null-has-value"),
    pytest.param({"ParentImage": [None, "x"]}, {"ParentImage": "X"}, True, id="null-or-value"),
    # exists
    pytest.param({"ParentImage|exists": True}, {"ParentImage": ""}, True, id="exists-true-present"),
    pytest.param({"ParentImage|exists": True}, {"Image": CMD}, False, id="exists-true-absent"),
    pytest.param({"ParentImage|exists": True}, {"ParentImage": None}, False, id="exists-true-none"),
    pytest.param({"ParentImage|exists": False}, {"Image": CMD}, True, id="exists-false-absent"),
    pytest.param({"ParentImage|exists": False}, {"ParentImage": CMD}, False, id="exists-false-present"),
    # cidr
    pytest.param({"SourceIp|cidr": "10.0.0.0/8"}, {"SourceIp": "10.1.2.3"}, True, id="cidr-v4-inside"),
    pytest.param({"SourceIp|cidr": "10.0.0.0/8"}, {"SourceIp": "11.0.0.1"}, False, id="cidr-v4-outside"),
    pytest.param({"SourceIp|cidr": ["192.168.0.0/16", "10.0.0.0/8"]}, {"SourceIp": "192.168.5.5"}, True,
                 id="cidr-list"),
    pytest.param({"SourceIp|cidr": "10.0.0.0/8"}, {"SourceIp": "not-an-ip"}, False, id="cidr-field-not-ip"),
    pytest.param({"SourceIp|cidr": "10.0.0.0/8"}, {"SourceIp": 167772161}, False, id="cidr-field-number"),
    pytest.param({"SourceIp|cidr": "10.0.0.0/8"}, {"SourceIp": "2001:db8::1"}, False, id="cidr-v4-rule-v6-field"),
    pytest.param({"SourceIp|cidr": "2001:db8::/32"}, {"SourceIp": "2001:DB8::1"}, True, id="cidr-v6-inside"),
    pytest.param({"SourceIp|cidr": "2001:db8::/32"}, {"SourceIp": "2001:db9::1"}, False, id="cidr-v6-outside"),
    # numeric comparisons
    pytest.param({"Count|gt": 5}, {"Count": 6}, True, id="gt-above"),
    pytest.param({"Count|gt": 5}, {"Count": 5}, False, id="gt-equal"),
    pytest.param({"Count|gt": 5}, {"Count": "7"}, True, id="gt-numeric-text"),
    pytest.param({"Count|gt": 5}, {"Count": "seven"}, False, id="gt-not-a-number"),
    pytest.param({"Count|gt": 5}, {"Other": 9}, False, id="gt-missing"),
    pytest.param({"Count|gte": 5}, {"Count": 5}, True, id="gte-equal"),
    pytest.param({"Count|gte": 5}, {"Count": 4.9}, False, id="gte-below"),
    pytest.param({"Count|lt": 5}, {"Count": 4}, True, id="lt-below"),
    pytest.param({"Count|lt": 5}, {"Count": 5}, False, id="lt-equal"),
    pytest.param({"Count|lte": 5}, {"Count": "5"}, True, id="lte-equal-text"),
    pytest.param({"Count|lte": 5}, {"Count": 6}, False, id="lte-above"),
    pytest.param({"Size|gt": 1.5}, {"Size": "2.25"}, True, id="gt-float-text"),
    # windash: `-` also as `/`, en dash, em dash, horizontal bar
    pytest.param({"CommandLine|windash|contains": " -enc "}, {"CommandLine": "ps -enc AA"}, True, id="windash-hyphen"),
    pytest.param({"CommandLine|windash|contains": " -enc "}, {"CommandLine": "ps /enc AA"}, True, id="windash-slash"),
    pytest.param({"CommandLine|windash|contains": " -enc "}, {"CommandLine": "ps \u2013enc AA"}, True,
                 id="windash-en-dash"),
    pytest.param({"CommandLine|windash|contains": " -enc "}, {"CommandLine": "ps \u2014enc AA"}, True,
                 id="windash-em-dash"),
    pytest.param({"CommandLine|windash|contains": " -enc "}, {"CommandLine": "ps \u2015enc AA"}, True,
                 id="windash-horizontal-bar"),
    pytest.param({"CommandLine|windash|contains": " -enc "}, {"CommandLine": "ps +enc AA"}, False,
                 id="windash-other-char"),
    pytest.param({"CommandLine|contains": " -enc "}, {"CommandLine": "ps /enc AA"}, False, id="no-windash-no-slash"),
    # pySigma's windash: only a word-initial `-` or `/` is expanded, a slash as much as a dash
    pytest.param({"CommandLine|windash|contains": " /c "}, {"CommandLine": "cmd -c dir"}, True,
                 id="windash-slash-becomes-dash"),
    pytest.param({"CommandLine|windash|contains": "Set-MpPreference"}, {"CommandLine": "Set/MpPreference"}, False,
                 id="windash-inner-dash-stays"),
    pytest.param({"CommandLine|windash|contains": "a-b -x"}, {"CommandLine": "a-b /x"}, True,
                 id="windash-only-the-word-initial-one"),
    # regular expressions: searched, case-sensitive unless `i`
    pytest.param({"CommandLine|re": "net\\s+user"}, {"CommandLine": "cmd /c net   user"}, True, id="re-search"),
    pytest.param({"CommandLine|re": "net\\s+user"}, {"CommandLine": "NET USER"}, False, id="re-case-sensitive"),
    pytest.param({"CommandLine|re|i": "net\\s+user"}, {"CommandLine": "NET USER"}, True, id="re-i"),
    pytest.param({"CommandLine|re|i": "net\\s+user"}, {"CommandLine": "NET GROUP"}, False, id="re-i-no-match"),
    pytest.param({"CommandLine|re": "^b"}, {"CommandLine": "a\nb"}, False, id="re-no-multiline"),
    pytest.param({"CommandLine|re|m": "^b"}, {"CommandLine": "a\nb"}, True, id="re-m"),
    pytest.param({"CommandLine|re": "a.b"}, {"CommandLine": "a\nb"}, False, id="re-dot-no-newline"),
    pytest.param({"CommandLine|re|s": "a.b"}, {"CommandLine": "a\nb"}, True, id="re-s"),
    pytest.param({"EventID|re": "^46[0-9]{2}$"}, {"EventID": 4688}, True, id="re-on-number-field"),
    # numbers, booleans and strings
    pytest.param({"EventID": 1}, {"EventID": 1}, True, id="number-number"),
    pytest.param({"EventID": 1}, {"EventID": "1"}, True, id="number-text"),
    pytest.param({"EventID": 1}, {"EventID": 1.0}, True, id="number-float-equal"),
    pytest.param({"EventID": 1}, {"EventID": 2}, False, id="number-other"),
    pytest.param({"EventID": 1}, {"EventID": "01"}, False, id="number-other-spelling"),
    pytest.param({"EventID": 1}, {"EventID": True}, False, id="number-not-boolean"),
    pytest.param({"Ratio": 0.5}, {"Ratio": "0.5"}, True, id="float-text"),
    pytest.param({"EventID": "4688"}, {"EventID": 4688}, True, id="text-rule-number-field"),
    pytest.param({"EventID": "46*"}, {"EventID": 4688}, True, id="wildcard-number-field"),
    pytest.param({"EventID": "46*"}, {"EventID": 5688}, False, id="wildcard-number-field-no-match"),
    pytest.param({"Enabled": True}, {"Enabled": True}, True, id="boolean-boolean"),
    pytest.param({"Enabled": True}, {"Enabled": "TRUE"}, True, id="boolean-text"),
    pytest.param({"Enabled": True}, {"Enabled": False}, False, id="boolean-other"),
    pytest.param({"Enabled": False}, {"Enabled": "true"}, False, id="boolean-other-text"),
    pytest.param({"Enabled": True}, {"Enabled": 1}, False, id="boolean-not-number"),
    # list-valued and missing fields
    pytest.param({"Tags|contains": "admin"}, {"Tags": ["users", "Domain Admins"]}, True, id="list-field-any-element"),
    pytest.param({"Tags|contains": "admin"}, {"Tags": ["users", None]}, False, id="list-field-no-element"),
    pytest.param({"Ports": 445}, {"Ports": [139, "445"]}, True, id="list-field-numbers"),
    pytest.param({"Image": CMD}, {"CommandLine": CMD}, False, id="missing-field"),
    pytest.param({"Image|contains": "cmd"}, {"Image": None}, False, id="none-field"),
]


@pytest.mark.parametrize("selection, event, expected", FIELD_CASES)
def test_field_conditions(selection, event, expected):
    assert selection_matches(selection, event) is expected


KEYWORD_CASES = [
    pytest.param(["mimikatz", "sekurlsa::"], {"CommandLine": "run Mimikatz.exe"}, True, id="keyword-contains"),
    pytest.param(["mimikatz", "sekurlsa::"], {"Image": "x", "CommandLine": "sekurlsa::logonpasswords"}, True,
                 id="keyword-second-in-other-field"),
    pytest.param(["mimikatz", "sekurlsa::"], {"CommandLine": "notepad.exe"}, False, id="keyword-absent"),
    pytest.param(["invoke-*katz"], {"ScriptBlockText": "IEX; Invoke-Mimikatz -Dump"}, True, id="keyword-wildcard"),
    pytest.param(["invoke-*katz"], {"ScriptBlockText": "katz invoke-"}, False, id="keyword-wildcard-order"),
    pytest.param([4688], {"Message": "event 4688 logged"}, True, id="keyword-number"),
    pytest.param(["4688"], {"EventID": 4688}, True, id="keyword-number-field"),
    pytest.param(["admin"], {"Tags": ["users", "admins"]}, True, id="keyword-list-field"),
    pytest.param(["admin"], {"Tags": ["users"], "Other": None}, False, id="keyword-list-field-absent"),
    pytest.param("mimikatz", {"CommandLine": "mimikatz.exe"}, True, id="single-keyword"),
    # a list of mappings: OR of the mappings (and keywords may sit beside them)
    pytest.param([{"Image|endswith": "\\a.exe"}, {"CommandLine|contains": "bad"}], {"Image": "C:\\a.exe"}, True,
                 id="maps-first"),
    pytest.param([{"Image|endswith": "\\a.exe"}, {"CommandLine|contains": "bad"}], {"CommandLine": "so bad"}, True,
                 id="maps-second"),
    pytest.param([{"Image|endswith": "\\a.exe"}, {"CommandLine|contains": "bad"}],
                 {"Image": "C:\\b.exe", "CommandLine": "good"}, False, id="maps-neither"),
    pytest.param([{"Image": "a", "User": "b"}, "zzz"], {"Image": "a", "User": "c"}, False, id="map-is-and"),
    pytest.param([{"Image": "a", "User": "b"}, "zzz"], {"Image": "a", "User": "zzz!"}, True, id="map-or-keyword"),
    # a keyword list with `|all` (Sigma specification, keywords): every keyword must be found
    pytest.param({"|all": ["invoke", "katz"]}, {"CommandLine": "invoke-mimikatz"}, True, id="keywords-all-found"),
    pytest.param({"|all": ["invoke", "katz"]}, {"CommandLine": "invoke-mimidogz"}, False,
                 id="keywords-all-one-missing"),
    pytest.param({"|all": ["invoke", "katz"]}, {"A": "invoke", "B": "katz"}, True, id="keywords-all-in-two-fields"),
]


@pytest.mark.parametrize("definition, event, expected", KEYWORD_CASES)
def test_keyword_lists_and_lists_of_mappings(definition, event, expected):
    assert selection_matches(definition, event) is expected


def letters(*names: str) -> dict:
    return {name: "x" for name in names}


ABC = {"a": {"a": "x"}, "b": {"b": "x"}, "c": {"c": "x"}}

CONDITION_CASES = [
    # not > and > or: `a or b and not c` is `a or (b and (not c))`
    pytest.param("a or b and not c", letters(), False, id="precedence-none"),
    pytest.param("a or b and not c", letters("a", "c"), True, id="precedence-a-alone-suffices"),
    pytest.param("a or b and not c", letters("b"), True, id="precedence-b-without-c"),
    pytest.param("a or b and not c", letters("b", "c"), False, id="precedence-b-with-c"),
    pytest.param("(a or b) and not c", letters("a", "c"), False, id="parentheses-group"),
    pytest.param("not a and b", letters(), False, id="not-binds-tighter-than-and"),
    pytest.param("not a and b", letters("b"), True, id="not-a-and-b"),
    pytest.param("a AND b", letters("a", "b"), True, id="keywords-upper-case"),
    pytest.param("a And b", letters("a"), False, id="keywords-mixed-case"),
    pytest.param("NOT a", letters("b"), True, id="not-upper-case"),
    pytest.param("not not a", letters("a"), True, id="double-not"),
    pytest.param("((a))\n or\t b", letters("b"), True, id="whitespace-and-redundant-parentheses"),
    pytest.param(["a", "b and c"], letters("b", "c"), True, id="condition-list-is-or"),
    pytest.param(["a", "b and c"], letters("c"), False, id="condition-list-none"),
]


@pytest.mark.parametrize("condition, event, expected", CONDITION_CASES)
def test_condition_operators(condition, event, expected):
    assert SigmaDetection.parse({**ABC, "condition": condition}).matches(event) is expected


QUANTIFIED = {"sel_x": {"x": "1"}, "sel_y": {"y": "1"}, "other": {"o": "1"}, "_filter": {"f": "1"}}

QUANTIFIER_CASES = [
    pytest.param("1 of sel_*", {"y": "1"}, True, id="one-of-pattern"),
    pytest.param("1 of sel_*", {"o": "1"}, False, id="one-of-pattern-none"),
    pytest.param("any of sel_*", {"x": "1"}, True, id="any-of-pattern"),
    pytest.param("all of sel_*", {"x": "1"}, False, id="all-of-pattern-one"),
    pytest.param("all of sel_*", {"x": "1", "y": "1"}, True, id="all-of-pattern-every"),
    pytest.param("all of *_y", {"y": "1"}, True, id="pattern-leading-star"),
    pytest.param("all of *l_*", {"y": "1"}, False, id="pattern-inner-star"),
    pytest.param("1 of them", {"f": "1"}, False, id="them-leaves-out-underscore"),
    pytest.param("1 of them", {"o": "1"}, True, id="one-of-them"),
    pytest.param("all of them", {"x": "1", "y": "1", "o": "1"}, True, id="all-of-them-without-filter"),
    pytest.param("all of them", {"x": "1", "y": "1"}, False, id="all-of-them-needs-other"),
    pytest.param("1 of _*", {"f": "1"}, True, id="pattern-names-underscore"),
    pytest.param("ALL OF sel_* and not _filter", {"x": "1", "y": "1", "f": "1"}, False, id="quantifier-and-not"),
    pytest.param("1 of sel_* and not 1 of _*", {"x": "1"}, True, id="two-quantifiers"),
    pytest.param("1 of sel_x", {"x": "1"}, True, id="one-of-exact-name"),
    # Sigma specification (conditions): `_`-prefixed identifiers are left out of `them` and of
    # patterns such as `*`, as pySigma does, unless the pattern itself starts with `_`
    pytest.param("1 of *", {"f": "1"}, False, id="star-leaves-out-underscore"),
    pytest.param("1 of *", {"x": "1"}, True, id="star-takes-the-others"),
    pytest.param("all of *", {"x": "1", "y": "1", "o": "1"}, True, id="all-of-star-without-helper"),
]


@pytest.mark.parametrize("condition, event, expected", QUANTIFIER_CASES)
def test_quantifiers(condition, event, expected):
    assert SigmaDetection.parse({**QUANTIFIED, "condition": condition}).matches(event) is expected


def test_timeframe_is_ignored():
    detection = SigmaDetection.parse({"sel": {"a": "x"}, "timeframe": "5m", "condition": "sel"})
    assert detection.matches({"a": "x"}) and not detection.matches({"a": "y"})


def test_explain_names_the_matching_identifiers_sorted():
    detection = SigmaDetection.parse({**QUANTIFIED, "condition": "1 of them"})
    assert detection.explain({"y": "1", "x": "1", "f": "1"}) == ["_filter", "sel_x", "sel_y"]
    assert detection.explain({"nothing": "here"}) == []


CONDITION_ERRORS = [
    pytest.param("sel and", 7, "found the end", id="dangling-and"),
    pytest.param("sel or or sel", 7, "found 'or'", id="double-or"),
    pytest.param("sel and missing", 8, "'missing' is not defined", id="undefined-identifier"),
    pytest.param("(sel", 0, "never closed", id="unclosed-parenthesis"),
    pytest.param("sel)", 3, "unmatched ')'", id="unmatched-parenthesis"),
    pytest.param("sel & sel", 4, "unexpected character '&'", id="bad-character"),
    pytest.param("sel sel", 4, "found 'sel'", id="missing-operator"),
    pytest.param("1 of nomatch*", 5, "matches no search identifier", id="pattern-matches-nothing"),
    pytest.param("2 of sel*", 0, "'2 of'", id="two-of"),
    pytest.param("sel*", 0, "needs '1 of'", id="pattern-without-of"),
    pytest.param("all of", 6, "after 'of'", id="of-without-pattern"),
    pytest.param("not", 3, "found the end", id="not-alone"),
    pytest.param("", 0, "empty", id="empty"),
    pytest.param("   ", 3, "empty", id="blank"),
    pytest.param("| count() > 5", 0, "empty", id="aggregation-only"),
    pytest.param("sel and nope | count() > 5", 8, "'nope' is not defined", id="invalid-before-aggregation"),
]


@pytest.mark.parametrize("condition, offset, words", CONDITION_ERRORS)
def test_condition_errors_give_the_offset(condition, offset, words):
    error = invalid({"sel": {"a": "x"}, "condition": condition})
    assert error.offset == offset
    assert words in error.message


def test_them_with_only_private_identifiers_is_invalid():
    error = invalid({"_filter": {"a": "x"}, "condition": "1 of them"})
    assert error.offset == 5 and "'them'" in error.message


def test_condition_list_error_names_the_condition():
    error = invalid({"sel": {"a": "x"}, "condition": ["sel", "sel or nope"]})
    assert error.offset == 7 and error.message.startswith("condition 2:")


DETECTION_ERRORS = [
    pytest.param(["sel"], "must be a mapping", id="detection-is-a-list"),
    pytest.param(None, "must be a mapping", id="detection-is-null"),
    pytest.param("sel: x", "must be a mapping", id="detection-is-text"),
    pytest.param({"sel": {"a": "x"}}, "no 'condition'", id="no-condition"),
    pytest.param({"sel": {"a": "x"}, "condition": 1}, "condition must be", id="condition-number"),
    pytest.param({"sel": {"a": "x"}, "condition": []}, "condition must be", id="condition-empty-list"),
    pytest.param({"sel": {"a": "x"}, "condition": ["sel", None]}, "condition must be", id="condition-list-null"),
    pytest.param({"sel": None, "condition": "sel"}, "'sel' is empty", id="empty-identifier-null"),
    pytest.param({"sel": {}, "condition": "sel"}, "'sel' is empty", id="empty-identifier-mapping"),
    pytest.param({"sel": [], "condition": "sel"}, "'sel' is empty", id="empty-identifier-list"),
    pytest.param({"sel": True, "condition": "sel"}, "a boolean", id="identifier-boolean"),
    pytest.param({"sel": [{}], "condition": "sel"}, "empty mapping", id="empty-mapping-in-list"),
    pytest.param({"sel": {"a": {"b": 1}}, "condition": "sel"}, "not a mapping", id="value-mapping"),
    pytest.param({"sel": {"a": [["x"]]}, "condition": "sel"}, "not a list", id="value-nested-list"),
    pytest.param({"sel": {"a": []}, "condition": "sel"}, "list of values is empty", id="value-empty-list"),
    pytest.param({"sel": ["x", None], "condition": "sel"}, "keyword", id="keyword-null"),
    pytest.param({"sel": ["x", ["y"]], "condition": "sel"}, "keyword", id="keyword-nested-list"),
    pytest.param({"sel": {5: "x"}, "condition": "sel"}, "field name 5", id="field-name-number"),
    pytest.param({"sel": {"": "x"}, "condition": "sel"}, "field name is empty", id="field-name-empty"),
    pytest.param({"sel": {"a|containz": "x"}, "condition": "sel"}, "unknown modifier 'containz'",
                 id="unknown-modifier"),
    pytest.param({"sel": {"a||contains": "x"}, "condition": "sel"}, "unknown modifier ''", id="empty-modifier"),
    pytest.param({"sel": {"a|re": "(unclosed"}, "condition": "sel"}, "does not compile", id="bad-regex"),
    pytest.param({"sel": {"a|re": "(" * 5000 + ")" * 5000}, "condition": "sel"}, "does not compile",
                 id="regex-too-deep"),
    pytest.param({"sel": {"a|re": 5}, "condition": "sel"}, "'re' takes", id="regex-number"),
    pytest.param({"sel": {"a|i": "x"}, "condition": "sel"}, "must follow 're'", id="flag-without-re"),
    pytest.param({"sel": {"a|re|cidr": "x"}, "condition": "sel"}, "cannot be combined", id="two-type-modifiers"),
    pytest.param({"sel": {"a|cidr": "10.0.0.300/8"}, "condition": "sel"}, "not a network", id="cidr-bad-address"),
    pytest.param({"sel": {"a|cidr": "10.0.0.1/8"}, "condition": "sel"}, "not a network", id="cidr-host-bits"),
    pytest.param({"sel": {"a|cidr": 10}, "condition": "sel"}, "'cidr' takes", id="cidr-number"),
    pytest.param({"sel": {"a|gt": "5"}, "condition": "sel"}, "'gt' takes a number", id="gt-text"),
    pytest.param({"sel": {"a|lte": True}, "condition": "sel"}, "'lte' takes a number", id="lte-boolean"),
    pytest.param({"sel": {"a|exists": "yes"}, "condition": "sel"}, "'exists' takes", id="exists-text"),
    pytest.param({"sel": {"a|contains": None}, "condition": "sel"}, "null cannot", id="null-with-contains"),
    pytest.param({"sel": {"a|contains": 4688}, "condition": "sel"}, "'contains' takes a text", id="contains-number"),
    pytest.param({"sel": {"a|windash": False}, "condition": "sel"}, "'windash' takes a text", id="windash-boolean"),
]


@pytest.mark.parametrize("detection, words", DETECTION_ERRORS)
def test_invalid_detections(detection, words):
    error = invalid(detection)
    assert words in error.message
    assert error.offset is None


UNSUPPORTED = [
    pytest.param({"a|base64": "x"}, "sel", "the modifier 'base64'", id="base64"),
    pytest.param({"a|base64offset|contains": "x"}, "sel", "the modifier 'base64offset'", id="base64offset"),
    pytest.param({"a|utf16le|base64": "x"}, "sel", "the modifier 'utf16le'", id="utf16le"),
    pytest.param({"a|utf16be|base64": "x"}, "sel", "the modifier 'utf16be'", id="utf16be"),
    pytest.param({"a|utf16|base64": "x"}, "sel", "the modifier 'utf16'", id="utf16"),
    pytest.param({"a|wide|base64": "x"}, "sel", "the modifier 'wide'", id="wide"),
    pytest.param({"a|expand": "%admins%"}, "sel", "the modifier 'expand'", id="expand"),
    pytest.param({"a|fieldref": "b"}, "sel", "the modifier 'fieldref'", id="fieldref"),
    pytest.param({"a|neq": "x"}, "sel", "the modifier 'neq'", id="neq"),
    pytest.param({"a|hour": 3}, "sel", "the modifier 'hour'", id="time-part"),
    pytest.param({"|contains": "x"}, "sel", "keyword modifiers ('|contains')", id="keyword-with-modifier"),
    pytest.param({"a|re|contains": "x"}, "sel", "the modifier 'contains' with 're'", id="re-with-contains"),
    pytest.param({"a": "x"}, "sel | count() by Computer > 5", "aggregations ('| count() ...')", id="count"),
    pytest.param({"a": "x"}, "sel | near sel", "aggregations ('| near ...')", id="near"),
]


@pytest.mark.parametrize("selection, condition, feature", UNSUPPORTED)
def test_unsupported_features(selection, condition, feature):
    with pytest.raises(UnsupportedDetection) as caught:
        SigmaDetection.parse({"sel": selection, "condition": condition})
    assert caught.value.feature == feature
    assert feature in caught.value.message


def test_unsupported_is_not_invalid_and_names_where():
    with pytest.raises(UnsupportedDetection) as caught:
        SigmaDetection.parse({"sel": {"ok": "x"}, "enc": {"CommandLine|base64offset|contains": "IEX"},
                              "condition": "sel or enc"})
    assert str(caught.value) == caught.value.message == (
        "the modifier 'base64offset' (search identifier 'enc', field 'CommandLine|base64offset|contains')")


@pytest.mark.parametrize("condition, offset", [
    pytest.param("(" * 10_000 + "sel" + ")" * 10_000, 64, id="parentheses"),
    pytest.param("not " * 10_000 + "sel", 64 * 4, id="nots"),
    pytest.param("(not " * 5_000 + "sel" + ")" * 5_000, 32 * 5, id="mixed"),
])
def test_hostile_nesting_is_invalid_quickly(condition, offset):
    start = time.perf_counter()
    error = invalid({"sel": {"a": "x"}, "condition": condition})
    assert time.perf_counter() - start < 1.0
    assert error.offset == offset and "nested" in error.message


def test_nesting_within_the_bound_is_fine():
    detection = SigmaDetection.parse({"sel": {"a": "x"}, "condition": "(" * 64 + "sel" + ")" * 64})
    assert detection.matches({"a": "x"}) and not detection.matches({})


def test_identifier_patterns_do_not_backtrack():
    # issue #26: `.*a.*a...c` as a regex took minutes on a 60-character identifier
    start = time.perf_counter()
    error = invalid({"a" * 60: {"x": 1}, "condition": "1 of " + "a*" * 12 + "c"})
    assert time.perf_counter() - start < 5
    assert error.offset == 5 and "matches no search identifier" in error.message
    detection = SigmaDetection.parse({"a" * 60 + "c": {"x": 1}, "condition": "all of " + "a*" * 12 + "c"})
    assert detection.matches({"x": 1}) and not detection.matches({"x": 2})


@pytest.mark.parametrize("pattern, name, expected", [
    ("sel*", "selection", True), ("*tion", "selection", True), ("s*l*n", "selection", True),
    ("*", "", True), ("a*a", "a", False), ("a*a", "aa", True), ("*ab*ab*", "abab", True),
    ("*ab*ab*", "aba", False), ("sel", "sel", True), ("sel", "Sel", False), ("s**n", "sn", True),
])
def test_identifier_pattern_semantics(pattern, name, expected):
    from tooling.sigma.condition import glob_match

    assert glob_match(pattern, name) is expected


def test_wildcard_runs_stay_fast():
    # a long field against many stars: one `.*` per run keeps the regex from backtracking for ages
    start = time.perf_counter()
    assert not selection_matches({"a": "*" * 200 + "x" + "*" * 200 + "y"}, {"a": "x" * 2000})
    assert time.perf_counter() - start < 1.0


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
                    st.sampled_from(["*", "?", "\\", "(", "|", "10.0.0.0/8", "a|re", "a|cidr", "a|exists"]))
keys = st.one_of(st.text(max_size=6), st.sampled_from(["a", "a|contains", "a|re|i", "a|cidr", "a|gt", "a|exists",
                                                      "a|all|endswith", "a|windash", "|contains", "a|base64"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
                      max_leaves=10)
words = st.sampled_from(["sel", "other", "and", "or", "not", "(", ")", "1 of", "all of", "them", "sel*", "|", "&"])


@settings(max_examples=300, deadline=None)
@given(searches=st.dictionaries(st.sampled_from(["sel", "other", "_f"]), values, max_size=3),
       condition=st.one_of(st.lists(words, max_size=8).map(" ".join), values),
       event=st.dictionaries(st.sampled_from(["a", "b"]), values, max_size=2))
def test_fuzzed_detections_raise_only_the_two_errors(searches, condition, event):
    try:
        detection = SigmaDetection.parse({**searches, "condition": condition})
    except (InvalidDetection, UnsupportedDetection) as error:
        assert error.message and isinstance(error.message, str)
        return
    assert detection.matches(event) in (True, False)
    assert set(detection.explain(event)) <= set(searches)


def test_a_pattern_that_backtracks_without_end_raises_slow_match():
    from tooling.sigma.detection import SlowMatch

    detection = SigmaDetection.parse({"selection": {"CommandLine|re": "(a|aa)+b"}, "condition": "selection"})
    assert detection.matches({"CommandLine": "x aab"}) and not detection.matches({"CommandLine": "xyz"})
    start = time.perf_counter()
    with pytest.raises(SlowMatch, match=r"CommandLine\|re"):
        detection.matches({"CommandLine": "a" * 40})
    assert time.perf_counter() - start < 10  # a guard against a hang, not a speed target


def test_a_deadline_stops_matching_within_one_event():
    # issue #26: an event with 300 values, each slow but under the per-match limit, took 85 s
    from tooling.languages.evaluation import work_time  # the budgets' clock
    from tooling.sigma.detection import OutOfTime

    detection = SigmaDetection.parse({"selection": {"CommandLine|re": "(a|aa)+$"}, "condition": "selection"})
    event = {"CommandLine": ["a" * 24 + "b"] * 300}
    for run in (detection.matches, detection.explain):
        start = time.perf_counter()
        with pytest.raises(OutOfTime, match=r"CommandLine\|re"):
            run(event, work_time() + 0.2)
        assert time.perf_counter() - start < 2
    assert detection.matches({"CommandLine": "aa"}, work_time() + 5)
    assert detection.matches({"CommandLine": "aa"})  # no deadline left behind by the calls before


# --- a rule's logsource decides which events it sees (tooling/sigma/rules.py) ------------------

def _rules(*rules):
    from tooling.sigma.rules import SigmaRules, package_rules

    return SigmaRules.parse(package_rules({"sigma": {"rules": list(rules)}}))


REGISTRY_SET = {"logsource": {"category": "registry_set", "product": "windows"},
                "detection": {"sel": {"TargetObject|endswith": "\\DisableAntiSpyware"}, "condition": "sel"}}
KEY = "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware"


def test_a_registry_set_rule_does_not_see_a_value_deletion():
    rules = _rules(REGISTRY_SET)
    assert rules.matches({"EventID": 13, "EventType": "SetValue", "TargetObject": KEY})
    assert not rules.matches({"EventID": 12, "EventType": "DeleteValue", "TargetObject": KEY})
    assert not rules.matches({"EventID": 13, "EventType": "DeleteValue", "TargetObject": KEY})
    assert rules.matches({"TargetObject": KEY})  # a sample that omits the event id is not ruled out


def test_a_registry_event_rule_sees_every_registry_event_but_no_process_creation():
    rules = _rules({**REGISTRY_SET, "logsource": {"category": "registry_event", "product": "windows"}})
    assert rules.matches({"EventID": 12, "EventType": "DeleteValue", "TargetObject": KEY})
    assert not rules.matches({"EventID": 1, "TargetObject": KEY})


def test_a_ps_classic_start_rule_sees_event_400_of_the_windows_powershell_log_only():
    rules = _rules({"logsource": {"category": "ps_classic_start", "product": "windows"},
                    "detection": {"sel": {"Data|contains": "EngineVersion=2."}, "condition": "sel"}})
    started = {"EventID": 400, "Channel": "Windows PowerShell", "Data": "NewEngineState=Available EngineVersion=2.0"}
    assert rules.matches(started)
    # the same engine stopping (403), and event 400's id in another channel, are not this logsource
    assert not rules.matches({**started, "EventID": 403, "Data": "NewEngineState=Stopped EngineVersion=2.0"})
    assert not rules.matches({**started, "Channel": "Microsoft-Windows-PowerShell/Operational"})


def test_a_logsource_the_taxonomy_table_does_not_list_sees_every_event():
    rules = _rules({**REGISTRY_SET, "logsource": {"product": "windows", "service": "sysmon"}})
    assert rules.matches({"EventID": 12, "EventType": "DeleteValue", "TargetObject": KEY})
