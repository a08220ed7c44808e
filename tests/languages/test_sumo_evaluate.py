"""Sumo Logic evaluation: (query, events, expected matched indexes) cases written from the
documentation (SumoLogic/sumologic-documentation; the page is named in each group's comment).
`None` as the expectation: not evaluated (`ok` False), because Sumo Logic does not document the
outcome or the construct is not evaluated.
"""
from __future__ import annotations

import json
import time

import pytest

from tooling.languages import get_language
from tooling.languages.evaluation import EvaluationContext

SUMO = get_language("sumo")


def msg(raw: str, category: str = "prod/app", host: str = "web01", t: int = 1_767_268_800_000, **fields) -> dict:
    return {"_raw": raw, "_sourceCategory": category, "_sourceHost": host, "_collector": "col01",
            "_source": "src01", "_messagetime": t, "_view": "sumologic_default", **fields}


LOG = [
    msg("2013-08-13 21:25:15,456 98765432 [com.test.services.test.TESTClientImpl] TEST Request:id=1234567 TEST1234567"),
    msg("error: connection reset by peer", category="prod/web/apache", host="web02"),
    msg("Failed login for user=alice from 10.1.12.22", category="hr-dept", host="ldapserver"),
    msg("jsmith@example.com sent mail_item", category="Security Logs", host="mail01"),
    msg("INFO service started ok", category="dev/app", host="Atlanta"),
]

# keyword-search-expressions.md / faq.md: terms, case-insensitive, AND implicit, NOT > AND > OR.
KEYWORDS = [
    ("test", [0]),                      # "test - finds the terms test and TEST"
    ("TEST", [0]),
    ("TEST*", [0]),                     # "TEST* - finds test, TESTClientImpl, TEST and TEST1234567"
    ("456", [0]),                       # "456 - finds 456"
    ("*456*", [0]),                     # "*456* finds 456, 1234567 and TEST1234567"
    ("45", []),                         # a keyword matches whole terms, not substrings
    ("TESTClient", []),                 # part of the term TESTClientImpl
    ("TESTClient*", [0]),
    ("com.*.services", [0]),            # a lone * stands for one full term
    ("com*services", []),               # "com*services will not find the message"
    ("com services", [0]),              # "searching com services will search for com AND services"
    ('"com.test.services"', [0]),       # a phrase: terms next to each other
    ('"com services"', []),             # not adjacent: a period lies between them
    ('"Request:id=1234567"', [0]),
    ('"request id"', []),               # the ':' is a term of its own
    ("error", [1]),
    ("ERROR", [1]),
    ("errors", []),
    ("err*", [1]),
    ("err?r", [1]),                     # "? for a single character"
    ("err?", []),
    ("error OR started", [1, 4]),
    ("error started", []),              # implicit AND
    ("error AND reset", [1]),
    ("error NOT reset", []),
    ("error NOT fail", [1]),
    ("!error", [0, 2, 3, 4]),
    ("NOT error", [0, 2, 3, 4]),
    ("(error OR fail*) NOT debug", [1, 2]),
    ("error OR failed AND alice", [1, 2]),   # AND binds tighter than OR
    ("error OR failed AND bob", [1]),
    ("(error OR failed) AND bob", []),
    ('"connection reset"', [1]),
    ('"connection   reset"', [1]),      # consecutive white space in a phrase is one space
    ('"reset connection"', []),
    ('"Connection Reset"', [1]),
    ("10.1.12.22", [2]),
    ("10.1.12.*", [2]),
    ("10.1.13.*", []),
    ("jsmith@*.com", [3]),              # "You can use a wildcard to represent one full term"
    ("jsmith@example.com", [3]),
    ("jsmith", [3]),
    ("mail", [3]),                      # '_' is punctuation: mail_item is mail, _, item
    ("mail_item", [3]),
    ("item", [3]),
    ("user", [2]),
    ('"user=alice"', [2]),
    ("user=alice", []),                 # unquoted, a field search: the message has no field `user`
    ("user=bob", []),
    ("*", [0, 1, 2, 3, 4]),
    ('"*"', []),                        # inside quotes * is a literal character
    ("jsmith@some*re.com", None),       # a partial-term wildcard in a multi-term keyword: not documented
]

