"""Sumo Logic search language: the grammar accepts real query shapes and rejects broken ones."""
from __future__ import annotations

from pathlib import Path

import pytest

from tooling.languages import get_language


@pytest.fixture(scope="module")
def sumo():
    return get_language("sumo")


# --------------------------------------------------------------------------- valid queries

VALID = [
    # scope / keyword expressions
    "error",
    "*",
    "_sourceCategory=prod/web/nginx",
    "_sourceCategory = prod/web/* AND _sourceHost=web-0?",
    '_index=sec_record_* "failed password" !debug',
    '(error OR fail*) NOT _collector="lab collector" (timeout or "connection reset")',
    "_sourceCategory=os/linux/auth sshd !(invalid user) -- 10.0.0.*",
    "_sourceCategory=aws/cloudtrail // trailing comment\n| count",
    "/* a block\ncomment */ _sourceCategory=k8s | count by namespace",
    # where / boolean expressions
    '_sourceCategory=fw | where action = "deny" and !(src_ip matches "10.*")',
    '_sourceCategory=fw | where dst_port in ("22", "3389") or dst_port not in ("80", "443")',
    "_sourceCategory=fw | where bytes > 1024 * 1024 && (duration / 1000) >= 30",
    "_sourceCategory=web | where url matches /\\/admin\\/.*\\.php/i",
    '_sourceCategory=web | where isNull(user) or isBlank(agent) or user not matches "svc_*"',
    "_sourceCategory=web | where !isValidIP(client) || toLong(status) <> 200",
    # parse / json / csv / keyvalue / split
    '_sourceCategory=app | parse "user=* action=*;" as user, action nodrop',
    '_sourceCategory=app | parse field=msg "[*] *" as level, text, "took *ms" as took',
    '_sourceCategory=app | parse regex "(?<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)" multi nodrop',
    '_sourceCategory=app | parse regex field=line "id=(?<id>\\w+)"',
    '_sourceCategory=app | json field=_raw "detail.user.name", "detail.ip" as user, ip nodrop',
    "_sourceCategory=app | json auto maxdepth 2 nodrop",
    '_sourceCategory=app | json "items[0].id" | json field=payload "a.b" as ab',
    "_sourceCategory=fw | csv _raw extract 1 as date, 2 as src, 5 as action",
    "_sourceCategory=fw | split line delim=';' extract 1 as a, 2 as b",
    '_sourceCategory=fw | keyvalue infer "src", "dst" | kv "user" as user_name',
    # field expressions and aggregations
    '_sourceCategory=app | if(status >= 500, "server", if(status >= 400, "client", "ok")) as class',
    '_sourceCategory=app | status >= 500 ? "bad" : "good" as verdict',
    '_sourceCategory=app | concat(first, " ", last) as full_name | toLowerCase(full_name) as name',
    "_sourceCategory=app | ratio = errors / total * 100 | round(ratio * 10) / 10 as pct_errors",
    '_sourceCategory=app | formatDate(_messageTime, "yyyy-MM-dd") as day | count by day',
    "_sourceCategory=app | count",
    "_sourceCategory=app | count as hits, count_distinct(user) as users by host, _timeslice",
    "_sourceCategory=app | sum(bytes) as total, avg(latency), pct(latency, 95, 99) by service",
    "_sourceCategory=app | max(cpu) group by host | min(mem) group _sourceHost",
    "_sourceCategory=app | first(msg) as first_msg, most_recent(state) by id",
    "_sourceCategory=app | topk(5, _count) by region",
    '_sourceCategory=app | %"user.name" as user | count by %"x-forwarded-for"',
    # sorting, limiting, reshaping
    "_sourceCategory=app | count by user | sort by _count desc, user asc | limit 20",
    "_sourceCategory=app | count by user | order by +_count | top 10 user by _count",
    "_sourceCategory=app | timeslice 1h | count by _timeslice, status | transpose row _timeslice column status as *",
    "_sourceCategory=app | timeslice by 5m | count by _timeslice | fillmissing timeslice(5m)",
    "_sourceCategory=app | fields - _raw, _messagecount | fields user, host",
    "_sourceCategory=app | count by _timeslice | compare with timeshift 1d 7 avg",
    "_sourceCategory=app | count by _timeslice | outlier _count window=10, threshold=3, consecutive=2, direction=+",
    "_sourceCategory=app | count by _timeslice | predict _count by 1h model=ar, forecast=5",
    "_sourceCategory=app | accum bytes as running by host | smooth running, 5 | dedup 3 by host",
    "_sourceCategory=app | logreduce values on user, host",
    # lookup / save / subquery / join / filter
    "_sourceCategory=fw | lookup latitude, longitude, country_name from geo://location on ip = src_ip",
    "_sourceCategory=fw | lookup type, actor as threat_actor from sumo://threat/cs on threat=src_ip",
    "_sourceCategory=fw | lookup owner from /shared/lookups/assets on host=dest_host, ip=dest_ip",
    "_sourceCategory=fw | count by src_ip | save /shared/lookups/last_scan",
    '_sourceCategory=auth [subquery: _sourceCategory=ids "alert" | json "ip" as src_ip | compose src_ip] | count',
    '_sourceCategory=auth | where user = "x" or [subquery from=(-2d): _sourceCategory=hr | compose user]',
    '_sourceCategory=db | join (parse "start id=*" as id) as s, (parse "end id=*" as id) as e on s.id = e.id timewindow 5m',
    "_sourceCategory=web | count as n by svc, _timeslice | filter svc in (sum(n) by svc | top 5 svc by _sum)",
    # placeholders (dashboard variables, app install parameters)
    '_sourceCategory={{category}} $$logsrc | where host matches "{{host}}" | timeslice {{interval}} | limit {{n}}',
    '$$source | where latency > {{threshold}} | count by {{group_by}}',
]


