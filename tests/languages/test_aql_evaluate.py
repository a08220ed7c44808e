"""AQL evaluation semantics: (query, events, expected) cases written by hand from IBM's QRadar
documentation, each semantic point with a positive and a negative case.

Documentation facts encoded (IBM QRadar 7.5/7.6):
[OPS]   "AQL logical and comparison operators" (ibm.biz/aqloperators): = / != compare two values;
        < <= > >=; + - * / ^ %; AND true if both; OR; NOT; BETWEEN; IN "a shorthand for multiple
        OR conditions"; LIKE / ILIKE / MATCHES / IMATCHES.
[LIKE]  "LIKE clause": % matches a string of zero or more characters, _ matches any single
        character; 'Jo_' matches Joe or Jon (3 characters long) - the pattern covers the whole
        value; the table lists no escape character (AQL has no ESCAPE clause), so every other
        character, a backslash included, stands for itself; "ILIKE and IMATCHES are
        case-insensitive versions of LIKE and MATCHES";
        `test MATCHES '.*Information.*'` - MATCHES covers the whole value too.
[CASE]  IBM support 7160974: "matches ... performs case-sensitive pattern matching ... will only
        match text that exactly corresponds to the specified pattern", (?i) makes it
        case-insensitive.
[TIME]  "Sample AQL queries": "By default, if the TIMEFRAME value is not specified, the query runs
        against the last five minutes of Ariel data"; LAST n MINUTES|HOURS|DAYS.
[FUNC]  "AQL data calculation and formatting functions" / "data retrieval functions" /
        "aggregation functions": DATEFORMAT formats epoch milliseconds with a SimpleDateFormat
        pattern; LOGSOURCETYPENAME(devicetype), LOGSOURCENAME(logsourceid), QIDNAME(qid),
        CATEGORYNAME(category) return names for ids; INCIDR(cidr, ip); REFERENCESETCONTAINS(set,
        value); UTF8(payload); LOWER / UPPER / STR; COUNT, UNIQUECOUNT, MIN, MAX, SUM with GROUP BY
        and HAVING.
[ALIAS] "LIKE clause": `SELECT qidname(qid) as test FROM events WHERE test LIKE 'Information%'`:
        WHERE may name a SELECT alias; "Sample AQL queries": GROUP BY 'Full Name' names an alias.
[UNDOC] Not documented, so not evaluated when it decides (ok False with the construct named):
        number vs text comparisons, BETWEEN at a bound, non-ASCII case folding,
        Java-only regex syntax, LIMIT without ORDER BY, ties at LIMIT, NULLs in aggregates, an
        event exactly at the edge of the time range.
Expected values are the documented results, worked out by hand, not the evaluator's output.
"""
from __future__ import annotations

import pytest

from tooling.languages import get_language
from tooling.languages.evaluation import EvaluationContext

AQL = get_language("aql")
T0 = 1767268800000  # 2026-01-01 12:00:00 UTC, epoch ms
MIN = 60_000
HOUR = 60 * MIN
CONTEXT = EvaluationContext(reference_sets={"Admins": ["alice", "Bob"], "Bad IPs": ["203.0.113.7"]})


def ev(at: int = 0, table: str = "events", **fields) -> dict:
    """A QRadar event `at` ms before T0 (every case's latest event is at T0 unless it says)."""
    return {"$table": table, "starttime": T0 - at, **fields}


def cmd(text: str | None, **more) -> dict:
    fields = {"Process CommandLine": text} if text is not None else {}
    return ev(devicetype=12, **fields, **more)


def W(where: str, tail: str = "LAST 1 HOURS") -> str:  # noqa: N802 - reads like the clause
    return f"SELECT * FROM events WHERE {where} {tail}"


CMDS = [cmd("sc stop WinDefend"), cmd("SC STOP windefend"), cmd("net start"), cmd(None)]
CASES: list = []


def case(query: str, events: list, expected, note: str = "") -> None:
    CASES.append(pytest.param(query, events, expected, id=f"{len(CASES):03d}-{note or query[:50]}"))


# --- [OPS][CASE] = and <> are exact and case-sensitive for text -------------------------------
case(W("\"Process CommandLine\" = 'sc stop WinDefend'"), CMDS, [0], "= exact")
case(W("\"Process CommandLine\" = 'SC STOP WINDEFEND'"), CMDS, [], "= is case-sensitive")
case(W("\"Process CommandLine\" = 'sc stop'"), CMDS, [], "= is not a substring test")
case(W("\"Process CommandLine\" == 'net start'"), CMDS, [2], "== as =")
case(W("\"Process CommandLine\" != 'net start'"), CMDS, [0, 1], "!= skips NULL")
case(W("\"Process CommandLine\" <> 'net start'"), CMDS, [0, 1], "<> as !=")
case(W("\"Process CommandLine\" <> 'SC STOP windefend'"), CMDS, [0, 2], "<> case-sensitive")
case(W("\"Process CommandLine\" = 'sc stop WinDefend '"), CMDS, [], "= trailing space differs")
case(W("username = 'alice'"), [ev(username="alice"), ev(username="Alice")], [0], "built-in = case")
case(W("username = 'Alice'"), [ev(username="alice"), ev(username="Alice")], [1], "built-in = case 2")
case(W("devicetype = 12"), [ev(devicetype=12), ev(devicetype=11)], [0], "number =")
case(W("devicetype <> 12"), [ev(devicetype=12), ev(devicetype=11)], [1], "number <>")
case(W("12 = devicetype"), [ev(devicetype=12), ev(devicetype=11)], [0], "literal on the left")
case(W("devicetype = '12'"), [ev(devicetype=12)], "between number and text", "number = text undocumented")
case(W("\"EventID\" = 13"), [ev(EventID="13")], "between text and number", "text = number undocumented")
case(W("sourceip = destinationip"), [ev(sourceip="10.0.0.1", destinationip="10.0.0.1"),
                                    ev(sourceip="10.0.0.1", destinationip="10.0.0.2")], [0], "field = field")
case(W("sourceip != destinationip"), [ev(sourceip="10.0.0.1", destinationip="10.0.0.1"),
                                     ev(sourceip="10.0.0.1", destinationip="10.0.0.2")], [1], "field != field")
case(W("magnitude > 5"), [ev(magnitude=6), ev(magnitude=5), ev(magnitude=4)], [0], ">")
case(W("magnitude >= 5"), [ev(magnitude=6), ev(magnitude=5), ev(magnitude=4)], [0, 1], ">=")
case(W("magnitude < 5"), [ev(magnitude=6), ev(magnitude=5), ev(magnitude=4)], [2], "<")
case(W("magnitude <= 5"), [ev(magnitude=6), ev(magnitude=5), ev(magnitude=4)], [1, 2], "<=")
case(W("magnitude > 5.5"), [ev(magnitude=6), ev(magnitude=5)], [0], "> decimal")
case(W("\"EventID\" > '5'"), [ev(EventID="6")], "text ordering", "text < undocumented")
case(W("magnitude > 5"), [ev(), ev(magnitude=7)], [1], "> NULL is not true")

