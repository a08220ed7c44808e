"""Run an AQL SELECT statement offline over QRadar-shaped events (`Language._compile` for AQL).

    SELECT ... FROM events|flows [INTO c] [WHERE] [GROUP BY] [HAVING] [ORDER BY] [LIMIT n]
    [LAST n MINUTES|HOURS|DAYS | START t STOP t] [PARAMETERS ...]

What a query returns, in the order QRadar applies the clauses (IBM "Sample AQL queries" /
"Overview of AQL"):
* FROM: events whose `$table` is the table (`events` or `flows`);
* the time range: LAST n units counts back from the latest event (the evaluation contract's
  "now"); without one, IBM: "By default, if the TIMEFRAME value is not specified, the query runs
  against the last five minutes of Ariel data". Times are `starttime`, epoch milliseconds;
* WHERE: events for which the condition is true (NULL / unknown is not true);
* GROUP BY / aggregates (COUNT, UNIQUECOUNT, MIN, MAX, SUM, AVG) and HAVING: result rows; an
  aggregating query returns the events that took part in a row that HAVING keeps;
* ORDER BY and LIMIT: which rows are kept when LIMIT cuts. Where that choice is not documented
  (LIMIT without ORDER BY, ties or NULLs at the cut, text ordering) it is not evaluated.

SELECT columns are compiled only when something that decides the result names them (an alias in
WHERE, GROUP BY, HAVING or ORDER BY): a column that is only shown cannot change which events the
query returns.
"""
from __future__ import annotations

from typing import Any, Callable

from lark import Token, Tree

from tooling.languages.aql import calls
from tooling.languages.aql.expressions import ExpressionCompiler
from tooling.languages.aql.nodes import string_value, unquote
from tooling.languages.evaluation import Deadline, Evaluation, EvaluationContext, NotEvaluated
from tooling.languages.explanation import predicate

DEFAULT_WINDOW_MS = 5 * 60 * 1000
UNIT_MS = {"SECOND": 1000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000}
TABLES = ("events", "flows")
# PARAMETERS that do not change which records a query returns.
NEUTRAL_PARAMETERS = {"EXECUTIONTIMELIMIT"}
# A QRadar event has its built-in fields and at most a few hundred custom properties.
MAX_FIELDS = 10_000


class Run:
    """What one evaluation's closures share: the declared context and "now"."""

    __slots__ = ("context", "now_ms", "_sets")

    def __init__(self, context: EvaluationContext, now_ms: int | None):
        self.context = context
        self.now_ms = now_ms
        self._sets: dict[str, frozenset] = {}

    def set_members(self, name: str) -> frozenset:
        found = self._sets.get(name)
        if found is None:
            found = self._sets[name] = frozenset(str(v) for v in self.context.reference_sets[name])
        return found


def compile_query(tree: Tree) -> Callable:
    statement = tree.children[0]
    (_, select_list, from_clause, _into, where, session, group_by, having, order_by, limit, time_clause,
     parameters) = statement.children
    if from_clause is None:
        raise NotEvaluated.at(statement, "a query without FROM")
    table = _table(from_clause)
    if session is not None:
        raise NotEvaluated.at(session, "SESSION BY (transactional sessions)")
    if parameters is not None:
        for parameter in (c for c in parameters.children if isinstance(c, Tree)):
            name = str(parameter.children[0]).upper()
            if name not in NEUTRAL_PARAMETERS:
                raise NotEvaluated.at(parameter, f"PARAMETERS {name}")
    aliases, items = _select_items(select_list)
    compiler = ExpressionCompiler(aliases)
    condition = compiler.row(where.children[1]) if where is not None else None
    keys = ([compiler.alias_or_row(item) for item in group_by.children[2].children]
            if group_by is not None else None)
    aggregating = keys is not None or having is not None or any(calls.has_aggregate(i, aliases) for i in items)
    kept = compiler.group(having.children[1]) if having is not None else None
    ordering = ([(compiler.alias_or_row(item.children[0], aggregating), _descending(item))
                 for item in order_by.children[2:] if isinstance(item, Tree)] if order_by is not None else [])
    cut = int(limit.children[1]) if limit is not None else None
    window = _window(time_clause)

    def run(events: list[dict], deadline: Deadline, context: EvaluationContext) -> Evaluation:
        now = _latest(events, time_clause)
        state = Run(context, now)
        lower, upper, upper_edge = window(now)
        selected: list[int] = []
        for index, event in enumerate(events):
            deadline.check()
            if len(event) > MAX_FIELDS:
                raise NotEvaluated(f"an event with {len(event):,} fields (over {MAX_FIELDS:,}: not an event QRadar "
                                   "stores)")
            # FROM and a stated time range are leaves for `explain` too, with the event's table
            # and time: "`FROM events` (line 2) on the event's table 'flows' did not hold"
            if not predicate(from_clause, event.get("$table"), _in_table(event, table, time_clause),
                             "the event's table"):
                continue
            moment = _starttime(event, time_clause)
            if moment == lower or (upper_edge and moment == upper):
                raise NotEvaluated.at(time_clause or statement, "an event exactly at the edge of the time range "
                                      "(whether the edge is included is not documented)")
            inside = lower < moment <= upper
            if time_clause is not None:
                inside = predicate(time_clause, moment, inside, "the event's starttime")
            if not inside:
                continue
            if condition is None or condition(event, state) is True:
                selected.append(index)
        if not aggregating:
            rows = [[i] for i in selected]
            rows = _order_and_cut(rows, ordering, cut, lambda row: events[row[0]], state, deadline, order_by, limit)
            return Evaluation(True, [row[0] for row in rows])
        groups: dict[tuple, list[int]] = {}
        if keys is None:
            groups[()] = selected
        for index in selected if keys is not None else ():
            deadline.check()
            key = tuple(_hashable(k(events[index], state)) for k in keys)
            groups.setdefault(key, []).append(index)
        rows = []
        for members in groups.values():
            deadline.check()
            if not members:
                continue
            if kept is None or kept([events[i] for i in members], state) is True:
                rows.append(members)
        rows = _order_and_cut(rows, ordering, cut, lambda row: [events[i] for i in row], state, deadline,
                              order_by, limit)
        return Evaluation(True, sorted({i for row in rows for i in row}))

    return run


