"""Lint codes of the yaral language (see tooling/diagnostics/lint/__init__.py for the ranges)."""
from __future__ import annotations

from tooling.diagnostics.codes import Code, Severity  # noqa: F401 - used by the entries below

CODES: list[Code] = []
