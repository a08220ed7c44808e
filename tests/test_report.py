"""`dac report`: a pull request's package changes, from a real (temporary) git repository."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tooling.report import fence, md

ROOT = Path(__file__).resolve().parents[1]
BROKEN_KQL = "    | where DeviceName ==\n"  # an incomplete comparison: DAC301


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def dac(repo: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tooling.cli", *args], cwd=repo, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def make_repo(repo: Path) -> dict:
    """A repository whose base commit holds the real packages less one ("added" later); the
    working tree then adds it back, removes another, and changes T1562 (status, KQL query)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    shutil.copytree(ROOT / "detections", repo / "detections")
    packages = sorted(p for p in (repo / "detections").rglob("*.yml") if p.stem != "T1562")
    assert len(packages) >= 2, "the test needs two packages besides T1562"
    added, removed = packages[-1], packages[0]
    held_back = added.read_bytes()
    added.unlink()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Report Test")
    git(repo, "config", "user.email", "report-test@example.invalid")
    git(repo, "config", "commit.gpgsign", "false")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    added.write_bytes(held_back)
    removed.unlink()
    t1562 = repo / "detections" / "T1562" / "T1562.yml"
    old_status = re.search(r"^status: (\w+)$", t1562.read_text(encoding="utf-8"), re.MULTILINE).group(1)
    new_status = "test" if old_status != "test" else "stable"
    edit(t1562, f"status: {old_status}\n", f"status: {new_status}\n")
    append_to_kql(t1562, BROKEN_KQL)
    return {"path": repo, "added": added.stem, "removed": removed.stem, "old_status": old_status,
            "new_status": new_status}


