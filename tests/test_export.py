"""`dac export navigator` and `dac export sigma` on the real packages and on edited copies."""
from __future__ import annotations

import atexit
import json
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import yaml
from sigma.collection import SigmaCollection
from sigma.rule import SigmaRule
from sigma.validation import SigmaValidator
from sigma.validators.core import validators as sigma_validators

from tooling import SITE_URL
from tooling.attack import attack_data
from tooling.export import load_exportable
from tooling.export.navigator import STATUS_SCORES
from tooling.export.sigma import SIGMA_NAMESPACE, sigma_rule_yaml, sigma_rules
from tooling.sigma.rules import logsource_slug, package_rules

ROOT = Path(__file__).resolve().parents[1]
# The packages are copied once per run: others may edit detections/ while the tests run, and an
# export compared with a package read a moment later would then differ.
_SNAPSHOT = Path(tempfile.mkdtemp(prefix="dac-export-test-"))
shutil.copytree(ROOT / "detections", _SNAPSHOT / "detections")
atexit.register(shutil.rmtree, _SNAPSHOT, ignore_errors=True)
DETECTIONS = _SNAPSHOT / "detections"
PACKAGES = load_exportable([DETECTIONS]).packages
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
TECHNIQUE_ID = re.compile(r"^T\d{4}(\.\d{3})?$")


def _copy_package(tmp_path: Path, package_id: str = "T1562") -> Path:
    """A detections/ tree holding one real package, to edit without touching the repository."""
    source = next(p.path for p in PACKAGES if p.id == package_id)
    target = tmp_path / "detections" / source.parent.name / source.name
    target.parent.mkdir(parents=True)
    shutil.copy(source, target)
    return target


