"""What YARA-L's compiled closures run over: a `Row` (one combination of the event variables'
unnested event copies, with the placeholders, outcomes and counts it binds) and the `Run` its
closures share. expressions.py compiles the closures; evaluate.py builds the rows."""
from __future__ import annotations

from typing import Any

from tooling.languages.evaluation import MISSING, NotEvaluated, parse_time


_UNKNOWN = object()


class Run:
    """What one evaluation's closures share: the declared reference lists and "now" (the latest
    event time among `views`, worked out when a rule first asks: most rules never do)."""

    __slots__ = ("context", "_views", "_now", "_lists")

    def __init__(self, context, views: list[dict]):
        self.context = context
        self._views = views
        self._now: Any = _UNKNOWN
        self._lists: dict[str, list] = {}

    @property
    def now(self) -> int | None:
        if self._now is _UNKNOWN:
            self._now = latest_time(self._views)
        return self._now

    def reference_list(self, name: str, node: Any) -> list[str]:
        found = self._lists.get(name)
        if found is None:
            declared = self.context.reference_sets.get(name)
            if declared is None:
                raise NotEvaluated.at(node, f"the reference list %{name}, which is not declared "
                                      "(declare it in platforms.yml)")
            found = self._lists[name] = [str(v) for v in declared]
        return found


class Row:
    # `siblings`: set only while explain() probes, on the copies of one event (Copies)
    __slots__ = ("copies", "events", "ph", "run", "outcomes", "counts", "siblings")

    def __init__(self, run: Run, copies=None, events=None, ph=None, outcomes=None, counts=None):
        self.run = run
        self.copies = copies or {}
        self.events = events or {}
        self.ph = ph if ph is not None else {}
        self.outcomes = outcomes or {}
        self.counts = counts or {}


class Copies(list):
    """The rows of one event's unnested copies while explain() probes. A first pass without flips
    (`first`) notes, per leaf (id of its node), whether it held on some copy it was reached on:
    what the probe records for the event, so what a flip must negate on every copy."""

    __slots__ = ("held", "first")

    def __init__(self, rows):
        super().__init__(rows)
        self.held: dict[int, bool] = {}
        self.first = True


def latest_time(views: list[dict]) -> int | None:
    """"Now" for a run: the latest event time among the events (UDM metadata.event_timestamp)."""
    latest = None
    for view in views:
        moment = event_time(view)
        if moment is not None and (latest is None or moment > latest):
            latest = moment
    return None if latest is None else int(latest)


def event_time(view: dict) -> float | None:
    metadata = view.get("metadata")
    value = metadata.get("event_timestamp", MISSING) if isinstance(metadata, dict) else MISSING
    moment = parse_time(value) if value is not MISSING else None
    return moment.timestamp() if moment is not None else None
