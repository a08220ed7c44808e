"""SPL evaluation: (query, events, expected returned events) cases, written by hand from
Splunk's documentation (Search Reference and Search Manual 9.x, help.splunk.com). Each block
names the documented fact it encodes; each point has cases that match and cases that do not.
Constructs the evaluator does not evaluate must give `ok` False naming the construct.
"""
from __future__ import annotations

import time

import pytest

from tooling.languages.evaluation import EvaluationContext
from tooling.languages.spl import LANGUAGE


def run(query, events, context=None):
    return LANGUAGE.evaluate(query, events, context)


def matched(query, events, context=None):
    evaluation = run(query, events, context)
    assert evaluation.ok, evaluation.reason
    return evaluation.matched


def ev(raw="", **fields):
    return {"_raw": raw, **fields}


# --- the search command: boolean operators ---------------------------------------------------------
# "The AND operator is always implied between terms"; "The search command evaluates OR before AND";
# "The NOT operator only applies to the term immediately following NOT" (Search Manual, "Boolean
# expressions with logical operators").
WORDS = [ev("alpha beta"), ev("alpha gamma"), ev("beta gamma"), ev("delta")]
BOOLEAN_CASES = [
    ("alpha beta", [0]),
    ("alpha AND beta", [0]),
    ("alpha OR delta", [0, 1, 3]),
    ("alpha OR beta gamma", [1, 2]),            # (alpha OR beta) AND gamma
    ("gamma alpha OR beta", [1, 2]),            # gamma AND (alpha OR beta)
    ("alpha OR beta AND gamma", [1, 2]),
    ("(alpha OR beta) gamma", [1, 2]),
    ("alpha OR (beta gamma)", [0, 1, 2]),
    ("NOT alpha", [2, 3]),
    ("NOT alpha beta", [2]),                    # (NOT alpha) AND beta
    ("NOT (alpha beta)", [1, 2, 3]),
    ("NOT alpha OR delta", [2, 3]),             # (NOT alpha) OR delta
    ("NOT (alpha OR delta)", [2]),
    ("alpha NOT beta", [1]),
    ("NOT NOT alpha", [0, 1]),
    ("epsilon", []),
    ("alpha OR epsilon", [0, 1]),
    ("(alpha) (beta)", [0]),
]


@pytest.mark.parametrize("query, expected", BOOLEAN_CASES)
def test_search_boolean_precedence(query, expected):
    assert matched(query, WORDS) == expected


# --- field=value: wildcards, case-insensitive values, case-sensitive names -------------------------
# "Field names are case sensitive, field values are not" and "*" matches any run of characters
# (search command, "Usage"; Search Manual "Use wildcards").
FIELDS = [
    ev(CommandLine="powershell.exe Set-MpPreference -DisableRealtimeMonitoring 1", Image="C:\\Windows\\powershell.exe"),
    ev(CommandLine="cmd.exe /c whoami", Image="C:\\Windows\\System32\\cmd.exe"),
    ev(commandline="SET-MPPREFERENCE", Image="C:\\tools\\x.exe"),
    ev(Image="C:\\Windows\\System32\\sc.exe"),
]
FIELD_CASES = [
    ('CommandLine="*Set-MpPreference*"', [0]),
    ('CommandLine="*set-mppreference*"', [0]),          # values are case-insensitive
    ('CommandLine="*SET-MPPREFERENCE*"', [0]),
    ('commandline="*set-mppreference*"', [2]),          # field names are case-sensitive
    ("CommandLine=*whoami", [1]),
    ("CommandLine=*WHOAMI", [1]),
    ("CommandLine=cmd*", [1]),
    ("CommandLine=CMD*", [1]),
    ("CommandLine=cmd", []),                            # no wildcard: the whole value
    ('CommandLine="cmd.exe /c whoami"', [1]),
    ('CommandLine="CMD.EXE /C WHOAMI"', [1]),
    ('CommandLine="cmd.exe /c who"', []),
    ("CommandLine=*", [0, 1]),                          # any value: the field exists
    ("Image=*\\\\sc.exe", [3]),                         # \\ is one backslash
    ('Image="*\\\\system32\\\\*"', [1, 3]),
    ('Image="C:\\\\Windows\\\\*.exe"', [0, 1, 3]),
    ('Image="c:\\\\windows\\\\powershell.exe"', [0]),
    ("Image=*power*shell*", [0]),
    ("Image=*p*w*r*s*l*", [0]),
    ("Image=*zzz*", []),
    ("Nope=*", []),
    ('CommandLine="*Monitoring 1"', [0]),
    ('CommandLine="*Monitoring 2"', []),
]


@pytest.mark.parametrize("query, expected", FIELD_CASES)
def test_search_field_values(query, expected):
    assert matched(query, FIELDS) == expected


