"""A process creation that auditd records: three records for one sample (tooling/platforms/auditd.py),
rendered as such where the platform keeps audit.log's lines (Sumo Logic), and a verdict, a
coverage proof and a replay that count the sample once whichever of its records a query returns.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tooling.checks.verdicts import Sample, query_verdicts
from tooling.coverage import _deciding
from tooling.languages.evaluation import EvaluationContext
from tooling.platforms import classify, render
from tooling.platforms.auditd import execve_record, proctitle_record, syscall_record, untrusted
from tooling.testing import replay

DISABLE = {"type": "EXECVE", "Image": "/usr/sbin/auditctl", "CommandLine": "auditctl -e 0",
           "ParentImage": "/usr/bin/bash", "User": "root"}
SCRIPT = {"type": "EXECVE", "Image": "/usr/bin/dash", "CommandLine": "sh -c 'export HISTSIZE=0; id'",
          "User": "alice"}


@pytest.mark.parametrize("value, written", [
    ("auditctl", '"auditctl"'),
    ("export HISTSIZE=0", "6578706F7274204849535453495A453D30"),  # a blank: hex of the bytes
    ('say"hi"', "73617922686922"),                                  # a double quote: hex
    ("caf\u00e9", "636166C3A9"),                                    # above 0x7e: hex of the UTF-8
])
def test_a_value_is_quoted_or_hex_as_the_kernel_writes_it(value, written):
    assert untrusted(value) == written


def test_the_three_records_of_an_execve_share_one_stamp():
    assert execve_record(DISABLE) == 'type=EXECVE msg=audit(1767268800.000:4242): argc=3 a0="auditctl" a1="-e" a2="0"'
    # PROCTITLE: the argument vector NUL-separated, so hex: auditctl\0-e\00
    assert proctitle_record(DISABLE) == ("type=PROCTITLE msg=audit(1767268800.000:4242): "
                                         "proctitle=617564697463746C002D650030")
    syscall = syscall_record(DISABLE)
    assert syscall.startswith("type=SYSCALL msg=audit(1767268800.000:4242): arch=c000003e syscall=59 success=yes")
    assert ' uid=0 ' in syscall and 'comm="auditctl" exe="/usr/sbin/auditctl"' in syscall


def test_the_shell_quoting_of_the_command_line_says_where_the_arguments_split():
    assert execve_record(SCRIPT).endswith('argc=3 a0="sh" a1="-c" a2=6578706F7274204849535453495A453D303B206964')


def test_proctitle_stops_at_128_bytes():
    long = {"CommandLine": "echo " + "x" * 300}
    title = proctitle_record(long).rsplit("proctitle=", 1)[1]
    assert len(bytes.fromhex(title)) == 128 and bytes.fromhex(title).startswith(b"echo\0xxx")


def test_sumo_stores_the_execve_as_three_messages_the_others_as_one_process_creation():
    assert classify(DISABLE) == "linux_auditd_process_creation"
    sumo = render("sumo", DISABLE)
    assert [event["_raw"].split(" ", 1)[0] for event in sumo.events] == [
        "type=SYSCALL", "type=EXECVE", "type=PROCTITLE"]
    assert {event["_sourceCategory"] for event in sumo.events} == {"linux/auditd"}
    assert sumo.event is sumo.events[0]
    spl = render("spl", DISABLE)  # Sysmon for Linux, as for any Linux process creation
    assert len(spl.events) == 1 and spl.event["sourcetype"] == "sysmon:linux"
    # the kind's marker is not a field of the source it falls back to
    assert "type" not in spl.event and 'Name="type"' not in spl.event["_raw"]
    assert render("kql", DISABLE).event["ProcessCommandLine"] == "auditctl -e 0"


# A Sumo query that reads the EXECVE record only: it returns the sample through its second record.
EXECVE_ONLY = ('_sourceCategory=linux/auditd "type=EXECVE"\n'
               '| parse regex "a1=\\"(?<flag>[^\\"]+)\\" a2=\\"(?<value>[^\\"]+)\\"" nodrop\n'
               '| where flag = "-e" and value = "0"')


@pytest.mark.parametrize("count", [1, 3])  # one sample alone, or all in one run (Language.per_event)
def test_a_query_that_returns_any_record_of_a_sample_returns_the_sample(count):
    events = [DISABLE, {**DISABLE, "CommandLine": "auditctl -e 1"}, {**DISABLE, "CommandLine": "auditctl -D"}]
    samples = [Sample(0, "t", index == 0, index, event) for index, event in enumerate(events[:count])]
    results, diagnostics = query_verdicts("T0000", "sumo", EXECVE_ONLY, samples, {}, EvaluationContext())
    assert [(r.sample, r.verdict) for r in results] == [(s.label, s.expected) for s in samples]
    assert diagnostics == []


def test_a_missed_sample_is_explained_on_the_record_closest_to_matching():
    missed = Sample(0, "t", True, 0, {**DISABLE, "CommandLine": "auditctl -e 2"})
    results, diagnostics = query_verdicts("T0000", "sumo", EXECVE_ONLY, [missed], {}, EvaluationContext())
    assert results[0].verdict is False
    (diagnostic,) = diagnostics
    assert diagnostic.code == "DAC510" and "'2'" in diagnostic.message  # the EXECVE record's value


def _explained(matched, deciding, together=False):
    return SimpleNamespace(matched=matched, together=together,
                           deciding=[SimpleNamespace(key=key, scope=False) for key in deciding])


def test_a_match_proves_what_decides_every_record_returned_a_near_miss_what_returns_any():
    match = [_explained(False, []), _explained(True, ["a", "b"]), _explained(True, ["b", "c"])]
    assert [leaf.key for leaf in _deciding(match, True)] == ["b"]
    near_miss = [_explained(False, ["a"]), _explained(False, ["c", "a"]), _explained(False, ["d"], together=True)]
    assert [leaf.key for leaf in _deciding(near_miss, False)] == ["a", "c"]
    assert _deciding([_explained(False, ["a", "b"], together=True)], False) is None


def test_a_replayed_execve_counts_once_whichever_records_match(tmp_path: Path):
    package = Path(__file__).parents[1] / "detections" / "T1562" / "T1562.012.yml"
    results = {r.language: r for r in replay([DISABLE, {**DISABLE, "CommandLine": "auditctl -l"}], [package],
                                             ["sumo", "kql"])}
    assert results["sumo"].matched == (0,) and results["sumo"].rendered == 2
    assert results["kql"].matched == (0,) and results["kql"].rendered == 2
