"""The site built from the repository's packages: every page the issue asks for is there."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from tooling.attack import attack_data
from tooling.checks.schema import load_schema
from tooling.diagnostics.codes import CODES
from tooling.languages import LANGUAGES
from tooling.package import iter_package_files, load_package

ROOT = Path(__file__).resolve().parents[2]
LABELS = ["KQL", "SPL", "Elastic", "QRadar", "Sumo", "YARA-L", "LogScale"]


class Collect(HTMLParser):
    """Text and attributes of the elements we look at."""

    def __init__(self):
        super().__init__()
        self.labels: list[str] = []
        self.links: list[str] = []
        self.edit_links: list[str] = []
        self.h2: list[str] = []
        self.classes: list[str] = []
        self.resources: list[str] = []
        self._stack: list[tuple[str, dict]] = []
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._stack.append((tag, attrs))
        self._text = [] if tag in ("label", "h2") else self._text
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
            if "md-content__button" in (attrs.get("class") or ""):
                self.edit_links.append(attrs["href"])
        if attrs.get("class"):
            self.classes.extend(attrs["class"].split())
        if tag in ("script", "img", "iframe") and attrs.get("src"):
            self.resources.append(attrs["src"])
        rel = (attrs.get("rel") or "").lower()
        if tag == "link" and attrs.get("href") and rel not in ("canonical", "alternate", "prev", "next"):
            self.resources.append(attrs["href"])

    def handle_data(self, data):
        self._text.append(data)

    def handle_endtag(self, tag):
        while self._stack:
            open_tag, attrs = self._stack.pop()
            if open_tag == tag:
                break
        text = "".join(self._text).strip()
        if tag == "label" and self._stack and "tabbed-labels" in (self._stack[-1][1].get("class") or ""):
            self.labels.append(text)
        if tag == "h2":
            self.h2.append(text.rstrip("¶").strip())


def parse(path: Path) -> Collect:
    collector = Collect()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def packages():
    return [load_package(p) for p in iter_package_files([ROOT / "detections"])]


def test_a_page_for_every_package(site_build):
    site, ids = site_build
    assert ids, "the repository has packages"
    for tid in sorted(ids):
        assert (site / "detections" / tid / "index.html").is_file(), tid


def test_t1562_page_sections_in_order(site):
    page = parse(site / "detections" / "T1562" / "index.html")
    expected = ["What is T1562 Impair Defenses?", "Data sources and required telemetry", "Detection queries",
                "Description", "False positives", "Sigma rule and cross-platform mapping", "References",
                "Testing methodology", "Sub-techniques", "Related detections"]
    positions = []
    for heading in expected:
        matches = [i for i, h in enumerate(page.h2) if h.startswith(heading)]
        assert matches, f"missing section {heading!r} in {page.h2}"
        positions.append(matches[0])
    assert positions == sorted(positions)
    html = (site / "detections" / "T1562" / "index.html").read_text(encoding="utf-8")
    assert "runs every sample through the Sigma detection and each of the seven queries" in html
    # the verdict matrix: a header per language and one mark per (sample, column)
    assert "Verdicts on the samples" in html and "native queries agree with every sample" in html
    assert html.count('class="dac-verdict ') == 8 * 27  # T1562: 27 samples x (Sigma + 7 languages)


def test_seven_tabs_with_highlighted_queries(site):
    html = (site / "detections" / "T1562" / "index.html").read_text(encoding="utf-8")
    page = parse(site / "detections" / "T1562" / "index.html")
    assert page.labels == LABELS == [info.label for info in LANGUAGES.values()]
    assert html.count('class="tabbed-block"') == 7
    assert "tabbed-alternate" in html
    # every query is highlighted by a lexer (keywords, strings, comments, numbers), not plain text
    blocks = html.split('class="tabbed-block"')[1:]
    for label, block in zip(LABELS, blocks):
        assert re.search(r'<span class="(k|s|c|m)\w*">', block), f"{label} query is not highlighted"


def test_attack_box_and_badges(site):
    html = (site / "detections" / "T1562" / "index.html").read_text(encoding="utf-8")
    assert "https://attack.mitre.org/techniques/T1562/" in html
    assert "Defense Evasion" in html and "ATT&amp;CK version" in html and "18.1" in html
    assert "T1685" in html  # the v19 successor
    assert "dac-severity--high" in html and "dac-confidence--medium" in html


def test_subtechniques_listed_on_the_parent_page(site_build):
    site, present = site_build
    page = parse(site / "detections" / "T1562" / "index.html")
    html = (site / "detections" / "T1562" / "index.html").read_text(encoding="utf-8")
    subs = attack_data().subtechniques("T1562")
    assert len(subs) >= 10
    assert any(h.startswith(f"Sub-techniques ({len(subs)})") for h in page.h2)
    for sub in subs:
        assert sub.id in html and sub.name in html, sub.id
        linked = any(link.rstrip("/").endswith(f"detections/{sub.id}") or link == f"../{sub.id}/"
                     for link in page.links)
        assert linked == (sub.id in present), sub.id


def test_testing_methodology_links_atomic_tests(site):
    html = (site / "detections" / "T1562" / "index.html").read_text(encoding="utf-8")
    package = load_package(ROOT / "detections" / "T1562" / "T1562.yml").data
    for test in package["tests"]:
        procedure = test["procedure"]
        if "atomic_technique" in procedure:
            t = procedure["atomic_technique"]
            assert f"https://github.com/redcanaryco/atomic-red-team/blob/master/atomics/{t}/{t}.md" in html
        if "atomic_guid" in procedure:
            assert procedure["atomic_guid"] in html


def test_edit_link_points_at_the_package_file(site):
    page = parse(site / "detections" / "T1562" / "index.html")
    assert page.edit_links and page.edit_links[0].endswith("edit/main/detections/T1562/T1562.yml")
    home = parse(site / "index.html")
    assert home.edit_links and home.edit_links[0].endswith("edit/main/docs/index.md")


def test_every_diagnostic_code_has_a_page(site):
    index = (site / "diagnostics" / "index.html").read_text(encoding="utf-8")
    for code, entry in CODES.items():
        page = site / "diagnostics" / code / "index.html"
        assert page.is_file(), code
        text = page.read_text(encoding="utf-8")
        assert entry.name in text and "How to fix" in text
        assert f'href="{code}/"' in index


def test_matrix_has_every_tactic_column(site):
    html = (site / "detections" / "matrix" / "index.html").read_text(encoding="utf-8")
    tactics = attack_data().tactics
    columns = re.findall(r'class="dac-matrix__col" data-tactic="([^"]+)"', html)
    assert columns == [t.shortname for t in tactics]
    assert 'class="dac-cov dac-cov--' in html
    assert "dac-cov--experimental" in html or "dac-cov--test" in html or "dac-cov--stable" in html
    assert len(html) < 1_500_000  # compact: sub-techniques fold under their parent


def test_tactic_hub_groups_packages(site):
    html = (site / "detections" / "index.html").read_text(encoding="utf-8")
    for tactic in attack_data().tactics:
        assert f'id="{tactic.shortname}"' in html
    assert 'href="T1562/"' in html


def test_package_format_lists_every_property(site):
    html = (site / "reference" / "package-format" / "index.html").read_text(encoding="utf-8")
    schema = load_schema()
    for name in schema["properties"]:
        assert f"<code>{name}</code>" in html, name
    for name in schema["properties"]["attack"]["properties"]:
        assert f"<code>attack.{name}</code>" in html, name
    assert "<code>tests[].procedure.atomic_guid</code>" in html


def test_nothing_loads_from_other_hosts(site):
    for path in (site / "index.html", site / "detections" / "T1562" / "index.html"):
        page = parse(path)
        external = [r for r in page.resources if r.startswith(("http:", "https:", "//"))]
        assert external == [], path
    assert "fonts.googleapis.com" not in (site / "index.html").read_text(encoding="utf-8")


def test_search_index_built(site):
    index = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "T1562" in index
