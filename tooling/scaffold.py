"""`dac new ID`: a package skeleton from the ATT&CK data, with explicit placeholders.

Everything ATT&CK knows is filled in (id, name, tactics, parent, v19 successor, the description's
first paragraph, the canonical reference). Everything a person must write is a `<fill in: ...>`
placeholder, which `dac validate` reports (DAC118) until it is replaced.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tooling.attack import Technique, attack_data
from tooling.checks.content import PLACEHOLDER
from tooling.files import write_text_atomic
from tooling.languages import LANGUAGES
from tooling.package import leaves_root


class ScaffoldError(ValueError):
    pass


def _fill(what: str) -> str:
    return json.dumps(f"{PLACEHOLDER}{what}>")  # a double-quoted YAML scalar


def package_path(root: Path, tid: str) -> Path:
    return root / tid.split(".")[0] / f"{tid}.yml"


def scaffold_text(technique: Technique, today: dt.date | None = None) -> str:
    data = attack_data()
    today_text = (today or dt.date.today()).isoformat()
    successor = data.v19_successor(technique.id)
    attack = [f"  version: '{data.version}'", "  tactics:", *[f"    - {t}" for t in technique.tactics],
              f"  technique: {technique.id}", f"  name: {json.dumps(technique.name)}"]
    if technique.parent:
        attack.append(f"  parent: {technique.parent}")
    if successor:
        attack += ["  v19_successor:", f"    id: {successor['id']}", f"    name: {json.dumps(successor['name'])}"]
    telemetry = [f"  {key}:\n    - {_fill(f'what the {info.name} query reads (tables, sourcetypes, ...)')}"
                 for key, info in LANGUAGES.items()]
    queries = [f"  {key}: |\n    {PLACEHOLDER}{info.title} query for {info.platform}>"
               for key, info in LANGUAGES.items()]
    summary = technique.description or f"{PLACEHOLDER}what {technique.name} is>"
    title = technique.name if not technique.parent else \
        f"{data.technique(technique.parent).name}: {technique.name}"
    related = [f"  - id: {technique.parent}", "    reason: parent technique"] if technique.parent else []
    lines = [
        "# yaml-language-server: $schema=../../schema/detection.schema.json",
        f"# Scaffolded by `dac new {technique.id}`: replace every <fill in: ...> value; `dac validate` lists them.",
        f"id: {technique.id}",
        f"title: {json.dumps(title)}",
        f"summary: {json.dumps(summary)}",
        f"description: {_fill('what this detection does and how')}",
        "status: experimental",
        "severity: medium",
        "confidence: low",
        f"author: {_fill('your name or team')}",
        f"created: '{today_text}'",
        f"modified: '{today_text}'",
        "attack:", *attack,
        "platforms:", f"  - {_platform(technique)}",
        "data_sources:", f"  - {_fill('ATT&CK data source: component, e.g. Process: Process Creation')}",
        "telemetry:", *telemetry,
        "queries:", *queries,
        "sigma:", "  rules:", "    - logsource:",
        f"        category: {_fill('generic Sigma logsource category, e.g. process_creation')}",
        f"        product: {_platform(technique)}",
        "      detection:", "        selection:",
        f"          CommandLine|contains: {_fill('the indicator, in Sigma field names')}",
        "        condition: selection",
        "false_positives:", f"  - description: {_fill('a benign activity that matches')}",
        f"    tuning: {_fill('how to exclude it')}",
        "references:", f"  - {technique.url.rstrip('/')}/",
        *(["related:", *related] if related else []),
        "tests:",
        f"  - name: {_fill('what the test does')}",
        "    procedure:",
        f"      manual: {_fill('the steps, or replace with atomic_guid of an Atomic Red Team test')}",
        "    expected_signal:",
        f"      - source: {_fill('log source, e.g. Sysmon')}",
        f"        description: {_fill('the event the test produces')}",
        "    samples:",
        "      match:",
        f"        - CommandLine: {_fill('a value the detection must match')}",
        "      no_match:",
        f"        - CommandLine: {_fill('a near miss the detection must not match')}",
    ]
    return "\n".join(lines) + "\n"


def _platform(technique: Technique) -> str:
    platforms = [p.lower() for p in technique.platforms]
    return "windows" if "windows" in platforms or not platforms else \
        {"linux": "linux", "macos": "macos", "iaas": "aws", "network devices": "network-devices"}.get(platforms[0],
                                                                                                  "windows")


def scaffold(tid: str, root: Path, today: dt.date | None = None) -> Path:
    technique = attack_data().technique(tid)
    if technique is None:
        raise ScaffoldError(f"{tid} is not a technique in ATT&CK Enterprise v{attack_data().version}")
    if technique.revoked or technique.deprecated:
        successor = f"; use {technique.revoked_by}" if technique.revoked_by else ""
        raise ScaffoldError(f"{technique.id} is {'revoked' if technique.revoked else 'deprecated'}{successor}")
    path = package_path(root, technique.id)
    if path.exists():
        raise ScaffoldError(f"{path} already exists")
    outside = leaves_root(path, root)  # through a linked folder, or a dangling link
    if outside is not None:
        raise ScaffoldError(f"{path} leads through a link to {outside}, outside {root}")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, scaffold_text(technique, today))
    return path
