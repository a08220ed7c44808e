"""The CrowdStrike Query Language (LogScale) grammar: valid queries parse, broken ones are rejected
with a DAC301 pointing at the offending token."""
from __future__ import annotations


import pytest

from tooling.languages import get_language

LANG = get_language("logscale")

# The T1562 (Impair Defenses) detection written for Falcon LogScale / Next-Gen SIEM; it must parse.
T1562 = r'''// T1562 Impair Defenses (Windows): processes that stop or reconfigure security services, weaken
// Defender, clear or change audit/event logging, boot or firewall settings, and registry value
// writes under the keys of the same services. Set the search time window to the last 24 hours.
#event_simpleName=/^(ProcessRollup2|AsepValueUpdate|RegGenericValueUpdate)$/ event_platform=Win
| case {
    #event_simpleName=ProcessRollup2
      | CommandLine=/(\bsc(\.exe)?\s+(stop|config)\b|\bnet1?(\.exe)?\s+stop\b|taskkill|Set-MpPreference|DisableRealtimeMonitoring|DisableBehaviorMonitoring|Remove-MpPreference|auditpol(\.exe)?\s+\/(clear|set)|wevtutil(\.exe)?\s+cl\b|bcdedit(\.exe)?\s+\/set|netsh(\.exe)?\s+advfirewall\s+set)/i
      | ActionType := "ProcessCreated" ;
    #event_simpleName=/^(AsepValueUpdate|RegGenericValueUpdate)$/
      | RegObjectName=/(WinDefend|EventLog|SecurityHealth|MpsSvc)/i
      | ActionType := "RegistryValueSet" ;
  }
// Name of the service being stopped or reconfigured, when the command line says so.
| regex("(?:\bsc(?:\.exe)?\s+(?:stop|config)|\bnet1?(?:\.exe)?\s+stop)\s+\"?(?<StoppedService>[\w-]+)", field=CommandLine, flags=i, strict=false)
| case {
    in(field="StoppedService", values=["WinDefend", "MsMpSvc", "Sense", "WdNisSvc", "WdNisDrv", "WdFilter", "WdBoot", "SecurityHealthService", "wscsvc", "EventLog", "MpsSvc"], ignoreCase=true)
      | IsSecurityService := true ;
    * | IsSecurityService := false ;
  }
| table([@timestamp, ComputerName, UserName, ActionType, CommandLine, RegObjectName, RegValueName, RegStringValue, StoppedService, IsSecurityService], sortby=@timestamp, order=desc, limit=1000)
'''

