"""Splunk SPL grammar: what parses, what is rejected, and where errors are reported."""
from __future__ import annotations

import pytest

from tooling.languages import get_language

SPL = get_language("spl")

# The T1562 (Impair Defenses) detection, verbatim from /work/scratch/t1562/spl.txt.
T1562 = r'''index=windows source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational" earliest=-24h
    ((EventCode=1 CommandLine IN ("*sc stop*", "*sc config*", "*net stop*", "*taskkill*", "*Set-MpPreference*", "*DisableRealtimeMonitoring*", "*DisableBehaviorMonitoring*", "*Remove-MpPreference*", "*auditpol /clear*", "*auditpol /set*", "*wevtutil cl*", "*bcdedit /set*", "*netsh advfirewall set*"))
    OR (EventCode=13 EventType=SetValue TargetObject IN ("*WinDefend*", "*EventLog*", "*SecurityHealth*", "*MpsSvc*")))
| eval ActionType=case(EventCode=1, "ProcessCreated", EventCode=13, "RegistryValueSet")
| eval CommandLine=coalesce(CommandLine, "")
| rex field=CommandLine "(?i)(?:sc\s+(?:stop|config)|net\s+stop)\s+(?<StoppedService>[\w]+)"
| eval IsSecurityService=if(in(StoppedService, "WinDefend", "MsMpSvc", "Sense", "WdNisSvc", "WdNisDrv", "WdFilter", "WdBoot", "SecurityHealthService", "wscsvc", "EventLog", "MpsSvc"), "true", "false")
| rename Computer as DeviceName, User as AccountName, TargetObject as RegistryKey, Details as RegistryValueData
| eval RegistryValueName=if(EventCode=13, mvindex(split(RegistryKey, "\\"), -1), null())
| table _time, DeviceName, AccountName, ActionType, CommandLine, RegistryKey, RegistryValueName, RegistryValueData, StoppedService, IsSecurityService
| sort 0 - _time
'''

VALID = [
    # the implicit search: terms, comparisons, wildcards, booleans, grouping, IN lists
    "index=main sourcetype=access_combined status=404",
    'index=web "failed password" host=web-01',
    "sourcetype=WinEventLog:Security EventCode=4625 NOT user=SYSTEM",
    "index=fw (dest_port=22 OR dest_port=3389) action!=allowed",
    "index=net src_ip=10.0.0.0/8 bytes_out>=1048576 duration<5",
    r"index=edr process_name=*\\powershell.exe parent=C:\\Windows\\*",
    'index=proxy url IN ("*.onion*", "*pastebin.com*", raw.githubusercontent.com)',
    'index=dns query IN ("a.example",,"b.example",)',
    "index=os NOT (user=root OR user=daemon) AND host=db*",
    "index=main earliest=-24h@h latest=now error OR fail*",
    'index=main TERM(10.1.2.3) CASE(Admin)',
    # macros anywhere
    "`sysmon` EventCode=1",
    '`cim_endpoint("Processes")` process_name=cmd.exe | `drop_dm_object_name(Processes)` | `my_filter`',
    # leading pipe and generating commands
    "| makeresults count=3 | eval n=random() % 10",
    "| inputlookup allowed_hosts.csv where enabled=1 | fields host",
    "| rest /services/authentication/users splunk_server=local | table title roles",
    # tstats / mstats
    "| tstats summariesonly=true count min(_time) as first_seen from datamodel=Endpoint.Processes "
    'where Processes.process_name IN ("rundll32.exe", "regsvr32.exe") by Processes.dest Processes.user _time span=1h',
    "| tstats `summaries_only` values(Processes.process) as cmd FROM datamodel=Endpoint.Processes "
    "WHERE NOT Processes.user=SYSTEM BY Processes.dest",
    "| tstats count where index=* by host, sourcetype",
    "| mstats avg(_value) as cpu WHERE index=metrics metric_name=cpu.idle span=5m BY host",
    # stats family
    "index=a | stats count",
    "index=a | stats count, dc(user) AS users, values(src) as srcs by dest, app",
    'index=a | stats count(eval(status>=500)) as errors sum(bytes) as "Total Bytes" BY host',
    "index=a | eventstats avg(duration) as avg_d stdev(duration) as sd by service",
    "index=a | streamstats window=5 current=f count by user",
    "index=a | timechart span=1h limit=0 count by host",
    "index=a | chart count over status by method",
    "index=a | stats values(*) as * by session_id",
    # eval and where
    'index=a | eval risk=if(score > 80 AND NOT isnull(user), "high", "low"), ts=strftime(_time, "%F")',
    'index=a | eval label=case(code=200, "ok", code>=500, "error", true(), "other")',
    "index=a | eval full='first name' . \" \" . last, n=-1 * (x + 2) / 3 % 7",
    "index=a | eval parts=mvindex(split(path, \"\\\\\"), -1)",
    'index=a | where like(user, "adm%") OR user LIKE "%svc%" OR user IN ("root", "admin")',
    "index=a | where NOT cidrmatch(\"10.0.0.0/8\", src) AND isnotnull(dest)",
    "index=a | eval {field_name}=value",
    # rex, rename and other commands
    r'index=a | rex field=_raw max_match=0 "user=(?<user>\w+)"',
    'index=a | rex mode=sed field=msg "s/\\d+/N/g"',
    'index=a | rename src as source_ip, "dest ip" as dest_ip  Processes.* as *',
    "index=a | fields - _raw, _bkt | table _time user src",
    "index=a | sort - count | head 10 | dedup user keepevents=true",
    'index=a | fillnull value="N/A" user src | bin _time span=1d | bucket _time span=5m',
    "index=a | lookup local=true assets ip AS src OUTPUT owner AS src_owner",
    "index=a | convert ctime(firstTime) ctime(lastTime) | spath input=json path=a{}.b output=c",
    "index=a | mvexpand values limit=100 | transaction user maxspan=30m | top limit=5 user",
    "index=a | regex _raw=\"^\\d{3}\" | regex user!=\"^svc_\"",
    # subsearches
    "index=a [search index=b status=failed | fields user] | stats count by user",
    "index=a | join type=left user [| inputlookup users.csv | rename uid as user] | append [search index=c]",
    "index=a NOT [| inputlookup allowlist.csv | return 100 src]",
    "index=a | foreach count_* [eval <<FIELD>>=if(isnull('<<FIELD>>'), 0, '<<FIELD>>')]",
    "index=a | appendpipe [| stats count | where count=0]",
    "index=a | map maxsearches=10 search=\"search index=b user=$user$\"",
    # comments, dashboard tokens, multi-line layout
    "index=a ```only failures``` action=failure\n| stats count by user",
    "index=a user=$user$ earliest=$time.earliest$\n| eval t=$threshold$ * 2",
    T1562,
]

