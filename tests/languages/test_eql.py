"""Elastic EQL grammar: valid and invalid queries, error positions and messages.

Every query here was written for these tests from the Elasticsearch EQL syntax reference.
"""
from __future__ import annotations

import pytest

from tooling.languages import get_language

EQL = get_language("eql")

# The T1562 (Impair Defenses) detection written in EQL; kept verbatim from t1562/eql.txt.
T1562 = '''/* T1562 Impair Defenses (Windows) over Elastic Defend process and registry events (ECS).
   The 24h look-back is the rule's schedule (from: now-24h); the index patterns are
   logs-endpoint.events.process-* and logs-endpoint.events.registry-*. EQL returns whole events,
   so nothing is projected: each alert carries @timestamp, host.name, user.name, event.action,
   process.command_line, registry.key, registry.value and registry.data.strings. EQL has no
   capture-group extraction or computed columns, so the stopped service and whether it is a
   security service (WinDefend, MsMpSvc, Sense, WdNisSvc, WdNisDrv, WdFilter, WdBoot,
   SecurityHealthService, wscsvc, EventLog, MpsSvc) are read from process.args in triage. */
any where host.os.type == "windows" and
  (
    (event.category == "process" and event.type == "start" and
      process.command_line : (
        "*sc stop*", "*sc config*", "*net stop*", "*taskkill*", "*Set-MpPreference*",
        "*DisableRealtimeMonitoring*", "*DisableBehaviorMonitoring*", "*Remove-MpPreference*",
        "*auditpol /clear*", "*auditpol /set*", "*wevtutil cl*", "*bcdedit /set*",
        "*netsh advfirewall set*"
      )
    ) or
    (event.category == "registry" and event.type == "change" and
      registry.key : ("*WinDefend*", "*EventLog*", "*SecurityHealth*", "*MpsSvc*")
    )
  )
'''

VALID = [
    # event queries and categories
    'process where process.name == "cmd.exe"',
    'any where network.protocol == "dns"',
    '"my-custom.category" where user.name != null',
    '"""my category""" where true',
    'file where false',
    'network where destination.port >= 1024 and destination.port < 49152',
    'registry where registry.path <= "HKLM" or registry.path > "HKU"',
    # operators
    'process where process.name : "power*.exe"',
    'process where process.name : ("pwsh.exe", "powershell.exe")',
    'process where process.name like "Power*"',
    'process where process.name like~ ("*shell*", "cmd?exe")',
    'process where process.command_line regex ".*-enc.*"',
    'process where process.command_line regex~ (".*iex.*", ".*invoke-expression.*")',
    'process where process.name in ("a.exe", "b.exe", "c.exe")',
    'process where process.name in~ ("A.EXE", "b.exe")',
    'process where process.name not in ("a.exe", "b.exe")',
    'process where process.name not in~ ("A.exe")',
    'process where not process.name in ("x.exe")',
    'process where not (process.pid == 4 or process.pid == 0)',
    'process where not not process.pid == 4',
    'process where process.pid in (4, 8, 12) and process.parent.pid != 0',
    # literals
    'process where process.args_count == 2.5e1 and process.pe.score > .5',
    'file where file.path == "C:\\\\Windows\\\\System32\\\\cmd.exe"',
    'file where file.name == "quote \\" inside" and file.ext == "tab\\there"',
    'file where file.name : "*\\u{202E}*"',
    'file where file.path : """C:\\Users\\*\\AppData\\*"""',
    'process where process.exit_code == -1 and x == +2',
    # arithmetic and functions
    'process where length(process.args) > 3 * 2 - 1 % 4 / 2',
    'process where (process.pid + 1) * 2 == 10',
    'process where startsWith~(process.name, "power") and endsWith(process.name, ".exe")',
    'process where stringContains(process.command_line, "http") == true',
    'network where cidrMatch(source.ip, "10.0.0.0/8", "192.168.0.0/16")',
    'process where substring(process.name, 0, length(process.name) - 4) == "cmd"',
    'process where between(process.name, "a", "b", false) != ""',
    'process where concat(user.domain, "\\\\", user.name) : "*admin*" and f() == 1',
    # field names
    'process where process.args[0] == "cmd" and process.args[1] : "/c"',
    'process where ?process.parent.pe.original_file_name == "x" and ?undocumented != null',
    'process where `my field` == 1 and `k8s.io/pod-name`.sub == "x" and a.`b-c` == 2',
    'process where source.as.number in (1, 2) and event.`sequence` == 3',
    'process where @timestamp != null and process.name == "a"',
    'process where nothing.x == 1 and android == 2 or order == 3 and notx and inx in (1) and likes like "x"',
    # comments
    'process where // why\n  process.name == "x" /* trailing */',
    '/* header */ process where process.name == "x" // end',
    # sequences
    'sequence [process where true] [file where true]',
    'sequence by host.id, user.name [process where true] [network where true]',
    'sequence by host.id with maxspan=30s [process where true] [file where true]',
    'sequence with maxspan=5m [process where true] by host.id [file where true] by host.id',
    'sequence with maxspan=1h\n  [process where true] by process.pid\n  [file where true] by process.pid',
    'sequence by host.id with maxspan=500ms\n  [authentication where event.outcome == "failure"] with runs=5\n'
    '  [authentication where event.outcome == "success"]',
    'sequence by host.id [authentication where event.outcome == "failure"] by user.name with runs=3',
    'sequence by host.id with maxspan=2d\n  [process where true]\n  ![file where file.name == "x"]',
    'sequence by process.entity_id\n  [process where event.type == "start"]\n  [process where true]\n'
    '  until [process where event.type == "end"]',
    'sequence by process.entity_id [process where true] [file where true] until [process where true] by a',
    'sequence by pid [process where true] [file where true] | head 5',
    # samples and pipes
    'sample by host.id [process where true] [network where true]',
    'sample [process where true] by user.name [network where true] by source.user.name',
    'process where true | tail 10',
    'process where true | head 1 | tail 1',
    'process where true | filter process.pid > 4',
    'process where true | unique process.name, host.id',
    T1562,
]

