"""LogScale (CQL) evaluation semantics: (query, events, expected) cases written by hand from the
LogScale documentation (library.humio.com), each semantic point with a positive and a negative case.
`expected` is the list of returned event indexes, or ("not", "words") when the query must not be
evaluated (ok False, the reason naming the construct)."""
from __future__ import annotations

import time

import pytest

from tooling.languages import get_language
from tooling.languages.evaluation import EvaluationContext

LANG = get_language("logscale")
NOT = "not"


def ev(**fields):
    return dict(fields)


PR = ev(**{"#event_simpleName": "ProcessRollup2", "event_platform": "Win", "CommandLine": "Powershell -enc AAAA",
           "ImageFileName": "\\Device\\HarddiskVolume3\\Windows\\System32\\powershell.exe", "UserName": "admin",
           "@rawstring": '{"CommandLine":"Powershell -enc AAAA","event_simpleName":"ProcessRollup2"}',
           "@timestamp": 1767268800000})
REG = ev(**{"#event_simpleName": "RegGenericValueUpdate", "event_platform": "Win",
            "RegObjectName": "\\REGISTRY\\MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows Defender",
            "RegValueName": "DisableAntiSpyware", "RegNumericValue": "1", "@rawstring": "reg", "@timestamp": 1767268801000})
LIN = ev(**{"#event_simpleName": "ProcessRollup2", "event_platform": "Lin", "CommandLine": "auditctl -e 0",
            "ImageFileName": "/usr/sbin/auditctl", "@rawstring": "auditctl -e 0", "@timestamp": 1767268802000})
THREE = [PR, REG, LIN]

CASES: list[tuple[str, str, list, object]] = []


def case(name, query, events, expected):
    CASES.append((name, query, events, expected))


# --- Tag filters: "Tag filters are a special kind of field filter. They behave in the same way as
# regular Query Filters" (Operators). ---------------------------------------------------------
case("tag equals", "#event_simpleName=ProcessRollup2", THREE, [0, 2])
case("tag other value", "#event_simpleName=RegGenericValueUpdate", THREE, [1])
case("tag no such value", "#event_simpleName=DnsRequest", THREE, [])
case("tag case-sensitive", "#event_simpleName=processrollup2", THREE, [])
case("tag regex anchored alternatives", "#event_simpleName=/^(ProcessRollup2|RegGenericValueUpdate)$/", THREE, [0, 1, 2])
case("tag regex prefix", "#event_simpleName=/^Reg/", THREE, [1])
case("tag regex no match", "#event_simpleName=/^Asep/", THREE, [])
case("tag wildcard", "#event_simpleName=Reg*", THREE, [1])
case("tag not equal", "#event_simpleName!=ProcessRollup2", THREE, [1])
case("repo tag", "#repo=base_sensor", [ev(**{"#repo": "base_sensor"}), ev(**{"#repo": "falcon"})], [0])
case("repo tag negative", "#repo=base_sensor", [ev(**{"#repo": "3pi"})], [])
case("type tag regex", "#type=/^syslog/", [ev(**{"#type": "syslog-utc"}), ev(**{"#type": "json"})], [0])
case("type tag missing", "#type=syslog", [ev(a="1")], [])
case("tag and field", "#event_simpleName=ProcessRollup2 event_platform=Lin", THREE, [2])
case("tag and field negative", "#event_simpleName=ProcessRollup2 event_platform=Mac", THREE, [])

# --- Free text on @rawstring: case-sensitive (wildcard(pattern=horse, ignoreCase=false) "is
# equivalent to the freetext search "horse""), /regex/i for case-insensitive. -----------------
case("free text word", "auditctl", THREE, [2])
case("free text quoted", '"enc AAAA"', THREE, [0])
case("free text substring", "ditct", THREE, [2])
case("free text case-sensitive", "AUDITCTL", THREE, [])
case("free text case-sensitive 2", '"powershell -enc"', THREE, [])
case("free text regex i", "/POWERSHELL -ENC/i", THREE, [0])
case("free text regex case-sensitive", "/POWERSHELL/", THREE, [])
case("free text regex anywhere", "/-e 0/", THREE, [2])
case("free text regex anchored", "/^auditctl/", THREE, [2])
case("free text regex anchored negative", "/^reg$/", THREE, [1])
case("free text wildcard", '"Power*enc"', THREE, [0])
case("free text wildcard negative", '"Power*zzz"', THREE, [])
case("free text star alone", "*", THREE, [0, 1, 2])
case("free text only raw, not other fields", "admin", THREE, [])
case("free text two terms AND", "auditctl 0", THREE, [2])
case("free text two terms one missing", "auditctl 1", THREE, [])
case("free text without @rawstring", "foo", [ev(a="foo")], (NOT, "@rawstring"))
case("@rawstring wildcard", '@rawstring="*enc*"', THREE, [0])
case("@rawstring exact only", '@rawstring="enc"', THREE, [])

