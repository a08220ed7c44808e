"""The differential tests' harness: SigmaHQ's rules, converted by pySigma's backends, run by our
evaluators on events synthesised from each rule, and compared with the Sigma verdict.

pySigma is a test-only tool: it lives in its own environment (`.venv-differential/`, built from
requirements.txt on first use), never in dac's. Conversions are cached in the user's cache
folder, keyed by the requirements and the rules, so only the first run pays for them.

    cases = conversions("kql")                  # Conversion(rule, target, query, detection, logsource)
    labelled = labelled_by_rule(cases)          # rule -> [(event, Sigma verdict)]
    tallies = {target: run_target("kql", target, cases, labelled, render) for target in TARGETS}
    failures = summarise_and_check("kql", tallies, errors("kql"))   # prints a summary line per target
    assert not failures, "\n".join(failures)

What a test_<key>.py keeps is its language's own: the targets, how an event is rendered for a
target (<key>_events.py), which queries are plain filters, the rules it leaves out of the
agreement and why (<key>_disagreements.md), and anything else only that language needs.

The measures, the same for every language:
* verdict share = rules with a verdict on all their events / rules with at least one synthesised
  event (a rule the synthesiser makes no event for puts no question to the evaluator); the summary
  line also gives the share of all converted rules, so that nothing is hidden;
* agreement = rules whose every verdict agrees with Sigma's / rules with a verdict that are not
  excluded (a rule whose conversion the backend is known to mistranslate is still evaluated, and
  counts in the verdict share, but not in the agreement).

The rules are `../shared/sigma-rules/` (half of SigmaHQ's rules), beside the repository, as in CI.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

from tooling.languages import get_language
from tooling.sigma.detection import InvalidDetection, SigmaDetection, SlowMatch, UnsupportedDetection
from tooling.sigma.probes import probe_events
from tooling.user_cache import private_folder

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
RULES = ROOT.parent / "shared" / "sigma-rules"
ENVIRONMENT = ROOT / ".venv-differential"
REQUIREMENTS = HERE / "requirements.txt"
MIN_VERDICT_SHARE = 0.90  # of the rules with synthesised events, the share our evaluator must give a verdict on
MIN_AGREEMENT = 0.99  # of the rules with a verdict (not excluded), the share whose every verdict agrees with Sigma


@dataclass(frozen=True)
class Conversion:
    rule: str  # path under the rules folder
    target: str  # backend+pipeline
    query: str
    detection: dict
    logsource: dict


def rules_or_skip() -> Path:
    """The rules folder; outside CI a missing one skips, in CI it fails (the test must run there)."""
    if RULES.is_dir():
        return RULES
    if os.environ.get("CI"):
        pytest.fail(f"the differential tests need {RULES} (shared/ beside the repository), as CI has it")
    pytest.skip(f"no {RULES}: the differential tests run where shared/ sits beside the repository")


def ensure_environment(requirements: Path = REQUIREMENTS, environment: Path = ENVIRONMENT) -> Path:
    """The interpreter of a test-only environment (by default the differential one,
    `.venv-differential/` from requirements.txt), built from `requirements` when missing or out
    of date."""
    python = environment / "bin" / "python"
    stamp = environment / "requirements.sha256"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(environment)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)], check=True)
    stamp.write_text(wanted)
    return python


def _rules_digest(rules: Path) -> str:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes() + (HERE / "convert.py").read_bytes())
    for path in sorted(rules.rglob("*.yml")):
        digest.update(path.relative_to(rules).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


@lru_cache(maxsize=None)
def _converted_file(key: str) -> Path:
    rules = rules_or_skip()
    folder = private_folder("differential") or (ROOT / ".venv-differential")
    out = folder / f"{_rules_digest(rules)}-{key}.jsonl"
    if not out.exists():
        python = ensure_environment()
        temp = out.with_name(f"{out.name}.{os.getpid()}.tmp")  # a process's own: two cannot clobber each other's
        subprocess.run([str(python), "-W", "ignore", str(HERE / "convert.py"), str(rules), str(temp), key],
                       check=True)
        temp.replace(out)
    return out


def conversions(key: str) -> list[Conversion]:
    """Every rule's conversion for language `key` (all its targets) that gave one query."""
    rules = rules_or_skip()
    found = []
    for line in _converted_file(key).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("key") != key or "query" not in record:
            continue
        rule = _rule(rules / record["rule"])
        if rule is not None:
            found.append(Conversion(record["rule"], record["target"], record["query"], rule["detection"],
                                    rule.get("logsource") or {}))
    return found


