"""The package's Sigma section as YAML text: the logsource alone, and the complete Sigma rule.

The rule is the one `dac export sigma` writes (tooling.export.sigma.sigma_rule: same keys, same
stable rule id), dumped here with libyaml for speed. When the exporter cannot handle a package
(an invalid id, say), the rule is assembled here from the package's metadata instead. The text
is shown in code blocks only, so it needs no escaping beyond the code block itself.
"""
from __future__ import annotations

import datetime
from typing import Any

import yaml

from tooling.site.catalog import SEVERITIES, STATUSES, Entry
from tooling.site.escape import is_technique_id, text_of


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


def _tag(name: str) -> str:
    return "attack." + "-".join(name.lower().split())


def sigma_rule_yaml(entry: Entry) -> str:
    try:
        from tooling.export.sigma import sigma_rule
        from tooling.package import Package

        return _dump(_plain(sigma_rule(Package(entry.path, "", entry.data))))
    except Exception:  # noqa: BLE001 - a package the exporter rejects still gets its page
        return _fallback_rule_yaml(entry)


def _fallback_rule_yaml(entry: Entry) -> str:
    data = entry.data
    sigma = _sigma(entry)
    rule: dict[str, Any] = {"title": text_of(data.get("title")) or entry.key}
    status = data.get("status")
    if status in STATUSES:
        rule["status"] = status
    if data.get("description"):
        rule["description"] = text_of(data.get("description"))
    references = data.get("references")
    if isinstance(references, list) and references:
        rule["references"] = [text_of(r) for r in references]
    author = data.get("author")
    if author:
        rule["author"] = ", ".join(text_of(a) for a in author) if isinstance(author, list) else text_of(author)
    if data.get("created"):
        rule["date"] = text_of(data.get("created"))
    if data.get("modified"):
        rule["modified"] = text_of(data.get("modified"))
    tags = [_tag(t) for t in entry.tactics if t != "Unmapped"]
    if entry.id and is_technique_id(entry.id):
        tags.append("attack." + entry.id.lower())
    if tags:
        rule["tags"] = tags
    rule["logsource"] = _plain(sigma.get("logsource") or {})
    rule["detection"] = _plain(sigma.get("detection") or {})
    if sigma.get("fields"):
        rule["fields"] = _plain(sigma.get("fields"))
    fps = data.get("false_positives")
    if isinstance(fps, list) and fps:
        rule["falsepositives"] = [text_of(fp.get("description") if isinstance(fp, dict) else fp) for fp in fps]
    severity = data.get("severity")
    if severity in SEVERITIES:
        rule["level"] = severity
    return _dump(rule)
