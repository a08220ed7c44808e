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
    text = BASE.replace("        condition: selection\n", "")
    text = text.replace("      detection:\n", "      detection:\n        condition: selection\n")
    assert text != BASE
    out = format_text(text)
    detection = out[out.index("      detection:"):out.index("false_positives:")]
    assert detection.index("selection:") < detection.index("condition: selection")


def test_sigma_rule_keys_take_the_schema_order():
    text = BASE.replace("    - logsource:\n        category: process_creation\n        product: windows\n"
                        "      detection:\n", "    - detection:\n")
    text = text.replace("        condition: selection\n", "        condition: selection\n      title: Stop\n"
                        "      logsource:\n        category: process_creation\n        product: windows\n")
    assert text != BASE
    out = format_text(text)
    rule = out[out.index("  rules:"):out.index("false_positives:")]
    assert rule.index("title: Stop") < rule.index("logsource:") < rule.index("detection:")
    assert load(out) == load(text)


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


# --- property: every comment stays with the key or item it belongs to (#26 item 9) -------------

def _shuffled_base(draw) -> str:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100_000
    data = yaml.load(BASE)
    for mapping in (data, data["attack"], data["queries"], data["telemetry"]):
        for key in draw(st.permutations(list(mapping))):
            mapping.move_to_end(key)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


@st.composite
def commented_packages(draw):
    """A shuffled package with comments above keys and items, after values, inside flow lists.
    Returns the text and, per comment, what it must stay with: ("key", name) for the line below
    (before) or its own line (trail), ("item", text) for a list item."""
    from tooling.comments import _layout

    text = _shuffled_base(draw)
    layout = _layout(text)
    lines = text.split("\n")
    above: dict[int, list[tuple[str, tuple]]] = {}
    after: dict[int, tuple[str, tuple]] = {}
    keys = sorted((node.start_mark.line, node.start_mark.column, path[-1][1]) for path, node in layout.keys.items())
    for line, column, name in draw(st.lists(st.sampled_from(keys), max_size=20, unique=True)):
        first_on_line = lines[line][:column].strip() in ("", "-")
        if first_on_line:
            above.setdefault(line, []).append(("key", name if lines[line][:column].strip() == "" else "-"))
    scalars = [(node.end_mark.line, path) for path, node in layout.values.items()
               if node.id == "scalar" and node.style not in ("|", ">") and path and path in layout.keys
               and not lines[node.end_mark.line][node.end_mark.column:].strip()]
    for line, path in draw(st.lists(st.sampled_from(scalars), max_size=8, unique_by=lambda s: s[0])):
        after[line] = ("key", path[-1][1])
    flows = [line for line, text_line in enumerate(lines) if text_line.rstrip().endswith("]") and "[" in text_line
             and text_line.lstrip().split(":")[0] in QUERY_LANGUAGES]
    flow_comments = {}
    for line in draw(st.lists(st.sampled_from(flows), max_size=3, unique=True)) if flows else []:
        head, _, rest = lines[line].partition("[")
        first = rest[:-1]
        flow_comments[line] = (head, first)
    out, expected = [], []
    for number, line in enumerate(lines):
        for kind, name in above.get(number, []):
            tag = f"c{len(expected)}"
            indent = len(line) - len(line.lstrip())
            out.append(" " * indent + f"# {tag} about the next line")
            expected.append((tag, "before", name))
        if number in flow_comments:
            head, first = flow_comments[number]
            tag = f"c{len(expected)}"
            out.append(f"{head}[{first},  # {tag} on an item")
            out.append(f"{' ' * (len(head) - len(head.lstrip()) + 4)}Extra item]")
            expected.append((tag, "item", first))
            continue
        if number in after:
            tag = f"c{len(expected)}"
            out.append(line + f"  # {tag} on this line")
            expected.append((tag, "trail", after[number][1]))
        else:
            out.append(line)
    return "\n".join(out), expected


QUERY_LANGUAGES = ("kql", "spl", "eql", "aql", "sumo", "yaral", "logscale")


def _content(line: str) -> str:
    line = line.strip()
    while line.startswith("- "):
        line = line[2:].strip()
    return line


def _assert_kept(formatted: str, expected) -> None:
    lines = formatted.split("\n")
    for tag, kind, name in expected:
        [number] = [n for n, line in enumerate(lines) if f"# {tag} " in line]
        if kind == "before":
            below = next(line for line in lines[number + 1:] if line.strip() and not line.lstrip().startswith("#"))
            assert below.lstrip().startswith("- ") if name == "-" else _content(below).startswith(f"{name}:"), \
                (tag, name, below)
        elif kind == "trail":
            assert _content(lines[number]).startswith(f"{name}:"), (tag, name, lines[number])
        else:
            assert _content(lines[number]).split("#")[0].strip() == name, (tag, name, lines[number])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commented_packages())
def test_fmt_keeps_every_comment_with_its_owner(case):
    text, expected = case
    once = format_text(text)
    assert load(once) == load(text)
    assert sum(line.count("#") for line in once.splitlines() if line.lstrip().startswith("#") or " # " in line) \
        >= len(expected)
    _assert_kept(once, expected)
    assert format_text(once) == once


def test_the_reported_comment_losses_are_fixed():
    # A comment inside a block mapping value, one inside a flow sequence, and full-line comments above
    # keys that fmt moves: each stays with its key.
    text = ("title: x\n"
            "attack:\n"
            "  # the technique, not the version\n"
            "  technique: T1562.001\n"
            "  version: '18.1'\n"
            "  tactics: [Defense Evasion,  # the only one\n"
            "    Persistence]\n"
            "# about the status\n"
            "status: test\n"
            "# about the id\n"
            "id: T1562.001\n")
    once = format_text(text)
    lines = once.splitlines()
    assert lines[lines.index("# about the id") + 1] == "id: T1562.001"
    assert lines[lines.index("# about the status") + 1] == "status: test"
    assert lines[lines.index("  # the technique, not the version") + 1] == "  technique: T1562.001"
    assert "    - Defense Evasion  # the only one" in lines
    assert load(once) == load(text) and format_text(once) == once


def test_a_comment_fmt_cannot_place_is_dac122_and_the_file_is_left_alone(tmp_path, run_dac):
    target = tmp_path / "detections" / "T1562" / "T1562.001.yml"
    target.parent.mkdir(parents=True)
    text = "title: x\n" + BASE.replace("title: Disable or Modify Tools (fixture)\n", "").replace(
        "status: test\n", "status:  # about the value below\n  test  # about the value\n")
    target.write_text(text)
    result = run_dac("fmt", str(target))
    assert result.returncode == 1 and target.read_text() == text
    line = text.splitlines().index("  test  # about the value") + 1
    assert f"T1562.001.yml:{line}:9: DAC122 " in result.stderr and "Traceback" not in result.stderr
