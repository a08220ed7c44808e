"""IBM QRadar AQL grammar: valid queries for every documented statement form, clause, operator and
function family; invalid queries; exact positions and messages of syntax errors.

All queries here were written for these tests from IBM's Ariel Query Language guide.
"""
from __future__ import annotations


import pytest

from tooling.languages import get_language

AQL = get_language("aql")

T1562 = """\
SELECT DATEFORMAT(starttime, 'yyyy-MM-dd HH:mm:ss') AS 'Timestamp',
       LOGSOURCENAME(logsourceid) AS 'Device Name',
       username AS 'Account Name',
       QIDNAME(qid) AS 'Action Type',
       "Process CommandLine" AS 'Command Line',
       "Registry Key" AS 'Registry Key',
       "Registry Value Name" AS 'Registry Value Name',
       "Registry Value Data" AS 'Registry Value Data',
       CASE WHEN "Process CommandLine" IMATCHES '.*(sc\\s+(stop|config)|net\\s+stop)\\s+\\w+.*'
            THEN REPLACEFIRST('(?i)^.*?(?:sc\\s+(?:stop|config)|net\\s+stop)\\s+"?([\\w]+).*$', "Process CommandLine", '$1')
            ELSE NULL END AS 'Stopped Service',
       CASE WHEN LOWER("Stopped Service") IN ('windefend', 'msmpsvc', 'sense', 'wdnissvc', 'wdnisdrv', 'wdfilter',
                                              'wdboot', 'securityhealthservice', 'wscsvc', 'eventlog', 'mpssvc')
            THEN 'true' ELSE 'false' END AS 'Is Security Service'
FROM events
WHERE LOGSOURCETYPENAME(devicetype) = 'Microsoft Windows Security Event Log'
  AND (
        /* process creation (Security 4688 / Sysmon 1) with a defence-impairing command line */
        ("EventID" IN ('4688', '1') AND (
              "Process CommandLine" ILIKE '%sc stop%'
           OR "Process CommandLine" ILIKE '%sc config%'
           OR "Process CommandLine" ILIKE '%net stop%'
           OR "Process CommandLine" ILIKE '%taskkill%'
           OR "Process CommandLine" ILIKE '%Set-MpPreference%'
           OR "Process CommandLine" ILIKE '%DisableRealtimeMonitoring%'
           OR "Process CommandLine" ILIKE '%DisableBehaviorMonitoring%'
           OR "Process CommandLine" ILIKE '%Remove-MpPreference%'
           OR "Process CommandLine" ILIKE '%auditpol /clear%'
           OR "Process CommandLine" ILIKE '%auditpol /set%'
           OR "Process CommandLine" ILIKE '%wevtutil cl%'
           OR "Process CommandLine" ILIKE '%bcdedit /set%'
           OR "Process CommandLine" ILIKE '%netsh advfirewall set%'))
        /* registry value set (Sysmon 13) under a security service key */
     OR ("EventID" = '13' AND (
              "Registry Key" ILIKE '%WinDefend%'
           OR "Registry Key" ILIKE '%EventLog%'
           OR "Registry Key" ILIKE '%SecurityHealth%'
           OR "Registry Key" ILIKE '%MpsSvc%'))
      )
ORDER BY "Timestamp" DESC
LAST 24 HOURS
"""