# --- != versus NOT ---------------------------------------------------------------------------------
# "Searching with the boolean NOT comparison operator is not the same as using the != comparison":
# field!=value returns events where the field exists with another value; NOT field=value also
# returns events without the field (search command examples, "Using the NOT or != comparisons").
STATUS = [ev(status="200"), ev(status="404"), ev(other="x"), ev(status="")]
NEGATION_CASES = [
    ("status!=200", [1, 3]),
    ("NOT status=200", [1, 2, 3]),
    ("status!=2*", [1, 3]),
    ("NOT status=2*", [1, 2, 3]),
    ("status!=404 status!=200", [3]),
    ("NOT (status=404 OR status=200)", [2, 3]),
    ("missing!=x", []),
    ("NOT missing=x", [0, 1, 2, 3]),
    ("status=*", [0, 1, 3]),
    ("NOT status=*", [2]),
]


@pytest.mark.parametrize("query, expected", NEGATION_CASES)
def test_search_not_equal_and_not(query, expected):
    assert matched(query, STATUS) == expected


# --- bare terms and phrases against _raw, with segmentation ------------------------------------------
# Terms match _raw case-insensitively, on segments: major breakers (space, brackets, quotes, | ! ; , & ? +)
# then minor breakers (/ : = @ . - $ # % \ _) (Search Manual, "Event segmentation and searching");
# quoted phrases must appear together ("Searching for phrases").
RAW = [
    ev("91.205.189.15 - - [13/Aug/2022:18:22:16] GET /cart.do?action=purchase HTTP/1.1 404"),
    ev("user=alice@example.com action=login status=failure"),
    ev("Updated Windows Defender status successfully to SECURITY_PRODUCT_STATE_ON."),
    ev('{"Name":"UnifiedAuditLogIngestionEnabled","Value":"False"}'),
    ev("foobar baz-qux"),
]
TERM_CASES = [
    ("91.205.189.15", [0]),
    ("205", [0]),                       # a minor segment
    ("205.189", [0]),
    ("20", []),                         # not a whole segment
    ("purchase", [0]),
    ("PURCHASE", [0]),                  # case-insensitive
    ("action", [0, 1]),
    ("cart", [0]),
    ("cart.do", [0]),
    ("alice", [1]),
    ("example.com", [1]),
    ("alice@example.com", [1]),
    ("login", [1]),
    ("log", []),
    ("log*", [1]),
    ("*cess*", [2]),                    # successfully
    ("foo", []),
    ("foo*", [4]),
    ("foobar", [4]),
    ("qux", [4]),
    ("baz-qux", [4]),
    ("baz qux", [4]),                   # two terms, AND
    ('"baz qux"', []),                  # a phrase: they are not next to each other as written
    ('"status successfully to"', [2]),
    ('"STATUS SUCCESSFULLY TO"', [2]),
    ('"successfully status"', []),
    ('"SECURITY_PRODUCT_STATE_ON"', [2]),
    ("STATE", [2]),                     # _ is a minor breaker
    ('"False"', [3]),
    ('"True"', []),
    ('"UnifiedAuditLogIngestionEnabled"', [3]),
    ('"Enabled"', []),
    ("404", [0]),
    ("40", []),
    ("1.1", [0]),
    ("HTTP/1.1", [0]),
]


@pytest.mark.parametrize("query, expected", TERM_CASES)
def test_search_terms_and_phrases(query, expected):
    assert matched(query, RAW) == expected


def test_terms_need_raw():
    assert matched("alpha", [{"msg": "alpha"}, ev("alpha")]) == [1]


# TERM(x): x as one term bounded by major breakers; CASE(x): case-sensitive ("Use CASE() and TERM()
# to match phrases").
DIRECTIVE_CASES = [
    ("TERM(91.205.189.15)", [0]),
    ("TERM(205.189)", []),              # not a whole major segment
    ("TERM(user=alice@example.com)", [1]),
    ("TERM(alice)", []),
    ("CASE(Updated)", [2]),
    ("CASE(updated)", []),
    ("CASE(SECURITY_PRODUCT_STATE_ON)", [2]),
    ("CASE(Security_Product_State_On)", []),
    ("updated", [2]),
    ("NOT CASE(updated)", [0, 1, 2, 3, 4]),
]


@pytest.mark.parametrize("query, expected", DIRECTIVE_CASES)
def test_term_and_case_directives(query, expected):
    assert matched(query, RAW) == expected


# --- IN, comparisons, CIDR -------------------------------------------------------------------------
# "field IN (value1, value2, ...)"; "You can also use a wildcard in the value list" (search command).
# The search command supports "subnets that use CIDR notation".
CODES = [ev(code="10", src="10.1.2.3"), ev(code="29", src="192.168.1.5"), ev(code="43", src="10.200.0.1"),
         ev(code="500", src="::1"), ev(other="1")]
IN_CASES = [
    ("code IN (10, 29, 43)", [0, 1, 2]),
    ('code IN ("10", "500")', [0, 3]),
    ("code IN (4*, 5*)", [2, 3]),
    ("code IN (99)", []),
    ("NOT code IN (10, 29)", [2, 3, 4]),
    ("code>20", [1, 2, 3]),
    ("code>=29", [1, 2, 3]),
    ("code<29", [0]),
    ("code<=29", [0, 1]),
    ("code>1000", []),
    ("src=10.0.0.0/8", [0, 2]),
    ("src=192.168.0.0/16", [1]),
    ("src=172.16.0.0/12", []),
    ("src=10.1.2.3", [0]),
    ("src=10.1.*", [0]),
]


