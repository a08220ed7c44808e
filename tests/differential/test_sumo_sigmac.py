"""Differential test for Sumo Logic, second source: SigmaHQ's rules converted by the legacy sigmac
`sumologic` backend (sigmatools 0.23.1), whose output is Sumo Logic's search language, evaluated
by our Sumo Logic evaluator on events synthesised from each rule, compared with the Sigma verdict
(issue 22). The first source, pySigma's Cloud SIEM rule expressions, is test_sumo.py.

sigmatools lives in an environment of its own (`.venv-sigmac/`, from requirements-sigmac.txt):
it installs a top-level package `sigma`, as pySigma does. convert_sigmac.py converts each rule
there with the backend's default configurations (`sysmon`, `sumologic`); the conversions are
cached in the user's cache folder, keyed by the requirements, the converter and the rules.

What a sigmac query asks of a message, and so how an event is rendered (`render`):
- `_sourceCategory=*<index>*` for the index the `sumologic` configuration gives the log source:
  the message's `_sourceCategory` is that index, lower-cased as the backend writes it;
- the log source's conditions (`EventID=1 AND "Microsoft-Windows-Sysmon"`: the Sysmon EventID
  and the Windows channel): the event carries them, as every event of that log source does;
- `Field=value` for the fields the configuration supposes a field extraction rule gives
  (`afl_fields`: EventID, CommandLine, Image, ...): each event field is a field of the message;
- a keyword for every other field's value (the field name dropped): matched against `_raw`,
  which holds each field as a `Field=value` line, the value verbatim. (sigmac says nothing of
  the message's format; key=value text keeps every value's characters, where JSON would double
  backslashes and escape quotes, and Sumo Logic's keyword terms would then differ.)

Each class of disagreement, the backend's or ours, is in sumo_sigmac_disagreements.md; the rules
left out of the agreement are recognised by class (`_CLASSES`), counted and printed.

    python -m pytest -s tests/differential/test_sumo_sigmac.py     # prints the summary line
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path

from tests.differential.harness import (
    HERE, ROOT, Conversion, ensure_environment, first_class, labelled_by_rule, predicates, rules_or_skip,
    run_target, summarise_and_check, _rule,
)
from tooling.languages import get_language
from tooling.user_cache import private_folder

KEY = "sumo"
TARGET = "sigmac-sumologic"
ENVIRONMENT = ROOT / ".venv-sigmac"
REQUIREMENTS = HERE / "requirements-sigmac.txt"
CONVERTER = HERE / "convert_sigmac.py"


# --- the conversions, cached -------------------------------------------------------------------

def _digest(rules: Path) -> str:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes() + CONVERTER.read_bytes())
    for path in sorted(rules.rglob("*.yml")):
        digest.update(path.relative_to(rules).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


@lru_cache(maxsize=None)
def _converted_file() -> Path:
    rules = rules_or_skip()
    folder = private_folder("differential") or ENVIRONMENT
    out = folder / f"{_digest(rules)}-sigmac-sumologic.jsonl"
    if not out.exists():
        python = ensure_environment(REQUIREMENTS, ENVIRONMENT)
        temp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
        subprocess.run([str(python), "-W", "ignore", str(CONVERTER), str(rules), str(temp)], check=True,
                       stderr=subprocess.DEVNULL)
        temp.replace(out)
    return out


def _records() -> list[dict]:
    return [json.loads(line) for line in _converted_file().read_text(encoding="utf-8").splitlines()]


# rule -> what the configurations add for its log source (convert_sigmac.py's "logsource")
_LOGSOURCES: dict[str, dict] = {}


def conversions() -> list[Conversion]:
    rules = rules_or_skip()
    found = []
    for record in _records():
        if "query" not in record:
            continue
        rule = _rule(rules / record["rule"])
        if rule is not None:
            _LOGSOURCES[record["rule"]] = record.get("logsource") or {}
            found.append(Conversion(record["rule"], record["target"], record["query"], rule["detection"],
                                    rule.get("logsource") or {}))
    return found


# --- an event as the message the query searches ------------------------------------------------

def _condition_pairs(items: list) -> list[tuple[str, object]]:
    """The (field, value) pairs of convert_sigmac.py's nested conditions (all AND-ed)."""
    pairs = []
    for item in items:
        if len(item) == 2 and isinstance(item[0], str):
            pairs.append((item[0], item[1]))
        else:
            pairs.extend(_condition_pairs(item))
    return pairs


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render(case: Conversion, event: dict, index: int) -> dict:
    """The Sigma event as a Sumo Logic message of the rule's log source (see the module's doc)."""
    logsource = _LOGSOURCES.get(case.rule, {})
    fields: dict[str, str] = {}
    own = {name for name, _, _ in predicates(case.detection)}
    for name, value in _condition_pairs(logsource.get("conditions", [])):
        if name not in own:  # a field the rule tests itself (EventID) is the Sigma event's to give or lack
            fields[name] = _text(value[0] if isinstance(value, list) else value)  # a list is OR-ed: one
    for name, value in event.items():
        if value is not None:
            fields[name] = _text(value)
    message = {name: value for name, value in fields.items() if not name.startswith("_")}
    message["_raw"] = "\n".join(f"{name}={value}" for name, value in fields.items())
    indexes = logsource.get("index") or []
    message["_sourceCategory"] = indexes[0].lower() if indexes else "logs"
    message["_messagetime"] = str(1_700_000_000_000 + index)
    return message


