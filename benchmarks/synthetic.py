"""A synthetic repository for the benchmarks: copies of the real packages under new ids.

The ids (T9000, T9001, ...) are not in ATT&CK, so every copy carries ATT&CK findings; the work per
package (YAML, schema, seven parses, one page) is the same as for a real one.

Copies share their query texts, so each language's caches keyed by query text (parse results,
compiled evaluators) hide the cost of parsing and compiling a query that a repository of distinct
packages pays for every query. `distinct=True` ends each of a copy's seven queries with a comment
line naming the copy: the texts differ, the queries and their diagnostics do not. (Caches keyed by
a regular expression's own text still hit: the copies' patterns are the same.)
"""
from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def benchmark_env() -> dict[str, str]:
    """The environment the benchmarks run dac in: as on a user's machine, with Python's bytecode
    cache (some CI images turn it off), but with dac's caches (validation results, test results,
    built parsers) in a folder of this run's own (`XDG_CACHE_HOME`), so two benchmarks running at
    once neither empty nor fill each other's caches. pre-commit keeps its own."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("PRE_COMMIT_HOME", str(Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pre-commit"))
    env["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="dac-benchmark-cache-")
    atexit.register(shutil.rmtree, env["XDG_CACHE_HOME"], True)
    return env


# A comment each language accepts at the end of a query (AQL: at the end of its first line, as a
# comment cannot follow an AQL query).
COMMENTS = {
    "kql": "// copy {number}",
    "spl": "``` copy {number} ```",
    "eql": "/* copy {number} */",
    "aql": "/* copy {number} */",
    "sumo": "// copy {number}",
    "yaral": "// copy {number}",
    "logscale": "// copy {number}",
}
_BLOCK_START = re.compile(r"^  (" + "|".join(COMMENTS) + r"): \|[-+]?\n", re.MULTILINE)


def retitle(text: str, number: int) -> str:
    """Append the number to the title, inside its quotes when it is quoted."""
    def replace(match: re.Match) -> str:
        value = match.group(1)
        if len(value) > 1 and value[0] in "'\"" and value[-1] == value[0]:
            return f"title: {value[:-1]} {number}{value[-1]}"
        return f"title: {value} {number}"

    return re.sub(r"^title: (.*)$", replace, text, count=1, flags=re.MULTILINE)


def distinct_queries(text: str, number: int) -> str:
    """End each query written as a block scalar (`kql: |` under `queries:`) with a comment naming
    the copy, on a line of its own after the query's last line (AQL: at the end of its first
    line), so no position in the query moves."""
    pieces, done = [], 0
    for start in _BLOCK_START.finditer(text):
        if start.start() < done:
            continue
        end = last = start.end()
        for line in re.finditer(r"[^\n]*\n|[^\n]+$", text[start.end():]):
            if line.group().strip() and not line.group().startswith("    "):
                break  # the next key: the block ends
            end = start.end() + line.end()
            if line.group().strip():
                last = end
        if last == start.end():
            continue  # an empty block: nothing to parse
        comment = COMMENTS[start.group(1)].format(number=number)
        if start.group(1) == "aql":
            first = text.index("\n", start.end()) if "\n" in text[start.end():last] else last
            pieces.append(f"{text[done:first]} {comment}")
            done = first
            continue
        suffix = "" if text[last - 1] == "\n" else "\n"
        pieces.append(f"{text[done:last]}{suffix}    {comment}\n")
        done = last
    return "".join(pieces) + text[done:]


def build_repository(target: Path, size: int, distinct: bool = False) -> Path:
    """`size` copies of the packages under detections/, in `target`/detections; `distinct`: with
    query texts of their own (see `distinct_queries`)."""
    sources = sorted((ROOT / "detections").rglob("*.yml"))
    if not sources:
        raise SystemExit("no packages under detections/ to copy")
    texts = [s.read_text(encoding="utf-8") for s in sources]
    for i in range(size):
        new_id = f"T{9000 + i % 1000}" + (f".{i // 1000:03d}" if i >= 1000 else "")
        text = re.sub(r"^id: .*$", f"id: {new_id}", texts[i % len(texts)], count=1, flags=re.MULTILINE)
        text = retitle(text, i)
        text = re.sub(r"^(  technique: ).*$", rf"\g<1>{new_id}", text, count=1, flags=re.MULTILINE)
        if distinct:
            text = distinct_queries(text, i)
        folder = target / "detections" / new_id.split(".")[0]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{new_id}.yml").write_text(text, encoding="utf-8")
    # the repository's local additions (platforms.yml: the SPL macros, reference lists ...) as
    # well: without them the queries that use them are not evaluated and the run does less
    local = ROOT / "platforms.yml"
    if local.is_file():
        (target / "platforms.yml").write_text(local.read_text(encoding="utf-8"), encoding="utf-8")
    return target / "detections"
