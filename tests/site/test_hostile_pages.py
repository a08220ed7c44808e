"""Any text a package holds reaches a page escaped: property-tested on the page renderer (the
mkdocs build of a hostile fixture is tests/site/test_xss.py)."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tooling.site.catalog import Catalog, Entry
from tooling.site.package_page import render_package

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
HOSTILE = st.text(alphabet=st.sampled_from(list("<>\"'&`|*_[](){}#!:\\/\n\t\x1b\x00 ax") + list(BIDI)),
                  max_size=60)


@settings(max_examples=80, deadline=None)
@given(title=HOSTILE, description=HOSTILE, query=HOSTILE, reference=HOSTILE, sample=HOSTILE)
def test_hostile_text_is_escaped_on_the_page(title, description, query, reference, sample):
    data = {"id": "T1562.001", "title": title, "description": description, "status": "test",
            "queries": {"kql": query, "spl": query}, "references": [reference, "javascript:alert(1)"],
            "tests": [{"name": title, "samples": {"match": [{"CommandLine": sample}], "no_match": []}}]}
    entry = Entry(data=data, path=Path("T1562.001.yml"), key="T1562.001", edit_path=None)
    page = render_package(entry, Catalog([entry], {"T1562.001": entry}))
    lowered = page.lower()
    assert "<script" not in lowered  # every < of package text is escaped
    assert 'href="javascript' not in lowered and "](javascript" not in lowered  # only http(s) links
    assert not any(ch in page for ch in BIDI + "\x1b\x00")
