"""A hostile package (tests/site/fixtures/xss/) must not inject anything into the built site.

Every string field of the fixture carries <script>, event-handler attributes, javascript: links,
and Markdown/HTML/extension syntax. The site built from it is compared with the clean site: the
same scripts (mkdocs-material's own) and nothing else.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from tests.site.htmlcheck import html_files, scan

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "xss"


def _normalise(script: tuple[str | None, str]) -> tuple[str | None, str]:
    src, text = script
    if src:
        return re.sub(r"^(\.\./)+|^\./", "", src), ""
    # Material's inline scripts differ only in the relative base path and the JSON config.
    text = re.sub(r'new URL\("[^"]*",location\)', 'new URL("",location)', text)
    text = re.sub(r'"base": "[^"]*"', '"base": ""', text)
    return None, text


def _scripts(site: Path) -> set[tuple[str | None, str]]:
    return {_normalise(s) for f in html_files(site) for s in scan(f).scripts}


def test_fixture_has_hostile_text_in_every_string_field():
    from tooling.package import load_package

    data = load_package(FIXTURE / "T1562" / "T1562.yml").data
    strings: list[str] = []

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            strings.append((key, value))

    walk(data)
    unchecked = {"id", "technique", "atomic_guid", "code"}  # kept valid: ATT&CK sections render
    hostile = [(k, v) for k, v in strings if k not in unchecked and v != "https://attack.mitre.org/techniques/T1562/"]
    assert len(hostile) > 50
    for key, value in hostile:
        assert any(p in value.lower() for p in ("<script>", "javascript:", "onerror=", "onmouseover=")), key


def test_pages_render_for_the_hostile_packages(xss_site):
    assert (xss_site / "detections" / "T1562" / "index.html").is_file()
    assert len(list((xss_site / "detections").glob("*/index.html"))) >= 3  # two packages and the matrix


def test_no_script_other_than_the_themes(xss_site, site):
    allowed = _scripts(site)
    for page in html_files(xss_site):
        for script in scan(page).scripts:
            assert _normalise(script) in allowed, (page, script)


def test_no_event_handler_attributes(xss_site):
    for page in html_files(xss_site):
        assert scan(page).handlers == [], page


def test_no_javascript_urls(xss_site):
    for page in html_files(xss_site):
        assert scan(page).bad_urls == [], page


def test_no_element_the_clean_site_lacks(xss_site, site):
    clean = {tag for page in html_files(site) for tag in scan(page).tags}
    for page in html_files(xss_site):
        extra = set(scan(page).tags) - clean
        dangerous = {"iframe", "img", "object", "embed", "form", "base", "meta", "link", "style", "a"}
        assert not extra & dangerous, (page, extra)


def test_only_http_references_become_links(xss_site):
    html = (xss_site / "detections" / "T1562" / "index.html").read_text(encoding="utf-8")
    refs = html.split('<ul class="dac-references">', 1)[1].split("</ul>", 1)[0]
    hrefs = re.findall(r'href="([^"]*)"', refs)
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs)
    assert 'href="https://attack.mitre.org/techniques/T1562/"' in refs
    assert "onmouseover" not in "".join(hrefs)  # the quote was encoded, not closing the attribute
    assert refs.count("<li>") == 9


def test_hostile_text_is_shown_as_text(xss_site):
    html = (xss_site / "detections" / "T1562" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "--8&lt;--" in html  # no snippet inclusion
    assert "root:x:0:0" not in html


def test_titles_are_escaped(xss_site):
    for page in ("T1562", "T1562.002"):
        path = next((xss_site / "detections").glob(f"{page}*/index.html"))
        html = path.read_text(encoding="utf-8")
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        assert "<" not in title


def test_search_index_has_no_markup_from_packages(xss_site):
    index = json.loads((xss_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    for doc in index["docs"]:
        for field in ("title", "text"):
            assert not re.search(r"<(script|img|svg|iframe)\b|<a [^>]*javascript:", doc[field], re.I), doc["location"]
