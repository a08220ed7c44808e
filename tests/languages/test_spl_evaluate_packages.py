"""Every SPL query of the T1562 packages evaluates (`ok`) on every sample rendered as Splunk
shows it (tooling/platforms/spl/render.json). Verdicts are not asserted here: a verdict that
disagrees with the sample's match/no_match is a content defect, fixed in the packages later.

The macros are the repository's deployment definitions (platforms.yml): `sysmon` as this
repository declares it, `drop_dm_object_name(1)` as Splunk_SA_CIM defines it (macros.conf:
args = object, definition = rename $object$.* AS *).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tooling.languages.evaluation import EvaluationContext
from tooling.languages.spl import LANGUAGE
from tooling.platforms import render
from tooling.sigma.rules import shared_logsource

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted((ROOT / "detections" / "T1562").glob("*.yml"))
MACROS = {
    "sysmon": '(sourcetype=XmlWinEventLog source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational")',
    "drop_dm_object_name(1)": "rename $object$.* AS *",
}
CONTEXT = EvaluationContext(macros=MACROS)


def _samples():
    for path in PACKAGES:
        package = yaml.safe_load(path.read_text(encoding="utf-8"))
        index = 0
        for test in package.get("tests", []):
            for expected, samples in test.get("samples", {}).items():
                for sample in samples:
                    yield pytest.param(package, sample, index, id=f"{path.stem}-{index}-{expected}")
                    index += 1


def test_thirteen_packages():
    assert len(PACKAGES) == 13


@pytest.mark.parametrize("package, sample, index", list(_samples()))
def test_package_query_is_evaluated_on_each_sample(package, sample, index):
    rendering = render("spl", sample, shared_logsource(package), index=index)
    assert rendering is not None, "every sample kind of the packages has a Splunk rendering"
    assert not rendering.unmapped, rendering.unmapped
    evaluation = LANGUAGE.evaluate(package["queries"]["spl"], [rendering.event], CONTEXT)
    assert evaluation.ok, evaluation.reason


@pytest.mark.parametrize("path", PACKAGES, ids=lambda p: p.stem)
def test_package_query_is_evaluated_on_all_samples_at_once(path):
    package = yaml.safe_load(path.read_text(encoding="utf-8"))
    events = [render("spl", sample, shared_logsource(package), index=i).event
              for i, (_, sample) in enumerate((e, s) for t in package["tests"] for e, ss in t["samples"].items()
                                              for s in ss)]
    evaluation = LANGUAGE.evaluate(package["queries"]["spl"], events, CONTEXT)
    assert evaluation.ok, evaluation.reason


def test_an_undeclared_macro_is_not_evaluated():
    package = yaml.safe_load((ROOT / "detections" / "T1562" / "T1562.001.yml").read_text(encoding="utf-8"))
    evaluation = LANGUAGE.evaluate(package["queries"]["spl"], [{"_raw": "x", "_time": 0}])
    assert not evaluation.ok and "`sysmon`" in evaluation.reason and evaluation.reason.startswith("1:1:")
