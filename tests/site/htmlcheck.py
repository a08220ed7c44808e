"""Scan built HTML for anything a hostile package could have injected."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"}


class Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[str | None, str]] = []  # (src, inline text)
        self.handlers: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.bad_urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self._in_script: str | None = None
        self._script_src: str | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            value = value or ""
            if name.lower().startswith("on"):
                self.handlers.append((tag, name, value))
            compact = "".join(value.split()).lower()
            if name.lower() in URL_ATTRIBUTES and compact.startswith(("javascript:", "data:text/html", "vbscript:")):
                self.bad_urls.append((tag, name, value))
        if tag == "script":
            self._in_script = tag
            self._script_src = dict(attrs).get("src")
            self._script_text = []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag(tag)

    def handle_data(self, data):
        if self._in_script:
            self._script_text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script:
            self.scripts.append((self._script_src, "".join(self._script_text).strip()))
            self._in_script = None


def scan(path: Path) -> Scanner:
    scanner = Scanner()
    scanner.feed(path.read_text(encoding="utf-8"))
    scanner.close()
    return scanner


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))
