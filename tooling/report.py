"""A pull request's effect on the detection packages, as Markdown (`dac report --base REF`).

Both sides are validated in full: the base side is read from git into a temporary
`detections/` tree (so repository-wide checks and related links see the same layout), the head
side is the working tree or a second git revision. Diagnostics are compared per package by
(code, message), not by position, so a line that merely moved is neither introduced nor fixed.

Package files are pull-request input: every value shown is escaped for Markdown, and code
fences grow longer than any backtick run inside them.
"""
from __future__ import annotations

import difflib
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tooling.checks.verdicts import data_verdicts, proven_languages
from tooling.diagnostics import Diagnostic, Severity
from tooling.languages import LANGUAGES
from tooling.package import MAX_FILE_BYTES, LoadError, load_package
from tooling.platforms.local import LocalPlatforms, find_local_file, load_local
from tooling.validate import validate

DETECTIONS = "detections"
PACKAGE_SUFFIXES = (".yml", ".yaml")
# Fields whose old -> new values are worth a line of their own in the report.
HEADLINE_FIELDS = ("status", "severity", "confidence", "title")


class ReportError(Exception):
    """A problem with the request (not a git repository, an unknown revision): exit 2."""


Finding = tuple[str, str]  # (code, message): how a diagnostic is recognised on both sides


@dataclass
class Side:
    """One side of the comparison: package files by repository path, and their diagnostics."""

    label: str
    files: dict[str, Path] = field(default_factory=dict)
    diagnostics: dict[str, list[Diagnostic]] = field(default_factory=dict)
    local: LocalPlatforms = field(default_factory=LocalPlatforms)  # that side's platforms.yml

    def findings(self, path: str) -> dict[Finding, Diagnostic]:
        return {(d.code, d.message): d for d in self.diagnostics.get(path, [])}


@dataclass
class PackageChange:
    path: str
    kind: str  # added | changed | removed
    base: dict
    head: dict
    queries: dict[str, str] = field(default_factory=dict)  # language -> unified diff
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (field, old, new)
    sections: list[str] = field(default_factory=list)  # other top-level keys that changed
    introduced: list[Diagnostic] = field(default_factory=list)
    fixed: list[Diagnostic] = field(default_factory=list)
    unreadable: str | None = None  # why the head (or base) file could not be loaded
    # (samples, languages whose query agrees with every sample) on each side, as `dac test` gives them
    tests: tuple[tuple[int, list[str]], tuple[int, list[str]]] | None = None
    # (Atomic tests covered, Atomic tests listed as not covered) on each side
    atomic: tuple[tuple[int, int], tuple[int, int]] | None = None


# -- git ---------------------------------------------------------------------------------------

def _git(args: list[str], cwd: Path, input: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, timeout=120)
    except FileNotFoundError:
        raise ReportError("git is not installed or not on PATH")
    except subprocess.TimeoutExpired:
        raise ReportError(f"git {args[0]} did not finish within 120 s")
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ReportError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


def repository_root(cwd: Path) -> Path:
    try:
        return Path(_git(["rev-parse", "--show-toplevel"], cwd).decode().strip())
    except ReportError as exc:
        raise ReportError(f"not inside a git repository ({exc})")


def resolve(ref: str, root: Path) -> str:
    """The commit a revision names; a clear error for a revision git does not know."""
    if not ref or ref.startswith("-"):  # never let a revision be read as a git option
        raise ReportError(f"invalid git revision {ref!r}")
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root).decode().strip()
    except ReportError:
        raise ReportError(f"unknown git revision {ref!r}; fetch it first (e.g. `git fetch origin`)")