@pytest.mark.parametrize("query, expected", IN_CASES)
def test_in_comparisons_and_cidr(query, expected):
    assert matched(query, CODES) == expected


# --- multivalue fields: a search on a multivalue field matches if any value matches ---------------------
MULTI = [ev(tag=["process", "report"]), ev(tag=["network"]), ev(tag="process")]
MULTI_CASES = [
    ("tag=process", [0, 2]),
    ("tag=report", [0]),
    ("tag=process tag=report", [0]),
    ("tag=net*", [1]),
    ("tag IN (report, network)", [0, 1]),
    ("NOT tag=process", [1]),
    ("tag=endpoint", []),
]


@pytest.mark.parametrize("query, expected", MULTI_CASES)
def test_multivalue_search(query, expected):
    assert matched(query, MULTI) == expected


# --- earliest / latest: relative to the latest event (the evaluation contract) ----------------------------
HOUR = 3600
TIMED = [ev("x", _time=100 * HOUR), ev("x", _time=99 * HOUR + 1), ev("x", _time=90 * HOUR), ev("x", _time=70 * HOUR)]
TIME_CASES = [
    ("earliest=-1h x", [0, 1]),
    ("earliest=-24h x", [0, 1, 2]),
    ("earliest=-30h", [0, 1, 2, 3]),
    ("earliest=-10h latest=-1h", [2]),
    ("latest=-1h", [2, 3]),
    ("earliest=-60m", [0, 1]),
    ("earliest=-1d@d", [0, 1, 2]),      # back one day, then to midnight (hour 72)
    ("earliest=@d", [0, 1]),            # midnight of the latest event's day (hour 96): 90 is before
    ("earliest=0", [0, 1, 2, 3]),
    ("earliest=-5m", [0]),
]


@pytest.mark.parametrize("query, expected", TIME_CASES)
def test_time_modifiers(query, expected):
    assert matched(query, TIMED) == expected


# --- macros: expanded only from the repository's declarations -------------------------------------------
SYSMON = '(sourcetype=XmlWinEventLog source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational")'
MACRO_EVENTS = [
    {"_raw": "a", "sourcetype": "XmlWinEventLog", "source": "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational",
     "EventCode": "1", "Processes.process": "x"},
    {"_raw": "a", "sourcetype": "XmlWinEventLog", "source": "XmlWinEventLog:Security", "EventCode": "1"},
    {"_raw": "b", "sourcetype": "linux:audit", "EventCode": "13"},
]
CONTEXT = EvaluationContext(macros={
    "sysmon": SYSMON, "security": "source=XmlWinEventLog:Security", "evt(1)": "EventCode=$code$",
    "pair(field,value)": "$field$=$value$", "nested": "`sysmon` EventCode=1", "loop": "`loop`",
    "drop_dm_object_name(1)": "rename $object$.* AS *", "both(2)": "$a$=$b$",
})
MACRO_CASES = [
    ("`sysmon`", [0]),
    ("`sysmon` EventCode=1", [0]),
    ("`sysmon` OR `security`", [0, 1]),
    ("NOT `sysmon`", [1, 2]),          # the definition's parentheses keep it one operand
    ("`evt(13)`", [2]),
    ("`evt(1)`", [0, 1]),
    ("`pair(sourcetype, linux:audit)`", [2]),
    ("`nested`", [0]),
    ("a | `drop_dm_object_name(Processes)` | search process=x", [0]),
]


@pytest.mark.parametrize("query, expected", MACRO_CASES)
def test_macros_expand_from_declarations(query, expected):
    assert matched(query, MACRO_EVENTS, CONTEXT) == expected


@pytest.mark.parametrize("query, named", [
    ("`sysmon`", "`sysmon`"),
    ("a | `unknown_macro(1)`", "`unknown_macro(1)`"),
    ("EventCode=1 `nowhere`", "`nowhere`"),
    ("`loop`", "nested more than 16"),
    ("`both(x, y)`", "argument names"),
])
def test_undeclared_macros_are_not_evaluated(query, named):
    context = CONTEXT if named in ("nested more than 16", "argument names") else None
    evaluation = run(query, MACRO_EVENTS, context)
    assert not evaluation.ok and named in evaluation.reason


def test_a_macro_error_is_reported_at_the_macro():
    context = EvaluationContext(macros={"bad": "x | transaction host"})
    evaluation = run("a\n  `bad`", MACRO_EVENTS, context)
    assert not evaluation.ok and evaluation.reason.startswith("2:3:") and "transaction" in evaluation.reason