# --- [LIKE] % any run, _ one character, whole value, case-sensitive ----------------------------
case(W("\"Process CommandLine\" LIKE '%stop%'"), CMDS, [0], "LIKE contains")
case(W("\"Process CommandLine\" LIKE '%STOP%'"), CMDS, [1], "LIKE case-sensitive")
case(W("\"Process CommandLine\" LIKE 'sc%'"), CMDS, [0], "LIKE prefix")
case(W("\"Process CommandLine\" LIKE 'stop%'"), CMDS, [], "LIKE prefix is anchored")
case(W("\"Process CommandLine\" LIKE '%WinDefend'"), CMDS, [0], "LIKE suffix")
case(W("\"Process CommandLine\" LIKE '%Win'"), CMDS, [], "LIKE suffix anchored at end")
case(W("\"Process CommandLine\" LIKE 'net start'"), CMDS, [2], "LIKE without wildcard = whole value")
case(W("\"Process CommandLine\" LIKE 'net'"), CMDS, [], "LIKE without wildcard is not contains")
case(W("\"Process CommandLine\" LIKE 'net_start'"), CMDS, [2], "_ matches one character (a space)")
case(W("\"Process CommandLine\" LIKE 'net__start'"), CMDS, [], "__ needs two characters")
case(W("\"Process CommandLine\" LIKE 'ne_'"), CMDS, [], "_ is exactly one, whole value")
case(W("username LIKE 'Jo_'"), [ev(username="Joe"), ev(username="Jon"), ev(username="Joseph"),
                                ev(username="Jo")], [0, 1], "IBM's Jo_ example")
case(W("username LIKE 'Jo%'"), [ev(username="Joe"), ev(username="Joanne"), ev(username="Bob"),
                                ev(username="jo")], [0, 1], "IBM's Jo% example")
case(W("username LIKE '%'"), [ev(username=""), ev(username="x"), ev()], [0, 1], "% matches empty, not NULL")
case(W("username LIKE '_'"), [ev(username=""), ev(username="x"), ev(username="xy")], [1], "_ alone")
case(W("username LIKE '%a%b%'"), [ev(username="xaxbx"), ev(username="xbxax"), ev(username="ab")], [0, 2],
     "LIKE two runs in order")
case(W("\"Process CommandLine\" ILIKE '%COMPlus_ETWEnabled%'"),
     [cmd("set COMPlus_ETWEnabled=0"), cmd("set COMPlusXETWEnabled=0"), cmd("set complus_etwenabled=0"),
      cmd("set COMPlusETWEnabled=0")], [0, 1, 2], "_ in COMPlus_ETWEnabled matches any one character")
case(W("\"Process CommandLine\" LIKE '%COMPlus_ETWEnabled%'"),
     [cmd("set COMPlus_ETWEnabled=0"), cmd("set complus_etwenabled=0")], [0], "LIKE keeps case with _")
case(W("\"Process CommandLine\" ILIKE '%STOP%'"), CMDS, [0, 1], "ILIKE case-insensitive")
case(W("\"Process CommandLine\" ILIKE 'SC%'"), CMDS, [0, 1], "ILIKE prefix")
case(W("\"Process CommandLine\" ILIKE '%windefend'"), CMDS, [0, 1], "ILIKE suffix")
case(W("\"Process CommandLine\" ILIKE 'NET START'"), CMDS, [2], "ILIKE whole value")
case(W("\"Process CommandLine\" ILIKE 'NET'"), CMDS, [], "ILIKE is not contains")
case(W("\"Process CommandLine\" NOT LIKE '%stop%'"), CMDS, [1, 2], "NOT LIKE, NULL unknown")
case(W("\"Process CommandLine\" NOT ILIKE '%stop%'"), CMDS, [2], "NOT ILIKE")
# [LIKE] the wildcard table lists % and _ only, no escape character: a backslash is literal.
case(W("\"Process CommandLine\" LIKE '%a\\b%'"), [cmd("xa\\by"), cmd("xaby"), cmd("xa\\\\by")], [0],
     "LIKE backslash is literal, not an escape")
case(W("\"Process Path\" ILIKE '%\\cmd.exe'"),
     [cmd(None, **{"Process Path": "C:\\Windows\\System32\\CMD.EXE"}), cmd(None, **{"Process Path": "C:\\xcmd.exe"})],
     [0], "ILIKE Windows path suffix: backslash literal")
case(W("\"Process Path\" LIKE '%\\temp\\%'"),
     [cmd(None, **{"Process Path": "C:\\Temp\\a.exe"}), cmd(None, **{"Process Path": "c:\\temp\\a.exe"}),
      cmd(None, **{"Process Path": "c:\\temp%"})], [1], "backslash before % does not escape it")
case(W("\"Process Path\" LIKE 'c:\\_'"), [cmd(None, **{"Process Path": "c:\\_"}), cmd(None, **{"Process Path": "c:\\x"}),
                                             cmd(None, **{"Process Path": "c:_"})], [0, 1], "backslash before _ does not escape it")
case(W("\"Process CommandLine\" ILIKE '%é%'"), CMDS, "non-ASCII", "ILIKE non-ASCII pattern undocumented")
case(W("\"Process CommandLine\" ILIKE '%e%'"), [cmd("café")], "non-ASCII", "ILIKE non-ASCII text undocumented")
case(W("\"Process CommandLine\" LIKE '%é%'"), [cmd("café"), cmd("cafe")], [0], "LIKE non-ASCII exact is fine")
case(W("\"Process CommandLine\" LIKE '%.%'"), [cmd("a.b"), cmd("ab")], [0], "LIKE dot is literal")
case(W("\"Process CommandLine\" LIKE '%(%'"), [cmd("f(x)"), cmd("fx")], [0], "LIKE ( literal")
case(W("\"Process CommandLine\" LIKE '%*%'"), [cmd("a*b"), cmd("ab")], [0], "LIKE * literal")
case(W("\"Process CommandLine\" LIKE '%?%'"), [cmd("a?b"), cmd("ab")], [0], "LIKE ? literal")
case(W("\"Process CommandLine\" LIKE 'a%b%c'"), [cmd("abc"), cmd("a-b-c"), cmd("a-c-b"), cmd("abcd")], [0, 1],
     "LIKE inner runs")
case(W("\"Process CommandLine\" LIKE '%'"), [cmd("a\nb")], [0], "LIKE % spans newlines")
case(W("\"Process CommandLine\" LIKE 'a_b'"), [cmd("a\nb")], [0], "LIKE _ matches a newline")
case(W("magnitude LIKE '5%'"), [ev(magnitude=5)], "LIKE on a number", "LIKE on a number undocumented")
case(W("payload LIKE '%x%'"), [ev(payload="x")], "raw payload is bytes", "payload without UTF8")
case(W("UTF8(payload) LIKE '%x%'"), [ev(payload="axb"), ev(payload="ab")], [0], "UTF8(payload) LIKE")