VALID = {
    # --- statement forms and clauses, in the documented order
    "select_star": "SELECT * FROM events",
    "flows_table": "SELECT * FROM flows LAST 10 MINUTES",
    "lowercase_keywords": "select sourceip, destinationip from events last 24 hours",
    "mixed_case_keywords": "Select sourceip From events Where magnitude > 3 Last 1 Hours",
    "star_and_columns": "SELECT *, QIDNAME(qid) AS 'Event Name' FROM events LIMIT 10",
    "aliases_all_forms": "SELECT sourceip AS 'Source IP', destinationip AS dst, username AS \"User Name\" FROM events",
    "implicit_alias": "SELECT DATEFORMAT(starttime, 'yyyy-MM-dd HH:mm') first_seen, username FROM events",
    "where": "SELECT * FROM events WHERE logsourceid = 65",
    "group_by": "SELECT sourceip, COUNT(*) AS total FROM events GROUP BY sourceip",
    "group_by_many": "SELECT sourceip, destinationip, COUNT(*) FROM events GROUP BY sourceip, destinationip",
    "group_by_expression": "SELECT starttime, SUM(eventcount) FROM events GROUP BY starttime/60000 LAST 1 HOURS",
    "having": "SELECT sourceip, MAX(magnitude) AS mag FROM events GROUP BY sourceip HAVING mag > 5",
    "order_by": "SELECT * FROM events ORDER BY magnitude DESC, starttime ASC",
    "order_by_string_alias": "SELECT username, COUNT(*) AS 'Hits' FROM events GROUP BY username ORDER BY 'Hits' DESC",
    "order_by_collate": "SELECT * FROM events ORDER BY username DESC COLLATE 'de-CH'",
    "limit_then_last": "SELECT * FROM events LIMIT 5 LAST 24 HOURS",
    "all_clauses": (
        "SELECT sourceip, COUNT(*) AS hits FROM events WHERE magnitude >= 3 GROUP BY sourceip "
        "HAVING hits > 10 ORDER BY hits DESC LIMIT 20 LAST 2 DAYS"
    ),
    "multiline": "SELECT sourceip,\n       username\nFROM events\nWHERE magnitude > 5\nLIMIT 100\nLAST 7 DAYS\n",
    # --- time criteria
    "last_seconds": "SELECT * FROM events LAST 30 SECONDS",
    "last_singular_unit": "SELECT * FROM events LAST 1 HOUR",
    "last_minutes_lowercase": "SELECT * FROM events last 15 minutes",
    "last_days": "SELECT * FROM events LAST 7 DAYS",
    "start_stop_strings": "SELECT * FROM events WHERE username IS NULL START '2024-04-25 15:51' STOP '2024-04-25 17:00'",
    "start_stop_seconds": "SELECT * FROM events START '2024/04/25 15:51:20' STOP '2024/04/25 17:00:20'",
    "start_only_parsedatetime": "SELECT * FROM events START PARSEDATETIME('1 day ago')",
    "start_stop_parsedatetime": "SELECT * FROM events START PARSEDATETIME('1 hour ago') STOP PARSEDATETIME('now')",
    "start_stop_epoch": "SELECT * FROM events START 1714060260000 STOP 1714064400000",
    # --- INTO cursor, subqueries, table functions
    "into_cursor_string": (
        "SELECT LONG(sourceip) AS long_ip FROM events INTO 'ip_cursor' "
        "WHERE (long_ip & 0xff000000) = 0x0a000000 GROUP BY long_ip LIMIT 50"
    ),
    "into_cursor_name": "SELECT LONG(sourceip)AS long_ip, sourceip FROM events into c1 WHERE (long_ip & 0x000000ff)=0x00000064",
    "subquery_from": "SELECT username FROM (SELECT * FROM events WHERE username IS NOT NULL LAST 60 MINUTES)",
    "subquery_in": (
        "SELECT * FROM events WHERE username IN (SELECT username FROM events LIMIT 10 LAST 5 MINUTES) LAST 24 HOURS"
    ),
    "subquery_not_in": "SELECT * FROM flows WHERE sourceip NOT IN (SELECT destinationip FROM flows LIMIT 100)",
    "globalview": "SELECT \"COUNT\" AS c, time*1000 AS epoch FROM globalview('My Saved View','HOURLY') LAST 1 DAYS",
    # --- transactional sessions
    "session_by": (
        "SELECT sessionid, username, sourceip FROM events WHERE category = 3014 "
        "SESSION BY starttime username, sourceip BEGIN qid = 5000 END qid = 5001 LAST 1 DAYS"
    ),
    "session_by_explicit_timeouts": (
        "SELECT sessionid, username FROM events SESSION BY starttime username "
        "EXPLICIT BEGIN category = 3014 EXPLICIT END category = 3019 TIMEOUT 60000 TIMEWINDOW 1 HOURS LAST 2 HOURS"
    ),
    # --- PARAMETERS
    "parameters_time_limit": "SELECT * FROM events LAST 5 MINUTES PARAMETERS EXECUTIONTIMELIMIT=30000",
    "parameters_function": (
        "SELECT processorid, PROCESSORNAME(processorid) FROM events GROUP BY processorid "
        "LAST 20 MINUTES PARAMETERS REMOTESERVERS=ARIELSERVERS4EPID(8)"
    ),
    # --- comparison, logical and arithmetic operators
    "comparisons": (
        "SELECT * FROM flows WHERE sourcebytes = 1 OR sourcebytes != 2 OR sourcebytes <> 3 "
        "OR sourcebytes < 4 OR sourcebytes > 5 OR sourcebytes <= 6 OR sourcebytes >= 7 OR sourcebytes == 8"
    ),
    "arithmetic": (
        "SELECT * FROM flows WHERE sourcebytes * 1024 < 1 AND sourcebytes / 8 > 64 "
        "AND sourcebytes + destinationbytes < 64 AND sourcebytes - destinationbytes > 0 "
        "AND sourcebytes ^ 2 < 256 AND sourcebytes % 8 == 7"
    ),
    "arithmetic_in_select": "SELECT starttime/(1000*60) AS minute, (minute * (1000*60)) AS stime FROM events",
    "bitwise": (
        "SELECT LONG(sourceip) AS ip FROM events WHERE (ip & 0xff000000) = 0x0a000000 "
        "OR (ip | 255) = 4294967295 OR (ip >> 24) = 10 OR (ip << 8) > 0 OR ~ip < 0"
    ),
    "and_or_not_parentheses": (
        "SELECT * FROM events WHERE (sourceip = destinationip) AND NOT (sourceport = destinationport OR magnitude < 2)"
    ),
    "between": "SELECT * FROM events WHERE magnitude BETWEEN 1 AND 5 AND severity NOT BETWEEN 8 AND 10",
    "in_list": "SELECT * FROM events WHERE qideventid IN (4624, 4625, 4634) AND destinationport NOT IN (80, 443)",
    "like_wildcards": "SELECT * FROM events WHERE username LIKE 'Jo%' OR username LIKE 'Jo_' OR username NOT LIKE '%svc%'",
    "ilike": "SELECT * FROM events WHERE UTF8(payload) ILIKE '%mimikatz%'",
    "matches_imatches": (
        "SELECT QIDNAME(qid) AS test FROM events WHERE test MATCHES '.*Information.*' "
        "OR test IMATCHES '^logon\\s+fail.*' OR test NOT IMATCHES '.*\\d{4}.*'"
    ),
    "is_null": "SELECT * FROM events WHERE username IS NULL OR destinationip IS NOT NULL",
    "text_search": "SELECT * FROM events WHERE TEXT SEARCH 'VPN Authenticated user' LAST 1 HOURS",
    "text_search_equals": "SELECT * FROM events WHERE TEXT SEARCH = 'firewall' AND magnitude > 3",
    "incidr": "SELECT * FROM flows WHERE INCIDR('172.16.0.0/16', sourceip) AND NOT INCIDR('10.0.0.0/8', destinationip)",
    "negative_and_decimal_numbers": "SELECT * FROM events WHERE magnitude > -1 AND credibility >= 0.5 AND relevance < .75",
    "string_escapes": "SELECT * FROM events WHERE username = 'O\\'Brien' OR username = 'it''s'",
    # --- conditional logic
    "case_searched": (
        "SELECT CASE WHEN magnitude >= 8 THEN 'high' WHEN magnitude >= 5 THEN 'medium' ELSE 'low' END AS level "
        "FROM events"
    ),
    "case_simple": "SELECT CASE username WHEN 'root' THEN 'Admin root' WHEN 'admin' THEN 'Admin user' ELSE 'other' END FROM events",
    "case_without_else": "SELECT CASE WHEN sourceport < 1024 THEN 'well-known' END AS port_class FROM flows",
    "if_then_else": "SELECT sourceip, IF username = 'root' THEN 'ADMIN' ELSE username AS user FROM events",
    "if_with_function": (
        "SELECT sourceip, IF username IS NULL THEN ASSETUSER(sourceip) ELSE username AS username "
        "FROM events GROUP BY username LAST 2 DAYS"
    ),
    # --- data retrieval functions
    "name_lookup_functions": (
        "SELECT QIDNAME(qid), QIDDESCRIPTION(qid), LOGSOURCENAME(logsourceid), LOGSOURCETYPENAME(devicetype), "
        "LOGSOURCEGROUPNAME(devicegrouplist), CATEGORYNAME(category), CATEGORYNAME(highlevelcategory), "
        "PROTOCOLNAME(protocolid), RULENAME(creeventlist), DOMAINNAME(domainid) FROM events"
    ),
    "flow_functions": "SELECT APPLICATIONNAME(applicationid) AS 'Name of App', PROTOCOLNAME(protocolid) FROM flows",
    "asset_functions": (
        "SELECT ASSETHOSTNAME(sourceip, NOW()) AS host, ASSETPROPERTY('Location', sourceip) AS loc, "
        "ASSETUSER(sourceip, NOW()) AS owner, NETWORKNAME(sourceip) AS net FROM events"
    ),
    "reference_data_functions": (
        "SELECT REFERENCEMAP('UserDepartment', username) AS dept, "
        "REFERENCETABLE('UserAccounts', 'Manager', username) AS manager FROM events "
        "WHERE REFERENCESETCONTAINS('CriticalWatchList', destinationip) "
        "AND REFERENCEMAPSETCONTAINS('AllowedHosts', username, sourceip)"
    ),
    "geo_functions": (
        "SELECT GEO::LOOKUP(sourceip, 'city') AS city, GEO::DISTANCE(sourceip, destinationip) AS km FROM events "
        "WHERE GEO::LOOKUP(sourceip, 'country') != 'Canada' LAST 10 MINUTES"
    ),
    "offense_and_xforce": (
        "SELECT * FROM events WHERE INOFFENSE(123) OR XFORCE_IP_CONFIDENCE('Botnet Command and Control Server', "
        "destinationip) > 50"
    ),
    "processor_functions": "SELECT processorid, PROCESSORNAME(processorid), ARIELSERVERS4EPID(processorid) FROM events GROUP BY processorid",
    # --- calculation and formatting functions
    "date_functions": (
        "SELECT DATEFORMAT(starttime, 'yyyy-MM-dd hh:mm:ss') AS st, DATEFORMAT(devicetime, 'MMM dd hh:mm a') FROM events "
        "WHERE starttime > PARSEDATETIME('2 hours ago') AND endtime < NOW()"
    ),
    "conversion_functions": "SELECT STR(sourceport), LONG(SUM(sourcebytes + destinationbytes)) AS total, DOUBLE('1234') FROM flows GROUP BY sourceip",
    "string_functions": (
        "SELECT CONCAT(username, ':', sourceip) AS who, LOWER(username), UPPER(username), "
        "SUBSTRING(username, 0, 3), STRLEN(username), STRPOS(username, '@'), "
        "REPLACEALL('\\d{16}', username, 'censored'), REPLACEFIRST('^DOMAIN\\\\', username, '') FROM events"
    ),
    "payload_functions": "SELECT BASE64(payload), UTF8(payload) FROM events WHERE UTF8(payload) LIKE '%xyz%'",
    # --- aggregation functions
    "aggregates": (
        "SELECT sourceip, COUNT(*), COUNT(destinationip), UNIQUECOUNT(username), DISTINCTCOUNT(destinationip), "
        "SUM(eventcount), MIN(magnitude), MAX(magnitude), AVG(magnitude), FIRST(username), LAST(username), "
        "STDEV(magnitude), STDEVP(magnitude) FROM events GROUP BY sourceip"
    ),
    "nested_aggregate": "SELECT username, LONG(COUNT(*)) AS \"Total\" FROM events GROUP BY username ORDER BY \"Total\" DESC LIMIT 10",
    # --- names
    "quoted_custom_properties": (
        "SELECT \"Process CommandLine\", \"AVG_StrLen(UTF8(Payload))\" AS p FROM events "
        "WHERE \"Account Security ID\" = 'S-1-5-18' AND \"EventID\" = '4688'"
    ),
    "keyword_like_field_names": (
        "SELECT minute, start, stop, last, hours, text, session, user FROM events WHERE text = 'x' AND start > stop "
        "GROUP BY minute LAST 1 HOURS"
    ),
    "alias_reused_later": "SELECT time*1000 AS epoch, epoch/(1000*60) AS mymin FROM globalview('Event Rate (EPS)','DAILY') GROUP BY mymin",
    # --- comments (inside the body only)
    "block_comments_in_body": (
        "SELECT * FROM events\n/* only processor 1 */\nWHERE processorid = 1\n/* the last five minutes */\nLAST 5 MINUTES"
    ),
    "multiline_block_comment": "SELECT sourceip /* a comment\n spanning lines */ FROM events",
    "t1562": T1562,
}