# --- field=value: exact, whole value, case-sensitive ("The value must match exactly, including the
# case"); `*` wildcards, anchored (animal=/\Ahorse\z/i "Note that it is anchored"). -------------
FIELD = [
    ("exact", "UserName=admin", True), ("exact other case", "UserName=Admin", False),
    ("exact prefix only", "UserName=adm", False), ("quoted exact", 'UserName="admin"', True),
    ("trailing star", "UserName=adm*", True), ("leading star", "UserName=*min", True),
    ("both stars", "UserName=*dmi*", True), ("star middle", "UserName=a*n", True),
    ("star middle negative", "UserName=a*x", False), ("star case", "UserName=ADM*", False),
    ("quoted star is wildcard", 'UserName="ad*"', True), ("escaped star literal", 'UserName="ad\\*"', False),
    ("star alone: field exists", "UserName=*", True), ("star alone: missing field", "Nope=*", False),
    ("empty string", 'UserName=""', False), ("path with quoted backslashes", 'ImageFileName="*\\\\powershell.exe"', True),
    ("path backslashes negative", 'ImageFileName="*\\\\cmd.exe"', False),
    ("number as text", "RegNumericValue=1", None), ("dotted field", "a.b=c", None),
]
for name, query, hit in FIELD:
    if hit is None:
        continue
    case(f"field {name}", query, [PR], [0] if hit else [])
case("number field equal", "RegNumericValue=1", THREE, [1])
case("number field not equal value", "RegNumericValue=0", THREE, [])
case("JSON number read as text", "n=1", [ev(n=1), ev(n=2), ev(n="1")], [0, 2])
case("JSON bool read as text", "b=true", [ev(b=True), ev(b=False)], [0])
case("empty value matches empty", 'x=""', [ev(x=""), ev(x="a"), ev()], [0])
case("missing field fails =", "x=a", [ev(y="a")], [])
case("missing field fails wildcard", "x=*a*", [ev(y="a")], [])
case("missing field fails regex", "x=/a/", [ev(y="a")], [])
case("nested object field", "Vendor.userIdentity.arn=*user*", [ev(Vendor={"userIdentity": {"arn": "arn:user/x"}}),
                                                                ev(Vendor={"userIdentity": {"arn": "role"}})], [0])
case("flat dotted field", "Vendor.eventName=StopLogging", [ev(**{"Vendor.eventName": "StopLogging"}),
                                                           ev(**{"Vendor.eventName": "StartLogging"})], [0])
case("array element field", "a[1]=y", [ev(a=["x", "y"]), ev(a=["y", "x"])], [0])
case("array element out of range", "a[5]=y", [ev(a=["x", "y"])], [])
case("object is not a value", "a=*", [ev(a={"b": "c"}), ev(a="v")], [1])
case("unquoted backslash not evaluated", "p=C:\\x", [ev(p="C:\\x")], (NOT, "backslash"))
case("unknown string escape not evaluated", 'p="a\\nb"', [ev(p="a")], (NOT, "escape"))
case("query parameter not evaluated", "p=?value", [ev(p="a")], (NOT, "parameter"))

# --- field=/regex/flags: unanchored (name = /download/ is text:contains(name, "download")), JitRex
# flags i, m, d, F ("Regular Expression Flags"). ---------------------------------------------
REGEX = [
    ("anywhere", "CommandLine=/-enc/", True), ("anywhere negative", "CommandLine=/-nop/", False),
    ("case-sensitive", "CommandLine=/powershell/", False), ("i flag", "CommandLine=/powershell/i", True),
    ("anchored start", "CommandLine=/^Powershell/", True), ("anchored start negative", "CommandLine=/^-enc/", False),
    ("anchored end", "CommandLine=/AAAA$/", True), ("anchored end negative", "CommandLine=/enc$/", False),
    ("alternation", "CommandLine=/(cmd|enc)/", True), ("alternation negative", "CommandLine=/(cmd|bat)/", False),
    ("escaped slash", "ImageFileName=/\\\\powershell\\.exe$/i", True),
    ("escaped dot negative", "ImageFileName=/powershell\\.ex$/", False),
    ("F flag same language", "CommandLine=/-enc/F", True), ("F flag negative", "CommandLine=/-ENC/F", False),
    ("word boundary", "CommandLine=/\\benc\\b/", True), ("word boundary negative", "CommandLine=/\\bnc\\b/", False),
    ("digit class", "CommandLine=/\\d/", False), ("space class", "CommandLine=/\\s-enc\\s/", True),
    ("not equal regex", "CommandLine!=/enc/", False), ("not equal regex negative", "CommandLine!=/cmd/", True),
]
for name, query, hit in REGEX:
    case(f"regex {name}", query, [PR], [0] if hit else [])
