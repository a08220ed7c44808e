"""Coverage as an ATT&CK Navigator layer (layer format 4.5).

One technique entry per package and tactic, scored by the package's maturity so the matrix
shows at a glance what is covered in production (stable), being tried (test), new
(experimental) or retired (deprecated, shown disabled). Each entry links to the package's page.
"""
from __future__ import annotations

from tooling.attack import attack_data
from tooling.export import STATUSES, attack_url, page_url, tactic_shortnames, text
from tooling.languages import LANGUAGES
from tooling.package import Package

LAYER_FORMAT = "4.5"
NAVIGATOR_VERSION = "5.1.0"  # the Navigator release the layer was checked against (format 4.5)
DOMAIN = "enterprise-attack"

# Maturity -> score; the gradient runs over the same range so a score alone also colours a cell.
STATUS_SCORES = {"stable": 100, "test": 75, "experimental": 50, "deprecated": 0}
# Explicit colours per status: the legend then matches the cells exactly.
STATUS_COLORS = {"stable": "#31a354", "test": "#a1d99b", "experimental": "#fed976", "deprecated": "#bdbdbd"}
UNKNOWN_STATUS_SCORE = 25  # a package whose status is missing or invalid still shows as covered
UNKNOWN_STATUS_COLOR = "#fd8d3c"


def _entry(package: Package, tactic: str | None) -> dict:
    data = package.data
    status = data.get("status") if data.get("status") in STATUSES else None
    title = text(data.get("title")) or package.id
    languages = [key for key in LANGUAGES if isinstance(data.get("queries"), dict) and data["queries"].get(key)]
    metadata = [
        {"name": "package", "value": f"{package.id} {title}"},
        {"name": "status", "value": status or "unknown"},
        {"name": "severity", "value": text(data.get("severity")) or "unknown"},
        {"name": "confidence", "value": text(data.get("confidence")) or "unknown"},
        {"name": "platforms", "value": text(data.get("platforms")) or "unknown"},
        {"name": "queries", "value": ", ".join(languages) or "none"},
        {"name": "modified", "value": text(data.get("modified")) or "unknown"},
    ]
    entry: dict = {"techniqueID": package.id}
    if tactic:
        entry["tactic"] = tactic
    entry.update({
        "score": STATUS_SCORES[status] if status else UNKNOWN_STATUS_SCORE,
        "color": STATUS_COLORS[status] if status else UNKNOWN_STATUS_COLOR,
        "comment": f"{title} ({status or 'unknown status'}, severity {text(data.get('severity')) or 'unknown'})",
        "enabled": status != "deprecated",
        "metadata": metadata,
        "links": [{"label": "Detection package", "url": page_url(package.id)},
                  {"label": "ATT&CK technique", "url": attack_url(package.id)}],
    })
    return entry


def navigator_layer(packages: list[Package], name: str = "Detection coverage") -> dict:
    """The layer for `packages` as a JSON-ready dict."""
    attack = attack_data()
    entries: dict[tuple[str, str | None], dict] = {}
    for package in packages:
        # Without a known tactic the entry applies to every tactic of the technique (no `tactic`).
        for tactic in tactic_shortnames(package.data) or [None]:
            entry = _entry(package, tactic)
            key = (package.id, tactic)
            # Two packages for one technique (reported by `dac validate`): show the more mature.
            if key not in entries or entry["score"] > entries[key]["score"]:
                entries[key] = entry
    covered_parents = {p.id.split(".")[0] for p in packages if "." in p.id}
    for (technique_id, _), entry in entries.items():
        if technique_id in covered_parents:
            entry["showSubtechniques"] = True  # open the parent so covered sub-techniques are seen
    counts = {status: sum(1 for p in packages if p.data.get("status") == status) for status in STATUSES}
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    return {
        "name": name,
        "versions": {"attack": attack.version.split(".")[0], "navigator": NAVIGATOR_VERSION, "layer": LAYER_FORMAT},
        "domain": DOMAIN,
        "description": f"{len(packages)} detection package{'s' if len(packages) != 1 else ''}"
                       f"{' (' + summary + ')' if summary else ''}, scored by status: "
                       + ", ".join(f"{s} {STATUS_SCORES[s]}" for s in ("stable", "test", "experimental", "deprecated"))
                       + f". ATT&CK Enterprise v{attack.version}.",
        "sorting": 3,  # highest score first within each tactic
        "layout": {"layout": "side", "showID": True, "showName": True, "expandedSubtechniques": "annotated"},
        "hideDisabled": False,
        "techniques": [entries[key] for key in sorted(entries, key=lambda k: (k[0], k[1] or ""))],
        "gradient": {"colors": [STATUS_COLORS["deprecated"], STATUS_COLORS["experimental"], STATUS_COLORS["stable"]],
                     "minValue": 0, "maxValue": 100},
        "legendItems": [{"label": status, "color": STATUS_COLORS[status]} for status in STATUSES],
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
        "metadata": [{"name": "generated by", "value": "dac export navigator"}],
    }
