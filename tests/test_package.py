"""The loader: values, positions, and hostile files refused as diagnostics."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tooling.package import LoadError, parse_package


def load(text: str | bytes):
    return parse_package(Path("T1562.yml"), text.encode("utf-8") if isinstance(text, str) else text)


def refused(text: str | bytes):
    with pytest.raises(LoadError) as info:
        load(text)
    d = info.value.diagnostic
    return d.code, d.line, d.column


def test_values_are_plain_and_dates_stay_text():
    package = load("id: T1\ncreated: 2025-01-15\nn: 3\nf: 1.5\nb: true\nz: null\nl: [a, b]\n")
    assert package.data == {"id": "T1", "created": "2025-01-15", "n": 3, "f": 1.5, "b": True, "z": None,
                            "l": ["a", "b"]}
    assert type(package.data["id"]) is str


def test_positions_of_values_and_keys():
    package = load("id: T1\nattack:\n  tactics:\n    - Defense Evasion\n")
    assert package.position(("id",)) == (1, 5)
    assert package.key_position(("attack",)) == (2, 1)
    assert package.position(("attack", "tactics", 0)) == (4, 7)
    # a missing value: the nearest existing parent's value, the mapping that starts at "tactics"
    assert package.position(("attack", "name")) == (3, 3)
    assert package.key_position(("attack", "name")) == (2, 1)


def test_text_position_in_a_literal_block_adds_start_line_and_indentation():
    package = load("q: |\n    first line\n      second line\n")
    # query line 2, column 3 -> file line 3, the block's indentation (4) + 3
    assert package.text_position(("q",), 2, 3) == (3, 7)


def test_text_position_in_single_line_scalars():
    plain = load("q: where x\n")
    quoted = load('q: "where x"\n')
    assert plain.text_position(("q",), 1, 7) == (1, 10)
    assert quoted.text_position(("q",), 1, 7) == (1, 11)


def test_folded_scalars_map_to_the_value_start():
    package = load("q: >\n  a\n  b\n")
    assert package.text_position(("q",), 1, 3) == (1, 4)


def test_utf8_bom_is_accepted():
    assert load(b"\xef\xbb\xbfid: T1\n").data == {"id": "T1"}


@pytest.mark.parametrize("text, expected", [
    ("a: 1\na: 2\n", ("DAC103", 2, 1)),
    ("", ("DAC105", 1, 1)),
    ("just a string\n", ("DAC105", 1, 1)),
    ("a: !!python/object/apply:os.system [ls]\n", ("DAC102", 1, 4)),
    ("a: [1, 2\n", ("DAC102", 2, 1)),
    ("a:\n  b: 1\n \tc: 2\n", ("DAC104", 3, 2)),
    (b"a: \x80\n", ("DAC101", 1, 4)),
    ("a: b\x00\n", ("DAC101", 1, 5)),
])
def test_bad_files(text, expected):
    assert refused(text) == expected


def test_billion_laughs_is_refused_quickly():
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        prev, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    start = time.perf_counter()
    code, _, _ = refused("\n".join(lines) + "\n")
    assert code == "DAC106"
    assert time.perf_counter() - start < 5  # a generous bound: expansion would take minutes


def test_deep_flow_nesting_is_refused_without_recursion():
    code, line, column = refused("a: " + "[" * 100_000 + "\n")
    assert (code, line) == ("DAC108", 1)
    assert column == 3 + 129  # the 129th bracket exceeds the bound of 128


def test_deep_block_nesting_is_refused():
    text = "a:" + "".join("\n" + " " * (i + 1) + "b:" for i in range(60)) + " 1\n"
    assert refused(text)[0] == "DAC108"
