"""The "Testing methodology" section of a package page: each test's procedure (Atomic Red Team
test link and GUID, or manual steps), expected signal, and sample events as tables."""
from __future__ import annotations

from typing import Any

from tooling.site.catalog import Entry
from tooling.site.escape import fence, h, is_guid, is_technique_id, md_code, md_paragraphs, md_text, text_of

ATOMIC_URL = "https://github.com/redcanaryco/atomic-red-team/blob/master/atomics/{t}/{t}.md"
MAX_COLUMNS = 8  # wider samples are shown as YAML code instead of a table


def atomic_url(technique: Any) -> str | None:
    return ATOMIC_URL.format(t=technique) if is_technique_id(technique) else None


# Tables are written as raw HTML (every value through `h`): Markdown would re-scan each cell for
# inline syntax, which is most of the time spent on a test section.
def _cell(value: Any) -> str:
    if isinstance(value, list):
        return "<br>".join(f"<code>{h(v)}</code>" for v in value) or "&mdash;"
    if value is None:
        return "<em>null</em>"
    text = h(value)
    return f"<code>{text}</code>" if text else "&mdash;"


def _table(header: list[str], rows: list, css_class: str = "") -> str:
    """An HTML table; a row is a list of cells, or a text spanning the whole row."""
    head = "".join(f"<th>{c}</th>" for c in header)
    body = "".join(f'<tr><td colspan="{len(header)}">{row}</td></tr>' if isinstance(row, str)
                   else "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    opening = f'<table class="{css_class}">' if css_class else "<table>"
    return f"{opening}\n<thead><tr>{head}</tr></thead>\n<tbody>{body}</tbody>\n</table>"


def _samples_table(events: list) -> list[str]:
    events = [e for e in events if isinstance(e, dict) and e]
    if not events:
        return ["*None.*", ""]
    columns: list[str] = []
    for event in events:
        for key in event:
            if key not in columns:
                columns.append(key)
    if len(columns) > MAX_COLUMNS:
        import yaml
        text = yaml.safe_dump([{text_of(k): v for k, v in e.items()} for e in events], sort_keys=False,
                              allow_unicode=True, default_flow_style=False)
        return [fence(text, "dac-yaml"), ""]
    rows = [[_cell(event.get(c)) if c in event else "&mdash;" for c in columns] for event in events]
    return [_table([h(c) for c in columns], rows), ""]


def _procedure(procedure: Any) -> list[str]:
    if not isinstance(procedure, dict):
        return ["**Procedure:** not given.", ""]
    lines = []
    technique = procedure.get("atomic_technique")
    guid = procedure.get("atomic_guid")
    name = procedure.get("atomic_name")
    url = atomic_url(technique)
    if guid or technique or name:
        parts = ["**Procedure:** Atomic Red Team"]
        if url:
            parts.append(f"[{technique}]({url})")
        elif technique:
            parts.append(md_code(technique))
        if name:
            parts.append(f"\u201c{md_text(name)}\u201d")
        lines.append(" ".join(parts))
        if guid:
            lines += ["", f"Atomic test GUID: {md_code(guid)}" + ("" if is_guid(guid) else " *(not a valid GUID)*")]
        lines.append("")
    if procedure.get("manual"):
        lines += ["**Manual steps:**", "", md_paragraphs(procedure.get("manual")), ""]
    return lines or ["**Procedure:** not given.", ""]


def _signal(signals: Any) -> list[str]:
    signals = [s for s in signals if isinstance(s, dict)] if isinstance(signals, list) else []
    if not signals:
        return ["**Expected signal:** not given.", ""]
    rows = [[h(s.get("source")), _cell(s.get("event_id")) if s.get("event_id") is not None else "&mdash;",
             h(s.get("description"))] for s in signals]
    return ["**Expected signal:**", "", _table(["Source", "Event ID", "Description"], rows), ""]


VERDICT_MARKS = {True: ("✓", "agrees"), False: ("✗", "disagrees"), None: ("·", "not evaluated"),
                 "declared": ("–", "not covered")}


def _verdict_matrix(entry: Entry) -> list[str]:
    """Samples x (Sigma and the seven languages): what `dac test` gives, as on the command line."""
    from tooling.languages import LANGUAGES

    results = entry.results
    if not results:
        return []
    columns = ["sigma", *LANGUAGES]
    labels = {"sigma": "Sigma", **{k: info.label for k, info in LANGUAGES.items()}}
    rows: dict[tuple[str, str], dict] = {}
    for result in results:
        rows.setdefault((result.test, result.sample), {})[result.language] = result
    body = []
    current = None
    for (test, sample), cells in rows.items():
        if test != current:  # the test's name once, across the table, then its samples
            current = test
            body.append(f"<strong>{h(test)}</strong>")
        row = [f"<code>{h(sample)}</code>"]
        for column in columns:
            result = cells.get(column)
            if result is None:
                row.append("&mdash;")
                continue
            mark, word = VERDICT_MARKS["declared" if result.declared
                                       else None if result.verdict is None else result.agrees]
            title = f"{labels[column]}: {word}" + (f" ({result.reason})" if result.reason else "")
            row.append(f'<span class="dac-verdict dac-verdict--{word.replace(" ", "-")}" title="{h(title)}">'
                       f"{mark}</span>")
        body.append(row)
    proven = len(entry.proven)
    return ["### Verdicts on the samples", "",
            f"`dac test` runs the Sigma form and each native query on every sample, rendered into the platform's "
            f"own event shape: ✓ agrees with the test, ✗ disagrees, · not evaluated, – declared not covered by "
            f"that platform (hover for the reason). "
            f"**{proven} of {len(LANGUAGES)}** native queries agree with every sample.", "",
            _table(["Sample"] + [h(labels[c]) for c in columns], body, "dac-verdicts"), ""]


def render_tests(entry: Entry) -> list[str]:
    tests = entry.data.get("tests")
    tests = [t for t in tests if isinstance(t, dict)] if isinstance(tests, list) else []
    lines = ["## Testing methodology", ""]
    if not tests:
        return lines + ["No tests yet.", ""] + _not_covered(entry.data.get("tests_not_covered"))
    lines += [f"Validate this detection with {len(tests)} test{'s' if len(tests) != 1 else ''}. Each lists the "
              "procedure to run, the telemetry it should produce, and sample events that must (and must not) "
              "match; `dac test` runs every sample through the Sigma detection and each of the seven queries. "
              "Atomic Red Team tests are referenced by GUID, which stays stable across ATT&amp;CK renumbering.", ""]
    lines += _verdict_matrix(entry)
    for number, test in enumerate(tests, 1):
        lines += [f"### Test {number}: {md_text(test.get('name'))}", ""]
        lines += _procedure(test.get("procedure"))
        lines += _signal(test.get("expected_signal"))
        samples = test.get("samples") if isinstance(test.get("samples"), dict) else {}
        lines += ["**Sample events that should match:**", ""] + _samples_table(_as_list(samples.get("match")))
        lines += ["**Sample events that should not match:**", ""] + _samples_table(_as_list(samples.get("no_match")))
    return lines + _not_covered(entry.data.get("tests_not_covered"))


def _not_covered(entries: Any) -> list[str]:
    """The Atomic tests of the technique that the package leaves out, each with its reason."""
    entries = [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    if not entries:
        return []
    rows = []
    for e in entries:
        technique, guid = e.get("atomic_technique"), e.get("atomic_guid")
        url = atomic_url(technique)
        where = f'<a href="{h(url)}">{h(technique)}</a>' if url else _cell(technique)
        rows.append([f"{h(e.get('atomic_name'))}<br><code>{h(guid)}</code>", where, h(e.get("reason"))])
    count = len(entries)
    return ["### Atomic tests not covered", "",
            f"{count} Atomic Red Team test{'s' if count != 1 else ''} of the technique on this package's platforms "
            f"{'are' if count != 1 else 'is'} not covered by this detection, for the reason given.", "",
            _table(["Atomic test", "Technique", "Reason"], rows), ""]


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else []
