"""ATT&CK mapping checks against the bundled data: id, name, tactics, parent, deprecation, v19."""
from __future__ import annotations

from typing import Iterator

from tooling.attack import attack_data
from tooling.diagnostics import Diagnostic
from tooling.package import Package


def check_attack(package: Package) -> Iterator[Diagnostic]:
    data = attack_data()
    attack = package.data.get("attack")
    if not isinstance(attack, dict):
        return  # the schema check reports it
    pid = package.id
    tid = attack.get("technique")
    if not isinstance(tid, str):
        return
    where = ("attack", "technique")
    if pid and tid != pid:
        line, column = package.position(where)
        yield Diagnostic("DAC201", f"attack.technique {tid} is not the package id {pid}", line, column)
    technique = data.technique(tid)
    if technique is None:
        line, column = package.position(("id",) if pid == tid else where)
        yield Diagnostic("DAC201", f"{tid} is not a technique in ATT&CK Enterprise v{data.version}", line, column)
        return
    version = attack.get("version")
    if isinstance(version, str) and version != data.version:
        line, column = package.position(("attack", "version"))
        yield Diagnostic("DAC207", f"the mapping says ATT&CK v{version}; checks use the bundled v{data.version}",
                         line, column)
    if technique.revoked or technique.deprecated:
        line, column = package.position(where)
        successor = f"; use {technique.revoked_by} ({data.technique(technique.revoked_by).name})" \
            if technique.revoked_by and data.technique(technique.revoked_by) else ""
        state = "revoked" if technique.revoked else "deprecated"
        yield Diagnostic("DAC205", f"{tid} ({technique.name}) is {state} in ATT&CK{successor}", line, column)
    name = attack.get("name")
    if isinstance(name, str) and name != technique.name:
        line, column = package.position(("attack", "name"))
        yield Diagnostic("DAC202", f"ATT&CK calls {tid} {technique.name!r}, not {name!r}", line, column)
    tactics = attack.get("tactics")
    for index, tactic in enumerate(tactics if isinstance(tactics, list) else []):
        if isinstance(tactic, str) and tactic not in technique.tactics:
            line, column = package.position(("attack", "tactics", index))
            yield Diagnostic("DAC203", f"{tid} is not in tactic {tactic!r}; its tactics: "
                                       f"{', '.join(technique.tactics)}", line, column)
    yield from _check_parent(package, attack, technique)
    yield from _check_v19(package, attack, tid)


def _check_parent(package: Package, attack: dict, technique) -> Iterator[Diagnostic]:
    parent = attack.get("parent")
    if technique.parent and parent != technique.parent:
        line, column = package.position(("attack", "parent") if parent else ("attack",))
        found = f"says {parent}" if parent else "does not name it"
        yield Diagnostic("DAC204", f"{technique.id} is a sub-technique of {technique.parent}; attack.parent {found}",
                         line, column)
    elif not technique.parent and parent:
        line, column = package.position(("attack", "parent"))
        yield Diagnostic("DAC204", f"{technique.id} is a technique, not a sub-technique; remove attack.parent",
                         line, column)


def _check_v19(package: Package, attack: dict, tid: str) -> Iterator[Diagnostic]:
    """Every package on a renumbered id says so (information), so the migration is visible."""
    successor = attack_data().v19_successor(tid)
    if successor is None:
        return
    recorded = attack.get("v19_successor")
    line, column = package.position(("attack", "technique"))
    becomes = f"ATT&CK v19 renumbers {tid} as {successor['id']} {successor['name']}"
    if isinstance(recorded, dict) and recorded.get("id") == successor["id"]:
        yield Diagnostic("DAC206", f"{becomes} (recorded in attack.v19_successor)", line, column)
    elif isinstance(recorded, dict):
        line, column = package.position(("attack", "v19_successor", "id"))
        yield Diagnostic("DAC206", f"{becomes}, not {recorded.get('id')}; correct attack.v19_successor",
                         line, column)
    else:
        yield Diagnostic("DAC206", f"{becomes}; record it as attack.v19_successor", line, column)
