"""Placeholder: replaced below."""
from __future__ import annotations


def references(tree):
    return []
