"""The detection content itself: every package complete enough to publish and to test."""
from __future__ import annotations

from pathlib import Path

import pytest

from tooling.attack import attack_data
from tooling.languages import LANGUAGES
from tooling.package import iter_package_files, load_package
from tooling.sigma.rules import logsource_slug

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [load_package(path) for path in iter_package_files([ROOT / "detections"])]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.id)
def test_package_is_complete(package):
    data = package.data
    assert set(data["queries"]) == set(LANGUAGES)
    assert all(data["queries"][key].strip() for key in LANGUAGES)
    rules = data["sigma"]["rules"]
    assert rules and all("condition" in rule["detection"] for rule in rules)
    # generic logsources, one rule per kind of event: a product with a category or a service, never
    # Sysmon's own service (pySigma's pipelines map generic categories, not `service: sysmon` EventIDs)
    for rule in rules:
        logsource = rule["logsource"]
        assert logsource.get("product") and (logsource.get("category") or logsource.get("service")), logsource
        assert logsource.get("service") != "sysmon", logsource
    assert len({logsource_slug(rule["logsource"]) for rule in rules}) == len(rules)
    assert len(data["tests"]) >= 2
    for test in data["tests"]:
        assert test["samples"]["match"], test["name"]
        assert test["samples"]["no_match"], test["name"]
    assert data["references"][0].startswith("https://attack.mitre.org/techniques/")


def test_the_whole_impair_defenses_family_is_written():
    ids = {package.id for package in PACKAGES}
    family = {t.id for t in attack_data().subtechniques("T1562")}
    assert len(family) == 12 and "T1562.005" not in family
    assert family | {"T1562"} <= ids


def test_parent_lists_every_sub_technique():
    parent = next(p for p in PACKAGES if p.id == "T1562")
    listed = {entry["id"] for entry in parent.data["related"]}
    assert {t.id for t in attack_data().subtechniques("T1562")} <= listed


def test_v19_successor_recorded_where_attack_v19_renumbers():
    for package in PACKAGES:
        successor = attack_data().v19_successor(package.id)
        recorded = package.data["attack"].get("v19_successor")
        assert (recorded or None) == successor, package.id
