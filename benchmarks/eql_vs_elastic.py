#!/usr/bin/env python3
"""Parse every EQL corpus row with our parser and with Elastic's `eql` library; compare speed.

    python benchmarks/eql_vs_elastic.py [CORPUS.jsonl] [--repeat N]

The project does not depend on Elastic's `eql` package: run this with an interpreter that has it
installed (e.g. a separate venv: `python -m venv /tmp/eqlvenv && /tmp/eqlvenv/bin/pip install eql`).
When `eql` is not importable the script says so and exits 0. Both parsers are warmed up first so
that neither pays for building its grammar inside the timings; each query's time is the best of
`--repeat` runs.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "eql.jsonl"


def _ours():
    sys.path.insert(0, str(ROOT))
    from tooling.languages import get_language

    language = get_language("eql")
    return lambda text: language.parse(text).ok


def _elastic():
    import eql
    from eql.parser import elasticsearch_syntax, ignore_missing_functions

    def parse(text: str) -> bool:
        try:
            with elasticsearch_syntax, ignore_missing_functions:
                eql.parse_query(text)
            return True
        except Exception:  # eql raises its own errors, and NotImplementedError for `with runs=`
            return False

    return parse


def _time(parse, queries: list[str], repeat: int) -> tuple[list[float], int]:
    times, accepted = [], 0
    for text in queries:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            ok = parse(text)
            best = min(best, time.perf_counter() - t0)
        times.append(best)
        accepted += ok
    return times, accepted


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--repeat", type=int, default=3, help="time each query this many times, keep the best")
    args = ap.parse_args()
    try:
        elastic = _elastic()
    except ImportError:
        print("skipped: Elastic's `eql` library is not importable here (pip install eql in a separate venv)")
        return 0
    if not args.corpus.exists():
        print(f"skipped: no corpus file {args.corpus}")
        return 0
    queries = [json.loads(line)["query"] for line in args.corpus.open(encoding="utf-8") if line.strip()]
    ours = _ours()
    for parse in (ours, elastic):  # build and cache both grammars outside the timings
        parse("process where true")
    rows = []
    for name, parse in (("ours (tooling.languages.eql)", ours), ("elastic eql", elastic)):
        times, accepted = _time(parse, queries, args.repeat)
        rows.append((name, sum(times), statistics.median(times) * 1000, accepted))
    print(f"{len(queries)} queries from {args.corpus}, best of {args.repeat} per query")
    print(f"{'parser':30s} {'total s':>8s} {'median ms':>10s} {'accepted':>9s}")
    for name, total, median, accepted in rows:
        print(f"{name:30s} {total:8.3f} {median:10.3f} {accepted:9d}")
    (_, ours_total, ours_median, _), (_, el_total, el_median, _) = rows
    print(f"ratio elastic/ours: total {el_total / ours_total:.1f}x, median {el_median / ours_median:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
