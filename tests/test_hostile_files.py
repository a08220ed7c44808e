"""Hostile files under detections/ (issue #26 items 8 and 12): links out of the repository, fifos,
devices, huge and sparse files, control and bidirectional characters. Each is refused or shown
escaped, never followed, never read without bound, never echoed raw."""
from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tooling.cli import main
from tooling.diagnostics import Diagnostic
from tooling.diagnostics.render import render_github, render_sarif, render_text
from tooling.fmt import format_file
from tooling.package import MAX_FILE_BYTES, LoadError, load_package
from tooling.scaffold import ScaffoldError, scaffold
from tooling.site.catalog import load_catalog
from tooling.site.escape import fence, h, md_code, md_paragraphs, md_text, safe_url
from tooling.validate import validate

FIXTURES = Path(__file__).parent / "fixtures"
BASE = (FIXTURES / "base.yml").read_text(encoding="utf-8")
MAIN = Path("T1562") / "T1562.001.yml"
SECRET = "aws_secret_access_key = do-not-echo"
POSIX = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="links, fifos and /dev/zero as on POSIX")
# What must never reach a terminal raw: C0 controls but tab and line feed, DEL, C1, bidi controls.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _tree(root: Path) -> tuple[Path, Path, Path]:
    """(detections folder, the package path inside it, a credentials file outside it)."""
    detections = root / "detections"
    (detections / "T1562").mkdir(parents=True)
    secret = root / "credentials"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    return detections, detections / MAIN, secret


def _codes(report) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.column) for d in report.diagnostics]


# --- item 8: links and special files ------------------------------------------------------------

@POSIX
def test_link_to_dev_zero_is_refused_at_once(tmp_path):
    detections, package, _ = _tree(tmp_path)
    package.symlink_to("/dev/zero")
    start = time.perf_counter()
    report = validate([detections], jobs=1)
    assert _codes(report) == [("DAC119", 1, 1)]
    assert "/dev/zero" in report.diagnostics[0].message
    assert time.perf_counter() - start < 5


@POSIX
def test_link_inside_the_repository_to_a_regular_file_is_read(tmp_path):
    detections, package, _ = _tree(tmp_path)
    (detections / "T1562" / "source.txt").write_text(BASE, encoding="utf-8")
    package.symlink_to("source.txt")
    report = validate([detections], jobs=1)
    assert [c for c in _codes(report) if c[0] != "DAC206"] == []  # clean but for the v19 note
    assert report.diagnostics[0].path.endswith("T1562.001.yml")  # shown by the link's own name


@POSIX
def test_a_linked_folder_leading_outside_is_refused(tmp_path):
    detections, _, _ = _tree(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "T1562.002.yml").write_text(BASE, encoding="utf-8")
    (detections / "T1563").symlink_to(outside)
    # given directly (a folder walk does not enter linked folders at all)
    report = validate([detections / "T1563" / "T1562.002.yml"], jobs=1)
    assert _codes(report) == [("DAC119", 1, 1)]
    assert validate([detections], jobs=1).files == 0


@POSIX
@pytest.mark.parametrize("kind", ["dangling-outside", "dangling-inside", "loop"])
def test_links_that_reach_no_file(tmp_path, kind):
    detections, package, _ = _tree(tmp_path)
    package.symlink_to({"dangling-outside": str(tmp_path / "gone.yml"), "dangling-inside": "gone.yml",
                        "loop": "T1562.001.yml"}[kind])
    report = validate([detections], jobs=1)
    expected = {"dangling-outside": "DAC119", "dangling-inside": "DAC101", "loop": "DAC120"}[kind]
    assert _codes(report) == [(expected, 1, 1)]