# built-in-metadata.md: "Metadata tags are case-insensitive when searching"; wildcards; quotes.
METADATA = [
    ("_sourceCategory=prod/app", [0]),
    ("_sourceCategory=PROD/APP", [0]),
    ("_sourceCategory=prod", []),       # the whole value
    ("_sourceCategory=prod*", [0, 1]),
    ("_sourceCategory=*apache*", [1]),
    ("_sourceCategory=*app*", [0, 4]),     # apache holds no "app"
    ('_sourceCategory="Security Logs"', [3]),
    ('_sourceCategory="security logs"', [3]),
    ('_sourceCategory="Security*"', []),   # "Quotes and wildcards cannot be used together"
    ("_sourceCategory!=prod/app", [1, 2, 3, 4]),
    ("NOT _sourceCategory=prod/app", [1, 2, 3, 4]),
    ("_sourceHost=ldapserver", [2]),
    ("_sourceHost=*RAS*", []),
    ("_sourceHost=web*", [0, 1]),
    ('_sourceHost="10.1.12.22"', []),
    ("_sourceHost=Atlanta", [4]),
    ("_sourceHost=atlanta", [4]),
    ("_collector=col01", [0, 1, 2, 3, 4]),
    ("_collector=col02", []),
    ("_source=src*", [0, 1, 2, 3, 4]),
    ("_index=sumologic_default", [0, 1, 2, 3, 4]),  # _view: "The name of the index, view, or partition"
    ("_view=sumologic_default", [0, 1, 2, 3, 4]),
    ("_index=other", []),
    ('_sourceHost=ldapserver AND _sourceCategory="hr-dept" AND "failed login"', [2]),
    ("_sourceHost=Atlanta AND (_sourceCategory=dev/app OR _sourceCategory=x)", [4]),
    ("(_sourceCategory=*apache* or _sourceCategory=\"Security Logs\")", [1, 3]),
    ("_sourceCategory=prod/* error", [1]),
    ("_sourceCategory=prod/app?", None),
]


@pytest.mark.parametrize("query, expected", KEYWORDS + METADATA, ids=[q for q, _ in KEYWORDS + METADATA])
def test_scope(query, expected):
    _check(query, LOG, expected)


def _check(query, events, expected, context=None):
    result = SUMO.evaluate(query, events, context)
    if expected is None:
        assert not result.ok, result
        assert result.reason and ":" in result.reason
    else:
        assert result.ok, result.reason
        assert result.matched == expected


KV = [msg("user=alice action=stop status=500 seconds=7; host=h1"),
      msg("user=Bob action=start status=200 seconds=12; host=h2"),
      msg("user=carol action=stop status=404 seconds=3;"),
      msg("no fields here")]

