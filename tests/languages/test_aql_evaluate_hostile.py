"""Hostile input to the AQL evaluator: bounded time, and `ok` False with a reason, never a hang."""
from __future__ import annotations

import time

from tooling.languages import get_language

AQL = get_language("aql")
T0 = 1767268800000
HANG_GUARD_S = 3.0  # a guard against hangs, not a speed assertion


def run(query: str, events: list):
    started = time.perf_counter()
    result = AQL.evaluate(query, events)
    return result, time.perf_counter() - started


def test_backtracking_regex_is_cut_off():
    event = {"$table": "events", "starttime": T0, "f": "x" * 20000}
    result, spent = run("SELECT * FROM events WHERE f MATCHES '(x+x+)+y' LAST 1 HOURS", [event])
    assert not result.ok and "backtracks" in result.reason
    assert result.reason.startswith("1:")
    assert spent < HANG_GUARD_S


def test_backtracking_in_imatches_on_the_payload():
    # (a|aa)+$ on 60 a's and a '!' takes exponential time in a backtracking engine (Java's too),
    # far beyond any time bound: the evaluation stops and says so
    event = {"$table": "events", "starttime": T0, "payload": "a" * 60 + "!"}
    result, spent = run("SELECT * FROM events WHERE UTF8(payload) IMATCHES '(a|aa)+$' LAST 1 HOURS", [event])
    assert not result.ok and "backtracks" in result.reason
    assert spent < HANG_GUARD_S


def test_huge_value_is_refused():
    event = {"$table": "events", "starttime": T0, "Process CommandLine": "a" * (2 << 20)}
    result, spent = run("SELECT * FROM events WHERE \"Process CommandLine\" ILIKE '%b%' LAST 1 HOURS", [event])
    assert not result.ok and "characters" in result.reason
    assert spent < HANG_GUARD_S


def test_huge_payload_is_refused():
    event = {"$table": "events", "starttime": T0, "payload": "a" * (2 << 20)}
    result, spent = run("SELECT * FROM events WHERE UTF8(payload) ILIKE '%b%' LAST 1 HOURS", [event])
    assert not result.ok and "characters" in result.reason
    assert spent < HANG_GUARD_S


def test_event_with_too_many_fields_is_refused():
    event = {"$table": "events", "starttime": T0, **{f"p{i}": "x" for i in range(50_000)}}
    result, spent = run("SELECT * FROM events WHERE \"Missing\" = 'x' LAST 1 HOURS", [event])
    assert not result.ok and "fields" in result.reason
    assert spent < HANG_GUARD_S


def test_deeply_nested_value_is_not_a_property():
    value: dict = {}
    node = value
    for _ in range(100_000):
        node["a"] = {}
        node = node["a"]
    event = {"$table": "events", "starttime": T0, "f": value}
    result, spent = run("SELECT * FROM events WHERE f = 'x' LAST 1 HOURS", [event])
    assert not result.ok and "not a single value" in result.reason
    assert spent < HANG_GUARD_S


def test_deeply_nested_query_is_refused_not_crashed():
    query = "SELECT * FROM events WHERE " + "(" * 3000 + "a = '1'" + ")" * 3000 + " LAST 1 HOURS"
    result, spent = run(query, [{"$table": "events", "starttime": T0, "a": "1"}])
    assert not result.ok and result.reason
    assert spent < HANG_GUARD_S


def test_many_events_stay_within_the_budget():
    events = [{"$table": "events", "starttime": T0 - i, "f": "x" * 2000 + str(i)} for i in range(10_000)]
    result, spent = run("SELECT * FROM events WHERE f MATCHES '(x|xx)+y' LAST 1 HOURS", events)
    assert spent < HANG_GUARD_S + 2
    assert result.ok or "budget" in result.reason or "backtracks" in result.reason


def test_too_many_events_are_refused():
    events = [{"$table": "events", "starttime": T0}] * 10_001
    result, _ = run("SELECT * FROM events LAST 1 HOURS", events)
    assert not result.ok and "10,001 events" in result.reason


def test_events_that_are_not_objects():
    result, _ = run("SELECT * FROM events LAST 1 HOURS", ["not an event"])
    assert not result.ok
