"""YARA-L 2.0 grammar: valid rules parse, broken ones are DAC301 with a useful position."""
from __future__ import annotations

import pytest

from tests.languages.support import yaral_rule as rule
from tooling.languages import get_language

T1562 = r'''rule t1562_impair_defenses_windows {

  meta:
    author = "Detection Engineering"
    description = "Windows defence impairment (T1562): command lines that stop or reconfigure services, kill processes, weaken Microsoft Defender, clear or change audit and event logging, change boot settings or the firewall; and registry value changes under WinDefend, EventLog, SecurityHealth or MpsSvc keys."
    severity = "HIGH"
    priority = "HIGH"
    platform = "Windows"
    type = "alert"
    data_source = "EDR, Sysmon and Windows Security process and registry events"
    mitre_attack_tactic = "Defense Evasion"
    mitre_attack_technique = "Impair Defenses"
    mitre_attack_technique_id = "T1562"
    mitre_attack_url = "https://attack.mitre.org/techniques/T1562/"
    mitre_attack_version = "v16"
    false_positives = "Administrators and software installers reconfiguring services, Defender or the firewall"

  events:
    (
      $e.metadata.event_type = "PROCESS_LAUNCH" and
      re.regex($e.target.process.command_line,
        `\bsc(\.exe)?\s+(stop|config)\b|\bnet1?(\.exe)?\s+stop\b|\btaskkill\b|Set-MpPreference|DisableRealtimeMonitoring|DisableBehaviorMonitoring|Remove-MpPreference|\bauditpol(\.exe)?\s+/(clear|set)\b|\bwevtutil(\.exe)?\s+cl\b|\bbcdedit(\.exe)?\s+/set\b|\bnetsh(\.exe)?\s+advfirewall\s+set\b`) nocase
    )
    or
    (
      (
        $e.metadata.event_type = "REGISTRY_MODIFICATION" or
        $e.metadata.event_type = "REGISTRY_CREATION"
      ) and
      re.regex($e.target.registry.registry_key, `WinDefend|EventLog|SecurityHealth|MpsSvc`) nocase
    )

  outcome:
    // the columns of the seed query: time, device, account, action, command line, registry
    $event_time = $e.metadata.event_timestamp.seconds
    $hostname = $e.principal.hostname
    $principal_user_userid = $e.principal.user.userid
    $event_type = $e.metadata.product_event_type
    $command_line = $e.target.process.command_line
    $registry_key = $e.target.registry.registry_key
    $registry_value_name = $e.target.registry.registry_value_name
    $registry_value_data = $e.target.registry.registry_value_data
    // service named after "sc stop|config" or "net stop"; empty when the command stops none
    $stopped_service = re.capture($e.target.process.command_line,
      `(?i)(?:\bsc(?:\.exe)?\s+(?:stop|config)|\bnet1?(?:\.exe)?\s+stop)\s+"?([\w-]+)`)
    $is_security_service = if(re.regex($e.target.process.command_line,
      `(?i)(?:\bsc(?:\.exe)?\s+(?:stop|config)|\bnet1?(?:\.exe)?\s+stop)\s+"?(?:WinDefend|MsMpSvc|Sense|WdNisSvc|WdNisDrv|WdFilter|WdBoot|SecurityHealthService|wscsvc|EventLog|MpsSvc)\b`), 1, 0)
    $risk_score = 60 + if(re.regex($e.target.process.command_line,
      `(?i)(?:\bsc(?:\.exe)?\s+(?:stop|config)|\bnet1?(?:\.exe)?\s+stop)\s+"?(?:WinDefend|MsMpSvc|Sense|WdNisSvc|WdNisDrv|WdFilter|WdBoot|SecurityHealthService|wscsvc|EventLog|MpsSvc)\b`), 30, 0)

  condition:
    $e
}
'''


@pytest.fixture(scope="module")
def yaral():
    return get_language("yaral")