MULTI = ev(t="first line\nsecond line")
case("regex m flag: ^ at a line", "t=/^second/m", [MULTI], [0])
case("regex without m: ^ at the start only", "t=/^second/", [MULTI], [])
case("regex $ without m", "t=/line$/", [MULTI], [0])
case("regex $ with m at first line", "t=/first line$/m", [MULTI], [0])
case("regex $ without m not at first line", "t=/first line$/", [MULTI], [])
case("regex d flag: . matches newline", "t=/line.second/d", [MULTI], [0])
case("regex without d: . stops at newline", "t=/line.second/", [MULTI], [])
case("regex unknown flag not evaluated", "t=/x/z", [MULTI], (NOT, "flag"))
case("regex unsupported possessive", "t=/a++/", [MULTI], (NOT, "possessive"))
case("regex unsupported \\p{}", "t=/\\p{L}/", [MULTI], (NOT, "support"))
case("regex unsupported \\h", "t=/\\h/", [MULTI], (NOT, "support"))
case("regex named group extracts", "CommandLine=/-enc (?<payload>\\S+)/ | payload=AAAA", [PR], [0])
case("regex named group extracts negative", "CommandLine=/-enc (?<payload>\\S+)/ | payload=BBBB", [PR], [])
case("free-text regex named group", "/\"CommandLine\":\"(?<c>[^\"]+)\"/ | c=*enc*", [PR], [0])
case("regex named group in or not evaluated", "a=/(?<x>b)/ or c=d", [ev(a="b")], (NOT, "named groups"))

# --- != and not: "If the specified field is not present in an event, then the comparison always
# fails -- unless it is !=", and `not (foo = *)` / `foo != *` find events without foo. ---------
case("!= value", "UserName!=admin", [ev(UserName="admin"), ev(UserName="bob")], [1])
case("!= passes missing field", "UserName!=admin", [ev(x="1")], [0])
case("!= * finds missing field", "UserName!=*", [ev(UserName="a"), ev(x="1")], [1])
case("not (foo=*) finds missing field", "not (UserName=*)", [ev(UserName="a"), ev(x="1")], [1])
case("not keyword", "not UserName=admin", [ev(UserName="admin"), ev(UserName="bob"), ev()], [1, 2])
case("! operator", "!UserName=admin", [ev(UserName="admin"), ev(UserName="bob")], [1])
case("!= wildcard", "UserName!=ad*", [ev(UserName="admin"), ev(UserName="bob")], [1])
case("!= case-sensitive", "UserName!=ADMIN", [ev(UserName="admin")], [0])
case("not regex", "not CommandLine=/enc/", THREE, [1, 2])
case("double negation", "not not UserName=admin", [ev(UserName="admin"), ev(UserName="bob")], [0])

# --- and / or / precedence: implicit AND; LogScale reads `a and b or c` as `a and (b or c)`. -------
case("or", "UserName=admin or UserName=bob", [ev(UserName="admin"), ev(UserName="bob"), ev(UserName="eve")], [0, 1])
case("or none", "UserName=x or UserName=y", [ev(UserName="admin")], [])
case("and explicit", "a=1 and b=2", [ev(a="1", b="2"), ev(a="1", b="3")], [0])
case("and implicit", "a=1 b=2", [ev(a="1", b="2"), ev(a="1")], [0])
case("or binds tighter than and", "a=1 b=2 or c=3", [ev(a="1", c="3"), ev(b="2", c="3"), ev(a="1", b="2")], [0, 2])
case("parentheses", "(a=1 or a=2) and b=3", [ev(a="2", b="3"), ev(a="3", b="3")], [0])
case("not with or", "not (a=1 or a=2)", [ev(a="1"), ev(a="3"), ev()], [1, 2])