@pytest.mark.parametrize("query", VALID)
def test_valid_queries_parse(sumo, query):
    result = sumo.parse(query)
    assert result.ok, result.diagnostics
    assert not [d for d in result.diagnostics if d.code == "DAC301"]


T1562 = Path("/work/scratch/t1562/sumo.txt")
T1562_TEXT = r'''// T1562 Impair Defenses (Windows): security services stopped or reconfigured, Defender
// preferences tampered with, audit policy / event logs cleared, firewall turned off, and
// registry values set under security-service keys.
// Sources: Windows Security 4688 (process creation with command line) and Sysmon 1 / 13,
// collected as JSON by the Windows Event Log source.
_sourceCategory=*windows* (sc OR net OR taskkill OR "Set-MpPreference" OR "Remove-MpPreference" OR DisableRealtimeMonitoring OR DisableBehaviorMonitoring OR auditpol OR wevtutil OR bcdedit OR netsh OR WinDefend OR EventLog OR SecurityHealth OR MpsSvc)
| json field=_raw "EventID", "Computer", "EventData.CommandLine", "EventData.SubjectUserName", "EventData.User", "EventData.EventType", "EventData.TargetObject", "EventData.Details" as event_id, DeviceName, CommandLine, subject_user, sysmon_user, registry_event_type, registry_target, RegistryValueData nodrop
| where event_id in ("1", "4688", "13")
| if(isBlank(CommandLine), "", CommandLine) as CommandLine
| if(isBlank(subject_user), sysmon_user, subject_user) as AccountName
| if(event_id = "13" and registry_event_type = "SetValue", "RegistryValueSet", if(event_id = "13", "RegistryEvent", "ProcessCreated")) as ActionType
| parse regex field=registry_target "^(?<RegistryKey>.*)[\\\\](?<RegistryValueName>[^\\\\]+)$" nodrop
| toLowerCase(CommandLine) as cmd
| where cmd matches "*sc stop*" or cmd matches "*sc config*" or cmd matches "*net stop*" or cmd matches "*taskkill*"
    or cmd matches "*set-mppreference*" or cmd matches "*disablerealtimemonitoring*" or cmd matches "*disablebehaviormonitoring*"
    or cmd matches "*remove-mppreference*" or cmd matches "*auditpol /clear*" or cmd matches "*auditpol /set*"
    or cmd matches "*wevtutil cl*" or cmd matches "*bcdedit /set*" or cmd matches "*netsh advfirewall set*"
    or (ActionType = "RegistryValueSet" and (RegistryKey matches "*WinDefend*" or RegistryKey matches "*EventLog*" or RegistryKey matches "*SecurityHealth*" or RegistryKey matches "*MpsSvc*"))
| parse regex field=CommandLine "(?i)(?:sc\s+(?:stop|config)|net\s+stop)\s+(?<StoppedService>[\w]+)" nodrop
| toLowerCase(StoppedService) as stopped_lc
| if(stopped_lc in ("windefend", "msmpsvc", "sense", "wdnissvc", "wdnisdrv", "wdfilter", "wdboot", "securityhealthservice", "wscsvc", "eventlog", "mpssvc"), "true", "false") as IsSecurityService
| formatDate(_messageTime, "yyyy-MM-dd HH:mm:ss.SSS") as Timestamp
| sort by _messageTime desc
| fields Timestamp, DeviceName, AccountName, ActionType, CommandLine, RegistryKey, RegistryValueName, RegistryValueData, StoppedService, IsSecurityService
'''


