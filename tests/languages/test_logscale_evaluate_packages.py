"""Every sample of the 13 packages, rendered into LogScale's shape, is evaluated (`ok`) by the
package's LogScale query. Whether the verdict agrees with match/no_match is content, fixed later:
this test only asserts that a verdict exists (and that every kind of sample has a LogScale form)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tooling.languages import get_language
from tooling.platforms import render, render_table
from tooling.sigma.rules import shared_logsource

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted((ROOT / "detections" / "T1562").glob("*.yml"))
LANG = get_language("logscale")
# Kinds LogScale has no form for. The Windows Application log and auditd's own records, which the
# Falcon sensor does not forward, arrive through Falcon LogScale Collector (render.json "notes").
OMITTED: set[str] = set()


def _samples():
    for path in PACKAGES:
        package = yaml.safe_load(path.read_text(encoding="utf-8"))
        index = 0
        for test in package["tests"]:
            for expected in ("match", "no_match"):
                for position, sample in enumerate(test["samples"].get(expected) or []):
                    yield pytest.param(package, sample, index, id=f"{path.stem}-{test['name'][:30]}-{expected}[{position}]")
                    index += 1


@pytest.mark.parametrize(("package", "sample", "index"), list(_samples()))
def test_package_query_evaluates_every_sample(package, sample, index):
    rendering = render("logscale", sample, shared_logsource(package), index=index)
    if rendering is None:
        from tooling.platforms import classify

        assert classify(sample, shared_logsource(package)) in OMITTED
        return
    evaluation = LANG.evaluate(package["queries"]["logscale"], [rendering.event])
    assert evaluation.ok, evaluation.reason


def test_render_table_names_sources_and_omitted_kinds():
    table = render_table("logscale")
    assert table["sources"] and table["date"]
    assert not OMITTED & set(table["kinds"])
    assert {"windows_event", "linux_auditd"} <= set(table["kinds"])
    assert any("RegNumericValue" in note for note in table["notes"])
    assert any("Falcon LogScale Collector" in note for note in table["notes"])
