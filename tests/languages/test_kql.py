"""KQL grammar: valid queries parse, broken ones give DAC301 at the offending token."""
from __future__ import annotations

import pytest

from tooling.languages import get_language

KQL = get_language("kql")

# The T1562 detection (Impair Defenses) exactly as published for the KQL tab.
T1562 = """\
let SecurityServiceNames = dynamic(["WinDefend", "MsMpSvc", "Sense", "WdNisSvc", "WdNisDrv", "WdFilter", "WdBoot", "SecurityHealthService", "wscsvc", "EventLog", "MpsSvc"]);
let SuspiciousCommands = dynamic(["sc stop", "sc config", "net stop", "taskkill", "Set-MpPreference", "DisableRealtimeMonitoring", "DisableBehaviorMonitoring", "Remove-MpPreference", "auditpol /clear", "auditpol /set", "wevtutil cl", "bcdedit /set", "netsh advfirewall set"]);
union DeviceProcessEvents, DeviceRegistryEvents
| where Timestamp > ago(24h)
| extend CommandLine = coalesce(ProcessCommandLine, "")
| where CommandLine has_any (SuspiciousCommands)
or (ActionType == "RegistryValueSet" and RegistryKey has_any ("WinDefend", "EventLog", "SecurityHealth", "MpsSvc"))
| extend StoppedService = extract(@"(?:sc\\s+(?:stop|config)|net\\s+stop)\\s+([\\w]+)", 1, CommandLine)
| extend IsSecurityService = StoppedService in (SecurityServiceNames)
| project Timestamp, DeviceName, AccountName, ActionType, CommandLine, RegistryKey, RegistryValueName, RegistryValueData, StoppedService, IsSecurityService
| sort by Timestamp desc
"""

