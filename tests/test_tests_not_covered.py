"""`tests_not_covered`: the Atomic tests a package leaves out, in the schema, fmt's key order, the check
(DAC125), the site's testing section and `dac report`."""
from __future__ import annotations

from pathlib import Path

from tooling.checks.schema import load_schema
from tooling.fmt import format_text
from tooling.report import _atomic_line, atomic_coverage
from tooling.site.catalog import Entry
from tooling.site.testing import render_tests
from tooling.validate import validate

BASE = (Path(__file__).parent / "fixtures" / "base.yml").read_text(encoding="utf-8")
GUID = "aa875ed4-8935-47e2-b2c5-6ec00ab220d2"  # the base's own test
OTHER = "a316fb2e-5344-470d-91c1-23e15c374edc"
NOT_COVERED = ("tests_not_covered:\n"
               f"  - atomic_guid: {OTHER}\n"
               "    atomic_technique: T1685\n"
               "    atomic_name: Uninstall Sysmon\n"
               "    reason: sysmon -u <out of this fixture's scope>\n")


def _package(tmp_path: Path, text: str) -> Path:
    target = tmp_path / "detections" / "T1562" / "T1562.001.yml"
    target.parent.mkdir(parents=True)
    target.write_text(text, encoding="utf-8")
    return target


def test_schema_places_it_right_after_tests():
    keys = list(load_schema()["properties"])
    assert keys[keys.index("tests") + 1] == "tests_not_covered"


def test_fmt_moves_it_after_tests():
    tests_at = BASE.index("tests:\n")
    moved = BASE[:tests_at] + NOT_COVERED + BASE[tests_at:]
    assert format_text(moved) == BASE + NOT_COVERED


def test_a_valid_list_is_clean(tmp_path):
    report = validate([_package(tmp_path, BASE + NOT_COVERED)], jobs=1)
    assert [d.code for d in report.diagnostics if d.code != "DAC206"] == []


def test_schema_requires_a_reason_of_ten_characters(tmp_path):
    text = BASE + NOT_COVERED.replace("reason: sysmon -u <out of this fixture's scope>", "reason: no")
    report = validate([_package(tmp_path, text)], jobs=1)
    assert "DAC112" in {d.code for d in report.diagnostics} or "DAC110" in {d.code for d in report.diagnostics}


def test_a_guid_listed_twice_in_tests_not_covered_is_dac125_at_the_second(tmp_path):
    second = NOT_COVERED.split("\n", 1)[1]
    text = BASE + NOT_COVERED + second
    report = validate([_package(tmp_path, text)], jobs=1)
    found = [(d.code, d.line, d.column) for d in report.diagnostics if d.code == "DAC125"]
    lines = BASE.count("\n")
    # tests_not_covered: is base + 1; the first entry's GUID base + 2, the second's base + 6
    assert found == [("DAC125", lines + 6, 18)]
    assert "tests_not_covered.0" in [d.message for d in report.diagnostics if d.code == "DAC125"][0]


def test_site_lists_the_tests_not_covered_with_their_reasons(tmp_path):
    import yaml

    data = yaml.safe_load(BASE + NOT_COVERED)
    lines = render_tests(Entry(data, tmp_path / "T1562.001.yml", "T1562.001", None))
    text = "\n".join(lines)
    assert "### Atomic tests not covered" in text
    assert "Uninstall Sysmon" in text and OTHER in text
    assert "sysmon -u &lt;out of this fixture&#x27;s scope&gt;" in text  # escaped, never raw HTML
    assert "atomics/T1685/T1685.md" in text


def test_report_counts_covered_and_not_covered():
    import yaml

    data = yaml.safe_load(BASE + NOT_COVERED)
    assert atomic_coverage(data) == (1, 1)
    assert atomic_coverage({}) == (0, 0)
    assert _atomic_line(((1, 0), (1, 1)), added=False) == "- Atomic tests: covered 1 → **1**, not covered 0 → **1**"
    assert _atomic_line(((0, 0), (1, 1)), added=True) == "- Atomic tests: 1 covered, 1 not covered"