def append_to_kql(path: Path, line: str) -> None:
    """Add a line at the end of the package's KQL literal block (whatever the query is)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index("  kql: |\n") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].strip() and not lines[i].startswith("    "))
    while not lines[end - 1].strip():
        end -= 1
    path.write_text("".join(lines[:end] + [line] + lines[end:]), encoding="utf-8")


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return make_repo(tmp_path_factory.mktemp("report") / "repo")


@pytest.fixture(scope="module")
def working_tree_report(repo):
    summary = repo["path"].parent / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    result = dac(repo["path"], "report", "--base", "main", env={"GITHUB_STEP_SUMMARY": str(summary)})
    return result, summary


def _section(markdown: str, heading: str) -> str:
    start = markdown.index(f"### {heading}")
    end = markdown.find("\n### ", start + 1)
    return markdown[start: end if end != -1 else None]


def test_report_lists_added_changed_and_removed(repo, working_tree_report):
    result, _ = working_tree_report
    assert result.returncode == 1, result.stderr  # the change introduces an error
    out = result.stdout
    assert "**1 added, 1 changed, 1 removed**" in out
    assert f"`{repo['added']}`" in _section(out, "Added")
    assert "`T1562` Impair Defenses" in _section(out, "Changed")
    assert f"`{repo['removed']}`" in _section(out, "Removed")
    assert "working tree" in out.splitlines()[0]


def test_changed_package_shows_status_and_query_diff(repo, working_tree_report):
    changed = _section(working_tree_report[0].stdout, "Changed")
    assert f"- status: {repo['old_status']} → **{repo['new_status']}**" in changed
    assert "- queries changed: `kql`" in changed
    assert "```diff\n--- a/detections/T1562/T1562.yml queries.kql\n+++ b/detections/T1562/T1562.yml queries.kql" \
        in changed
    assert "\n+| where DeviceName ==\n" in changed
    assert "spl</code>" not in changed  # only the query that changed gets a diff


def test_changed_package_shows_its_test_changes(working_tree_report):
    # T1562's KQL query agrees with its 27 samples at the base; the broken line makes it
    # unevaluable in the working tree, so the report says it is no longer proven
    changed = _section(working_tree_report[0].stdout, "Changed")
    line = next(line for line in changed.splitlines() if line.startswith("- tests: "))
    assert line.startswith("- tests: 27 → **27** samples; queries proven on samples: ")
    assert "(**no longer proven: `kql`**)" in line


def test_changed_package_shows_the_introduced_diagnostic(working_tree_report):
    changed = _section(working_tree_report[0].stdout, "Changed")
    introduced = changed[changed.index("- diagnostics introduced:"):]
    assert "`DAC301` error" in introduced and "KQL syntax error" in introduced
    # DAC206 (the v19 successor) is on both sides: neither introduced nor fixed.
    assert "DAC206" not in changed


def test_report_is_appended_to_the_step_summary(working_tree_report):
    result, summary = working_tree_report
    assert summary.read_text(encoding="utf-8") == "earlier step\n" + result.stdout + "\n"


def test_report_between_two_revisions_shows_fixed_diagnostics(tmp_path):
    path = make_repo(tmp_path / "repo")["path"]
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "break T1562")
    edit(path / "detections" / "T1562" / "T1562.yml", BROKEN_KQL, "")
    git(path, "commit", "-q", "-am", "fix T1562")
    (path / "detections" / "T1562" / "T1562.yml").unlink()  # the working tree must not matter
    result = dac(path, "report", "--base", "HEAD~1", "--head", "HEAD")
    assert result.returncode == 0, result.stderr
    changed = _section(result.stdout, "Changed")
    assert "**0 added, 1 changed, 0 removed** · diagnostics: 0 introduced, 1 fixed" in result.stdout
    fixed = changed[changed.index("- diagnostics fixed:"):]
    assert "`DAC301` error" in fixed
    assert "\n-| where DeviceName ==\n" in changed


def test_no_change_says_so(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git(tmp_path, "init", "-q")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "--allow-empty", "-m", "x")
    result = dac(tmp_path, "report", "--base", "HEAD")
    assert result.returncode == 0, result.stderr
    assert "No detection package changed." in result.stdout


@pytest.mark.parametrize("ref", ["no-such-branch", "--output=x", "HEAD~99"])
def test_bad_revision_is_a_usage_error(tmp_path, ref):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git(tmp_path, "init", "-q")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "--allow-empty", "-m", "x")
    result = dac(tmp_path, "report", f"--base={ref}")
    assert result.returncode == 2
    assert result.stderr.startswith("dac report: ") and "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()


def test_outside_a_repository_is_a_usage_error(tmp_path):
    result = dac(tmp_path, "report", "--base", "main", env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert result.returncode == 2
    assert "not inside a git repository" in result.stderr and "Traceback" not in result.stderr


def test_package_text_is_inert_markdown():
    assert md("[x](https://evil.example) <img src=x> `c` *e*") == \
        r"\[x\](https://evil.example) \<img src=x\> \`c\` \*e\*"
    assert md("two\nlines") == "two lines"
    assert md("attack.v19_successor") == "attack.v19_successor"
    body = "a ``` b ```` c"
    assert fence(body, "diff").startswith("`````diff\n") and fence(body).endswith("\n`````")


def test_step_summary_is_shortened_at_a_package_boundary(tmp_path, monkeypatch):
    import tooling.report as report

    monkeypatch.setattr(report, "STEP_SUMMARY_LIMIT", 200)
    markdown = "## head\n" + "".join(f"\n#### `T1562.{i:03d}` package\n- status test\n" for i in range(20))
    target = tmp_path / "summary.md"
    assert report.append_step_summary(str(target), markdown) is None
    written = target.read_text(encoding="utf-8")
    assert len(written.encode()) < 300 and written.endswith("the job log has the full report.*\n\n")
    assert "#### `T1562.000` package\n- status test" in written and "T1562.019" not in written


def test_unwritable_step_summary_is_reported_not_raised(tmp_path):
    import tooling.report as report

    problem = report.append_step_summary(str(tmp_path / "missing" / "summary.md"), "x\n")
    assert problem and "cannot write the job summary" in problem


def test_oversized_package_in_a_revision_is_reported_not_read(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git(tmp_path, "init", "-q")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "--allow-empty", "-m", "x")
    big = tmp_path / "detections" / "T1562" / "T1562.yml"
    big.parent.mkdir(parents=True)
    big.write_text("# padding\n" * 40_000, encoding="utf-8")  # 400 kB: over the 256 KiB limit
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "big")
    result = dac(tmp_path, "report", "--base", "HEAD~1", "--head", "HEAD")
    assert result.returncode == 1, result.stderr
    assert "**1 added, 0 changed, 0 removed**" in result.stdout
    assert "`DAC107` error" in result.stdout and "400,000 bytes" in result.stdout