# --- Numeric comparisons: "You can only perform a comparison between numbers" (Operators). -------
NUMS = [ev(n="5"), ev(n="10"), ev(n="abc"), ev()]
case("greater than", "n>6", NUMS, [1])
case("greater or equal", "n>=5", NUMS, [0, 1])
case("less than", "n<6", NUMS, [0])
case("less or equal", "n<=10", NUMS, [0, 1])
case("numeric not text order", "n>9", NUMS, [1])
case("decimal", "n>4.5", NUMS, [0, 1])
case("compare with non-number not evaluated", "n>abc", NUMS, (NOT, "not a number"))
case("== in a filter not evaluated", "n==5", NUMS, (NOT, "=="))
case("like not evaluated", "n like 5", NUMS, (NOT, "like"))

# --- in(field, values=[...], ignoreCase=false): "Values can contain wildcards"; negatable. -------
USERS = [ev(u="Admin"), ev(u="bob"), ev(u="eve"), ev()]
case("in exact", 'in(field="u", values=["bob", "eve"])', USERS, [1, 2])
case("in case-sensitive by default", 'in(field="u", values=["admin"])', USERS, [])
case("in ignoreCase", 'in(field="u", values=["admin"], ignoreCase=true)', USERS, [0])
case("in ignoreCase false", 'in(field="u", values=["admin"], ignoreCase=false)', USERS, [])
case("in wildcard", 'in(field="u", values=["b*"])', USERS, [1])
case("in wildcard anchored", 'in(field="u", values=["o*"])', USERS, [])
case("in positional field", 'in(u, values=["eve"])', USERS, [2])
case("in missing field", 'in(field="nope", values=["bob"])', USERS, [])
case("!in", '!in(field="u", values=["bob"])', USERS, [0, 2, 3])
case("not in", 'not in(field="u", values=["bob", "eve"])', USERS, [0, 3])
case("in numbers", "in(field=n, values=[5, 7])", NUMS, [0])
case("in numbers negative", "in(field=n, values=[6])", NUMS, [])
case("field =~ in()", 'u =~ in(values=["eve"])', USERS, [2])
case("in without values", 'in(field="u")', USERS, (NOT, "values"))

# --- wildcard(): anchored on a field, free text without one; ignoreCase. -------------------------
ANIMALS = [ev(animal=a, **{"@rawstring": f"animal={a}"}) for a in
           ["horse", "Horse", "duck", "HORSES", "crazy hOrSe", "hooorse", "dancing with horses"]]
case("wildcard exact case-sensitive", "wildcard(field=animal, pattern=horse, ignoreCase=false)", ANIMALS, [0])
case("wildcard ignoreCase anchored", "wildcard(field=animal, pattern=horse, ignoreCase=true)", ANIMALS, [0, 1])
case("wildcard with stars", 'wildcard(field=animal, pattern="*horse*")', ANIMALS, [0, 6])
case("wildcard free text", "wildcard(pattern=horse, ignoreCase=false)", ANIMALS, [0, 6])
case("wildcard free text ignoreCase", "wildcard(pattern=horse, ignoreCase=true)", ANIMALS, [0, 1, 3, 4, 6])
case("negated wildcard", "!wildcard(field=animal, pattern=horse)", ANIMALS, [1, 2, 3, 4, 5, 6])
case("field =~ wildcard()", 'animal =~ wildcard("h*e")', ANIMALS, [0, 5])

# --- case { ... }: the first clause whose pipeline returns the event; none: dropped; `*` default.
CASE_Q = 'case { a=1 | k := "one"; a=2 | k := "two"; * | k := "other" } | k=%s'
case("case first branch", CASE_Q % "one", [ev(a="1"), ev(a="2"), ev(a="3")], [0])
case("case second branch", CASE_Q % "two", [ev(a="1"), ev(a="2"), ev(a="3")], [1])
case("case default", CASE_Q % "other", [ev(a="1"), ev(a="2"), ev(a="3")], [2])
case("case no default drops", 'case { a=1 | k := "x"; a=2 | k := "y" }', [ev(a="1"), ev(a="3")], [0])
case("case first matching wins", 'case { a=* | k := "any"; a=1 | k := "one" } | k=one', [ev(a="1")], [])
case("case branch pipeline filters further", 'case { a=1 | b=2 | k := "x"; * | k := "d" } | k=d',
     [ev(a="1", b="3"), ev(a="1", b="2")], [0])
case("case with in()", 'case { in(field="a", values=["1","2"]) | k := "in"; * | k := "out" } | k=in',
     [ev(a="2"), ev(a="3")], [0])
case("case aggregate not evaluated", "case { a=1 | count(); * }", [ev(a="1")], (NOT, "aggregate"))
case("nested case", 'case { a=1 | case { b=1 | k:="x"; * | k:="y" }; * | k:="z" } | k=y',
     [ev(a="1", b="1"), ev(a="1", b="2"), ev(a="2")], [1])