# -- Navigator -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def layer(tmp_path_factory):
    out = tmp_path_factory.mktemp("navigator") / "layer.json"
    from tooling.cli import main

    assert main(["export", "navigator", "-o", str(out), str(DETECTIONS)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_layer_has_the_format_s_required_fields_and_types(layer):
    # Layer format 4.5: name and domain are required; versions.layer and .navigator too.
    assert isinstance(layer["name"], str) and layer["name"]
    assert layer["domain"] == "enterprise-attack"
    assert isinstance(layer["description"], str)
    versions = layer["versions"]
    assert versions["layer"] == "4.5"
    assert versions["attack"] == attack_data().version.split(".")[0] == "18"
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", versions["navigator"])
    assert tuple(int(n) for n in versions["navigator"].split(".")) >= (4, 9)  # the format's minimum
    assert isinstance(layer["hideDisabled"], bool) and isinstance(layer["sorting"], int)
    assert isinstance(layer["techniques"], list) and layer["techniques"]
    gradient = layer["gradient"]
    assert len(gradient["colors"]) >= 2 and all(HEX_COLOR.match(c) for c in gradient["colors"])
    assert gradient["minValue"] < gradient["maxValue"]
    assert {item["label"] for item in layer["legendItems"]} == set(STATUS_SCORES)
    assert all(HEX_COLOR.match(item["color"]) for item in layer["legendItems"])


def test_every_technique_entry_is_well_typed(layer):
    shortnames = {t.shortname for t in attack_data().tactics}
    for entry in layer["techniques"]:
        assert TECHNIQUE_ID.match(entry["techniqueID"])
        assert attack_data().technique(entry["techniqueID"]) is not None
        assert entry["tactic"] in shortnames
        assert isinstance(entry["score"], (int, float)) and not isinstance(entry["score"], bool)
        assert HEX_COLOR.match(entry["color"])
        assert isinstance(entry["comment"], str) and entry["comment"]
        assert isinstance(entry["enabled"], bool)
        assert entry["metadata"] and all(set(m) == {"name", "value"} and all(isinstance(v, str) for v in m.values())
                                          for m in entry["metadata"])
        for link in entry["links"]:
            assert set(link) == {"label", "url"} and link["url"].startswith("https://")


def test_layer_covers_every_package_and_links_its_site_page(layer):
    shortnames = {t.name: t.shortname for t in attack_data().tactics}
    assert {e["techniqueID"] for e in layer["techniques"]} == {p.id for p in PACKAGES}
    for package in PACKAGES:
        entries = [e for e in layer["techniques"] if e["techniqueID"] == package.id]
        assert {e["tactic"] for e in entries} == {shortnames[n] for n in package.data["attack"]["tactics"]}
        for entry in entries:
            assert entry["score"] == STATUS_SCORES[package.data["status"]]
            assert entry["links"][0]["url"] == f"{SITE_URL}detections/{package.id}/"


def test_layer_links_match_the_site_page_urls():
    catalog = pytest.importorskip("tooling.site.catalog")
    from tooling.export import page_url

    entry = catalog.Entry(data={"id": "T1562.001"}, path=Path("T1562.001.yml"), key="T1562.001", edit_path=None)
    assert page_url("T1562.001") == SITE_URL + entry.url


@pytest.mark.parametrize("status", sorted(STATUS_SCORES))
def test_layer_scores_by_status(tmp_path, run_dac, status):
    path = _copy_package(tmp_path)
    path.write_text(re.sub(r"^status: \w+$", f"status: {status}", path.read_text(encoding="utf-8"), count=1,
                           flags=re.MULTILINE), encoding="utf-8")
    result = run_dac("export", "navigator", str(tmp_path / "detections"))
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(result.stdout)["techniques"]
    assert entry["score"] == STATUS_SCORES[status]
    assert entry["enabled"] is (status != "deprecated")
    assert {"name": "status", "value": status} in entry["metadata"]


def test_unreadable_package_is_skipped_and_named(tmp_path, run_dac):
    _copy_package(tmp_path)
    (tmp_path / "detections" / "T1562" / "T1562.009.yml").write_text("id: [unclosed\n", encoding="utf-8")
    result = run_dac("export", "navigator", str(tmp_path / "detections"))
    assert result.returncode == 1
    assert "skipped" in result.stderr and "T1562.009.yml" in result.stderr and "Traceback" not in result.stderr
    assert [e["techniqueID"] for e in json.loads(result.stdout)["techniques"]] == ["T1562"]


def test_export_missing_folder_is_a_usage_error(run_dac):
    result = run_dac("export", "navigator", "no/such/folder")
    assert result.returncode == 2 and "no such file or folder" in result.stderr


# -- Sigma ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sigma_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sigma") / "rules"
    from tooling.cli import main

    assert main(["export", "sigma", str(out), "--from", str(DETECTIONS)]) == 0
    return out


RULES = [(package, rule) for package in PACKAGES for rule in package_rules(package.data)]


def _file(package, rule) -> str:
    return f"{package.id}_{logsource_slug(rule.logsource)}.yml"


def test_one_rule_file_per_rule_of_each_package(sigma_dir):
    assert sorted(p.name for p in sigma_dir.iterdir()) == sorted(_file(p, r) for p, r in RULES)
    assert len(RULES) > len(PACKAGES)  # packages that read several kinds of event have several rules


@pytest.mark.parametrize("package, sigma", RULES, ids=lambda x: getattr(x, "id", None) or getattr(x, "slug", ""))
def test_rule_loads_in_pysigma_and_round_trips(sigma_dir, package, sigma):
    text = (sigma_dir / _file(package, sigma)).read_text(encoding="utf-8")
    rule = SigmaRule.from_yaml(text)
    assert not rule.errors
    data = package.data
    several = len(package_rules(data)) > 1
    # a rule's own title; else the package's (with the logsource when the package has several rules)
    suffix = " - " + " ".join(w.capitalize() for w in sigma.slug.split("_")) if several else ""
    assert rule.title == (sigma.title or data["title"] + suffix)
    assert rule.id == uuid.uuid5(SIGMA_NAMESPACE, f"{package.id}/{sigma.slug}")
    siblings = [r for r in package_rules(data) if r.index != sigma.index]
    related = yaml.safe_load(text).get("related") or []
    assert related == [{"id": str(uuid.uuid5(SIGMA_NAMESPACE, f"{package.id}/{r.slug}")), "type": "similar"}
                       for r in siblings]
    assert rule.status.name.lower() == data["status"]
    assert rule.level.name.lower() == data["severity"]
    assert rule.description == data["description"].strip()
    assert rule.date.isoformat() == data["created"]
    assert (rule.modified.isoformat() if rule.modified else data["created"]) == data["modified"]
    # ATT&CK's pages are left to the tags, as SigmaHQ's validators ask
    assert rule.references == [r for r in data["references"] if not r.startswith("https://attack.mitre.org/")]
    assert rule.falsepositives == [fp["description"].strip() for fp in data["false_positives"]]
    tags = [str(t) for t in rule.tags]
    assert f"attack.{package.id.lower()}" in tags
    shortnames = {t.name: t.shortname for t in attack_data().tactics}
    assert {f"attack.{shortnames[name]}" for name in data["attack"]["tactics"]} <= set(tags)
    # The logsource and detection come back exactly as written in the package; `fields`, which
    # Sigma deprecates, stays in the package.
    raw = yaml.safe_load(text)
    written = data["sigma"]["rules"][sigma.index]
    assert raw["logsource"] == written["logsource"]
    assert raw["detection"] == written["detection"]
    assert "fields" not in raw
    assert rule.logsource.category == written["logsource"].get("category")
    assert rule.logsource.product == written["logsource"].get("product")


def test_rule_ids_do_not_depend_on_the_other_rules(tmp_path):
    path = _copy_package(tmp_path, "T1562.001")
    package = load_exportable([path]).packages[0]
    before = {rule.slug: data["id"] for rule, data in sigma_rules(package)}
    package.data["sigma"]["rules"].reverse()
    package.data["sigma"]["rules"].pop()  # the first rule, now last, is gone; the other keeps its id
    after = {rule.slug: data["id"] for rule, data in sigma_rules(package)}
    assert after and all(before[slug] == rule_id for slug, rule_id in after.items())


def test_rules_pass_pysigma_validators(sigma_dir):
    # The validators about the rule's own fields (ids, tags, references, detection structure);
    # the ATT&CK and D3FEND tag validators download MITRE data, and style checks judge content.
    chosen = ("identifier_existence", "identifier_uniqueness", "tag_format", "duplicate_tag", "namespace_tag",
              "duplicate_references", "duplicate_title", "custom_attributes", "dangling_detection",
              "dangling_condition", "control_character", "invalid_modifier_combinations")
    collection = SigmaCollection.load_ruleset([sigma_dir])
    available = [sigma_validators[name] for name in chosen if name in sigma_validators]  # older pySigma has fewer
    assert len(available) >= 8
    issues = SigmaValidator(available).validate_rules(collection)
    assert not issues, [(type(i).__name__, i.description) for i in issues]


def test_reexport_is_identical(tmp_path, sigma_dir, run_dac):
    result = run_dac("export", "sigma", str(tmp_path / "again"), "--from", str(DETECTIONS))
    assert result.returncode == 0, result.stderr
    for path in sigma_dir.iterdir():
        assert (tmp_path / "again" / path.name).read_bytes() == path.read_bytes()


def test_stdout_stream_holds_every_rule(run_dac):
    result = run_dac("export", "sigma", "-", "--from", str(DETECTIONS))
    assert result.returncode == 0, result.stderr
    collection = SigmaCollection.from_yaml(result.stdout)
    assert sorted(r.title for r in collection.rules) == sorted(data["title"] for p in PACKAGES
                                                               for _, data in sigma_rules(p))
    assert len(collection.rules) == len(RULES)
    assert not any(r.errors for r in collection.rules)


def test_yaml_1_1_words_stay_strings(tmp_path):
    # Sigma tools read YAML 1.1, where unquoted yes/on/off/1:20 are booleans or numbers.
    path = _copy_package(tmp_path)
    package = load_exportable([path]).packages[0]
    words = ["yes", "on", "Off", "1:20", "0x1F", "010", "~", "null", "2025-01-15"]
    package.data["sigma"]["rules"][0]["detection"]["selection_words"] = {"Field": words}
    package.data["title"] = "on"
    raw = next(yaml.safe_load_all(sigma_rule_yaml(package)))
    assert raw["detection"]["selection_words"]["Field"] == words
    assert raw["title"] == "on"


def test_sub_technique_tags(sigma_dir):
    sub = next((p for p in PACKAGES if "." in p.id), None)
    if sub is None:
        pytest.skip("no sub-technique package")
    rule = SigmaRule.from_yaml(next(sigma_dir.glob(f"{sub.id}_*.yml")).read_text(encoding="utf-8"))
    assert f"attack.{sub.id.lower()}" in [str(t) for t in rule.tags]  # e.g. attack.t1562.001


def test_unwritable_output_is_a_usage_error(tmp_path, run_dac):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    for args in (("sigma", str(blocker)), ("navigator", "-o", str(tmp_path / "no" / "layer.json"))):
        result = run_dac("export", *args)
        assert result.returncode == 2 and "cannot write" in result.stderr and "Traceback" not in result.stderr