# parse-predictable-patterns-using-an-anchor.md, parse-nodrop-option.md
PARSE = [
    ('* | parse "user=* " as user | where user = "alice"', [0]),
    ('* | parse "user=* " as user | where user = "Alice"', []),       # "String comparisons are case sensitive"
    ('* | parse "user=* " as user', [0, 1, 2]),                     # no match: dropped
    ('* | parse "user=* " as user nodrop', [0, 1, 2, 3]),           # nodrop keeps it
    ('* | parse "user=* action=* " as u, a | where a = "stop"', [0, 2]),
    ('* | parse "user=* " as u | parse "host=*" as h', None),       # a pattern ending in *: extent not documented
    ('* | parse "host=h*;" as h', []),
    ('* | parse "seconds=*;" as s | where s > 5', [0, 1]),          # where.md example: text compared as a number
    ('* | parse "seconds=*;" as s | where s < 5', [2]),
    ('* | parse "seconds=*;" as s | where s >= 7', [0, 1]),
    ('* | parse "seconds=*;" as s | where s <= 7', [0, 2]),
    ('* | parse "seconds=*;" as s | where s = 7', [0]),
    ('* | parse "seconds=*;" as s | where s != 7', [1, 2]),
    ('* | parse "seconds=*;" as s | where s <> 7', [1, 2]),
    ('* | parse "status=* " as s | parse "host=*;" as h', []),       # no ';' after a host: dropped
    ('* | parse "status=* " as s | parse "user=* " as u', [0, 1, 2]),
    ('* | parse "status=5* " as s', [0]),
    ('* | parse "status=* " as s nodrop | parse "user=* " as u | where u = "carol"', [2]),
    ('* | parse "zzz=* " as z nodrop | parse "user=* " as u', [0, 1, 2]),   # nodrop then a drop: "a OR b"
    ('* | parse "zzz=* " as z nodrop | where isNull(z)', [0, 1, 2, 3]),
    ('* | parse "user=* " as u nodrop | where isNull(u)', [3]),
    ('* | parse "user=* " as u nodrop | where !isNull(u)', [0, 1, 2]),
    ('* | parse "USER=* " as u', None),                               # letter case of anchors: not documented
    ('* | parse field=_raw "action=* " as a | where a = "start"', [1]),
    ('* | parse "user=* " as u | parse field=u "a*e" as mid', [0]),
    ('* | parse "user=* " as u, x', None),                            # '*' count differs from the fields
]

# parse-variable-patterns-using-regex.md
REGEX_PARSE = [
    ('* | parse regex "user=(?<user>\\w+)" | where user = "Bob"', [1]),
    ('* | parse regex "user=(?<user>\\w+)"', [0, 1, 2]),
    ('* | parse regex "USER=(?<user>\\w+)"', []),                       # "Matching is case sensitive"
    ('* | parse regex "(?i)USER=(?<user>\\w+)"', [0, 1, 2]),
    ('* | parse regex "USER=(?<user>\\w+)" nodrop', [0, 1, 2, 3]),
    ('* | parse regex "status=(?<st>\\d+)" | where st matches "5*"', [0]),
    ('* | parse regex "status=(?<st>\\d+)" | where st in ("404", "500")', [0, 2]),
    ('* | parse regex "status=(?<st>\\d+)" | where st not in ("404", "500")', [1]),
    ('* | parse regex "(?<k>\\w+)=(?<v>\\w+)" multi | where k = "host"', [0, 1]),  # multi: a row per match
    ('* | parse regex "(?<k>\\w+)=(?<v>\\w+)" multi | where v = "stop"', [0, 2]),
    ('* | parse regex field=_raw "action=(?<a>\\w+)" | where a = "start"', [1]),
    ('* | parse regex "user=(?<u>\\w+)" | parse regex field=u "^(?<first>.)" | where first = "B"', [1]),
    ('* | parse regex "user=(?<u>\\w+) (?<zz>nothere)"', []),            # "If any of the text segments cannot be matched"
    ('* | parse regex "user=\\w+"', None),                               # needs a named capturing group
    ('* | extract "user=(?<u>\\w+)"', None),
]

