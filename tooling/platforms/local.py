"""Local additions: what a team's own deployment adds to each platform (`platforms.yml`).

Macros, lookups, reference sets, custom tables and fields exist only in one deployment, so the
bundled platform data cannot know them. A repository declares them in `platforms.yml`, beside
`detections/`; the evaluators use them (an undeclared macro or lookup is not evaluated) and the
platform checks accept the declared names. Its contract is `schema/platforms.schema.json`:

    spl:
      macros:
        sysmon: (sourcetype=XmlWinEventLog source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational")
      lookups:
        admin_hosts: [{host: ws01, owner: it}]
    kql:
      tables:
        MyFirewall_CL: {fields: {DeviceAction: string, SourceIp: ip}}
    aql:
      fields: {"Process CommandLine": string}       # custom properties of this deployment
      reference_sets: {Admin Hosts: [ws01]}
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from tooling.diagnostics import Diagnostic
from tooling.languages import LANGUAGES
from tooling.languages.evaluation import EMPTY_CONTEXT, EvaluationContext
from tooling.package import LoadError, Package, display_path, load_package

FILE_NAME = "platforms.yml"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema" / "platforms.schema.json"


@dataclass
class LocalPlatforms:
    """The additions declared for each platform key, and the problems found reading them."""

    path: Path | None = None
    declared: dict[str, dict] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.declared, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def context(self, key: str) -> EvaluationContext:
        entry = self.declared.get(key)
        if not entry:
            return EMPTY_CONTEXT
        return EvaluationContext(
            macros=dict(entry.get("macros", {})), lookups=dict(entry.get("lookups", {})),
            reference_sets=dict(entry.get("reference_sets", {})))

    def tables(self, key: str) -> dict[str, dict[str, str]]:
        """Custom tables: name -> {field: type}."""
        tables = self.declared.get(key, {}).get("tables", {})
        return {name: dict(spec.get("fields", {})) for name, spec in tables.items()}

    def fields(self, key: str) -> dict[str, str]:
        """Fields the deployment adds to every table of the platform (extractions, properties)."""
        return dict(self.declared.get(key, {}).get("fields", {}))


NONE = LocalPlatforms()
_in_use: LocalPlatforms = NONE


def use_local(local: LocalPlatforms) -> None:
    """The additions the checks of this run read (set before the checks: forked workers inherit it)."""
    global _in_use
    _in_use = local


def local_in_use() -> LocalPlatforms:
    return _in_use


def find_local_file(detections_root: Path | None) -> Path | None:
    """`platforms.yml` beside the `detections/` folder, if there is one."""
    if detections_root is None:
        return None
    candidate = detections_root.parent / FILE_NAME
    return candidate if candidate.is_file() else None


@lru_cache(maxsize=1)
def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_schema())


@lru_cache(maxsize=1)
def _quick_validator():
    """A valid file skips jsonschema (see checks/schema_subset.py); formats are not asserted,
    as `_validator` has no format checker."""
    from tooling.checks.schema_subset import SubsetValidator

    return SubsetValidator(_schema(), assert_formats=False)


def load_local(path: Path | None) -> LocalPlatforms:
    """The additions in `path` (None: no file, nothing declared). Never raises: a broken file
    gives diagnostics and declares nothing."""
    if path is None:
        return NONE
    shown = display_path(path)
    try:
        document = load_package(path, root=path.parent)
    except LoadError as exc:
        return LocalPlatforms(path, {}, [exc.diagnostic.at(path=shown)])
    problems = list(_schema_problems(document, shown))
    if problems:
        return LocalPlatforms(path, {}, problems)
    return LocalPlatforms(path, {key: value for key, value in document.data.items() if key in LANGUAGES}, [])


def _schema_problems(document: Package, shown: str) -> Iterator[Diagnostic]:
    if _quick_validator().certainly_valid(document.data):
        return
    for error in sorted(_validator().iter_errors(document.data), key=lambda e: list(map(str, e.absolute_path))):
        pointer = tuple(error.absolute_path)
        line, column = document.position(pointer)
        where = "/".join(str(p) for p in pointer) or "the file"
        yield Diagnostic("DAC124", f"{FILE_NAME}: {where}: {error.message}", line, column, shown)