INVALID = {
    "empty": "",
    "blank": "   \n  ",
    "not_aql": "DeviceProcessEvents | where Timestamp > ago(1d)",
    "stray_close_paren": "SELECT * FROM events\n)",
    "stray_open_paren": "SELECT * FROM events\n(",
    "unbalanced_paren_in_where": "SELECT * FROM events WHERE (magnitude > 3 LAST 2 HOURS",
    "unbalanced_call": "SELECT QIDNAME(qid FROM events",
    "dangling_and": "SELECT * FROM events WHERE magnitude > 3 AND ",
    "dangling_and_after_time": "SELECT * FROM events LAST 24 HOURS AND ",
    "dangling_or": "SELECT * FROM events WHERE a = 1 OR",
    "missing_operand": "SELECT * FROM events WHERE magnitude > ",
    "missing_in_list": "SELECT * FROM events WHERE qid IN ()",
    "between_without_and": "SELECT * FROM events WHERE magnitude BETWEEN 1",
    "unterminated_string": "SELECT * FROM events WHERE username = 'admin",
    "unterminated_quoted_name": "SELECT \"Process CommandLine FROM events",
    "unterminated_comment": "SELECT * FROM events /* never closed",
    "line_comment": "SELECT * FROM events -- not AQL",
    "leading_comment": "/* header */ SELECT * FROM events",
    "trailing_comment": "SELECT * FROM events LAST 5 MINUTES /* footer */",
    "missing_from": "SELECT sourceip WHERE magnitude > 3",
    "no_table": "SELECT * FROM",
    "limit_after_last": "SELECT * FROM events LAST 24 HOURS LIMIT 5",
    "where_after_group_by": "SELECT * FROM events GROUP BY sourceip WHERE magnitude > 3",
    "bad_time_unit": "SELECT * FROM events LAST 5 FORTNIGHTS",
    "last_without_number": "SELECT * FROM events LAST HOURS",
    "limit_without_number": "SELECT * FROM events LIMIT",
    "trailing_comma": "SELECT sourceip, FROM events",
    "sql_join": "SELECT * FROM events JOIN flows ON events.sourceip = flows.sourceip",
    "semicolon": "SELECT * FROM events;",
    "stray_pipe": "SELECT * FROM events |",
    "unknown_garbage": "SELECT * FROM events WHERE magnitude > 3 @@@",
    "case_without_end": "SELECT CASE WHEN magnitude > 3 THEN 'x' FROM events",
    "if_without_else": "SELECT IF magnitude > 3 THEN 'x' FROM events",
    "smart_quotes": "SELECT * FROM events WHERE username LIKE \u2019%User%\u2019",
    "count_distinct": "SELECT COUNT(DISTINCT username) FROM events",
    "session_without_options": "SELECT * FROM events SESSION BY starttime username",
}


