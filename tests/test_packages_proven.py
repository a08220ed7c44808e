"""The repository's own packages: every native query and every Sigma form is evaluated on every
sample of its package, in its platform's shape, and agrees with the test (issue #17's promise,
and what `dac test` shows a reviewer)."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tooling.languages import LANGUAGES
from tooling.testing import run_tests

ROOT = Path(__file__).resolve().parents[1]
DETECTIONS = ROOT / "detections"


@pytest.fixture(scope="module")
def report():
    return run_tests([DETECTIONS], drift=False)


def test_every_sample_has_a_verdict_from_sigma_and_all_seven_languages(report):
    by_language = Counter(r.language for r in report.results)
    assert set(by_language) == {"sigma", *LANGUAGES}
    assert len(set(by_language.values())) == 1, by_language  # the same samples for everyone
    unevaluated = [(r.package, r.language, r.test, r.sample, r.reason) for r in report.results
                   if r.verdict is None and not r.declared]
    assert unevaluated == []
    # what a test declares its platform cannot see is rare, and says why
    declared = [r for r in report.results if r.declared]
    assert len(declared) <= 10 and all(len(r.reason) > 40 for r in declared)


def test_every_verdict_agrees_with_the_test(report):
    disagreeing = [(r.package, r.language, r.test, r.sample) for r in report.disagreements]
    assert disagreeing == []
    assert not report.failed()


def test_dac_test_reports_them_as_json(run_dac):
    result = run_dac("test", "--no-drift", "--no-cache", "--format", "json", timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    data = json.loads(result.stdout)
    assert data["results"] and all(r["verdict"] == r["expected"] for r in data["results"]
                                   if not (r["reason"] or "").startswith("not covered: "))