# --- [LIKE][CASE] MATCHES / IMATCHES: Java regex over the whole value ---------------------------
case(W("\"Process CommandLine\" MATCHES 'sc stop'"), CMDS, [], "MATCHES is not a search")
case(W("\"Process CommandLine\" MATCHES '.*stop.*'"), CMDS, [0], "MATCHES .* around")
case(W("\"Process CommandLine\" MATCHES 'sc stop.*'"), CMDS, [0], "MATCHES prefix form")
case(W("\"Process CommandLine\" MATCHES '.*STOP.*'"), CMDS, [1], "MATCHES case-sensitive")
case(W("\"Process CommandLine\" MATCHES '(?i).*STOP.*'"), CMDS, [0, 1], "MATCHES (?i)")
case(W("\"Process CommandLine\" IMATCHES '.*STOP.*'"), CMDS, [0, 1], "IMATCHES")
case(W("\"Process CommandLine\" IMATCHES 'stop'"), CMDS, [], "IMATCHES whole value")
case(W("\"Process CommandLine\" IMATCHES 'net start'"), CMDS, [2], "IMATCHES exact")
case(W("\"Process CommandLine\" NOT MATCHES '.*stop.*'"), CMDS, [1, 2], "NOT MATCHES")
case(W("\"Process CommandLine\" NOT IMATCHES '.*stop.*'"), CMDS, [2], "NOT IMATCHES")
case(W("\"Process CommandLine\" MATCHES '.*\\bstop\\b.*'"), [cmd("sc stop x"), cmd("sc stopped")], [0], "\\b")
case(W("\"Process CommandLine\" MATCHES '.*\\s-e\\s*0\\b.*'"), [cmd("auditctl -e 0"), cmd("auditctl -e 1")], [0],
     "\\s \\b")
case(W("\"Process CommandLine\" MATCHES '\\w+'"), [cmd("abc_1"), cmd("ab c"), cmd("é")], [0], "\\w is ASCII in Java")
case(W("\"Process CommandLine\" MATCHES '\\d+'"), [cmd("123"), cmd("12a")], [0], "\\d")
case(W("\"Process CommandLine\" MATCHES '.*\\\\logman\\.exe$'"),
     [cmd("C:\\Windows\\System32\\logman.exe"), cmd("C:\\logman.exe.bak")], [0], "escaped backslash and $")
case(W("\"Process CommandLine\" MATCHES 'a|b'"), [cmd("a"), cmd("b"), cmd("ab")], [0, 1], "alternation whole")
case(W("\"Process CommandLine\" MATCHES '(a|b)+'"), [cmd("abba"), cmd("abc")], [0], "group repeat")
case(W("\"Process CommandLine\" MATCHES '[a-c]{3}'"), [cmd("abc"), cmd("abcd"), cmd("abd")], [0], "class and count")
case(W("\"Process CommandLine\" MATCHES 'a.c'"), [cmd("abc"), cmd("a\nc")], [0], ". stops at a newline")
case(W("\"Process CommandLine\" MATCHES '(?s)a.c'"), [cmd("abc"), cmd("a\nc")], [0, 1], "(?s) dotall")
case(W("\"Process CommandLine\" MATCHES 'a.c'"), [cmd("a\rc")], "Java's '.'", "Java . and \\r undocumented here")
case(W("\"Process CommandLine\" MATCHES '\\Qa.b\\E'"), [cmd("a.b")], "escape \\Q", "\\Q Java-only")
case(W("\"Process CommandLine\" MATCHES '[a-z&&[^e]]+'"), [cmd("abc")], "class", "class intersection Java-only")
case(W("\"Process CommandLine\" MATCHES '\\p{javaLowerCase}+'"), [cmd("abc")], "Java property", "\\p{java}")
case(W("\"Process CommandLine\" MATCHES '(?P<x>a)'"), [cmd("a")], "Python-style", "(?P Python-only")
case(W("\"Process CommandLine\" MATCHES '(unclosed'"), [cmd("a")], "does not compile", "bad regex")
case(W("\"Process CommandLine\" IMATCHES '.*é.*'"), [cmd("café")], "non-ASCII", "IMATCHES non-ASCII")
case(W("\"Process CommandLine\" MATCHES '.*é.*'"), [cmd("café"), cmd("cafe")], [0], "MATCHES non-ASCII literal")
case(W("\"Process CommandLine\" MATCHES 'a*+b'"), [cmd("aab"), cmd("aa")], [0], "possessive quantifier")
case(W("\"Process CommandLine\" MATCHES '(?>a+)b'"), [cmd("aab"), cmd("b")], [0], "atomic group")
case(W("magnitude MATCHES '5'"), [ev(magnitude=5)], "MATCHES on a number", "MATCHES on a number")
case(W("UTF8(payload) IMATCHES '.*type=DAEMON_END\\b.*'"),
     [ev(payload="type=DAEMON_END msg=audit(1:2): op=terminate"), ev(payload="type=DAEMON_ENDX msg")], [0],
     "payload IMATCHES with \\b")

# --- [OPS] IN / NOT IN: a shorthand for OR of = (case-sensitive) --------------------------------
case(W("\"EventID\" IN ('1', '4688')"), [ev(EventID="1"), ev(EventID="4688"), ev(EventID="13"), ev()], [0, 1], "IN")
case(W("\"EventID\" NOT IN ('1', '4688')"), [ev(EventID="1"), ev(EventID="4688"), ev(EventID="13"), ev()], [2],
     "NOT IN skips NULL")
case(W("username IN ('alice')"), [ev(username="alice"), ev(username="ALICE")], [0], "IN case-sensitive")
case(W("username NOT IN ('alice')"), [ev(username="alice"), ev(username="ALICE")], [1], "NOT IN case-sensitive")
case(W("devicetype IN (11, 12)"), [ev(devicetype=11), ev(devicetype=12), ev(devicetype=13)], [0, 1], "IN numbers")
case(W("devicetype NOT IN (11, 12)"), [ev(devicetype=11), ev(devicetype=13)], [1], "NOT IN numbers")
case(W("username IN ('alice', NULL)"), [ev(username="alice"), ev(username="bob")], [0], "IN with NULL item")
case(W("username NOT IN ('alice', NULL)"), [ev(username="alice"), ev(username="bob")], [],
     "NOT IN with NULL item is unknown")
case(W("username IN ('a' , 'b')"), [ev(username="a b")], [], "IN is not contains")
case(W("UPPER(username) IN ('ALICE', 'BOB')"), [ev(username="alice"), ev(username="Bob"), ev(username="carol")],
     [0, 1], "UPPER() IN")