# --- where / eval: comparisons ------------------------------------------------------------------------
# "The <eval-expression> is case-sensitive" (where); a numeric field value compares numerically with a
# number; `=` and `==` are the same comparison; where keeps "only the results for which the eval
# expression returns true".
ROWS = [
    ev(sourcetype="aws:cloudtrail", EventCode="13", name="Alice", n="5", path="C:\\Temp\\a.exe"),
    ev(sourcetype="AWS:CloudTrail", EventCode="1", name="alice", n="10", path="/usr/bin/ls"),
    ev(sourcetype="azure:monitor:activity", EventCode="400", n="x", path=""),
    ev(other="y"),
]
WHERE_CASES = [
    ('where sourcetype="aws:cloudtrail"', [0]),
    ('where sourcetype=="aws:cloudtrail"', [0]),
    ('where sourcetype!="aws:cloudtrail"', [1, 2]),            # null is not true
    ('where lower(sourcetype)=="aws:cloudtrail"', [0, 1]),
    ('where upper(name)=="ALICE"', [0, 1]),
    ('where name="alice"', [1]),
    ("where EventCode=13", [0]),
    ("where EventCode==1", [1]),
    ("where EventCode>1", [0, 2]),
    ("where EventCode<=13", [0, 1]),
    ("where isnum(n) AND n>6", [1]),
    ("where n*2==10", [0]),
    ("where n+1==6", [0]),
    ("where EventCode=13 OR EventCode=1", [0, 1]),
    ("where EventCode=13 AND name=\"Alice\"", [0]),
    ("where EventCode=13 OR EventCode=1 AND name=\"alice\"", [0, 1]),   # AND before OR
    ("where (EventCode=13 OR EventCode=1) AND name=\"alice\"", [1]),
    ("where isnotnull(EventCode) AND NOT EventCode=13", [1, 2]),
    ("where isnull(name)", [2, 3]),
    ("where isnotnull(name)", [0, 1]),
    ('where path=""', [2]),
    ("where isnotnull(path)", [0, 1, 2]),
    ("where missing=1", []),
    ('where EventCode IN ("13", "400")', [0, 2]),
    ("where EventCode IN (13, 400)", [0, 2]),
    ("where in(EventCode, 1, 13)", [0, 1]),
    ('where sourcetype LIKE "aws:%"', [0]),
    ('where sourcetype LIKE "AWS:%"', [1]),
    ('where like(sourcetype, "a_ure%")', [2]),
    ('where like(sourcetype, "%trail")', [0]),
    ('where like(sourcetype, "aws")', []),
    ('where sourcetype NOT LIKE "aws%"', [1, 2]),
    ('where match(sourcetype, "^aws")', [0]),
    ('where match(sourcetype, "(?i)^aws")', [0, 1]),
    ('where match(sourcetype, "trail")', [0]),                # unanchored
    ('where match(sourcetype, "^trail")', []),
    ('where match(path, "\\\\\\\\Temp\\\\\\\\")', [0]),        # the regex \\Temp\\ (one backslash each)
    ('where match(path, "^/usr/")', [1]),
    ("where len(name)=5", [0, 1]),
    ("where len(path)=0", [2]),
]


@pytest.mark.parametrize("query, expected", WHERE_CASES)
def test_where_comparisons(query, expected):
    assert matched("* | " + query, ROWS) == expected


EVAL_CASES = [
    # if(X,Y,Z): "If X evaluates to TRUE, the result is Y ... otherwise Z".
    ('eval k=if(EventCode=13, "reg", "proc") | where k="reg"', [0]),
    ('eval k=if(EventCode=13, "reg", "proc") | where k="proc"', [1, 2, 3]),   # null condition: Z
    # case(): the first TRUE condition; null when none.
    ('eval k=case(EventCode=13, "a", EventCode=1, "b") | where isnull(k)', [2, 3]),
    ('eval k=case(EventCode=13, "a", EventCode=1, "b") | where k="b"', [1]),
    ('eval k=case(EventCode=400, "z", true(), "other") | where k="other"', [0, 1, 3]),
    # coalesce(): the first value that is not null; "" is a value.
    ('eval k=coalesce(missing, path, name) | where k=""', [2]),
    ('eval k=coalesce(missing, name, "none") | where k="none"', [2, 3]),
    ('eval k=coalesce(missing, other) | where isnotnull(k)', [3]),
    # `.` concatenates; a null side gives null.
    ('eval k=name.":".EventCode | where k="Alice:13"', [0]),
    ('eval k="x".missing | where isnull(k)', [0, 1, 2, 3]),
    ('eval k=EventCode+1 | where k=14', [0]),
    ('eval k=n/0 | where isnull(k)', [0, 1, 2, 3]),
    ('eval k=n*2 | where isnull(k)', [2, 3]),                 # arithmetic on text: null
    ('eval k="a"+"b" | where k="ab"', [0, 1, 2, 3]),           # + of two strings concatenates
    # substr(X,Y,Z): 1-based; negative Y from the end.
    ('eval k=substr(sourcetype, 1, 3) | where k="aws"', [0]),
    ('eval k=substr(sourcetype, -5) | where k="trail"', [0]),
    ('eval k=substr(sourcetype, 5) | where k="cloudtrail"', [0]),
    # replace(X,Y,Z) with back-references.
    ('eval k=replace(sourcetype, "^(\\w+):(\\w+)$", "\\2-\\1") | where k="cloudtrail-aws"', [0]),
    ('eval k=replace(sourcetype, "z", "Z") | where k="aZure:monitor:activity"', [2]),
    # split / mvcount / mvindex / mvfind / mvjoin.
    ('eval k=mvcount(split(sourcetype, ":")) | where k=3', [2]),
    ('eval k=mvcount(split(sourcetype, ":")) | where k=2', [0, 1]),
    ('eval k=mvindex(split(path, "\\\\"), -1) | where k="a.exe"', [0]),
    ('eval k=mvindex(split(path, "/"), 1) | where k="usr"', [1]),
    ('eval k=mvindex(split(sourcetype, ":"), 0, 1) | where mvcount(k)=2', [0, 1, 2]),
    ('eval k=mvfind(split(sourcetype, ":"), "^mon") | where k=1', [2]),
    ('eval k=mvfind(split(sourcetype, ":"), "^zzz") | where isnull(k)', [0, 1, 2, 3]),
    ('eval k=mvjoin(split(sourcetype, ":"), "/") | where k="aws/cloudtrail"', [0]),
    ('eval k=mvcount(missing) | where isnull(k)', [0, 1, 2, 3]),
    # tonumber / tostring.
    ('eval k=tonumber(n) | where k>6', [1]),
    ('eval k=tonumber(n) | where isnull(k)', [2, 3]),
    ('eval k=tonumber("ff", 16) | where k=255', [0, 1, 2, 3]),
    ('eval k=tostring(EventCode) | where k="13"', [0]),
    # cidrmatch.
    ('eval ip="10.1.2.3" | where cidrmatch("10.0.0.0/8", ip)', [0, 1, 2, 3]),
    ('eval ip="11.1.2.3" | where cidrmatch("10.0.0.0/8", ip)', []),
    # searchmatch: the search language (case-insensitive values) inside eval.
    ('where searchmatch("sourcetype=aws*")', [0, 1]),
    ('where searchmatch("name=ALICE EventCode=1")', [1]),
    # null assignment removes the field; later assignments see earlier ones.
    ('eval name=null() | where isnull(name)', [0, 1, 2, 3]),
    ('eval a=1, b=a+1 | where b=2', [0, 1, 2, 3]),
    ('eval "my field"="v" | where \'my field\'="v"', [0, 1, 2, 3]),
    ('eval k=trim("  x  ") | where k="x"', [0, 1, 2, 3]),
    ('eval k=round(2.567, 1) | where k=2.6', [0, 1, 2, 3]),
    ('eval k=abs(-3) | where k=3', [0, 1, 2, 3]),
    ('where isnum(n)', [0, 1]),
    ('where isstr(name)', [0, 1]),
    ('where isint(EventCode)', [0, 1, 2]),
    ('eval k=mvappend(name, "z", missing) | where mvcount(k)=2', [0, 1]),
]