# matches.md: wildcard patterns and RE2 regexes; "The string expression is case-sensitive".
MATCHES = [
    ('* | parse "action=* " as a | where a matches "st*"', [0, 1, 2]),
    ('* | parse "action=* " as a | where a matches "sto*"', [0, 2]),
    ('* | parse "action=* " as a | where a matches "to"', []),           # the wildcard pattern is the whole value
    ('* | parse "action=* " as a | where a matches "*to*"', [0, 2]),
    ('* | parse "action=* " as a | where a matches "STOP"', []),
    ('* | parse "action=* " as a | where a matches "stop"', [0, 2]),
    ('* | parse "action=* " as a | where a matches "st?p"', []),         # only * is a wildcard
    ('* | parse "action=* " as a | where !(a matches "stop")', [1]),
    ('* | parse "action=* " as a | where a matches /st.*/', [0, 1, 2]),
    ('* | parse "action=* " as a | where a matches /to/', []),           # a regex must match the whole value
    ('* | parse "action=* " as a | where a matches /.*to.*/', [0, 2]),
    ('* | parse "action=* " as a | where a matches /stop|start/', [0, 1, 2]),
    ('* | parse "action=* " as a | where a matches /STOP/', []),
    ('* | parse "action=* " as a | where a matches /STOP/i', [0, 2]),
    ('* | parse "action=* " as a | where a matches /(?i)STOP/', [0, 2]),
    ('* | parse "action=* " as a | where !(a matches /st.*/)', []),
    ('* | parse "action=* " as a | where a not matches "stop"', [1]),
    ('* | parse "action=* " as a | where a matches /st(?=op)op/', None),   # RE2 has no lookahead
    ('* | parse "action=* " as a | where a matches /(s)\\1/', None),     # nor backreferences
    ('* | where _raw matches "*status=404*"', [2]),
    ('* | where _raw matches "*STATUS=404*"', []),
    ('* | parse "user=* " as u | concat("*", "o", "*") as pat | where u matches pat', [1, 2]),
]

