"""Build the bundled ATT&CK snapshot from a MITRE ATT&CK STIX 2.x bundle (enterprise-attack.json).

`dac attack update --stix FILE` runs `snapshot_from_bundle` and writes the result over the
bundled snapshot. Only facts the checks and the site use are kept, so the snapshot stays small.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tooling.files import write_text_atomic


class StixError(ValueError):
    pass


MAX_DEPTH = 64  # a STIX bundle nests five levels deep; where json gives up, say where the nesting went on


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep(text: str) -> int | None:
    """The offset of the first bracket nested deeper than MAX_DEPTH (strings skipped), or None."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return match.start()
        elif token in "]}":
            depth -= 1
    return None


def load_bundle(stix_file: Path) -> Any:
    """The parsed JSON of `stix_file`; StixError names the file and, where known, line:column."""
    try:
        text = stix_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StixError(f"cannot read {stix_file}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise StixError(f"cannot read {stix_file}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise StixError(f"{stix_file}:{exc.lineno}:{exc.colno}: cannot read: invalid JSON: {exc.msg}") from None
    except RecursionError:
        # Only now look for where (the scan costs a second on a real 40 MB bundle).
        deep = _too_deep(text)
        where = f":{_position(text, deep)}" if deep is not None else ""
        raise StixError(f"{stix_file}{where}: cannot read: JSON nested too deeply (more than {MAX_DEPTH} levels); "
                        f"not an ATT&CK STIX bundle") from None
    except (MemoryError, ValueError) as exc:  # ValueError: e.g. an integer too long to convert
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StixError(f"{stix_file}: cannot parse the JSON: {reason}") from None


def _where(index: int, obj: Any) -> str:
    ident = obj.get("id") if isinstance(obj, dict) else None
    return f"objects[{index}]" + (f" ({ident})" if isinstance(ident, str) else "")


def _check_shape(objects: list) -> None:
    """Every field the import reads has the type STIX gives it, or StixError says which object."""
    strings = ("type", "id", "name", "x_mitre_shortname", "x_mitre_version", "description", "source_ref",
               "target_ref", "relationship_type")
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict):
            raise StixError(f"{_where(index, obj)}: expected a JSON object, found {type(obj).__name__}")
        for key in strings:
            if obj.get(key) is not None and not isinstance(obj[key], str):
                raise StixError(f"{_where(index, obj)}: '{key}' should be a string, found {type(obj[key]).__name__}")
        for key, item_type in (("external_references", dict), ("kill_chain_phases", dict), ("tactic_refs", str),
                               ("x_mitre_platforms", str)):
            value = obj.get(key)
            if value is None:
                continue
            if not isinstance(value, list) or not all(isinstance(v, item_type) for v in value):
                raise StixError(f"{_where(index, obj)}: '{key}' should be a list of "
                                f"{'objects' if item_type is dict else 'strings'}")
            for entry in value if item_type is dict else ():
                bad = next((k for k, v in entry.items() if v is not None and not isinstance(v, (str, int, bool))
                            and k in ("source_name", "external_id", "url", "kill_chain_name", "phase_name")), None)
                if bad:
                    raise StixError(f"{_where(index, obj)}: '{key}.{bad}' should be a string")
        if obj.get("type") == "attack-pattern" and not isinstance(obj.get("id"), str):
            raise StixError(f"{_where(index, obj)}: an attack-pattern without a string 'id'")


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
    _check_shape(objects)
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
    bundle = load_bundle(stix_file)
    try:
        snapshot = snapshot_from_bundle(bundle)
    except StixError as exc:
        raise StixError(f"{stix_file}: {exc}") from None
    if version:
        snapshot["attack_version"] = version
    write_text_atomic(out, json.dumps(snapshot, indent=1, ensure_ascii=False) + "\n")  # OSError: the caller's
    return snapshot