@pytest.mark.parametrize("query, expected", EVAL_CASES)
def test_eval_functions(query, expected):
    assert matched("* | " + query, ROWS) == expected


# --- rex, regex, a later search -------------------------------------------------------------------------
# rex: "Use this command to extract fields using regular expression named groups"; field= (default _raw);
# max_match (default 1, 0 = unlimited). regex: "Removes results that match or do not match the specified
# regular expression" (field= / field!=, default _raw).
LOGS = [
    ev("Updated Lab AV status successfully to SECURITY_PRODUCT_STATE_ON.", cmd="sc stop WinDefend"),
    ev("Updated Windows Defender status successfully to SECURITY_PRODUCT_STATE_SNOOZED.", cmd="net stop MpsSvc"),
    ev("no status here ip=10.0.0.1 ip=10.0.0.2", cmd="sc query WinDefend"),
]
REX_CASES = [
    ('rex "Updated (?<product>.+?) status" | where product="Lab AV"', [0]),
    ('rex "Updated (?<product>.+?) status" | where isnull(product)', [2]),
    ('rex field=_raw "to (?<state>SECURITY_PRODUCT_STATE_\\w+)" | where state="SECURITY_PRODUCT_STATE_ON"', [0]),
    ('rex field=cmd "(?i)(?:sc\\s+stop|net\\s+stop)\\s+(?<svc>\\w+)" | where svc="WinDefend"', [0]),
    ('rex field=cmd "(?i)(?:sc\\s+stop|net\\s+stop)\\s+(?<svc>\\w+)" | where isnotnull(svc)', [0, 1]),
    ('rex "ip=(?<ip>[\\d.]+)" | where ip="10.0.0.1"', [2]),
    ('rex max_match=0 "ip=(?<ip>[\\d.]+)" | where mvcount(ip)=2', [2]),
    ('rex max_match=2 "ip=(?<ip>[\\d.]+)" | where mvindex(ip, 1)="10.0.0.2"', [2]),
    ('rex field=missing "(?<x>.)" | where isnotnull(x)', []),
    ('regex "SNOOZED"', [1]),
    ('regex _raw!="SNOOZED"', [0, 2]),
    ('regex cmd="^sc "', [0, 2]),
    ('regex cmd!="^sc "', [1]),
    ('regex cmd="(?i)WINDEFEND$"', [0, 2]),
    ('search cmd="sc *"', [0, 2]),
    ('search cmd="SC *" NOT snoozed', [0, 2]),
    ("search successfully", [0, 1]),
    ("search SECURITY_PRODUCT_STATE_ON", [0]),
]


@pytest.mark.parametrize("query, expected", REX_CASES)
def test_rex_regex_and_search(query, expected):
    assert matched("* | " + query, LOGS) == expected