# field-expressions.md, in.md, contains.md, isnull-isempty-isblank.md, if.md
EXPRESSIONS = [
    ('* | parse "user=* " as u | where u = "alice" or u = "carol"', [0, 2]),
    ('* | parse "user=* " as u | where u == "alice"', [0]),
    ('* | parse "user=* " as u | where u != "alice"', [1, 2]),
    ('* | parse "user=* " as u | where u <> "alice"', [1, 2]),
    ('* | parse "user=* " as u | where !(u = "alice")', [1, 2]),
    ('* | parse "user=* " as u | where not u = "alice"', [1, 2]),
    ('* | parse "user=* " as u | where u in ("alice", "Bob")', [0, 1]),
    ('* | parse "user=* " as u | where u in ("ALICE", "bob")', []),
    ('* | parse "user=* " as u | where u not in ("alice", "Bob")', [2]),
    ('* | parse "user=* " as u | where u contains "o"', [1, 2]),
    ('* | parse "user=* " as u | where u contains "O"', []),             # "Comparison is case-sensitive"
    ('* | parse "user=* " as u | where contains(u, "ar")', [2]),
    ('* | parse "user=* " as u | where u not contains "o"', [0]),
    ('* | parse "user=* " as u | where toLowerCase(u) = "bob"', [1]),
    ('* | parse "user=* " as u | where toUpperCase(u) = "BOB"', [1]),
    ('* | parse "user=* " as u | toLowerCase(u) as l | where l in ("bob", "alice")', [0, 1]),
    ('* | parse "status=* " as s | if(s matches "5*", "error", "ok") as r | where r = "error"', [0]),
    ('* | parse "status=* " as s | if(s = "200", 1, 0) as good | where good = 1', [1]),
    ('* | parse "status=* " as s | s = "200" ? "yes" : "no" as good | where good = "yes"', [1]),
    ('* | parse "status=* " as s | if(s in ("404", "500"), "bad", if(s = "200", "good", "?")) as r'
     ' | where r = "good"', [1]),
    ('* | parse "seconds=*;" as s | s * 2 as d | where d = 14', [0]),
    ('* | parse "seconds=*;" as s | s + 1 as d | where d > 10', [1]),
    ('* | parse "seconds=*;" as s | where s % 2 = 1', [0, 2]),
    ('* | 1 as one | where one = 1', [0, 1, 2, 3]),
    ('* | "x" as v | where v = "x"', [0, 1, 2, 3]),
    ('* | true as yes | where yes', [0, 1, 2, 3]),
    ('* | false as no | where !no', [0, 1, 2, 3]),
    ('* | 2k as two | where two = 2000', [0, 1, 2, 3]),                  # size suffix
    ('* | 1.5s as t | where t = 1500', [0, 1, 2, 3]),                    # time suffix, milliseconds
    ('* | 52 * 6 - 2 as v | where v = 310', [0, 1, 2, 3]),               # precedence
    ('* | 52 * (6 - 2) as v | where v = 208', [0, 1, 2, 3]),
    ('* | 15 - -5 as v | where v = 20', [0, 1, 2, 3]),
    ('* | parse "user=* " as u nodrop | where isNull(u)', [3]),
    ('* | parse "user=* " as u nodrop | where isEmpty(u)', [3]),
    ('* | parse "user=* " as u nodrop | where isBlank(u)', [3]),
    ('* | "" as e | where isNull(e)', []),                               # isNull("") = false
    ('* | "" as e | where isEmpty(e)', [0, 1, 2, 3]),                    # isEmpty("") = true
    ('* | " " as e | where isEmpty(e)', []),                             # isEmpty(" ") = false
    ('* | " " as e | where isBlank(e)', [0, 1, 2, 3]),                   # isBlank(" ") = true
    ('* | "bob" as e | where isBlank(e)', []),
    ('* | parse "user=* " as u nodrop | if(isNull(u), "unknown", u) as u2 | where u2 = "unknown"', [3]),
    # A positive comparison with null drops the row under every null reading (values.py).
    ('* | parse "user=* " as u nodrop | where u = "alice"', [0]),
    ('* | parse "user=* " as u nodrop | where u matches "a*"', [0]),
    # A negative one keeps it under one reading and drops it under another: not documented.
    ('* | parse "user=* " as u nodrop | where !(u matches "a*")', None),
    ('* | parse "user=* " as u nodrop | where u not in ("alice")', None),
    ('* | parse "user=* " as u nodrop | if(u = "alice", "y", "n") as f | where f = "n"', [1, 2, 3]),
    ('* | parse "user=* " as u nodrop | if(u != "alice", "y", "n") as f | where f = "n"', None),
    ('* | parse "user=* " as u nodrop | where u != "alice"', None),
    ('* | parse "user=* " as u nodrop | where !isNull(u) and u != "alice"', [1, 2]),
    ('* | parse "user=* " as u nodrop | where isNull(u) or u = "alice"', [0, 3]),
    ('* | parse "user=* " as u | where u = {{name}}', None),             # placeholders are not evaluated
    ('* | parse "user=* " as u | where u > "a"', None),                  # ordering text: not documented
    ('* | parse "user=* " as u | where u = 1', None),
    ("* | where 'x' = 'x'", None),
    ('* | parse "user=* " as u | replace(u, "o", "0") as r | where r = "B0b"', [1]),
    ('* | parse "user=* " as u | replace(u, /[aeiou]/, "_") as r | where r = "B_b"', [1]),
    ('* | parse "user=* " as u | replace(u, /(a)(l)/, "$2$1") as r | where r = "laice"', [0]),
    ('* | parse "user=* " as u | replace(u, /(?<x>c)/, "${x}${x}") as r | where r = "ccarol"', [2]),
    ('* | parse "user=* " as u nodrop | replace(u, "a", "b") as r | where isNull(r)', [3]),  # null in, null out
    ('* | "%41%20b" as t | urldecode(t) as d | where d = "A b"', [0, 1, 2, 3]),
    ('* | parse "user=* " as u | concat(u, "-", "x") as c | where c = "Bob-x"', [1]),
    ('* | parse "user=* " as u | formatDate(u, "yyyy") as f | where f = "x"', None),
]