# --- match statements: field match { guard => pipeline }. --------------------------------------
MATCH_Q = 'a match { "x" => k := 1; /^y/ => k := 2; in(values=["z"]) => k := 3; * => k := 4 } | k=%s'
MEVENTS = [ev(a="x"), ev(a="yy"), ev(a="z"), ev(a="w")]
case("match string guard", MATCH_Q % 1, MEVENTS, [0])
case("match regex guard", MATCH_Q % 2, MEVENTS, [1])
case("match function guard", MATCH_Q % 3, MEVENTS, [2])
case("match default", MATCH_Q % 4, MEVENTS, [3])
case("match no default drops", 'a match { "x" => k := 1 }', MEVENTS, [0])

# --- match() against declared lookup files (context.lookups); undeclared: not evaluated. -------
LOOKUP = EvaluationContext(lookups={"admins.csv": [{"user": "alice", "team": "red"}, {"user": "bob", "team": "blue"}]})
case("match lookup strict", 'match(file="admins.csv", field=u, column=user)', [ev(u="alice"), ev(u="eve")],
     ([0], LOOKUP))
case("match lookup includes columns", 'match(file="admins.csv", field=u, column=user) | team=blue',
     [ev(u="alice"), ev(u="bob")], ([1], LOOKUP))
case("match lookup strict=false keeps", 'match(file="admins.csv", field=u, column=user, strict=false)',
     [ev(u="alice"), ev(u="eve")], ([0, 1], LOOKUP))
case("match lookup case-sensitive", 'match(file="admins.csv", field=u, column=user)', [ev(u="Alice")], ([], LOOKUP))
case("match lookup ignoreCase", 'match(file="admins.csv", field=u, column=user, ignoreCase=true)',
     [ev(u="Alice")], ([0], LOOKUP))
case("match undeclared lookup", 'match(file="other.csv", field=u, column=user)', [ev(u="alice")], (NOT, "other.csv"))

# --- := and pipelines: each stage sees the previous stage's output. -----------------------------
case("assign literal then filter", 'k := "v" | k=v', [ev()], [0])
case("assign literal then filter negative", 'k := "v" | k=w', [ev()], [])
case("assign field copy", "k := UserName | k=admin", [PR], [0])
case("assign number", "k := 5 | k>4", [ev()], [0])
case("assign arithmetic", "k := n * 2 + 1 | k=11", [ev(n="5")], [0])
case("assign arithmetic negative", "k := n * 2 + 1 | k=10", [ev(n="5")], [])
case("assign division integral text", "k := n / 5 | k=1", [ev(n="5")], [0])
case("assign boolean literal", "k := true | k=true", [ev()], [0])
case("assign comparison", 'k := n > 3 | k=true', [ev(n="5"), ev(n="1")], [0])
case("assign over missing field then read", "k := nope | k=x", [ev()], (NOT, "does not have"))
case("assign over missing field only shown", "k := nope | table([k])", [ev()], [0])
case("pipeline order matters", "a=1 | a := 2 | a=2", [ev(a="1"), ev(a="2")], [0])
case("pipeline filter after assign", "a := 2 | a=1", [ev(a="1")], [])
case("if()", 'k := if(n > 3, then="big", else="small") | k=big', [ev(n="5"), ev(n="1")], [0])
case("if() else", 'k := if(n > 3, then="big", else="small") | k=small', [ev(n="5"), ev(n="1")], [1])
case("coalesce", "k := coalesce([a, b]) | k=y", [ev(b="y"), ev(a="x", b="y")], [0])

# --- Functions: regex(), replace(), lower(), format(), concat(), test(), length(), splitString().
case("regex() named group", 'regex("user=(?<u>\\\\w+)") | u=bob', [ev(**{"@rawstring": "user=bob"}),
                                                                    ev(**{"@rawstring": "user=eve"})], [0])