INVALID = [
    "index=a |",                                   # a pipe must be followed by a command
    "index=a | | stats count",                     # empty command
    "index=a | eval x=",                           # assignment without a value
    "index=a | eval x=1 +",                        # dangling operator
    "index=a | eval x=1 y=2",                      # eval assignments need commas
    "index=a | where a >",                         # comparison without right side
    "index=a | eval x=if(a, b",                    # unclosed call
    "index=a (user=root OR user=admin",            # unclosed group
    "index=a user=root)",                          # stray closing paren
    "index=a [search index=b",                     # unclosed subsearch
    "index=a | stats count by",                    # `by` without fields
    "index=a | stats count(x as y",                # unclosed aggregation
    'index=a | eval msg="unterminated',            # unterminated string
    "index=a user=",                               # comparison without value
    "index=a user=a=",                             # dangling = inside a value
    "index=a AND",                                 # dangling boolean operator
    "NOT",                                         # operator without operand
    "index=a | rex field=_raw",                    # rex without its regular expression
    "index=a | rename src as",                     # rename without a new name
    "index=a | foo x=",                            # option without a value, any command
    "index=a `unclosed_macro",                     # unterminated macro
    "index=a | tstats count where (a=1 by host",   # unclosed group in tstats where
    "index=a | head 10 ]",                         # stray closing bracket
    "   ",                                         # empty query
    "index=a AND OR b",                            # OR is an operator, not a search term
    "index=a | table",                             # table needs fields
    "index=a ```unclosed comment",                 # unterminated comment
    "index=a | eval x='unclosed field",            # unterminated quoted field name
    "index=a | eval =1",                           # assignment without a target
    "index=a x IN ()",                             # empty IN list
    "index=a | eval x=f(a,)",                      # missing function argument
    "index=a | stats",                             # stats without an aggregation
    "| tstats count where action= by host",        # the value is missing, `by` is the clause
    "index=a status= OR user=b",                   # the value is missing, OR is the operator
    "index=a | eval k = + 1",                      # no unary plus in eval
]


@pytest.mark.parametrize("query", VALID)
def test_valid_queries_parse(query):
    result = SPL.parse(query)
    assert result.ok, result.diagnostics
    assert all(d.code == "DAC401" for d in result.diagnostics)


@pytest.mark.parametrize("query", INVALID)
def test_invalid_queries_are_rejected(query):
    result = SPL.parse(query)
    assert not result.ok
    assert result.diagnostics and result.diagnostics[0].code == "DAC301"