VALID = [
    # free text and field filters
    "error",
    '"connection refused" status>=500',
    "#event_simpleName=ProcessRollup2 event_platform=Win\n| ImageFileName=/\\\\powershell\\.exe$/i",
    "host=/web\\d+/ or host=db01",
    "not (status=200 or status=204)",
    "NOT foo AND bar OR baz",
    "not(status=200) !(method=GET or method=HEAD)",
    'src!="10.0.0.1" dst=* method!=*',
    "bytes<-1 delta>=-5 ratio<=0.5 code>399",
    "@rawstring=/failed password/i",
    "Vendor.records[0].name=admin parts[2]=\"x\"",
    "ip=10.0.0.0/8 path=C:\\Windows\\*",
    '"related.user[0]" = ?UserName',
    "status in [200, 201, 204]",
    "| Okta.actor.alternateId like ?{Username=*}",
    "ComputerName=?ComputerName UserName=?{UserName=\"*\"}",
    '!in(field="src", values=["10.0.0.1", "10.0.0.2"])',
    "| aid =~ wildcard(?aid, ignoreCase=true)",
    "// a comment\n/* a block\n   comment */ status=404 // trailing",
    # assignments and expressions
    "x := a + b * 2",
    "ratio := (now() - start) / 1000",
    "a := m/fisk/i",
    "| size := if(bytes > 1000, then=\"big\", else=\"small\")",
    "| lowered := lower(UserName)",
    '"Display Name" := format("%s", field=[UserName])',
    '| #Vendor := "crowdstrike" | threat.name[0] := Tactic',
    "| roundTrip := math:log(bytes + 1)",
    "eval(total = bytes_in + bytes_out)",
    "| test(bytes_in > bytes_out and not (bytes_in == 0))",
    # functions
    "| groupBy([aid, ComputerName], function=[count(as=hits), collect([CommandLine], limit=5)], limit=max)",
    '| groupBy(aid, function=(count(field=aid, as="n")))',
    "| sort(hits, order=desc, limit=10)",
    '| table([@timestamp, ComputerName, "User Name"], limit=200)',
    "| format(\"%s on %s\", field=[UserName, ComputerName], as=who)",
    "| coalesce([UserName, UserSid], as=who) | rename(field=RemoteAddressIP4, as=dst)",
    "| bucket(span=1h, function=count())",
    "| timeChart(#event_simpleName, span=15m, function=count(aid, distinct=true))",
    "| top([FileName, CommandLine], limit=20)",
    "head(5) | tail(2)",
    '| split(Vendor.records) | splitString(field=path, by="\\\\", as=parts)',
    "| ipLocation(RemoteAddressIP4) | asn(RemoteAddressIP4, as=net)",
    '| array:contains(array="tags[]", value="admin")',
    '| array:filter(array="Foo[]", var="x", function={x!=""})',
    '| text:contains(string=CommandLine, substring="-enc")',
    '| wildcard(field=FileName, pattern="*.ps1", ignoreCase=true)',
    'readFile("allow.csv")',
    'createEvents(["user=alice,host=h1", "user=bob,host=h2"]) | kvParse()',
    '| regex("user=(?<user>\\\\S+)", field=@rawstring, strict=false)',
    '| match(file="hosts.csv", field=aid, include=[owner, site], strict=false)',
    "| join({#event_simpleName=DnsRequest | DomainName=*.example.com}, field=ContextProcessId, "
    "key=TargetProcessId, include=[DomainName])",
    'defineTable(query={#event_simpleName=UserLogon}, name="logons", include=[aid, UserName])\n'
    '| #event_simpleName=ProcessRollup2\n| match(table="logons", field=aid)',
    # saved searches / macros
    '| $"crowdstrike/fltr-core:zComputerName"()',
    "| $enrich_host(field=aid, mode=full)",
    "| $falcon/helper:enrich(field=ProductType)",
    # case / match statements
    "| case {\n    Severity >= 4 | Level := \"high\" ;\n    Severity = 3 | Level := \"medium\" ;\n"
    "    * | Level := \"low\"\n  }",
    "| case { UserIsAdmin=1 | Admin := true; *; }",
    "| Status match {\n    0 => Label := \"ok\" ;\n    /^4\\d\\d$/ => Label := \"client\" ;\n"
    "    \"500\" => Label := \"server\" ;\n    in(values=[501, 502]) => Label := \"gateway\" ;\n"
    "    * => Label := \"other\"\n  }",
    # parallel aggregates, correlate
    "| [count(as=total), avg(duration, as=mean)]",
    "| [{status=Failure | count(as=failed)}, {status=Success | count(as=ok)}]",
    "correlate(\n    first: { #event_simpleName=ProcessRollup2 FileName=\"whoami.exe\" } include: [aid, ComputerName],\n"
    "    second: { #event_simpleName=ProcessRollup2 FileName=\"net.exe\" | aid <=> first.aid } include: [aid],\n"
    "    sequence=false, within=5m)",
    T1562,
]


@pytest.mark.parametrize("query", VALID)
def test_valid_queries_parse(query):
    result = LANG.parse(query)
    assert result.ok, result.diagnostics
    assert all(d.code == "DAC401" for d in result.diagnostics)  # only query-parameter warnings
    assert result.tree is not None


INVALID = [
    "groupBy(x",  # unbalanced parenthesis
    "groupBy(x))",  # stray closing parenthesis
    "table([a, b)",  # unbalanced bracket
    "| case { a=1 | x := 1; * ",  # unclosed case
    "a=1\n| x := ",  # assignment without a right-hand side
    "x := a +",  # dangling operator
    "status=200 and",  # dangling boolean operator
    "foo or or bar",  # doubled operator
    "and foo",  # operator without a left operand
    "a=",  # comparison without a value
    "a = = b",  # doubled comparison operator
    "foo |",  # stray pipe at the end
    "| | foo",  # empty stage
    'a="abc',  # unterminated string
    "a=/abc",  # unterminated regex
    "count(,)",  # missing argument
    "groupBy([a,,b])",  # missing list element
    "sort(x, order=)",  # named argument without a value
    "x := a b",  # two operands without an operator
    "a b := c",  # assignment target is not a single field
    "| Status match { => x }",  # match clause without a guard
    "| Status match { 1 => }",  # match clause without a pipeline
    "{ a }",  # a sub-query is not a stage
    "x := if(a, then=1, else=)",  # missing value
    "a := /fisk/i",  # regex literal where an expression is required (documented quirk)
    "foo='bar'",  # single quotes are reserved characters
    "$\"saved\"",  # saved search without its call parentheses
    "[count(), ]",  # trailing comma
    "x := a-",  # dangling minus (in expressions `-` is an operator, not part of a name)
    "| CompositeId =~ /x/",  # `=~` takes a function call, not a regex literal
]


@pytest.mark.parametrize("query", INVALID)
def test_invalid_queries_are_rejected(query):
    result = LANG.parse(query)
    assert not result.ok
    assert result.diagnostics
    assert all(d.code == "DAC301" for d in result.diagnostics)