case("regex() strict drops non-matching", 'regex("user=(?<u>\\\\w+)")', [ev(**{"@rawstring": "x"})], [])
case("regex() strict=false keeps", 'regex("user=(?<u>\\\\w+)", strict=false)', [ev(**{"@rawstring": "x"})], [0])
case("regex() field=", 'regex("(?<ext>\\\\.\\\\w+)$", field=f) | ext=".exe"', [ev(f="a.exe"), ev(f="a.dll")], [0])
case("regex() flags=i", 'regex("ENC", field=CommandLine, flags=i)', [PR], [0])
case("regex() case-sensitive default", 'regex("ENC", field=CommandLine)', [PR], [])
case("regex() missing field strict", 'regex("x", field=nope)', [ev()], [])
case("regex() repeat not evaluated", 'regex("x", repeat=true)', [ev(**{"@rawstring": "x"})], (NOT, "repeat"))
case("!regex()", '!regex("bob", field=u)', [ev(u="bob"), ev(u="eve")], [1])
case("replace()", 'replace("-enc", with="-e", field=CommandLine) | CommandLine="Powershell -e AAAA"', [PR], [0])
case("replace() all occurrences", 'replace("a", with="b", field=x) | x=bbb', [ev(x="aaa")], [0])
case("replace() as=", 'replace("a", with="b", field=x, as=y) | x=aaa y=bbb', [ev(x="aaa")], [0])
case("replace() group reference", 'replace("(a)(b)", with="$2$1", field=x) | x=ba', [ev(x="ab")], [0])
case("replace() missing field not evaluated", 'replace("a", with="b", field=x)', [ev()], (NOT, "does not have"))
case("lower() as=", "lower(u, as=l) | l=admin", [ev(u="ADMIN"), ev(u="Bob")], [0])
case("lower() default _lower", "lower(u) | _lower=bob", [ev(u="ADMIN"), ev(u="Bob")], [1])
case("lower() in expression", "l := lower(u) | l=admin", [ev(u="AdMiN")], [0])
case("upper()", "upper(u, as=x) | x=BOB", [ev(u="bob")], [0])
case("format()", 'format("%s-%s", field=[a, b], as=f) | f="1-2"', [ev(a="1", b="2"), ev(a="2", b="1")], [0])
case("format() default _format", 'format("%s!", field=[a]) | _format="x!"', [ev(a="x")], [0])
case("format() %d", 'format("%d", field=[a], as=f) | f=7', [ev(a="7")], [0])
case("format() other directive not evaluated", 'format("%x", field=[a])', [ev(a="7")], (NOT, "%x"))
case("concat()", "concat([a, b], as=c) | c=xy", [ev(a="x", b="y"), ev(a="y", b="x")], [0])
case("concat() default _concat", "concat([a, b]) | _concat=yx", [ev(a="x", b="y"), ev(a="y", b="x")], [1])
case("test() equality", 'test(u == "bob")', [ev(u="bob"), ev(u="eve")], [0])
case("test() two fields", "test(a < b)", [ev(a="1", b="2"), ev(a="3", b="2")], [0])
case("test() arithmetic", "test(a + 1 == 3)", [ev(a="2"), ev(a="3")], [0])
case("!test()", "!test(a > 1)", [ev(a="2"), ev(a="0")], [1])
case("test() missing field not evaluated", 'test(nope == "x")', [ev()], (NOT, "does not have"))
case("test() text order not evaluated", 'test(a < "b")', [ev(a="a")], (NOT, "not both numbers"))
case("length()", "length(u, as=n) | n=3", [ev(u="bob"), ev(u="alice")], [0])
case("length() default _length", "length(u) | _length>3", [ev(u="bob"), ev(u="alice")], [1])
case("length() in expression", "n := length(u) | n=5", [ev(u="bob"), ev(u="alice")], [1])
case("splitString() index", 'splitString(field=p, by="/", index=1, as=x) | x=b', [ev(p="a/b/c"), ev(p="b/a")], [0])
case("splitString() array", 'splitString(field=p, by=",") | _splitstring[2]=c', [ev(p="a,b,c"), ev(p="c")], [0])
case("splitString() regex by", 'splitString(field=p, by="\\\\s+", index=0, as=x) | x=a', [ev(p="a   b")], [0])
case("text:contains()", 'text:contains(string=u, substring="li")', [ev(u="alice"), ev(u="bob")], [0])
case("rename()", "rename(field=u, as=user) | user=bob", [ev(u="bob")], [0])
case("drop()", "drop([u]) | u=*", [ev(u="bob")], [])
case("default()", 'default(field=u, value="none") | u=none', [ev(), ev(u="bob")], [0])
case("select()", "select([a]) | b=*", [ev(a="1", b="2")], [])

# --- Aggregates: groupBy (function=), count, collect, stats, selectLast, head/tail, sort, table, bucket.
HOSTS = [ev(h="a", n="1", **{"@timestamp": 1000}), ev(h="b", n="5", **{"@timestamp": 2000}),
         ev(h="a", n="3", **{"@timestamp": 3000})]