AGGREGATION = [
    ('* | parse "action=* " as a | count by a | where _count > 1', [0, 2]),   # events in the returned rows
    ('* | parse "action=* " as a | count by a | where _count = 1', [1]),
    ('* | parse "action=* " as a | count by a', [0, 1, 2]),
    ('* | parse "action=* " as a | count as n by a | where n = 2', [0, 2]),
    ('* | parse "action=* " as a | parse "user=* " as u | count_distinct(u) by a | where _count_distinct = 2',
     [0, 2]),
    ('* | parse "action=* " as a | parse "user=* " as u | count_distinct(u) as users by a | where users = 1', [1]),
    ('* | parse "seconds=*;" as s | parse "action=* " as a | sum(s) by a | where _sum = 10', [0, 2]),
    ('* | parse "seconds=*;" as s | max(s) as m | where m = 12', [0, 1, 2]),
    ('* | parse "seconds=*;" as s | min(s) as m | where m = 3', [0, 1, 2]),
    ('* | parse "seconds=*;" as s | avg(s) as m | where m > 7', [0, 1, 2]),
    ('* | parse "user=* " as u nodrop | count by u', None),              # a null group key: not documented
    ('* | count', [0, 1, 2, 3]),
    ('* | parse "action=* " as a | count by a | where a = "start"', [1]),
    ('* | parse "action=* " as a | count by a | sort by _count desc | limit 1', [0, 2]),
    ('* | parse "action=* " as a | count by a | sort by _count asc | limit 1', [1]),
    ('* | parse "action=* " as a | count by a | sort by _count | limit 1', None),   # default direction
    ('* | parse "action=* " as a | count by a | top 1 a by _count', None),
]

STAGES = [
    ('* | parse "user=* " as u | fields u | where isNull(_raw)', [0, 1, 2]),   # fields keeps only u
    ('* | parse "user=* " as u | fields - u | where isNull(u)', [0, 1, 2]),
    ('* | parse "user=* " as u | sort by u | where u = "alice"', [0]),
    ('* | limit 2', [2, 3]),                                   # newest first (by _messagetime)
    ('* | timeslice 1h | where _timeslice = 1767268800000', [0, 1, 2, 3]),
    ('* | timeslice 1h | count by _timeslice', [0, 1, 2, 3]),
    ('* | timeslice 100 buckets', [0, 1, 2, 3]),              # trailing: cannot change the verdict
    ('* | timeslice 100 buckets | where _timeslice > 0', None),
    ('* | parse "user=* " as u | x = 1 | where u = "alice"', None),   # `x = 1` as a statement
    ('* | parse "user=* " as u | outlier u | where u = "a"', None),
    ('* | parse "user=* " as u | where u = "alice" | outlier u', None),
    ('* | parse "user=* " as u | where u = "alice" | formatDate(now(), "yyyy") as y', [0]),
    ('* | join (parse "a=*" as a) as t1, (parse "b=*" as b) as t2 on t1.a = t2.b', None),
    ('[subquery: error | compose x]', None),
]

# Times a second apart so `limit` has an order.
for _position, _event in enumerate(KV):
    _event["_messagetime"] = 1_767_268_800_000 + _position * 1000


@pytest.mark.parametrize("query, expected", PARSE + REGEX_PARSE + MATCHES + EXPRESSIONS + AGGREGATION + STAGES,
                         ids=[q for q, _ in PARSE + REGEX_PARSE + MATCHES + EXPRESSIONS + AGGREGATION + STAGES])
def test_operators(query, expected):
    _check(query, KV, expected)


WIN = [
    msg(json.dumps({"EventID": 1, "Computer": "ws01", "Channel": "Microsoft-Windows-Sysmon/Operational",
                    "EventData": {"CommandLine": "sc stop WinDefend", "Image": "C:\\Windows\\System32\\sc.exe"}}),
        category="windows/sysmon"),
    msg(json.dumps({"EventID": 13, "Computer": "ws01", "EventData": {
        "TargetObject": "HKLM\\SYSTEM\\CurrentControlSet\\Services\\WinDefend\\Start", "Details": "DWORD (0x00000004)"}}),
        category="windows/sysmon"),
    msg(json.dumps({"EventID": 4688, "Computer": "ws02", "EventData": {"CommandLine": "whoami", "Items": [1, 2],
                                                                     "Nested": [{"a": "x"}]}}),
        category="windows/security"),
    msg("not json at all"),
]