INVALID = [
    'process where (process.pid == 4',           # unbalanced (
    'process where process.pid == 4)',           # stray )
    'sequence [process where true] [file where true',  # unbalanced [
    'process where process.pid ==',              # missing operand
    'process where process.pid == 4 and',        # dangling and
    'process where or process.pid == 4',         # missing left operand
    'process where',                             # missing condition
    'where process.pid == 4',                    # missing category
    'process process.pid == 4',                  # missing where
    'process where process.name == "abc',        # unterminated string
    'process where process.name == """abc',      # unterminated raw string
    "process where process.name == 'cmd.exe'",   # single quotes are not EQL
    'process where process.name == ?"cmd.exe"',  # ?"raw" strings are not Elasticsearch EQL
    'process where process.pid = 4',             # single = is not a comparison
    'process where a == b == c',                 # comparisons do not chain
    'process where process.name in ()',          # empty list
    'process where process.name : process.parent.name',  # : takes literals
    'process where process.name like~ ("a", )',  # trailing comma
    'process where process.pid == 4 |',          # stray pipe at end
    'process where true | 5',                    # pipe without a command
    'sequence [process where true]',             # one stage without runs
    'sample by host.id [process where true]',    # one filter
    'sequence with maxspan=5 [process where true] [file where true]',   # no time unit
    'sequence with maxspan=5y [process where true] [file where true]',  # unknown time unit
    'sequence [process where true] [file where true] until',           # until without a stage
    'process where process.name == "x" ]',       # stray ]
    'process where process.pid == 4 @@',         # garbage
    'SELECT * FROM process',                     # not EQL at all
    'process WHERE process.pid == 4',            # keywords are lower case
    'process where process.args [0] == "x"',     # index must be glued to the field
    'process where process. == 1',               # dangling dot
    'process where process.name == "line\nbreak"',  # newline inside a plain string
    'process where process.name == "\\d"',       # unknown escape
    'file where file.path : """two\nlines"""',  # raw strings end on their line too
    'process where event.sequence == 3',         # keywords are reserved in field paths too
    'process where sequence == 3',               # ... and as whole field names
    'process where like~(process.name, "x")',    # like~ is an operator, not a function
    'process where process.pid == 1 orx == 2',   # keywords are whole words
    'process where process.pid == 1 andx',       # keywords are whole words
    'sequence with maxspan=5m by host.id [process where true] [file where true]',  # by after with
]


@pytest.mark.parametrize("query", VALID)
def test_valid_queries_parse(query):
    result = EQL.parse(query)
    assert result.ok, result.diagnostics
    assert all(d.code.startswith("DAC43") for d in result.diagnostics)  # lint warnings only
    assert result.tree is not None


@pytest.mark.parametrize("query", INVALID)
def test_invalid_queries_are_rejected(query):
    result = EQL.parse(query)
    assert not result.ok
    assert result.diagnostics
    assert all(d.code == "DAC301" for d in result.diagnostics)


