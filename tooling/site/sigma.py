"""The package's Sigma section as YAML text: the logsource alone, and the complete Sigma rule.

The rule is the one `dac export sigma` writes (tooling.export.sigma.sigma_rule: same keys, same
stable rule id), dumped here with libyaml for speed; should the exporter fail on a broken package,
the page shows the package's Sigma section as written. The text is shown in code blocks only, so
it needs no escaping beyond the code block itself.
"""
from __future__ import annotations

import datetime
from typing import Any

import yaml

from tooling.site.catalog import Entry
from tooling.site.escape import text_of


def _plain(value: Any, depth: int = 0) -> Any:
    """Package values as YAML-safe plain data (no custom tags, bounded depth)."""
    if depth > 40:
        return text_of(value)
    if isinstance(value, dict):
        return {text_of(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, str):
        return str(value)  # plain str: drops ruamel's scalar-string subclasses
    if value is None or isinstance(value, (int, float, bool, datetime.date)):
        return value
    return text_of(value)


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when available: much faster


def _dump(value: Any) -> str:
    return yaml.dump(value, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)


def _sigma(entry: Entry) -> dict:
    value = entry.data.get("sigma")
    return value if isinstance(value, dict) else {}


def sigma_logsource_yaml(entry: Entry) -> str:
    return _dump({"logsource": _plain(_sigma(entry).get("logsource") or {})})


def sigma_rule_yaml(entry: Entry) -> str:
    from tooling.export.sigma import sigma_rule
    from tooling.package import Package

    try:
        return _dump(_plain(sigma_rule(Package(entry.path, "", entry.data))))
    except Exception:  # noqa: BLE001 - a package the exporter cannot read still gets its page
        return _dump(_plain(_sigma(entry)))
