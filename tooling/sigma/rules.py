"""A package's Sigma form: one Sigma rule per kind of event, judged as a whole.

    sigma:
      rules:
        - title: Defender preference or service tampering      # optional
          logsource: {category: process_creation, product: windows}
          detection: {...}
          fields: [...]
        - logsource: {category: registry_set, product: windows}
          detection: {...}

A package whose detection reads several kinds of event (process creation and registry writes, say)
carries one rule per kind, each with a generic logsource, so that every Sigma backend and pipeline
can convert each rule. A sample event matches the package's Sigma form when some rule matches it
(`SigmaRules.matches`), and a near-miss must be matched by none.

    for rule in package_rules(package.data):        # SigmaRule(index, logsource, detection, ...)
        rule.pointer                                 # ("sigma", "rules", 0): where it is in the file
    compiled = SigmaRules.parse(package_rules(data))  # InvalidRule / UnsupportedRule name the rule
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tooling.sigma.detection import InvalidDetection, SigmaDetection, UnsupportedDetection

RULES = ("sigma", "rules")


@dataclass(frozen=True)
class SigmaRule:
    index: int  # position in sigma.rules
    logsource: dict
    detection: Any  # a mapping when the rule is well-formed (the schema check reports otherwise)
    title: str | None = None
    fields: list = field(default_factory=list)

    @property
    def pointer(self) -> tuple:
        return (*RULES, self.index)

    @property
    def slug(self) -> str:
        return logsource_slug(self.logsource) or f"rule{self.index + 1}"

    def label(self, several: bool) -> str:
        """How messages name the rule: "" for a package's only rule, else "rule 2 (windows_registry_set)"."""
        return f"rule {self.index + 1} ({self.slug})" if several else ""


def package_rules(data: dict) -> list[SigmaRule]:
    """The package's Sigma rules (those that are mappings), in order; [] without a Sigma form."""
    sigma = data.get("sigma") if isinstance(data, dict) else None
    rules = sigma.get("rules") if isinstance(sigma, dict) else None
    found = []
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        logsource = rule.get("logsource") if isinstance(rule.get("logsource"), dict) else {}
        title = rule.get("title") if isinstance(rule.get("title"), str) and rule.get("title").strip() else None
        fields = rule.get("fields") if isinstance(rule.get("fields"), list) else []
        found.append(SigmaRule(index, logsource, rule.get("detection"), title, fields))
    return found


# The events a generic Windows logsource stands for, as Sigma's taxonomy maps it onto Sysmon (and
# Security 4688 for process creation) and the PowerShell categories onto their channels' event IDs
# (Sigma's generic-service config, as pySigma's windows pipeline applies it): a registry_set rule
# never sees a key deletion, a ps_classic_start rule never sees event 403, whatever its detection
# says. A sample that omits one of these fields is not ruled out by it; a logsource not listed here
# takes every event.
LOGSOURCE_EVENTS: dict[tuple[str, str], dict[str, set[str]]] = {
    ("windows", "process_creation"): {"EventID": {"1", "4688"}},
    ("windows", "registry_set"): {"EventID": {"13"}, "EventType": {"SetValue"}},
    ("windows", "registry_add"): {"EventID": {"12"}, "EventType": {"CreateKey"}},
    ("windows", "registry_delete"): {"EventID": {"12"}, "EventType": {"DeleteKey", "DeleteValue"}},
    ("windows", "registry_rename"): {"EventID": {"14"}, "EventType": {"RenameKey"}},
    ("windows", "registry_event"): {"EventID": {"12", "13", "14"}},
    ("windows", "ps_module"): {"EventID": {"4103"}, "Channel": {"Microsoft-Windows-PowerShell/Operational"}},
    ("windows", "ps_script"): {"EventID": {"4104"}, "Channel": {"Microsoft-Windows-PowerShell/Operational"}},
    ("windows", "ps_classic_start"): {"EventID": {"400"}, "Channel": {"Windows PowerShell"}},
    ("windows", "ps_classic_provider_start"): {"EventID": {"600"}, "Channel": {"Windows PowerShell"}},
    ("windows", "ps_classic_script"): {"EventID": {"800"}, "Channel": {"Windows PowerShell"}},
}