def _table(from_clause: Tree) -> str:
    source = next(c for c in from_clause.children if isinstance(c, Tree))
    if source.data != "table_name":
        raise NotEvaluated.at(source, "a table function or subquery in FROM" if source.data != "call"
                              else "a table function in FROM")
    name = unquote(str(source.children[0])).lower()
    if name not in TABLES:
        raise NotEvaluated.at(source, f"FROM {name} (only events and flows are evaluated)")
    return name


def _select_items(select_list: Tree) -> tuple[dict, list]:
    aliases: dict[str, Any] = {}
    items = []
    for item in select_list.children:
        if not isinstance(item, Tree) or item.data != "select_expr":
            continue
        expression, alias = item.children
        items.append(expression)
        if alias is not None:
            token = alias.children[-1]
            name = string_value(token) if token.type == "STRING" else unquote(str(token))
            aliases.setdefault(name, expression)
    return aliases, items


def _descending(item: Tree) -> bool:
    return any(isinstance(c, Token) and c.type == "DESC" for c in item.children)


def _window(time_clause: Tree | None) -> Callable[[int | None], tuple[float, float, bool]]:
    """(lower, upper, whether `upper` is an edge whose inclusion is undocumented). LAST counts
    back from "now" (the latest event), which is itself in the range."""
    if time_clause is None or time_clause.data == "last_clause":
        span = DEFAULT_WINDOW_MS
        if time_clause is not None:
            unit = str(time_clause.children[2].children[0]).upper().rstrip("S")
            span = int(time_clause.children[1]) * UNIT_MS[unit]
        return lambda now: (now - span, now, False) if now is not None else (0, 0, False)
    _, start, _, stop = time_clause.children
    begin = _epoch(start)
    end = _epoch(stop) if stop is not None else None
    if end is not None:
        return lambda now: (begin, end, True)
    return lambda now: (begin, now if now is not None else begin, False)


def _epoch(value: Any) -> int:
    if isinstance(value, Token) and value.type == "INT":
        return int(value)
    raise NotEvaluated.at(value, "START / STOP with a date text or function (it is read in the QRadar "
                          "user's time zone); epoch milliseconds are evaluated")


def _starttime(event: dict, time_clause: Any) -> int:
    moment = event.get("starttime")
    if isinstance(moment, bool) or not isinstance(moment, (int, float)):
        message = "an event without starttime (epoch milliseconds) under the query's time range"
        raise NotEvaluated.at(time_clause, message) if time_clause is not None else NotEvaluated(message)
    return moment


def _latest(events: list[dict], time_clause: Any) -> int | None:
    times = [e.get("starttime") for e in events]
    numbers = [t for t in times if isinstance(t, (int, float)) and not isinstance(t, bool)]
    return max(numbers) if numbers else None


def _in_table(event: dict, table: str, time_clause: Any) -> bool:
    name = event.get("$table")
    if not isinstance(name, str):
        raise NotEvaluated("an event without $table (events or flows)")
    return name.lower() == table


def _hashable(value: Any) -> Any:
    text = getattr(value, "text", None)
    return ("payload", text) if text is not None else value


def _order_and_cut(rows: list, ordering: list, cut: int | None, subject: Callable, state: Run,
                   deadline: Deadline, order_by: Any, limit: Any) -> list:
    """LIMIT keeps the first `cut` rows in ORDER BY order. Without ORDER BY, QRadar's row order
    is not documented; with it, rows tied at the cut, NULL keys and text keys (collation) leave
    the kept rows undocumented too: all are not evaluated when the cut decides."""
    if cut is None or len(rows) <= cut:
        return rows
    if not ordering:
        raise NotEvaluated.at(limit, f"LIMIT {cut} of {len(rows)} rows without ORDER BY (QRadar's row order is "
                              "not documented)")
    keyed = []
    for row in rows:
        deadline.check()
        values = [closure(subject(row), state) for closure, _ in ordering]
        for value in values:
            if value is None or isinstance(value, str) or not isinstance(value, (int, float)):
                raise NotEvaluated.at(order_by, "ORDER BY on NULL, text or a non-number where LIMIT cuts "
                                      "(NULL order and collation are not documented)")
        keyed.append((tuple(-v if descending else v for v, (_, descending) in zip(values, ordering)), row))
    keyed.sort(key=lambda pair: pair[0])
    if keyed[cut - 1][0] == keyed[cut][0]:
        raise NotEvaluated.at(order_by, "rows tied in ORDER BY at the LIMIT (which QRadar keeps is not documented)")
    return [row for _, row in keyed[:cut]]
