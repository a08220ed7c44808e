"""Exports: the packages in other tools' formats (an ATT&CK Navigator layer, Sigma rules).

Exports read packages as they are; `dac validate` is what judges them. A package that cannot be
read, or has no valid ATT&CK id, is skipped and named in `Exportable.skipped`, so an export never
stops on one bad file and never silently drops one either.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from tooling import SITE_URL
from tooling.attack import attack_data
from tooling.package import LoadError, Package, display_path, iter_package_files, load_package

TECHNIQUE_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
STATUSES = ("experimental", "test", "stable", "deprecated")
SEVERITIES = ("informational", "low", "medium", "high", "critical")


@dataclass
class Exportable:
    """The packages an export works on, and the files it had to leave out (with why)."""

    packages: list[Package] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def load_exportable(paths: list[Path]) -> Exportable:
    result = Exportable()
    for path in iter_package_files(paths):
        try:
            package = load_package(path)
        except LoadError as exc:
            result.skipped.append(f"{display_path(path)}: {exc.diagnostic.code} {exc.diagnostic.message}")
            continue
        if not isinstance(package.id, str) or not TECHNIQUE_ID.match(package.id):
            result.skipped.append(f"{display_path(path)}: no valid ATT&CK id (T####[.###])")
            continue
        result.packages.append(package)
    result.packages.sort(key=lambda p: p.id)
    return result


def text(value) -> str:
    """A package value as one string; lists (e.g. several authors) are joined."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(text(v) for v in value)
    return str(value).strip()


def tactic_shortnames(data: dict) -> list[str]:
    """The package's tactics as ATT&CK shortnames (e.g. defense-evasion), in matrix order.

    The package's own `attack.tactics` win; when none of them is a known tactic the bundled
    ATT&CK data's tactics for the technique are used, so the export still places it.
    """
    attack = attack_data()
    mapping = data.get("attack") if isinstance(data.get("attack"), dict) else {}
    named = mapping.get("tactics") if isinstance(mapping.get("tactics"), list) else []
    wanted = {str(n).strip().lower() for n in named}
    if not any(attack.tactic_by_name(n) for n in wanted):
        technique = attack.technique(str(data.get("id")))
        wanted = {n.lower() for n in technique.tactics} if technique else set()
    return [t.shortname for t in attack.tactics if t.name.lower() in wanted]


def page_url(package_id: str) -> str:
    """The package's page on the published site (tooling/site: detections/<id>/)."""
    return f"{SITE_URL}detections/{package_id}/"


def attack_url(package_id: str) -> str:
    return "https://attack.mitre.org/techniques/" + package_id.replace(".", "/") + "/"