case("groupBy count", "groupBy(h) | _count=2", HOSTS, [0, 2])
case("groupBy count negative", "groupBy(h) | _count=3", HOSTS, [])
case("groupBy function=count(as=)", "groupBy(h, function=count(as=c)) | c=1", HOSTS, [1])
case("groupBy function list", "groupBy(h, function=[count(), max(n)]) | _max=3", HOSTS, [0, 2])
case("groupBy sum", "groupBy(h, function=sum(n)) | _sum=4", HOSTS, [0, 2])
case("groupBy missing group field not evaluated", "groupBy(x)", HOSTS, (NOT, "group field"))
case("groupBy collect one value", "groupBy(h, function=collect(n)) | h=b | n=5", HOSTS, [1])
case("groupBy collect many values read", "groupBy(h, function=collect(n)) | n=1", HOSTS, (NOT, "collect"))
case("count()", "count() | _count=3", HOSTS, [0, 1, 2])
case("count() negative", "count() | _count=2", HOSTS, [])
case("count(field, distinct)", "count(h, distinct=true) | _count=2", HOSTS, [0, 1, 2])
case("count over no events", "h=zzz | count()", HOSTS, [])
case("stats list", "[count(), min(n)] | _min=1", HOSTS, [0, 1, 2])
case("stats()", "stats(function=[count(as=c)]) | c=3", HOSTS, [0, 1, 2])
case("selectLast", "groupBy(h, function=selectLast(n)) | n=3", HOSTS, [0, 2])
case("selectLast negative", "groupBy(h, function=selectLast(n)) | n=1", HOSTS, [])
case("head within limit", "head(5)", HOSTS, [0, 1, 2])
case("head cut without sort not evaluated", "head(1)", HOSTS, (NOT, "order"))
case("sort then head", "sort(n, order=desc) | head(1)", HOSTS, [1])
case("sort asc then head", "sort(n, order=asc, limit=1)", HOSTS, [0])
case("sort numeric not text", "sort(n, order=desc, limit=2)", [ev(n="9"), ev(n="10"), ev(n="2")], [0, 1])
case("sort cut between distinct keys", "sort(h, limit=1)", HOSTS, [1])
case("sort tie at cut not evaluated", "sort(h, order=asc, limit=1)", HOSTS, (NOT, "same sort key"))
case("tail after sort", "sort(n, order=asc) | tail(1)", HOSTS, [1])
case("table keeps rows", "table([h])", HOSTS, [0, 1, 2])
case("table projects fields", "table([h]) | n=*", HOSTS, [])
case("table limit sorts by @timestamp desc", "table([h], limit=1)", HOSTS, [2])
case("table sortby", "table([h], sortby=n, order=asc, limit=1)", HOSTS, [0])
case("bucket count", "bucket(span=1h) | _count=3", HOSTS, [0, 1, 2])
case("bucket by field", "bucket(span=1h, field=h) | _count=1", HOSTS, [1])
case("bucket without span", "bucket(buckets=5)", HOSTS, (NOT, "buckets"))

# --- join() and defineTable(): evaluated on the given events only. ------------------------------
JOIN = [ev(kind="proc", pid="1", name="cmd.exe"), ev(kind="net", pid="1", ip="10.0.0.1"), ev(kind="net", pid="2", ip="10.0.0.2")]
case("join inner", 'kind=net | join({kind=proc}, field=pid, key=pid, include=[name]) | name=*', JOIN, [0, 1])
case("join inner drops unmatched", 'kind=net | join({kind=proc}, field=pid, key=pid, include=[name])', JOIN, [0, 1])
case("join left keeps", 'kind=net | join({kind=proc}, field=pid, key=pid, include=[name], mode=left)', JOIN, [0, 1, 2])
case("join value filter", 'kind=net | join({kind=proc}, field=pid, include=[name]) | name="cmd.exe"', JOIN, [0, 1])
case("join other repo not evaluated", 'join({kind=proc}, field=pid, include=[name], repo=x)', JOIN, (NOT, "repository"))
case("defineTable + match", 'defineTable(name="procs", query={kind=proc}, include=[pid, name]) '
     '| kind=net | match(table="procs", field=pid, column=pid)', JOIN, [0, 1])
case("defineTable + match strict=false", 'defineTable(name="procs", query={kind=proc}, include=[pid, name]) '
     '| kind=net | match(table="procs", field=pid, column=pid, strict=false)', JOIN, [0, 1, 2])
case("match undefined table", 'match(table="nope", field=pid, column=pid)', JOIN, (NOT, "defineTable"))