def errors(key: str) -> dict[str, int]:
    """Per target, how many rules its backend refused to convert."""
    counts: dict[str, int] = {}
    for line in _converted_file(key).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("key") == key and "error" in record:
            counts[record["target"]] = counts.get(record["target"], 0) + 1
    return counts


@lru_cache(maxsize=4096)
def _rule_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _rule(path: Path) -> dict | None:
    try:
        rule = yaml.safe_load(_rule_text(path))
    except yaml.YAMLError:
        return None
    return rule if isinstance(rule, dict) and isinstance(rule.get("detection"), dict) else None


def labelled_events(detection: dict) -> list[tuple[dict, bool]]:
    """Events synthesised from the rule (a branch each, a near-miss per predicate, variants),
    each with the Sigma form's verdict; [] for a rule the Sigma evaluator does not evaluate."""
    try:
        compiled = SigmaDetection.parse(detection)
    except (InvalidDetection, UnsupportedDetection):
        return []
    labelled = []
    for probe in probe_events(detection):
        try:
            labelled.append((probe.event, compiled.matches(probe.event)))
        except SlowMatch:
            continue
    return labelled


def convert_all(keys: list[str]) -> None:
    """Warm the conversion cache for several languages at once (two at a time on two cores)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(_converted_file, keys))


# --- running a target, and the measures ---------------------------------------------------------

Labelled = list[tuple[dict, bool]]  # events, each with the Sigma verdict


def predicates(detection: dict) -> Iterator[tuple[str, list[str], Any]]:
    """(field, modifiers, value) of every field predicate of the detection."""
    for name, definition in detection.items():
        if name in ("condition", "timeframe"):
            continue
        for mapping in definition if isinstance(definition, list) else [definition]:
            if not isinstance(mapping, dict):
                continue
            for key, values in mapping.items():
                field_name, *modifiers = str(key).split("|")
                for value in values if isinstance(values, list) else [values]:
                    yield field_name, modifiers, value


def labelled_by_rule(cases: list[Conversion], keep: Callable[[Conversion, Labelled], Labelled] | None = None,
                     ) -> dict[str, Labelled]:
    """Each rule's labelled events (`labelled_events`), once a rule however many targets convert
    it; `keep(case, labelled)`, when given, narrows or adjusts them to what the language can be
    asked (a rule's detection and logsource are the same on every target)."""
    found: dict[str, Labelled] = {}
    for case in cases:
        if case.rule not in found:
            labelled = labelled_events(case.detection)
            found[case.rule] = keep(case, labelled) if keep else labelled
    return found


def present_where_compared_with_empty(detection: dict, labelled: Labelled) -> Labelled:
    """The rule's events with a value in each field it compares with null or '' (an event lacking
    one gets "present" there, labelled again by the Sigma evaluator), without repeats: Sigma tells
    an absent field from an empty one, a language whose rows have every column (Defender's tables,
    UDM's zero values) does not, so the comparison does not ask about the absent case."""
    sensitive = {name for name, _, value in predicates(detection) if value is None or value == ""}
    if not sensitive:
        return labelled
    sigma = SigmaDetection.parse(detection)  # labelled_events parsed it already
    kept, seen = [], set()
    for event, expected in labelled:
        missing = {name: "present" for name in sensitive if name not in event}
        if missing:
            event = {**event, **missing}
            try:
                expected = sigma.matches(event)
            except SlowMatch:
                continue
        key = repr(sorted(event.items()))
        if key not in seen:
            seen.add(key)
            kept.append((event, expected))
    return kept


def first_class(classes: dict[str, Callable[[Conversion], bool]]) -> Callable[[Conversion], str | None]:
    """`exclude` for run_target from classes of mistranslation (name -> whether a conversion has
    it): the first class, in order, that the conversion has."""
    return lambda case: next((name for name, applies in classes.items() if applies(case)), None)


class NotEvaluated(Exception):
    """Raised by a test's `query` hook when the conversion cannot be put to the evaluator; the
    message is the reason, counted like the evaluator's own."""


@dataclass
class Tally:
    """One target's counts. A converted rule is counted once more in exactly one of
    `without_events`, `reasons` (no verdict) and `ok`; a rule with a verdict in exactly one of
    `excluded`, `agree` and `disagreements`."""
    converted: int = 0
    without_events: int = 0  # rules without a synthesised event (after the language's `keep`)
    ok: int = 0  # rules with a verdict on all their events
    agree_all: int = 0  # of those, excluded or not, rules whose every verdict agrees with Sigma's
    agree: int = 0  # of those not excluded, rules whose every verdict agrees or is explained
    agree_strictly: int = 0  # of those not excluded, rules whose every verdict agrees with Sigma's
    excluded: Counter = field(default_factory=Counter)  # rules with a verdict left out, by reason
    repaired: Counter = field(default_factory=Counter)  # disagreeing events explained, by explanation
    reasons: Counter = field(default_factory=Counter)  # rules without a verdict, by class of reason
    unevaluated: dict = field(default_factory=lambda: defaultdict(list))  # class of reason -> rules
    disagreements: dict = field(default_factory=dict)  # rule -> [(event, Sigma verdict)] disagreeing

    @property
    def with_events(self) -> int:
        return self.converted - self.without_events

    @property
    def compared(self) -> int:
        return self.ok - sum(self.excluded.values())

    def verdict_share(self) -> float:
        """Of the rules with at least one synthesised event, the share with a verdict on all of them."""
        return self.ok / self.with_events if self.with_events else 0.0

    def verdict_share_of_converted(self) -> float:
        return self.ok / self.converted if self.converted else 0.0

    def agreement(self) -> float:
        return self.agree / self.compared if self.compared else 0.0


def verdicts(key: str, query: str, events: list[dict], at_once: bool = True) -> tuple[list[bool] | None, str | None]:
    """Per event, whether language `key`'s query returns it; None and the reason when not
    evaluated. `at_once` for a plain filter (a result row stands for one event): all the events go
    in one evaluation; otherwise each event is evaluated alone."""
    language = get_language(key)
    if at_once:
        result = language.evaluate(query, events)
        if not result.ok:
            return None, result.reason
        matched = set(result.matched)
        return [index in matched for index in range(len(events))], None
    found = []
    for event in events:
        result = language.evaluate(query, [event])
        if not result.ok:
            return None, result.reason
        found.append(0 in result.matched)
    return found, None


def reason_class(reason: str | None) -> str:
    """A reason without its position and parenthesised detail, to count reasons by kind."""
    text = re.sub(r"^\d+:\d+: ", "", reason or "")
    return re.sub(r"\(.*", "", text).strip()[:80]


def run_target(key: str, target: str, cases: list[Conversion], labelled: dict[str, Labelled],
               render: Callable[[Conversion, dict, int], dict], *,
               plain_filter: Callable[[str], object] = lambda query: True,
               query: Callable[[Conversion], str] | None = None,
               exclude: Callable[[Conversion], str | None] | None = None,
               explain: Callable[[Conversion, dict, bool, Labelled], str | None] | None = None) -> Tally:
    """Every conversion for `target`, evaluated by language `key` on its rule's events.

    render(case, event, index): the Sigma event as the target's row. plain_filter(query): whether
    the query's result rows each stand for one event (else the events are evaluated one by one).
    query(case): the text to evaluate, when not the conversion as it is (NotEvaluated when there is
    none). exclude(case): the reason the rule is left out of the agreement (a class of the backend's
    mistranslation), or None. explain(case, event, expected, labelled): the documented difference
    that explains one disagreeing event, or None; a rule agrees when all its disagreeing events are
    explained."""
    tally = Tally()
    for case in cases:
        if case.target != target:
            continue
        tally.converted += 1
        pairs = labelled[case.rule]
        if not pairs:
            tally.without_events += 1
            continue
        try:
            text = query(case) if query else case.query
        except NotEvaluated as exc:
            found, reason = None, str(exc)
        else:
            rows = [render(case, event, index) for index, (event, _) in enumerate(pairs)]
            found, reason = verdicts(key, text, rows, at_once=bool(plain_filter(text)))
        if found is None:
            kind = reason_class(reason)
            tally.reasons[kind] += 1
            tally.unevaluated[kind].append(case.rule)
            continue
        tally.ok += 1
        wrong = [index for index, (verdict, (_, expected)) in enumerate(zip(found, pairs)) if verdict != expected]
        tally.agree_all += not wrong
        why = exclude(case) if exclude else None
        if why is not None:
            tally.excluded[why] += 1
            continue
        if not wrong:
            tally.agree_strictly += 1
            tally.agree += 1
            continue
        unexplained = []
        for index in wrong:
            event, expected = pairs[index]
            repair = explain(case, event, expected, pairs) if explain else None
            if repair is None:
                unexplained.append((event, expected))
            else:
                tally.repaired[repair] += 1
        if unexplained:
            tally.disagreements[case.rule] = unexplained
        else:
            tally.agree += 1
    return tally


def _counts(counter: Counter) -> str:
    return ", ".join(f"{count} {name}" for name, count in counter.most_common()) or "none"


def summary(key: str, target: str, tally: Tally, refused: int) -> str:
    """The one-line summary of a target's run."""
    line = (f"{key} {target}: {tally.converted} rules converted ({refused} refused by the backend), "
            f"{tally.with_events} with synthesised events; verdict on {tally.ok} ({tally.verdict_share():.1%}; "
            f"{tally.verdict_share_of_converted():.1%} of all converted); {tally.compared} compared "
            f"({_counts(tally.excluded)} excluded), agreeing on {tally.agree} ({tally.agreement():.1%})")
    if tally.excluded:
        line += f"; before the exclusions {tally.agree_all} of {tally.ok} agree"
    if tally.repaired:
        strict = tally.agree_strictly / tally.compared if tally.compared else 0.0
        line += f"; without repairs {tally.agree_strictly} ({strict:.1%}), events repaired: {_counts(tally.repaired)}"
    if tally.disagreements:
        rules = sorted(tally.disagreements)
        line += f"; disagreeing: {', '.join(rules[:5])}" + (f" (+{len(rules) - 5} more)" if len(rules) > 5 else "")
    return line


def summarise_and_check(key: str, tallies: dict[str, Tally], refused: dict[str, int]) -> list[str]:
    """Print each target's summary line; the failures against the thresholds (empty when all pass)."""
    failures = []
    for target, tally in tallies.items():
        print("\n" + summary(key, target, tally, refused.get(target, 0)))
        if not tally.converted:
            failures.append(f"{target}: the backend converted no rule")
        if tally.verdict_share() < MIN_VERDICT_SHARE:
            failures.append(f"{target}: verdict share {tally.verdict_share():.1%}; "
                            f"not evaluated: {tally.reasons.most_common(8)}")
        if tally.agreement() < MIN_AGREEMENT:
            shown = list(tally.disagreements.items())[:8]
            failures.append(f"{target}: agreement {tally.agreement():.1%}; disagreeing rules: "
                            + "; ".join(f"{rule} {examples[0]}" for rule, examples in shown))
    return failures
