"""Diagnostics: what every check produces and every renderer consumes.

A check never prints; it returns `Diagnostic`s. A renderer never decides; it formats them.
Codes, severities and documentation live in `codes.py`, the single registry.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from tooling.diagnostics.codes import CODES, Code, Severity, code_info

__all__ = ["CODES", "Code", "Diagnostic", "Severity", "code_info"]


@dataclass(frozen=True)
class Diagnostic:
    """One problem at one place. Lines and columns are 1-based."""

    code: str
    message: str
    line: int = 1
    column: int = 1
    path: str | None = None
    end_line: int | None = None
    end_column: int | None = None

    @property
    def severity(self) -> Severity:
        return code_info(self.code).severity

    def at(self, path: str | None = None, line: int | None = None, column: int | None = None) -> "Diagnostic":
        """The same diagnostic moved to another place (used to map a query position into a file)."""
        changes = {}
        if path is not None:
            changes["path"] = path
        if line is not None:
            changes["line"] = line
        if column is not None:
            changes["column"] = column
        return replace(self, **changes)

    def sort_key(self) -> tuple:
        return (self.path or "", self.line, self.column, self.code, self.message)
