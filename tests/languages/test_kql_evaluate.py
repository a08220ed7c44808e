"""KQL evaluation semantics: (query, events, expected matched indexes) cases, expected values written
by hand from the Kusto documentation (learn.microsoft.com/kusto/query/...), each page cited where the
point is made. Every semantic point has a positive and a negative case.
"""
from __future__ import annotations

import time

import pytest

from tooling.languages import get_language

KQL = get_language("kql")


def ev(**fields):
    return {"$table": "T", **fields}


def run(query, events):
    result = KQL.evaluate(query, events)
    assert result.ok, result.reason
    return result.matched


# --- predicates: `T | where <predicate>` on one event; True when the event is returned -------------

C = "Set-MpPreference -DisableRealtimeMonitoring 1"
PREDICATES = [
    # datatypes-string-operators: `==` is case-sensitive, `=~` is not; `!=` / `!~` negate them.
    ('A == "abc"', {"A": "abc"}, True), ('A == "abc"', {"A": "ABC"}, False),
    ('A =~ "abc"', {"A": "ABC"}, True), ('A =~ "abc"', {"A": "abd"}, False),
    ('A != "abc"', {"A": "ABC"}, True), ('A != "abc"', {"A": "abc"}, False),
    ('A !~ "abc"', {"A": "xyz"}, True), ('A !~ "abc"', {"A": "ABC"}, False),
    ('A <> "abc"', {"A": "x"}, True), ('A <> "abc"', {"A": "abc"}, False),
    # `contains`: RHS occurs as a subsequence of LHS, case-insensitive ("FabriKam" contains "BRik")
    ('A contains "BRik"', {"A": "FabriKam"}, True), ('A contains "xyz"', {"A": "Fabrikam"}, False),
    ('A !contains "xyz"', {"A": "Fabrikam"}, True), ('A !contains "brik"', {"A": "Fabrikam"}, False),
    ('A contains_cs "Kam"', {"A": "FabriKam"}, True), ('A contains_cs "kam"', {"A": "FabriKam"}, False),
    ('A !contains_cs "Kam"', {"A": "Fabrikam"}, True), ('A !contains_cs "Kam"', {"A": "FabriKam"}, False),
    ('A notcontains "xyz"', {"A": "Fabrikam"}, True), ('A notcontains "RIK"', {"A": "Fabrikam"}, False),
    ('A containscs "Kam"', {"A": "FabriKam"}, True), ('A containscs "kam"', {"A": "FabriKam"}, False),
    # `startswith` / `endswith`: RHS is an initial / closing subsequence, case-insensitive
    ('A startswith "fab"', {"A": "Fabrikam"}, True), ('A startswith "kam"', {"A": "Fabrikam"}, False),
    ('A !startswith "kam"', {"A": "Fabrikam"}, True), ('A !startswith "FAB"', {"A": "Fabrikam"}, False),
    ('A startswith_cs "Fab"', {"A": "Fabrikam"}, True), ('A startswith_cs "fab"', {"A": "Fabrikam"}, False),
    ('A !startswith_cs "fab"', {"A": "Fabrikam"}, True), ('A !startswith_cs "Fab"', {"A": "Fabrikam"}, False),
    ('A endswith "Kam"', {"A": "Fabrikam"}, True), ('A endswith "brik"', {"A": "Fabrikam"}, False),
    ('A !endswith "brik"', {"A": "Fabrikam"}, True), ('A !endswith "KAM"', {"A": "Fabrikam"}, False),
    ('A endswith_cs "kam"', {"A": "Fabrikam"}, True), ('A endswith_cs "Kam"', {"A": "Fabrikam"}, False),
    ('A !endswith_cs "brik"', {"A": "Fabrikam"}, True), ('A !endswith_cs "kam"', {"A": "Fabrikam"}, False),
    # `has`: RHS is a whole term in LHS; a term is a maximal run of alphanumeric characters
    # ("North America" has "america"). So "SecurityHealth" is not a term of SecurityHealthService.
    ('A has "america"', {"A": "North America"}, True), ('A has "amer"', {"A": "North America"}, False),
    ('A has "SecurityHealth"', {"A": r"HKLM\Services\SecurityHealth"}, True),
    ('A has "SecurityHealth"', {"A": r"HKLM\Services\SecurityHealthService"}, False),
    ('A has "ad67d136"', {"A": "Kusto: ad67d136-c1db-4f9f-88ef-d94f3b6b0b5a;KustoExplorerQueryRun"}, True),
    ('A has "ad67"', {"A": "Kusto: ad67d136-c1db-4f9f-88ef-d94f3b6b0b5a;KustoExplorerQueryRun"}, False),
    ('A has "Explorer"', {"A": "Kusto: ad67d136-c1db;KustoExplorerQueryRun"}, False),
    ('A has "KustoExplorerQueryRun"', {"A": "Kusto: ad67d136-c1db;KustoExplorerQueryRun"}, True),
    # a phrase of several terms matches where the terms stand whole, in order
    ('A has "Set-MpPreference"', {"A": C}, True), ('A has "Set-MpPref"', {"A": C}, False),
    ('A has "c1db-4f9f"', {"A": "ad67d136-c1db-4f9f-88ef"}, True), ('A has "1db-4f9f"', {"A": "ad67d136-c1db-4f9f"}, False),
    # terms shorter than three characters are found by scanning: same semantics (`has "1"`)
    ('A has "1"', {"A": C}, True), ('A has "1"', {"A": "Monitoring 10"}, False),
    ('A has "ab"', {"A": "x ab y"}, True), ('A has "ab"', {"A": "x abc y"}, False),
    ('A !has "amer"', {"A": "North America"}, True), ('A !has "america"', {"A": "North America"}, False),
    ('A has_cs "America"', {"A": "North America"}, True), ('A has_cs "america"', {"A": "North America"}, False),
    ('A !has_cs "america"', {"A": "North America"}, True), ('A !has_cs "America"', {"A": "North America"}, False),
    # `hasprefix` / `hassuffix`: RHS is a term prefix / suffix in LHS ("North America" hasprefix "ame")
    ('A hasprefix "ame"', {"A": "North America"}, True), ('A hasprefix "mer"', {"A": "North America"}, False),
    ('A !hasprefix "mer"', {"A": "North America"}, True), ('A !hasprefix "Nor"', {"A": "North America"}, False),
    ('A hasprefix_cs "Ame"', {"A": "North America"}, True), ('A hasprefix_cs "ame"', {"A": "North America"}, False),
    ('A !hasprefix_cs "ame"', {"A": "North America"}, True), ('A !hasprefix_cs "Ame"', {"A": "North America"}, False),
    ('A hassuffix "ica"', {"A": "North America"}, True), ('A hassuffix "orth America x"', {"A": "North America"}, False),
    ('A hassuffix "rth"', {"A": "North America"}, True), ('A hassuffix "Nor"', {"A": "North America"}, False),
    ('A !hassuffix "Nor"', {"A": "North America"}, True), ('A !hassuffix "ica"', {"A": "North America"}, False),
    ('A hassuffix_cs "ica"', {"A": "North America"}, True), ('A hassuffix_cs "ICA"', {"A": "North America"}, False),
    ('A !hassuffix_cs "ICA"', {"A": "North America"}, True), ('A !hassuffix_cs "ica"', {"A": "North America"}, False),
    # in-operator: `in` is case-sensitive equality with any element, `in~` is not, `!in` negates
    ('A in ("a", "b")', {"A": "b"}, True), ('A in ("a", "b")', {"A": "B"}, False),
    ('A in~ ("a", "b")', {"A": "B"}, True), ('A in~ ("a", "b")', {"A": "c"}, False),
    ('A !in ("a", "b")', {"A": "B"}, True), ('A !in ("a", "b")', {"A": "a"}, False),
    ('A !in~ ("a", "b")', {"A": "c"}, True), ('A !in~ ("a", "b")', {"A": "A"}, False),
    ('N in (1, 2, 3)', {"N": 2}, True), ('N in (1, 2, 3)', {"N": 4}, False),
    # a dynamic array in the list is expanded into its elements
    ('A in (dynamic(["x", "y"]))', {"A": "y"}, True), ('A in (dynamic(["x", "y"]))', {"A": "z"}, False),
    # has_any / has_all: any / all of the values as `has` terms (case-insensitive)
    ('A has_any ("stop", "delete")', {"A": "sc STOP svc"}, True),
    ('A has_any ("stop", "delete")', {"A": "sc stopped svc"}, False),
    ('A has_all ("sc", "stop")', {"A": "sc stop svc"}, True), ('A has_all ("sc", "stop")', {"A": "sc query"}, False),
    ('A has_any (dynamic(["WinDefend"]))', {"A": "net stop windefend"}, True),
    ('A has_any (dynamic(["WinDefend"]))', {"A": "net stop WinDefendX"}, False),
    ('A has_any (dynamic([]))', {"A": "anything"}, False), ('A has_any ("x")', {"A": "x"}, True),
    # between: inclusive at both ends; `!between` outside
    ('N between (1 .. 3)', {"N": 3}, True), ('N between (1 .. 3)', {"N": 4}, False),
    ('N between (1 .. 3)', {"N": 1}, True), ('N between (1 .. 3)', {"N": 0}, False),
    ('N !between (1 .. 3)', {"N": 5}, True), ('N !between (1 .. 3)', {"N": 2}, False),
    ('N between (1.5 .. 2.5)', {"N": 2}, True), ('N between (1.5 .. 2.5)', {"N": 3}, False),
    # matches regex: RE2, true when the regex matches somewhere in the text (not a full match)
    ('A matches regex "b+c"', {"A": "abbcd"}, True), ('A matches regex "^b+c"', {"A": "abbcd"}, False),
    ('A matches regex @"(?i)STOP"', {"A": "sc stop x"}, True), ('A matches regex "STOP"', {"A": "sc stop x"}, False),
    ('A matches regex @"\\d{3}$"', {"A": "id 123"}, True), ('A matches regex @"\\d{3}$"', {"A": "id 123\n"}, False),
    ('A matches regex @"a\\z"', {"A": "xa"}, True), ('A matches regex @"a\\z"', {"A": "xa\n"}, False),
    ('A matches regex @"\\bstop\\b"', {"A": "sc stop"}, True), ('A matches regex @"\\bstop\\b"', {"A": "scstop"}, False),
    ('A matches regex @"(?m)^b$"', {"A": "a\nb\nc"}, True), ('A matches regex @"^b$"', {"A": "a\nb\nc"}, False),
    ('A matches regex @"[\\]]x"', {"A": "]x"}, True), ('A matches regex @"[]a]x"', {"A": "bx"}, False),
    # logical-operators: `and` / `or`, `not()`; and binds tighter than or
    ('A == "a" and B == "b"', {"A": "a", "B": "b"}, True), ('A == "a" and B == "b"', {"A": "a", "B": "c"}, False),
    ('A == "a" or B == "b"', {"A": "x", "B": "b"}, True), ('A == "a" or B == "b"', {"A": "x", "B": "y"}, False),
    ('A == "x" or A == "a" and B == "b"', {"A": "x", "B": "q"}, True),
    ('(A == "x" or A == "a") and B == "b"', {"A": "x", "B": "q"}, False),
    ('not(A == "a")', {"A": "b"}, True), ('not(A == "a")', {"A": "a"}, False),
    ('not(A in~ ("a"))', {"A": "b"}, True), ('not(A in~ ("a"))', {"A": "A"}, False),
    # null-values: a string column the event lacks is "" (strings have no null): == "" holds,
    # != "x" holds; comparisons of a null number are null (the row is dropped)
    ('Missing == ""', {"A": "a"}, True), ('Missing == "x"', {"A": "a"}, False),
    ('Missing != "x"', {"A": "a"}, True), ('Missing != ""', {"A": "a"}, False),
    ('N > 3', {"N": None}, False), ('N > 3', {"N": 4}, True),
    ('N == 3', {"N": None}, False), ('N != 3', {"N": None}, True),
    ('isempty(Missing)', {}, True), ('isempty(A)', {"A": "a"}, False),
    ('isempty(A)', {"A": ""}, True), ('isnotempty(A)', {"A": ""}, False),
    ('isnotempty(A)', {"A": "x"}, True), ('isnotempty(Missing)', {}, False),
    ('isnull(D.x)', {"D": {"y": 1}}, True), ('isnull(D.y)', {"D": {"y": 1}}, False),
    ('isnotnull(D.y)', {"D": {"y": 1}}, True), ('isnotnull(D.x)', {"D": {"y": 1}}, False),
    ('isnull(N)', {"N": None}, True), ('isnull(N)', {"N": 0}, False),
    # numbers and ordering
    ('N > 3', {"N": 3.5}, True), ('N >= 3', {"N": 2}, False), ('N < 3', {"N": 2}, True), ('N <= 3', {"N": 4}, False),
    ('N == 2', {"N": 2.0}, True), ('N + 1 == 3', {"N": 2}, True), ('N * 2 == 5', {"N": 2}, False),
    ('N / 2 == 2', {"N": 5}, True), ('N / 2 == 2.5', {"N": 5}, False), ('N % 3 == 2', {"N": 5}, True),
    ('-N == -2', {"N": 2}, True), ('N - 1 == 0', {"N": 2}, False),
    ('B == true', {"B": True}, True), ('B == true', {"B": False}, False), ('B', {"B": True}, True), ('B', {"B": False}, False),
    # dynamic: dot and bracket access into property bags and arrays
    ('D.k == "v"', {"D": {"k": "v"}}, True), ('D.k == "v"', {"D": {"k": "w"}}, False),
    ('D["k"] == "v"', {"D": {"k": "v"}}, True), ('D["x"] == "v"', {"D": {"k": "v"}}, False),
    ('D.a[1] == 2', {"D": {"a": [1, 2]}}, True), ('D.a[0] == 2', {"D": {"a": [1, 2]}}, False),
    ('D.a[-1] == 2', {"D": {"a": [1, 2]}}, True), ('D.a[5] == 2', {"D": {"a": [1, 2]}}, False),
    ('D.b.c == "x"', {"D": {"b": {"c": "x"}}}, True), ('D.b.c == "x"', {"D": {"b": None}}, False),
    ('tostring(D.k) == "v"', {"D": {"k": "v"}}, True), ('tostring(D) == "{\\"k\\":1}"', {"D": {"k": 1}}, True),
    ('tostring(D.missing) == ""', {"D": {}}, True), ('tostring(D.k) == ""', {"D": {"k": "v"}}, False),
    ('parse_json(J).a == 1', {"J": '{"a":1}'}, True), ('parse_json(J).a == 1', {"J": '{"a":2}'}, False),
    ('todynamic(J)[0] == "x"', {"J": '["x"]'}, True), ('todynamic(J)[0] == "x"', {"J": '["y"]'}, False),
    ('array_length(D) == 2', {"D": [1, 2]}, True), ('array_length(D) == 2', {"D": [1]}, False),
    ('isnull(array_length(D))', {"D": "x"}, True), ('array_length(split(A, ",")) == 3', {"A": "a,b,c"}, True),
    # scalar functions
    ('tolower(A) == "abc"', {"A": "AbC"}, True), ('tolower(A) == "AbC"', {"A": "AbC"}, False),
    ('toupper(A) == "ABC"', {"A": "abc"}, True), ('strlen(A) == 3', {"A": "abc"}, True),
    ('strcat(A, "-", B) == "a-b"', {"A": "a", "B": "b"}, True), ('strcat(A, B) == "ab"', {"A": "a"}, False),
    ('strcat(A, Missing) == "a"', {"A": "a"}, True), ('strcat(N) == "5"', {"N": 5}, True),
    ('iff(A == "a", "y", "n") == "y"', {"A": "a"}, True), ('iff(A == "a", "y", "n") == "y"', {"A": "b"}, False),
    ('iif(N > 1, 1, 0) == 1', {"N": 2}, True), ('iff(N > 1, 1, 0) == 1', {"N": None}, False),
    ('case(A == "a", 1, A == "b", 2, 3) == 2', {"A": "b"}, True),
    ('case(A == "a", 1, A == "b", 2, 3) == 3', {"A": "c"}, True),
    ('case(A has "x", 1, A has "x y", 2, 3) == 1', {"A": "x y"}, True),
    ('case(A == "a", 1, 3) == 1', {"A": "c"}, False),
    # coalesce: the first value not null, and not empty for strings
    ('coalesce(A, B) == "b"', {"A": "", "B": "b"}, True), ('coalesce(A, B) == "a"', {"A": "a", "B": "b"}, True),
    ('coalesce(Missing, "d") == "d"', {}, True), ('coalesce(N, 7) == 7', {"N": 0}, False),
    ('extract(@"id=(\\d+)", 1, A) == "42"', {"A": "x id=42 y"}, True),
    ('extract(@"id=(\\d+)", 1, A) == "42"', {"A": "x id=43 y"}, False),
    ('extract(@"id=(\\d+)", 0, A) == "id=42"', {"A": "id=42"}, True),
    ('isempty(extract(@"id=(\\d+)", 1, A))', {"A": "nothing"}, True),
    ('array_length(extract_all(@"(\\d+)", A)) == 3', {"A": "1 22 333"}, True),
    ('extract_all(@"(\\d+)", A)[1] == "22"', {"A": "1 22 333"}, True),
    ('isnull(extract_all(@"(\\d+)", A))', {"A": "none"}, True),
    ('split(A, ",")[1] == "b"', {"A": "a,b,c"}, True), ('split(A, ",")[1] == "c"', {"A": "a,b,c"}, False),
    ('split(A, ",", 2)[0] == "c"', {"A": "a,b,c"}, True),
    ('replace_string(A, "a", "o") == "foo"', {"A": "faa"}, True), ('replace_string(A, "x", "o") == "foo"', {"A": "faa"}, False),
    ('replace_regex(A, @"(\\d)", @"<\\1>") == "a<1>"', {"A": "a1"}, True),
    ('indexof(A, "lo") == 3', {"A": "hello"}, True), ('indexof(A, "z") == -1', {"A": "hello"}, True),
    ('indexof(A, "l", 0, -1, 2) == 3', {"A": "hello"}, True), ('indexof(A, "l") == 3', {"A": "hello"}, False),
    ('countof(A, "the") == 2', {"A": "the cat and the hat"}, True), ('countof(A, "x") == 0', {"A": "abc"}, True),
    ('countof(A, @"\\d", "regex") == 3', {"A": "a1b22"}, True),
    ('substring(A, 1, 2) == "bc"', {"A": "abcd"}, True), ('substring(A, 2) == "cd"', {"A": "abcd"}, True),
    ('toint(A) == 42', {"A": "42"}, True), ('tolong(A) == 42', {"A": "43"}, False),
    ('isnull(toint(A))', {"A": "x"}, True), ('toreal(A) == 1.5', {"A": "1.5"}, True),
    ('tobool(A) == true', {"A": "true"}, True), ('tostring(N) == "5"', {"N": 5}, True),
    ('tostring(B) == "true"', {"B": True}, True), ('tostring(1.5) == "1.5"', {}, True),
    ('strcat_array(D, "-") == "a-b"', {"D": ["a", "b"]}, True),
    ('set_has_element(D, "b")', {"D": ["a", "b"]}, True), ('set_has_element(D, "c")', {"D": ["a", "b"]}, False),
    ('array_index_of(D, "b") == 1', {"D": ["a", "b"]}, True), ('array_length(pack_array(1, 2)) == 2', {}, True),
    # datetime: Timestamp shown as ISO text compares as a datetime
    ('T > datetime(2026-01-01)', {"T": "2026-01-01T12:00:00Z"}, True),
    ('T > datetime(2026-01-02)', {"T": "2026-01-01T12:00:00Z"}, False),
    ('T between (datetime(2026-01-01) .. 1d)', {"T": "2026-01-01T12:00:00Z"}, True),
    ('T between (datetime(2026-01-02) .. 1d)', {"T": "2026-01-01T12:00:00Z"}, False),
    ('bin(T, 1h) == datetime(2026-01-01 12:00)', {"T": "2026-01-01T12:34:00Z"}, True),
    ('bin(T, 1d) == datetime(2026-01-01)', {"T": "2026-01-02T00:00:00Z"}, False),
    ('bin(N, 10) == 20', {"N": 27}, True), ('floor(N, 10) == 30', {"N": 27}, False),
    ('datetime_diff("day", datetime(2026-01-03), T) == 2', {"T": "2026-01-01T23:00:00Z"}, True),
    ('datetime_diff("hour", datetime(2026-01-01 12:00), T) == 2', {"T": "2026-01-01T10:59:00Z"}, True),
    ('datetime_diff("year", datetime(2017-01-01), datetime(2000-12-31)) == 17', {}, True),
    ('datetime_diff("month", datetime(2017-01-01), datetime(2016-12-31)) == 1', {}, True),
    ('todatetime(A) == datetime(2026-01-01 00:00)', {"A": "2026-01-01"}, True),
    ('totimespan(A) == 1h', {"A": "01:00:00"}, True), ('totimespan(A) == 1d', {"A": "1.00:00:00"}, True),
    ('1d == 24h', {}, True), ('1h > 90m', {}, False),
    ('now() - 1h == ago(1h)', {}, True),
]