case(W("LOWER(username) NOT IN ('alice')"), [ev(username="ALICE"), ev(username="bob")], [1], "LOWER() NOT IN")
case(W("devicetype IN ('12')"), [ev(devicetype=12)], "between number and text", "IN number vs text")
case(W("username IN (SELECT username FROM events)"), [ev(username="a")], "subquery", "IN subquery")

# --- [OPS] BETWEEN --------------------------------------------------------------------------
case(W("magnitude BETWEEN 1 AND 5"), [ev(magnitude=3), ev(magnitude=7), ev(magnitude=0)], [0], "BETWEEN inside")
case(W("magnitude NOT BETWEEN 1 AND 5"), [ev(magnitude=3), ev(magnitude=7), ev(magnitude=0)], [1, 2], "NOT BETWEEN")
case(W("magnitude BETWEEN 1 AND 5"), [ev(magnitude=5)], "at a bound", "BETWEEN bound undocumented")
case(W("magnitude BETWEEN 1 AND 5"), [ev(magnitude=1)], "at a bound", "BETWEEN low bound undocumented")
case(W("magnitude BETWEEN 1 AND 5"), [ev(), ev(magnitude=2)], [1], "BETWEEN NULL")
case(W("magnitude BETWEEN 1.5 AND 2.5"), [ev(magnitude=2), ev(magnitude=3)], [0], "BETWEEN decimals")
case(W("username BETWEEN 'a' AND 'c'"), [ev(username="b")], "BETWEEN on text", "BETWEEN text")
case(W("magnitude BETWEEN 5 AND 1"), [ev(magnitude=3)], [], "BETWEEN reversed bounds is empty")

# --- IS NULL / IS NOT NULL; an absent custom property is NULL ---------------------------------
case(W("\"Process CommandLine\" IS NULL"), CMDS, [3], "IS NULL absent")
case(W("\"Process CommandLine\" IS NOT NULL"), CMDS, [0, 1, 2], "IS NOT NULL")
case(W("\"Registry Key\" IS NULL"), [ev(**{"Registry Key": None}), ev(**{"Registry Key": ""})], [0],
     "null value is NULL, empty text is not")
case(W("NOT \"Registry Key\" IS NULL"), [ev(**{"Registry Key": "x"}), ev()], [0], "NOT IS NULL")
case(W("username IS NULL"), [ev(username="x"), ev()], [1], "built-in IS NULL")
case(W("\"Process CommandLine\" = 'x' OR \"Process CommandLine\" IS NULL"), [cmd("x"), cmd(None), cmd("y")],
     [0, 1], "IS NULL in OR")
case(W("\"Absent Property\" = 'x'"), [ev(), ev()], [], "absent property = is not true")
case(W("\"Absent Property\" <> 'x'"), [ev(), ev()], [], "absent property <> is not true either")
case(W("NOT \"Absent Property\" = 'x'"), [ev()], [], "NOT of unknown stays unknown")
case(W("\"process commandline\" = 'x'"), [cmd("x")], "case-sensitive is not documented",
     "custom property name in another case")
case(W("\"Process CommandLine\" = 'x'"), [ev(**{"Process CommandLine": "x"})], [0], "quoted custom property")
case(W("USERNAME = 'alice'"), [ev(username="alice")], [0], "built-in field names are case-insensitive")
case(W("sourceIP = '10.0.0.1'"), [ev(sourceip="10.0.0.1")], [0], "sourceIP as sourceip (IBM examples)")
case(W("startTime > 0"), [ev()], [0], "startTime as starttime")

# --- [OPS] NOT, AND, OR and their precedence (AND binds tighter) -------------------------------
ABC = [ev(a="1", b="1", c="0"), ev(a="0", b="0", c="1"), ev(a="1", b="0", c="0"), ev(a="0", b="1", c="0")]
case(W("a = '1' AND b = '1'"), ABC, [0], "AND")
case(W("a = '1' OR b = '1'"), ABC, [0, 2, 3], "OR")
case(W("a = '1' OR b = '1' AND c = '1'"), ABC, [0, 2], "AND before OR")
case(W("(a = '1' OR b = '1') AND c = '1'"), ABC, [], "parentheses")
case(W("c = '1' OR a = '1' AND b = '1'"), ABC, [0, 1], "AND before OR, other side")
case(W("(c = '1' OR a = '1') AND b = '1'"), ABC, [0], "parentheses, other side")
case(W("NOT a = '1'"), ABC, [1, 3], "NOT")
case(W("NOT a = '1' AND b = '1'"), ABC, [3], "NOT binds tighter than AND")
case(W("NOT (a = '1' AND b = '1')"), ABC, [1, 2, 3], "NOT of a group")
case(W("NOT NOT a = '1'"), ABC, [0, 2], "double NOT")
case(W("a = '1' AND NOT b = '1'"), ABC, [2], "AND NOT")
case(W("a = '1' OR NOT b = '1'"), ABC, [0, 1, 2], "OR NOT")
case(W("a = '1' and b = '1'"), ABC, [0], "keywords are case-insensitive")
case(W("x = '1' OR a = '1'"), ABC, [0, 2], "unknown OR true is true")
case(W("x = '1' AND a = '1'"), ABC, [], "unknown AND true is unknown")
case(W("NOT (x = '1' AND a = '0')"), ABC, [0, 2], "NOT (unknown AND false) is true")
case(W("NOT (x = '1' OR a = '1')"), ABC, [], "NOT (unknown OR false) is unknown")
case(W("a = '1' AND b = '1' AND c = '0'"), ABC, [0], "three ANDs")
case(W("a = '0' OR b = '0' OR c = '1'"), ABC, [1, 2, 3], "three ORs")

# --- CASE / IF and arithmetic [OPS] -------------------------------------------------------------
case(W("CASE WHEN a = '1' THEN 'x' ELSE 'y' END = 'x'"), ABC, [0, 2], "CASE WHEN")
case(W("CASE WHEN a = '1' THEN 'x' ELSE 'y' END = 'y'"), ABC, [1, 3], "CASE ELSE")
case(W("CASE a WHEN '1' THEN 'one' END = 'one'"), ABC, [0, 2], "CASE operand")
case(W("CASE WHEN a = '9' THEN 'x' END IS NULL"), ABC, [0, 1, 2, 3], "CASE without ELSE is NULL")
case(W("(IF a = '1' THEN 'x' ELSE 'y') = 'x'"), ABC, [0, 2], "IF THEN ELSE")
case(W("(IF a = '1' THEN 'x' ELSE 'y') = 'y'"), ABC, [1, 3], "IF ELSE branch")
case(W("sourcebytes + destinationbytes > 100"), [ev(sourcebytes=60, destinationbytes=50),
                                                 ev(sourcebytes=10, destinationbytes=10)], [0], "+")