def test_t1562_query_parses():
    assert SPL.parse(T1562).ok


def error(query):
    result = SPL.parse(query)
    assert not result.ok
    assert len(result.diagnostics) == 1
    return result.diagnostics[0]


def test_dangling_eval_points_at_end_and_expects_an_operand():
    d = error("index=a\n| eval x=")
    assert (d.code, d.line, d.column) == ("DAC301", 2, 10)
    assert "unexpected end of query" in d.message
    assert "expected a field or function name, a number, a quoted string" in d.message


def test_stray_paren_on_its_own_line():
    d = error("index=a\n| stats count by user\n)")
    assert (d.code, d.line, d.column) == ("DAC301", 3, 1)
    assert "unexpected ')'" in d.message
    assert "'|'" in d.message


def test_empty_command_points_at_second_pipe():
    d = error("index=a\n  | | stats count")
    assert (d.code, d.line, d.column) == ("DAC301", 2, 5)
    assert d.message == "SPL syntax error: unexpected '|'; expected a command name, a `macro`"


def test_missing_comma_between_eval_assignments():
    d = error("index=a | eval a=1 b=2")
    # `b` (column 20) cannot follow a complete expression
    assert (d.code, d.line, d.column) == ("DAC301", 1, 20)
    assert "unexpected 'b'" in d.message and "','" in d.message


def test_unterminated_string_is_named():
    d = error('index=a\n| rex field=x "(?<u>\\w+)\n| stats count')
    assert (d.code, d.line, d.column) == ("DAC301", 2, 15)
    assert "unterminated quoted string" in d.message


def test_rex_needs_a_regex():
    d = error("index=a | rex field=_raw | stats count")
    assert (d.line, d.column) == (1, 26)
    assert "expected a field name, a quoted string" in d.message


def test_keywords_are_listed_once_whatever_their_case():
    d = error("index=a | stats count )")
    assert (d.line, d.column) == (1, 23)
    assert "'BY'" in d.message and "'by'" not in d.message and "'By'" not in d.message
    d = error("index=a | eval x=1 2")
    assert "'AND'" in d.message and "'and'" not in d.message


def test_dashboard_tokens_are_reported():
    result = SPL.parse("index=a user=$user$\n| eval limit=$max$")
    assert result.ok
    tokens = [(d.code, d.line, d.column) for d in result.diagnostics]
    assert tokens == [("DAC401", 1, 14), ("DAC401", 2, 14)]
    assert "'$user$'" in result.diagnostics[0].message


def test_by_is_an_ordinary_term_outside_tstats():
    assert SPL.parse("index=a stand by me").ok
    assert SPL.parse("index=a | search by=1 OR as").ok


def test_tree_shape():
    tree = SPL.parse("index=a | stats dc(user) as users by host").tree
    stats = next(tree.find_data("stats_cmd"))
    assert [t.data for t in stats.children if hasattr(t, "data")] == ["stats_name", "aggregation", "by_clause"]
    assert next(tree.find_data("agg_func")).children[0] == "dc"


def test_unterminated_comment_and_field_are_named():
    d = error("index=a\n```no end\n| stats count")
    assert (d.line, d.column) == (2, 1)
    assert d.message == "SPL syntax error: unterminated comment: no closing ``` after this one"
    d = error("index=a | eval y='a b' + 'c")
    assert (d.line, d.column) == (1, 26)
    assert "unterminated quoted field name" in d.message


def test_operator_keywords_are_not_search_terms():
    d = error("index=a\n  AND OR b")
    assert (d.line, d.column) == (2, 7)
    assert "unexpected 'OR'" in d.message and "a search term" in d.message
    assert SPL.parse("index=a ANDROID ORACLE and or").ok  # other words, lower case ones too


def test_missing_value_before_by_in_tstats():
    d = error("| tstats count from datamodel=Change\n  where All_Changes.status=  by user")
    assert (d.line, d.column) == (2, 30)  # the `b` of `by`, after two spaces
    assert d.message == ("SPL syntax error: unexpected 'by'; expected a value, a quoted string, "
                         "a `macro`")
    assert SPL.parse("index=a status = ok").ok  # spaces around = are fine with a value


def test_never_raises_on_garbage():
    import random

    rng = random.Random(1562)
    alphabet = list('()[]|"\'`=!<>,.*-+ \n\tabcxyz019$_') + ["AND", "OR", "NOT", " by ", "eval ",
                                                              "stats ", "| tstats ", "```"]
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40)))
        result = SPL.parse(text)
        for d in result.diagnostics:
            assert (d.code == "DAC301" or d.code.startswith("DAC4")) and d.line >= 1 and d.column >= 1