@pytest.mark.parametrize("predicate, fields, expected", PREDICATES, ids=[f"{i}:{p[0][:40]}" for i, p in enumerate(PREDICATES)])
def test_predicate(predicate, fields, expected):
    assert run(f"T | where {predicate}", [ev(**fields)]) == ([0] if expected else [])


# --- tabular operators: (query, events, expected matched indexes) ---------------------------------

P = {"$table": "DeviceProcessEvents"}
R = {"$table": "DeviceRegistryEvents"}
EVENTS = [
    {**P, "Timestamp": "2026-01-01T10:00:00Z", "FileName": "sc.exe", "Cmd": "sc stop WinDefend", "Dev": "a"},
    {**P, "Timestamp": "2026-01-01T11:00:00Z", "FileName": "net.exe", "Cmd": "net stop x", "Dev": "a"},
    {**R, "Timestamp": "2026-01-01T12:00:00Z", "Key": r"HKLM\SOFTWARE\X", "Dev": "b"},
    {**P, "Timestamp": "2025-12-30T12:00:00Z", "FileName": "sc.exe", "Cmd": "sc query", "Dev": "c"},
]
TABULAR = [
    # a table name selects the events whose $table it is (names are case-sensitive)
    ("DeviceProcessEvents", [0, 1, 3]), ("DeviceRegistryEvents", [2]), ("deviceprocessevents", []),
    # union: rows of every leg; a wildcard names every matching table
    ("union DeviceProcessEvents, DeviceRegistryEvents | where Dev == 'b'", [2]),
    ("union Device* | where Dev != 'x'", [0, 1, 2, 3]), ("union *Registry* ", [2]), ("union Nope*", []),
    # ago() counts back from the latest event (12:00 on 2026-01-01): 1d keeps 0, 1, 2
    ("union Device* | where Timestamp > ago(1d)", [0, 1, 2]), ("union Device* | where Timestamp > ago(90m)", [1, 2]),
    ("let lookback = 2h; DeviceProcessEvents | where Timestamp >= ago(lookback)", [0, 1]),
    # let: scalars, dynamic arrays and tabular lets
    ("let N = dynamic(['sc.exe']); DeviceProcessEvents | where FileName in (N)", [0, 3]),
    ("let F = 'net.exe'; DeviceProcessEvents | where FileName == F", [1]),
    ("let A = DeviceProcessEvents | where Dev == 'a'; let B = DeviceRegistryEvents; union A, B", [0, 1, 2]),
    ("let A = DeviceProcessEvents | where Dev == 'z'; A", []),
    # extend / project / project-away / project-rename / project-keep
    ("DeviceProcessEvents | extend L = tolower(FileName) | where L == 'sc.exe'", [0, 3]),
    ("DeviceProcessEvents | extend X = 1, Y = X + 1 | where Y == 2 and Dev == 'a'", [0, 1]),
    ("DeviceProcessEvents | project F = FileName | where F == 'net.exe'", [1]),
    ("DeviceProcessEvents | project FileName | where isempty(Dev)", [0, 1, 3]),
    ("DeviceProcessEvents | project-away Dev | where Dev == 'a'", []),
    ("DeviceProcessEvents | project-rename D = Dev | where D == 'c'", [3]),
    ("DeviceProcessEvents | project-keep File* | where FileName == 'sc.exe' and isempty(Dev)", [0, 3]),
    ("DeviceProcessEvents | project-reorder Dev | where Dev == 'c'", [3]),
    # summarize: an aggregate row takes part through every row of its group
    ("DeviceProcessEvents | summarize count() by Dev | where count_ > 1", [0, 1]),
    ("DeviceProcessEvents | summarize n = count() by FileName | where n == 1", [1]),
    ("DeviceProcessEvents | summarize dcount(FileName) by Dev | where dcount_FileName == 2", [0, 1]),
    ("DeviceProcessEvents | summarize s = make_set(FileName) by Dev | where array_length(s) == 1", [3]),
    ("DeviceProcessEvents | summarize arg_max(Timestamp, *) by Dev | where Dev == 'a'", [0, 1]),
    ("DeviceProcessEvents | summarize c = countif(FileName == 'sc.exe') | where c == 2", [0, 1, 3]),
    ("DeviceProcessEvents | summarize c = count() by bin(Timestamp, 1d) | where c == 2", [0, 1]),
    ("DeviceProcessEvents | where Dev == 'z' | summarize count()", []),
    ("DeviceProcessEvents | summarize m = max(Timestamp) | where m > datetime(2026-01-01)", [0, 1, 3]),
    # distinct / count
    ("DeviceProcessEvents | distinct FileName | where FileName == 'sc.exe'", [0, 3]),
    ("DeviceProcessEvents | count | where Count == 3", [0, 1, 3]), ("DeviceProcessEvents | count | where Count == 4", []),
    # sort / top / take: take of fewer rows needs a defined order
    ("DeviceProcessEvents | sort by Timestamp desc | take 1", [1]), ("DeviceProcessEvents | sort by Timestamp asc | take 1", [3]),
    ("DeviceProcessEvents | top 2 by Timestamp", [0, 1]), ("DeviceProcessEvents | top 1 by Timestamp asc", [3]),
    ("DeviceProcessEvents | where Dev == 'c' | take 5", [3]), ("DeviceProcessEvents | order by FileName asc | limit 1", [1]),
    # join kinds on keys
    ("DeviceProcessEvents | join kind=inner (DeviceRegistryEvents) on Dev", []),
    ("DeviceProcessEvents | where Dev == 'a' | join kind=inner (DeviceProcessEvents | where FileName == 'net.exe') on Dev",
     [0, 1]),
    ("DeviceProcessEvents | join kind=leftanti (DeviceRegistryEvents) on Dev", [0, 1, 3]),
    ("DeviceProcessEvents | join kind=leftsemi (DeviceProcessEvents | where Dev == 'c') on Dev", [3]),
    ("DeviceProcessEvents | join kind=leftouter (DeviceRegistryEvents) on Dev | where FileName == 'net.exe'", [1]),
    ("DeviceRegistryEvents | join kind=rightanti (DeviceProcessEvents) on Dev", [0, 1, 3]),
    ("DeviceProcessEvents | join kind=inner (DeviceProcessEvents) on $left.Dev == $right.Dev | where FileName1 == 'net.exe'",
     [0, 1]),
    ("DeviceProcessEvents | where Dev == 'c' | join (DeviceProcessEvents | where Dev == 'c') on Dev", [3]),
    ("DeviceProcessEvents | lookup (DeviceProcessEvents | where Dev == 'c' | project Dev, Other = FileName) on Dev "
     "| where Other == 'sc.exe'", [3]),
    ("DeviceProcessEvents | lookup kind=inner (DeviceRegistryEvents | project Dev) on Dev", []),
    # mv-expand / mv-apply
    ("DeviceProcessEvents | extend P = split(Cmd, ' ') | mv-expand P | where P == 'stop'", [0, 1]),
    ("DeviceProcessEvents | mv-expand P = dynamic([]) | where Dev == 'a'", []),
    ("DeviceProcessEvents | mv-apply W = split(Cmd, ' ') to typeof(string) on (where W == 'query')", [3]),
    ("let L = dynamic(['stop', 'x']); DeviceProcessEvents | mv-apply I = L to typeof(string) on (where Cmd has I | take 1)",
     [0, 1]),
    # parse / parse-where
    ("DeviceProcessEvents | parse Cmd with Tool ' ' Verb ' ' * | where Verb == 'stop'", [0, 1]),
    ("DeviceProcessEvents | parse-where Cmd with * 'stop ' Target | where Target == 'x'", [1]),
    ("DeviceProcessEvents | parse-where Cmd with * 'delete ' Target", []),
    ("DeviceProcessEvents | parse kind=regex Cmd with @'(sc|net) ' Verb | where Verb == 'query'", [3]),
    # datatable and print are sources without events
    ("datatable(A:string) ['x'] | where A == 'x'", []), ("print x = 1", []),
]