VALID = [
    # statements, let forms, comments
    "DeviceProcessEvents",
    "DeviceProcessEvents | take 10;",
    "let Threshold = 5;\nlet Window = 1.5h;\nSigninLogs | where TimeGenerated > ago(Window) | take Threshold",
    "// leading comment\nSecurityEvent // trailing comment\n| where EventID == 4625 // why\n| count",
    "let Admins = datatable (Name:string, Level:long) ['alice', 1, 'bob', 2,];\nAdmins | where Level > 1",
    "let IsRare = (n:long, limit:long = 3) { n < limit };\nT | where IsRare(Count)",
    "let Recent = (Tbl:(*), Since:timespan) { Tbl | where TimeGenerated > ago(Since) };\nRecent(SigninLogs, 1d)",
    "let Top = view () { SecurityAlert | top 5 by TimeGenerated desc };\nTop",
    "let Hosts = materialize(DeviceInfo | distinct DeviceName);\nHosts | count",
    "let Cutoff = toscalar(DeviceEvents | summarize max(Timestamp));\nDeviceEvents | where Timestamp == Cutoff",
    "set notruncation;\nDeviceEvents | take 1",
    "let 2023Iocs = dynamic(['1.2.3.4']);\nDeviceNetworkEvents | where RemoteIP in (2023Iocs)",
    # literals
    "T | where Timestamp between (datetime(2024-01-01) .. datetime(2024-01-31 23:59:59))",
    "T | where Duration > 100ms and Duration < 2min and Age < 7days and Gap > 30s",
    "T | where Path == @'C:\\Windows\\System32' or Path == @\"C:\\Temp\\\"\"quoted\"\"\"",
    "T | where Secret == h'hunter2' and Other == h@\"c:\\x\"",
    "T | extend Script = ```line one\nline \"two\"\n```",
    "T | extend Joined = 'con' \"cat\" 'enated'",
    "T | extend Id = guid(74be27de-1e4e-49d9-b579-fe0b331d3642), Big = 1e6, Hex = 0xFF, Neg = -3",
    "T | extend D = dynamic({\"a\": [1, -2.5, null, true], \"b\": {\"c\": \"d\"}}), E = dynamic([])",
    # names and access
    "T | project ['Account Name'] = AccountName, [\"Other Name\"] = x.y[0]['z'].w",
    "T | extend Url = parse_json(Payload).[0].url, Last = split(Path, '\\\\')[-1]",
    "T | join kind=inner (U) on $left.DeviceId == $right.DeviceId",
    "T | extend kind = 1, type = 'x', count_ = 2 | summarize count() by kind, type",
    # scalar operators
    "T | where A =~ 'x' and B !~ 'y' and C != 1 and D <> 2 and E >= 3 and F <= 4",
    "T | where A has 'x' or A !has 'y' or A has_cs 'X' or A hasprefix 'p' or A hassuffix_cs 's'",
    "T | where A contains 'x' and A !contains_cs 'Y' and A startswith 'a' and A !endswith 'z'",
    "T | where A in ('a', 'b') and B !in (1, 2) and C in~ ('X') and D !in~ ('y')",
    "T | where A has_any (List) and B has_all ('a', 'b') and C matches regex @'^\\d+$'",
    "T | where Size !between (10 .. 20) and not(isempty(Name)) and * has 'mimikatz'",
    "T | extend Score = (A + B) * 2 - C / 4 % 3, Flag = iff(A > 1, 'hi', 'lo')",
    "T | where Id in ((U | where Bad == true | project Id))",
    "T | where IsAdmin = true",
    # tabular operators
    "T | project-away Temp*, Debug | project-rename New = Old | project-reorder Time, Dev* asc",
    "T | project-keep Time, Name",
    "T | summarize Count = count(), Users = dcount(User), arg_max(Time, *) by bin(Time, 1h), Dev",
    "T | summarize hint.shufflekey = Dev (LastTime, LastId) = arg_max(Time, Id) by Dev",
    "T | summarize by Dev",
    "T | distinct Dev, User | sort by Dev asc nulls first, User desc | top 10 by Dev",
    "T | distinct *",
    "T | order by Time desc | limit 5 | take 2 | count",
    "union withsource = SourceTable isfuzzy = true Device*, (SigninLogs | take 1), OtherTable",
    "union * | where TimeGenerated > ago(1h) | summarize count() by Type",
    "T | union kind=outer U, V",
    "T | lookup kind=leftouter (Users | project Id, Name) on Id",
    "T | join kind=leftanti hint.strategy=broadcast Other on Id, $left.A == $right.B",
    "T | mv-expand bagexpansion=array with_itemindex=Idx Item = Items to typeof(string) limit 100",
    "T | mvexpand Items",
    "T | mv-apply Entity = Entities to typeof(dynamic) on (where Entity.Type == 'ip' | project Ip = Entity.Address)",
    "T | parse Message with * 'user=' User:string ' ip=' Ip ' ' *",
    "T | parse kind=regex flags=Ui Message with @'user=' User @'\\s'",
    "T | parse-where Url with 'https://' Host '/' *",
    "T | parse-kv Msg as (Key:string, Value:long) with (pair_delimiter=',', kv_delimiter='=')",
    "T | make-series Hits = count() default = 0 on Time from ago(7d) to now() step 1h by Dev",
    "T | render timechart with (title = 'Logons', ycolumns = A, B, kind = stacked)",
    "T | render piechart",
    "T | evaluate bag_unpack(Extra, 'x_') : (x_a:string, *)",
    "T | evaluate pivot(Action, count(), User)",
    "evaluate externaldata_plugin()",
    "T | invoke Enrich(1d) | as hint.materialized = true Enriched | serialize Row = row_number()",
    "T | getschema",
    "T | sample 100 | sample-distinct 3 of Dev",
    "T | top-nested 3 of Dev by Hits = count(), top-nested 2 of User by c = count() desc",
    "T | top-hitters 5 of Dev by Bytes",
    "T | fork (where Ok == true | count) Failures = (where Ok == false | take 5)",
    "T | facet by Dev, User",
    "T | partition by Dev (top 3 by Time)",
    "T | scan declare (Started:bool = false) with (step s1: Action == 'start' => Started = true; step s2 output=last: Action == 'stop';)",
    "T | reduce by Message with (threshold = 0.1)",
    "print Now = now(), Answer = 42",
    "range Step from 1 to 10 step 1 | extend Squared = Step * Step",
    "T | extend R = range(1, 5, 1)",
    "datatable (Ip:string) ['10.0.0.1'] | where Ip startswith '10.'",
    "externaldata (Sha1:string, Name:string) [@'https://example.com/iocs.csv'] with (format = 'csv', ignoreFirstRecord = true)",
    "search in (SecurityEvent, Syslog) 'mimikatz' and Computer:'dc01'",
    "search *\n| summarize count() by $table",
    "find in (SecurityEvent, Syslog) where Account == 'admin' project Account, Computer",
    "T | extend T2 = typeof(dynamic), S = tostring(typeof(string))",
    "let f = (x:dynamic, d:datetime, t:timespan) { x };\nprint f(1, now(), 1d)",
    "T | make-series count() on TimeGenerated in range(ago(7d), now(), 1h) by Computer",
    "cluster('c').database('db').Table | join (database('db').F(1)) on Id",
    "declare query_parameters(n:long = 10);\nT | take n",
    T1562,
]

