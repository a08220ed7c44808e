"""Validation wall time: one package, and synthetic repositories of N packages.

    python benchmarks/validate_speed.py                 # N = 100 and 1,000
    python benchmarks/validate_speed.py --sizes 100 --repeat 3

Each synthetic repository (see synthetic.py) is validated cold (empty cache) and warm (the cache
filled by the previous run); a second one, whose copies have query texts of their own, cold.
Times include interpreter start, as a user or a pre-commit hook sees them.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import ROOT, benchmark_env, build_repository  # benchmarks run as scripts: this folder is on sys.path

# Commands run as on a user's machine (Python's bytecode cache on), with caches of this run's own.
ENV = benchmark_env()
# "Cold" drops the validation cache and keeps the built parsers (built by a first run in main).
VALIDATION_CACHE = Path(ENV["XDG_CACHE_HOME"]) / "dac" / "validate"


def wall(args: list[str], repeat: int, cwd: Path = ROOT, command: list[str] | None = None,
         before=None) -> float:
    """Median wall time of a command; `before` runs ahead of each timed run (e.g. to clear a cache)."""
    times = []
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        subprocess.run(command or [sys.executable, "-m", "tooling.cli", *args], cwd=cwd, capture_output=True, env=ENV)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def copy_working_tree(target: Path) -> Path:
    """The repository's files as they are now (committed or not) in a new Git repository."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    subprocess.run(["git", "init", "--quiet"], cwd=target, check=True)
    subprocess.run(["git", "add", "--all"], cwd=target, check=True)
    return target


def pre_commit_hook(repeat: int) -> tuple[float, float] | None:
    """One changed package through the repository's dac-validate pre-commit hook, if pre-commit is
    installed, in a temporary copy of the working tree: (no cache at all, cache left by the
    previous commit).

    The second is the everyday case: the hook validated the repository at the previous commit,
    then the author edited one query of one package (a comment line added to its KQL query).
    """
    if shutil.which("pre-commit") is None:
        return None
    package = "detections/T1562/T1562.yml"
    command = ["pre-commit", "run", "dac-validate", "--files", package]
    with tempfile.TemporaryDirectory() as tmp:
        clone = copy_working_tree(Path(tmp) / "clone")
        if subprocess.run(command, cwd=clone, capture_output=True, env=ENV).returncode != 0:  # installs the hook once
            return None
        cache = VALIDATION_CACHE
        cold = wall([], repeat, cwd=clone, command=command, before=lambda: shutil.rmtree(cache, ignore_errors=True))
        original = (clone / package).read_text(encoding="utf-8")
        edits = iter(range(1, 1000))

        def edit_one_query() -> None:
            (clone / package).write_text(original, encoding="utf-8")
            subprocess.run(command, cwd=clone, capture_output=True, env=ENV)  # the previous commit's run
            (clone / package).write_text(original.replace("  kql: |\n", f"  kql: |\n    // edit {next(edits)}\n", 1),
                                         encoding="utf-8")

        return cold, wall([], repeat, cwd=clone, command=command, before=edit_one_query)


def hostile_files(target: Path) -> list[tuple[str, Path]]:
    """A 50 MB file, an alias bomb, a duplicate key and non-UTF-8 bytes, each a package of its own."""
    fixtures = ROOT / "tests" / "fixtures"
    big = target / "big" / "detections" / "T1562" / "T1562.yml"
    big.parent.mkdir(parents=True)
    with big.open("wb") as handle:
        handle.write(b"id: T1562\n" + b"#" * (50 * 1024 * 1024))
    return [("50 MB file", big),
            ("alias bomb (billion laughs)", fixtures / "DAC106" / "detections"),
            ("duplicate key", fixtures / "DAC103" / "detections"),
            ("non-UTF-8 bytes", fixtures / "DAC101" / "detections")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is shown")
    args = parser.parse_args()
    wall(["validate", "--no-cache", "detections/T1562/T1562.yml"], 1)  # builds this run's parsers
    # A changed package is never in the cache: measure it cold.
    rows = [("one package, cold (detections/T1562/T1562.yml)", 1,
             wall(["validate", "--no-cache", "detections/T1562/T1562.yml"], args.repeat), 0.5)]
    notes: list[str] = []
    hook = pre_commit_hook(args.repeat)
    if hook is not None:
        rows.append(("pre-commit hook, one package, no cache at all", 1, hook[0], 0.5))
        rows.append(("pre-commit hook, one query edited since the last run", 1, hook[1], 0.5))
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            repo = build_repository(Path(tmp), size)
            cache = VALIDATION_CACHE
            command = ["validate", str(repo), "--format", "json"]
            cold = wall(command, args.repeat, cwd=Path(tmp), before=lambda: shutil.rmtree(cache, ignore_errors=True))
            warm = wall(command, args.repeat, cwd=Path(tmp))
            rows.append((f"synthetic repository, {size:,} packages, cold", size, cold, 10.0 if size >= 1000 else None))
            rows.append((f"synthetic repository, {size:,} packages, warm cache", size, warm,
                         1.0 if size >= 1000 else None))
            notes.append(f"{size:,} packages: cold/warm = {cold / warm:.1f}x")
        with tempfile.TemporaryDirectory() as tmp:  # copies whose query texts differ: no text cache hits
            repo = build_repository(Path(tmp), size, distinct=True)
            command = ["validate", str(repo), "--format", "json"]
            cold = wall(command, args.repeat, cwd=Path(tmp), before=lambda: shutil.rmtree(cache, ignore_errors=True))
            rows.append((f"synthetic repository, {size:,} packages, distinct queries, cold", size, cold,
                         10.0 if size >= 1000 else None))
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in hostile_files(Path(tmp)):
            rows.append((f"hostile: {name}", 1, wall(["validate", str(path)], args.repeat), 1.0))
    print(f"{'measurement':56s} {'packages':>8s} {'wall s':>8s} {'ms/pkg':>8s} {'target s':>9s} {'met':>4s}")
    for name, size, seconds, target in rows:
        met = ("yes" if seconds <= target else "NO") if target else ""
        print(f"{name:56s} {size:8,d} {seconds:8.2f} {1000 * seconds / size:8.1f} "
              f"{(f'{target:.1f}' if target else '-'):>9s} {met:>4s}")
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
