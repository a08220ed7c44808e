"""A synthetic repository for the benchmarks: copies of the real packages under new ids.

The ids (T9000, T9001, ...) are not in ATT&CK, so every copy carries ATT&CK findings; the work per
package (YAML, schema, seven parses, one page) is the same as for a real one.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def retitle(text: str, number: int) -> str:
    """Append the number to the title, inside its quotes when it is quoted."""
    def replace(match: re.Match) -> str:
        value = match.group(1)
        if len(value) > 1 and value[0] in "'\"" and value[-1] == value[0]:
            return f"title: {value[:-1]} {number}{value[-1]}"
        return f"title: {value} {number}"

    return re.sub(r"^title: (.*)$", replace, text, count=1, flags=re.MULTILINE)


def build_repository(target: Path, size: int) -> Path:
    sources = sorted((ROOT / "detections").rglob("*.yml"))
    if not sources:
        raise SystemExit("no packages under detections/ to copy")
    texts = [s.read_text(encoding="utf-8") for s in sources]
    for i in range(size):
        new_id = f"T{9000 + i % 1000}" + (f".{i // 1000:03d}" if i >= 1000 else "")
        text = re.sub(r"^id: .*$", f"id: {new_id}", texts[i % len(texts)], count=1, flags=re.MULTILINE)
        text = retitle(text, i)
        text = re.sub(r"^(  technique: ).*$", rf"\g<1>{new_id}", text, count=1, flags=re.MULTILINE)
        folder = target / "detections" / new_id.split(".")[0]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{new_id}.yml").write_text(text, encoding="utf-8")
    return target / "detections"