# More forms from IBM's reference: tables, time formats, every function family member, PARAMETERS
# variants, nesting, and operators in every clause.
VALID.update({
    "simarc_table": "SELECT sourceip, destinationip FROM simarc LAST 1 HOURS",
    "quoted_table_name": "SELECT username FROM \"events\" LAST 1 HOURS",
    "start_stop_timezone": "SELECT * FROM events START '2024-04-25 15:51Z' STOP '2024-04-25 17:00z'",
    "start_stop_other_formats": "SELECT * FROM events START '2024/04/25-15:51:20' STOP '2024:04:25-17:00:20'",
    "parsetimestamp": "SELECT PARSETIMESTAMP('MMM dd yyyy HH:mm:ss', \"Event Time\") AS t FROM events LAST 1 HOURS",
    "retrieval_functions_more": (
        "SELECT HOSTNAME(processorid), COMPONENTID(processorid), FULLNETWORKNAME(sourceip, domainid), "
        "OFFENSE_TIME(123), ARIELSERVERS4EPNAME('eventprocessor0'), QIDDESCRIPTION(qid) FROM events "
        "WHERE MATCHESASSETSEARCH('High value assets', sourceip) LAST 1 HOURS"
    ),
    "xforce_functions": (
        "SELECT XFORCE_IP_CATEGORY(destinationip) AS cat, XFORCE_URL_CATEGORY(\"URL\") AS ucat FROM events "
        "WHERE XFORCE_IP_CONFIDENCE('Spam', destinationip) > 50 OR XFORCE_URL_CONFIDENCE('Malware', \"URL\") > 50 "
        "LAST 1 HOURS"
    ),
    "geo_domain_functions": (
        "SELECT GEO::LOOKUP_BY_DOMAIN(sourceip, domainid, 'country'), GEO::LOOKUP_TEXT(sourceip, 'city'), "
        "GEO::DISTANCE_BY_DOMAIN(sourceip, destinationip, domainid) FROM events LAST 1 HOURS"
    ),
    "parameters_excludeservers": (
        "SELECT * FROM events LAST 5 MINUTES PARAMETERS EXCLUDESERVERS=ARIELSERVERS4EPNAME('ep1'), "
        "EXECUTIONTIMELIMIT=1000"
    ),
    "nested_subqueries_two_levels": (
        "SELECT username FROM (SELECT username, sourceip FROM (SELECT * FROM events WHERE magnitude > 5 LAST 1 DAYS) "
        "WHERE INCIDR('10.0.0.0/8', sourceip)) GROUP BY username"
    ),
    "not_referencesetcontains": (
        "SELECT sourceip FROM events WHERE NOT REFERENCESETCONTAINS('Allowed IPs', sourceip) LAST 1 HOURS"
    ),
    "order_by_function": (
        "SELECT username, COUNT(*) FROM events GROUP BY username ORDER BY COUNT(*) DESC, LOWER(username) "
        "LIMIT 5 LAST 1 DAYS"
    ),
    "having_compound": (
        "SELECT sourceip, COUNT(*) AS n, AVG(magnitude) AS m FROM events GROUP BY sourceip "
        "HAVING n > 10 AND m >= 5 OR n > 1000 LAST 1 DAYS"
    ),
    "nested_calls": (
        "SELECT LOWER(SUBSTRING(UTF8(payload), 0, STRPOS(UTF8(payload), ' '))) AS first_word FROM events LAST 1 HOURS"
    ),
    "group_by_call_and_arithmetic": (
        "SELECT DATEFORMAT(starttime, 'HH') AS h, SUM(eventcount) FROM events "
        "GROUP BY DATEFORMAT(starttime, 'HH'), starttime/3600000 LAST 1 DAYS"
    ),
    "negations_inside_case": (
        "SELECT CASE WHEN magnitude NOT BETWEEN 1 AND 3 AND username NOT LIKE 'svc_%' THEN 1 ELSE 0 END AS flag "
        "FROM events LAST 1 HOURS"
    ),
    "is_not_null_on_call": "SELECT * FROM events WHERE REFERENCEMAP('Dept', username) IS NOT NULL LAST 1 HOURS",
    "hex_and_xor": "SELECT LONG(sourceip) AS ip FROM events WHERE (ip ^ 0x0000ffff) > 0 AND ip & 0xFF = 0x64 LAST 1 HOURS",
    "session_timeout_unit": (
        "SELECT sessionid FROM events SESSION BY starttime sourceip BEGIN qid = 1 TIMEOUT 30 MINUTES LAST 1 DAYS"
    ),
    "text_search_with_filters": (
        "SELECT * FROM events WHERE TEXT SEARCH 'failed password' AND sourceip != destinationip AND magnitude > 2 "
        "LAST 1 HOURS"
    ),
    "count_field_and_distinctcount": (
        "SELECT username, COUNT(sourceip), DISTINCTCOUNT(sourceip) AS ips FROM events GROUP BY username LAST 5 MINUTES"
    ),
    "now_arithmetic": "SELECT * FROM events WHERE starttime > NOW() - 3600000 LAST 2 HOURS",
    "flows_fields": (
        "SELECT sourceip, destinationport, APPLICATIONNAME(applicationid), sourcebytes + destinationbytes AS total "
        "FROM flows WHERE protocolid = 6 ORDER BY total DESC LIMIT 10 LAST 1 HOURS"
    ),
})