def extract(commit: str, root: Path, dest: Path) -> dict[str, Path]:
    """Write the package files of `commit` under dest/detections/..., keeping their paths."""
    listing = _git(["ls-tree", "-r", "-z", "-l", "--full-tree", commit, "--", DETECTIONS + "/"], root)
    blobs: list[tuple[str, str]] = []
    files: dict[str, Path] = {}
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, obj, size = meta.decode().split()
        path = raw_path.decode("utf-8", "replace")
        parts = PurePosixPath(path).parts
        # Regular files only: a symlink's blob is its target, a submodule has no content here.
        if kind != "blob" or mode not in ("100644", "100755") or not path.endswith(PACKAGE_SUFFIXES) \
                or ".." in parts or PurePosixPath(path).is_absolute():
            continue
        if int(size) > MAX_FILE_BYTES:
            # Never read an oversized file into memory: a sparse file of the same size gets the
            # validator's own "file too large" diagnostic (DAC107) with the true size.
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:
                handle.truncate(int(size))
            files[path] = target
        else:
            blobs.append((path, obj))
    if not blobs:
        return files
    # One `git cat-file --batch` for every blob instead of one `git show` per file.
    output = _git(["cat-file", "--batch"], root, input="".join(f"{obj}\n" for _, obj in blobs).encode())
    offset = 0
    for path, _ in blobs:
        header_end = output.index(b"\n", offset)
        size = int(output[offset:header_end].split()[2])
        content = output[header_end + 1: header_end + 1 + size]
        offset = header_end + 1 + size + 1  # the content is followed by a newline
        target = dest.joinpath(*PurePosixPath(path).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        files[path] = target
    return files


def working_tree(root: Path) -> dict[str, Path]:
    folder = root / DETECTIONS
    if not folder.is_dir():
        return {}
    return {path.relative_to(root).as_posix(): path
            for path in sorted(folder.rglob("*")) if path.is_file() and path.suffix in PACKAGE_SUFFIXES}


def _validated(label: str, files: dict[str, Path], top: Path) -> Side:
    """Validate every file of one side; `top` is the folder that holds its detections/."""
    side = Side(label, files, local=load_local(find_local_file(top / DETECTIONS)))
    if not files:
        return side
    by_file = {path.resolve(): repo_path for repo_path, path in files.items()}
    report = validate([top / DETECTIONS], cache=None)
    for diagnostic in report.diagnostics:
        where = Path(diagnostic.path or "")
        repo_path = by_file.get((where if where.is_absolute() else Path.cwd() / where).resolve())
        if repo_path is not None:
            side.diagnostics.setdefault(repo_path, []).append(diagnostic)
    return side


# -- comparison --------------------------------------------------------------------------------

def _data(path: Path | None) -> tuple[dict, str | None]:
    if path is None:
        return {}, None
    try:
        return load_package(path).data, None
    except LoadError as exc:
        return {}, f"{exc.diagnostic.code} {exc.diagnostic.message}"


def _query_diff(path: str, language: str, old: object, new: object) -> str | None:
    old_text = old if isinstance(old, str) else ""
    new_text = new if isinstance(new, str) else ""
    if old_text == new_text:
        return None
    lines = difflib.unified_diff(old_text.splitlines(), new_text.splitlines(),
                                 f"a/{path} queries.{language}", f"b/{path} queries.{language}", lineterm="")
    return "\n".join(lines)


def compare(base: Side, head: Side) -> list[PackageChange]:
    changes: list[PackageChange] = []
    for path in sorted(set(base.files) | set(head.files)):
        old_file, new_file = base.files.get(path), head.files.get(path)
        if old_file and new_file and _same_content(old_file, new_file):
            continue
        kind = "added" if old_file is None else "removed" if new_file is None else "changed"
        old, old_problem = _data(old_file)
        new, new_problem = _data(new_file)
        change = PackageChange(path, kind, old, new, unreadable=new_problem or (old_problem if not new_file else None))
        if kind == "changed":
            old_queries = old.get("queries") if isinstance(old.get("queries"), dict) else {}
            new_queries = new.get("queries") if isinstance(new.get("queries"), dict) else {}
            for language in LANGUAGES:
                diff = _query_diff(path, language, old_queries.get(language), new_queries.get(language))
                if diff:
                    change.queries[language] = diff
            for name in HEADLINE_FIELDS:
                if old.get(name) != new.get(name):
                    change.fields.append((name, _value(old.get(name)), _value(new.get(name))))
            change.sections = [key for key in dict.fromkeys([*old, *new])
                               if key not in ("queries", *HEADLINE_FIELDS) and old.get(key) != new.get(key)]
        if kind != "removed" and not change.unreadable:
            change.tests = (_tested(old, base.local), _tested(new, head.local))
            change.atomic = (atomic_coverage(old), atomic_coverage(new))
        old_findings, new_findings = base.findings(path), head.findings(path)
        if kind != "removed":  # a removed package's problems leave with it; nothing was fixed
            change.introduced = [d for key, d in new_findings.items() if key not in old_findings]
            change.fixed = [d for key, d in old_findings.items() if key not in new_findings]
        changes.append(change)
    return changes


def _tested(data: dict, local: LocalPlatforms) -> tuple[int, list[str]]:
    """(how many samples, which languages' queries agree with every one of them)."""
    if not data:
        return 0, []
    results = data_verdicts(data, local)
    samples = len({(r.test, r.sample) for r in results})
    return samples, proven_languages(results)


def atomic_coverage(data: dict) -> tuple[int, int]:
    """(Atomic tests covered by `tests`, Atomic tests in `tests_not_covered`), each GUID counted once."""
    def guids(entries: object, inner: str | None) -> set[str]:
        found = set()
        for entry in entries if isinstance(entries, list) else []:
            holder = entry.get(inner) if inner and isinstance(entry, dict) else entry
            guid = holder.get("atomic_guid") if isinstance(holder, dict) else None
            if isinstance(guid, str) and guid:
                found.add(guid.lower())
        return found
    return len(guids(data.get("tests"), "procedure")), len(guids(data.get("tests_not_covered"), None))


def _same_content(old: Path, new: Path) -> bool:
    size = old.stat().st_size
    if size != new.stat().st_size:
        return False
    # Oversized files are never read (see `extract`); equal sizes count as unchanged.
    return size > MAX_FILE_BYTES or old.read_bytes() == new.read_bytes()


def _value(value: object) -> str:
    return "(none)" if value is None else str(value)


# -- Markdown ----------------------------------------------------------------------------------

# Enough to make text inert (no links, images, HTML, code, tables, emphasis); `_` only where it
# could start or end emphasis, so snake_case names stay readable in the raw text.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def md(value: object) -> str:
    """Untrusted text as inert inline Markdown: one line, every markup character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def fence(body: str, info: str = "") -> str:
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{body}\n{ticks}"


_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


def _diagnostic_line(d: Diagnostic) -> str:
    return f"  - {_ICON.get(d.severity, '')} `{d.code}` {d.severity.value}, line {d.line}: {md(d.message)}"


def _headline(change: PackageChange) -> str:
    data = change.head or change.base
    package_id = data.get("id")
    shown_id = f"`{package_id}`" if isinstance(package_id, str) and re.fullmatch(r"T\d{4}(\.\d{3})?", package_id) \
        else "(no valid id)"
    title = md(data.get("title")) if data.get("title") else ""
    return f"{shown_id} {title} — `{change.path}`".replace("  ", " ")


def _details(change: PackageChange) -> list[str]:
    out: list[str] = []
    if change.unreadable:
        out.append(f"- cannot be read: {md(change.unreadable)}")
    for name, old, new in change.fields:
        out.append(f"- {name}: {md(old)} → **{md(new)}**")
    if change.queries:
        out.append("- queries changed: " + ", ".join(f"`{language}`" for language in change.queries))
    if change.sections:
        out.append("- also changed: " + ", ".join(f"`{md(s)}`" for s in change.sections))
    if change.tests is not None:
        out.append(_tests_line(change.tests))
    if change.atomic is not None:
        out.append(_atomic_line(change.atomic, change.kind == "added"))
    if change.introduced:
        out.append("- diagnostics introduced:")
        out.extend(_diagnostic_line(d) for d in change.introduced)
    if change.fixed:
        out.append("- diagnostics fixed:")
        out.extend(_diagnostic_line(d) for d in change.fixed)
    for language, diff in change.queries.items():
        info = LANGUAGES[language]
        out += ["", f"<details><summary>{info.name} (<code>{language}</code>, {info.platform}) diff</summary>", "",
                fence(diff, "diff"), "", "</details>"]
    return out


def _tests_line(tests: tuple[tuple[int, list[str]], tuple[int, list[str]]]) -> str:
    (old_samples, old_proven), (new_samples, new_proven) = tests
    total = len(LANGUAGES)
    line = (f"- tests: {old_samples} → **{new_samples}** samples; queries proven on samples: "
            f"{len(old_proven)}/{total} → **{len(new_proven)}/{total}**")
    gained = [k for k in new_proven if k not in old_proven]
    lost = [k for k in old_proven if k not in new_proven]
    if gained:
        line += " (now proven: " + ", ".join(f"`{k}`" for k in gained) + ")"
    if lost:
        line += " (**no longer proven: " + ", ".join(f"`{k}`" for k in lost) + "**)"
    return line


def _atomic_line(atomic: tuple[tuple[int, int], tuple[int, int]], added: bool) -> str:
    (old_covered, old_not), (new_covered, new_not) = atomic
    if added or (old_covered, old_not) == (new_covered, new_not):
        return f"- Atomic tests: {new_covered} covered, {new_not} not covered"
    return (f"- Atomic tests: covered {old_covered} → **{new_covered}**, "
            f"not covered {old_not} → **{new_not}**")


def render(changes: list[PackageChange], base_label: str, head_label: str) -> str:
    added = [c for c in changes if c.kind == "added"]
    changed = [c for c in changes if c.kind == "changed"]
    removed = [c for c in changes if c.kind == "removed"]
    introduced = sum(len(c.introduced) for c in changes)
    fixed = sum(len(c.fixed) for c in changes)
    out = [f"## Detection packages: {md(base_label)} → {md(head_label)}", ""]
    if not changes:
        out.append("No detection package changed.")
        return "\n".join(out) + "\n"
    out += [f"**{len(added)} added, {len(changed)} changed, {len(removed)} removed** · "
            f"diagnostics: {introduced} introduced, {fixed} fixed", ""]
    for heading, group in (("Added", added), ("Changed", changed), ("Removed", removed)):
        if not group:
            continue
        out += [f"### {heading}", ""]
        for change in group:
            out.append(f"#### {_headline(change)}")
            data = change.head or change.base
            if change.kind != "changed":
                out.append(f"- status {md(_value(data.get('status')))}, severity {md(_value(data.get('severity')))}")
            out += _details(change)
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# -- entry point -------------------------------------------------------------------------------

@dataclass
class Report:
    markdown: str
    changes: list[PackageChange]

    def introduces_problems(self) -> bool:
        return any(d.severity.rank >= Severity.WARNING.rank for c in self.changes for d in c.introduced)


# GitHub refuses a job summary over 1 MiB per step; leave room for what other steps append.
STEP_SUMMARY_LIMIT = 900_000


def append_step_summary(path: str, markdown: str) -> str | None:
    """Append to $GITHUB_STEP_SUMMARY, shortened to fit; returns a problem to report, or None."""
    data = markdown.encode("utf-8")
    if len(data) > STEP_SUMMARY_LIMIT:
        cut = data[:STEP_SUMMARY_LIMIT].decode("utf-8", "ignore")
        cut = cut[: cut.rfind("\n#### ")] if "\n#### " in cut else cut  # end at a package boundary
        markdown = cut.rstrip() + "\n\n*Shortened to fit the job summary; the job log has the full report.*\n"
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    except OSError as exc:
        return f"cannot write the job summary {path}: {exc.strerror or exc}"
    return None


def build_report(base: str, head: str | None = None, cwd: Path | None = None) -> Report:
    """Compare the packages at git revision `base` with `head` (default: the working tree)."""
    root = repository_root(cwd or Path.cwd())
    base_commit = resolve(base, root)
    head_commit = resolve(head, root) if head is not None else None
    with tempfile.TemporaryDirectory(prefix="dac-report-") as scratch:
        base_top = Path(scratch) / "base"
        base_side = _validated(f"{base} ({base_commit[:10]})", extract(base_commit, root, base_top), base_top)
        if head_commit is None:
            head_side = _validated("working tree", working_tree(root), root)
        else:
            head_top = Path(scratch) / "head"
            head_side = _validated(f"{head} ({head_commit[:10]})", extract(head_commit, root, head_top), head_top)
        changes = compare(base_side, head_side)
    return Report(render(changes, base_side.label, head_side.label), changes)
