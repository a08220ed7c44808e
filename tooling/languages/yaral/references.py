"""The names a YARA-L query uses, for the platform checks (`Language.references`)."""
from __future__ import annotations

from typing import Any, Iterator

from tooling.languages.base import Reference


def references(tree: Any) -> Iterator[Reference]:
    return iter(())
