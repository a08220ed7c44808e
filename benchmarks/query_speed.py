"""Per language: the cost of a query dac has not seen, in ms per query: parse (with lint), compile
(the evaluator) and references (the names the platform checks read).

    python benchmarks/query_speed.py [--repeat N]

What validate_speed.py's synthetic repositories hide: their copies share query texts, so every
cache keyed by a query's text, or by a regular expression in it, spares all copies but the first.
Here each measurement is a fresh process that builds the parsers and runs every query once (with
other texts), so modules are imported and first calls made; then forgets the regular expressions
it compiled, runs half of the packages' queries again (the code's own patterns are compiled
again), and times each query of the other half once: their texts and their own patterns are new
to it, as in a repository of distinct packages (patterns shared with the first half are found, as
they would be). Each half is measured `--repeat` times and each query's fastest run shown, which
other load on the machine disturbs least.
"""
from __future__ import annotations

import argparse
import functools
import gc
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import regex

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tooling.checks.queries import queries_to_parse  # noqa: E402 - after the path is set
from tooling.languages import LANGUAGES, get_language  # noqa: E402
from tooling.package import iter_package_files, load_package  # noqa: E402

STEPS = ("parse", "compile", "references")


def package_queries() -> list[list[tuple[str, str]]]:
    return [list(queries_to_parse(load_package(path))) for path in iter_package_files([ROOT / "detections"])]


def run_once(key: str, text: str) -> list[float]:
    language = get_language(key)
    start = time.perf_counter()
    parsed = language.parse(text)
    parsed_at = time.perf_counter()
    language.compiled(text)
    compiled_at = time.perf_counter()
    language.references(text, parsed.tree)
    return [parsed_at - start, compiled_at - parsed_at, time.perf_counter() - compiled_at]


def drop_pattern_caches() -> None:
    """Forget the regular expressions seen: the `re` and `regex` modules' caches, and what the
    languages keep per pattern (their caches of many entries; those of one hold data read once)."""
    re.purge()
    regex.purge()
    for name, module in list(sys.modules.items()):
        if name.startswith("tooling.languages"):
            for attribute, value in list(vars(module).items()):
                if isinstance(value, functools._lru_cache_wrapper) and (value.cache_info().maxsize or 2) > 1:
                    value.cache_clear()
                elif attribute.endswith("_CACHE") and isinstance(value, dict):
                    value.clear()


def measure_half(half: int) -> dict[str, list[list[float]]]:
    """In this process: run every query once (modules imported on first use, first calls), forget
    the patterns, run the other half's queries (the code's own patterns), then time this half's."""
    packages = package_queries()
    for key in LANGUAGES:
        get_language(key).parse("x")  # builds the parser
    for queries in packages:
        for key, text in queries:
            run_once(key, text + "\n")  # other texts: the text caches hold these
    drop_pattern_caches()
    for index, queries in enumerate(packages):
        if index % 2 != half:
            for key, text in queries:
                run_once(key, text + "\n\n")
    times: dict[str, list[list[float]]] = {key: [] for key in LANGUAGES}
    gc.collect()
    gc.disable()  # a collection would land on whichever query happens to run
    for index, queries in enumerate(packages):
        if index % 2 == half:
            for key, text in queries:
                times[key].append(run_once(key, text))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per half; the fastest run is shown")
    parser.add_argument("--half", type=int, choices=(0, 1), help=argparse.SUPPRESS)  # one measuring process
    args = parser.parse_args()
    if args.half is not None:
        print(json.dumps(measure_half(args.half)))
        return 0
    best: dict[str, dict[tuple[int, int], list[float]]] = {key: {} for key in LANGUAGES}
    for _ in range(args.repeat):
        for half in (0, 1):
            found = json.loads(subprocess.run([sys.executable, __file__, "--half", str(half)], check=True,
                                              capture_output=True, text=True).stdout)
            for key, runs in found.items():
                for index, run in enumerate(runs):
                    kept = best[key].setdefault((half, index), run)
                    best[key][half, index] = [min(a, b) for a, b in zip(kept, run)]
    print(f"{'language':10s} {'queries':>7s} " + " ".join(f"{step:>10s}" for step in STEPS) + f" {'total':>8s}")
    totals = [0.0] * len(STEPS)
    for key, runs in best.items():
        means = [1000 * sum(run[i] for run in runs.values()) / max(len(runs), 1) for i in range(len(STEPS))]
        totals = [a + b for a, b in zip(totals, means)]
        print(f"{key:10s} {len(runs):7d} " + " ".join(f"{m:10.2f}" for m in means) + f" {sum(means):8.2f}")
    print(f"{'a package':10s} {'':7s} " + " ".join(f"{t:10.2f}" for t in totals) + f" {sum(totals):8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
