"""Each package's Sigma form as a standalone Sigma rule (the SigmaHQ rule format).

The package holds only the Sigma logsource, detection and fields; everything else in the rule
(title, status, description, references, author, dates, ATT&CK tags, false positives, level)
comes from the package's own metadata, so it is written once and cannot drift.
"""
from __future__ import annotations

import datetime
import io
import stat
import uuid
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import LiteralScalarString

from tooling.export import SEVERITIES, STATUSES, TECHNIQUE_ID, tactic_shortnames, text
from tooling.files import write_text_atomic
from tooling.package import Package

# Fixed forever: rule ids are uuid5(SIGMA_NAMESPACE, package id), so re-exports give the same
# id and a Sigma backend or SIEM that tracks rules by id sees an update, not a new rule.
SIGMA_NAMESPACE = uuid.UUID("7d0c2b1e-5f3a-5c8e-9b64-2f1d8e6a4c90")

# Our statuses and severities are Sigma's own words; the maps say so and catch drift.
SIGMA_STATUS = {status: status for status in STATUSES}
SIGMA_LEVEL = {severity: severity for severity in SEVERITIES}


def rule_id(package_id: str) -> str:
    return str(uuid.uuid5(SIGMA_NAMESPACE, package_id))


def _date(value: Any) -> datetime.date | str | None:
    """A YYYY-MM-DD package date as a date, which YAML writes unquoted (Sigma's date form)."""
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        return text(value) or None


def _tags(data: dict) -> list[str]:
    tags = [f"attack.{shortname}" for shortname in tactic_shortnames(data)]
    tags.append("attack." + data["id"].lower())  # attack.t1562, or attack.t1562.001 for a sub-technique
    return tags


def _plain(value: Any, depth: int = 0) -> Any:
    """Package values as plain YAML data; multi-line strings become literal blocks."""
    if depth > 40:  # the loader bounds nesting already; this keeps the export total regardless
        return text(value)
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, str) and "\n" in value.strip():
        return LiteralScalarString(value)
    return value


def sigma_rule(package: Package) -> dict:
    """The Sigma rule for a package, as plain data in Sigma's conventional key order."""
    data = package.data
    sigma = data.get("sigma") if isinstance(data.get("sigma"), dict) else {}
    # A package without a valid id (only ever seen on the site, which renders any package) keys
    # its rule id on the file name, so the rule still has a stable id.
    key = package.id or package.path.stem
    rule: dict[str, Any] = {"title": text(data.get("title")) or key, "id": rule_id(key)}
    related = [r.get("id") for r in data.get("related") or [] if isinstance(r, dict)]
    related = [r for r in related if isinstance(r, str) and TECHNIQUE_ID.match(r)]
    if related:
        rule["related"] = [{"id": rule_id(r), "type": "similar"} for r in related]
    if data.get("status") in SIGMA_STATUS:
        rule["status"] = SIGMA_STATUS[data["status"]]
    if text(data.get("description")):
        rule["description"] = text(data.get("description"))
    references = [text(r) for r in data.get("references") or [] if text(r)]
    if references:
        rule["references"] = references
    if text(data.get("author")):
        rule["author"] = text(data.get("author"))
    for ours, theirs in (("created", "date"), ("modified", "modified")):
        value = _date(data.get(ours))
        if value:
            rule[theirs] = value
    rule["tags"] = _tags(data)
    rule["logsource"] = _plain(sigma.get("logsource") or {})
    rule["detection"] = _plain(sigma.get("detection") or {})
    if sigma.get("fields"):
        rule["fields"] = _plain(sigma["fields"])
    false_positives = [text(fp.get("description") if isinstance(fp, dict) else fp)
                       for fp in data.get("false_positives") or []]
    false_positives = [fp for fp in false_positives if fp]
    if false_positives:
        rule["falsepositives"] = false_positives
    if data.get("severity") in SIGMA_LEVEL:
        rule["level"] = SIGMA_LEVEL[data["severity"]]
    return rule


class _Yaml11Resolver(VersionedResolver):
    """Quote by YAML 1.1's rules: Sigma tools read rules with YAML 1.1 loaders (PyYAML), where
    an unquoted `yes`, `on` or `1:20` would come back as a boolean or a number."""

    @property
    def processing_version(self):
        return (1, 1)


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)  # round-trip keeps our key order (the safe dumper sorts)
    yaml.Resolver = _Yaml11Resolver
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = 4096  # one line per value, as SigmaHQ writes rules: no folded conditions
    yaml.indent(mapping=4, sequence=6, offset=4)  # SigmaHQ's four-space style
    return yaml


def sigma_rule_yaml(package: Package) -> str:
    out = io.StringIO()
    _yaml().dump(sigma_rule(package), out)
    return out.getvalue()


def rule_filename(package: Package) -> str:
    return f"{package.id}.yml"


# The first line of every rule file dac writes: a file in the output folder that does not start
# with it was written by someone else, and is not replaced without --force.
MARKER = "# Generated by dac export sigma"


def rule_file_text(package: Package) -> str:
    return (f"{MARKER} from package {package.id}: edit the package, not this file "
            f"(the next export replaces it).\n{sigma_rule_yaml(package)}")


class ExportRefused(Exception):
    """Nothing was written. `collisions`: two packages for one rule file (a problem in the packages);
    `foreign`: files in the output folder that dac did not write (overwritten only with --force)."""

    def __init__(self, collisions: list[str], foreign: list[str]):
        super().__init__("; ".join(collisions + foreign))
        self.collisions = collisions
        self.foreign = foreign


def _collisions(packages: list[Package]) -> list[str]:
    by_file: dict[str, list[Package]] = {}
    for package in packages:
        by_file.setdefault(rule_filename(package).lower(), []).append(package)
    return [f"{' and '.join(p.display_path for p in same)} have the same id {same[0].id}: they would write one "
            f"rule file ({rule_filename(same[0])}); keep one package per id"
            for same in by_file.values() if len(same) > 1]


def _written_by_dac(path: Path) -> bool:
    """True when `path` does not exist, or is a regular file that starts with MARKER."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return True
    if not stat.S_ISREG(info.st_mode):
        return False  # a link, folder or device: never dac's, never written through
    with path.open("rb") as handle:
        return handle.read(len(MARKER)) == MARKER.encode()


def write_rules(packages: list[Package], folder: Path, force: bool = False) -> list[Path]:
    """Write one `<id>.yml` per package into `folder` (created if needed); returns the paths.

    Raises ExportRefused, before writing anything, when two packages share an id, or (unless
    `force`) when a target file exists that dac did not write. Each file is written atomically.
    """
    collisions = _collisions(packages)
    folder.mkdir(parents=True, exist_ok=True)
    targets = [(package, folder / rule_filename(package)) for package in packages]
    foreign = [] if force else [f"{path} exists and was not written by dac export sigma (no '{MARKER}' first "
                                f"line); use --force to replace it" for _, path in targets if not _written_by_dac(path)]
    if collisions or foreign:
        raise ExportRefused(collisions, foreign)
    for package, path in targets:
        write_text_atomic(path, rule_file_text(package))
    return [path for _, path in targets]


def rules_stream(packages: list[Package]) -> str:
    """Every rule as one multi-document YAML stream (for `dac export sigma -`)."""
    collisions = _collisions(packages)
    if collisions:
        raise ExportRefused(collisions, [])
    return "".join(("---\n" if i else "") + sigma_rule_yaml(p) for i, p in enumerate(packages))
