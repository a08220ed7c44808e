"""The packages the site is built from: loaded once per build, indexed by id and tactic.

Unknown ids (not in the bundled ATT&CK data) and invalid values are tolerated: the validator
reports them; the site still renders what it can, escaped.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from tooling.attack import attack_data
from tooling.checks.verdicts import SampleResult, data_verdicts, proven_languages
from tooling.diagnostics.render import printable
from tooling.package import LoadError, iter_package_files, load_package
from tooling.platforms.local import LocalPlatforms, find_local_file, load_local
from tooling.site.escape import is_technique_id, slug
from tooling.site.parallel import pmap

log = logging.getLogger("mkdocs.plugins.dac")

STATUSES = ("experimental", "test", "stable", "deprecated")
SEVERITIES = ("informational", "low", "medium", "high", "critical")
CONFIDENCES = ("low", "medium", "high")
UNMAPPED = "Unmapped"


@dataclass
class Entry:
    """One package as the site sees it."""

    data: dict
    path: Path
    key: str  # the page's folder under detections/: the id when valid, else a slug of the file
    edit_path: str | None  # the file relative to the repository root, for edit links
    local: LocalPlatforms = field(default_factory=LocalPlatforms)  # platforms.yml, for the verdicts

    @cached_property
    def results(self) -> list[SampleResult]:
        """Each sample's verdict by the Sigma form and the seven queries (`dac test`'s)."""
        return data_verdicts(self.data, self.local)

    @property
    def proven(self) -> list[str]:
        """The languages whose query agrees with every sample."""
        return proven_languages(self.results)

    @property
    def id(self) -> str | None:
        value = self.data.get("id")
        return value if is_technique_id(value) else None

    @property
    def title(self) -> str:
        value = self.data.get("title")
        return value if isinstance(value, str) and value.strip() else self.key

    @property
    def status(self) -> str:
        value = self.data.get("status")
        return value if value in STATUSES else "unknown"

    @property
    def attack(self) -> dict:
        value = self.data.get("attack")
        return value if isinstance(value, dict) else {}

    @property
    def tactics(self) -> list[str]:
        """Tactic names that the bundled ATT&CK data knows (matrix order), else [UNMAPPED]."""
        data = attack_data()
        named = self.attack.get("tactics")
        names = {str(n).lower() for n in named if isinstance(n, str)} if isinstance(named, list) else set()
        if not names and self.id and data.technique(self.id):
            names = {n.lower() for n in data.technique(self.id).tactics}
        known = [t.name for t in data.tactics if t.name.lower() in names]
        return known or [UNMAPPED]

    @property
    def parent_id(self) -> str | None:
        if self.id and "." in self.id:
            return self.id.split(".")[0]
        return None

    @property
    def url(self) -> str:
        """Site-relative directory URL."""
        return f"detections/{self.key}/"

    @property
    def src_uri(self) -> str:
        return f"detections/{self.key}/index.md"


@dataclass
class Catalog:
    entries: list[Entry] = field(default_factory=list)
    by_id: dict[str, Entry] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def by_tactic(self) -> dict[str, list[Entry]]:
        groups: dict[str, list[Entry]] = {t.name: [] for t in attack_data().tactics}
        for entry in self.entries:
            for tactic in entry.tactics:
                groups.setdefault(tactic, []).append(entry)
        return groups

    def get(self, tid: Any) -> Entry | None:
        return self.by_id.get(tid) if isinstance(tid, str) else None

    def family(self, tid: str) -> list[Entry]:
        """The package of technique `tid` and those of its sub-techniques, sorted by key."""
        if "families" not in self.__dict__:
            families: dict[str, list[Entry]] = {}
            for entry in self.entries:
                if entry.id:
                    families.setdefault(entry.parent_id or entry.id, []).append(entry)
            self.__dict__["families"] = families
        return self.__dict__["families"].get(tid, [])


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _load(path: Path) -> tuple[Path, dict | str]:
    """(path, values) or (path, the diagnostic as text)."""
    try:
        return path, load_package(path).data
    except LoadError as exc:
        return path, f"{exc.diagnostic.code} {exc.diagnostic.message}"


def load_catalog(folder: Path, repo_root: Path) -> Catalog:
    """Every package under `folder`; unreadable files are recorded in `errors` and skipped."""
    catalog = Catalog()
    used: set[str] = set()
    if not folder.is_dir():
        catalog.errors.append(f"detections folder {folder} does not exist")
        return catalog
    local = load_local(find_local_file(folder))
    for path, loaded in pmap(_load, list(iter_package_files([folder]))):
        if isinstance(loaded, str):
            catalog.errors.append(printable(f"{path}: {loaded}"))  # logged to a terminal: no raw controls
            continue
        data = loaded
        tid = data.get("id")
        key = tid if is_technique_id(tid) and tid not in used else slug(path.stem)
        while key in used or key in ("index", "matrix"):
            key = f"{key}-dup"
        used.add(key)
        entry = Entry(data=data, path=path, key=key, edit_path=_relative(path, repo_root), local=local)
        catalog.entries.append(entry)
        if entry.id and entry.id not in catalog.by_id:
            catalog.by_id[entry.id] = entry
    catalog.entries.sort(key=lambda e: e.key)
    return catalog
