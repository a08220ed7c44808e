"""Every sample of the 13 T1562 packages, rendered as Google SecOps presents it (a UDM event)
(tooling/platforms/yaral/render.json), is fully evaluated by the package's YARA-L query (`ok`).

Whether each verdict agrees with the sample's match / no_match is a content question, fixed in
the packages later: it is not asserted here (run this file with -s to see the disagreements).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tooling.languages import get_language
from tooling.platforms import render
from tooling.sigma.rules import shared_logsource

YARAL = get_language("yaral")
ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted((ROOT / "detections" / "T1562").glob("*.yml"))


def _samples():
    for path in PACKAGES:
        package = yaml.safe_load(path.read_text(encoding="utf-8"))
        query = package["queries"]["yaral"]
        logsource = shared_logsource(package)
        for test in package.get("tests", []):
            for expected in ("match", "no_match"):
                for index, sample in enumerate(test.get("samples", {}).get(expected, []) or []):
                    yield pytest.param(query, logsource, sample, index, expected,
                                       id=f"{path.stem}-{test['name'][:40]}-{expected}[{index}]")


@pytest.mark.parametrize("query, logsource, sample, index, expected", list(_samples()))
def test_package_sample_is_evaluated(query, logsource, sample, index, expected):
    rendering = render("yaral", sample, logsource, index=index)
    assert rendering is not None, f"no UDM rendering for {sample}"
    result = YARAL.evaluate(query, [rendering.event])
    assert result.ok, result.reason
    verdict = bool(result.matched)
    if verdict != (expected == "match"):
        print(f"disagrees: {expected}[{index}] -> {verdict}: {rendering.kind} {rendering.event}")


def test_every_package_has_a_yaral_query():
    assert len(PACKAGES) == 13
    for path in PACKAGES:
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]["yaral"].strip()