case(W("sourcebytes - destinationbytes > 0"), [ev(sourcebytes=60, destinationbytes=50),
                                               ev(sourcebytes=10, destinationbytes=20)], [0], "-")
case(W("sourcebytes * 1024 < 2048"), [ev(sourcebytes=1), ev(sourcebytes=2)], [0], "*")
case(W("sourcebytes / 8 > 64"), [ev(sourcebytes=1024), ev(sourcebytes=512)], [0], "/ exact")
case(W("sourcebytes / 8 > 64"), [ev(sourcebytes=1025)], "remainder", "/ with a remainder undocumented")
case(W("sourcebytes % 8 = 7"), [ev(sourcebytes=15), ev(sourcebytes=16)], [0], "% (IBM example)")
case(W("sourcebytes ^ 2 < 256"), [ev(sourcebytes=15), ev(sourcebytes=16)], [0], "^ power (IBM example)")
case(W("sourcebytes / 0 > 1"), [ev(sourcebytes=1)], "by zero", "division by zero")
case(W("(sourcebytes & 255) = 1"), [ev(sourcebytes=257), ev(sourcebytes=256)], [0], "& bitwise")
case(W("(sourcebytes | 1) = 3"), [ev(sourcebytes=2), ev(sourcebytes=4)], [0], "| bitwise")
case(W("(sourcebytes >> 8) = 1"), [ev(sourcebytes=256), ev(sourcebytes=512)], [0], ">> shift")
case(W("-sourcebytes < 0"), [ev(sourcebytes=1), ev(sourcebytes=0)], [0], "negation")
case(W("username + 'x' = 'ax'"), [ev(username="a")], "only numbers", "+ on text undocumented")
case(W("(sourcebytes & 0xff) = 0x01"), [ev(sourcebytes=257), ev(sourcebytes=2)], [0], "hex literals")

# --- [FUNC] functions over the rendered event's values -------------------------------------
WIN, LNX, AWS = 12, 11, 347
TYPES = [ev(devicetype=WIN), ev(devicetype=LNX), ev(devicetype=AWS), ev()]
case(W("LOGSOURCETYPENAME(devicetype) = 'Microsoft Windows Security Event Log'"), TYPES, [0], "LOGSOURCETYPENAME")
case(W("LOGSOURCETYPENAME(devicetype) = 'Linux OS'"), TYPES, [1], "LOGSOURCETYPENAME Linux")
case(W("LOGSOURCETYPENAME(devicetype) = 'linux os'"), TYPES, [], "LOGSOURCETYPENAME = case-sensitive")
case(W("LOGSOURCETYPENAME(devicetype) ILIKE 'linux%'"), TYPES, [1], "LOGSOURCETYPENAME ILIKE")
case(W("LOGSOURCETYPENAME(devicetype) IN ('Amazon AWS CloudTrail', 'Linux OS')"), TYPES, [1, 2],
     "LOGSOURCETYPENAME IN")
case(W("LOGSOURCETYPENAME(devicetype) IS NULL"), TYPES, [3], "LOGSOURCETYPENAME(NULL)")
case(W("LOGSOURCETYPENAME(devicetype) = 'x'"), [ev(devicetype=999999)], "not in the platform's name table",
     "unknown log source type id")
case(W("LOGSOURCENAME(logsourceid) ILIKE '%ws01%'"), [ev(logsourceid=101), ev(logsourceid=102)], [0],
     "LOGSOURCENAME")
case(W("LOGSOURCENAME(logsourceid) = 'nope'"), [ev(logsourceid=101)], [], "LOGSOURCENAME no match")
case(W("QIDNAME(qid) = 'x'"), [ev(qid=5000000)], "not in the platform's name table", "QIDNAME unknown qid")
case(W("QIDNAME(qid) IS NULL"), [ev(), ev()], [0, 1], "QIDNAME(NULL)")
case(W("CATEGORYNAME(category) = 'x'"), [ev(category=1)], "not in the platform's name table", "CATEGORYNAME")
case(W("CATEGORYNAME(category) IS NULL"), [ev()], [0], "CATEGORYNAME(NULL)")
case(W("UTF8(payload) ILIKE '%securitycenter%'"), [ev(payload="Source=SecurityCenter"), ev(payload="x"), ev()],
     [0], "UTF8(payload)")
case(W("UTF8(payload) IS NULL"), [ev(payload="x"), ev()], [1], "UTF8 of no payload")
case(W("BASE64(payload) = 'YWJj'"), [ev(payload="abc"), ev(payload="abd")], [0], "BASE64(payload)")
case(W("LOWER(username) = 'alice'"), [ev(username="ALICE"), ev(username="bob")], [0], "LOWER")
case(W("LOWER(username) = 'ALICE'"), [ev(username="ALICE")], [], "LOWER negative")
case(W("UPPER(username) = 'ALICE'"), [ev(username="alice"), ev(username="bob")], [0], "UPPER")
case(W("UPPER(username) = 'alice'"), [ev(username="alice")], [], "UPPER negative")
case(W("UPPER(magnitude) = '5'"), [ev(magnitude=5)], "UPPER of a value that is not text", "UPPER of number")
case(W("STR(devicetype) = '12'"), [ev(devicetype=12), ev(devicetype=11)], [0], "STR")
case(W("STR(devicetype) = 12"), [ev(devicetype=12)], "between text and number", "STR gives text")
case(W("STR(magnitude) = '1.5'"), [ev(magnitude=1.5)], "STR of a decimal", "STR of a decimal")
case(W("CONCAT(username, '@', \"Domain\") = 'a@b'"), [ev(username="a", Domain="b"), ev(username="a", Domain="c")],
     [0], "CONCAT")
case(W("CONCAT(username, 'x') = 'ax'"), [ev()], "CONCAT of NULL", "CONCAT NULL undocumented")
case(W("LONG(\"EventID\") = 13"), [ev(EventID="13"), ev(EventID="14")], [0], "LONG of text")
case(W("LONG(sourceip) = 167772161"), [ev(sourceip="10.0.0.1"), ev(sourceip="10.0.0.2")], [0], "LONG(sourceip)")
case(W("(LONG(sourceip) & 0xff000000) = 0x0a000000"), [ev(sourceip="10.1.2.3"), ev(sourceip="11.0.0.1")], [0],
     "IBM's LONG(sourceip) bitwise filter")
case(W("DOUBLE('1.5') > 1"), [ev()], [0], "DOUBLE")
case(W("STRLEN(username) = 5"), [ev(username="alice"), ev(username="bob")], [0], "STRLEN")
case(W("DATEFORMAT(starttime, 'yyyy-MM-dd') = '2026-01-01'", "LAST 1 DAYS"), [ev(), ev(at=13 * HOUR)], [0],
     "DATEFORMAT date (UTC)")
