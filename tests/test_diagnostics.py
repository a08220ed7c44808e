"""Every diagnostic code: a fixture that triggers it, and its code, file, line and column.

Expected positions are worked out by hand from tests/fixtures/base.yml and the edit each fixture
makes (see tests/fixtures/generate.py), never copied from the validator's output.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures.generate import lint_modules
from tooling.diagnostics import CODES, Severity
from tooling.languages.base import MAX_QUERY_CHARS
from tooling.package import MAX_FILE_BYTES
from tooling.validate import validate

FIXTURES = Path(__file__).parent / "fixtures"
BASE = (FIXTURES / "base.yml").read_text(encoding="utf-8")
MAIN = "T1562/T1562.001.yml"

# code -> (file under detections/, line, column)
EXPECTED = {
    "DAC101": (MAIN, 8, 21),     # the 0xe9 byte after "author: Fixture Auth"
    "DAC102": (MAIN, 6, 15),     # the second ':' in "severity: high: very"
    "DAC103": (MAIN, 7, 1),      # the second "severity" key
    "DAC104": (MAIN, 22, 1),     # the tab before "- windows"
    "DAC105": (MAIN, 1, 1),
    "DAC106": (MAIN, 2, 4),      # the anchored list that the 51st alias re-enters
    "DAC108": (MAIN, 4, 46),     # the 33rd '[' of description (the value starts at column 14)
    "DAC110": (MAIN, 11, 1),     # attack: lost its name
    "DAC111": (MAIN, 7, 1),      # colour:
    "DAC112": (MAIN, 6, 11),     # urgent
    "DAC113": (MAIN, 73, 5),     # the http:// reference
    "DAC114": (MAIN, 9, 10),     # '2025-02-30'
    "DAC115": (MAIN, 10, 11),    # modified
    "DAC116": (MAIN, 88, 11),    # the suppressed code that suppresses nothing
    "DAC117": (MAIN, 88, 11),    # DAC999
    "DAC118": (MAIN, 4, 14),     # the placeholder description
    "DAC121": (MAIN, 36, 32),    # the U+202E after 'sc.exe' in the KQL string: '"' is column 25
    # tests_not_covered[0]'s GUID (base + 2 lines), already tests[0]'s; "  - atomic_guid: " is 17
    "DAC125": (MAIN, 88, 18),
    "DAC201": ("T1562/T1562.099.yml", 1, 5),
    "DAC202": (MAIN, 16, 9),     # attack.name
    "DAC203": (MAIN, 14, 7),     # Persistence
    "DAC204": (MAIN, 17, 11),    # parent T1059
    "DAC205": ("T1086/T1086.yml", 15, 14),  # revoked PowerShell technique
    "DAC206": (MAIN, 15, 14),    # attack.technique, with no v19_successor recorded
    "DAC207": (MAIN, 12, 12),    # version '15.1'
    "DAC301": (MAIN, 36, 68),    # end of the KQL line whose '(' is never closed: col 4 + 64
    "DAC303": (MAIN, 36, 213),   # the 201st '(' of the KQL where: col 4 + len("| where ") + 201
    "DAC401": (MAIN, 45, 21),    # {{logsrc}} in the Sumo query: col 4 + 17
    "DAC501": (MAIN, 83, 14),    # match: []
    "DAC502": (MAIN, 85, 17),    # no_match: []
    "DAC503": (MAIN, 76, 16),    # procedure: {}
    "DAC504": (MAIN, 84, 11),    # the match sample 'sc start WinDefend'
    "DAC505": (MAIN, 86, 11),    # the no_match sample 'sc stop WinDefend /y'
    "DAC506": (MAIN, 77, 38),    # 'filter' in the second rule's 'selection and not filter': col 20 + 18
    "DAC507": (MAIN, 65, 7),     # the first rule's detection key, whose selection uses base64offset
    "DAC508": (MAIN, 86, 11),    # the no_match sample, on whose 40 a's 'stop|(a|aa)+b' backtracks
    "DAC509": (MAIN, 86, 11),    # the no_match sample, whose 300 slow values outrun the budget
    "DAC480": (MAIN, 35, 5),     # the misspelt table DeviceProcessEvent
    "DAC481": (MAIN, 36, 38),    # CommandLine, a Sysmon name, in a DeviceProcessEvents query
    "DAC482": (MAIN, 41, 33),    # EQL event.type == "creation" (the values are start, end, change, info)
    "DAC483": (MAIN, 41, 19),    # EQL on ECS message, a text field
    "DAC484": (MAIN, 35, 25),    # Syslog (Sentinel only) in a union with BehaviorInfo (Defender XDR only)
    "DAC485": (MAIN, 46, 13),    # the Sumo `where svc` above the `parse ... as svc` that makes it
    "DAC486": (MAIN, 35, 5),     # Syslog, with telemetry that says Defender XDR
    "DAC510": (MAIN, 36, 38),    # the KQL predicate that failed: ProcessCommandLine has "stopped"
    # the first value predicate of the branch that returned the near-miss: FileName=/^sc\.exe$/i, after
    # "    " and "#event_simpleName=ProcessRollup2 " (4 + 33 + 1); the tag filter, which selects the
    # event type, is not blamed. CommandLine=/s/i (4 + 55 + 1 = 60), the broad one, is named after it
    # CommandLine=/s/i (4 indent + 55 + 1): of the two predicates that returned the near-miss, the
    # one whose value differs from the test's match sample
    "DAC511": (MAIN, 58, 60),
    "DAC512": (MAIN, 38, 5),     # the undeclared macro, first on the SPL query's first line
    "DAC513": (MAIN, 87, 11),    # the added no_match sample {Foo: bar}
    "DAC515": (MAIN, 35, 5),     # the KQL query's first character (the query, not the declaration, changed)
    "DAC601": ("T1562/T1562.001.yaml", 1, 5),
    "DAC602": ("T1562/T1562.002.yml", 2, 8),
    "DAC603": ("T1562/wrong-name.yml", 1, 5),
    "DAC604": ("T1059/T1562.001.yml", 1, 5),
    "DAC605": (MAIN, 88, 9),
}
BUILT_BY_TESTS = {"DAC107", "DAC119", "DAC120", "DAC302",  # a size, a link and a fifo git cannot carry
                  "DAC122",  # reported by `dac fmt`, not validate: tests/test_fmt.py
                  # `dac test`'s verdicts and platforms.yml: fixtures and positions in tests/test_verdicts.py
                  "DAC124", "DAC514"}
for _module in lint_modules():
    EXPECTED.update(_module.EXPECTED)


def test_every_code_has_a_fixture_or_a_built_case():
    assert set(CODES) == set(EXPECTED) | BUILT_BY_TESTS
    for code in EXPECTED:
        assert (FIXTURES / code / "detections").is_dir(), f"no fixture for {code}"


VERDICT_CODES = {"DAC510", "DAC511", "DAC512", "DAC513"}

# The base package maps T1562.001, which ATT&CK v19 renumbers: every run notes it (DAC206, info).
V19_NOTE = ("DAC206", MAIN, 15, 14)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_fixture_triggers_exactly_its_code_at_its_position(code):
    root = FIXTURES / code / "detections"
    report = validate([root], jobs=1)
    # The fixtures of other codes change a query on purpose; whether it still fires on the base's
    # samples (DAC510-DAC513, tests/test_verdicts.py) is beside their point.
    found = [(d.code, Path(d.path).as_posix().split("detections/")[-1], d.line, d.column) for d in report.diagnostics
             if d.code == code or d.code not in VERDICT_CODES]
    # every copy of the base carries the v19 note (wherever an edit moved its line); only the DAC206
    # fixture is about it
    assert [f for f in found if code == "DAC206" or f[0] != "DAC206"] == [(code, *EXPECTED[code])]
    assert report.failed() is (CODES[code].severity != Severity.INFO)


def _write_package(tmp_path: Path, text: str | bytes) -> Path:
    target = tmp_path / "detections" / "T1562" / "T1562.001.yml"
    target.parent.mkdir(parents=True)
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8")
    return target


def test_file_too_large_is_refused_before_reading(tmp_path):
    target = _write_package(tmp_path, b"")
    with target.open("wb") as handle:  # a sparse 50 MB file: the size alone must stop it
        handle.truncate(50 * 1024 * 1024)
    report = validate([target], jobs=1)
    assert [(d.code, d.line, d.column) for d in report.diagnostics] == [("DAC107", 1, 1)]  # nothing else is read
    assert f"{MAX_FILE_BYTES:,}" in report.diagnostics[0].message


def test_link_outside_the_repository_is_refused_unread(tmp_path):
    secret = tmp_path / "credentials"
    secret.write_text("aws_secret_access_key = do-not-echo\n", encoding="utf-8")
    target = tmp_path / "detections" / "T1562" / "T1562.001.yml"
    target.parent.mkdir(parents=True)
    target.symlink_to(secret)
    report = validate([tmp_path / "detections"], jobs=1)
    assert [(d.code, d.line, d.column) for d in report.diagnostics] == [("DAC119", 1, 1)]
    assert "'T1562.001.yml'" in report.diagnostics[0].message and "do-not-echo" not in report.diagnostics[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
def test_fifo_is_refused_without_blocking(tmp_path):
    target = tmp_path / "detections" / "T1562" / "T1562.001.yml"
    target.parent.mkdir(parents=True)
    os.mkfifo(target)  # opened for reading without a writer, a fifo would block forever
    report = validate([tmp_path / "detections"], jobs=1)
    assert [(d.code, d.line, d.column) for d in report.diagnostics] == [("DAC120", 1, 1)]
    assert "fifo" in report.diagnostics[0].message


def test_query_too_large(tmp_path):
    filler = "x" * (MAX_QUERY_CHARS + 1)
    text = BASE.replace('    index=windows EventCode=1 Image="*\\\\sc.exe" CommandLine="*stop*"\n',
                        f"    index=windows {filler}\n")
    assert text != BASE
    report = validate([_write_package(tmp_path, text)], jobs=1)
    # the SPL block starts on line 37 ("spl: |"), the query's first line is line 38
    assert _errors_and_warnings(report) == [("DAC302", 38, 5)]


def _errors_and_warnings(report):
    return [(d.code, d.line, d.column) for d in report.diagnostics if d.severity != Severity.INFO]


def test_base_fixture_is_clean_but_notes_its_v19_successor(tmp_path):
    report = validate([_write_package(tmp_path, BASE)], jobs=1)
    assert [(d.code, d.line, d.column) for d in report.diagnostics] == [V19_NOTE[:1] + V19_NOTE[2:]]
    assert "ATT&CK v19 renumbers T1562.001 as T1685 Disable or Modify Tools (recorded" in \
        report.diagnostics[0].message
    assert not report.failed()


def test_suppression_with_reason_hides_its_code(tmp_path):
    text = BASE.replace('_sourceCategory=windows/sysmon "sc.exe"', '_sourceCategory={{logsrc}} "sc.exe"')
    text += "suppressions:\n  - code: DAC401\n    reason: the installer substitutes the source category\n"
    report = validate([_write_package(tmp_path, text)], jobs=1)
    assert _errors_and_warnings(report) == []


def test_suppression_needs_a_reason(tmp_path):
    text = BASE + "suppressions:\n  - code: DAC401\n"
    report = validate([_write_package(tmp_path, text)], jobs=1)
    assert _errors_and_warnings(report) == [("DAC110", 88, 5)]


def test_every_code_documents_itself():
    for code in CODES.values():
        text = code.explain()
        for section in ("## What it means", "## Why it matters", "## Example", "## How to fix"):
            assert section in text, (code.code, section)
        assert code.bad.strip() and code.good.strip() and code.bad != code.good