INVALID.update({
    "group_by_without_list": "SELECT a FROM events GROUP BY LAST 1 HOURS",
    "order_without_by": "SELECT a FROM events ORDER a",
    "session_by_without_keys": "SELECT a FROM events SESSION BY BEGIN qid = 1",
    "unclosed_in_subquery": "SELECT a FROM events WHERE a IN (SELECT a FROM events",
    "dangling_not": "SELECT a FROM events WHERE NOT",
    "between_missing_low": "SELECT a FROM events WHERE a BETWEEN AND 5",
    "case_when_without_condition": "SELECT CASE WHEN THEN 1 END FROM events",
    "like_without_pattern": "SELECT a FROM events WHERE a ILIKE",
    "into_without_name": "SELECT a FROM events INTO WHERE a = 1",
    "parameters_without_value": "SELECT a FROM events LAST 1 HOURS PARAMETERS EXECUTIONTIMELIMIT=",
    "start_without_time": "SELECT a FROM events START",
    "stop_without_start": "SELECT a FROM events STOP '2024-01-01 00:00'",
    "namespace_without_function": "SELECT GEO::(sourceip) FROM events",
    "trailing_comma_before_from": "SELECT a, b, FROM events",
    "two_time_clauses": "SELECT a FROM events LAST 1 HOURS START '2024-01-01 00:00'",
    "double_where": "SELECT a FROM events WHERE a = 1 WHERE b = 2",
    "having_before_group_by": "SELECT a FROM events HAVING a > 1 GROUP BY a",
    "last_decimal": "SELECT a FROM events LAST 1.5 HOURS",
    "union": "SELECT a FROM events UNION SELECT a FROM flows",
    "postgres_cast": "SELECT a::int FROM events",
})