# --- what the comparison leaves out, each a class of sumo_sigmac_disagreements.md --------------

# A field comparison in the scope with a quoted value holding `*`: `Image="*\\rundll32.exe"`.
_QUOTED_WILDCARD = re.compile(r'(?<![\w."])[A-Za-z][\w.]*\s*=\s*"(?:[^"\\]|\\.)*\*(?:[^"\\]|\\.)*"')


def _quoted_wildcard(case: Conversion) -> bool:
    """Class 1: the backend quotes a field value with wildcards (any value with a character other
    than a letter, digit or `_`), and a quoted value is a literal in Sumo Logic's scope."""
    return bool(_QUOTED_WILDCARD.search(case.query))


# The `sumologic` configuration's afl_fields and the backend's own (sumologic.py, __init__): the
# fields it writes `Field=value`; any other field's value becomes a keyword.
_EXTRACTED = {"_index", "_sourceCategory", "_view", "_sourceName", "EventID", "CommandLine", "NewProcessName",
              "Image", "ParentImage", "ParentCommandLine", "ParentProcessName"}
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _sigma_wildcard_single(case: Conversion) -> bool:
    """Class 2: a Sigma `?` (one character) is written inside a quoted keyword or value, where
    Sumo Logic reads it as a literal `?`; an escaped, literal Sigma `\\?` is written `\\?`, which a
    quoted string keeps as a backslash and a `?`."""
    return any(isinstance(value, str) and "?" in value and "re" not in modifiers
               for _, modifiers, value in predicates(case.detection)) or any(
        isinstance(value, str) and "?" in value for value in _keywords(case.detection))


def _keywords(detection: dict) -> list:
    """The values of the detection's keyword lists (a search identifier that is a list of values)."""
    return [value for name, definition in detection.items() if name not in ("condition", "timeframe")
            and isinstance(definition, list) for value in definition if not isinstance(value, dict)]


def _unescaped_backslash(case: Conversion) -> bool:
    """Class 3: a Windows path's backslash is written as it is inside a quoted string, where `\\n`,
    `\\t`, `\\r`, `\\"` and `\\\\` are escapes: `"\\SYSTEM\\...\\null"` holds a line feed."""
    return any(re.search(r'(?<!\\)(?:\\\\)*\\[ntr]', body) for body in _QUOTED.findall(case.query))


def _null_or_any_value(case: Conversion) -> bool:
    """Class 4: `Field: null` is written `isEmpty(Field)` and `Field: '*'` (any value) the keyword
    `true`, in the scope, where neither is a test of the field (isEmpty is a where function; `true`
    a keyword searched in the message)."""
    return "isEmpty(" in case.query or bool(re.search(r"(?<![\w\"])true(?![\w\"])", case.query))