@pytest.mark.parametrize("query, expected", TABULAR, ids=[f"{i}:{q[:50]}" for i, (q, _) in enumerate(TABULAR)])
def test_tabular(query, expected):
    assert run(query, EVENTS) == expected


# --- not evaluated: ok False naming the construct with its position -----------------------------

NOT_EVALUATED = [
    ("DeviceProcessEvents | take 1", "rows in no defined order"),
    ("DeviceProcessEvents | where * has 'x'", "every column"),
    ("DeviceProcessEvents | evaluate bag_unpack(X)", "evaluate"),
    ("DeviceProcessEvents | sample 1", "sample"),
    ("DeviceProcessEvents | where unknown_function(FileName)", "unknown_function()"),
    ("DeviceProcessEvents | where Cmd matches regex @'(?=x)'", "lookaround"),
    ("DeviceProcessEvents | where Cmd matches regex @'(a)\\1'", "backreference"),
    ("DeviceProcessEvents | where Cmd matches regex @'a++'", "possessive"),
    ("DeviceProcessEvents | where FileName == 1", "Kusto refuses to compare"),
    ("DeviceProcessEvents | where Cmd has '-u'", "non-alphanumeric"),
    ("DeviceProcessEvents | where Cmd has ''", "empty string"),
    ("DeviceProcessEvents | where isnull(Missing)", "isnull()"),
    ("DeviceProcessEvents | extend tolower(FileName)", "unnamed computed column"),
    ("let f = (x:string) { x }; DeviceProcessEvents | where f(Cmd) == 'a'", "user-defined function"),
    ("DeviceProcessEvents; DeviceRegistryEvents", "more than one result"),
    ("union kind=inner DeviceProcessEvents, DeviceRegistryEvents", "union kind=inner"),
    ("DeviceProcessEvents | join kind=innerunique (DeviceProcessEvents | where Dev == 'a') on Dev", "innerunique"),
    ("DeviceProcessEvents | summarize take_any(FileName)", "arbitrary"),
    ("DeviceProcessEvents | parse Cmd with * 'stop ' Target ' end'", "ends with a string constant"),
    ("DeviceProcessEvents | where countof(Cmd, 'xx') == 1", "overlapping"),
    ("DeviceProcessEvents | where Cmd has 'caf\u00e9'", "non-alphanumeric"),
    ("DeviceProcessEvents | where D.x == 1", "member of a string"),
    ("set query_now = datetime(2020-01-01); DeviceProcessEvents", "set statement"),
]