# --- stats, eventstats, streamstats, and the commands after them ---------------------------------------------
# stats: "one row is returned for each distinct value specified in the BY clause"; results without a
# BY value form no row; the returned events are those that took part in a row (evaluation contract).
AUTH = [
    {"_raw": "a", "_time": 10, "user": "alice", "src": "1.1.1.1", "action": "failure"},
    {"_raw": "b", "_time": 20, "user": "alice", "src": "2.2.2.2", "action": "failure"},
    {"_raw": "c", "_time": 30, "user": "alice", "src": "1.1.1.1", "action": "success"},
    {"_raw": "d", "_time": 40, "user": "bob", "src": "3.3.3.3", "action": "failure"},
    {"_raw": "e", "_time": 50, "src": "4.4.4.4", "action": "failure"},
]
STATS_CASES = [
    ("stats count", [0, 1, 2, 3, 4]),
    ("stats count by user", [0, 1, 2, 3]),                          # no user: no row
    ("stats count by user | where count>2", [0, 1, 2]),
    ("stats count by user | where count=1", [3]),
    ("stats count by user | where count>5", []),
    ("search action=failure | stats count by user | where count>=2", [0, 1]),
    ("stats dc(src) as sources by user | where sources=2", [0, 1, 2]),
    ("stats dc(src) as sources by user | where sources=1", [3]),
    ("stats values(action) as actions by user | where mvcount(actions)=2", [0, 1, 2]),
    ('stats values(action) as actions by user | where mvcount(actions)=1 AND actions="failure"', [3]),
    ("stats count(user) as n | where n=4", [0, 1, 2, 3, 4]),
    ("stats min(_time) as first max(_time) as last by user | where last-first=20", [0, 1, 2]),
    ('stats earliest(src) as e latest(src) as l by user | where e="1.1.1.1" AND l="1.1.1.1"', [0, 1, 2]),
    ('stats latest(action) as last by user | where last="success"', [0, 1, 2]),
    ('stats earliest(action) as first by user | where first="failure"', [0, 1, 2, 3]),
    ('stats count(eval(action="failure")) as failures by user | where failures=2', [0, 1, 2]),
    ("stats count by user, src | where count=2", [0, 2]),
    ("stats count by action | where count=4", [0, 1, 3, 4]),
    ("stats count by user | search user=bob", [3]),
    ("stats count by user | sort - count | head 1", [0, 1, 2]),
    ("stats count by user | sort count | head 1", [3]),
    ("stats count by user | rename user as account | where account=\"bob\"", [3]),
    ("stats count by user | table user | where isnull(count)", [0, 1, 2, 3]),
    ("stats count by user | fields - count | where isnull(count)", [0, 1, 2, 3]),
    ("stats count as c by user | fields user | where isnull(c)", [0, 1, 2, 3]),
    ("eventstats count as n by user | where n=3", [0, 1, 2]),
    ("eventstats count as n by user | where isnull(n)", [4]),
    ("eventstats dc(user) as users | where users=2", [0, 1, 2, 3, 4]),
    ("streamstats count as n by user | where n=1", [2, 3]),       # newest first: _time 30 is alice's first
    ("sort _time | streamstats count as n by user | where n=1", [0, 3]),
    ("sort _time | streamstats count as n | where n<=2", [0, 1]),
    ("dedup user", [2, 3]),                                        # newest first per user; no user: dropped
    ("dedup user keepempty=true", [2, 3, 4]),
    ("sort _time | dedup user", [0, 3]),
    ("dedup 2 user", [1, 2, 3]),
    ("dedup action", [2, 4]),
    ("head 2", [3, 4]),
    ("sort _time | head 2", [0, 1]),
    ("sort 0 - _time | head 1", [4]),
    ("sort src | head 1", [2]),                                   # two with 1.1.1.1: the newest first
    ("tail 1", [0]),
    ("reverse | head 1", [0]),
    ("fillnull value=unknown user | where user=\"unknown\"", [4]),
    ("fillnull user | where user=0", [4]),
    ('stats count by user | append [search action=success | eval note="x"] | where isnotnull(note)', [2]),
    ("stats count by user | append [search user=bob]", [0, 1, 2, 3]),
    ("table user src | where src=\"4.4.4.4\"", [4]),
    ('rename src as source_ip | where source_ip="3.3.3.3"', [3]),
    ('rename src as source_ip | where isnull(src)', [0, 1, 2, 3, 4]),
    ("stats count by user | where user=\"nobody\"", []),
    ("stats list(src) as s by user | where mvcount(s)=3", [0, 1, 2]),
    ("stats sum(_time) as t by user | where t=60", [0, 1, 2]),
    ("stats avg(_time) as t by user | where t=40", [3]),
    ("stats first(src) as s by user | where s=\"1.1.1.1\"", [0, 1, 2]),   # first in result order: _time 30
    ("stats last(src) as s by user | where s=\"1.1.1.1\"", [0, 1, 2]),
    ('convert ctime(_time) | where _time="01/01/1970 00:00:50"', [4]),
    ("mvexpand user | stats count by user", [0, 1, 2, 3]),
]


@pytest.mark.parametrize("query, expected", STATS_CASES)
def test_stats_family_and_result_commands(query, expected):
    assert matched("* | " + query, AUTH) == expected


