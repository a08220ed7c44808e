"""One detection package -> the Markdown of its page (the seed page's sections, all shown).

Every package value goes through `tooling.site.escape`: `md_text`/`md_paragraphs` for Markdown
text, `h` for raw HTML, `fence` for code, `safe_url` for links. Fixed labels come from the
language registry and the bundled ATT&CK data.
"""
from __future__ import annotations

from typing import Any

from tooling.attack import attack_data
from tooling.languages import LANGUAGES
from tooling.languages.base import MAX_QUERY_CHARS
from tooling.site.catalog import CONFIDENCES, SEVERITIES, UNMAPPED, Catalog, Entry
from tooling.site.escape import (enum_value, fence, h, is_technique_id, md_code, md_paragraphs,
                                 md_text, safe_url, text_of, yaml_string)
from tooling.site.sigma import sigma_logsources, sigma_rule_texts
from tooling.site.testing import render_tests

# The Pygments lexer used for each language's code block (registered by tooling.site.lexers).
LEXER_ALIASES = {"kql": "dac-kql", "spl": "spl", "eql": "eql", "aql": "aql", "sumo": "sumo",
                 "yaral": "yaral", "logscale": "logscale"}

# The one-line goal ATT&CK gives each Enterprise tactic ("The adversary is trying to ...").
TACTIC_GOALS = {
    "Reconnaissance": "gather information they can use to plan future operations",
    "Resource Development": "establish resources they can use to support operations",
    "Initial Access": "get into your network",
    "Execution": "run malicious code",
    "Persistence": "maintain their foothold",
    "Privilege Escalation": "gain higher-level permissions",
    "Defense Evasion": "avoid being detected",
    "Credential Access": "steal account names and passwords",
    "Discovery": "figure out your environment",
    "Lateral Movement": "move through your environment",
    "Collection": "gather data of interest to their goal",
    "Command and Control": "communicate with compromised systems to control them",
    "Exfiltration": "steal data",
    "Impact": "manipulate, interrupt, or destroy your systems and data",
}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def attack_url(tid: str) -> str | None:
    """The canonical ATT&CK page of a valid technique id."""
    if not is_technique_id(tid):
        return None
    return "https://attack.mitre.org/techniques/" + tid.replace(".", "/") + "/"


def rel(from_entry: Entry, to_url: str) -> str:
    """A relative link from a package page (detections/<key>/) to a site-relative directory URL."""
    return "../../" + to_url


def badge(kind: str, value: str) -> str:
    return f'<span class="dac-badge dac-{kind} dac-{kind}--{value}">{kind}: {value}</span>'


def badges(entry: Entry) -> str:
    data = entry.data
    severity = enum_value(data.get("severity"), SEVERITIES)
    confidence = enum_value(data.get("confidence"), CONFIDENCES)
    return ('<p class="dac-badges">' + badge("severity", severity) + " " + badge("confidence", confidence)
            + " " + badge("status", entry.status) + "</p>")


def _tactic_links(entry: Entry) -> list[str]:
    data = attack_data()
    out = []
    for name in entry.tactics:
        tactic = data.tactic_by_name(name)
        anchor = tactic.shortname if tactic else "unmapped"
        out.append(f'<a href="../#{h(anchor)}">{h(name)}</a>')
    return out


def _attack_box(entry: Entry) -> str:
    attack = entry.attack
    tid = attack.get("technique") if is_technique_id(attack.get("technique")) else entry.id
    name = attack.get("name") or entry.title
    version = attack.get("version")
    known = attack_data().technique(tid) if tid else None
    successor = _dict(attack.get("v19_successor")) or (attack_data().v19_successor(tid) or {} if tid else {})
    rows = [("Tactic", ", ".join(_tactic_links(entry))),
            ("Technique", f"{h(tid or text_of(attack.get('technique')))} {h(name)}")]
    if known is None and tid:
        rows[-1] = (rows[-1][0], rows[-1][1] + " <em>(not in the bundled ATT&amp;CK data)</em>")
    rows.append(("ATT&amp;CK version", h(version) if version else "&mdash;"))
    url = attack_url(tid) if tid else None
    rows.append(("Canonical reference", f'<a href="{h(url)}">{h(url)}</a>' if url else "&mdash;"))
    if successor:
        sid = successor.get("id")
        surl = attack_url(sid) if is_technique_id(sid) else None
        label = f"{h(sid)} {h(successor.get('name'))}"
        rows.append(("ATT&amp;CK v19 successor", f'<a href="{h(surl)}">{label}</a>' if surl else label))
    body = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<div class="dac-attack">\n<p class="dac-attack__title">MITRE ATT&amp;CK</p>\n<dl>{body}</dl>\n</div>'


