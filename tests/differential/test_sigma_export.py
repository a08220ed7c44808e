"""`dac export sigma` in SigmaHQ's own tools: `sigma check` with SigmaHQ's validators, and
pySigma's backends with the standard pipeline of each of the seven platforms.

Both run in the differential tests' own environment (requirements.txt: sigma-cli, the SigmaHQ
validators and the backends), never in dac's. What does not pass is listed below with its reason:
a rule the tools reject for anything else fails the test; an exception that is no longer needed
(a package's rule was improved) is a warning to remove it.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

from tests.differential.harness import ensure_environment

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(__file__).with_name("sigma_export_tools.py")

# --- sigma check ---------------------------------------------------------------------------------
# issue -> (the rule files it may concern: a regex on the file name, the reason it is accepted)
CHECK_EXCEPTIONS = {
    "SigmahqFilenameConventionIssue": (r".*", "rule files are named <package id>_<logsource>.yml, after the "
                                       "package they come from, not by SigmaHQ's folder conventions"),
    "SigmahqFilenamePrefixIssue": (r".*", "the same: a file name starts with its package id, not with SigmaHQ's "
                                   "logsource prefix (proc_creation_win_, registry_set_, ...)"),
    "SigmahqGithubLinkIssue": (r".*", "the packages reference Atomic Red Team's test pages on its main branch on "
                               "purpose: the tests are kept in step with ART's current procedures"),
    "NumberAsStringIssue": (r"T1562\.(006_windows_registry_set|012_linux_auditd|013_fortigate_event)\.yml",
                            "values that are text in the log stay text: FortiGate's logid keeps its leading zero "
                            "(0100044545), auditd's type and audit_enabled and Sysmon's Details are strings"),
    "SigmahqLogsourceUnknownIssue": (r"T1562\.013_(fortigate_event|paloalto_config)\.yml",
                                     "FortiGate's event log is SigmaHQ's own logsource (rules/network/fortinet), "
                                     "newer than the pinned validators' taxonomy; SigmaHQ has no logsource for "
                                     "PAN-OS configuration logs yet"),
}

# --- conversions ---------------------------------------------------------------------------------
_NOT_ENDPOINT = ("aws_cloudtrail", "azure_activitylogs", "gcp_audit", "m365_exchange", "linux_auditd",
                 "windows_ps_classic_start", "windows_application", "cisco_syslog", "fortigate_event",
                 "paloalto_config")
# target -> {logsource slug (the rule file's name after the package id): reason the backend refuses it}
CONVERSION_EXCEPTIONS: dict[str, dict[str, str]] = {
    "kusto+microsoft_xdr": {slug: "the microsoft_xdr pipeline maps only Defender XDR's Device* tables (process, "
                            "registry, file, network and image-load events); this logsource has no table there "
                            "(Microsoft Sentinel's pipelines are another target)" for slug in _NOT_ENDPOINT},
    "secops+secops_udm": {slug: "the secops_udm pipeline maps endpoint events (process, registry, file, network) "
                          "to UDM; it has no UDM mapping for this logsource's fields" for slug in _NOT_ENDPOINT},
    "qradar-aql-community+qradar-aql-fields": {
        **{slug: "the qradar-aql-fields pipeline maps a fixed list of Windows and network fields; it has none of "
                 "this logsource's fields" for slug in _NOT_ENDPOINT},
        "windows_registry_set": "the qradar-aql-fields pipeline has no field for a registry value's data "
                                "(Sigma's Details): 'field Details is not supported'",
        "windows_registry_event": "the qradar-aql-fields pipeline has no field for the registry event type "
                                  "(Sigma's EventType): 'field EventType is not supported'",
    },
}
# (rule file, target) -> the backend defect one rule meets, where its logsource converts otherwise
RULE_CONVERSION_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("T1562.012_linux_process_creation.yml", "splunk+splunk_windows"):
        "pySigma's Splunk backend defers each regular expression to a `| regex` command and converts an AND "
        "of two of them to no query at all, without an error ('0 queries'); the rule's selection and its "
        "exclusion of configuration reloads (SIGHUP to auditd) are both anchored regular expressions, which "
        "wildcards cannot state as precisely. Each alone converts.",
}
TARGETS = ("kusto+microsoft_xdr", "splunk+splunk_windows", "eql+ecs_windows", "qradar-aql-community+qradar-aql-fields",
           "secops+secops_udm", "log_scale+crowdstrike_falcon", "sumologic_cse+sumologic_cse")


@pytest.fixture(scope="module")
def python() -> Path:
    return ensure_environment()


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """The export of a snapshot of detections/ (others may edit the packages while this runs)."""
    from tooling.cli import main

    base = tmp_path_factory.mktemp("sigma-export")
    shutil.copytree(ROOT / "detections", base / "detections")
    out = base / "rules"
    assert main(["export", "sigma", str(out), "--from", str(base / "detections")]) == 0
    return out


def _attack_data(folder: Path) -> tuple[Path, Path]:
    """ATT&CK (from dac's bundled data, as a STIX bundle) and an empty D3FEND ontology, the data
    pySigma's tag validators would otherwise download."""
    data = json.loads((ROOT / "tooling" / "attack" / "enterprise-attack.json").read_text(encoding="utf-8"))
    shortnames = {tactic["name"]: tactic["shortname"] for tactic in data["tactics"]}
    objects: list[dict] = [{"type": "x-mitre-collection", "x_mitre_version": data["attack_version"]}]
    for tactic in data["tactics"]:
        objects.append({"type": "x-mitre-tactic", "name": tactic["name"], "x_mitre_shortname": tactic["shortname"],
                        "external_references": [{"source_name": "mitre-attack", "external_id": tactic["id"]}]})
    for technique_id, technique in data["techniques"].items():
        objects.append({"type": "attack-pattern", "name": technique["name"], "revoked": technique["revoked"],
                        "x_mitre_deprecated": technique["deprecated"],
                        "external_references": [{"source_name": "mitre-attack", "external_id": technique_id}],
                        "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": shortnames[name]}
                                              for name in technique["tactics"]]})
    attack, d3fend = folder / "enterprise-attack.json", folder / "d3fend.json"
    attack.write_text(json.dumps({"type": "bundle", "objects": objects}), encoding="utf-8")
    d3fend.write_text(json.dumps({"@graph": []}), encoding="utf-8")
    return attack, d3fend


