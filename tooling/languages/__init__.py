"""The registry of query languages.

    from tooling.languages import get_language
    result = get_language("kql").parse(text)   # never raises, never hangs
    result.ok, result.diagnostics, result.tree

Each language lives in `tooling/languages/<key>/` and exposes `LANGUAGE`, an instance of
`tooling.languages.base.Language`. Modules are imported on first use so that validating one
package only builds the parsers it needs.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from tooling.languages.base import Language, ParseResult


@dataclass(frozen=True)
class LanguageInfo:
    key: str
    name: str  # short name used in diagnostics
    label: str  # tab label on the site, as on the seed page
    title: str  # the language's full name
    platform: str


LANGUAGES: dict[str, LanguageInfo] = {info.key: info for info in (
    LanguageInfo("kql", "KQL", "KQL", "Kusto Query Language", "Microsoft Sentinel / Defender XDR"),
    LanguageInfo("spl", "SPL", "SPL", "Search Processing Language", "Splunk"),
    LanguageInfo("eql", "EQL", "Elastic", "Event Query Language", "Elastic Security"),
    LanguageInfo("aql", "AQL", "QRadar", "Ariel Query Language", "IBM QRadar"),
    LanguageInfo("sumo", "Sumo Logic", "Sumo", "Sumo Logic search language", "Sumo Logic (CSE)"),
    LanguageInfo("yaral", "YARA-L", "YARA-L", "YARA-L 2.0", "Google SecOps (Chronicle)"),
    LanguageInfo("logscale", "LogScale", "LogScale", "CrowdStrike Query Language (CQL)", "Falcon LogScale"),
)}

_loaded: dict[str, Language] = {}


def get_language(key: str) -> Language:
    """The language registered under `key`; KeyError names the known keys."""
    if key not in LANGUAGES:
        raise KeyError(f"unknown query language {key!r}; known: {', '.join(LANGUAGES)}")
    if key not in _loaded:
        _loaded[key] = importlib.import_module(f"tooling.languages.{key}").LANGUAGE
    return _loaded[key]


__all__ = ["LANGUAGES", "Language", "LanguageInfo", "ParseResult", "get_language"]