def _intro(entry: Entry) -> list[str]:
    data = entry.data
    tid = entry.id or entry.key
    tactics = [t for t in entry.tactics if t != UNMAPPED]
    lines = [f"## What is {md_text(tid)} {md_text(entry.title)}?", ""]
    if tactics:
        parts = []
        for name in tactics:
            goal = TACTIC_GOALS.get(name)
            parts.append(f"the {name} tactic" + (f" \u2014 the adversary is trying to {goal}" if goal else ""))
        lines.append(f"{md_text(entry.title)} \\({md_text(tid)}\\) maps to {'; and '.join(parts)} in MITRE ATT&amp;CK.")
    else:
        lines.append(f"{md_text(entry.title)} \\({md_text(tid)}\\) is not mapped to a tactic in the bundled "
                     "ATT&amp;CK data.")
    lines.append("")
    sources = ", ".join(md_text(s) for s in _list(data.get("data_sources")))
    severity = enum_value(data.get("severity"), SEVERITIES)
    confidence = enum_value(data.get("confidence"), CONFIDENCES)
    labels = ", ".join(info.label for info in LANGUAGES.values())
    lines.append(f"This page provides detection logic for {md_text(entry.title)}"
                 + (f", covering the data sources and telemetry it touches: {sources}." if sources else ".")
                 + f" The queries below are rated {severity} severity at {confidence} confidence, and ship for "
                 f"{len(LANGUAGES)} SIEM platforms \u2014 {labels}.")
    return lines


def _telemetry(entry: Entry) -> list[str]:
    data = entry.data
    lines = ["## Data sources and required telemetry", ""]
    sources = _list(data.get("data_sources"))
    if sources:
        lines += ["**Data sources**", ""] + [f"- {md_text(s)}" for s in sources] + [""]
    platforms = _list(data.get("platforms"))
    if platforms:
        lines += ["**Platforms:** " + ", ".join(md_code(p) for p in platforms), ""]
    telemetry = _dict(data.get("telemetry"))
    rows = []
    for key, info in LANGUAGES.items():
        items = telemetry.get(key)
        items = items if isinstance(items, list) else ([items] if items else [])
        cell = "<br>".join(f"<code>{h(i)}</code>" for i in items) or "&mdash;"
        rows.append(f"<tr><td>{h(info.platform)}</td><td>{h(info.label)}</td><td>{cell}</td></tr>")
    lines += ["<table>", "<thead><tr><th>Platform</th><th>Language</th><th>Required telemetry</th></tr></thead>",
              "<tbody>" + "".join(rows) + "</tbody>", "</table>", ""]
    return lines


def _queries(entry: Entry) -> list[str]:
    queries = _dict(entry.data.get("queries"))
    lines = ["## Detection queries", "",
             "The same detection, natively, for each platform. Use the copy button at the top right of a query.", ""]
    for key, info in LANGUAGES.items():
        lines += [f'=== "{info.label}"', ""]
        query = queries.get(key)
        lines += [f"    *{info.title} \u2014 {info.platform}*", ""]
        if isinstance(query, str) and len(query) > MAX_QUERY_CHARS:  # dac validate refuses it too (DAC302)
            lines += [f"    *This query is {len(query):,} characters long, over the bound of {MAX_QUERY_CHARS:,} "
                      "(DAC302); it is shown as plain text.*", "",
                      fence(query, "text", indent="    ")]
        elif isinstance(query, str) and query.strip():
            lines.append(fence(query, LEXER_ALIASES[key], indent="    "))
        else:
            lines.append("    No query for this platform yet.")
        lines.append("")
    return lines


def _false_positives(entry: Entry) -> list[str]:
    lines = ["## False positives", ""]
    items = _list(entry.data.get("false_positives"))
    if not items:
        return lines + ["None documented.", ""]
    for item in items:
        item = item if isinstance(item, dict) else {"description": item}
        lines.append(f"- {md_text(item.get('description'))}")
        if item.get("tuning"):
            lines.append(f"    - *Tuning:* {md_text(item.get('tuning'))}")
    return lines + [""]


def _sigma(entry: Entry) -> list[str]:
    labels = ", ".join(f"{info.label} ({info.platform})" for info in LANGUAGES.values())
    tid = entry.id or entry.key
    logsources = sigma_logsources(entry)
    rules = sigma_rule_texts(entry)
    several = len(rules) > 1
    lines = ["## Sigma rule and cross-platform mapping", "",
             f"The detection logic for {md_text(entry.title)} \\({md_text(tid)}\\) is also given in a "
             "vendor-neutral Sigma form, so that it can be deployed on any SIEM. The same logic ships above "
             f"as native queries for {md_text(labels)}. "]
    if several:
        lines[-1] += (f"In Sigma terms, it is {len(rules)} rules, one for each kind of event it reads; an event is "
                      "detected when any of them matches it. They target the following logsources:")
    else:
        lines[-1] += "In Sigma terms, this detection targets the following logsource:"
    lines += ["", fence("---\n".join(logsources) or "logsource: {}\n", "dac-yaml"), ""]
    if several:
        lines += ["The complete Sigma rules, as `dac export sigma` writes them (one file each):", ""]
        for number, (title, text) in enumerate(rules, 1):
            lines += [f'=== "Rule {number}"', "", f"    *{md_text(title)}*" if title else "    *(untitled)*", "",
                      fence(text, "dac-yaml", indent="    "), ""]
    else:
        lines += ["The complete Sigma rule, as `dac export sigma` writes it:", "",
                  fence(rules[0][1] if rules else "", "dac-yaml"), ""]
    if entry.id:
        search = ("https://github.com/search?type=code&q=repo%3ASigmaHQ%2Fsigma+attack."
                  + entry.id.lower())
        lines += [f'Browse the community-maintained [Sigma rules for this technique]({search}).', ""]
    return lines