# A suffix after a trailing `// comment` is part of the comment, so those queries are left out.
ENDS_IN_CODE = [q for q in VALID if "//" not in q.splitlines()[-1]]


@pytest.mark.parametrize("query", ENDS_IN_CODE)
@pytest.mark.parametrize("suffix", ["\n)", "\n(", " and ", "\n|", "\n[", " ,"])
def test_broken_suffixes_are_rejected(query, suffix):
    assert not EQL.parse(query + suffix).ok


def _error(query):
    result = EQL.parse(query)
    assert not result.ok
    return result.diagnostics[0]


def test_error_points_at_unexpected_token():
    d = _error('process where process.pid == 4)')
    assert (d.code, d.line, d.column) == ("DAC301", 1, 31)
    assert "unexpected ')'" in d.message
    assert "'and'" in d.message and "'or'" in d.message


def test_error_at_end_of_query_says_what_was_expected():
    d = _error('process where process.pid == 4 and')
    # the error sits just after the last character of the query (column 35, after "and")
    assert (d.code, d.line, d.column) == ("DAC301", 1, 35)
    assert "unexpected end of query" in d.message
    assert "expected a value" in d.message and "'not'" in d.message


def test_error_position_in_multi_line_sequence():
    query = 'sequence by host.id\n  [process where true]\n  [file where file.name == "a")'
    d = _error(query)
    assert (d.code, d.line, d.column) == ("DAC301", 3, 31)
    assert "unexpected ')'" in d.message
    assert "']'" in d.message


def test_unclosed_list_on_later_line():
    query = 'process where\n  process.pid == 4 and\n  process.name in ("a",\n    "b"'
    d = _error(query)
    assert (d.line, d.column) == (4, 8)
    assert "expected ')', ','" in d.message  # list elements are expressions, so operators too
    assert "an operator" in d.message


def test_missing_where_points_at_the_word_after_the_category():
    d = _error('process process.pid == 4')
    assert (d.line, d.column) == (1, 9)
    assert "expected 'where'" in d.message


def test_unterminated_string_is_named():
    d = _error('process where\n  process.name == "cmd.exe')
    assert (d.line, d.column) == (2, 19)
    assert "unterminated string" in d.message


def test_unterminated_raw_string_points_at_its_start():
    d = _error('file where file.path : """C:\\Temp\\*')
    assert (d.line, d.column) == (1, 24)
    assert 'unterminated """raw string"""' in d.message


def test_single_quotes_are_explained():
    d = _error("process where process.name == 'cmd.exe'")
    assert (d.line, d.column) == (1, 31)
    assert "double quotes" in d.message


def test_single_equals_is_explained():
    d = _error('process where process.pid = 4')
    assert (d.line, d.column) == (1, 27)
    assert "'=='" in d.message


def test_time_unit_is_required():
    d = _error('sequence with maxspan=5 [process where true] [file where true]')
    assert (d.line, d.column) == (1, 25)
    assert "time unit" in d.message


def test_lone_sequence_stage_expects_another():
    d = _error('sequence [process where true]')
    assert (d.line, d.column) == (1, 30)
    assert "'['" in d.message


def test_field_paths_are_single_field_nodes():
    tree = EQL.parse('process where source.as.number == 1 and ?a.`b c`[2] == 2 and event.`sequence` == 3').tree
    fields = [str(t.children[0]) for t in tree.find_data("field")]
    assert fields == ["source.as.number", "?a.`b c`[2]", "event.`sequence`"]


def test_by_after_maxspan_is_explained():
    d = _error('sequence with maxspan=1m by host.id [process where true] [file where true]')
    assert (d.line, d.column) == (1, 26)
    assert "unexpected 'by'" in d.message
    assert "before" in d.message


def test_key_then_stage_is_not_an_index():
    # `by pid [process ...]`: the bracket opens a stage, it is not `pid[...]`.
    tree = EQL.parse('sequence by pid [process where true] [file where true]').tree
    assert len(list(tree.find_data("plain_stage"))) == 2


def test_not_binds_looser_than_comparison():
    tree = EQL.parse('process where not a == 1 and b == 2').tree
    and_node = next(tree.find_data("and_"))
    assert and_node.children[0].data == "not_"
    assert and_node.children[0].children[0].data == "comparison"


def test_non_text_and_empty_input():
    assert not EQL.parse("").ok
    assert not EQL.parse("   \n ").ok
    assert not EQL.parse(None).ok  # type: ignore[arg-type]


def test_deep_nesting_does_not_crash():
    result = EQL.parse("process where " + "(" * 3000 + "a" + ")" * 3000)
    assert result.diagnostics or result.ok
