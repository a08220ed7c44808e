"""Build the bundled ATT&CK snapshot from a MITRE ATT&CK STIX 2.x bundle (enterprise-attack.json).

`dac attack update --stix FILE` runs `snapshot_from_bundle` and writes the result over the
bundled snapshot. Only facts the checks and the site use are kept, so the snapshot stays small.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any


class StixError(ValueError):
    pass


def _external_id(obj: dict) -> str | None:
    for ref in obj.get("external_references", []):
        if ref.get("source_name") == "mitre-attack" and ref.get("external_id"):
            return ref["external_id"]
    return None


def _url(obj: dict) -> str | None:
    for ref in obj.get("external_references", []):
        if ref.get("source_name") == "mitre-attack":
            return ref.get("url")
    return None


def first_paragraph(description: str) -> str:
    """The opening paragraph, without citations, cut at a whole sentence if it was truncated."""
    text = re.sub(r"\(Citation:[^)]*\)", "", description or "").split("\n\n")[0].strip()
    text = re.sub(r"\s+", " ", text)
    if text.endswith("..."):
        end = text.rfind(". ", 0, len(text) - 3)
        text = text[: end + 1] if end > 0 else text[:-3]
    return text


def snapshot_from_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(bundle, dict) or not isinstance(bundle.get("objects"), list):
        raise StixError("not a STIX bundle: no 'objects' list")
    objects = bundle["objects"]
    tactics = []
    by_shortname = {}
    version = None
    matrix_order: list[str] = []  # the matrix lists tactics in kill-chain order
    for obj in objects:
        if obj.get("type") == "x-mitre-tactic" and not obj.get("revoked") and not obj.get("x_mitre_deprecated"):
            tactic = {"id": _external_id(obj), "name": obj.get("name"), "shortname": obj.get("x_mitre_shortname"),
                      "stix": obj.get("id")}
            tactics.append(tactic)
            by_shortname[tactic["shortname"]] = tactic["name"]
        if obj.get("type") == "x-mitre-collection":
            version = obj.get("x_mitre_version") or version
        if obj.get("type") == "x-mitre-matrix" and obj.get("tactic_refs") and not matrix_order:
            matrix_order = obj["tactic_refs"]
    stix_to_id: dict[str, str] = {}
    techniques: dict[str, dict] = {}
    for obj in objects:
        if obj.get("type") != "attack-pattern":
            continue
        tid = _external_id(obj)
        if not tid or not re.fullmatch(r"T\d{4}(\.\d{3})?", tid):
            continue
        stix_to_id[obj["id"]] = tid
        phases = [p.get("phase_name") for p in obj.get("kill_chain_phases", [])
                  if p.get("kill_chain_name") == "mitre-attack"]
        techniques[tid] = {
            "name": obj.get("name"),
            "tactics": [by_shortname.get(p, p) for p in phases],
            "parent": tid.split(".")[0] if "." in tid else None,
            "platforms": obj.get("x_mitre_platforms", []),
            "deprecated": bool(obj.get("x_mitre_deprecated")),
            "revoked": bool(obj.get("revoked")),
            "revoked_by": None,
            "url": _url(obj) or f"https://attack.mitre.org/techniques/{tid.replace('.', '/')}/",
            "description": first_paragraph(obj.get("description", "")),
        }
    for obj in objects:
        if obj.get("type") == "relationship" and obj.get("relationship_type") == "revoked-by":
            source, target = stix_to_id.get(obj.get("source_ref")), stix_to_id.get(obj.get("target_ref"))
            if source in techniques and target:
                techniques[source]["revoked_by"] = target
    if not techniques:
        raise StixError("the bundle has no ATT&CK techniques (attack-pattern objects with mitre-attack ids)")
    rank = {ref: i for i, ref in enumerate(matrix_order)}
    tactics.sort(key=lambda t: (rank.get(t.pop("stix"), len(rank)), t["id"] or ""))
    return {
        "attack_version": str(bundle.get("x_mitre_version") or version or "unknown"),
        "tactics": tactics,
        "techniques": dict(sorted(techniques.items())),
    }


def update_snapshot(stix_file: Path, out: Path, version: str | None = None) -> dict[str, Any]:
    try:
        bundle = json.loads(stix_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StixError(f"cannot read {stix_file}: {exc}") from exc
    snapshot = snapshot_from_bundle(bundle)
    if version:
        snapshot["attack_version"] = version
    out.write_text(json.dumps(snapshot, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return snapshot