# parse-json-formatted-logs.md
JSON = [
    ('* | json "EventID" | where EventID = "1"', [0]),
    ('* | json "EventID" | where eventid = "13"', [1]),                    # field names are case-insensitive
    ('* | json "eventid"', []),                                          # "References to specific keys are case sensitive"
    ('* | json "EventID"', [0, 1, 2]),                                   # invalid JSON: dropped
    ('* | json "EventID" nodrop', [0, 1, 2, 3]),
    ('* | json "EventID" nodrop | where isNull(EventID)', [3]),           # nodrop: "set the extracted field values to null"
    ('* | json "EventData.CommandLine" as cmd | where cmd matches "*stop*"', [0]),
    ('* | json field=_raw "EventData.CommandLine" as cmd | where cmd = "whoami"', [2]),
    ('* | json "EventData.CommandLine", "Computer" as cmd, host nodrop | where host = "ws01"', [0, 1]),
    ('* | json "EventData.Items" as items | where items = "[1,2]"', [2]),
    ('* | json "EventData.Items[1]" as second | where second = "2"', [2]),
    ('* | json "EventData" as data | where data contains "WinDefend"', [0, 1]),
    ('* | json "EventData.CommandLine"', None),                          # a nested path without `as`
    ('* | json "Actor[*].Type" as t', None),
    ('* | json "EventData.CommandLine", "Computer" as cmd, host', None),   # some keys missing, no nodrop
    ('* | json auto | where %"eventdata.commandline" = "whoami"', [2]),  # "users[2].address.street" naming
    ('* | json auto | where eventid = "13"', [1]),                       # auto keys are not case sensitive
    ('* | json auto | where %"eventdata.nested[0].a" = "x"', [2]),       # non-flat arrays are flattened
    ('* | json auto | where %"eventdata.items" = "[1,2]"', [2]),         # flat arrays stay whole
    ('* | json auto | where isNull(eventid)', [3]),                      # "messages that do not contain JSON are not dropped"
    ('windefend | json "EventID" as id | where id = "13"', [1]),
    ('_sourceCategory=windows/* | json "EventID" as id | where id in ("1", "4688")', [0, 2]),
    ('* | json auto keys "EventID"', [0, 1, 2, 3]),   # json auto never drops: trailing, it cannot decide
    ('* | json auto keys "EventID" | where isNull(eventid)', None),
]


@pytest.mark.parametrize("query, expected", JSON, ids=[q for q, _ in JSON])
def test_json(query, expected):
    _check(query, WIN, expected)


DELIMITED = [
    msg("alice,42,\"New York, NY\",x"),
    msg("bob,7,Paris,y"),
    msg("a:b:c"),
]

# parse-csv-formatted-logs.md, parse-delimited-logs-using-split.md, parse-keyvalue-formatted-logs.md
SPLIT = [
    ('alice OR bob | csv _raw extract 1 as user, 2 as id | where id = "42"', [0]),
    ('alice OR bob | csv _raw extract 3 as city | where city = "New York, NY"', [0]),   # quote groups a column
    ('alice OR bob | csv _raw extract user, _, city | where city = "Paris"', [1]),       # `_` skips a position
    ('alice OR bob | csv _raw extract 9 as far', None),
    ('"a:b:c" | split _raw delim=\':\' extract 1 as a, 3 as c | where c = "c"', [2]),
    ('"a:b:c" | split _raw delim=\':\' extract a, b | where b = "b"', [2]),
    ('* | split _raw delim=\':\' extract 1 as a, 3 as c | where c = "c"', None),   # a line with too few columns
    ('alice OR bob | split _raw extract 1 as u | where u = "bob"', [1]),                  # default delimiter ','
    ('* | kv "user"', None),                                                              # inference mode
    ('* | keyvalue auto', None),
]


@pytest.mark.parametrize("query, expected", SPLIT, ids=[q for q, _ in SPLIT])
def test_delimited(query, expected):
    _check(query, DELIMITED, expected)


KEYVALUE = [
    ('* | keyvalue regex "(\\w+)=(\\w+)" "user", "action" | where action = "stop"', [0, 2]),
    ('* | keyvalue regex "=(\\w+)" "user" | where user = "Bob"', [1]),
    ('* | keyvalue regex "=(\\w+)" "host" as h | where h = "h2"', [1]),
    ('* | keyvalue regex "=(\\w+)" "nothere"', []),
    ('* | keyvalue regex "=(\\w+)" "nothere" nodrop', [0, 1, 2, 3]),
]


