"""Convert Sigma rules with the legacy sigmac `sumologic` backend, for the Sumo Logic differential test.

Runs in its own environment (`.venv-sigmac/`, built from requirements-sigmac.txt by
harness.ensure_environment), never in dac's nor in `.venv-differential/`: sigmatools installs a
top-level package `sigma` that clashes with pySigma's.

    python convert_sigmac.py RULES_DIR OUT.jsonl

Writes one JSON object a line, like convert.py: {"rule", "target", "key", "query", "logsource"} or
{"rule", "target", "key", "error"}, with target "sigmac-sumologic" and key "sumo"; "logsource" is
what the configurations add for the rule's log source ({"conditions": [[field, value], ...],
"index": [...]}), so the test can give its events the channel, EventID and source category the
query asks of them.

Configuration: the backend's own default, `SumoLogicBackend.default_config = ["sysmon",
"sumologic"]`, which is what `sigmac -t sumologic RULE` uses when no `-c` is given (sigmac.py:
"if backend_class.default_config is not None: cmdargs.config = backend_class.default_config"),
from the configurations sigmatools installs (<prefix>/etc/sigma/generic/sysmon.yml and
<prefix>/etc/sigma/sumologic.yml). `sysmon` rewrites the generic Windows categories to the Sysmon
service and adds their EventID; `sumologic` maps each product / service to an index written as
`_sourceCategory=*<index>*`, adds each Windows channel as a keyword, and lists the fields it
supposes a field extraction rule gives (`afl_fields`): those are written `Field=value`, every
other field loses its name and its value becomes a keyword searched in the message.

Each rule is converted alone, with a backend of its own, as `sigmac -t sumologic RULE` would: the
backend keeps state between rules (a `LogName` / `source` value becomes the prefix of every later
query in a run over several files).
"""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

from sigma.backends.base import BackendOptions
from sigma.backends.sumologic import SumoLogicBackend
from sigma.config.collection import SigmaConfigurationManager
from sigma.configuration import SigmaConfigurationChain
from sigma.parser.collection import SigmaCollectionParser

TARGET = "sigmac-sumologic"
KEY = "sumo"


def _logsource(rule_parser) -> dict:
    """What the configurations add to the rule's query for its log source (get_logsource_condition):
    the (field, value) conditions, AND-ed, a list value OR-ed (a nested list: another
    configuration's conditions, AND-ed too), and the indexes, written `_sourceCategory=*<index>*`."""
    logsource = rule_parser.get_logsource()
    if logsource is None:
        return {"conditions": [], "index": []}

    def plain(items):
        return [plain(item) if isinstance(item, list) else [item[0], item[1]] for item in items]

    return {"conditions": plain(logsource.conditions), "index": list(logsource.index)}


def main() -> int:
    rules_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    manager = SigmaConfigurationManager()
    configurations = [manager.get(name) for name in SumoLogicBackend.default_config]
    with out.open("w", encoding="utf-8") as handle:
        for path in sorted(rules_dir.rglob("*.yml")):
            rule = path.relative_to(rules_dir).as_posix()
            try:
                chain = SigmaConfigurationChain()
                for configuration in configurations:  # a chain changes the configurations it is given
                    chain.append(copy.deepcopy(configuration))
                backend = SumoLogicBackend(chain, BackendOptions(None, None))
                parser = SigmaCollectionParser(path.read_text(encoding="utf-8"), chain, None, path)
                backend.setYmlFileName(str(path))
                queries = list(parser.generate(backend))
                if len(queries) == 1 and isinstance(queries[0], str):
                    record = {"query": queries[0], "logsource": _logsource(parser.parsers[0])}
                else:
                    record = {"error": f"{len(queries)} queries"}
            except Exception as exc:  # noqa: BLE001 - a backend's refusal is data for the test
                record = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
            handle.write(json.dumps({"rule": rule, "target": TARGET, "key": KEY, **record}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
