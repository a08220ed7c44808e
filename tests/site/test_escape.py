"""Escaping helpers and rendering of packages the ATT&CK data does not know."""
from __future__ import annotations

import markdown
import pytest

from tooling.site.catalog import Catalog, Entry
from tooling.site.escape import fence, h, md_code, md_paragraphs, md_text, safe_url, slug
from tooling.site.package_page import render_package

EXTENSIONS = ["toc", "tables", "attr_list", "admonition", "def_list", "pymdownx.escapeall", "pymdownx.details",
              "pymdownx.superfences", "pymdownx.tabbed", "md_in_html"]

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">a</a>',
    "## heading {: onclick=\"alert(1)\" }",
    "!!! note\n    admonition",
    '=== "tab"\n    content',
    "* list\n\n    code",
    "<https://example.com>",
    "&lt;script&gt;",
    "`code` **bold** _em_ ~~del~~ ==mark== :smile: ++ctrl++",
    "| a | b |\n|---|---|",
    "text\n===",
]


def render(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS)


@pytest.mark.parametrize("value", HOSTILE)
def test_md_text_renders_as_one_plain_paragraph(value):
    out = render(md_text(value))
    assert out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1
    assert "<" not in out[3:-4]  # no element at all: markup arrives as text


@pytest.mark.parametrize("value", HOSTILE)
def test_md_paragraphs_make_no_elements_but_paragraphs(value):
    out = render(md_paragraphs(value))
    tags = {t for t in __import__("re").findall(r"<(\w+)", out)}
    assert tags <= {"p"}


def test_md_text_keeps_the_text_readable():
    assert render(md_text("a < b & c > d [x](y)")) == "<p>a &lt; b &amp; c &gt; d [x](y)</p>"


def test_md_code_cannot_be_closed_by_the_value():
    out = render("x " + md_code("a ``` b ` <script>") + " y")
    assert out.count("<code>") == 1 and "&lt;script&gt;" in out


def test_fence_cannot_be_closed_by_the_content():
    content = "line\n```\n<script>alert(1)</script>\n````\n"
    out = render(fence(content, "text"))
    assert out.count("<pre") == 1 and "<script>" not in out and "&lt;script&gt;" in out


def test_h_escapes_quotes():
    assert h('"><script>') == "&quot;&gt;&lt;script&gt;"


@pytest.mark.parametrize("url, expected", [
    ("https://attack.mitre.org/techniques/T1562/", "https://attack.mitre.org/techniques/T1562/"),
    ("http://example.com/a?b=c&d=e#f", "http://example.com/a?b=c&d=e#f"),
    ('https://example.com/" onmouseover="x', None),  # whitespace: not a URL
    ("javascript:alert(1)", None),
    ("JAVASCRIPT:alert(1)", None),
    (" javascript:alert(1)", None),
    ("data:text/html,x", None),
    ("//example.com/x", None),
    ("https:/x", None),
    ("https://exa mple.com", None),
    ("https://example.com/\\x", None),
    (None, None),
    (42, None),
])
def test_safe_url(url, expected):
    assert safe_url(url) == expected


def test_safe_url_encodes_what_could_break_an_attribute():
    assert safe_url("https://example.com/<x>'()") == "https://example.com/%3Cx%3E%27%28%29"


@pytest.mark.parametrize("value", ["../../etc", "<script>", "", "..", "T1562.001", "a/b\\c"])
def test_slug_is_a_safe_path_segment(value):
    result = slug(value)
    assert result and result not in (".", "..") and all(c.isalnum() or c in "._-" for c in result)


def test_unknown_and_malformed_packages_render(tmp_path):
    entries = [
        Entry(data={"id": "T9001", "title": "Synthetic", "attack": {"tactics": ["Nope"], "technique": "T9001"}},
              path=tmp_path / "T9001.yml", key="T9001", edit_path=None),
        Entry(data={"id": "T9001.001", "queries": "not a mapping", "tests": [None, 3, {"samples": 5}],
                    "references": "https://x", "false_positives": ["plain"], "telemetry": {"kql": "one"},
                    "sigma": [], "author": ["a", None], "related": [{"id": "T9001"}, "x"]},
              path=tmp_path / "T9001.001.yml", key="T9001.001", edit_path=None),
        Entry(data={}, path=tmp_path / "x.yml", key="x", edit_path=None),
    ]
    catalog = Catalog(entries=entries, by_id={e.id: e for e in entries if e.id})
    for entry in entries:
        text = render_package(entry, catalog)
        assert "## Detection queries" in text
        render(text.split("---", 2)[2])  # valid Markdown
    assert entries[0].tactics == ["Unmapped"]
    assert "Parent technique" in render_package(entries[1], catalog)