@pytest.mark.parametrize("query, construct", NOT_EVALUATED, ids=[q[:50] for q, _ in NOT_EVALUATED])
def test_not_evaluated_names_the_construct(query, construct):
    events = EVENTS + [{**P, "Cmd": "xxx", "D": "text", "FileName": "y", "Dev": "a"}]
    result = KQL.evaluate(query, events)
    assert not result.ok
    assert construct in result.reason
    assert result.line >= 1 and result.column >= 1


def test_not_evaluated_position_is_the_construct():
    result = KQL.evaluate("DeviceProcessEvents\n| where Cmd matches regex @'(?<=a)b'", EVENTS)
    assert not result.ok and (result.line, result.column) == (2, 27)


def test_non_ascii_term_boundary_is_not_guessed():
    # the documentation says "alphanumeric" without naming the character set
    result = KQL.evaluate("T | where A has 'caf'", [ev(A="café x")])
    assert not result.ok and "non-ASCII" in result.reason
    assert run("T | where A has 'caf'", [ev(A="caf\u00b7x")]) == [0]  # U+00B7 is not alphanumeric


# --- hostile input: bounded time, ok False with a reason ------------------------------------------

def test_huge_event_is_bounded():
    events = [ev(A="x" * 5_000_000 + " stop")]
    start = time.perf_counter()
    result = KQL.evaluate("T | where A has 'stop' and A matches regex 'x+y'", events)
    assert time.perf_counter() - start < 20  # a hang guard (a hang takes minutes), generous for a busy machine
    assert result.ok or result.reason


