"""SPL references: placeholder, filled in below."""
from __future__ import annotations


def references(tree, text):
    return []