@pytest.mark.parametrize("query", VALID.values(), ids=VALID.keys())
def test_valid_queries_parse(query):
    result = AQL.parse(query)
    assert result.ok, result.diagnostics
    # lint findings (DAC4xx) are allowed here: many reference examples omit the time range
    assert [d for d in result.diagnostics if not d.code.startswith("DAC4")] == []
    assert result.tree is not None


@pytest.mark.parametrize("query", INVALID.values(), ids=INVALID.keys())
def test_invalid_queries_are_rejected(query):
    result = AQL.parse(query)
    assert not result.ok
    assert result.diagnostics
    for diag in result.diagnostics:
        assert diag.code == "DAC301"
        assert diag.line >= 1 and diag.column >= 1


def _only_error(query):
    result = AQL.parse(query)
    assert not result.ok
    assert len(result.diagnostics) == 1
    return result.diagnostics[0]


def test_dangling_and_points_at_end_and_expects_an_operand():
    # "...magnitude > 3 AND" is 44 characters; the error is just after it (column 45).
    diag = _only_error("SELECT * FROM events WHERE magnitude > 3 AND ")
    assert (diag.code, diag.line, diag.column) == ("DAC301", 1, 45)
    assert "unexpected end of query" in diag.message
    assert "expected" in diag.message and "'('" in diag.message


