"""The grammar-derived Pygments lexers."""
from __future__ import annotations

from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name
from pygments.token import Comment, Error, Keyword, Name, String

from tooling.languages import LANGUAGES
from tooling.package import iter_package_files, load_package
from tooling.site import lexers
from tooling.site.package_page import LEXER_ALIASES

ROOT = Path(__file__).resolve().parents[2]


def test_every_language_has_a_registered_lexer():
    lexers.register()
    assert set(LEXER_ALIASES) == set(LANGUAGES)
    for key, alias in LEXER_ALIASES.items():
        lexer = get_lexer_by_name(alias)
        assert type(lexer) is lexers.LEXERS[key], key


def test_register_is_idempotent_and_leaves_pygments_aliases_alone():
    lexers.register()
    lexers.register()
    assert type(get_lexer_by_name("kql")).__name__ == "KustoLexer"  # Pygments' own
    assert type(get_lexer_by_name("dac-kql")) is lexers.KqlLexer


@pytest.mark.parametrize("key", list(LANGUAGES))
def test_keywords_come_from_the_grammar(key):
    tokens = lexers.grammar_tokens(key)
    grammar = (lexers.LANGUAGES_DIR / key / f"{key}.lark").read_text(encoding="utf-8")
    words = tokens.keywords + tokens.keywords_ci
    assert words, key
    for word in words:
        assert word in grammar, (key, word)


def test_known_keywords():
    assert "stats" in lexers.grammar_tokens("spl").keywords
    assert "project-away" in lexers.grammar_tokens("kql").keywords
    assert "select" in lexers.grammar_tokens("aql").keywords_ci


@pytest.mark.parametrize("key", list(LANGUAGES))
def test_lexing_the_packages_keeps_the_text_and_highlights(key):
    lexer = lexers.LEXERS[key]()
    for path in iter_package_files([ROOT / "detections"]):
        query = load_package(path).data.get("queries", {}).get(key)
        if not isinstance(query, str):
            continue
        tokens = list(lexer.get_tokens(query))
        assert "".join(v for _, v in tokens).rstrip("\n") == query.rstrip("\n")
        assert not any(t is Error for t, _ in tokens)
        assert any(t in Keyword or t in String or t in Comment for t, _ in tokens), (key, path.name)


def test_lexers_survive_hostile_text():
    text = "```\n<script>alert(1)</script>\n" + "(" * 5000 + '"' * 3 + "/" * 100 + "\x00\t"
    for lexer_cls in lexers.LEXERS.values():
        assert "".join(v for _, v in lexer_cls().get_tokens(text)).startswith("```")


def test_unreadable_grammar_gives_an_empty_token_set(monkeypatch, tmp_path):
    monkeypatch.setattr(lexers, "LANGUAGES_DIR", tmp_path)
    assert lexers.grammar_tokens("spl").keywords == []
    (tmp_path / "spl").mkdir()
    (tmp_path / "spl" / "spl.lark").write_text("start: ???", encoding="utf-8")
    assert lexers.grammar_tokens("spl").patterns == []


def test_sigma_yaml_lexer_marks_keys_and_keeps_the_text():
    lexers.register()
    text = ("title: 'a: b' # note\ndetection:\n    sel:\n        CommandLine|contains:\n        - \"x\"\n"
            "    condition: sel\n")
    tokens = list(get_lexer_by_name("dac-yaml").get_tokens(text))
    assert "".join(v for _, v in tokens) == text
    keys = [v for t, v in tokens if t in Name.Tag]
    assert keys == ["title", "detection", "sel", "CommandLine|contains", "condition"]