VALID_EVENTS = [
    '$e.metadata.event_type = "PROCESS_LAUNCH"',
    '$e.metadata.event_type = "USER_LOGIN" $e.security_result.action = "BLOCK"',
    '$e.target.port != 443',
    '$e.target.port >= 1024 and $e.target.port <= 65535',
    '1024 < $e.source.port',
    '$e.principal.hostname = $host',
    '$host = $e.principal.hostname',
    '$e.principal.hostname = "WS-01" nocase',
    '$e.target.user.email_addresses = /@example\\.com$/ nocase',
    '$e.target.url = /\\/admin\\/login/',
    're.regex($e.target.process.command_line, `\\bvssadmin(\\.exe)?\\s+delete`) nocase',
    're.regex($e.target.process.command_line, "powershell.*-enc") nocase',
    'not re.regex($e.principal.process.file.full_path, `(?i)\\\\program files\\\\`)',
    'NOT $e.principal.user.userid = "SYSTEM"',
    '$e.principal.ip in %trusted_ips',
    'not $e.principal.hostname in regex %lab_hosts',
    '$e.target.ip in cidr %corp_ranges',
    '$e.principal.hostname = %asset_table.hostname',
    'strings.to_lower($e.target.file.full_path) = "c:\\\\windows\\\\temp\\\\a.exe"',
    'net.ip_in_range_cidr($e.principal.ip, "10.0.0.0/8")',
    'any $e.principal.ip = "192.0.2.1"',
    'all $e.about.labels.value != "benign"',
    '$e.additional.fields["recipientAccountId"] = $account',
    '$e.target.resource.attribute.labels["Request Parameters"] != ""',
    '$e.principal.ip[0] = "198.51.100.7"',
    '($e.metadata.event_type = "NETWORK_DNS" or $e.metadata.event_type = "NETWORK_HTTP") '
    'and not ($e.network.dns.questions.name = /\\.local$/)',
    're.capture($e.principal.user.userid, ":assumed-role/.*/(.*)$") = $instance',
    '"google-test" = strings.concat($e.principal.hostname, "-test")',
    # no negative literals in YARA-L: the reference says to write `0-1`
    '$e.target.process.pid = 0 - 1',
    '$e.network.sent_bytes % 1024 = 0',
    'arrays.contains(["cmd.exe", "powershell.exe"], $e.target.process.file.names)',
    'net.ip_in_range_cidr(all $e.principal.ip, "192.0.2.0/24")',
    're.regex(any $e.about.hostname, `^srv-[0-9]+$`)',
    'not all $e.principal.ip = "203.0.113.9"',
    # (the condition is `$e`, so the detection variable is `$e` too: `$d` would be DAC460)
    '$e.detection.detection.outcomes["hostname"] = $host\n    $e.detection.detection.rule_name = /Brute Force/',
    '$e.about[1].hostname = "bob"',
    '($e.network.sent_bytes + 1) * 2 > 4096',
    '((re.regex($e.target.url, `/wp-admin/`)) or $e.target.port = 8080)',
    'not not $e.principal.hostname = ""',
    'timestamp.current_seconds() - $e.metadata.event_timestamp.seconds < 3600',
    '$e.network.sent_bytes + $e.network.received_bytes > 1000000 * 50',
    '$e.security_result.detection_fields.value = true or $e.about.user.userid = null',
    '$e.principal.process.parent_process\n      .file.full_path = "C:\\\\Windows\\\\explorer.exe"',
    '$e.metadata.event_type = "PROCESS_LAUNCH" // trailing comment\n    /* block\n comment */ $e.x.y = 1.5',
]


@pytest.mark.parametrize("events", VALID_EVENTS)
def test_valid_events_predicates(yaral, events):
    result = yaral.parse(rule(events))
    assert result.ok, result.diagnostics
    # valid syntax; a placeholder bound once and used nowhere else is a lint warning (DAC466)
    assert [d for d in result.diagnostics if d.code != "DAC466"] == []


