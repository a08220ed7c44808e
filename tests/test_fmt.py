"""`dac fmt`: canonical order, literal-block queries, idempotent and lossless (property-tested)."""
from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from tooling.fmt import format_file, format_text
from tooling.package import parse_package

FIXTURES = Path(__file__).parent / "fixtures"
BASE = (FIXTURES / "base.yml").read_text(encoding="utf-8")


def load(text: str):
    return parse_package(Path("T1562.001.yml"), text.encode("utf-8")).data


def test_reorders_keys_and_keeps_comments():
    text = "title: x  # the title\nid: T1562.001\n# about status\nstatus: test\n"
    out = format_text(text)
    assert out.splitlines()[0] == "id: T1562.001"
    assert "# the title" in out and "# about status" in out
    assert load(out) == load(text)


def test_sigma_selections_stay_before_condition():
    text = BASE.replace("    condition: selection\n", "")
    text = text.replace("  detection:\n", "  detection:\n    condition: selection\n")
    out = format_text(text)
    detection = out[out.index("  detection:"):out.index("false_positives:")]
    assert detection.index("selection:") < detection.index("condition: selection")


def test_queries_become_literal_blocks():
    text = BASE.replace('  eql: |\n    process where process.name : "sc.exe" and process.args : "stop"\n',
                        "  eql: \"process where process.name : \\\"sc.exe\\\"\\nand process.args : \\\"stop\\\"\"\n")
    out = format_text(text)
    assert '  eql: |-\n    process where process.name : "sc.exe"\n    and process.args : "stop"\n' in out
    assert load(out) == load(text)


def test_check_mode_diff_and_exit_code(run_dac, tmp_path):
    target = tmp_path / "detections" / "T1562" / "T1562.001.yml"
    target.parent.mkdir(parents=True)
    target.write_text("title: x\n" + BASE.replace("title: Disable or Modify Tools (fixture)\n", ""))
    result = run_dac("fmt", "--check", str(target))
    assert result.returncode == 1
    assert result.stdout.startswith("---")
    assert "\n+id: T1562.001\n" in result.stdout and "\n-id: T1562.001\n" in result.stdout
    assert "would be reformatted" in result.stderr
    before = target.read_text()
    assert run_dac("fmt", str(target)).returncode == 0
    assert target.read_text() != before and load(target.read_text()) == load(before)
    assert run_dac("fmt", "--check", str(target)).returncode == 0


def test_broken_file_is_left_alone(tmp_path):
    target = tmp_path / "T1562.yml"
    target.write_text("a: 1\na: 2\n")
    result = format_file(target)
    assert result.formatted is None and result.problem.code == "DAC103"


def test_repository_packages_are_canonical(run_dac):
    result = run_dac("fmt", "--check")
    assert result.returncode == 0, result.stdout


# --- property: idempotent and lossless on generated packages --------------------------------

_text = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF, blacklist_characters="\x7f"), min_size=1,
                max_size=40).map(str.strip).filter(bool)
_query_line = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30)


@st.composite
def packages(draw):
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True  # the emitter would otherwise write an invalid plain "a:b" in a flow list
    yaml.width = 100_000
    data = yaml.load(BASE)
    keys = list(data)
    order = draw(st.permutations(keys))
    shuffled = CommentedMap()
    for key in order:
        shuffled[key] = data[key]
    shuffled["title"] = draw(_text)
    shuffled["description"] = draw(_text)
    for key in draw(st.lists(st.sampled_from(keys), max_size=4, unique=True)):
        shuffled.yaml_set_comment_before_after_key(key, before=f"note on {key}")
    queries = shuffled["queries"]
    for key in draw(st.lists(st.sampled_from(list(queries)), max_size=3, unique=True)):
        lines = draw(st.lists(_query_line, min_size=1, max_size=3))
        value = "\n".join(lines) + draw(st.sampled_from(["", "\n"]))
        queries[key] = draw(st.sampled_from([DoubleQuotedScalarString, LiteralScalarString, str]))(value)
    out = io.StringIO()
    yaml.dump(shuffled, out)
    return out.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packages())
def test_fmt_is_idempotent_and_lossless(text):
    once = format_text(text)
    assert load(once) == load(text)
    assert format_text(once) == once
    for line in text.splitlines():
        if line.lstrip().startswith("# note on"):
            assert line.strip() in once