def _references(entry: Entry) -> list[str]:
    refs = _list(entry.data.get("references"))
    lines = [f"## References ({len(refs)})", ""]
    if not refs:
        return lines + ["None.", ""]
    items = []
    for ref in refs:
        url = safe_url(ref)
        if url:
            items.append(f'<li><a href="{h(url)}">{h(ref)}</a></li>')
        else:
            items.append(f"<li><code>{h(ref)}</code> <em>(not an http(s) link)</em></li>")
    return lines + ['<ul class="dac-references">' + "".join(items) + "</ul>", ""]


def _subtechniques(entry: Entry, catalog: Catalog) -> list[str]:
    if not entry.id:
        return []
    data = attack_data()
    if entry.parent_id:
        parent = catalog.get(entry.parent_id)
        known = data.technique(entry.parent_id)
        name = md_text(known.name) if known else ""
        lines = ["## Parent technique", ""]
        if parent:
            lines.append(f"- [{entry.parent_id} {name}]({rel(entry, parent.url)}index.md)")
        else:
            lines.append(f"- {entry.parent_id} {name} *(no package yet)*")
        return lines + [""]
    subs = sorted(data.subtechniques(entry.id), key=lambda t: t.id)
    if not subs:
        return []
    covered = sum(1 for s in subs if catalog.get(s.id))
    lines = [f"## Sub-techniques ({len(subs)})", "",
             f"{covered} of {len(subs)} sub-techniques have a detection package.", ""]
    for sub in subs:
        target = catalog.get(sub.id)
        if target:
            lines.append(f"- [{sub.id} {md_text(sub.name)}]({rel(entry, target.url)}index.md)")
        else:
            lines.append(f"- {sub.id} {md_text(sub.name)} *(no package yet)*")
    return lines + [""]


MAX_RELATED = 20


def _related(entry: Entry, catalog: Catalog) -> list[str]:
    lines = ["## Related detections", ""]
    seen = {entry.key}
    items = []
    for item in _list(entry.data.get("related")):
        item = _dict(item)
        target = catalog.get(item.get("id"))
        reason = f" \u2014 {md_text(item.get('reason'))}" if item.get("reason") else ""
        if target and target.key not in seen:
            seen.add(target.key)
            items.append(f"- [{target.key} {md_text(target.title)}]({rel(entry, target.url)}index.md){reason}")
        elif not target and item.get("id"):
            items.append(f"- {md_text(item.get('id'))} *(no package)*{reason}")
    family = entry.parent_id or entry.id
    if family:
        for other in catalog.family(family):
            if len(items) >= MAX_RELATED:
                break
            if other.key not in seen:
                seen.add(other.key)
                items.append(f"- [{other.key} {md_text(other.title)}]({rel(entry, other.url)}index.md)")
    if not items:
        items.append("- None yet.")
    tactics = ", ".join(_tactic_links(entry))
    return lines + items + ["", f'<p class="dac-hub-link">Tactic hub: {tactics}</p>', ""]


def render_package(entry: Entry, catalog: Catalog) -> str:
    data = entry.data
    tid = entry.id or entry.key
    title = f"{tid} {entry.title}"
    lines = ["---", f"title: {yaml_string(h(title))}", "---", "",
             f"# {md_text(tid)} {md_text(entry.title)}", "", badges(entry), "",
             md_paragraphs(data.get("summary")), ""]
    lines += _intro(entry) + [""]
    lines += [_attack_box(entry), ""]
    lines += _telemetry(entry)
    lines += _queries(entry)
    lines += ["## Description", "", md_paragraphs(data.get("description")) or "None.", ""]
    lines += _false_positives(entry)
    lines += _sigma(entry)
    lines += _references(entry)
    lines += render_tests(entry)
    lines += _subtechniques(entry, catalog)
    lines += _related(entry, catalog)
    author = data.get("author")
    authors = ", ".join(md_text(a) for a in (author if isinstance(author, list) else [author]) if a)
    meta = [f"Author: {authors}" if authors else "",
            f"created {md_text(data.get('created'))}" if data.get("created") else "",
            f"modified {md_text(data.get('modified'))}" if data.get("modified") else ""]
    lines += ["---", "", "*" + " \u00b7 ".join(m for m in meta if m) + "*" if any(meta) else "", ""]
    return "\n".join(lines)