def test_unclosed_parenthesis_multiline_points_at_next_clause():
    query = "SELECT sourceip\nFROM events\nWHERE (magnitude > 3\nLAST 2 HOURS"
    diag = _only_error(query)
    assert (diag.code, diag.line, diag.column) == ("DAC301", 4, 1)
    assert "unexpected 'LAST'" in diag.message
    assert "')'" in diag.message


def test_stray_close_paren_on_new_line():
    diag = _only_error("SELECT * FROM events\nLAST 10 MINUTES\n)")
    assert (diag.code, diag.line, diag.column) == ("DAC301", 3, 1)
    assert "unexpected ')'" in diag.message
    assert "the end of the query" in diag.message  # or a PARAMETERS clause, the only clause left


def test_expected_list_is_exact_inside_a_call():
    # LALR lookaheads would also list session/clause keywords here; only ')' or ',' can follow.
    diag = _only_error("SELECT COUNT(DISTINCT username) FROM events")
    assert (diag.line, diag.column) == (1, 23)
    # DISTINCT reads as a field, so an operator may follow too; the closers come first
    assert "unexpected 'username'; expected ')', ','" in diag.message


def test_missing_from_in_subquery_points_at_its_clause():
    diag = _only_error("SELECT a FROM events WHERE b IN (SELECT c LIMIT 5)")
    assert (diag.line, diag.column) == (1, 43)
    assert "unexpected 'LIMIT'" in diag.message and "expected 'from'" in diag.message


def test_timewindow_needs_a_unit():
    query = "SELECT * FROM events\nSESSION BY starttime username BEGIN qid = 1\nTIMEWINDOW 5"
    diag = _only_error(query)
    assert (diag.line, diag.column) == (3, 13)  # just past the final "5"
    assert "unexpected end of query" in diag.message and "'minutes'" in diag.message


