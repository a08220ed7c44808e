"""Escaping for untrusted package text placed into generated Markdown or HTML.

Package files arrive in pull requests, so every value is untrusted. The generated pages use
three ways to place a value, and nothing else:

* `md_text` / `md_paragraphs`: Markdown text. `<`, `>`, `&` become entities (no raw HTML,
  autolinks or entities survive); every character that starts inline syntax (code, emphasis,
  links, images, attr_list `{: onclick=...}`, table cells) is backslash-escaped, and so is the
  first character whatever it is (block syntax: lists, headings, admonitions, tabs). Line
  breaks are flattened, so text cannot open a new block. The site enables
  `pymdownx.escapeall`, which makes any character escapable; the hooks refuse to build with
  extensions that act on plain text (snippets, magiclink, arithmatex).
* `h`: text placed inside raw HTML (`html.escape` with quotes).
* `fence`: a fenced code block whose fence is longer than any backtick run in the content, so
  the content cannot close it.

URLs become links only through `safe_url`, which accepts absolute http(s) URLs and nothing else.
All three drop control characters and show bidirectional controls (which could make a query read
differently from how it runs) as visible `<U+202E>` markers.
"""
from __future__ import annotations

import html
import json
import re
import string
from typing import Any
from urllib.parse import quote, urlsplit

_PUNCTUATION = set(string.punctuation) - {"<", ">", "&"}
# Characters that start inline syntax anywhere in a line, for the extensions mkdocs.yml enables
# (core Markdown, tables, attr_list, inlinehilite): code, emphasis, links and images, attribute
# lists, table cells, heading closers. Block syntax (lists, headings, admonitions, tabs,
# definition lists, quotes) needs a character at the start of a line: the first character is
# escaped whatever it is, and text never contains a line break.
_INLINE = set("\\`*_[]!{}|#~")
_NUMBERED = re.compile(r"^(\d+)([.)])")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
# Bidirectional controls reorder what a reader sees ("Trojan Source"): each is shown as a visible
# marker such as <U+202E> instead, in text, attributes and code blocks alike.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _clean(text: str) -> str:
    """Control characters dropped, bidirectional controls made visible."""
    return _BIDI.sub(lambda match: f"<U+{ord(match.group()):04X}>", _CONTROL.sub("", text))
_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def text_of(value: Any) -> str:
    """Any package value as display text (None -> empty)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def md_text(value: Any) -> str:
    """One line of inert Markdown text."""
    text = " ".join(_clean(text_of(value)).split())
    if not text:
        return ""
    out = [_escape_char(text[0], everything=True)]
    # `1.` / `1)` would start an ordered list
    numbered = _NUMBERED.match(text)
    start = 1
    if numbered:
        out = [numbered.group(1), "\\" + numbered.group(2)]
        start = numbered.end()
    out.extend(_escape_char(char) for char in text[start:])
    return "".join(out)


def _escape_char(char: str, everything: bool = False) -> str:
    if char in _ENTITIES:
        return _ENTITIES[char]
    if char in _INLINE or (everything and char in _PUNCTUATION):
        return "\\" + char
    return char


def md_paragraphs(value: Any) -> str:
    """Inert Markdown paragraphs: blank lines in the value separate paragraphs."""
    paragraphs = re.split(r"\n\s*\n", _clean(text_of(value)))
    return "\n\n".join(md_text(p) for p in paragraphs if p.strip())


def md_code(value: Any) -> str:
    """Inline code: a backtick span longer than any backtick run inside, content escaped by Markdown."""
    text = " ".join(_clean(text_of(value)).split())
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def h(value: Any) -> str:
    """Text for raw HTML (element content or a quoted attribute value)."""
    return html.escape(_clean(text_of(value)), quote=True)


def fence(content: str, lang: str = "text", indent: str = "", attrs: str = "") -> str:
    """A fenced code block that its content cannot close, indented by `indent`."""
    content = _clean(content).replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    marks = "`" * max(3, longest + 1)
    header = f"{marks} {lang}" + (f" {attrs}" if attrs else "")
    lines = [header] + content.split("\n") + [marks]
    return "\n".join((indent + line) if line else "" for line in lines)


def safe_url(value: Any) -> str | None:
    """An absolute http(s) URL fit for an href, or None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or _CONTROL.search(url) or _BIDI.search(url) or any(c.isspace() for c in url) or len(url) > 2048:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or "\\" in url:
        return None
    # Percent-encode what is not plainly URL-safe (quotes, brackets, spaces never pass).
    return quote(url, safe=":/?#@!$&*+,;=%~-._")


def is_technique_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_ID.match(value))


def is_guid(value: Any) -> bool:
    return isinstance(value, str) and bool(_GUID.match(value))


def slug(value: Any) -> str:
    """A path segment made only of [A-Za-z0-9._-] (never empty, never '.' or '..')."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text_of(value)).strip("-.")
    return cleaned[:80] or "package"


def enum_value(value: Any, allowed: tuple[str, ...], default: str = "unknown") -> str:
    """A value from a fixed vocabulary (safe for CSS classes and plain output), else `default`."""
    return value if isinstance(value, str) and value in allowed else default


def yaml_string(value: str) -> str:
    """A YAML scalar for front matter (JSON strings are valid YAML)."""
    return json.dumps(value)
