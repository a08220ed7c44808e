"""A query that decides each event on its own is run once over all of a package's samples
(`Language.per_event`, checks/verdicts.py `_together`): which queries qualify in each language,
that the one run gives every sample the verdict a run on it alone gives, and that a run without
a verdict falls back to one run per sample."""
from __future__ import annotations

from pathlib import Path

import pytest

from tooling.checks.verdicts import logsource_of, package_samples
from tooling.languages import LANGUAGES, _loaded, get_language
from tooling.languages.evaluation import NotEvaluated
from tooling.package import load_package
from tooling.platforms import classify, render
from tooling.platforms.local import load_local
from tooling.testing import run_tests

from tests.test_verdicts import Scripted, _package

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted((ROOT / "detections").rglob("*.yml"))

PER_EVENT = {
    "kql": ['DeviceProcessEvents | where FileName =~ "sc.exe" | extend x = 1 | project x | sort by x',
            'union (T | where a == 1), (U | where b == 2) | project a',
            'T | mv-apply p = todynamic(Parameters) on (where tostring(p.Name) == "x") | project a'],
    "spl": ['index=main sourcetype=x CommandLine="*stop*" | where a=1 | eval b=2 | rex field=c "(?<d>.)" '
            '| table a | sort - _time'],
    "eql": ['process where process.name : "sc.exe" and process.args : "stop"'],
    "aql": ["SELECT * FROM events WHERE \"EventID\" = '1' ORDER BY starttime DESC LAST 24 HOURS"],
    "sumo": ['_sourceCategory=x stop | json field=_raw "a" as a | where a = "1" | if(a = "1", 1, 0) as b '
             '| fields a, b | sort by a'],
    "yaral": ['rule r { events: $e.metadata.event_type = "PROCESS_LAUNCH" condition: $e }'],
    "logscale": ['#event_simpleName=ProcessRollup2 | CommandLine=/stop/i | x := lower(CommandLine) '
                 '| table([x], limit=1000)'],
}
ACROSS_EVENTS = {
    "kql": ['T | summarize count() by a', 'T | take 5', 'T | top 3 by a', 'T | join (U) on a',
            'T | where a == toscalar(T | count)', 'T | serialize | extend p = prev(a)', 'T | distinct a',
            'T | mv-apply p = todynamic(Parameters) on (take 1)'],
    "spl": ['index=main | stats count by a', 'index=main | dedup a', 'index=main | head 5',
            'index=main | sort 5 - _time', '| tstats count from datamodel=Endpoint.Processes by a',
            'index=main [search index=other | fields a]', 'index=main | streamstats count'],
    "eql": ['sequence [process where true] [file where true]', 'process where true | head 1',
            'process where true | unique process.name'],
    "aql": ["SELECT COUNT(*) FROM events GROUP BY sourceip LAST 1 HOURS",
            "SELECT * FROM events LIMIT 5 LAST 1 HOURS", "SELECT UNIQUECOUNT(sourceip) FROM events LAST 1 HOURS"],
    "sumo": ['_sourceCategory=x | count by a', '_sourceCategory=x | limit 5', '_sourceCategory=x | top 3 a',
             '_sourceCategory=x | backshift a as b'],
    "yaral": ['rule r { events: $e.principal.hostname = $h match: $h over 5m condition: $e }',
              'rule r { events: $a.metadata.event_type = "X" $b.metadata.event_type = "Y" '
              'condition: $a and $b }'],
    "logscale": ['#event_simpleName=X | groupBy(a)', '#event_simpleName=X | head(5)',
                 '#event_simpleName=X | table([a], limit=5)', '#event_simpleName=X | [count(), sum(b)]'],
}


@pytest.mark.parametrize("key,query", [(k, q) for k, queries in PER_EVENT.items() for q in queries])
def test_a_query_of_row_by_row_stages_is_per_event(key, query):
    assert get_language(key).parse(query).ok
    assert get_language(key).per_event(query)


@pytest.mark.parametrize("key,query", [(k, q) for k, queries in ACROSS_EVENTS.items() for q in queries])
def test_a_query_that_reads_several_events_is_not(key, query):
    assert get_language(key).parse(query).ok, query
    assert not get_language(key).per_event(query)


def test_an_spl_macro_that_may_hide_a_pipe_is_not_per_event():
    from tooling.languages.evaluation import EvaluationContext

    spl = get_language("spl")
    query = "`sysmon` CommandLine=*stop*"
    assert spl.per_event(query, EvaluationContext(macros={"sysmon": "sourcetype=xmlwineventlog"}))
    assert not spl.per_event(query, EvaluationContext(macros={"sysmon": "index=x | stats count by a"}))


@pytest.mark.parametrize("path", PACKAGES, ids=lambda p: p.stem)
def test_one_run_over_the_samples_gives_each_the_verdict_of_its_own_run(path):
    package = load_package(path)
    samples, logsource = package_samples(package), logsource_of(package)
    local = load_local(ROOT / "platforms.yml")  # the repository's macros, lookups and lists
    tried = 0
    for key in LANGUAGES:
        text, language = package.data["queries"][key], get_language(key)
        context = local.context(key)
        if not language.per_event(text, context):
            continue
        events = [found.event for position, sample in enumerate(samples)
                  if (found := render(key, sample.event, logsource, index=position,
                                      kind=classify(sample.event, logsource))) is not None]
        alone = [i for i, event in enumerate(events) if language.evaluate(text, [event], context).matched == [0]]
        together = language.evaluate(text, events, context)
        assert together.ok, (key, together.reason)
        assert together.matched == alone, key
        tried += 1
    assert tried >= 5  # most of each package's queries qualify


class PerEventScripted(Scripted):
    """The scripted language (tests/test_verdicts.py), deciding event by event; it records the
    number of events of each run, and a query naming "fails together" has no verdict on a run
    of several events."""

    runs: list[int] = []

    def _per_event(self, tree):
        return True

    def _compile(self, tree, text):
        inner = super()._compile(tree, text.replace(" fails together", ""))

        def run(events, deadline, context):
            PerEventScripted.runs.append(len(events))
            if "fails together" in text and len(events) > 1:
                raise NotEvaluated("a construct seen only together", 1, 5)
            return inner(events, deadline, context)
        return run

    def parse(self, text):
        from tooling.languages.base import ParseResult

        return ParseResult(True, [], tree="")


@pytest.fixture
def per_event_kql(monkeypatch):
    monkeypatch.setitem(_loaded, "kql", PerEventScripted("kql", "KQL"))
    PerEventScripted.runs = []


def test_a_per_event_query_runs_once_over_the_samples(tmp_path, per_event_kql):
    report = run_tests([_package(tmp_path, 'where ProcessCommandLine has "stop"')], ["kql"], drift=False)
    assert [(r.sample, r.verdict) for r in report.results if r.language == "kql"] == \
        [("match[0]", True), ("no_match[0]", False)]
    assert PerEventScripted.runs == [2]


def test_a_run_together_without_a_verdict_falls_back_to_a_run_per_sample(tmp_path, per_event_kql):
    report = run_tests([_package(tmp_path, 'where ProcessCommandLine has "stop" fails together')], ["kql"],
                       drift=False)
    assert [(r.sample, r.verdict) for r in report.results if r.language == "kql"] == \
        [("match[0]", True), ("no_match[0]", False)]
    assert PerEventScripted.runs == [2, 1, 1]