VALID_RULES = [
    # hop window with several keys, counts in the condition
    rule('$e.metadata.event_type = "USER_LOGIN"\n    $e.target.user.userid = $user\n    $e.principal.ip = $ip',
         match="$user, $ip over 15m", condition="#e > 3"),
    # sliding window anchored on an event, absent second event
    rule('$e.metadata.event_type = "USER_LOGIN"\n    $e.target.user.userid = $user\n'
         '    $f.metadata.event_type = "USER_LOGOUT"\n    $f.target.user.userid = $user',
         match="$user over 1h after $e", condition="$e and !$f"),
    rule('$e.principal.hostname = $host', match="$host over 10m before $e", condition="$e"),
    # tumbling window
    rule('$e.principal.hostname = $host', match="$host by 30m", condition="#e >= 10"),
    # outcome aggregations, conditionals and arithmetic
    rule('$e.principal.hostname = $host', match="$host over 1d",
         outcome='$risk_score = max(if($e.security_result.severity = "HIGH", 80, 20))\n'
                 '    $event_count = count_distinct($e.metadata.id)\n'
                 '    $hosts = array_distinct($e.principal.hostname)\n'
                 '    $bytes = sum($e.network.sent_bytes) / 1024\n'
                 '    $label = strings.concat("host:", $host)\n'
                 '    $first = min($e.metadata.event_timestamp.seconds)\n'
                 '    $score = math.round(($risk_score + 5) * 1.5)',
         condition="$e and $risk_score > 50 and ($event_count > 2 or $bytes > 100)"),
    # condition forms: existence, absence, counts, parentheses, not, calls on outcomes
    rule('$e.principal.hostname = $host', match="$host over 10m",
         outcome='$ids = array_distinct($e.metadata.id)',
         condition='($e and #e >= 2) or (not $e and arrays.contains($ids, "x")) or !$e'),
    # metrics functions take named parameters
    rule('$e.principal.ip = $ip', match="$ip over 1h",
         outcome='$max_bytes = max(metrics.network_bytes_outbound(period:1d, window:30d,\n'
                 '        metric:value_sum, agg:max, principal.asset.ip:$ip))'),
    # meta is optional in practice (the reference's own examples leave it out)
    'rule no_meta {\n  events:\n    $e.metadata.event_type = "USER_LOGIN"\n  condition:\n    $e\n}',
    # single-event outcome without aggregation, negative constant
    rule('$e.metadata.event_type = "FILE_CREATION"',
         outcome='$path = $e.target.file.full_path\n    $offset = 0 - 5'),
    # options
    rule('$e.principal.hostname = $host', match="$host over 5m", options="allow_zero_values = true"),
    rule('$e.principal.hostname = $host', match="$host over 5m", options="suppression_window = 1h"),
    # meta values that are not strings; mixed-case keywords
    'rule meta_types {\n  meta:\n    version = 2\n    enabled = true\n    ratio = 0.5\n'
    '  events:\n    $e.metadata.event_type = "USER_LOGIN" AND $e.principal.ip IN %vpn\n'
    '  condition:\n    $e\n}',
    # two rules in one query, licence header, comments between sections
    '/*\n * Licence header\n */\nrule one {\n  meta:\n  events:\n    $a.metadata.event_type = "X"\n'
    '  // nothing else\n  condition:\n    $a\n}\n\nrule two {\n  meta:\n  events:\n'
    '    $b.metadata.event_type = "Y"\n  condition:\n    $b\n}\n',
    T1562,
]


@pytest.mark.parametrize("query", VALID_RULES)
def test_valid_rules(yaral, query):
    result = yaral.parse(query)
    assert result.ok, result.diagnostics


def test_t1562_query_is_the_shipped_file(yaral):
    # The same text as /work/scratch/t1562/yaral.txt, kept here verbatim as a must-parse case.
    assert yaral.parse(T1562).ok
    assert yaral.parse(T1562).tree.data == "start"


