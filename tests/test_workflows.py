"""The GitHub Actions workflows: well-formed, and running the commands the project relies on."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[1] / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    # YAML 1.1 (PyYAML, like many tools) reads the bare key `on` as the boolean True.
    value = workflow.get("on", workflow.get(True))
    return {value: None} if isinstance(value, str) else {v: None for v in value} if isinstance(value, list) else value


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def commands(workflow: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow))


def uses(workflow: dict) -> list[str]:
    return [step["uses"] for step in steps(workflow) if "uses" in step]


def test_both_workflows_exist():
    assert {p.name for p in FILES} >= {"pull-request.yml", "publish-site.yml"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_workflow_structure(path):
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict) and isinstance(workflow.get("name"), str)
    assert isinstance(triggers(workflow), dict) and triggers(workflow)
    assert isinstance(workflow["jobs"], dict) and workflow["jobs"]
    for job_id, job in workflow["jobs"].items():
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", job_id)
        assert isinstance(job.get("runs-on"), str), job_id
        assert isinstance(job.get("timeout-minutes"), int), job_id
        assert isinstance(job.get("steps"), list) and job["steps"], job_id
        for need in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []):
            assert need in workflow["jobs"], f"{job_id} needs unknown job {need}"
        for step in job["steps"]:
            assert isinstance(step, dict)
            assert ("uses" in step) != ("run" in step), f"a step has exactly one of uses/run: {step}"
            if "uses" in step:  # pinned to a release, never a moving branch
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+(\.\d+)*", step["uses"]), step["uses"]
    # `${{ github.* }}` pasted into a shell script is a script-injection hole; use env instead.
    for step in steps(workflow):
        assert "${{ github." not in step.get("run", ""), step["run"]


def test_pull_request_workflow():
    workflow = load("pull-request.yml")
    assert "pull_request" in triggers(workflow)
    assert workflow["permissions"]["security-events"] == "write"
    checkout = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # the report reads the base branch from history
    python = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/setup-python@"))
    assert str(python["with"]["python-version"]) == "3.11"
    run = commands(workflow)
    assert "pip install -e '.[site,test]'" in run
    assert "dac validate --format github" in run
    assert "dac validate --format sarif -o dac.sarif" in run
    assert "python -m pytest" in run
    assert re.search(r'dac report --base "origin/\$\{?BASE_REF\}?"', run)
    report = next(s for s in steps(workflow) if "dac report" in s.get("run", ""))
    assert report["env"]["BASE_REF"] == "${{ github.base_ref }}"
    upload = next(s for s in steps(workflow) if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "dac.sarif"
    assert "always()" in upload["if"]
    # Install, then validate, then the SARIF upload after the SARIF is written.
    order = [s.get("run", s.get("uses", "")) for s in steps(workflow)]
    position = {key: next(i for i, s in enumerate(order) if key in s)
                for key in ("pip install", "--format github", "--format sarif", "upload-sarif", "pytest", "dac report")}
    assert position["pip install"] < position["--format github"] < position["--format sarif"] < position["upload-sarif"]
    assert position["pip install"] < position["pytest"] and position["pip install"] < position["dac report"]


def test_publish_site_workflow():
    workflow = load("publish-site.yml")
    assert triggers(workflow)["push"]["branches"] == ["main"]
    assert "mkdocs build --strict" in commands(workflow)
    assert "pip install -e '.[site]'" in commands(workflow)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses(workflow))
    deploy_jobs = [job for job in workflow["jobs"].values()
                   if any(s.get("uses", "").startswith("actions/deploy-pages@") for s in job["steps"])]
    assert len(deploy_jobs) == 1
    deploy = deploy_jobs[0]
    permissions = {**workflow.get("permissions", {}), **deploy.get("permissions", {})}
    assert permissions["pages"] == "write" and permissions["id-token"] == "write"
    assert deploy["environment"]["name"] == "github-pages"
    upload = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "site"  # mkdocs' default site_dir