case(W("DATEFORMAT(starttime, 'yyyy-MM-dd HH:mm:ss') = '2026-01-01 12:00:00'"), [ev(), ev(at=1000)], [0],
     "DATEFORMAT time")
case(W("DATEFORMAT(starttime, 'hh:mm a') = '12:00 PM'"), [ev(), ev(at=MIN)], [0], "DATEFORMAT hh a")
case(W("DATEFORMAT(starttime, 'HH:mm:ss.SSS') = '11:59:59.999'"), [ev(at=1), ev()], [0], "DATEFORMAT SSS")
case(W("DATEFORMAT(starttime, 'yyyy-MM-dd''T''HH') = '2026-01-01T12'"), [ev()], [0], "DATEFORMAT quoted text")
case(W("DATEFORMAT(starttime, 'MMM dd') = 'Jan 01'", "LAST 3 HOURS"), [ev(), ev(at=2 * HOUR)], [0, 1], "DATEFORMAT MMM")
case(W("DATEFORMAT(starttime, 'zzz') = 'UTC'"), [ev()], "DATEFORMAT pattern", "DATEFORMAT untranslated letter")
case(W("INCIDR('10.0.0.0/8', sourceip)"), [ev(sourceip="10.1.2.3"), ev(sourceip="11.1.2.3"), ev()], [0], "INCIDR")
case(W("NOT INCIDR('10.0.0.0/8', sourceip)"), [ev(sourceip="10.1.2.3"), ev(sourceip="11.1.2.3"), ev()], [1],
     "NOT INCIDR, NULL unknown")
case(W("INCIDR('192.0.2.0/24', destinationip)"), [ev(destinationip="192.0.2.255"), ev(destinationip="192.0.3.0")],
     [0], "INCIDR /24 edge")
case(W("INCIDR('2001:db8::/32', sourceip)"), [ev(sourceip="2001:db8::1"), ev(sourceip="10.0.0.1")], [0],
     "INCIDR IPv6")
case(W("INCIDR('10.0.0.0/8', sourceip)"), [ev(sourceip="not an ip")], "not a CIDR and an IP", "INCIDR bad IP")
case(W("REFERENCESETCONTAINS('Admins', username)"), [ev(username="alice"), ev(username="carol"), ev()], [0],
     "REFERENCESETCONTAINS")
case(W("REFERENCESETCONTAINS('Admins', username)"), [ev(username="bob"), ev(username="Bob")], [1],
     "REFERENCESETCONTAINS is case-sensitive")
case(W("NOT REFERENCESETCONTAINS('Admins', username)"), [ev(username="alice"), ev(username="carol")], [1],
     "NOT REFERENCESETCONTAINS")
case(W("REFERENCESETCONTAINS('Bad IPs', sourceip)"), [ev(sourceip="203.0.113.7"), ev(sourceip="203.0.113.8")],
     [0], "REFERENCESETCONTAINS IP")
case(W("REFERENCESETCONTAINS('Undeclared', username)"), [ev(username="a")], "is not declared",
     "undeclared reference set")
case(W("REPLACEFIRST('a(b)', username, '$1') = 'bc'"), [ev(username="abc"), ev(username="xbc")], [0],
     "REPLACEFIRST $1")
case(W("REPLACEALL('a', username, 'x') = 'xbx'"), [ev(username="aba"), ev(username="abc")], [0], "REPLACEALL")
case(W("NOW() >= starttime"), [ev(), ev(at=1000)], [0, 1], "NOW is the latest event")
case(W("GEO::LOOKUP(sourceip, 'city') = 'x'"), [ev(sourceip="1.1.1.1")], "the function GEO::LOOKUP",
     "GEO::LOOKUP not evaluated")
case(W("ASSETHOSTNAME(sourceip) = 'x'"), [ev(sourceip="1.1.1.1")], "the function ASSETHOSTNAME",
     "ASSETHOSTNAME not evaluated")
case(W("COUNT(*) > 1"), [ev()], "aggregate COUNT outside", "aggregate in WHERE")

# --- [ALIAS] WHERE may name a SELECT alias -------------------------------------------------
case("SELECT QIDNAME(qid) AS test, username AS u FROM events WHERE u LIKE 'a%' LAST 1 HOURS",
     [ev(username="ab"), ev(username="b")], [0], "WHERE on an alias")
case("SELECT LOGSOURCETYPENAME(devicetype) AS 'Type' FROM events WHERE \"Type\" = 'Linux OS' LAST 1 HOURS",
     TYPES, [1], "WHERE on a quoted alias")
case("SELECT LOGSOURCETYPENAME(devicetype) AS t FROM events WHERE t = 'nope' LAST 1 HOURS", TYPES, [],
     "WHERE on an alias, no match")
case("SELECT username AS username FROM events WHERE username = 'a' LAST 1 HOURS", [ev(username="a")], [0],
     "alias naming the field itself")
case("SELECT DATEFORMAT(starttime, 'zzz') AS d, username FROM events WHERE username = 'a' LAST 1 HOURS",
     [ev(username="a")], [0], "a shown column that is not evaluated does not decide")
case("SELECT GEO::LOOKUP(sourceip, 'city') AS c FROM events WHERE c = 'x' LAST 1 HOURS", [ev()],
     "GEO::LOOKUP", "an alias that decides is evaluated")

# --- [FUNC] aggregates with GROUP BY and HAVING -------------------------------------------
LOGINS = [ev(username="a", sourceip="1.1.1.1"), ev(username="a", sourceip="1.1.1.2"),
          ev(username="a", sourceip="1.1.1.1"), ev(username="b", sourceip="2.2.2.2"), ev(username="c")]
G = "SELECT username, COUNT(*) AS n FROM events {} LAST 1 HOURS"
case(G.format("GROUP BY username HAVING COUNT(*) > 2"), LOGINS, [0, 1, 2], "HAVING COUNT(*)")
case(G.format("GROUP BY username HAVING COUNT(*) > 3"), LOGINS, [], "HAVING COUNT(*) none")
case(G.format("GROUP BY username HAVING n = 1"), LOGINS, [3, 4], "HAVING on the alias")
case(G.format("GROUP BY username"), LOGINS, [0, 1, 2, 3, 4], "GROUP BY returns every group's events")
case(G.format("WHERE username <> 'a' GROUP BY username"), LOGINS, [3, 4], "WHERE before GROUP BY")
case(G.format("GROUP BY username HAVING username = 'b'"), LOGINS, [3], "HAVING on a grouped field")
case("SELECT username FROM events GROUP BY username HAVING UNIQUECOUNT(sourceip) > 1 LAST 1 HOURS",
     LOGINS[:4], [0, 1, 2], "UNIQUECOUNT")
case("SELECT username FROM events GROUP BY username HAVING UNIQUECOUNT(sourceip) > 2 LAST 1 HOURS",
     LOGINS[:4], [], "UNIQUECOUNT none")