@pytest.mark.parametrize("query, expected", KEYVALUE, ids=[q for q, _ in KEYVALUE])
def test_keyvalue(query, expected):
    _check(query, KV, expected)


LOOKUPS = EvaluationContext(lookups={"/shared/lookups/users": [{"name": "alice", "team": "red"},
                                                                 {"name": "Bob", "team": "blue"}]})

# lookup.md; isnull-isempty-isblank.md: "a mismatch from a lookup operator" gives null.
LOOKUP = [
    ('* | parse "user=* " as u | lookup team from path://"/shared/lookups/users" on name=u | where team = "red"',
     [0]),
    ('* | parse "user=* " as u | lookup team from /shared/lookups/users on name=u | where isNull(team)', [2]),
    ('* | parse "user=* " as u | lookup team as t from /shared/lookups/users on name=u | where t = "blue"', [1]),
    ('* | parse "user=* " as u | lookup team from /shared/lookups/missing on name=u | where team = "x"', None),
    ('* | parse "user=* " as u | lookup * from /shared/lookups/users on name=u | where team = "x"', None),
    ('* | lookup country_code from geo://location on ip = x | where isNull(country_code)', None),
]


@pytest.mark.parametrize("query, expected", LOOKUP, ids=[q for q, _ in LOOKUP])
def test_lookup(query, expected):
    _check(query, KV, expected, LOOKUPS)


def test_null_reading_name_the_construct_and_position():
    result = SUMO.evaluate('* | parse "user=* " as u nodrop\n| where u != "alice"', KV)
    assert not result.ok and result.line == 2 and "null" in result.reason


# --- hostile input: bounded time, ok False with a reason -------------------------------------

def test_huge_event_is_bounded():
    raw = "user=x " + "a" * 2_000_000
    started = time.perf_counter()
    result = SUMO.evaluate('* | parse regex "(?<v>(a|aa)+)b"', [msg(raw)])
    assert time.perf_counter() - started < 20  # a hang guard (a hang takes minutes), generous for a busy machine
    assert not result.ok and result.reason


def test_backtracking_regex_is_bounded():
    started = time.perf_counter()
    result = SUMO.evaluate('* | where _raw matches /(a|aa)+b/', [msg("a" * 5000)])
    assert time.perf_counter() - started < 20  # a hang guard (a hang takes minutes), generous for a busy machine
    assert not result.ok and "backtracks" in result.reason


def test_deeply_nested_json_is_bounded():
    nested: object = "x"
    for _ in range(500):
        nested = {"a": nested}
    started = time.perf_counter()
    result = SUMO.evaluate("* | json auto | where isNull(a)", [msg(json.dumps(nested))])
    assert time.perf_counter() - started < 20  # a hang guard (a hang takes minutes), generous for a busy machine
    assert not result.ok and result.reason


def test_deeply_nested_event_value_is_bounded():
    nested: object = "x"
    for _ in range(200):
        nested = {"a": nested}
    result = SUMO.evaluate("error", [{"_raw": "error", "deep": nested}])
    assert result.ok and result.matched == [0]


def test_bad_events_are_reported():
    assert not SUMO.evaluate("*", "not a list").ok
    assert not SUMO.evaluate("*", [{"_raw": "a", "X": "1", "x": "2"}]).ok


def test_a_placeholder_as_a_metadata_value_is_not_evaluated():
    # Sumo dashboards fill {{var}} in at run time (Sumo: "Dashboard template variables"); offline its
    # value is unknown, so `_sourceCategory={{logsrc}}` gets no verdict rather than "matches nothing".
    ev = get_language("sumo").evaluate('_sourceCategory={{logsrc}} "sc.exe"', [{"_raw": "sc.exe", "_sourceCategory": "x"}])
    assert not ev.ok and "placeholder" in ev.reason and ev.reason.startswith("1:17")