def _only_error(query):
    result = LANG.parse(query)
    assert not result.ok
    assert len(result.diagnostics) == 1
    return result.diagnostics[0]


def test_dangling_assignment_points_at_end_of_last_line():
    # "| x :=" is six characters long, so the end of the query is line 2, column 7.
    diag = _only_error("a=1\n| x := ")
    assert (diag.code, diag.line, diag.column) == ("DAC301", 2, 7)
    assert "unexpected end of query" in diag.message
    assert "expected" in diag.message


def test_unclosed_call_reports_the_next_pipe_and_expects_a_closing_parenthesis():
    query = "#event_simpleName=ProcessRollup2\n| groupBy([aid], function=count()\n| sort(_count)"
    diag = _only_error(query)
    assert (diag.code, diag.line, diag.column) == ("DAC301", 3, 1)
    assert "unexpected '|'" in diag.message
    assert "')'" in diag.message and "','" in diag.message


def test_doubled_boolean_operator_points_at_the_second_one():
    diag = _only_error("status=200 and\n  or foo=1")
    assert (diag.code, diag.line, diag.column) == ("DAC301", 2, 3)
    assert "unexpected 'or'" in diag.message
    assert "expected" in diag.message


def test_unterminated_string_points_at_the_opening_quote():
    diag = _only_error('ComputerName="host01\n| count()')
    assert (diag.code, diag.line, diag.column) == ("DAC301", 1, 14)
    assert "unexpected character '\"'" in diag.message


def test_stray_closing_parenthesis_on_its_own_line():
    diag = _only_error("#event_simpleName=DnsRequest\n| groupBy(DomainName)\n)")
    assert (diag.code, diag.line, diag.column) == ("DAC301", 3, 1)
    assert "unexpected ')'" in diag.message


def test_missing_comparison_value_says_what_was_expected():
    # "| FileName= " is twelve characters; the second pipe is column 13.
    diag = _only_error("| FileName= | count()")
    assert (diag.code, diag.line, diag.column) == ("DAC301", 1, 13)
    assert "unexpected '|'" in diag.message
    assert "string" in diag.message and "regex" in diag.message


def test_unclosed_case_statement_reports_end_of_query():
    diag = _only_error("| case {\n  a=1 | x := 1 ;\n  * | x := 2")
    assert (diag.code, diag.line, diag.column) == ("DAC301", 3, 13)
    assert "unexpected end of query" in diag.message
    assert "'}'" in diag.message


def test_keywords_are_case_insensitive_and_not_prefixes():
    assert LANG.parse("a=1 AND b=2 Or c=3 and NOT d=4").ok
    # `android`, `order` and `notepad` are words, not the keywords and/or/not.
    assert LANG.parse("android order notepad").ok


def test_match_and_case_are_function_names_when_not_followed_by_a_brace():
    assert LANG.parse('match(file="x.csv", field=aid)').ok
    assert LANG.parse("| case(x)").ok  # an (unknown) function named case, not a case statement


def test_division_and_regex_are_told_apart_by_position():
    assert LANG.parse("x := now()/1000").ok
    assert LANG.parse("x := (a + b)/2").ok
    assert LANG.parse("FileName=/\\.exe$/i").ok


@pytest.mark.parametrize("suffix", ["\n)", "\n(", "\n| x := ", "\n|"])
def test_t1562_with_a_broken_tail_is_rejected(suffix):
    assert not LANG.parse(T1562 + suffix).ok


def test_t1562_has_no_diagnostics_at_all():
    # Its regexes contain `?` (`(?<StoppedService>`, `net1?`), which must not look like parameters.
    assert LANG.parse(T1562).diagnostics == []


def test_query_parameters_are_reported_as_dac401_with_their_position():
    result = LANG.parse('#event_simpleName=ProcessRollup2\n| ComputerName=?ComputerName aid=?{aid="*"}')
    assert result.ok
    found = [(d.code, d.line, d.column) for d in result.diagnostics]
    # "| ComputerName=" is 15 characters, so ?ComputerName starts at column 16; "aid=" starts at
    # column 30 and its parameter at column 34.
    assert found == [("DAC401", 2, 16), ("DAC401", 2, 34)]
    assert "?ComputerName" in result.diagnostics[0].message


def test_question_marks_inside_strings_and_regexes_are_not_parameters():
    result = LANG.parse('CommandLine=/net1?\\.exe/i | regex("(?<user>\\S+)\\?", field=x)')
    assert result.ok
    assert result.diagnostics == []


def test_empty_and_non_text_queries_are_rejected():
    assert not LANG.parse("").ok
    assert not LANG.parse("   \n").ok
    assert not LANG.parse("// only a comment").ok
