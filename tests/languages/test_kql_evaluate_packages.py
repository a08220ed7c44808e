"""Every KQL query of the T1562 packages is evaluated (`ok`) on every sample of its package, rendered
into Defender XDR / Sentinel's shape by tooling/platforms/kql/render.json.

Whether each verdict equals the sample's match / no_match is a content question (`dac test`),
not asserted here.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tooling.languages import get_language
from tooling.platforms import render
from tooling.sigma.rules import shared_logsource

KQL = get_language("kql")
ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted((ROOT / "detections" / "T1562").glob("*.yml"))


def _samples(package: dict):
    index = 0
    for test in package.get("tests", []):
        for expected in ("match", "no_match"):
            for number, sample in enumerate(test.get("samples", {}).get(expected) or []):
                yield f"{test['name']} {expected}[{number}]", sample, index
                index += 1


@pytest.mark.parametrize("path", PACKAGES, ids=[p.stem for p in PACKAGES])
def test_package_query_is_evaluated_on_every_sample(path):
    package = yaml.safe_load(path.read_text(encoding="utf-8"))
    query = package["queries"]["kql"]
    logsource = shared_logsource(package)
    checked = 0
    for name, sample, index in _samples(package):
        rendering = render("kql", sample, logsource, index=index)
        assert rendering is not None, f"{name}: no Defender XDR / Sentinel rendering"
        assert not rendering.unmapped, f"{name}: sample fields not rendered: {rendering.unmapped}"
        result = KQL.evaluate(query, [rendering.event])
        assert result.ok, f"{name}: {result.reason}"
        checked += 1
    assert checked


def test_package_queries_evaluated_on_all_samples_at_once():
    """All of a package's rendered samples in one evaluation: each query still has a verdict."""
    for path in PACKAGES:
        package = yaml.safe_load(path.read_text(encoding="utf-8"))
        events = [render("kql", s, shared_logsource(package), index=i).event for _, s, i in _samples(package)]
        result = KQL.evaluate(package["queries"]["kql"], events)
        assert result.ok, f"{path.stem}: {result.reason}"
