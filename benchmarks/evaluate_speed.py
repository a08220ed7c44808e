"""Evaluation speed: the seven languages' evaluators on the packages' own samples, and `dac test`.

    python benchmarks/evaluate_speed.py [--repeat N]

Prints, per language, the median time to evaluate a compiled package query on 10 events (the
package's samples rendered into the platform's shape, repeated to 10), the median time to compile
a query (cold, once per process per query), and the wall time of `dac test` on the repository's
packages (interpreter start included): warm (unchanged packages' results reused) and cold, with and
without the drift events.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from synthetic import ROOT, benchmark_env  # benchmarks run as scripts: this folder is on sys.path

sys.path.insert(0, str(ROOT))

from tooling.checks.queries import queries_to_parse  # noqa: E402 - after the path is set
from tooling.checks.verdicts import logsource_of, package_samples  # noqa: E402
from tooling.languages import LANGUAGES, get_language  # noqa: E402
from tooling.package import iter_package_files, load_package  # noqa: E402
from tooling.platforms import render  # noqa: E402
from tooling.platforms.local import find_local_file, load_local  # noqa: E402

EVENTS = 10


def package_cases() -> dict[str, list[tuple[str, list[dict]]]]:
    """Per language: (query, 10 rendered events) for each package."""
    cases: dict[str, list[tuple[str, list[dict]]]] = {key: [] for key in LANGUAGES}
    for path in iter_package_files([ROOT / "detections"]):
        package = load_package(path)
        samples = package_samples(package)
        logsource = logsource_of(package)
        for key, text in queries_to_parse(package):
            events = [r.event for i, s in enumerate(samples) if (r := render(key, s.event, logsource, index=i))]
            if events:
                cases[key].append((text, (events * EVENTS)[:EVENTS]))
    return cases


def per_query(cases: list[tuple[str, list[dict]]], key: str, repeat: int) -> tuple[float, float, float]:
    """(median compile ms, median evaluate ms, worst package's median evaluate ms)."""
    language = get_language(key)
    context = load_local(find_local_file(ROOT / "detections")).context(key)
    language.parse("x")  # the parser is built once per process; not part of compiling a query
    compiles, medians = [], []
    for text, events in cases:
        start = time.perf_counter()
        language.compiled(text)
        compiles.append(time.perf_counter() - start)
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            language.evaluate(text, events, context)
            runs.append(time.perf_counter() - start)
        medians.append(statistics.median(runs))
    return 1000 * statistics.median(compiles), 1000 * statistics.median(medians), 1000 * max(medians)


# As on a user's machine (Python's bytecode cache on), with caches of this run's own.
ENV = benchmark_env()


def wall(args: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tooling.cli", *args], cwd=ROOT, capture_output=True, env=ENV)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200, help="evaluations per query (the median is shown)")
    args = parser.parse_args()
    cases = package_cases()
    print(f"{'language':10s} {'queries':>7s} {'compile ms':>11s} {'eval ms (10 ev)':>16s} {'worst ms':>9s} "
          f"{'target':>7s} {'met':>4s}")
    for key in LANGUAGES:
        if not cases[key]:
            continue
        compile_ms, median_ms, worst_ms = per_query(cases[key], key, args.repeat)
        print(f"{key:10s} {len(cases[key]):7d} {compile_ms:11.2f} {median_ms:16.3f} {worst_ms:9.3f} "
              f"{'1.0':>7s} {'yes' if median_ms <= 1.0 else 'NO':>4s}")
    print()
    repeat = max(3, min(5, args.repeat))
    wall(["test"], 1)  # fills the test cache: "warm" is the everyday re-run
    for label, command, target in (("dac test, 13 packages, warm", ["test"], 1.0),
                                   ("dac test, 13 packages, cold, samples only", ["test", "--no-cache", "--no-drift"],
                                    None),
                                   ("dac test, 13 packages, cold, with drift events", ["test", "--no-cache"], None)):
        seconds = wall(command, repeat)
        met = ("yes" if seconds <= target else "NO") if target else ""
        print(f"{label:52s} {seconds:6.2f} s  target {target if target else '-'!s:>4s}  {met}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
