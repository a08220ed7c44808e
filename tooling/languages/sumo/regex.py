"""Regular expressions in Sumo Logic queries: named groups and the shared Java-syntax check.

Sumo Logic documents `parse regex` patterns as Java (or RE2) regular expressions.
"""
from __future__ import annotations

from tooling.languages.java_regex import named_groups, regex_error, string_regex_error

__all__ = ["named_groups", "regex_error", "string_regex_error"]