def applies(logsource: dict, event: dict) -> bool:
    """Whether a rule with `logsource` sees `event` at all."""
    wanted = LOGSOURCE_EVENTS.get((str(logsource.get("product")), str(logsource.get("category"))))
    return wanted is None or all(str(event[name]) in values for name, values in wanted.items() if name in event)


def logsource_slug(logsource: dict) -> str:
    """A short stable name for a logsource, for file names and rule ids: its product, category and
    service in lower case, joined by '_' (a word repeated next to itself once): windows_process_creation,
    linux_auditd, aws_cloudtrail, gcp_audit ('gcp' + 'gcp.audit')."""
    words: list[str] = []
    for key in ("product", "category", "service"):
        value = logsource.get(key) if isinstance(logsource, dict) else None
        for word in re.findall(r"[a-z0-9]+", str(value).lower()) if isinstance(value, str) else []:
            if not words or words[-1] != word:
                words.append(word)
    return "_".join(words)


def shared_logsource(data: dict) -> dict:
    """What every rule's logsource says alike (the product, most often): the logsource a sample is
    classified under (tooling.platforms.classify). {} without rules."""
    rules = package_rules(data)
    if not rules:
        return {}
    first = rules[0].logsource
    return {key: value for key, value in first.items()
            if key != "definition" and all(rule.logsource.get(key) == value for rule in rules[1:])}


class InvalidRule(Exception):
    """A rule's detection cannot work (InvalidDetection), with the rule it is in."""

    def __init__(self, rule: SigmaRule, error: InvalidDetection):
        super().__init__(str(error))
        self.rule, self.error = rule, error


class UnsupportedRule(Exception):
    """A rule's detection uses a feature dac does not evaluate (UnsupportedDetection), with the rule."""

    def __init__(self, rule: SigmaRule, error: UnsupportedDetection):
        super().__init__(str(error))
        self.rule, self.error = rule, error


class SigmaRules:
    """The package's rules, parsed: an event matches when some rule matches it."""

    def __init__(self, compiled: list[tuple[SigmaRule, SigmaDetection]]):
        self.compiled = compiled

    @classmethod
    def parse(cls, rules: list[SigmaRule]) -> "SigmaRules":
        """Raises InvalidRule or UnsupportedRule for the first rule that is either (an invalid rule
        anywhere comes before an unsupported one); InvalidDetection when there is no rule at all."""
        if not rules:
            raise InvalidDetection("the package has no Sigma rule")
        compiled, unsupported = [], None
        for rule in rules:
            try:
                compiled.append((rule, SigmaDetection.parse(rule.detection)))
            except UnsupportedDetection as exc:
                unsupported = unsupported or UnsupportedRule(rule, exc)
            except InvalidDetection as exc:
                raise InvalidRule(rule, exc) from None
        if unsupported is not None:
            raise unsupported
        return cls(compiled)

    @property
    def several(self) -> bool:
        return len(self.compiled) > 1

    def matches(self, event: dict, deadline: float | None = None) -> bool:
        return any(applies(rule.logsource, event) and detection.matches(event, deadline)
                   for rule, detection in self.compiled)

    def explain(self, event: dict, deadline: float | None = None) -> list[str]:
        """The matching rules' search identifiers that match the event, each rule's prefixed with
        its label when the package has several rules."""
        names: list[str] = []
        for rule, detection in self.compiled:
            if applies(rule.logsource, event) and detection.matches(event, deadline):
                label = rule.label(self.several)
                found = ", ".join(detection.explain(event, deadline))
                names.append(f"{label}: {found}" if label else found)
        return names
