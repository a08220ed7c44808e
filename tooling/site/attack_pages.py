"""The tactic hub (packages grouped by tactic) and the ATT&CK coverage matrix.

The matrix shows every technique of the bundled ATT&CK data, tactics as columns; each cell is
coloured by whether a package exists and its status. Sub-techniques sit under their parent in a
collapsed <details> element, so the page stays compact (one line per technique).
"""
from __future__ import annotations

from tooling.attack import Technique, attack_data
from tooling.languages import LANGUAGES
from tooling.site.catalog import SEVERITIES, STATUSES, UNMAPPED, Catalog, Entry
from tooling.site.escape import enum_value, h, md_text

LEGEND = (("none", "no package"),) + tuple((s, s) for s in STATUSES)


def _row(entry: Entry, prefix: str) -> str:
    severity = enum_value(entry.data.get("severity"), SEVERITIES)
    return (f"| [{md_text(entry.key)}]({prefix}{entry.key}/index.md) | {md_text(entry.title)} | "
            f"{severity} | {entry.status} | {len(entry.proven)}/{len(LANGUAGES)} |")


def render_hub(catalog: Catalog) -> str:
    data = attack_data()
    groups = catalog.by_tactic()
    total = len(catalog.entries)
    lines = ["---", 'title: "Tactic hub"', "---", "", "# Tactic hub", "",
             f"{total} detection package{'s' if total != 1 else ''}, grouped by ATT&amp;CK tactic "
             f"(ATT&amp;CK Enterprise {data.version}). A package mapped to several tactics is listed under each. "
             "See the [coverage matrix](matrix/index.md) for every technique at a glance.", ""]
    lines += ["| Tactic | Packages | Techniques in ATT&amp;CK |", "|---|---|---|"]
    counts = _technique_counts()
    for tactic in data.tactics:
        lines.append(f"| [{tactic.name}](#{tactic.shortname}) | {len(groups.get(tactic.name, []))} | "
                     f"{counts.get(tactic.name, 0)} |")
    if groups.get(UNMAPPED):
        lines.append(f"| [{UNMAPPED}](#unmapped) | {len(groups[UNMAPPED])} | &mdash; |")
    lines.append("")
    sections = [(t.name, t.shortname, t.id) for t in data.tactics]
    if groups.get(UNMAPPED):
        sections.append((UNMAPPED, "unmapped", ""))
    for name, anchor, tactic_id in sections:
        entries = groups.get(name, [])
        lines += [f"## {name} {{ #{anchor} }}", ""]
        if tactic_id:
            lines += [f"ATT&amp;CK tactic [{tactic_id}](https://attack.mitre.org/tactics/{tactic_id}/).", ""]
        if not entries:
            lines += ["No packages yet.", ""]
            continue
        lines += ["| Package | Title | Severity | Status | Queries proven on samples |", "|---|---|---|---|---|"]
        lines += [_row(e, "") for e in sorted(entries, key=lambda e: e.key)] + [""]
    return "\n".join(lines)


def _technique_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for technique in _live_techniques():
        if technique.parent is None:
            for tactic in technique.tactics:
                counts[tactic] = counts.get(tactic, 0) + 1
    return counts


def _live_techniques() -> list[Technique]:
    return [t for t in attack_data().techniques.values() if not t.revoked and not t.deprecated]


def _cell_class(catalog: Catalog, tid: str) -> str:
    entry = catalog.get(tid)
    return f"dac-cov--{entry.status}" if entry else "dac-cov--none"


def _technique_cell(catalog: Catalog, technique: Technique, subs: list[Technique]) -> str:
    def label(t: Technique) -> str:
        entry = catalog.get(t.id)
        text = f'<span class="dac-tid">{h(t.id)}</span> {h(t.name)}'
        if entry:
            title = f"{entry.status}; {len(entry.proven)}/{len(LANGUAGES)} queries proven on samples"
            return f'<a href="../{h(entry.key)}/" title="{h(title)}">{text}</a>'
        return text

    own = _cell_class(catalog, technique.id)
    if not subs:
        return f'<li class="dac-cov {own}">{label(technique)}</li>'
    covered = sum(1 for s in subs if catalog.get(s.id))
    inner = "".join(f'<li class="dac-cov {_cell_class(catalog, s.id)}">{label(s)}</li>' for s in subs)
    marker = f'<span class="dac-subcount">{covered}/{len(subs)}</span>'
    return (f'<li class="dac-cov {own}"><details><summary>{label(technique)} {marker}</summary>'
            f'<ul class="dac-subs">{inner}</ul></details></li>')


def render_matrix(catalog: Catalog) -> str:
    data = attack_data()
    live = _live_techniques()
    subs: dict[str, list[Technique]] = {}
    for t in live:
        if t.parent:
            subs.setdefault(t.parent, []).append(t)
    parents = sorted((t for t in live if t.parent is None), key=lambda t: t.name.lower())
    covered_ids = {e.id for e in catalog.entries if e.id}
    known_ids = {t.id for t in live}
    lines = ["---", 'title: "ATT&CK coverage matrix"', "hide:", "  - navigation", "  - toc", "---", "",
             "# ATT&amp;CK coverage matrix", "",
             f"Every technique of ATT&amp;CK Enterprise {data.version} ({len(parents)} techniques, "
             f"{len(live) - len(parents)} sub-techniques), by tactic. "
             f"{len(covered_ids & known_ids)} of them have a detection package. Open a technique to see its "
             "sub-techniques; covered ones link to their package.", ""]
    legend = "".join(f'<span class="dac-cov {"dac-cov--" + key}">{label}</span>' for key, label in LEGEND)
    lines += [f'<p class="dac-legend">{legend}</p>', ""]
    columns = []
    for tactic in data.tactics:
        in_tactic = [t for t in parents if tactic.name in t.tactics]
        covered = sum(1 for t in in_tactic if catalog.get(t.id))
        cells = "".join(_technique_cell(catalog, t, sorted(subs.get(t.id, []), key=lambda s: s.id))
                        for t in in_tactic)
        columns.append(f'<div class="dac-matrix__col" data-tactic="{h(tactic.shortname)}">'
                       f'<p class="dac-matrix__head">{h(tactic.name)}<br><small>{covered}/{len(in_tactic)}'
                       f'</small></p><ul>{cells}</ul></div>')
    lines += ['<div class="dac-matrix">' + "".join(columns) + "</div>", ""]
    outside = sorted(e.key for e in catalog.entries if not e.id or e.id not in known_ids)
    if outside:
        links = ", ".join(f"[{md_text(k)}](../{k}/index.md)" for k in outside)
        lines += ["## Packages outside the bundled ATT&amp;CK data", "", links, ""]
    return "\n".join(lines)