def _double_quote(case: Conversion) -> bool:
    """Class 5: a value holding `"` is written with its quotes unescaped or partly escaped
    (`""arn:aws:s3:::<YOUR-BUCKET-NAME>/"`): the keyword the query holds is not the value."""
    return any(isinstance(value, str) and '"' in value for _, _, value in predicates(case.detection)) or any(
        isinstance(value, str) and '"' in value for value in _keywords(case.detection))


def _keyword_for_field(case: Conversion) -> bool:
    """Class 6: a field outside afl_fields loses its name; its value becomes a keyword searched in
    the whole message, by whole terms (docs: keyword-search-expressions.md), where Sigma compares
    that field's value, anchored (equality, startswith, endswith) or as a substring."""
    return any(name not in _EXTRACTED for name, _, _ in predicates(case.detection)) or bool(
        _keywords(case.detection))


_CLASSES = {
    "1 quoted wildcard in a field value": _quoted_wildcard,
    "2 Sigma '?' written literally": _sigma_wildcard_single,
    "3 unescaped backslash in a quoted string": _unescaped_backslash,
    "4 null or any value as isEmpty() or true in the scope": _null_or_any_value,
    "5 value with a double quote": _double_quote,
}

_SUMO = get_language("sumo")


def _fragments(value: str) -> list[str]:
    """A Sigma value's literal parts (split at unescaped `*`), Sigma's escapes resolved."""
    parts = re.split(r"(?<!\\)\*", value)
    return [part.replace("\\*", "*").replace("\\\\", "\\") for part in parts if part]


def _found(fragment: str, message: dict) -> bool:
    """Whether the keyword phrase `fragment` matches the message (our evaluator, Sumo's terms)."""
    phrase = '"' + fragment.replace("\\", "\\\\").replace('"', '\\"') + '"'
    result = _SUMO.evaluate(phrase, [dict(message)])
    return result.ok and bool(result.matched)


def explain(case: Conversion, event: dict, expected: bool, labelled: list) -> str | None:
    """Class 6, checked per disagreeing event: a field outside afl_fields is searched as keywords
    (its name dropped). Sigma True, query False: one of that field's literal parts, which the
    event holds, is not a run of whole terms of the message (Sigma's substring inside a longer
    term). Sigma False, query True: every literal part of one of those fields' values is found as
    terms somewhere in the message, though the Sigma comparison of that field fails (the value is
    elsewhere, or not where the anchoring wants it); Sigma True, query False, the same under a
    NOT (`!("$")` finds the `$` of `C$` in another field)."""
    if not _keyword_for_field(case):
        return None
    message = render(case, event, 0)
    searched = [(name, modifiers, value) for name, modifiers, value in predicates(case.detection)
                if name not in _EXTRACTED and isinstance(value, str) and "re" not in modifiers]
    searched += [("", [], value) for value in _keywords(case.detection) if isinstance(value, str)]
    for name, modifiers, value in searched:
        parts = _fragments(value)
        if not parts:
            continue
        held = str(event.get(name, "")).lower() if name else message["_raw"].lower()
        if expected and any(part.lower() in held and not _found(part, message) for part in parts):
            return "6 keyword in place of a field comparison: a substring inside a term"
        if all(_found(part, message) for part in parts):
            return "6 keyword in place of a field comparison: the value found elsewhere or unanchored"
    return None


def test_sigmac_sumologic_conversions_agree_with_sigma():
    cases = conversions()
    records = _records()
    refused = sum(1 for record in records if "error" in record)
    labelled = labelled_by_rule(cases)
    tally = run_target(KEY, TARGET, cases, labelled, render,
                       plain_filter=lambda query: "|" not in query,
                       exclude=first_class(_CLASSES), explain=explain)
    failures = summarise_and_check(KEY, {TARGET: tally}, {TARGET: refused})
    print(f"no verdict: {tally.reasons.most_common(10)}")
    assert not failures, "\n".join(failures)