def test_t1562_query_parses(sumo):
    result = sumo.parse(T1562_TEXT)
    assert result.ok, result.diagnostics
    assert result.diagnostics == []


# --------------------------------------------------------------------------- invalid queries

INVALID = [
    "_sourceCategory=app |",                              # stray pipe at the end
    "_sourceCategory=app | | count",                      # empty operator between pipes
    "_sourceCategory=app\n| where ",                      # where without a condition
    "_sourceCategory=app | where a = ",                   # missing right operand
    "_sourceCategory=app | where a and",                  # dangling boolean operator
    "_sourceCategory=app | where (a = 1",                 # unclosed parenthesis
    "_sourceCategory=app | where a = 1)",                 # stray closing parenthesis
    "(error OR warn",                                     # unclosed scope group
    "error)",                                             # stray ) in the scope
    "error OR",                                           # dangling OR in the scope
    '"unterminated phrase',                               # unterminated string
    "_sourceCategory=",                                   # field search without a value
    "error | count by",                                   # by without fields
    "error | count by a,",                                # trailing comma
    'error | parse "a=*" as',                             # as without a field
    "error | parse regex",                                # parse without a pattern
    "error | json",                                       # json without auto or paths
    "error | sort by",                                    # sort by nothing
    "error | limit",                                      # limit without a count
    "error | top by user",                                # top without a count
    "error | transpose row _timeslice",                   # transpose without column
    "error | lookup a from geo://location",               # lookup without on
    'error | if(a > 1, "x", "y" as z',                    # unclosed call
    'error | where x in ("a", )',                         # missing list element
    "error | timeslice 1h (",                             # unbalanced generic argument
    "error | foo [bar",                                   # unbalanced bracket
    'error | where x = "a" "b"',                          # two operands, no operator
    "error /* never closed",                              # unterminated block comment
    "error | count as",                                   # as without alias
]


@pytest.mark.parametrize("query", INVALID)
def test_invalid_queries_are_rejected(sumo, query):
    result = sumo.parse(query)
    assert not result.ok
    assert [d.code for d in result.diagnostics] == ["DAC301"]


@pytest.mark.parametrize("suffix", ["\n)", "\n(", "\n| where "])
def test_corpus_style_mutants_are_rejected(sumo, suffix):
    base = "_sourceCategory=app error\n| parse \"user=*;\" as user\n| count by user"
    assert sumo.parse(base).ok
    assert not sumo.parse(base + suffix).ok


# --------------------------------------------------------------------------- positions and messages