# --- Constructs not evaluated: named, with a position. -------------------------------------------
case("saved search", "$my_search()", [ev()], (NOT, "saved search"))
case("unknown function", "timeChart(span=1h)", [ev()], (NOT, "timeChart"))
case("eval()", "eval(x = 1)", [ev()], (NOT, "eval"))

# --- More anchored-wildcard patterns on one value (Operators: exact, case-sensitive; `*` any run).
PATH = ev(p="C:/Windows/System32/cmd.exe")
GLOBS = [
    ("*cmd.exe", True), ("*CMD.EXE", False), ("C:*", True), ("c:*", False), ("*System32*", True),
    ("*system32*", False), ("C:/Windows/System32/cmd.exe", True), ("C:/Windows/System32/cmd", False),
    ("*/cmd.exe*", True), ("*/cmd.ex", False), ("C:*32*exe", True), ("C:*64*exe", False),
    ("**cmd.exe", True), ("*Windows*cmd*", True), ("*cmd*Windows*", False), ("C:/Windows/*/cmd.exe", True),
]
for pattern, hit in GLOBS:
    case(f"glob {pattern}", f'p="{pattern}"', [PATH], [0] if hit else [])
    case(f"glob negated {pattern}", f'p!="{pattern}"', [PATH], [] if hit else [0])

# --- Expressions: values are strings interpreted by context (Expressions). ----------------------
EXPR = [
    ("k := 2 + 3 | k=5", True), ("k := 2 + 3 | k=6", False), ("k := 7 % 4 | k=3", True),
    ("k := 10 - 4 - 3 | k=3", True), ("k := 1 / 4 | k=0.25", True), ("k := -n | k=-5", True),
    ('k := "a" | k=a', True), ('k := "a" | k=A', False), ("k := n == 5 | k=true", True),
    ("k := n != 5 | k=true", False), ("k := n >= 5 and n <= 5 | k=true", True), ("k := n > 5 or n < 5 | k=true", False),
    ("k := !(n > 5) | k=true", True),
]
for query, hit in EXPR:
    case(f"expression {query}", query, [ev(n="5")], [0] if hit else [])
case("expression over text arithmetic not evaluated", "k := u + 1 | k=2", [ev(u="x")], (NOT, "not a number"))
case("expression 1.0 == 1 not evaluated", 'test(a == 1)', [ev(a="1.0")], (NOT, "disagree"))


@pytest.mark.parametrize(("query", "events", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_semantics(query, events, expected):
    context = None
    if isinstance(expected, tuple) and expected and expected[0] != NOT:
        expected, context = expected
    result = LANG.evaluate(query, events, context)
    if isinstance(expected, tuple):
        assert not result.ok, result
        assert expected[1].lower() in (result.reason or "").lower(), result.reason
        assert result.line is not None and result.column is not None
        return
    assert result.ok, result.reason
    assert result.matched == expected


def test_enough_cases():
    assert len(CASES) >= 300


def test_not_evaluated_position():
    result = LANG.evaluate("a=1\n| timeChart(span=1h)", [ev(a="1")])
    assert not result.ok and (result.line, result.column) == (2, 3)


# --- Hostile input: bounded time, ok False with a reason. ----------------------------------------

def test_huge_event_is_not_evaluated_quickly():
    start = time.perf_counter()
    result = LANG.evaluate("x=/a/", [{"x": "a" * (2 << 20)}])
    assert not result.ok and "size limit" in result.reason
    assert time.perf_counter() - start < 20  # a hang guard (a hang takes minutes), generous for a busy machine


def test_deeply_nested_value_is_not_evaluated():
    path = ".".join(["a"] * 100)
    nested: dict = {"a": "x"}
    for _ in range(99):
        nested = {"a": nested}
    start = time.perf_counter()
    result = LANG.evaluate(f"{path}=x", [nested])
    assert not result.ok and "deep" in result.reason
    assert time.perf_counter() - start < 20  # a hang guard (a hang takes minutes), generous for a busy machine


def test_backtracking_regex_is_bounded():
    start = time.perf_counter()
    result = LANG.evaluate("x=/(a|aa)+$/", [{"x": "a" * 5000 + "b"}])
    assert time.perf_counter() - start < 20  # a hang guard (a hang takes minutes), generous for a busy machine
    assert not result.ok and "backtrack" in result.reason


def test_many_events_respect_the_budget():
    events = [{"x": "a" * 1000 + str(i)} for i in range(10_000)]
    start = time.perf_counter()
    result = LANG.evaluate('x="*a*a*a*a*a*9"', events)
    assert time.perf_counter() - start < 20  # a hang guard (a hang takes minutes), generous for a busy machine
    assert result.ok or "budget" in result.reason
