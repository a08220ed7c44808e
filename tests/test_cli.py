"""The `dac` command line: subcommands, formats, exit codes, and no tracebacks."""
from __future__ import annotations

import json
from pathlib import Path

from tooling.diagnostics import CODES

FIXTURES = Path(__file__).parent / "fixtures"


def test_validate_default_is_clean(run_dac):
    result = run_dac("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors, 0 warnings" in result.stdout


def test_validate_missing_path_is_a_usage_error(run_dac):
    result = run_dac("validate", "no/such/folder")
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr


def test_unknown_option_is_a_usage_error(run_dac):
    assert run_dac("validate", "--format", "xml").returncode == 2
    assert run_dac().returncode == 2


def test_text_output_has_code_frame(run_dac):
    result = run_dac("validate", str(FIXTURES / "DAC112" / "detections"))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].endswith("T1562.001.yml:6:11: DAC112 [error] severity: 'urgent' is not one of: "
                             "informational, low, medium, high, critical")
    assert lines[1] == "    6 | severity: urgent"
    assert lines[2] == "      |           ^"


def test_sarif_output(run_dac):
    result = run_dac("validate", str(FIXTURES / "DAC202" / "detections"), "--format", "sarif")
    assert result.returncode == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"DAC202", "DAC206"}  # the fixture's technique also has a v19 note
    rule = rules["DAC202"]
    assert rule["help"]["text"] and rule["helpUri"].endswith("/diagnostics/DAC202/")
    assert rule["defaultConfiguration"] == {"level": "error"}
    assert rules["DAC206"]["defaultConfiguration"] == {"level": "note"}
    result0 = next(r for r in run["results"] if r["ruleId"] == "DAC202")
    assert result0["level"] == "error"
    assert run["tool"]["driver"]["rules"][result0["ruleIndex"]]["id"] == "DAC202"
    location = result0["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("detections/T1562/T1562.001.yml")
    assert location["region"] == {"startLine": 16, "startColumn": 9}


def test_github_annotations(run_dac):
    result = run_dac("validate", str(FIXTURES / "DAC113" / "detections"), "--format", "github")
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("::notice file=") and "title=DAC206::" in lines[0]
    assert lines[1].startswith("::error file=")
    assert ",line=73,col=5,title=DAC113::DAC113 reference " in lines[1]  # tests/test_diagnostics.py


def test_info_does_not_fail_but_fail_on_info_does(run_dac):
    fixture = str(FIXTURES / "DAC206" / "detections")
    assert run_dac("validate", fixture).returncode == 0
    assert run_dac("validate", fixture, "--fail-on", "info").returncode == 1


def test_output_file(run_dac, tmp_path):
    out = tmp_path / "report.sarif"
    result = run_dac("validate", str(FIXTURES / "DAC114" / "detections"), "--format", "sarif", "-o", str(out))
    assert result.returncode == 1 and result.stdout == ""
    assert json.loads(out.read_text())["runs"][0]["results"][0]["ruleId"] == "DAC114"


def test_explain(run_dac):
    result = run_dac("explain", "dac301")
    assert result.returncode == 0
    assert result.stdout.startswith("# DAC301 query-syntax-error")
    listing = run_dac("explain", "--list").stdout.splitlines()
    assert [line.split()[0] for line in listing] == list(CODES)
    assert run_dac("explain", "DAC999").returncode == 2


def test_schema_is_json_schema_2020_12(run_dac):
    schema = json.loads(run_dac("schema").stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["properties"]["queries"]["required"]) == {"kql", "spl", "eql", "aql", "sumo", "yaral",
                                                                  "logscale"}


def test_attack_show(run_dac):
    result = run_dac("attack", "show", "T1562.002")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "T1562.002 Disable Windows Event Logging"
    assert "parent:      T1562 Impair Defenses" in result.stdout
    assert "v19:         T1685.001 Disable or Modify Windows Event Log" in result.stdout
    data = json.loads(run_dac("attack", "show", "T1086", "--format", "json").stdout)
    assert data["revoked"] is True and data["revoked_by"] == "T1059.001"
    missing = run_dac("attack", "show", "T9999")
    assert missing.returncode == 1 and "not in ATT&CK" in missing.stderr


def test_parse_valid_query_and_tree(run_dac):
    result = run_dac("parse", "--lang", "kql", "-", "--tree", stdin="DeviceProcessEvents | take 10\n")
    assert result.returncode == 0
    assert "DeviceProcessEvents" in result.stdout


def test_parse_invalid_query(run_dac, tmp_path):
    query = tmp_path / "q.eql"
    query.write_text('process where process.name == "sc.exe" and\n', encoding="utf-8")
    result = run_dac("parse", "--lang", "eql", str(query))
    assert result.returncode == 1
    assert f"{query}:1:" in result.stdout and "DAC301" in result.stdout
    data = json.loads(run_dac("parse", "--lang", "eql", str(query), "--format", "json").stdout)
    assert data["ok"] is False and data["diagnostics"][0]["code"] == "DAC301"


def test_parse_unreadable_file(run_dac, tmp_path):
    bad = tmp_path / "bad.kql"
    bad.write_bytes(b"\xff\xfe")
    result = run_dac("parse", "--lang", "kql", str(bad))
    assert result.returncode == 2 and "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_hostile_files_give_one_diagnostic_and_no_traceback(run_dac):
    for code in ("DAC101", "DAC103", "DAC106", "DAC108"):
        result = run_dac("validate", str(FIXTURES / code / "detections"), "--format", "json")
        assert result.returncode == 1, code
        assert [row["code"] for row in json.loads(result.stdout)] == [code]
        assert "Traceback" not in result.stderr


def test_a_bug_in_dac_is_an_internal_error_not_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    broken_parser = (
        "import sys\n"
        "import tooling.languages.base as base\n"
        "def broken(self, text):\n"
        "    raise RuntimeError('grammar failed to build')\n"
        "base.LarkLanguage._parse = broken\n"
        "from tooling.cli import main\n"
        "sys.exit(main(['validate', '--no-cache', 'detections/T1562/T1562.yml']))\n")
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", broken_parser], capture_output=True, text=True, cwd=root)
    assert result.returncode == 3
    assert result.stderr.startswith("dac: internal error: RuntimeError: grammar failed to build")
    assert "Traceback" not in result.stderr
    debug = subprocess.run([sys.executable, "-c", broken_parser], capture_output=True, text=True, cwd=root,
                           env={**os.environ, "DAC_DEBUG": "1"})
    assert "Traceback" in debug.stderr


def test_platforms_kinds_lists_each_kind_with_its_conditions_and_what_it_falls_back_to(run_dac):
    result = run_dac("platforms", "kinds")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("linux_auditd_process_creation "))
    title_column = lines[start].index("Linux process creation as auditd records it")
    assert lines[start + 1].index('when {"has": ["CommandLine"], "equals": {"type": ["EXECVE"]}}') == title_column
    assert lines[start + 2].strip() == "on a platform without its own form: as linux_process_creation"
    # every kind's title starts in the same column, however long the longest kind's name
    assert lines[0].index("Windows registry event") == title_column
