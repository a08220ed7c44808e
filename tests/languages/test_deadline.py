"""The time budgets (`Deadline`, and the Sigma samples' and explanations' on `work_time`): spent by the work, not by the
interpreter's garbage collection, which in a long-running process (a test session, an editor
integration) can take a second of its own while an evaluation runs."""
from __future__ import annotations

import gc
import time

import pytest

from tooling.languages import evaluation
from tooling.languages.evaluation import Deadline, NotEvaluated


def test_a_deadline_is_spent_by_the_evaluations_own_time():
    deadline = Deadline(0.02)
    deadline.check()
    time.sleep(0.05)
    with pytest.raises(NotEvaluated, match="took over its 0.02 s budget"):
        deadline.check()


def test_time_the_garbage_collector_took_meanwhile_is_not_counted(monkeypatch):
    deadline = Deadline(0.02)
    time.sleep(0.05)
    # a collection of 10 s ran meanwhile (as observed through gc.callbacks)
    monkeypatch.setattr(evaluation._Collections, "spent", evaluation._Collections.spent + 10)
    deadline.check()
    assert deadline.remaining() > 9


def test_the_collector_is_observed():
    before = evaluation._Collections.spent
    garbage = [[]]
    garbage[0].append(garbage)  # a cycle only the collector frees
    del garbage
    gc.collect()
    assert evaluation._Collections.spent > before
