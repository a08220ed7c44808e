"""Bounds on what a hostile package can make the site build spend (issue #26, item 6).

A 245 KB query made `mkdocs build` take 284 s: the lexers rescanned an unclosed string or a long
name from each following position (quadratic). They are linear now, and a query over the
validator's bound (MAX_QUERY_CHARS, DAC302) is shown as plain text with a notice.
"""
from __future__ import annotations

import time

import pytest
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.token import String

from tooling.languages.base import MAX_QUERY_CHARS
from tooling.site import lexers

# Units that, repeated, made some lexer quadratic: long name runs broken by `:` (the function rule
# scanned to the end looking for `(`), unclosed strings and regexes full of escapes, unclosed block
# comments, Sumo's placeholder rule over runs of digits, dots and dashes.
HOSTILE = ["a:", ':e', '"\\', "'\\", "/\\", "/* ", "```\n", "-1", ".-", '`"\\\n', "0x-"]
LEXERS = {**lexers.LEXERS, "yaml": lexers.SigmaYamlLexer}


@pytest.mark.parametrize("key", sorted(LEXERS))
def test_lexers_take_linear_time_on_hostile_text(key):
    for unit in HOSTILE:
        text = unit * (50_000 // len(unit))  # a quadratic lexer took over 10 s on some
        start = time.perf_counter()
        tokens = list(LEXERS[key]().get_tokens(text))
        assert time.perf_counter() - start < 5, (key, unit)
        assert "".join(value for _, value in tokens).rstrip("\n") == text.rstrip("\n")  # the text is kept


def test_remembered_failures_do_not_change_the_colours_of_valid_queries():
    tokens = list(lexers.LEXERS["kql"]().get_tokens('T | where A == "x\\"y" and B has "z"\n| take 1'))
    assert [v for t, v in tokens if t in String] == ['"x\\"y"', '"z"']
    tokens = list(lexers.LEXERS["logscale"]().get_tokens('a := text:contains(b, "c")'))
    assert ("text:contains", "Token.Name.Function") in [(v, str(t)) for t, v in tokens]


def test_an_unclosed_string_is_coloured_to_its_end_and_the_next_line_lexes():
    tokens = list(lexers.LEXERS["eql"]().get_tokens('process where a == "open\nand b == "c"'))
    assert [v for t, v in tokens if t in String] == ['"c"']


def test_highlighting_a_large_query_is_fast():
    query = 'index=a "' + '\\"' * 120_000  # 245 KB, an unclosed string full of escapes
    start = time.perf_counter()
    html = highlight(query, lexers.LEXERS["spl"](), HtmlFormatter())
    assert time.perf_counter() - start < 5 and "index" in html


def test_an_over_long_query_is_plain_text_with_a_notice(tmp_path):
    from tooling.site.catalog import Catalog, Entry
    from tooling.site.package_page import render_package

    query = "T | where A == 1 or " * (MAX_QUERY_CHARS // 20 + 1) + "<script>"
    entry = Entry(data={"id": "T9001", "title": "Synthetic", "queries": {"kql": query, "spl": "index=a"}},
                  path=tmp_path / "T9001.yml", key="T9001", edit_path=None)
    start = time.perf_counter()
    text = render_package(entry, Catalog(entries=[entry], by_id={"T9001": entry}))
    assert time.perf_counter() - start < 5
    assert f"over the bound of {MAX_QUERY_CHARS:,} (DAC302); it is shown as plain text" in text
    assert "``` text\n" in text and "``` dac-kql" not in text and "``` spl" in text
