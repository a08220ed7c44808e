"""Seeded query bugs are caught, in every language.

Each language's two-branch query (tests/mutations/two_branches.py) agrees with its samples and
with the Sigma form. Four kinds of bug are seeded into it, one at a time: a changed literal, a
dropped branch, a flipped case sensitivity and a wrong field name. Every mutant must be caught
by `dac validate` (the samples' verdicts, DAC510/DAC511, and the platform checks, DAC48x) or by
`dac test`'s drift events (DAC514), which is what a reviewer sees in CI.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutations.two_branches import QUERIES, package_text
from tooling.testing import run_tests
from tooling.validate import validate

CAUGHT = {"DAC510", "DAC511", "DAC514", "DAC480", "DAC481", "DAC482", "DAC483", "DAC484"}

# (language, kind of bug, text in the query, what it becomes)
MUTATIONS = [
    ("kql", "literal", 'FileName =~ "net.exe"', 'FileName =~ "nett.exe"'),
    ("kql", "branch", '\n    or (FileName =~ "net.exe" and ProcessCommandLine has "stop")', ""),
    ("kql", "case", 'FileName =~ "sc.exe"', 'FileName == "sc.exe"'),
    ("kql", "field", 'ProcessCommandLine has "stop")\n    or', 'CommandLine has "stop")\n    or'),
    ("spl", "literal", 'CommandLine="*stop*") OR', 'CommandLine="*stopp*") OR'),
    ("spl", "branch", ' OR (Image="*\\\\net.exe" CommandLine="*stop*")', ""),
    ("spl", "case", '(Image="*\\\\sc.exe" CommandLine="*stop*")', '(Image="*\\\\sc.exe" CommandLine=CASE("*stop*"))'),
    ("spl", "field", '(Image="*\\\\sc.exe"', '(Image_path="*\\\\sc.exe"'),
    ("eql", "literal", 'process.name : "net.exe"', 'process.name : "nett.exe"'),
    ("eql", "branch", ' or\n  (process.name : "net.exe" and process.command_line : "*stop*")', ""),
    ("eql", "case", 'process.name : "sc.exe"', 'process.name == "sc.exe"'),
    ("eql", "field", '(process.name : "sc.exe"', '(process.title : "sc.exe"'),
    ("aql", "literal", "= 'net.exe'", "= 'nett.exe'"),
    ("aql", "branch", "\n   OR (LOWER(\"Process Name\") = 'net.exe' AND \"Process CommandLine\" ILIKE '%stop%')", ""),
    ("aql", "case", "(LOWER(\"Process Name\") = 'sc.exe'", "(\"Process Name\" = 'SC.EXE'"),
    ("aql", "field", "= 'sc.exe' AND \"Process CommandLine\"", "= 'sc.exe' AND \"Command Line\""),
    ("sumo", "literal", r'matches "*\\net.exe"', r'matches "*\\nett.exe"'),
    ("sumo", "branch", '\n    or (toLowerCase(image) matches "*\\\\net.exe" and '
                       'toLowerCase(command_line) matches "*stop*")', ""),
    ("sumo", "case", r'(toLowerCase(image) matches "*\\sc.exe"', r'(image matches "*\\sc.exe"'),
    ("sumo", "field", '"EventData.Image", "EventData.CommandLine"', '"EventData.ImagePath", "EventData.CommandLine"'),
    ("yaral", "literal", r"/\\net\.exe$/", r"/\\nett\.exe$/"),
    ("yaral", "branch", " or\n      ($e.target.process.file.full_path = /\\\\net\\.exe$/ nocase and "
                        "$e.target.process.command_line = /stop/ nocase)", ""),
    ("yaral", "case", r"/\\sc\.exe$/ nocase", r"/\\sc\.exe$/"),
    ("yaral", "field", r"($e.target.process.file.full_path = /\\sc",
     r"($e.principal.process.file.full_path = /\\sc"),
    ("logscale", "literal", r"FileName=/^net\.exe$/i", r"FileName=/^nett\.exe$/i"),
    ("logscale", "branch", "\n    FileName=/^net\\.exe$/i CommandLine=/stop/i ;", ""),
    ("logscale", "case", r"FileName=/^sc\.exe$/i", r"FileName=/^sc\.exe$/"),
    ("logscale", "field", r"FileName=/^sc\.exe$/i CommandLine", r"ImageName=/^sc\.exe$/i CommandLine"),
]


def _write(tmp_path: Path, queries: dict[str, str] | None = None) -> Path:
    target = tmp_path / "detections" / "T1562" / "T1562.001.yml"
    target.parent.mkdir(parents=True)
    target.write_text(package_text(queries), encoding="utf-8")
    return target


def _found(target: Path, key: str) -> set[str]:
    codes = {d.code for d in validate([target], jobs=1).diagnostics}
    codes |= {d.code for d in run_tests([target], [key]).diagnostics}
    return codes


@pytest.mark.parametrize("key", sorted(QUERIES))
def test_the_unmutated_query_agrees_with_samples_and_sigma(tmp_path, key):
    assert _found(_write(tmp_path), key) & CAUGHT == set()


@pytest.mark.parametrize("key, kind, old, new", MUTATIONS, ids=[f"{m[0]}-{m[1]}" for m in MUTATIONS])
def test_a_seeded_bug_is_caught(tmp_path, key, kind, old, new):
    assert QUERIES[key].count(old) == 1, f"the mutation's text is not in the {key} query once: {old!r}"
    mutant = QUERIES[key].replace(old, new)
    found = _found(_write(tmp_path, {key: mutant}), key)
    assert found & CAUGHT, f"{key} {kind} mutant not caught; diagnostics: {sorted(found)}"


def test_every_language_has_every_kind_of_mutation():
    kinds = {(key, kind) for key, kind, _, _ in MUTATIONS}
    assert kinds == {(key, kind) for key in QUERIES for kind in ("literal", "branch", "case", "field")}


POINTED = [m for m in MUTATIONS if m[1] in ("literal", "case", "field")]


@pytest.mark.parametrize("key, kind, old, new", POINTED, ids=[f"{m[0]}-{m[1]}" for m in POINTED])
def test_the_report_points_at_the_mutated_line(tmp_path, key, kind, old, new):
    # A reviewer reads the diagnostic's position first: the check that catches a changed literal,
    # case or field reports it at the predicate that was changed (the explanation's deciding leaf,
    # or the platform check's field), not at the query's first line; or, where another branch's
    # predicate would return the event just as well, names the changed one as that alternative.
    mutant = QUERIES[key].replace(old, new)
    target = _write(tmp_path, {key: mutant})
    text = target.read_text(encoding="utf-8")
    mutated_line = text[:text.index(new.strip().splitlines()[0])].count("\n") + 1
    found = [d for d in [*validate([target], jobs=1).diagnostics, *run_tests([target], [key]).diagnostics]
             if d.code in CAUGHT]
    query_line = mutant[:mutant.index(new.strip().splitlines()[0])].count("\n") + 1
    assert any(d.line == mutated_line or f"(line {query_line})" in d.message for d in found), \
        [(d.code, d.line, d.message) for d in found]
