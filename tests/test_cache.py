"""The validation cache: a second run over unchanged files reuses results; changes invalidate."""
from __future__ import annotations

from pathlib import Path

from tooling.cache import ValidationCache
from tooling.validate import validate

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]


def _package(tmp_path: Path) -> Path:
    target = tmp_path / "detections" / "T1562" / "T1562.001.yml"
    target.parent.mkdir(parents=True)
    target.write_text((FIXTURES / "base.yml").read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_second_run_hits_the_cache_and_gives_the_same_report(tmp_path):
    target = _package(tmp_path)
    target.write_text(target.read_text().replace("severity: high", "severity: urgent"))
    first_cache = ValidationCache(tmp_path / "cache")
    first = validate([target], jobs=1, cache=first_cache)
    assert (first_cache.hits, first_cache.misses) == (0, 1)
    second_cache = ValidationCache(tmp_path / "cache")
    second = validate([target], jobs=1, cache=second_cache)
    assert second_cache.hits == 1
    assert second.diagnostics == first.diagnostics
    assert [d.code for d in second.diagnostics if d.code != "DAC206"] == ["DAC112"]


def test_a_changed_file_is_checked_again(tmp_path):
    target = _package(tmp_path)
    validate([target], jobs=1, cache=ValidationCache(tmp_path / "cache"))
    target.write_text(target.read_text().replace("severity: high", "severity: urgent"))
    cache = ValidationCache(tmp_path / "cache")
    report = validate([target], jobs=1, cache=cache)
    assert cache.hits == 0
    assert [d.code for d in report.diagnostics if d.code != "DAC206"] == ["DAC112"]


def test_repository_checks_are_recomputed_with_cached_files(tmp_path):
    target = _package(tmp_path)
    validate([target.parent], jobs=1, cache=ValidationCache(tmp_path / "cache"))
    twin = target.with_suffix(".yaml")  # same id, another file: only the repository check sees it
    twin.write_text(target.read_text().replace("(fixture)", "(twin)"))
    cache = ValidationCache(tmp_path / "cache")
    report = validate([target.parent], jobs=1, cache=cache)
    assert cache.hits == 1
    assert [d.code for d in report.diagnostics if d.code != "DAC206"] == ["DAC601"]


def test_cli_no_cache_writes_nothing_and_the_cache_stays_out_of_the_checkout(run_dac, tmp_path):
    target = _package(tmp_path)
    home = tmp_path / "home-cache"
    result = run_dac("validate", "--no-cache", str(target), cwd=tmp_path, env={"XDG_CACHE_HOME": str(home)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (home / "dac" / "validate").exists()
    run_dac("validate", str(target), cwd=tmp_path, env={"XDG_CACHE_HOME": str(home)})
    assert len(list((home / "dac" / "validate").rglob("*.json"))) == 1
    assert not (tmp_path / ".dac-cache").exists()


def test_a_changed_file_reparses_only_its_changed_queries(tmp_path, monkeypatch):
    from tooling.languages import LANGUAGES, get_language

    target = tmp_path / "detections" / "T1562" / "T1562.yml"
    target.parent.mkdir(parents=True)
    target.write_text((ROOT / "detections" / "T1562" / "T1562.yml").read_text(encoding="utf-8"), encoding="utf-8")
    validate([target], jobs=1, cache=ValidationCache(tmp_path / "cache"))
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("  spl: |\n", "  spl: |\n    `comment(\"edited\")`\n", 1), encoding="utf-8")
    parsed = []
    for key in LANGUAGES:
        language = get_language(key)
        monkeypatch.setattr(language, "parse", lambda text, key=key, real=language.parse: (
            parsed.append(key), real(text))[1])
    cache = ValidationCache(tmp_path / "cache")
    report = validate([target], jobs=1, cache=cache)
    assert (cache.hits, cache.misses) == (0, 1)
    assert parsed == ["spl"]
    # notes aside (the v19 successor; the SPL macro this copy's repository does not declare), only
    # the related packages, which live elsewhere
    assert {d.code for d in report.diagnostics if d.severity.value != "info"} <= {"DAC605"}
    assert len(list(cache.folder.glob("*.json"))) == 1  # one entry per file, not per version
    # a broken edit is still found, at its line
    target.write_text(text.replace("  kql: |\n", "  kql: |\n    )\n", 1), encoding="utf-8")
    report = validate([target], jobs=1, cache=ValidationCache(tmp_path / "cache"))
    kql_line = text.splitlines().index("  kql: |") + 2
    assert [(d.code, d.line) for d in report.diagnostics if d.code == "DAC301"] == [("DAC301", kql_line)]


def test_a_file_edited_while_it_is_checked_is_not_reused(tmp_path):
    target = _package(tmp_path)
    cache = ValidationCache(tmp_path / "cache")
    assert cache.get(target) is None
    checked = validate([target], jobs=1).diagnostics
    target.write_text(target.read_text() + "# edited after the check\n")  # before the result is stored
    from tooling.validate import FileResult
    cache.put(target, FileResult(target, None, checked))
    later = ValidationCache(tmp_path / "cache")
    assert later.get(target) is None and later.misses == 1