# --- tstats over CIM data models ------------------------------------------------------------------------
# tstats from datamodel=Endpoint.Processes reads the events of the Processes dataset (CIM: tags process
# and report) with the fields named Processes.<field>; `drop_dm_object_name(Processes)` renames them back.
PROC = [
    {"_raw": "p1", "_time": 1, "tag": ["process", "report"], "process": "auditctl -e 0", "process_name": "auditctl",
     "dest": "h1", "user": "root", "parent_process_name": "sh"},
    {"_raw": "p2", "_time": 2, "tag": ["process", "report"], "process": "auditctl -l", "process_name": "auditctl",
     "dest": "h1", "user": "root", "parent_process_name": "sh"},
    {"_raw": "p3", "_time": 3, "tag": ["process"], "process": "auditctl -e 0", "process_name": "auditctl",
     "dest": "h2", "user": "root", "parent_process_name": "sh"},
    {"_raw": "p4", "_time": 4, "tag": ["process", "report"], "process": "auditctl -e 0", "process_name": "auditctl",
     "dest": "h3", "user": "root"},
    {"_raw": "r1", "_time": 5, "tag": ["endpoint", "registry", "change"], "registry_value_name": "EnableFirewall",
     "registry_path": "HKLM\\x\\EnableFirewall", "registry_value_data": "DWORD (0x00000000)", "dest": "h1",
     "user": "u"},
]
TS = "| tstats count from datamodel=Endpoint.Processes "
TSTATS_CASES = [
    (TS + 'where Processes.process="*auditctl*" by Processes.dest', [0, 1, 3]),   # p3 lacks the report tag
    (TS + 'where Processes.process="*-e 0*" by Processes.dest', [0, 3]),
    (TS + 'where Processes.process="*-E 0*" by Processes.dest', [0, 3]),         # search semantics
    (TS + 'where Processes.process="*-e 0*" by Processes.dest Processes.parent_process_name', [0]),
    (TS + "where Processes.process_name=auditctl by Processes.dest | `drop_dm_object_name(Processes)` "
     '| where dest="h3"', [3]),
    (TS + "where Processes.process_name=auditctl by Processes.dest | rename Processes.* as * | where count=2", [0, 1]),
    (TS + "where Processes.process_name=ln by Processes.dest", []),
    ("| tstats summariesonly=false count from datamodel=Endpoint.Registry where "
     'Registry.registry_value_name="EnableFirewall" by Registry.dest Registry.user', [4]),
    ("| tstats count from datamodel=Endpoint.Registry where Registry.registry_value_data=0 by Registry.dest", []),
    ("| tstats count min(_time) as f from datamodel=Endpoint.Processes by Processes.user | where f=1", [0, 1, 3]),
    ("| tstats fillnull_value=NONE count from datamodel=Endpoint.Processes where Processes.dest=h1 "
     "by Processes.dest", [0, 1]),
    ("| tstats fillnull_value=NONE count from datamodel=Endpoint.Processes where Processes.dest=h3 "
     "by Processes.parent_process_name | where 'Processes.parent_process_name'=\"NONE\"", [3]),
    ("| tstats count from datamodel=Endpoint.Processes where Processes.dest=h3 by Processes.parent_process_name",
     []),
]


@pytest.mark.parametrize("query, expected", TSTATS_CASES)
def test_tstats_over_data_models(query, expected):
    assert matched(query, PROC, CONTEXT) == expected


# --- lookup and inputlookup: only when declared ------------------------------------------------------------
LOOKUPS = EvaluationContext(lookups={"sanctioned": [{"product": "Windows Defender", "ok": "yes"}],
                                     "admins": [{"user": "alice", "role": "admin"}, {"user": "bob", "role": "ops"}]})
LOOKUP_CASES = [
    ("lookup admins user OUTPUT role | where role=\"admin\"", [0, 1, 2]),
    ("lookup admins user OUTPUT role | where isnull(role)", [4]),
    ("lookup admins user | where role=\"ops\"", [3]),
    ("lookup admins user AS user OUTPUTNEW role AS r | where r=\"ops\"", [3]),
]


@pytest.mark.parametrize("query, expected", LOOKUP_CASES)
def test_declared_lookups(query, expected):
    assert matched("* | " + query, AUTH, LOOKUPS) == expected


def test_inputlookup_returns_no_events():
    evaluation = run("| inputlookup admins | where role=\"admin\"", AUTH, LOOKUPS)
    assert evaluation.ok and evaluation.matched == []


@pytest.mark.parametrize("query", ["* | lookup nowhere user OUTPUT role", "| inputlookup nowhere"])
def test_undeclared_lookups_are_not_evaluated(query):
    evaluation = run(query, AUTH, LOOKUPS)
    assert not evaluation.ok and "nowhere" in evaluation.reason