case("SELECT username FROM events GROUP BY username HAVING DISTINCTCOUNT(sourceip) = 2 LAST 1 HOURS",
     LOGINS[:4], [0, 1, 2], "DISTINCTCOUNT")
case("SELECT username FROM events GROUP BY username HAVING UNIQUECOUNT(sourceip) > 1 LAST 1 HOURS",
     LOGINS, "over a NULL value", "aggregate over NULL undocumented")
case("SELECT username FROM events GROUP BY username HAVING COUNT(sourceip) = 1 LAST 1 HOURS",
     LOGINS[:4], [3], "COUNT(field)")
BYTES = [ev(username="a", sourcebytes=10), ev(username="a", sourcebytes=30), ev(username="b", sourcebytes=5)]
case("SELECT username FROM events GROUP BY username HAVING SUM(sourcebytes) > 20 LAST 1 HOURS", BYTES, [0, 1], "SUM")
case("SELECT username FROM events GROUP BY username HAVING SUM(sourcebytes) > 40 LAST 1 HOURS", BYTES, [], "SUM no")
case("SELECT username FROM events GROUP BY username HAVING MAX(sourcebytes) = 30 LAST 1 HOURS", BYTES, [0, 1], "MAX")
case("SELECT username FROM events GROUP BY username HAVING MIN(sourcebytes) = 5 LAST 1 HOURS", BYTES, [2], "MIN")
case("SELECT username FROM events GROUP BY username HAVING MIN(sourcebytes) > 5 LAST 1 HOURS", BYTES, [0, 1],
     "MIN >")
case("SELECT username FROM events GROUP BY username HAVING AVG(sourcebytes) = 20 LAST 1 HOURS", BYTES, [0, 1], "AVG")
case("SELECT username FROM events GROUP BY username HAVING MAX(username) = 'a' LAST 1 HOURS", BYTES,
     "over text", "MAX of text undocumented")
case("SELECT COUNT(*) FROM events LAST 1 HOURS", BYTES, [0, 1, 2], "COUNT(*) without GROUP BY")
case("SELECT COUNT(*) FROM events HAVING COUNT(*) > 3 LAST 1 HOURS", BYTES, [], "HAVING without GROUP BY")
case("SELECT COUNT(*) FROM events WHERE username = 'z' LAST 1 HOURS", BYTES, [], "aggregate over no rows")
case("SELECT username, sourcebytes FROM events GROUP BY username HAVING sourcebytes > 20 LAST 1 HOURS", BYTES,
     "neither grouped nor aggregated", "ungrouped column decides differently within a group")
case("SELECT username, sourcebytes FROM events GROUP BY username HAVING sourcebytes > 1 LAST 1 HOURS", BYTES,
     [0, 1, 2], "ungrouped column, same verdict for every value in the group")
case("SELECT username FROM events GROUP BY username, sourcebytes HAVING sourcebytes > 7 LAST 1 HOURS", BYTES,
     [0, 1], "two GROUP BY keys")
case("SELECT username AS 'User', COUNT(*) FROM events GROUP BY 'User' HAVING COUNT(*) = 2 LAST 1 HOURS", BYTES,
     [0, 1], "GROUP BY 'alias' (IBM sample)")
case("SELECT username FROM events GROUP BY LOWER(username) HAVING COUNT(*) = 2 LAST 1 HOURS",
     [ev(username="A"), ev(username="a"), ev(username="b")], [0, 1], "GROUP BY an expression")
case("SELECT username FROM events GROUP BY username HAVING COUNT(*) = 2 LAST 1 HOURS",
     [ev(username="A"), ev(username="a"), ev(username="b")], [], "GROUP BY is case-sensitive")
case("SELECT username FROM events GROUP BY username HAVING FIRST(sourcebytes) = 1 LAST 1 HOURS", BYTES,
     "the aggregate FIRST", "FIRST depends on order")
case("SELECT username FROM events GROUP BY username HAVING COUNT(*) >= 1 AND SUM(sourcebytes) < 10 LAST 1 HOURS",
     BYTES, [2], "HAVING with AND of aggregates")

# --- [TIME] LAST n units counts back from the latest event; default five minutes -------------
SPREAD = [ev(at=0), ev(at=30 * MIN), ev(at=2 * HOUR), ev(at=3 * 86_400_000)]
case("SELECT * FROM events LAST 1 HOURS", SPREAD, [0, 1], "LAST 1 HOURS")
case("SELECT * FROM events LAST 10 MINUTES", SPREAD, [0], "LAST 10 MINUTES")
case("SELECT * FROM events LAST 3 HOURS", SPREAD, [0, 1, 2], "LAST 3 HOURS")
case("SELECT * FROM events LAST 1 DAYS", SPREAD, [0, 1, 2], "LAST 1 DAYS")
case("SELECT * FROM events LAST 4 DAYS", SPREAD, [0, 1, 2, 3], "LAST 4 DAYS")
case("SELECT * FROM events LAST 1 HOUR", SPREAD, [0, 1], "LAST 1 HOUR (singular)")
case("SELECT * FROM events LAST 90 SECONDS", [ev(at=0), ev(at=60_000), ev(at=120_000)], [0, 1], "LAST 90 SECONDS")
case("SELECT * FROM events", [ev(at=0), ev(at=4 * MIN), ev(at=6 * MIN)], [0, 1], "default: last five minutes")
case("SELECT * FROM events WHERE username IS NULL", [ev(at=0), ev(at=10 * MIN)], [0], "default window with WHERE")
case("SELECT * FROM events LAST 30 MINUTES", SPREAD, "edge of the time range", "event exactly at the edge")
case("SELECT * FROM events LAST 1 HOURS", [ev(), {"$table": "events"}], "without starttime", "no starttime")
case(f"SELECT * FROM events START {T0 - HOUR} STOP {T0 - MIN}", [ev(at=0), ev(at=30 * MIN), ev(at=2 * HOUR)], [1],
     "START STOP epoch ms")
case(f"SELECT * FROM events START {T0 - HOUR}", [ev(at=0), ev(at=30 * MIN), ev(at=2 * HOUR)], [0, 1],
     "START without STOP")
case(f"SELECT * FROM events START {T0 - 30 * MIN} STOP {T0}", [ev(at=0), ev(at=10 * MIN)], "edge",
     "START STOP edge undocumented")
case("SELECT * FROM events START '2026-01-01 00:00' STOP '2026-01-02 00:00'", [ev()], "time zone",
     "START with date text (user's time zone)")

