"""The package's Sigma rules as YAML text: each rule's logsource alone, and each complete Sigma rule.

Each rule is the one `dac export sigma` writes (tooling.export.sigma.sigma_rules: same keys, same
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


def sigma_logsources(entry: Entry) -> list[str]:
    """Each rule's logsource as YAML, in the package's order."""
    from tooling.sigma.rules import package_rules

    return [_dump({"logsource": _plain(rule.logsource)}) for rule in package_rules(entry.data)]


def sigma_logsource_yaml(entry: Entry) -> str:
    """Every rule's logsource, one YAML document each."""
    return "---\n".join(sigma_logsources(entry)) or _dump({"logsource": {}})


def sigma_rule_texts(entry: Entry) -> list[tuple[str, str]]:
    """(title, YAML) of each complete Sigma rule, as `dac export sigma` writes them."""
    from tooling.export.sigma import sigma_rules
    from tooling.package import Package

    try:
        rules = sigma_rules(Package(entry.path, "", entry.data))
        return [(str(rule.get("title") or ""), _dump(_plain(rule))) for _, rule in rules]
    except Exception:  # noqa: BLE001 - a package the exporter cannot read still gets its page
        return [("", _dump(_plain(_sigma(entry))))]


def sigma_rule_yaml(entry: Entry) -> str:
    """Every complete Sigma rule of the package, one YAML document each."""
    return "---\n".join(text for _, text in sigma_rule_texts(entry))