def _only_error(result):
    assert not result.ok
    assert len(result.diagnostics) == 1
    return result.diagnostics[0]


def test_error_points_at_offending_token_on_later_line(sumo):
    query = "_sourceCategory=app\n| where status = 500\n| count by host ]"
    d = _only_error(sumo.parse(query))
    assert (d.code, d.line, d.column) == ("DAC301", 3, 17)  # the stray ]
    assert "unexpected ']'" in d.message
    assert "expected" in d.message and "'|'" in d.message


def test_missing_operand_at_end_points_after_last_token(sumo):
    query = "_sourceCategory=app\n| where status >"
    d = _only_error(sumo.parse(query))
    assert (d.code, d.line, d.column) == ("DAC301", 2, 17)
    assert "unexpected end of query" in d.message
    assert "a value (field, number, string, function call or '(')" in d.message


def test_unclosed_parenthesis_expects_close(sumo):
    query = "error\n| where (a = 1 or b = 2"
    d = _only_error(sumo.parse(query))
    assert (d.line, d.column) == (2, 24)  # just after the last token
    assert "expected ')'" in d.message


def test_unterminated_string_points_at_quote(sumo):
    query = 'error\n| parse "user=*\n| count'
    d = _only_error(sumo.parse(query))
    assert (d.code, d.line, d.column) == ("DAC301", 2, 9)
    assert "unterminated string" in d.message
    assert "expected" in d.message and "string" in d.message


def test_unterminated_single_quote_in_operator_arguments(sumo):
    d = _only_error(sumo.parse("error | split line delim=';' extract 1 as a\n| split b delim=';"))
    assert (d.line, d.column) == (2, 17)
    assert "unterminated string: no closing '" in d.message


def test_unterminated_block_comment(sumo):
    d = _only_error(sumo.parse("error\n/* comment out\n| count"))
    assert (d.code, d.line, d.column) == ("DAC301", 2, 1)
    assert "unterminated comment" in d.message


def test_unknown_character_is_named(sumo):
    d = _only_error(sumo.parse("error | where x = 1 #"))
    assert (d.line, d.column) == (1, 21)
    assert "unexpected '#'" in d.message and "'|'" in d.message


def test_limit_says_what_it_needs(sumo):
    d = _only_error(sumo.parse("error | limit ten"))
    assert (d.line, d.column) == (1, 15)
    assert "unexpected 'ten'" in d.message
    assert "number" in d.message


def test_lookup_names_the_missing_keyword(sumo):
    d = _only_error(sumo.parse("error\n| lookup owner from /shared/assets\n| count"))
    assert (d.line, d.column) == (3, 1)
    assert "expected 'on'" in d.message


# --------------------------------------------------------------------------- keywords and placeholders

def test_keywords_are_case_insensitive(sumo):
    assert sumo.parse('error | WHERE a = 1 AND b MATCHES "x*" | COUNT BY a | SORT BY _count ASC').ok


def test_keyword_prefix_is_an_ordinary_name(sumo):
    # `wherever`, `order_id`, `by_host` are fields, not keywords
    assert sumo.parse("error | wherever = order_id + by_host | count by wherever").ok


def test_placeholders_are_reported_as_dac401(sumo):
    query = '_sourceCategory={{cat}} $$logsrc\n| where host matches "{{host}}"'
    result = sumo.parse(query)
    assert result.ok
    found = [(d.code, d.line, d.column) for d in result.diagnostics]
    assert found == [("DAC401", 1, 17), ("DAC401", 1, 25), ("DAC401", 2, 23)]
    assert all("template placeholder" in d.message for d in result.diagnostics)


def test_query_without_placeholders_has_no_diagnostics(sumo):
    assert sumo.parse("_sourceCategory=app | count by host").diagnostics == []


@pytest.mark.parametrize("text", ["", "   \n  ", None])
def test_empty_or_non_text_input_never_raises(sumo, text):
    assert not sumo.parse(text).ok