@POSIX
def test_text_output_never_echoes_a_linked_credentials_file(tmp_path, run_dac):
    detections, package, _ = _tree(tmp_path)
    package.symlink_to(tmp_path / "credentials")
    for fmt in ("text", "json", "sarif", "github"):
        result = run_dac("validate", str(detections), "--no-cache", "--format", fmt, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert "DAC119" in result.stdout and "do-not-echo" not in result.stdout + result.stderr


@POSIX
def test_fmt_refuses_a_link_leading_outside_and_writes_nothing(tmp_path, run_dac):
    detections, package, secret = _tree(tmp_path)
    outside = tmp_path / "outside.yml"
    outside.write_text("title: x\nid: T1562.001\n", encoding="utf-8")  # not in canonical order
    package.symlink_to(outside)
    assert format_file(package).problem.code == "DAC119"
    result = run_dac("fmt", str(detections), cwd=tmp_path)
    assert result.returncode == 1 and "DAC119" in result.stderr
    assert outside.read_text(encoding="utf-8") == "title: x\nid: T1562.001\n"
    assert package.is_symlink()


@POSIX
def test_new_refuses_a_linked_folder_leading_outside(tmp_path):
    detections, _, _ = _tree(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (detections / "T1059").symlink_to(outside)
    with pytest.raises(ScaffoldError, match="outside"):
        scaffold("T1059.001", detections)
    assert list(outside.iterdir()) == []


@POSIX
def test_new_refuses_a_dangling_link_leading_outside(tmp_path):
    detections, _, _ = _tree(tmp_path)
    target = tmp_path / "planted.yml"
    (detections / "T1562" / "T1562.003.yml").symlink_to(target)
    with pytest.raises(ScaffoldError, match="outside"):
        scaffold("T1562.003", detections)
    assert not target.exists()


@POSIX
def test_the_site_does_not_publish_a_refused_file(tmp_path):
    detections, package, _ = _tree(tmp_path)
    outside = tmp_path / "outside.yml"
    outside.write_text(BASE, encoding="utf-8")  # a valid package, but outside the repository
    package.symlink_to(outside)
    (detections / "T1562" / "T1562.yml").write_text(BASE.replace("id: T1562.001", "id: T1562"), encoding="utf-8")
    catalog = load_catalog(detections, tmp_path)
    assert [entry.id for entry in catalog.entries] == ["T1562"]
    assert len(catalog.errors) == 1 and "DAC119" in catalog.errors[0]


@POSIX
def test_the_site_logs_a_hostile_file_name_escaped(tmp_path):
    detections, _, _ = _tree(tmp_path)
    (detections / "T1562" / "x\x1b[2J\u202e.yml").write_bytes(b"\xff")
    catalog = load_catalog(detections, tmp_path)
    assert len(catalog.errors) == 1 and "x\\x1b[2J\\u202e.yml" in catalog.errors[0]
    assert not RAW.search(catalog.errors[0])


def test_reads_are_bounded_even_when_the_size_lies(tmp_path, monkeypatch):
    """A file that grows after its size is taken (or a /proc file reporting 0) is read up to the bound."""
    detections, package, _ = _tree(tmp_path)
    package.write_bytes(b"#" * (MAX_FILE_BYTES + 100))
    real_fstat = os.fstat
    monkeypatch.setattr(os, "fstat", lambda fd: os.stat_result((*real_fstat(fd)[:6], 0, *real_fstat(fd)[7:])))
    with pytest.raises(LoadError) as info:
        load_package(package)
    assert info.value.diagnostic.code == "DAC107"


# --- item 12: reading and echoing too much ----------------------------------------------------

def test_a_code_frame_reads_only_up_to_its_line(tmp_path):
    sparse = tmp_path / "T1562.001.yml"
    with sparse.open("wb") as handle:  # a 2 GB sparse file: its first line ends early
        handle.write(b"id: [\nsecond\n")
        handle.truncate(2 * 1024 ** 3)
    tracemalloc.start()
    start = time.perf_counter()
    out = render_text([Diagnostic("DAC102", "bad", 1, 5, str(sparse)),
                       Diagnostic("DAC102", "bad", 900, 1, str(sparse))], 1)  # line 900 is beyond the bound
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "    1 | id: [" in out and "  900 |" not in out
    assert peak < 16 * 1024 ** 2 and elapsed < 2


@POSIX
def test_a_code_frame_never_opens_a_fifo_or_device(tmp_path):
    fifo = tmp_path / "fifo.yml"
    os.mkfifo(fifo)
    out = render_text([Diagnostic("DAC102", "bad", 1, 1, str(fifo)),
                       Diagnostic("DAC102", "bad", 1, 1, "/dev/zero")], 1)
    assert " | " not in out


def test_a_refused_file_is_not_echoed_even_when_readable(tmp_path):
    secret = tmp_path / "credentials"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    for code in ("DAC107", "DAC119", "DAC120"):
        assert "do-not-echo" not in render_text([Diagnostic(code, "refused", 1, 1, str(secret))], 1)


HOSTILE_TEXT = "id \x1b[31mred\x1b[0m \u202eevil\u2066 \x9b2J\r\nsecond\x07 line\u2028"


def test_text_output_escapes_controls_and_bidi(tmp_path):
    source = tmp_path / "T1562.001.yml"
    source.write_text("x: \x1b[2J\u202eab\n", encoding="utf-8")
    out = render_text([Diagnostic("DAC102", HOSTILE_TEXT, 1, 8, str(source)),
                       Diagnostic("DAC102", "m", 1, 1, str(tmp_path / "a\nb\x1b[1m.yml"))], 2)
    assert not RAW.search(out)
    lines = out.splitlines()
    assert lines[0].endswith("id \\x1b[31mred\\x1b[0m \\u202eevil\\u2066 \\x9b2J\\x0d\\x0asecond\\x07 line\\u2028")
    assert lines[1] == "    1 | x: \\x1b[2J\\u202eab"
    # the caret stands under the U+202E, after the escaped ESC took four columns
    assert lines[2] == "      | " + " " * len("x: \\x1b[2J") + "^"
    assert "a\\x0ab\\x1b[1m.yml:1:1: DAC102" in out


def test_github_annotations_stay_one_command_each():
    out = render_github([Diagnostic("DAC102", "x\n::error file=evil::injected\r\n" + HOSTILE_TEXT, 3, 4,
                                    "a\n::warning::b,c:d.yml")], 1)
    assert len(out.splitlines()) == 1 and out.startswith("::error file=a\\x0a%3A%3Awarning%3A%3Ab%2Cc%3Ad.yml,")
    assert not RAW.search(out) and "\n" not in out
    head, _, data = out.partition("::DAC102 ")
    assert head.count("::") == 1  # only the command's own opening


def test_sarif_messages_are_escaped_for_display():
    out = render_sarif([Diagnostic("DAC102", HOSTILE_TEXT, 1, 1, "a.yml")], 1)
    assert "\\u202e" not in out.lower().replace("\\\\u202e", "")  # json escape of a raw U+202E is gone
    assert "\\\\u202eevil" in out


def test_site_shows_bidi_controls_as_visible_markers():
    value = "sc.exe\u202e\u2066 stop"
    for rendered in (md_text(value), md_paragraphs(value), md_code(value), h(value), fence(value)):
        assert not RAW.search(rendered) and "U+202E" in rendered and "U+2066" in rendered
    assert safe_url("https://example.com/\u202eexe.txt") is None


# --- the whole `dac validate` path on hostile files (property-tested) --------------------------

INVISIBLE = [chr(c) for c in [*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f, *range(0x80, 0x85),
                              *range(0x86, 0xa0), 0x061c, 0x200e, 0x200f, *range(0x202a, 0x202f),
                              *range(0x2066, 0x206a)]]
LINKS = ["inside", "outside", "dangling", "loop", "fifo", "/dev/zero", "folder"]


def _place(root: Path, kind: str, payload: bytes) -> Path:
    detections, package, secret = _tree(root)
    if kind == "bytes":
        package.write_bytes(payload)
    elif kind == "inside":
        (detections / "T1562" / "source.txt").write_bytes(payload)
        package.symlink_to("source.txt")
    elif kind == "outside":
        secret.write_bytes(payload)
        package.symlink_to(secret)
    elif kind == "dangling":
        package.symlink_to(root / "missing.yml")
    elif kind == "loop":
        package.symlink_to(package.name)
    elif kind == "fifo":
        os.mkfifo(package)
    elif kind == "/dev/zero":
        package.symlink_to("/dev/zero")
    elif kind == "folder":
        package.mkdir()
    return detections


def _with_invisible(data: st.DataObject) -> bytes:
    char = data.draw(st.sampled_from(INVISIBLE))
    at = data.draw(st.integers(0, len(BASE)))
    return (BASE[:at] + char + BASE[at:]).encode("utf-8")


@POSIX
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_validate_survives_hostile_files(data):
    kind = data.draw(st.sampled_from(["bytes", "bytes", "bytes", *LINKS]))
    source = data.draw(st.sampled_from(["random", "invisible", "huge line"]))
    if source == "random":
        payload = data.draw(st.binary(max_size=4096))
    elif source == "invisible":
        payload = _with_invisible(data)
    else:
        size = data.draw(st.sampled_from([100_000, MAX_FILE_BYTES - 3, MAX_FILE_BYTES + 1, 3 * MAX_FILE_BYTES]))
        payload = b"- " + data.draw(st.sampled_from([b"x", b"[", b"\x1b", "\u202e".encode()])) * size
    fmt = data.draw(st.sampled_from(["text", "json", "sarif", "github"]))
    with tempfile.TemporaryDirectory() as folder:
        detections = _place(Path(folder), kind, payload)
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["validate", str(detections), "--no-cache", "--jobs", "1", "--format", fmt])
        elapsed = time.perf_counter() - start
    assert code == 1, (kind, source, err.getvalue())  # problems found: not clean, not a crash (3)
    assert re.search(r"DAC[1-6]\d\d", out.getvalue())
    assert elapsed < 20, (kind, source, elapsed)
    if fmt in ("text", "github"):
        assert not RAW.search(out.getvalue()), (kind, source)
    if kind == "outside":
        assert "DAC119" in out.getvalue()
