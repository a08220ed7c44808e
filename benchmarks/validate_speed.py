"""Validation wall time: one package, and synthetic repositories of N packages.

    python benchmarks/validate_speed.py                 # N = 100 and 1,000
    python benchmarks/validate_speed.py --sizes 100 --repeat 3

Each synthetic repository (see synthetic.py) is validated cold (empty cache) and warm (the cache
filled by the previous run).
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

from synthetic import ROOT, build_repository  # benchmarks run as scripts: this folder is on sys.path


def wall(args: list[str], repeat: int, cwd: Path = ROOT, command: list[str] | None = None,
         before=None) -> float:
    """Median wall time of a command; `before` runs ahead of each timed run (e.g. to clear a cache)."""
    times = []
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        subprocess.run(command or [sys.executable, "-m", "tooling.cli", *args], cwd=cwd, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pre_commit_hook(repeat: int) -> float | None:
    """One changed package through the repository's dac-validate pre-commit hook, if installed."""
    if shutil.which("pre-commit") is None:
        return None
    command = ["pre-commit", "run", "dac-validate", "--files", "detections/T1562/T1562.yml"]
    if subprocess.run(command, cwd=ROOT, capture_output=True).returncode != 0:  # installs the hook once
        return None
    return wall([], repeat, command=command,
                before=lambda: shutil.rmtree(ROOT / ".dac-cache", ignore_errors=True))


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
    # A changed package is never in the cache: measure it cold.
    rows = [("one package, cold (detections/T1562/T1562.yml)", 1,
             wall(["validate", "--no-cache", "detections/T1562/T1562.yml"], args.repeat), 0.5)]
    notes: list[str] = []
    hook = pre_commit_hook(args.repeat)
    if hook is not None:
        rows.append(("one changed package via `pre-commit run dac-validate`", 1, hook, 0.5))
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            repo = build_repository(Path(tmp), size)
            cache = Path(tmp) / ".dac-cache"
            command = ["validate", str(repo), "--format", "json"]
            cold = wall(command, args.repeat, cwd=Path(tmp), before=lambda: shutil.rmtree(cache, ignore_errors=True))
            warm = wall(command, args.repeat, cwd=Path(tmp))
            rows.append((f"synthetic repository, {size:,} packages, cold", size, cold, 10.0 if size >= 1000 else None))
            rows.append((f"synthetic repository, {size:,} packages, warm cache", size, warm,
                         1.0 if size >= 1000 else None))
            notes.append(f"{size:,} packages: cold/warm = {cold / warm:.1f}x")
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in hostile_files(Path(tmp)):
            rows.append((f"hostile: {name}", 1, wall(["validate", str(path)], args.repeat), 1.0))
    print(f"{'measurement':56s} {'packages':>8s} {'wall s':>8s} {'ms/pkg':>8s} {'target s':>9s}")
    for name, size, seconds, target in rows:
        print(f"{name:56s} {size:8,d} {seconds:8.2f} {1000 * seconds / size:8.1f} "
              f"{(f'{target:.1f}' if target else '-'):>9s}")
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
