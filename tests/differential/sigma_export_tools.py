"""SigmaHQ's tools on `dac export sigma`'s rules, for test_sigma_export.py.

Runs in the differential tests' own environment (requirements.txt), never in dac's:

    python sigma_export_tools.py check ATTACK.json D3FEND.json CACHE_DIR RULES_DIR [sigma check options]
    python sigma_export_tools.py convert RULES_DIR OUT.json

`check` runs sigma-cli's `sigma check` with pySigma's and SigmaHQ's validators, its ATT&CK and
D3FEND data read from the given files (pySigma downloads them otherwise, and the tests have no
network). `convert` converts every rule file with each of the seven targets' backend and standard
pipeline and writes {rule file: {target: {"queries": [...]} or {"error": "..."}}}.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

# (backend, pipeline): the standard pipeline of each of the seven platforms dac writes queries for
TARGETS = [
    ("kusto", "microsoft_xdr"),
    ("splunk", "splunk_windows"),
    ("eql", "ecs_windows"),
    ("qradar-aql-community", "qradar-aql-fields"),
    ("secops", "secops_udm"),
    ("log_scale", "crowdstrike_falcon"),
    ("sumologic_cse", "sumologic_cse"),
]


def check(argv: list[str]) -> int:
    from sigma.data import mitre_attack, mitre_d3fend

    attack, d3fend, cache, *rest = argv
    for module in (mitre_attack, mitre_d3fend):
        module.set_cache_dir(cache)
    mitre_attack.set_url(attack)
    mitre_d3fend.set_url(d3fend)
    from sigma.cli.main import main

    sys.argv = ["sigma", "check", *rest]
    try:
        main()
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


def convert(argv: list[str]) -> int:
    from sigma.collection import SigmaCollection
    from sigma.plugins import InstalledSigmaPlugins

    rules, out = Path(argv[0]), Path(argv[1])
    plugins = InstalledSigmaPlugins.autodiscover()
    results: dict[str, dict[str, dict]] = {}
    for path in sorted(rules.glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        for backend, pipeline in TARGETS:
            target = f"{backend}+{pipeline}"
            try:
                # fresh objects for every conversion: pipelines transform the rule in place
                collection = SigmaCollection.from_yaml(text)
                resolved = plugins.get_pipeline_resolver().resolve([pipeline])
                queries = plugins.backends[backend](processing_pipeline=resolved).convert(collection)
                queries = [queries] if isinstance(queries, str) else [str(q) for q in queries]
                record = {"queries": queries} if queries and all(q.strip() for q in queries) else \
                    {"error": f"{len(queries)} queries"}
            except Exception as exc:  # noqa: BLE001 - a backend's refusal is what the test reports
                record = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
            results.setdefault(path.name, {})[target] = record
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    sys.exit({"check": check, "convert": convert}[command](args))
