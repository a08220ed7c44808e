"""A checkout is untrusted: nothing it holds (ignored files and links included) can make the
caches delete, run or read anything (issue #26, items 1 and 2)."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import pytest

from tooling.cache import ValidationCache, fingerprint
from tooling.validate import validate

FIXTURES = Path(__file__).parent / "fixtures"
POSIX = pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")


def _checkout(root: Path) -> Path:
    target = root / "detections" / "T1562" / "T1562.001.yml"
    target.parent.mkdir(parents=True)
    target.write_text((FIXTURES / "base.yml").read_text(encoding="utf-8"), encoding="utf-8")
    return target


class Boom:
    """A pickle that, when loaded, writes a marker file: the code execution of the issue."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "ran"))


def test_a_committed_cache_link_to_the_parent_folder_deletes_nothing(run_dac, tmp_path):
    workspace = tmp_path / "workspace"
    neighbour = workspace / "another-project"
    neighbour.mkdir(parents=True)
    (neighbour / "keep.txt").write_text("precious")
    clone = workspace / "clone"
    target = _checkout(clone)
    (clone / ".dac-cache").mkdir()
    (clone / ".dac-cache" / "validate").symlink_to("../..")  # what the hostile pull request commits
    result = run_dac("validate", str(target), cwd=clone, env={"XDG_CACHE_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stdout + result.stderr
    assert (neighbour / "keep.txt").read_text() == "precious"
    assert target.exists() and (clone / ".dac-cache" / "validate").is_symlink()


def test_a_committed_pickle_in_the_old_cache_place_is_never_loaded(run_dac, tmp_path):
    clone = tmp_path / "clone"
    target = _checkout(clone)
    marker = tmp_path / "pwned"
    entry = hashlib.sha256(f"{clone}\0{target.resolve()}".encode()).hexdigest() + ".pickle"
    planted = clone / ".dac-cache" / "validate" / fingerprint() / entry
    planted.parent.mkdir(parents=True)
    planted.write_bytes(pickle.dumps(Boom(marker)))
    result = run_dac("validate", str(target), cwd=clone, env={"XDG_CACHE_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stdout + result.stderr
    assert not marker.exists()


def test_pruning_follows_no_link_and_removes_only_its_own_entries(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.json").write_text("{}")
    (outside / "notes.txt").write_text("mine")
    root = tmp_path / "cache"
    root.mkdir(mode=0o700)
    (root / ("0" * 20)).symlink_to(outside)          # a link named like a fingerprint folder
    stale = root / ("1" * 20)                          # a real folder of an older fingerprint
    stale.mkdir(mode=0o700)
    (stale / "old.json").write_text("{}")
    (stale / "readme.txt").write_text("not an entry")
    target = _checkout(tmp_path / "clone")
    validate([target], jobs=1, cache=ValidationCache(root))
    assert sorted(p.name for p in outside.iterdir()) == ["a.json", "notes.txt"]
    assert sorted(p.name for p in stale.iterdir()) == ["readme.txt"]  # its entry gone, the rest kept


def test_a_linked_cache_folder_is_not_used(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    link = tmp_path / "cache"
    link.symlink_to(outside)
    cache = ValidationCache(link)
    validate([_checkout(tmp_path / "clone")], jobs=1, cache=cache)
    assert cache.folder is None and list(outside.iterdir()) == []


def _stored_entry(tmp_path: Path) -> tuple[Path, Path]:
    target = _checkout(tmp_path / "clone")
    cache = ValidationCache(tmp_path / "cache")
    validate([target], jobs=1, cache=cache)
    (entry,) = cache.folder.glob("*.json")
    return target, entry


def _hits(target: Path, tmp_path: Path) -> int:
    cache = ValidationCache(tmp_path / "cache")
    validate([target], jobs=1, cache=cache)
    return cache.hits


def test_an_entry_is_plain_json_and_a_second_run_hits_it(tmp_path):
    target, entry = _stored_entry(tmp_path)
    assert json.loads(entry.read_text())["format"] == "1"
    assert _hits(target, tmp_path) == 1


def test_an_edited_entry_fails_its_digest_and_is_a_miss(tmp_path):
    target, entry = _stored_entry(tmp_path)
    data = json.loads(entry.read_text())
    data["body"]["diagnostics"] = []  # hide the file's problems without fixing the digest
    entry.write_text(json.dumps(data))
    assert _hits(target, tmp_path) == 0


@pytest.mark.parametrize("damage", [b"", b"\x80\x81", b"[]", b'{"format":"1"}', b"[" * 100_000])
def test_a_damaged_entry_is_a_miss_not_a_crash(tmp_path, damage):
    target, entry = _stored_entry(tmp_path)
    entry.write_bytes(damage)
    assert _hits(target, tmp_path) == 0


@POSIX
def test_an_entry_others_can_write_is_not_read(tmp_path):
    target, entry = _stored_entry(tmp_path)
    entry.chmod(0o666)
    assert _hits(target, tmp_path) == 0


@POSIX
@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="changing an owner needs root")
def test_an_entry_owned_by_someone_else_is_not_read(tmp_path):
    target, entry = _stored_entry(tmp_path)
    os.chown(entry, 4242, 4242)
    assert _hits(target, tmp_path) == 0


def test_an_entry_that_is_a_link_is_not_read(tmp_path):
    target, entry = _stored_entry(tmp_path)
    copy = tmp_path / "copy.json"
    copy.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(copy)
    assert _hits(target, tmp_path) == 0


@POSIX
def test_a_cache_folder_others_can_write_is_not_used(tmp_path):
    target, entry = _stored_entry(tmp_path)
    entry.parent.chmod(0o777)
    cache = ValidationCache(tmp_path / "cache")
    assert cache.folder is None
    assert validate([target], jobs=1, cache=cache).files == 1


def test_any_bytes_in_an_entry_give_the_uncached_result(tmp_path):
    # Whatever an entry holds (planted, damaged, another version's), the report is the one a run
    # without a cache gives, and nothing raises.
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    target, entry = _stored_entry(tmp_path)
    fresh = validate([target], jobs=1).diagnostics
    valid = json.loads(entry.read_text())
    json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                               lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=4), max_leaves=20)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.one_of(st.binary(max_size=300),
                     json_values.map(lambda v: json.dumps(v).encode()),
                     json_values.map(lambda v: json.dumps({**valid, "body": v}).encode())))
    def check(content):
        entry.write_bytes(content)
        entry.chmod(0o600)
        cache = ValidationCache(tmp_path / "cache")
        assert validate([target], jobs=1, cache=cache).diagnostics == fresh

    check()