# --- [OPS] ORDER BY and LIMIT: which rows LIMIT keeps --------------------------------------
SIZES = [ev(sourcebytes=5), ev(sourcebytes=9), ev(sourcebytes=1), ev(sourcebytes=7)]
case("SELECT * FROM events ORDER BY sourcebytes DESC LIMIT 2 LAST 1 HOURS", SIZES, [1, 3], "ORDER DESC LIMIT")
case("SELECT * FROM events ORDER BY sourcebytes ASC LIMIT 2 LAST 1 HOURS", SIZES, [0, 2], "ORDER ASC LIMIT")
case("SELECT * FROM events ORDER BY sourcebytes LIMIT 1 LAST 1 HOURS", SIZES, [2], "ORDER default ascending")
case("SELECT * FROM events ORDER BY sourcebytes LIMIT 10 LAST 1 HOURS", SIZES, [0, 1, 2, 3], "LIMIT above count")
case("SELECT * FROM events LIMIT 4 LAST 1 HOURS", SIZES, [0, 1, 2, 3], "LIMIT equal to count")
case("SELECT * FROM events LIMIT 2 LAST 1 HOURS", SIZES, "without ORDER BY", "LIMIT that cuts, no ORDER BY")
case("SELECT * FROM events ORDER BY username LIMIT 1 LAST 1 HOURS", [ev(username="b"), ev(username="a")],
     "ORDER BY on NULL, text", "ORDER BY text at LIMIT (collation)")
case("SELECT * FROM events ORDER BY sourcebytes LIMIT 1 LAST 1 HOURS", [ev(sourcebytes=1), ev(sourcebytes=1)],
     "tied", "tie at LIMIT")
case("SELECT * FROM events ORDER BY username DESC LAST 1 HOURS", [ev(username="b"), ev(username="a")], [0, 1],
     "ORDER BY without LIMIT does not filter")
case("SELECT username, COUNT(*) AS n FROM events GROUP BY username ORDER BY n DESC LIMIT 1 LAST 1 HOURS",
     LOGINS[:4], [0, 1, 2], "ORDER BY an aggregate alias with LIMIT")
case("SELECT * FROM events ORDER BY starttime DESC LIMIT 1 LAST 1 HOURS", [ev(at=5), ev(at=0)], [1],
     "latest first")

# --- tables: FROM events / flows -------------------------------------------------------------
MIXED = [ev(), ev(table="flows"), ev(table="EVENTS")]
case("SELECT * FROM events LAST 1 HOURS", MIXED, [0, 2], "FROM events")
case("SELECT * FROM flows LAST 1 HOURS", MIXED, [1], "FROM flows")
case("SELECT * FROM EVENTS LAST 1 HOURS", MIXED, [0, 2], "table names are case-insensitive")
case("SELECT * FROM simarc LAST 1 HOURS", MIXED, "only events and flows", "FROM simarc not evaluated")
case("SELECT * FROM GLOBALVIEW('v', 'DAILY') LAST 1 HOURS", MIXED, "table function", "GLOBALVIEW")
case("SELECT * FROM events LAST 1 HOURS", [{"starttime": T0}], "without $table", "event without $table")
case("SELECT * FROM (SELECT * FROM events) LAST 1 HOURS", MIXED, "subquery", "FROM subquery")

# --- constructs that are not evaluated name themselves ----------------------------------------
case(W("TEXT SEARCH 'vpn'"), [ev(payload="vpn")], "TEXT SEARCH", "TEXT SEARCH")
case("SELECT * FROM events SESSION BY starttime username BEGIN a = '1' END a = '2' LAST 1 HOURS", [ev()],
     "SESSION BY", "SESSION BY")
case("SELECT * FROM events LAST 1 HOURS PARAMETERS REMOTESERVERS=ARIELSERVERS4EPID(8)", [ev()],
     "PARAMETERS REMOTESERVERS", "PARAMETERS REMOTESERVERS")
case("SELECT * FROM events LAST 1 HOURS PARAMETERS EXECUTIONTIMELIMIT=30000", [ev()], [0],
     "PARAMETERS EXECUTIONTIMELIMIT is neutral")
case("SELECT * FROM events INTO 'c1' WHERE username = 'a' LAST 1 HOURS", [ev(username="a"), ev()], [0],
     "INTO a cursor does not change the rows")
case("SELECT * FROM events WHERE x = ", [ev()], "does not parse", "a query that does not parse")
case(W("field1 = 'x'"), [ev(field1={"nested": "x"})], "not a single value", "a dict value")
case(W("field1 = 'x'"), [ev(field1=["x"])], "not a single value", "a list value")
case(W("field1 = 'x'"), [ev(field1=True)], "boolean", "a boolean value")

# --- literals and names ---------------------------------------------------------------------
case(W("username = 'O''Brien'"), [ev(username="O'Brien"), ev(username="OBrien")], [0], "doubled quote in a string")
case(W("username = 'O\\'Brien'"), [ev(username="O'Brien")], [0], "backslash-quote in a string")
case(W("username = 'a' /* a comment */ OR username = 'b'"), [ev(username="a"), ev(username="b"), ev(username="c")],
     [0, 1], "comment inside the body")
case(W("\"Registry Value Data\" = 'DWORD (0x00000001)'"),
     [ev(**{"Registry Value Data": "DWORD (0x00000001)"}), ev(**{"Registry Value Data": "1"})], [0],
     "Sysmon DWORD text compared as text")
case(W("\"Registry Value Data\" IN ('DWORD (0x00000000)', '0')"),
     [ev(**{"Registry Value Data": "0"}), ev(**{"Registry Value Data": "DWORD (0x00000000)"}),
      ev(**{"Registry Value Data": "DWORD (0x00000001)"})], [0, 1], "IN over DWORD forms")
case(W("\"Registry Key\" ILIKE '%Policies%Microsoft%Windows Defender%'"),
     [ev(**{"Registry Key": "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\DisableAntiSpyware"}),
      ev(**{"Registry Key": "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\x"})], [0], "ILIKE over a registry key")
case(W("\"Registry Key\" IMATCHES '.*\\\\Control\\\\SafeBoot\\\\Network\\\\.+'"),
     [ev(**{"Registry Key": "HKLM\\System\\CurrentControlSet\\Control\\SafeBoot\\Network\\Svc"}),
      ev(**{"Registry Key": "HKLM\\System\\CurrentControlSet\\Control\\SafeBoot\\Network\\"})], [0],
     "IMATCHES .+ after a backslash")
case(W("username = 'a'"), [], [], "no events")
case(W("username = 'a'"), [ev(username="a")] * 3, [0, 1, 2], "the same event three times")
case(W("a = '1'", "LAST 1 HOURS"), [ev(a="1"), ev(a="1", table="flows")], [0], "WHERE applies after FROM")


@pytest.mark.parametrize("query, events, expected", CASES)
def test_case(query, events, expected):
    result = AQL.evaluate(query, events, CONTEXT)
    if isinstance(expected, str):
        assert not result.ok, f"expected not evaluated ({expected}), got {result.matched}"
        assert expected in result.reason
        assert result.line is not None and result.column is not None
    else:
        assert result.ok, result.reason
        assert result.matched == expected


def test_case_count():
    assert len(CASES) >= 300
