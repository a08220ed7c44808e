"""Differential test for SPL: SigmaHQ's rules converted by pySigma's Splunk backend (without a
pipeline, and with splunk_windows), evaluated by our SPL evaluator on events synthesised from each
rule, compared with the Sigma verdict (issue 19). The disagreement classes are written down in
spl_disagreements.md; the events are rendered by spl_events.py.

    python -m pytest -s tests/differential/test_spl.py     # prints a summary line per target
"""
from __future__ import annotations

import re

from tests.differential.harness import (Conversion, conversions, errors, labelled_by_rule, run_target,
                                        summarise_and_check)
from tests.differential.spl_events import splunk_event

TARGETS = ("splunk", "splunk+splunk_windows")
# Commands after which a result no longer stands for one event on its own: with them each event
# is evaluated alone; otherwise the query is a plain filter and a rule's events go in at once.
_AGGREGATING = re.compile(r"\|\s*(?:stats|eventstats|streamstats|dedup|head|tail|transaction|tstats|chart|"
                          r"timechart|top|rare|sort|join|append)\b", re.IGNORECASE)

# Rules left out of the agreement, each for a reason written in spl_disagreements.md.
EXCLUDED: dict[str, str] = {}


def _render(case: Conversion, event: dict, index: int) -> dict:
    return splunk_event(event, case.logsource, case.target, index)


def test_spl_backend_conversions_agree_with_sigma():
    cases = conversions("spl")
    labelled = labelled_by_rule(cases)
    tallies = {target: run_target("spl", target, cases, labelled, _render,
                                  plain_filter=lambda query: not _AGGREGATING.search(query),
                                  exclude=lambda case: EXCLUDED.get(case.rule)) for target in TARGETS}
    failures = summarise_and_check("spl", tallies, errors("spl"))
    assert not failures, "\n".join(failures)