def test_the_export_passes_sigma_check(python, exported, tmp_path):
    attack, d3fend = _attack_data(tmp_path)
    result = subprocess.run([str(python), "-W", "ignore", str(TOOLS), "check", str(attack), str(d3fend),
                             str(tmp_path / "cache"), str(exported)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Found 0 errors, 0 condition errors" in output, output[-3000:]
    issues = re.findall(r"^issue=(\w+) .*? rule=(\S+\.yml)", output, re.MULTILINE)
    assert issues or "issues" in output  # the summary was read
    unexpected = sorted({(issue, Path(rule).name) for issue, rule in issues
                         if issue not in CHECK_EXCEPTIONS or not re.fullmatch(CHECK_EXCEPTIONS[issue][0],
                                                                              Path(rule).name)})
    assert not unexpected, unexpected
    unused = set(CHECK_EXCEPTIONS) - {issue for issue, _ in issues}
    if unused:
        warnings.warn(f"sigma check exceptions no longer needed: {sorted(unused)}", stacklevel=1)


@pytest.fixture(scope="module")
def conversions(python, exported, tmp_path_factory) -> dict[str, dict[str, dict]]:
    out = tmp_path_factory.mktemp("conversions") / "conversions.json"
    subprocess.run([str(python), "-W", "ignore", str(TOOLS), "convert", str(exported), str(out)], check=True,
                   capture_output=True, cwd=out.parent, timeout=1200)
    return json.loads(out.read_text(encoding="utf-8"))


def _excepted(rule: str, target: str) -> bool:
    return _slug(rule) in CONVERSION_EXCEPTIONS.get(target, {}) or (rule, target) in RULE_CONVERSION_EXCEPTIONS


def _slug(rule_file: str) -> str:
    return rule_file.removesuffix(".yml").split("_", 1)[1]


def test_every_rule_is_converted_for_each_target(exported, conversions):
    assert sorted(conversions) == sorted(p.name for p in exported.glob("*.yml"))
    failures = {(rule, target): record["error"] for rule, targets in conversions.items()
                for target, record in targets.items() if "error" in record}
    unexpected = {key: error for key, error in failures.items() if not _excepted(*key)}
    assert not unexpected, unexpected
    converted = {(rule, target) for rule, targets in conversions.items() for target, record in targets.items()
                 if "queries" in record}
    needless = sorted((rule, target) for rule, target in converted if _excepted(rule, target))
    if needless:
        warnings.warn(f"conversion exceptions no longer needed: {needless}", stacklevel=1)
    for rule, targets in conversions.items():
        assert set(targets) == set(TARGETS), rule


def test_each_target_converts_every_endpoint_rule(conversions):
    # The endpoint rules (process creation, registry) are what every platform has: each converts everywhere
    # except where a pipeline lacks a registry field (listed above with its reason).
    for rule, targets in conversions.items():
        if _slug(rule).endswith("process_creation"):
            assert all("queries" in record for target, record in targets.items()
                       if (rule, target) not in RULE_CONVERSION_EXCEPTIONS), (rule, targets)
