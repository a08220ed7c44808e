"""Site build wall time: the real repository, and synthetic repositories of N packages.

    python benchmarks/site_build.py                    # the real repository and N = 1,000
    python benchmarks/site_build.py --sizes 100 1000 --repeat 3

Each synthetic repository is a temporary folder of copies of the real packages under new ids
(T9000, T9001, ..., then T9000.001, ...) and new titles. Those ids are not in the bundled ATT&CK
data: the site renders them as unmapped techniques, with the same per-page work (seven highlighted
queries, Sigma, tests) as a real package. The build is `mkdocs build --strict` from the repository
root with DAC_DETECTIONS_DIR pointing at the synthetic folder, into a temporary site folder.
Times include interpreter start. Target: 1,000 packages in at most 60 s wall time. Package
pages are loaded and rendered in worker processes (DAC_SITE_JOBS=1 turns that off); the CPU
column sums the build and its workers, and does not grow when the machine is busy.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import ROOT, build_repository  # benchmarks run as scripts: this folder is on sys.path
TARGET_SECONDS = 60.0

def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(detections: Path | None, site_dir: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the build and its workers)."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    env.pop("DAC_DETECTIONS_DIR", None)
    if detections is not None:
        env["DAC_DETECTIONS_DIR"] = str(detections)
    cpu = _children_cpu()
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"mkdocs build failed ({detections or 'repository'})")
    return elapsed, _children_cpu() - cpu


def pages(site_dir: Path) -> int:
    return sum(1 for _ in site_dir.rglob("index.html"))


def size_mb(site_dir: Path) -> float:
    return sum(p.stat().st_size for p in site_dir.rglob("*") if p.is_file()) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000], help="synthetic repository sizes")
    parser.add_argument("--repeat", type=int, default=1, help="builds per case; the median is shown")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory(prefix="dac-site-bench-") as tmp:
        tmp_path = Path(tmp)
        cases: list[tuple[str, Path | None, int]] = [
            ("repository", None, sum(1 for _ in (ROOT / "detections").rglob("*.yml")))]
        for size in args.sizes:
            cases.append((f"synthetic {size:,}", build_repository(tmp_path / f"repo-{size}", size), size))
        for label, detections, count in cases:
            site_dir = tmp_path / f"site-{label.replace(' ', '-').replace(',', '')}"
            runs = [build(detections, site_dir) for _ in range(args.repeat)]
            rows.append((label, count, statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
                         pages(site_dir), size_mb(site_dir)))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{'case':<20} {'packages':>9} {'wall s':>8} {'CPU s':>8} {'wall s/pkg':>11} {'pages':>7} {'site MB':>8}")
    for label, count, seconds, cpu, page_count, mb in rows:
        print(f"{label:<20} {count:>9,} {seconds:>8.1f} {cpu:>8.1f} {seconds / max(count, 1):>11.3f} "
              f"{page_count:>7,} {mb:>8.1f}")
    print(f"CPUs: {os.cpu_count()}, load average after the run: {load:.1f} (wall time grows with other load; "
          "CPU time does not)")
    slow = [r for r in rows if r[1] >= 1000 and r[2] > TARGET_SECONDS * r[1] / 1000]
    if slow:
        print(f"over target ({TARGET_SECONDS:.0f} s per 1,000 packages): {', '.join(r[0] for r in slow)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
