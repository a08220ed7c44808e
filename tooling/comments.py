"""The comments of a YAML file, each with the key or list item it belongs to, for `dac fmt`.

ruamel's round-trip mode keeps a comment with the node *before* it, so a comment written above
`status:` travels with whatever key preceded `status` when fmt reorders keys; comments inside flow
sequences and some block values were lost. fmt therefore emits the YAML without comments and puts
each comment back itself, with the node it belongs to:

- a full-line comment (and a blank line) belongs to the next key or list item below it ("before");
  the comment block at the top of the file, down to its last blank line, and a
  `# yaml-language-server:` modeline stay at the top ("head"); comments after the last node stay
  at the end ("end");
- a comment after content on its line belongs to the node that ends last before it on that line:
  `key: value  # c`, `key:  # c` above a nested block, `- item  # c` ("trail").

A node is named by its path (keys and list indexes), so the owner survives reordering. A flow
collection (`[a, b]`) that holds a comment inside is written in block style, one item a line, so
each item can carry its comment. What cannot be placed raises `CommentError`, and fmt then leaves
the file as it is; `check` compares the comments of the old and the new text.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple  # ("queries", "kql"), ("tests", 0, "name")
MODELINE = "# yaml-language-server:"


@dataclass(frozen=True)
class Comment:
    text: str  # from "#" to the end of its line, trailing blanks removed; "" for a blank line
    kind: str  # head | before | trail | end
    owners: frozenset  # the paths of the nodes it belongs to (several when they start or end at one place)
    line: int  # 1-based position in its text
    column: int
    gap: int = 1  # blanks between the content and a trailing comment


class CommentError(Exception):
    def __init__(self, comment: Comment, why: str):
        super().__init__(why)
        self.comment = comment


@dataclass
class _Layout:
    """Where each node of a text starts and ends."""

    text: str
    anchors: list[tuple[int, Path]] = field(default_factory=list)  # (start, path): keys and list items
    ends: list[tuple[int, Path]] = field(default_factory=list)  # (end, path): every key and value node
    skip: list[tuple[int, int]] = field(default_factory=list)  # scalar text, where "#" is not a comment
    flows: list[tuple[int, int, Path]] = field(default_factory=list)  # flow collections
    values: dict[Path, Node] = field(default_factory=dict)
    keys: dict[Path, Node] = field(default_factory=dict)


def _key_name(node: Node) -> Any:
    return (node.tag, node.value) if isinstance(node, ScalarNode) else ("?", node.start_mark.index)


def _layout(text: str) -> _Layout:
    layout = _Layout(text)
    root = YAML(typ="rt").compose(text)
    if root is None:
        return layout
    stack: list[tuple[Node, Path]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:  # an alias: its text is written once, where the anchor is
            continue
        seen.add(id(node))
        layout.values[path] = node
        layout.ends.append((node.end_mark.index, path))
        if isinstance(node, ScalarNode):
            start, end = node.start_mark.index, node.end_mark.index
            if node.style in ("|", ">"):  # the header line may hold a comment; the content may not
                start = text.find("\n", start) + 1 or end
            layout.skip.append((start, end))
        elif isinstance(node, MappingNode):
            if node.flow_style:
                layout.flows.append((node.start_mark.index, node.end_mark.index, path))
            for key, value in node.value:
                child = path + (_key_name(key),)
                layout.keys[child] = key
                layout.anchors.append((key.start_mark.index, child))
                layout.ends.append((key.end_mark.index, child))
                layout.skip.append((key.start_mark.index, key.end_mark.index))
                stack.append((value, child))
        elif isinstance(node, SequenceNode):
            if node.flow_style:
                layout.flows.append((node.start_mark.index, node.end_mark.index, path))
            for index, item in enumerate(node.value):
                layout.anchors.append((item.start_mark.index, path + (index,)))
                stack.append((item, path + (index,)))
    layout.anchors.sort(key=lambda a: (a[0], len(a[1])))
    layout.ends.sort(key=lambda e: (e[0], -len(e[1])))
    layout.skip.sort()
    return layout


def _in_skip(skip: list[tuple[int, int]], offset: int) -> bool:
    i = bisect.bisect_right(skip, (offset, float("inf"))) - 1
    return i >= 0 and skip[i][0] <= offset < skip[i][1]


def _owners_from(pairs: list[tuple[int, Path]], at: int) -> frozenset:
    return frozenset(path for where, path in pairs if where == at)


def extract(text: str, layout: _Layout | None = None) -> list[Comment]:
    """Every comment and blank line of `text` outside scalars, with its owner."""
    layout = layout or _layout(text)
    starts = [a[0] for a in layout.anchors]
    end_offsets = [e[0] for e in layout.ends]
    first_anchor = starts[0] if starts else len(text)
    found: list[Comment] = []
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        line_start, offset = offset, offset + len(line) + 1
        hash_at = None
        if not line.strip():
            if line_start >= len(text) or _in_skip(layout.skip, line_start):
                continue
            hash_at = line_start + len(line)
        else:
            for column, char in enumerate(line):
                at = line_start + column
                if char == "#" and (column == 0 or line[column - 1] in " \t") and not _in_skip(layout.skip, at):
                    hash_at = at
                    break
            if hash_at is None:
                continue
        body = text[hash_at:line_start + len(line)].rstrip()
        column = hash_at - line_start + 1
        before = line[: hash_at - line_start]
        if before.strip():  # content before it: belongs to what ends last before it on this line
            i = bisect.bisect_right(end_offsets, hash_at) - 1
            if i >= 0 and line_start < end_offsets[i]:
                found.append(Comment(body, "trail", _owners_from(layout.ends, end_offsets[i]), number, column,
                                     len(before) - len(before.rstrip())))
                continue
        i = bisect.bisect_right(starts, hash_at)
        if i == len(starts):
            found.append(Comment(body, "end", frozenset(), number, column))
        else:
            found.append(Comment(body, "before", _owners_from(layout.anchors, starts[i]), number, column))
    # The top of the file: down to its last blank line (and any modeline) it is the file's own header.
    top = [c for c in found if c.kind == "before" and _offset(text, c) < first_anchor]
    last_blank = max((k for k, c in enumerate(top) if not c.text), default=-1)
    header = {id(c) for k, c in enumerate(top) if k <= last_blank or c.text.startswith(MODELINE)}
    return [Comment(c.text, "head", frozenset(), c.line, c.column) if id(c) in header else c for c in found]


def _offset(text: str, comment: Comment) -> int:
    start = 0
    for _ in range(comment.line - 1):
        start = text.index("\n", start) + 1
    return start + comment.column - 1


def flows_holding_comments(text: str) -> set[Path]:
    """The flow collections with a comment inside (they must be written in block style)."""
    layout = _layout(text)
    paths = set()
    for comment in extract(text, layout):
        if comment.text:
            at = _offset(text, comment)
            paths.update(path for start, end, path in layout.flows if start < at < end)
    return paths


def inject(text: str, comments: list[Comment]) -> str:
    """`text` (without comments) with `comments` put back at their owners."""
    layout = _layout(text)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    above: dict[int, list[str]] = {}
    after: dict[int, str] = {}
    head: list[str] = []
    tail: list[str] = []
    for comment in comments:
        if comment.kind == "head":
            head.append(comment.text)
        elif comment.kind == "end":
            tail.append(comment.text)
        elif comment.kind == "before":
            path = min((p for p in comment.owners if p in layout.keys or _is_item(layout, p)), key=len, default=None)
            if path is None:
                raise CommentError(comment, "the key or item it belongs to is not in the formatted text")
            node = layout.keys.get(path) or layout.values[path]
            number = node.start_mark.line
            indent = len(lines[number]) - len(lines[number].lstrip())
            above.setdefault(number, []).append(" " * indent + comment.text if comment.text else "")
        else:
            path = max((p for p in comment.owners if p in layout.values), key=len, default=None)
            if path is None:
                raise CommentError(comment, "the key or item it belongs to is not in the formatted text")
            number = _trail_line(layout, path)
            if number is None:
                raise CommentError(comment, "its line is not the end of a line in the formatted text")
            if number in after:
                raise CommentError(comment, "another comment would share its line")
            after[number] = " " * max(comment.gap, 1) + comment.text
    out = list(head)
    for number, line in enumerate(lines):
        out.extend(above.get(number, []))
        out.append(line + after.get(number, ""))
    out.extend(tail)
    return "\n".join(out) + "\n"


def _is_item(layout: _Layout, path: Path) -> bool:
    return bool(path) and isinstance(path[-1], int) and path in layout.values


def _trail_line(layout: _Layout, path: Path) -> int | None:
    """The 0-based line a trailing comment of `path` goes at the end of, or None."""
    node = layout.values[path]
    if isinstance(node, ScalarNode) and node.style in ("|", ">"):
        return node.start_mark.line  # the header line: `kql: |-  # comment`
    if isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style:
        key = layout.keys.get(path)
        if key is None:
            return None
        return key.end_mark.line  # `key:  # comment`, the block below
    line = node.end_mark.line if node.end_mark.column > 0 else node.end_mark.line - 1
    rest = layout.text.split("\n")[line][node.end_mark.column if node.end_mark.column > 0 else None:]
    return line if node.end_mark.column == 0 or not rest.strip() else None


def check(old: list[Comment], new: list[Comment]) -> Comment | None:
    """The first comment of `old` that `new` does not keep (same text and kind, same owner), or None."""
    unused = [c for c in new if c.text]
    for comment in (c for c in old if c.text):
        match = next((c for c in unused if c.text == comment.text and c.kind == comment.kind
                      and (c.owners & comment.owners or not c.owners and not comment.owners)), None)
        if match is None:
            return comment
        unused.remove(match)
    return unused[0] if unused else None
