"""Bundled, pinned ATT&CK Enterprise data: look-ups by id, tactics, and the v18 -> v19 map.

Nothing here reaches the network. The snapshot is rebuilt with `dac attack update --stix FILE`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).parent
SNAPSHOT = HERE / "enterprise-attack.json"
V19_MAP = HERE / "v19-successors.json"


@dataclass(frozen=True)
class Technique:
    id: str
    name: str
    tactics: tuple[str, ...]
    parent: str | None
    platforms: tuple[str, ...]
    deprecated: bool
    revoked: bool
    revoked_by: str | None
    url: str
    description: str

    @property
    def is_subtechnique(self) -> bool:
        return self.parent is not None


@dataclass(frozen=True)
class Tactic:
    id: str
    name: str
    shortname: str


class AttackData:
    def __init__(self, snapshot: dict, successors: dict):
        self.version: str = snapshot["attack_version"]
        self.tactics: tuple[Tactic, ...] = tuple(Tactic(**t) for t in snapshot["tactics"])
        self.techniques: dict[str, Technique] = {
            tid: Technique(id=tid, name=t["name"], tactics=tuple(t["tactics"]), parent=t.get("parent"),
                           platforms=tuple(t.get("platforms", ())), deprecated=t["deprecated"],
                           revoked=t["revoked"], revoked_by=t.get("revoked_by"), url=t["url"],
                           description=t.get("description", ""))
            for tid, t in snapshot["techniques"].items()}
        self.v19: dict[str, dict] = successors

    def technique(self, tid: str) -> Technique | None:
        return self.techniques.get(tid.upper()) if isinstance(tid, str) else None

    def subtechniques(self, tid: str) -> list[Technique]:
        return [t for t in self.techniques.values() if t.parent == tid and not t.revoked and not t.deprecated]

    def v19_successor(self, tid: str) -> dict | None:
        return self.v19.get(tid)

    def tactic_by_name(self, name: str) -> Tactic | None:
        return next((t for t in self.tactics if t.name.lower() == str(name).lower()), None)


@lru_cache(maxsize=1)
def attack_data() -> AttackData:
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    successors = json.loads(V19_MAP.read_text(encoding="utf-8"))["successors"]
    return AttackData(snapshot, successors)
