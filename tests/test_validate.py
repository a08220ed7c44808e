"""The real packages validate clean, and a broken query is reported at its line in the YAML file."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tooling.languages import LANGUAGES
from tooling.validate import validate

ROOT = Path(__file__).resolve().parents[1]
T1562 = ROOT / "detections" / "T1562" / "T1562.yml"


def test_every_real_package_is_clean():
    report = validate([ROOT / "detections"], jobs=1)
    assert report.files >= 1
    assert [d for d in report.diagnostics if d.severity.value != "info"] == []


def _with_stray_paren(tmp_path: Path, key: str) -> tuple[Path, int]:
    """A copy of T1562.yml whose `key` query gets a new last line holding a stray ')'.

    Returns the copy and the file line of the ')'.
    """
    lines = T1562.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"  {key}: |")
    end = start + 1
    while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
        end += 1
    lines.insert(end, "    )")
    target = tmp_path / "detections" / "T1562" / "T1562.yml"
    target.parent.mkdir(parents=True)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target, end + 1


@pytest.mark.parametrize("key", list(LANGUAGES))
def test_broken_query_points_at_the_yaml_line(tmp_path, key):
    target, line = _with_stray_paren(tmp_path, key)
    report = validate([target], jobs=1)
    errors = [d for d in report.diagnostics if d.severity.value == "error"]
    assert [(d.code, d.line, d.column) for d in errors] == [("DAC301", line, 5)]
    assert errors[0].message.startswith(f"{LANGUAGES[key].name} syntax error: unexpected ')'")


def test_cli_reports_broken_query_with_path_line_and_caret(tmp_path, run_dac):
    target, line = _with_stray_paren(tmp_path, "kql")
    result = run_dac("validate", str(target))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    at = next(i for i, text in enumerate(lines) if "DAC301" in text)
    assert f"T1562.yml:{line}:5: DAC301 [error] KQL syntax error: unexpected ')'" in lines[at]
    assert lines[at + 1] == f"{line:>5} |     )"
    assert lines[at + 2] == "      |     ^"
    assert "Traceback" not in result.stderr


def test_parallel_and_serial_runs_agree(tmp_path):
    for i in range(70):  # above the parallel threshold
        folder = tmp_path / "detections" / "T1562"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(T1562, folder / f"copy{i}.yml")
    serial = validate([tmp_path / "detections"], jobs=1)
    parallel = validate([tmp_path / "detections"], jobs=2)
    assert serial.diagnostics == parallel.diagnostics
    # 70 copies of one package under wrong names: one id, one title, names that are not the id, and
    # related sub-techniques that are not in this temporary tree
    assert {d.code for d in serial.diagnostics} == {"DAC206", "DAC601", "DAC602", "DAC603", "DAC605"}


def test_json_report_shape(run_dac, tmp_path):
    target, line = _with_stray_paren(tmp_path, "spl")
    result = run_dac("validate", str(target), "--format", "json")
    assert result.returncode == 1
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and rows
    assert all(set(row) == {"code", "severity", "message", "path", "line", "column"} for row in rows)
    errors = [row for row in rows if row["severity"] == "error"]
    assert [(r["code"], r["line"], r["column"]) for r in errors] == [("DAC301", line, 5)]


def test_a_small_run_splits_the_languages_and_agrees_with_a_serial_run(tmp_path):
    target, _ = _with_stray_paren(tmp_path, "aql")
    shutil.copy(T1562, target.with_name("T1562.001.yml"))
    serial = validate([tmp_path / "detections"], jobs=1)
    split = validate([tmp_path / "detections"], jobs=2)  # below the threshold: parse_ahead
    assert split.diagnostics == serial.diagnostics
    assert "DAC301" in {d.code for d in split.diagnostics}


def test_parse_ahead_gives_every_language_of_every_file(tmp_path):
    from tooling.checks.queries import parse_queries
    from tooling.package import load_package
    from tooling.validate import _fork_context, parse_ahead

    fork = _fork_context()
    if fork is None:
        pytest.skip("no fork on this platform")
    target, _ = _with_stray_paren(tmp_path, "kql")
    results = parse_ahead([target, T1562], {}, fork)
    for path in (target, T1562):
        parsed = {entry: found for entry, found in results[path].items() if entry[0] in LANGUAGES}
        assert parsed == parse_queries(load_package(path))
        assert {key for key, _ in parsed} == set(LANGUAGES)
        # with them, the verdicts of the queries without errors (computed where each was parsed)
        verdicts = {entry[0] for entry in results[path] if entry[0].startswith("verdicts:")}
        assert verdicts == ({f"verdicts:{key}" for key in LANGUAGES} - ({"verdicts:kql"} if path == target else set()))


def test_parse_ahead_survives_a_failing_helper_process(tmp_path, monkeypatch):
    import os

    from tooling import validate as pipeline

    fork = pipeline._fork_context()
    if fork is None:
        pytest.skip("no fork on this platform")
    parent, real = os.getpid(), pipeline._parse_languages

    def fails_in_the_helper(packages, keys):
        if os.getpid() != parent:
            raise RuntimeError("the helper process fails")
        return real(packages, keys)

    monkeypatch.setattr(pipeline, "_parse_languages", fails_in_the_helper)
    results = pipeline.parse_ahead([T1562], {}, fork)
    parsed_here = {key for key, _ in results[T1562] if key in LANGUAGES}
    assert parsed_here and parsed_here < set(LANGUAGES)  # the helper's half is parsed later
    report = validate([T1562], jobs=2)
    assert [d for d in report.diagnostics if d.severity.value != "info"] == []


def test_a_large_validation_turns_the_garbage_collector_back_on(tmp_path):
    import gc

    folder = tmp_path / "detections" / "T1562"
    folder.mkdir(parents=True)
    for i in range(64):  # the parallel threshold
        shutil.copy(T1562, folder / f"copy{i}.yml")
    gc.disable()  # as the dac command starts
    try:
        validate([folder], jobs=1)
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


def test_the_dac_command_runs_without_the_garbage_collector(monkeypatch):
    import gc

    from tooling import cli

    monkeypatch.setattr(cli, "main", lambda: 0 if not gc.isenabled() else 1)
    try:
        with pytest.raises(SystemExit) as exit_:
            cli.run()
        assert exit_.value.code == 0
    finally:
        gc.enable()


def test_the_dac_command_ends_quickly_only_after_its_own_validate(monkeypatch):
    # `run` skips Python's clean-up (os._exit) after a validate run; an earlier in-process
    # `main(["validate", ...])` must not make a later run of another command exit that way
    # (inside pytest, that ended the whole test session with status 0)
    from tooling import cli

    def no_quick_exit(code):
        raise AssertionError(f"os._exit({code}) after a command that is not validate")

    monkeypatch.setattr(cli.os, "_exit", no_quick_exit)
    monkeypatch.setattr(cli, "_finished", "validate")  # as an earlier in-process main() leaves it
    monkeypatch.setattr(cli, "main", lambda: 0)
    try:
        with pytest.raises(SystemExit):
            cli.run()
    finally:
        import gc

        gc.enable()