def test_unterminated_string_points_at_the_quote():
    # The opening quote is the 30th character of the second line.
    diag = _only_error("SELECT *\nFROM events WHERE username = 'admin\nLAST 1 HOURS")
    assert (diag.code, diag.line, diag.column) == ("DAC301", 2, 30)
    assert "unexpected character" in diag.message


def test_bad_time_unit_lists_the_units():
    diag = _only_error("SELECT * FROM events\nLAST 5 FORTNIGHTS")
    assert (diag.line, diag.column) == (2, 8)
    assert "unexpected 'FORTNIGHTS'" in diag.message
    assert "'minutes'" in diag.message and "'hours'" in diag.message and "'days'" in diag.message


def test_missing_from_points_at_the_following_clause():
    diag = _only_error("SELECT sourceip, username\nWHERE magnitude > 3")
    assert (diag.code, diag.line, diag.column) == ("DAC301", 2, 1)
    assert "unexpected 'WHERE'" in diag.message and "expected 'from'" in diag.message


def test_missing_from_at_end_of_query():
    diag = _only_error("SELECT sourceip")
    assert (diag.line, diag.column) == (1, 16)
    assert "expected 'from'" in diag.message


def test_limit_after_last_is_out_of_order():
    diag = _only_error("SELECT * FROM events LAST 24 HOURS LIMIT 5")
    assert (diag.line, diag.column) == (1, 36)
    assert "unexpected 'LIMIT'" in diag.message
    assert "'parameters'" in diag.message


def test_leading_comment_is_reported_where_it_starts():
    diag = _only_error("\n  /* header */\nSELECT * FROM events")
    assert (diag.code, diag.line, diag.column) == ("DAC301", 2, 3)
    assert "comment" in diag.message and "expected 'select'" in diag.message


def test_trailing_comment_is_reported_where_it_starts():
    diag = _only_error("SELECT * FROM events\nLAST 5 MINUTES /* footer */\n")
    assert (diag.code, diag.line, diag.column) == ("DAC301", 2, 16)
    assert "comment" in diag.message


def test_keywords_are_case_insensitive_and_names_are_not_reserved_elsewhere():
    assert AQL.parse("sElEcT last FROM events wHeRe last = 1 LaSt 1 DaYs").ok


@pytest.mark.parametrize("bad", [None, 42, b"SELECT * FROM events"])
def test_non_text_input_does_not_raise(bad):
    result = AQL.parse(bad)
    assert not result.ok and result.diagnostics[0].code == "DAC301"


def test_oversized_query_is_bounded():
    result = AQL.parse("SELECT * FROM events WHERE " + " OR ".join(["a = 1"] * 50_000))
    assert not result.ok and result.diagnostics[0].code == "DAC302"


def test_deep_nesting_does_not_raise():
    depth = 2_000
    result = AQL.parse("SELECT * FROM events WHERE " + "(" * depth + "a = 1" + ")" * depth)
    assert result.ok or result.diagnostics[0].code in {"DAC301", "DAC302", "DAC303"}


def test_tree_contains_the_clauses():
    tree = AQL.parse("SELECT a FROM events WHERE b = 1 GROUP BY a LAST 1 HOURS").tree
    names = {t.data for t in tree.iter_subtrees()}
    assert {"select_stmt", "from_clause", "where_clause", "group_clause", "last_clause"} <= names


def test_two_time_clauses_point_at_the_second():
    diag = _only_error("SELECT a FROM events\nLAST 1 HOURS\nSTART '2024-01-01 00:00'")
    assert (diag.line, diag.column) == (3, 1)
    assert diag.message == ("AQL syntax error: unexpected 'START'; expected 'parameters' or the end of the query")


def test_stop_without_start_lists_the_clauses():
    diag = _only_error("SELECT a FROM events STOP '2024-01-01 00:00'")
    assert (diag.line, diag.column) == (1, 22)
    assert "unexpected 'STOP'; expected a clause ('into', 'where'" in diag.message
    assert "'start'" in diag.message


def test_tree_call_arguments_are_direct_children():
    call = next(AQL.parse("SELECT CONCAT(a, 'b', 1) FROM events").tree.find_data("call"))
    assert call.children[1].data == "arguments" and len(call.children[1].children) == 3
