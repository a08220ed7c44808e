"""The differential tests' harness: SigmaHQ's rules, converted by pySigma's backends, run by our
evaluators on events synthesised from each rule, and compared with the Sigma verdict.

pySigma is a test-only tool: it lives in its own environment (`.venv-differential/`, built from
requirements.txt on first use), never in dac's. Conversions are cached in the user's cache
folder, keyed by the requirements and the rules, so only the first run pays for them.

    cases = conversions("kql")                  # Conversion(rule, target, query, detection, logsource)
    for case in cases:
        for event, expected in labelled_events(case.detection): ...

The rules are `../shared/sigma-rules/` (half of SigmaHQ's rules), beside the repository, as in CI.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from tooling.sigma.detection import InvalidDetection, SigmaDetection, SlowMatch, UnsupportedDetection
from tooling.sigma.probes import probe_events
from tooling.user_cache import private_folder

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
RULES = ROOT.parent / "shared" / "sigma-rules"
ENVIRONMENT = ROOT / ".venv-differential"
REQUIREMENTS = HERE / "requirements.txt"
MIN_VERDICT_SHARE = 0.90  # of the converted rules, the share our evaluator must give a verdict on
MIN_AGREEMENT = 0.99  # of the rules with a verdict, the share whose every verdict agrees with Sigma


@dataclass(frozen=True)
class Conversion:
    rule: str  # path under the rules folder
    target: str  # backend+pipeline
    query: str
    detection: dict
    logsource: dict


def rules_or_skip() -> Path:
    """The rules folder; outside CI a missing one skips, in CI it fails (the test must run there)."""
    if RULES.is_dir():
        return RULES
    if os.environ.get("CI"):
        pytest.fail(f"the differential tests need {RULES} (shared/ beside the repository), as CI has it")
    pytest.skip(f"no {RULES}: the differential tests run where shared/ sits beside the repository")


def _python() -> Path:
    return ENVIRONMENT / "bin" / "python"


def ensure_environment() -> Path:
    """The differential environment's interpreter, built from requirements.txt when missing or
    out of date."""
    stamp = ENVIRONMENT / "requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if _python().exists() and stamp.exists() and stamp.read_text() == wanted:
        return _python()
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(ENVIRONMENT)], check=True)
    subprocess.run([str(_python()), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return _python()


def _rules_digest(rules: Path) -> str:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes() + (HERE / "convert.py").read_bytes())
    for path in sorted(rules.rglob("*.yml")):
        digest.update(path.relative_to(rules).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


@lru_cache(maxsize=None)
def _converted_file(key: str) -> Path:
    rules = rules_or_skip()
    folder = private_folder("differential") or (ROOT / ".venv-differential")
    out = folder / f"{_rules_digest(rules)}-{key}.jsonl"
    if not out.exists():
        python = ensure_environment()
        temp = out.with_suffix(".tmp")
        subprocess.run([str(python), "-W", "ignore", str(HERE / "convert.py"), str(rules), str(temp), key],
                       check=True)
        temp.replace(out)
    return out


def conversions(key: str) -> list[Conversion]:
    """Every rule's conversion for language `key` (all its targets) that gave one query."""
    rules = rules_or_skip()
    found = []
    for line in _converted_file(key).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("key") != key or "query" not in record:
            continue
        rule = _rule(rules / record["rule"])
        if rule is not None:
            found.append(Conversion(record["rule"], record["target"], record["query"], rule["detection"],
                                    rule.get("logsource") or {}))
    return found


def errors(key: str) -> dict[str, int]:
    """Per target, how many rules its backend refused to convert."""
    counts: dict[str, int] = {}
    for line in _converted_file(key).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("key") == key and "error" in record:
            counts[record["target"]] = counts.get(record["target"], 0) + 1
    return counts


@lru_cache(maxsize=4096)
def _rule_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _rule(path: Path) -> dict | None:
    try:
        rule = yaml.safe_load(_rule_text(path))
    except yaml.YAMLError:
        return None
    return rule if isinstance(rule, dict) and isinstance(rule.get("detection"), dict) else None


def labelled_events(detection: dict) -> list[tuple[dict, bool]]:
    """Events synthesised from the rule (a branch each, a near-miss per predicate, variants),
    each with the Sigma form's verdict; [] for a rule the Sigma evaluator does not evaluate."""
    try:
        compiled = SigmaDetection.parse(detection)
    except (InvalidDetection, UnsupportedDetection):
        return []
    labelled = []
    for probe in probe_events(detection):
        try:
            labelled.append((probe.event, compiled.matches(probe.event)))
        except SlowMatch:
            continue
    return labelled


def convert_all(keys: list[str]) -> None:
    """Warm the conversion cache for several languages at once (two at a time on two cores)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(_converted_file, keys))
