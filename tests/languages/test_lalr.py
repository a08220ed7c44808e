"""The faster parse loop (tooling/languages/lalr.py) builds exactly the tree Lark builds.

Every valid query of the language tests and every query of the packages is parsed both ways and
compared token by token, position by position. The mutation tests (support.survives) compare the
mutants that parse too.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from lark import Lark

from tooling.languages import LANGUAGES, get_language
from tooling.languages.base import LarkLanguage
from tooling.languages.lalr import LalrLoop, UnsupportedParser
from tooling.package import load_package

from .support import lark_tree, shape

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted((ROOT / "detections").rglob("*.yml"))
# Where each language's tests keep their valid queries (a list, or a dict of them).
VALID_LISTS = {"kql": "test_kql.VALID", "spl": "test_spl.VALID", "eql": "test_eql.VALID",
               "aql": "test_aql.VALID", "sumo": "test_sumo.VALID", "yaral": "test_yaral.VALID_RULES",
               "logscale": "test_logscale.VALID"}


def valid_queries(key: str) -> list[str]:
    module, name = VALID_LISTS[key].split(".")
    valid = getattr(importlib.import_module(f"tests.languages.{module}"), name)
    queries = list(valid.values()) if isinstance(valid, dict) else list(valid)
    return queries + [load_package(path).data["queries"][key] for path in PACKAGES]


@pytest.mark.parametrize("key", LANGUAGES)
def test_every_language_uses_the_loop(key):
    assert get_language(key).loop is not None


@pytest.mark.parametrize("key", LANGUAGES)
def test_same_tree_as_lark(key, monkeypatch):
    language = get_language(key)
    queries = valid_queries(key)
    assert len(queries) >= len(PACKAGES) + 10
    for text in queries:
        with monkeypatch.context() as patch:  # the loop must parse it: Lark's parse is not called
            patch.setattr(language.parser, "parse", lambda *_: pytest.fail(f"Lark parsed {text!r}"))
            tree, errors = language._parse(text)
        assert not errors, text
        assert shape(tree) == shape(lark_tree(language, text)), text


@pytest.mark.parametrize("key, broken", [
    ("kql", "T | where (A == 1"), ("spl", "index=x | stats count by"), ("eql", "process where ("),
    ("aql", "SELECT * FROM events WHERE"), ("sumo", "_sourceCategory=x | where ("),
    ("yaral", "rule r { events: $e.x = }"), ("logscale", "#event_simpleName=X | groupBy(["),
])
def test_the_loop_leaves_errors_to_lark(key, broken):
    language = get_language(key)
    assert language.loop.parse(broken) is None
    result = language.parse(broken)
    assert not result.ok and result.diagnostics[0].code == "DAC301"


def test_a_character_no_terminal_matches_is_left_to_lark():
    assert get_language("kql").loop.parse("T | where A == 1 ¤") is None


def test_parsers_the_loop_does_not_reproduce_use_lark():
    grammar = 'start: WORD+\n%import common.WORD\n%ignore " "\n'
    with pytest.raises(UnsupportedParser):
        LalrLoop(Lark(grammar, parser="lalr", lexer="basic"))
    language = LarkLanguage("words", "Words", ROOT / "unused.lark", lexer="basic")
    language.__dict__["parser"] = Lark(grammar, parser="lalr", lexer="basic")
    assert language.loop is None
    assert language.parse("two words").ok and not language.parse("bad!").ok


def test_inlined_single_child_rules_keep_their_child():
    # `?sum` with one child hands its child up without a call; with two it builds a node.
    grammar = ('start: sum\n?sum: sum "+" atom | atom\natom: NUMBER\n'
               '%import common.NUMBER\n%ignore " "\n')
    parser = Lark(grammar, parser="lalr", lexer="contextual")
    loop = LalrLoop(parser)
    for text in ("1", "1 + 2", "1 + 2 + 3"):
        assert shape(loop.parse(text)) == shape(parser.parse(text))
    assert loop.parse("1").children[0].data == "atom"
    assert loop.parse("1 + 2").children[0].data == "sum"
