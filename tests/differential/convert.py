"""Convert Sigma rules with pySigma's backends, for the differential tests.

Runs in the differential tests' own environment (see requirements.txt and environment.py), never
in dac's: pySigma is a test-only tool.

    python convert.py RULES_DIR OUT.jsonl [KEY]      # KEY: only that language's targets

Writes one JSON object a line: {"rule", "target", "key", "query"} or {"rule", "target", "key",
"error"}, with "target" naming backend and pipeline (e.g. "kusto+microsoft_xdr").
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from sigma.collection import SigmaCollection
from sigma.plugins import InstalledSigmaPlugins

# (language key, backend, pipeline or None): the targets the issues name.
TARGETS = [
    ("kql", "kusto", "microsoft_xdr"),
    ("spl", "splunk", None),
    ("spl", "splunk", "splunk_windows"),
    ("eql", "eql", None),
    ("eql", "eql", "ecs_windows"),
    ("aql", "qradar-aql-community", "qradar-aql-fields"),
    ("yaral", "secops", "secops_udm"),
    ("logscale", "log_scale", None),
    ("logscale", "log_scale", "crowdstrike_falcon"),
    ("sumo", "sumologic_cse", "sumologic_cse"),
]


def main() -> int:
    rules_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    only = sys.argv[3] if len(sys.argv) > 3 else None
    targets = [t for t in TARGETS if only is None or t[0] == only]
    plugins = InstalledSigmaPlugins.autodiscover()
    rules = sorted(rules_dir.rglob("*.yml"))
    with out.open("w", encoding="utf-8") as handle:
        for path in rules:
            rule = path.relative_to(rules_dir).as_posix()
            text = path.read_text(encoding="utf-8")
            for key, backend, pipeline in targets:
                target = f"{backend}+{pipeline}" if pipeline else backend
                try:
                    # Fresh objects for every conversion: pipelines transform the rule in place,
                    # and some backends keep state between calls.
                    collection = SigmaCollection.from_yaml(text)
                    resolved = plugins.get_pipeline_resolver().resolve([pipeline]) if pipeline else None
                    queries = plugins.backends[backend](processing_pipeline=resolved).convert(collection)
                    if isinstance(queries, str):  # a pipeline's finalizer (crowdstrike_falcon's) joins them into one
                        queries = [queries]
                    query = queries[0] if len(queries) == 1 else None
                    record = {"query": query} if isinstance(query, str) else {"error": f"{len(queries)} queries"}
                except Exception as exc:  # noqa: BLE001 - a backend's refusal is data for the test
                    record = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
                handle.write(json.dumps({"rule": rule, "target": target, "key": key, **record}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
