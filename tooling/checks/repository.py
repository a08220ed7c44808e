"""Checks across packages: unique ids and titles, related detections that exist."""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Iterator

from tooling.diagnostics import Diagnostic
from tooling.package import Package


def check_repository(packages: list[Package], known_ids: Iterable[str]) -> Iterator[tuple[Package, Diagnostic]]:
    """Yields (package, diagnostic) so suppressions of the package can apply."""
    by_id: dict[str, list[Package]] = defaultdict(list)
    by_title: dict[str, list[Package]] = defaultdict(list)
    for package in packages:
        if package.id:
            by_id[package.id].append(package)
        title = package.data.get("title")
        if isinstance(title, str):
            by_title[title.strip().lower()].append(package)
    for pid, group in by_id.items():
        for package in group[1:]:
            line, column = package.position(("id",))
            yield package, Diagnostic("DAC601", f"id {pid} is also used by {group[0].display_path}", line, column)
    for group in by_title.values():
        for package in group[1:]:
            line, column = package.position(("title",))
            yield package, Diagnostic("DAC602", f"title {package.data['title']!r} is also used by "
                                                f"{group[0].display_path}", line, column)
    known = set(known_ids) | set(by_id)
    for package in packages:
        related = package.data.get("related")
        for index, entry in enumerate(related if isinstance(related, list) else []):
            rid = entry.get("id") if isinstance(entry, dict) else None
            if isinstance(rid, str) and rid not in known:
                line, column = package.position(("related", index, "id"))
                yield package, Diagnostic("DAC605", f"related detection {rid} has no package", line, column)