INVALID = [
    # unbalanced parentheses and brackets
    rule('($e.metadata.event_type = "X"'),
    rule('$e.metadata.event_type = "X")'),
    rule('re.regex($e.target.url, `x`'),
    rule('$e.additional.fields["k" = "v"'),
    rule('$e.x = "a"') + "\n)",
    rule('$e.x = "a"') + "\n(",
    # dangling operators and missing operands
    rule('$e.metadata.event_type ='),
    rule('$e.x = "a" and'),
    rule('$e.x = "a" or or $e.y = "b"'),
    rule('not'),
    rule('$e.x in'),
    rule('$e.x = 1 +'),
    # a second, incomplete rule
    rule('$e.x = "a"') + "\nrule ",
    # unterminated strings, regexes and comments
    rule('$e.x = "abc'),
    rule('$e.x = `abc'),
    rule('$e.x = /abc'),
    rule('$e.x = "a"') + "\n/* never closed",
    # garbage and foreign syntax
    rule('$e.x == "a"'),
    rule('$e.x = "a" | where x'),
    rule('$e.x = "a" && $e.y = "b"'),
    rule('$e.x = "a"') + "\n|",
    rule('$e.x = "a" @@@'),
    rule('$e.x = "a"', match="$host over 5m after"),
    rule('$e.x = "a"', options="allow_zero_values ="),
    rule('$e.x = "a"', match="$e.x over"),
    rule('$e.x = "a"', match="$host over 5"),
    rule('$e.x = "a"', outcome="$x ="),
    rule('$e.x = "a"', outcome="$x = max($e.y"),
    rule('$e.x = "a"', condition=""),
    rule('$e.x = "a"', condition="$e and"),
    # structure: missing braces, sections out of order or missing
    'rule r { meta: events: $e.x = "a" condition: $e',
    'rule r meta: events: $e.x = "a" condition: $e }',
    'rule r { meta: condition: $e events: $e.x = "a" }',
    # a value is not a predicate: forgotten operators
    rule('$e.metadata.event_type "PROCESS_LAUNCH"'),
    rule('$e.principal.hostname'),
    rule('$e.x = "a" "b"'),
    rule('$e.x = "a"', condition='$e $f'),
    rule('$e.x = "a"', condition='"PROCESS_LAUNCH"'),
    rule('$e.x = "a"', outcome='$r = $e.x = 1'),
    # negative literals, keyword used as a variable name
    rule('$e.target.port = -1'),
    rule('$e.x = "a"', outcome="$count = count($e.metadata.id)"),
    'rule r { meta: events: $e.x = "a" }',
    'rule { meta: events: $e.x = "a" condition: $e }',
    '$e.metadata.event_type = "PROCESS_LAUNCH"',
    'meta: author = "x"',
]


@pytest.mark.parametrize("query", INVALID)
def test_invalid_queries_are_rejected(yaral, query):
    result = yaral.parse(query)
    assert not result.ok
    assert result.diagnostics and result.diagnostics[0].code == "DAC301"
    assert result.diagnostics[0].line >= 1 and result.diagnostics[0].column >= 1


def first_error(yaral, query):
    result = yaral.parse(query)
    assert not result.ok
    return result.diagnostics[0]


def test_error_points_at_misplaced_keyword_on_its_line(yaral):
    query = ('rule r {\n'
             '  meta:\n'
             '    author = "x"\n'
             '  events:\n'
             '    $e.metadata.event_type = "PROCESS_LAUNCH" and\n'
             '  condition:\n'
             '    $e\n'
             '}')
    d = first_error(yaral, query)
    assert (d.code, d.line, d.column) == ("DAC301", 6, 3)
    assert "unexpected 'condition'" in d.message
    assert "expected an expression" in d.message


def test_error_at_unclosed_parenthesis_expects_close(yaral):
    query = 'rule r {\n  meta:\n  events:\n    ($e.x = "a"\n  condition:\n    $e\n}'
    d = first_error(yaral, query)
    assert (d.code, d.line, d.column) == ("DAC301", 5, 3)
    assert "expected ')'" in d.message  # first; an operator may also continue the expression