def test_backtracking_regex_is_stopped():
    events = [ev(A="a" * 40 + "!")]
    start = time.perf_counter()
    result = KQL.evaluate("T | where A matches regex @'(a|aa)*b'", events)
    assert time.perf_counter() - start < 20  # a hang guard (a hang takes minutes), generous for a busy machine
    if not result.ok:
        assert "backtracks" in result.reason or "budget" in result.reason


def test_deeply_nested_value_is_not_a_crash():
    value: dict = {}
    inner = value
    for _ in range(5000):
        inner["a"] = {}
        inner = inner["a"]
    result = KQL.evaluate("T | where tostring(D) contains 'x'", [ev(D=value)])
    assert not result.ok and result.reason


def test_many_events_hit_the_budget_or_finish():
    events = [ev(A=f"value {i} " * 50) for i in range(10_000)]
    start = time.perf_counter()
    result = KQL.evaluate("T | where A matches regex @'(\\w+\\s?)*$' | summarize count() by A", events)
    assert time.perf_counter() - start < 20  # a hang guard (a hang takes minutes), generous for a busy machine
    assert result.ok or "budget" in result.reason or "backtracks" in result.reason


def test_bad_events_are_refused():
    assert not KQL.evaluate("T", "not a list").ok
    assert not KQL.evaluate("T", [1, 2]).ok