INVALID = [
    "T | where (A == 1",                     # unbalanced (
    "T | where A == 1)",                     # unbalanced )
    "T | extend X = Y[0",                    # unbalanced [
    "T | where A ==",                        # dangling operator
    "T | where A and",                       # dangling and
    "T | where",                             # missing predicate
    "T |",                                   # stray pipe at the end
    "T | where A == 1 |",                    # stray pipe at the end
    "| where A == 1",                        # fragment: no source
    "T | project A,",                        # missing list item
    "T | project A B",                       # missing comma
    "T | summarize count() by",              # missing group key
    "T | where A == 'abc",                   # unterminated string
    'T | where A == "abc',                   # unterminated string
    "T | where A == @'abc",                  # unterminated verbatim string
    "T | frobnicate A",                      # unknown operator
    "T | where A # B",                       # unknown character
    "let X = 1\nT",                          # missing ; after let
    "T\nU",                                  # two queries without ;
    "This query looks for stopped services\nT | take 1",  # prose pasted in
    "T | where A in 'x'",                    # in needs a parenthesised list
    "T | where A between (1, 2)",            # between needs a .. b
    "T | join (U)",                          # join without on
    "T | sort A",                            # sort without by
    "T | top 10",                            # top without by
    "T | where f(A,)",                       # missing argument
    "T | extend D = dynamic([1,)",           # broken dynamic literal
    "T | extend X = [1, 2]",                 # array literal outside dynamic()
    "T ;; U",                                # empty statement
    "let = 1; T",                            # let without a name
    "T | parse A with",                      # parse without a pattern
    "T | render",                            # render without a visualization
    "T | where 1(2)",                        # only names can be called
    "T | evaluate Plugin",                   # evaluate needs a plugin call
    "T | mv-expand",                         # mv-expand without a column
]


@pytest.mark.parametrize("query", VALID)
def test_valid_queries_parse(query):
    result = KQL.parse(query)
    assert result.ok, result.diagnostics
    assert result.diagnostics == []
    assert result.tree is not None


@pytest.mark.parametrize("query", INVALID)
def test_invalid_queries_are_rejected(query):
    result = KQL.parse(query)
    assert not result.ok
    assert result.diagnostics
    assert {d.code for d in result.diagnostics} == {"DAC301"}
    assert all(d.line >= 1 and d.column >= 1 for d in result.diagnostics)


def _error(query):
    result = KQL.parse(query)
    assert not result.ok
    assert len(result.diagnostics) == 1
    return result.diagnostics[0]


def test_unexpected_token_position_and_expectation():
    # 'c' is the 18th character of line 3: a comma was needed before it.
    d = _error('T\n| where A == 1\n| extend B = "x" c')
    assert (d.code, d.line, d.column) == ("DAC301", 3, 18)
    assert "unexpected 'c'" in d.message
    assert "expected" in d.message and "','" in d.message


def test_end_of_query_points_after_last_token():
    # The query stops after "FileName," (19 characters): the error is at column 20.
    d = _error('DeviceProcessEvents\n| where FileName == "sc.exe"\n| project FileName,\n')
    assert (d.code, d.line, d.column) == ("DAC301", 3, 20)
    assert "unexpected end of query" in d.message
    assert "name" in d.message


def test_unclosed_parenthesis_expects_close():
    d = _error('DeviceProcessEvents\n| where (FileName == "sc.exe"\n| take 10')
    assert (d.line, d.column) == (3, 10)
    assert "')'" in d.message


def test_unterminated_string_points_at_quote():
    d = _error('T\n| where A == "abc')
    assert (d.code, d.line, d.column) == ("DAC301", 2, 14)
    assert "unexpected character '\"'" in d.message


def test_missing_semicolon_between_statements():
    d = _error("let X = 1\nT | take 1")
    assert (d.line, d.column) == (2, 1)
    assert "unexpected 'T'" in d.message
    assert "';'" in d.message


def test_stray_closing_parenthesis_on_new_line():
    d = _error("T | take 10\n)")
    assert (d.line, d.column) == (2, 1)
    assert "unexpected ')'" in d.message


def test_unknown_operator_lists_operators():
    d = _error("T | frobnicate A")
    assert (d.line, d.column) == (1, 5)
    assert "'where'" in d.message or "more" in d.message
    assert "'extend'" in d.message


def test_empty_query():
    result = KQL.parse("  \n ")
    assert not result.ok
    assert result.diagnostics[0].code == "DAC301"


def test_keywords_are_names_where_no_keyword_fits():
    assert KQL.parse("T | project count, kind, by_, on_ | where type == 'x'").ok
    assert KQL.parse("T | extend x = Props.count + Props.where").ok



def test_nesting_bound_is_dac303():
    # 250 opening parentheses: the 201st (offset 10 + 200) is the first beyond the bound.
    query = "T | where " + "(" * 250 + "A" + ")" * 250
    result = KQL.parse(query)
    assert not result.ok
    (d,) = result.diagnostics
    assert (d.code, d.line, d.column) == ("DAC303", 1, 211)


def test_brackets_in_strings_and_comments_do_not_count():
    query = "T | where A == '" + "(" * 250 + "' // " + "[" * 250 + "\n| take 1"
    assert KQL.parse(query).ok