def test_error_at_double_equals(yaral):
    query = 'rule r {\n  meta:\n  events:\n    $e.x == "a"\n  condition:\n    $e\n}'
    d = first_error(yaral, query)
    # the second '=' of '==' is the offending token: line 4, column 11
    assert (d.code, d.line, d.column) == ("DAC301", 4, 11)
    assert "unexpected '='" in d.message and "expected an expression" in d.message


def test_error_for_unterminated_string_points_at_its_quote(yaral):
    query = 'rule r {\n  meta:\n    author = "x\n  events:\n    $e.x = "a"\n  condition:\n    $e\n}'
    d = first_error(yaral, query)
    assert (d.code, d.line, d.column) == ("DAC301", 3, 14)
    assert "unterminated string" in d.message


def test_error_for_missing_window_duration(yaral):
    query = 'rule r {\n  meta:\n  events:\n    $e.x = $h\n  match:\n    $h over\n  condition:\n    $e\n}'
    d = first_error(yaral, query)
    assert (d.code, d.line, d.column) == ("DAC301", 7, 3)
    assert "expected a duration such as 10m" in d.message


def test_error_for_dangling_rule_at_end_of_query(yaral):
    query = rule('$e.x = "a"') + "\nrule "
    d = first_error(yaral, query)
    # reported at the end of the text (after 'rule'), asking for the rule's name
    last_line = query.rstrip().split("\n")[-1]
    assert (d.line, d.column) == (query.rstrip().count("\n") + 1, len(last_line) + 1)
    assert "unexpected end of query" in d.message and "expected a name" in d.message


def test_error_for_missing_events_section(yaral):
    d = first_error(yaral, 'rule r {\n  meta:\n  condition:\n    $e\n}')
    assert (d.line, d.column) == (3, 3)
    # a meta key (a name) or the events section could come next
    assert d.message == "YARA-L syntax error: unexpected 'condition'; expected a name or 'events'"


def test_error_for_keyword_as_variable_name(yaral):
    query = 'rule r {\n  events:\n    $e.x = $h\n  outcome:\n    $Outcome = max(1)\n  condition:\n    $e\n}'
    d = first_error(yaral, query)
    assert (d.code, d.line, d.column) == ("DAC301", 5, 5)
    assert "'$Outcome' is not a valid variable name" in d.message


def test_expected_set_is_exact_not_lalr_merged(yaral):
    # after a string in the events section neither 'events' nor 'meta' can follow
    d = first_error(yaral, 'rule r {\n  events:\n    $e.x = "a" |\n  condition:\n    $e\n}')
    assert (d.line, d.column) == (3, 16)
    assert "'events'" not in d.message and "'meta'" not in d.message
    assert "'condition'" in d.message and "an operator" in d.message


def test_forgotten_operator_is_reported_at_the_second_value(yaral):
    query = rule('$e.metadata.event_type "PROCESS_LAUNCH"')
    d = first_error(yaral, query)
    # line 5 is the events predicate; the string starts at column 28
    assert (d.code, d.line, d.column) == ("DAC301", 5, 28)
    assert d.message == "YARA-L syntax error: unexpected '\"PROCESS_LAUNCH\"'; expected an operator"


def test_keywords_are_plain_names_inside_paths(yaral):
    # `value`, `key`, `in`, `all` are field names here, not keywords
    assert yaral.parse(rule('$e.about.labels.value = "x"\n    $e.in.all.by = 1')).ok


def test_parse_never_raises_on_odd_input(yaral):
    for text in ["", "   ", "}", "rule", "{" * 500, "(" * 2000, "\x00", "rule r { meta: events: " + "(" * 3000]:
        result = yaral.parse(text)
        assert not result.ok
        assert result.diagnostics[0].code in {"DAC301", "DAC302", "DAC303"}
