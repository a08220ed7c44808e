"""Built parsers are kept on disk and come back working; bad cache files are rebuilt, not trusted."""
from __future__ import annotations

import os

import lark
import pytest

from tooling.languages import get_language
from tooling.languages.base import LarkLanguage
from tooling.languages.parser_cache import build_parser, cache_folder

KQL = get_language("kql")
GOOD = "DeviceProcessEvents | where FileName =~ 'cmd.exe' | project Timestamp"
BAD = "DeviceProcessEvents | where (FileName =~ 'cmd.exe'"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_folder() == tmp_path / "dac" / "parsers"
    return cache_folder()


def fresh_kql() -> LarkLanguage:
    """A KQL language object that builds its parser again (through the cache)."""
    return LarkLanguage("kql", "KQL", KQL.grammar, positions=True)


def test_a_second_build_loads_the_parser_without_lark(cache, monkeypatch):
    first = fresh_kql().parse(BAD)
    assert len(list(cache.glob("*.pickle"))) == 1
    monkeypatch.setattr(lark, "Lark", lambda *a, **k: pytest.fail("built again instead of loaded"))
    loaded = fresh_kql()
    assert loaded.parse(GOOD).ok
    # Lark's own parse of the loaded parser (the error path) gives the same diagnostic
    assert loaded.parse(BAD).diagnostics == first.diagnostics
    assert not first.ok


def test_a_damaged_file_is_rebuilt(cache):
    fresh_kql().parser
    (path,) = cache.glob("*.pickle")
    path.write_bytes(b"not a pickle")
    assert fresh_kql().parse(GOOD).ok
    assert path.read_bytes() != b"not a pickle"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_file_others_can_write_is_not_unpickled(cache, monkeypatch):
    fresh_kql().parser
    (path,) = cache.glob("*.pickle")
    path.chmod(0o666)
    built = []
    real = lark.Lark
    monkeypatch.setattr(lark, "Lark", lambda *a, **k: built.append(1) or real(*a, **k))
    assert fresh_kql().parse(GOOD).ok
    assert built == [1]


def test_the_cache_folder_is_private(cache):
    fresh_kql().parser
    assert cache.stat().st_mode & 0o077 == 0
    assert all(p.stat().st_mode & 0o077 == 0 for p in cache.glob("*.pickle"))


def test_an_unwritable_cache_folder_still_gives_a_parser(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    parser = build_parser('start: "a"', parser="lalr")
    assert parser.parse("a").data == "start"


def test_options_are_part_of_the_key(cache):
    build_parser('start: "a"', parser="lalr")
    build_parser('start: "a"', parser="lalr", propagate_positions=True)
    assert len(list(cache.glob("*.pickle"))) == 2


class Shaper:
    """A transformer option (as Sumo Logic's): an object whose repr differs in every run."""

    def start(self, children):
        return lark.Tree("shaped", children)


def test_objects_in_the_options_give_the_same_file_in_every_run(cache):
    build_parser('start: "a"', parser="lalr", transformer=Shaper(), tree_class=lark.Tree)
    build_parser('start: "a"', parser="lalr", transformer=Shaper(), tree_class=lark.Tree)
    assert len(list(cache.glob("*.pickle"))) == 1


def test_no_home_folder_still_gives_a_parser(monkeypatch):
    from pathlib import Path

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", no_home)
    assert cache_folder() is None
    assert build_parser('start: "a"', parser="lalr").parse("a").data == "start"


def _marker_pickle(marker) -> bytes:
    import pickle

    class Boom:
        def __reduce__(self):
            return (marker.write_text, ("ran",))

    return pickle.dumps(Boom())


def _kql_entry(cache) -> "os.PathLike":
    fresh_kql().parser
    (path,) = cache.glob("*.pickle")
    return path


def test_a_linked_cache_file_is_not_unpickled(cache, tmp_path):
    path = _kql_entry(cache)
    marker = tmp_path / "pwned"
    planted = tmp_path / "planted.pickle"
    planted.write_bytes(_marker_pickle(marker))
    planted.chmod(0o600)
    path.unlink()
    path.symlink_to(planted)
    assert fresh_kql().parse(GOOD).ok
    assert not marker.exists()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_folder_others_can_write_is_not_read(cache, tmp_path):
    path = _kql_entry(cache)
    marker = tmp_path / "pwned"
    path.write_bytes(_marker_pickle(marker))
    cache.chmod(0o777)  # anyone could have put that file there
    assert fresh_kql().parse(GOOD).ok
    assert not marker.exists()


def test_a_linked_cache_folder_is_not_used(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "home" / "dac").mkdir(parents=True, mode=0o700)
    (tmp_path / "home" / "dac" / "parsers").symlink_to(elsewhere)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home"))
    assert fresh_kql().parse(GOOD).ok
    assert list(elsewhere.iterdir()) == []


def _state_lexers(parser) -> list:
    lexer = parser.parser.lexer
    return list({id(x): x for x in [*lexer.lexers.values(), lexer.root_lexer]}.values())


def test_a_loaded_parser_has_every_state_lexer_built_with_the_patterns_re_would_compile(cache):
    import re

    fresh_kql().parser
    loaded = fresh_kql().parser
    lexers = _state_lexers(loaded)
    assert lexers and all(lexer._scanner is not None for lexer in lexers)
    patterns = [p for lexer in lexers for p in lexer._scanner._mres]
    # equal patterns: same text, flags and compiled code (what `re` compares)
    assert all(p == re.compile(p.pattern, p.flags) for p in patterns)
    assert all(p.groupindex == re.compile(p.pattern, p.flags).groupindex for p in patterns[:20])


def test_damaged_pattern_code_is_compiled_again_by_re():
    import re

    from tooling.languages.parser_cache import _pattern_parts, _restore_pattern

    pattern = re.compile(r"(?P<WORD>\w+)|(?P<NUMBER>\d+(?:\.\d+)?)")
    parts = _pattern_parts(pattern)
    if parts is None:
        pytest.skip("this Python stores patterns as their text")
    assert _restore_pattern(pattern.pattern, pattern.flags, parts) == pattern
    flags, code, groups, groupindex, indexgroup = parts
    damaged = (flags, b"\xff" * len(code), groups, groupindex, indexgroup)
    assert _restore_pattern(pattern.pattern, pattern.flags, damaged) == pattern
    assert _restore_pattern(pattern.pattern, pattern.flags, ("not", "parts")) == pattern
