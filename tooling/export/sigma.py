"""Each Sigma rule of each package as a standalone Sigma rule file (the SigmaHQ rule format).

A package's Sigma form is one rule per kind of event (`sigma.rules`), each with a generic
logsource; each becomes one file, `<package id>_<logsource slug>.yml` (T1562.001_windows_registry_set.yml).
The package holds only each rule's logsource, detection, fields and an optional title; everything
else in the rule (status, description, references, author, dates, ATT&CK tags, false positives,
level, and the title of a rule without its own) comes from the package's own metadata, so it is
written once and cannot drift. The export follows SigmaHQ's conventions where they differ from the
package: ATT&CK links are left to the tags, a `modified` date equal to `date` is left out, and
so is `fields`, which Sigma deprecates (the package keeps it for the site).

Rule ids are uuid5(SIGMA_NAMESPACE, "<package id>/<logsource slug>"): a rule keeps its id while
its package keeps its id and the rule its logsource, whatever rules are added beside it. The rules
of one package name each other as `related: similar`.
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

from tooling.export import SEVERITIES, STATUSES, tactic_shortnames, text
from tooling.files import write_text_atomic
from tooling.package import Package
from tooling.sigma.rules import SigmaRule, package_rules

# Fixed forever: rule ids are uuid5(SIGMA_NAMESPACE, "<package id>/<logsource slug>"), so re-exports
# give the same id and a Sigma backend or SIEM that tracks rules by id sees an update, not a new rule.
SIGMA_NAMESPACE = uuid.UUID("7d0c2b1e-5f3a-5c8e-9b64-2f1d8e6a4c90")

# Our statuses and severities are Sigma's own words; the maps say so and catch drift.
SIGMA_STATUS = {status: status for status in STATUSES}
SIGMA_LEVEL = {severity: severity for severity in SEVERITIES}


def rule_id(package_id: str, slug: str) -> str:
    return str(uuid.uuid5(SIGMA_NAMESPACE, f"{package_id}/{slug}"))


def _date(value: Any) -> datetime.date | str | None:
    """A YYYY-MM-DD package date as a date, which YAML writes unquoted (Sigma's date form)."""
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        return text(value) or None


def _attack_link(url: str) -> bool:
    return url.lower().startswith(("https://attack.mitre.org/", "http://attack.mitre.org/"))


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


def _key(package: Package) -> str:
    # A package without a valid id (only ever seen on the site, which renders any package) keys
    # its rule ids on the file name, so its rules still have stable ids.
    return package.id or package.path.stem


def _title(data: dict, key: str, rule: SigmaRule, several: bool) -> str:
    """The rule's own title when it has one (SigmaHQ titles name what the rule sees), else the
    package's, followed by the logsource when the package has several rules."""
    if rule.title:
        return rule.title.strip()
    title = text(data.get("title")) or key
    return f"{title} - {' '.join(w.capitalize() for w in rule.slug.split('_'))}" if several else title


def sigma_rules(package: Package) -> list[tuple[SigmaRule, dict]]:
    """Each Sigma rule of a package with its standalone Sigma rule, as plain data in Sigma's
    conventional key order."""
    data = package.data
    key = _key(package)
    rules = package_rules(data)
    several = len(rules) > 1
    return [(rule, _rule(data, key, rule, [r for r in rules if r is not rule], several)) for rule in rules]


def sigma_rule(package: Package) -> dict:
    """The first Sigma rule of a package (its only one, for most), or {} without one."""
    rules = sigma_rules(package)
    return rules[0][1] if rules else {}


def _rule(data: dict, key: str, rule: SigmaRule, siblings: list[SigmaRule], several: bool) -> dict:
    out: dict[str, Any] = {"title": _title(data, key, rule, several), "id": rule_id(key, rule.slug)}
    if siblings:
        out["related"] = [{"id": rule_id(key, sibling.slug), "type": "similar"} for sibling in siblings]
    if data.get("status") in SIGMA_STATUS:
        out["status"] = SIGMA_STATUS[data["status"]]
    if text(data.get("description")):
        out["description"] = text(data.get("description"))
    # ATT&CK's own pages are the tags' business (SigmaHQ: a MITRE link is a tag, not a reference)
    references = [text(r) for r in data.get("references") or [] if text(r) and not _attack_link(text(r))]
    if references:
        out["references"] = references
    if text(data.get("author")):
        out["author"] = text(data.get("author"))
    created, modified = _date(data.get("created")), _date(data.get("modified"))
    if created:
        out["date"] = created
    if modified and modified != created:  # SigmaHQ: a modified date equal to the date is redundant
        out["modified"] = modified
    out["tags"] = _tags(data)
    out["logsource"] = _plain(rule.logsource)
    out["detection"] = _plain(rule.detection if isinstance(rule.detection, dict) else {})
    # The rule's `fields` stay in the package (the site shows them): Sigma deprecates the key.
    false_positives = [text(fp.get("description") if isinstance(fp, dict) else fp)
                       for fp in data.get("false_positives") or []]
    false_positives = [fp for fp in false_positives if fp]
    if false_positives:
        out["falsepositives"] = false_positives
    if data.get("severity") in SIGMA_LEVEL:
        out["level"] = SIGMA_LEVEL[data["severity"]]
    return out


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


def _dump(rule: dict) -> str:
    out = io.StringIO()
    _yaml().dump(rule, out)
    return out.getvalue()


def sigma_rule_yaml(package: Package) -> str:
    """Every rule of the package as YAML documents (one per rule, separated by `---`)."""
    return "---\n".join(_dump(rule) for _, rule in sigma_rules(package))


def rule_filename(package: Package, rule: SigmaRule) -> str:
    return f"{package.id}_{rule.slug}.yml"


# The first line of every rule file dac writes: a file in the output folder that does not start
# with it was written by someone else, and is not replaced without --force.
MARKER = "# Generated by dac export sigma"


def rule_files(package: Package) -> list[tuple[str, str]]:
    """(file name, text) of each rule of the package."""
    return [(rule_filename(package, rule),
             f"{MARKER} from package {package.id}: edit the package, not this file "
             f"(the next export replaces it).\n{_dump(data)}") for rule, data in sigma_rules(package)]


class ExportRefused(Exception):
    """Nothing was written. `collisions`: two packages for one rule file (a problem in the packages);
    `foreign`: files in the output folder that dac did not write (overwritten only with --force)."""

    def __init__(self, collisions: list[str], foreign: list[str]):
        super().__init__("; ".join(collisions + foreign))
        self.collisions = collisions
        self.foreign = foreign


def _collisions(packages: list[Package]) -> list[str]:
    by_file: dict[str, list[tuple[Package, str]]] = {}
    for package in packages:
        for rule in package_rules(package.data):
            name = rule_filename(package, rule)
            by_file.setdefault(name.lower(), []).append((package, name))
    problems = []
    for same in by_file.values():
        if len(same) < 2:
            continue
        owners = list(dict.fromkeys(p.display_path for p, _ in same))
        if len(owners) > 1:
            problems.append(f"{' and '.join(owners)} have the same id {same[0][0].id}: they would write one rule "
                            f"file ({same[0][1]}); keep one package per id")
        else:
            problems.append(f"{owners[0]} has {len(same)} Sigma rules with one logsource: they would write one "
                            f"rule file ({same[0][1]}); merge them into one rule")
    return problems


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
    """Write one `<id>_<logsource>.yml` per rule of each package into `folder` (created if
    needed); returns the paths.

    Raises ExportRefused, before writing anything, when two packages share an id or two rules of
    a package a logsource, or (unless `force`) when a target file exists that dac did not write.
    Each file is written atomically.
    """
    collisions = _collisions(packages)
    folder.mkdir(parents=True, exist_ok=True)
    targets = [(folder / name, content) for package in packages for name, content in rule_files(package)]
    foreign = [] if force else [f"{path} exists and was not written by dac export sigma (no '{MARKER}' first "
                                f"line); use --force to replace it" for path, _ in targets if not _written_by_dac(path)]
    if collisions or foreign:
        raise ExportRefused(collisions, foreign)
    for path, content in targets:
        write_text_atomic(path, content)
    return [path for path, _ in targets]


def rules_stream(packages: list[Package]) -> str:
    """Every rule as one multi-document YAML stream (for `dac export sigma -`)."""
    collisions = _collisions(packages)
    if collisions:
        raise ExportRefused(collisions, [])
    return "".join(("---\n" if i else "") + _dump(rule)
                   for i, rule in enumerate(rule for p in packages for _, rule in sigma_rules(p)))