# --- what is not evaluated: ok False, the construct named, with its position ----------------------------------
NOT_EVALUATED = [
    ("* | transaction user", "transaction", "1:5"),
    ("* | join user [search x]", "join", "1:5"),
    ("* | timechart count", "timechart", "1:5"),
    ("* | eval k=strftime(_time, \"%Y\")", "strftime", "1:12"),
    ("* | where x=[search y | return x]", "subsearch", None),
    ("a [search b]", "subsearch used as a search filter", "1:3"),
    ("* | stats perc95(x)", "perc95", None),
    ("* | sort num(x)", "sort by a function", None),
    ("* | rex mode=sed \"s/a/b/\"", "mode", None),
    ("* | eval k=match(_raw, \"a\\\\Rb\")", "PCRE construct", None),
    ('* | eval k=match(_raw, "a(?i)b")', "flags set in the middle", None),
    ("* | eval k=$token$", "placeholder", None),
    ("earliest=-1mon x", "months", None),
    ("x OR earliest=-1h", "time modifier earliest under OR", None),
    ("| tstats count from datamodel=Endpoint.Processes by Processes.nope", "not a field of the data model", None),
    ("| tstats count from datamodel=Web.Web by Web.url", "data model Web.Web", None),
    ("| tstats count where index=main by host", "indexed fields", None),
    ("| makeresults", "starts with the command makeresults", None),
    ("* | foreach * [eval <<FIELD>>=1]", "foreach", None),
    ("* | eval k=if(\"a\", 1, 2)", "not a Boolean", None),
]


@pytest.mark.parametrize("query, construct, position", NOT_EVALUATED)
def test_constructs_not_evaluated(query, construct, position):
    evaluation = run(query, [ev("x", _time=1, x="1")])
    assert not evaluation.ok, evaluation
    assert construct in evaluation.reason
    if position:
        assert evaluation.reason.startswith(position + ":")


# Undocumented points, read conservatively: not evaluated rather than guessed.
CONSERVATIVE = [
    ("x=1", [ev("a", x="1.0")], "only numerically"),
    ("x<abc", [ev("a", x="b")], "not a number"),
    ("x>1", [ev("a", x="abc")], "not a number"),
    ("x!=a", [ev("a", x=["a", "b"])], "multivalue"),
    ('* | where x="1.0"', [ev("a", x="1")], "equal only as numbers"),
    ('* | where x<"b"', [ev("a", x="a")], "not both numbers"),
    ("* | where NOT x=1", [ev("a")], "NOT of a null"),
    ('* | where x="a"', [ev("a", x=["a", "b"])], "multivalue"),
    ("* | eval k=x=1", [ev("a", x="1")], "Boolean"),
    ('x="a\\*b"', [ev("a", x="a*b")], "escaped asterisk"),
    ("* | sort x desc", [ev("a", x="1")], "desc"),
    ("x=1", [ev("a", x={"y": 1})], "object"),
]


@pytest.mark.parametrize("query, events, construct", CONSERVATIVE)
def test_undocumented_semantics_are_not_guessed(query, events, construct):
    evaluation = run(query, events)
    assert not evaluation.ok and construct in evaluation.reason, evaluation


def test_undocumented_semantics_do_not_block_when_not_reached():
    # x=1 against "1.0" is undecided, but the AND has already failed on y.
    assert matched("y=2 x=1", [ev("a", x="1.0", y="3")]) == []
    assert matched('* | where isnotnull(x) AND NOT x IN ("a")', [ev("a")]) == []


# --- bad input and hostile input: a bounded time, ok False with a reason --------------------------------------

def test_events_must_be_a_list_of_objects():
    assert not run("x", "not a list").ok
    assert not run("x", [1, 2]).ok


def test_a_query_that_does_not_parse():
    evaluation = run("x | where (", [ev("x")])
    assert not evaluation.ok and "does not parse" in evaluation.reason


def test_a_huge_event_is_bounded():
    huge = ev("a " * 2_000_000 + "needle", field="b" * 5_000_000)
    started = time.perf_counter()
    evaluation = run('needle field="*c*" | where match(field, "(b+)+c")', [huge])
    assert time.perf_counter() - started < 20  # a hang guard (a hang takes minutes), generous for a busy machine
    assert evaluation.ok or evaluation.reason


def test_a_backtracking_regex_is_not_evaluated():
    started = time.perf_counter()
    evaluation = run('* | where match(x, "^(a|aa)+$")', [ev("a", x="a" * 60 + "b")])
    assert time.perf_counter() - started < 20  # a hang guard (a hang takes minutes), generous for a busy machine
    assert not evaluation.ok and "backtracks" in evaluation.reason


def test_a_backtracking_rex_is_not_evaluated():
    evaluation = run('* | rex field=x "^(?<y>(a|aa)+)$"', [ev("a", x="a" * 60 + "b")])
    assert not evaluation.ok and "backtracks" in evaluation.reason


def test_a_deeply_nested_value_is_not_evaluated():
    value: dict = {}
    node = value
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    evaluation = run("x=1", [ev("x", x=value)])
    assert not evaluation.ok and evaluation.reason


def test_many_events_are_bounded():
    events = [ev(f"line {i} with words", n=str(i)) for i in range(10_000)]
    started = time.perf_counter()
    evaluation = run("* | stats count by n | where count>0", events)
    assert time.perf_counter() - started < 20  # a hang guard (a hang takes minutes), generous for a busy machine
    assert evaluation.ok and len(evaluation.matched) == 10_000 or not evaluation.ok
