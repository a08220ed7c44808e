"""Run YARA-L 2.0 rules offline over UDM events (`Language._compile` for YARA-L).

A query is one or more `rule` blocks; the events it returns are the union of each rule's
detections' events. What a rule returns, following Google SecOps' documentation:

* events: predicates over event variables, joined with `and` when written one after another;
  a placeholder (`$host = $e.principal.hostname`) takes the field's value, and a placeholder
  bound by several event variables joins them ("Events section syntax"). Each event is unnested
  into one copy per element of the repeated fields the rule reads (values.py).
* no match section: "the rule can match a single event" ("YARA-L 2.0 overview", rule structure):
  every event for which some copy satisfies the events section and the condition holds is a
  detection of its own. Several event variables need a match section (not evaluated without).
* match: `$a, $b over 10m` groups the events by the match variables' values; the events of a
  detection happen within the window of each other. `over 10m before|after $e` anchors a window
  at each pivot event (sliding windows). Zero values of match variables are filtered out unless
  `options: allow_zero_values = true` ("Options section syntax").
* condition: `$e` (at least one event), `!$e` (none), `#e > n` (the number of distinct events),
  outcome comparisons, `and` / `or` / `not`. The detection's events are the `matched` indexes.
* outcome: only the outcome variables the condition reads are computed (the others cannot
  change what the rule returns). In a rule with a match section they aggregate the detection's
  events (count, count_distinct, sum, max, min, array, array_distinct).

Not documented, hence not evaluated: a hop window (`over` without a pivot) whose group spans
more than the window when the condition could hold on a part of it but not on the whole
(`!$e`, `#e < n`, outcomes), events exactly at a sliding window's edge, options other than
allow_zero_values, tumbling windows (`by`), and outcome values that differ between the copies
of one event in a rule without a match section.

Explanations (tooling/languages/explanation.py): the leaf predicates are compiled in
expressions.py; here, while explain() probes, two more tests are leaves: a placeholder that
joins two event variables (`$e2.principal.hostname = $host`, the second binding, on its value)
and a match variable whose value is zero (its binding, on the event's value: the event is
dropped unless allow_zero_values is set).
"""
from __future__ import annotations

from itertools import product
from typing import Any, Callable

from lark import Token, Tree

from tooling.languages import explanation
from tooling.languages.evaluation import MISSING, Deadline, Evaluation, EvaluationContext, NotEvaluated
from tooling.languages.yaral.analysis import tokens
from tooling.languages.yaral.expressions import Compiler
from tooling.languages.yaral.rows import Copies, Row, Run, event_time
from tooling.languages.yaral.values import compare, hashable, is_zero, nested_view, unnest

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TIME_PATH = ("metadata", "event_timestamp")
MAX_TUPLES = 100_000


def compile_query(tree: Tree) -> Callable:
    rules = [_Rule(node) for node in tree.children if isinstance(node, Tree) and node.data == "rule"]
    if not rules:
        raise NotEvaluated.at(tree, "a query without a rule")

    def run(events: list[dict], deadline: Deadline, context: EvaluationContext) -> Evaluation:
        views = [nested_view(event) for event in events]
        run_state = Run(context, views)
        matched: set[int] = set()
        for rule in rules:
            matched |= rule.run(views, deadline, run_state)
        return Evaluation(True, sorted(matched))
    return run


def _sections(node: Tree) -> dict[str, Tree]:
    return {c.data: c for c in node.children if isinstance(c, Tree)}


def _conjuncts(node: Any) -> list:
    if isinstance(node, Tree) and node.data == "and_expr":
        return [part for child in node.children for part in _conjuncts(child)]
    return [node]


def _names(node: Any) -> tuple[set[str], set[str]]:
    """(event variables, placeholders) an expression mentions."""
    variables, placeholders = set(), set()
    for token in tokens(node):
        if token.type == "FIELD":
            variables.add(str(token).partition(".")[0])
        elif token.type == "VARIABLE":
            placeholders.add(str(token))
    return variables, placeholders


def _bare_variable(node: Any) -> str | None:
    return str(node) if isinstance(node, Token) and node.type == "VARIABLE" else None


class _Rule:
    def __init__(self, node: Tree):
        self.node = node
        sections = _sections(node)
        self._options(sections.get("options_section"))
        events = sections["events_section"]
        conjuncts = [c for child in events.children for c in _conjuncts(child)]
        variables: set[str] = set()
        mentioned: set[str] = set()
        for conjunct in conjuncts:
            found, placeholders = _names(conjunct)
            variables |= found
            mentioned |= placeholders
        # quantified / indexed fields on a VARIABLE token name an event variable too
        self.variables = sorted(variables)
        placeholders = mentioned - variables
        outcomes = sections.get("outcome_section")
        assignments = [(str(a.children[0]), a.children[1]) for a in outcomes.children] if outcomes else []
        outcome_names = {name for name, _ in assignments}
        self.compiler = compiler = Compiler(variables, placeholders, outcome_names)

        # placeholders: the first `$x = expr` of a top-level conjunct defines $x for expr's event variable
        self.definers: dict[str, dict[str, Callable]] = {v: {} for v in variables}
        self.shared: dict[str, set[str]] = {}  # placeholders several event variables bind
        # for explanations: (variable, placeholder) -> its binding, and the binding that joins
        self.bindings: dict[tuple[str, str], tuple[Tree, tuple[Callable, str | None]]] = {}
        self.joins: dict[str, tuple[Tree, str]] = {}
        owner: dict[str, str] = {}
        rest = []
        for conjunct in conjuncts:
            binding = self._binding(conjunct)
            if binding is not None:
                name, expression = binding
                found, inner = _names(expression)
                if len(found) == 1 and not inner:
                    variable = found.pop()
                    if name not in owner:
                        owner[name] = variable
                        self.definers[variable][name] = compiler.value(expression)
                        self.bindings[variable, name] = (conjunct, compiler.value_of(conjunct))
                        continue
                    if name not in self.definers[variable]:
                        # another event variable binds the same placeholder: a join on its value
                        self.definers[variable][name] = compiler.value(expression)
                        self.bindings[variable, name] = (conjunct, compiler.value_of(conjunct))
                        self.shared.setdefault(name, {owner[name]}).add(variable)
                        self.joins.setdefault(name, (conjunct, variable))
                        continue
            rest.append(conjunct)
        for name in sorted(placeholders - set(owner)):
            raise NotEvaluated.at(node, f"the placeholder {name}, not bound to one event field by a top-level `=`")
        self.owner = owner
        self.per_variable: dict[str, list[Callable]] = {v: [] for v in variables}
        self.cross: list[tuple[set[str], Callable]] = []
        for conjunct in rest:
            found, inner = _names(conjunct)
            involved = found | {owner[p] for p in inner}
            closure = compiler.boolean(conjunct)
            if len(involved) <= 1:
                self.per_variable[next(iter(involved)) if involved else self.variables[0]].append(closure)
            else:
                self.cross.append((involved, closure))

        self.match = sections.get("match_section")
        self.keys: list[str] = []
        self.window: tuple[str, int, str | None] | None = None
        if self.match is not None:
            self._match(self.match)
        elif len(variables) > 1:
            raise NotEvaluated.at(node, "several event variables without a match section")

        condition = sections["condition_section"].children[0]
        needed = self._needed_outcomes(condition, assignments)
        compiler.section = "outcome"
        if self.match is not None:
            compiler.aggregate_rows = lambda row, variable: row.counts["@rows"][variable]
        self.outcomes = [(name, compiler.value(expr)) for name, expr in assignments if name in needed]
        compiler.section = "condition"
        self.condition = compiler.boolean(condition)
        # the monotone conjuncts of the condition: when they fail on a whole group, they fail on
        # every part of it too, whatever the others (`!$e`) say
        conjuncts = condition.children if isinstance(condition, Tree) and condition.data == "cond_and" else [condition]
        necessary = [compiler.boolean(c) for c in conjuncts if _monotone(c, dict(assignments))]
        self.necessary = (lambda row: all(n(row) for n in necessary)) if necessary else None
        self.trivial_condition = isinstance(condition, Tree) and condition.data == "exists" and not self.outcomes
        self.monotone = _monotone(condition, dict(assignments))
        # placeholders bound by several variables that are not match keys join their events
        self.shared = {name: found for name, found in self.shared.items() if name not in self.keys}
        absent = {str(n.children[0]) for n in condition.iter_subtrees() if n.data == "absent"} \
            if isinstance(condition, Tree) else set()
        for involved, _ in self.cross:
            if involved & absent:
                raise NotEvaluated.at(condition, "a missing event variable (`!$e`) joined to others by a "
                                      "predicate other than the match variables")
        self.tries = compiler.tries
        for variable in variables:
            if self.match is not None:
                self.tries[variable].add(TIME_PATH)

    # ---- compile helpers ------------------------------------------------------------------

    def _options(self, section: Tree | None) -> None:
        self.allow_zero = False
        for entry in section.children if section is not None else ():
            key, value = str(entry.children[0]).lower(), str(entry.children[1]).lower()
            if key == "allow_zero_values" and value in ("true", "false"):
                self.allow_zero = value == "true"
            else:
                raise NotEvaluated.at(entry, f"the option {key}")

    @staticmethod
    def _binding(conjunct: Any) -> tuple[str, Any] | None:
        if not (isinstance(conjunct, Tree) and conjunct.data == "comparison" and len(conjunct.children) == 3):
            return None
        lhs, comparator, rhs = conjunct.children
        if str(comparator.children[0]) != "=":
            return None
        left, right = _bare_variable(lhs), _bare_variable(rhs)
        if left and not right:
            return left, rhs
        if right and not left:
            return right, lhs
        return None

    def _match(self, section: Tree) -> None:
        for child in section.children:
            if isinstance(child, Token):
                if child.type != "VARIABLE":
                    raise NotEvaluated.at(child, "a field as a match key (search syntax)")
                name = str(child)
                if name not in self.owner:
                    raise NotEvaluated.at(child, f"the match key {name}, which no event field binds")
                self.keys.append(name)
            elif child.data == "tumbling_window":
                raise NotEvaluated.at(child, "a tumbling window (`by`)")
            else:
                duration = str(child.children[0])
                seconds = int(duration[:-1]) * UNIT_SECONDS[duration[-1].lower()]
                pivot = child.children[1] if len(child.children) > 1 else None
                if pivot is None:
                    self.window = ("hop", seconds, None)
                else:
                    direction, variable = str(pivot.children[0]).lower(), str(pivot.children[1])
                    if variable not in self.variables:
                        raise NotEvaluated.at(pivot, f"the pivot {variable}, which is not an event variable")
                    self.window = (direction, seconds, variable)
        if self.window is None:
            raise NotEvaluated.at(section, "a match section without a window (`over`)")
        for variable in self.variables:
            for key in self.keys:
                if self.owner[key] != variable and key not in self.definers[variable]:
                    raise NotEvaluated.at(section, f"the event variable {variable}, which does not bind the "
                                          f"match variable {key} itself")

    @staticmethod
    def _needed_outcomes(condition: Any, assignments: list) -> set[str]:
        names = {name for name, _ in assignments}
        needed = {str(t) for t in tokens(condition) if t.type == "VARIABLE" and str(t) in names}
        changed = True
        while changed:
            changed = False
            for name, expression in assignments:
                if name in needed:
                    for token in tokens(expression):
                        if token.type == "VARIABLE" and str(token) in names and str(token) not in needed:
                            needed.add(str(token))
                            changed = True
        return needed

    # ---- evaluation ---------------------------------------------------------------------------

    def _rows(self, variable: str, view: dict, run: Run) -> list[Row]:
        """The copies of one event that satisfy the variable's own predicates."""
        if explanation._probe is not None:
            return self._probed_rows(variable, view, run)
        passing = []
        definers = self.definers[variable]
        checks = self.per_variable[variable]
        for copy in unnest(self.tries[variable], view):
            row = Row(run, {variable: copy}, {variable: view})
            for name, closure in definers.items():
                row.ph[name] = closure(row)
            for check in checks:  # a loop, not all(): no generator per copy
                if not check(row):
                    break
            else:
                passing.append(row)
        return passing

    def _probed_rows(self, variable: str, view: dict, run: Run) -> list[Row]:
        """_rows while explain() probes: each copy knows the others, so that a flipped leaf is
        flipped for the event as a whole (leaves.probed)."""
        definers = self.definers[variable]
        checks = self.per_variable[variable]
        rows = []
        for copy in unnest(self.tries[variable], view):
            row = Row(run, {variable: copy}, {variable: view})
            for name, closure in definers.items():
                row.ph[name] = closure(row)
            rows.append(row)
        if len(rows) > 1:
            siblings = Copies(rows)
            for row in rows:
                row.siblings = siblings
            with explanation.probing():  # a first pass without flips, recorded aside
                for row in rows:
                    all(check(row) for check in checks)
            siblings.first = False
        return [row for row in rows if all(check(row) for check in checks)]

    def _nonzero_keys(self, variable: str, row: Row, values: list) -> bool:
        """Whether a row's match variables all have a value; while explain() probes, each is a
        leaf at its binding, on the event's value."""
        if explanation._probe is None:
            return not any(is_zero(v) for v in values)
        kept = True
        for key, value in zip(self.keys, values):
            node, (value_of, _) = self.bindings[variable, key]
            shown = value_of(row)
            subject = f"the match variable {key}'s " + ("field" if shown is MISSING else "value")
            kept = explanation.predicate(node, shown, not is_zero(value), subject, scope=False) and kept
        return kept

    def run(self, views: list[dict], deadline: Deadline, run: Run) -> set[int]:
        if self.match is None:
            return self._single(views, deadline, run)
        return self._grouped(views, deadline, run)

    def _single(self, views: list[dict], deadline: Deadline, run: Run) -> set[int]:
        (variable,) = self.variables
        matched = set()
        for index, view in enumerate(views):
            deadline.check()
            rows = self._rows(variable, view, run)
            if not rows:
                continue
            if self.trivial_condition:
                matched.add(index)
                continue
            verdicts = set()
            for row in rows:
                row.counts = {variable: 1}
                for name, closure in self.outcomes:
                    row.outcomes[name] = closure(row)
                verdicts.add(self.condition(row))
            if len(verdicts) > 1:
                raise NotEvaluated.at(self.node, "a condition on outcomes that differ between the copies of one "
                                      "event (its repeated fields)")
            if verdicts.pop():
                matched.add(index)
        return matched

    def _grouped(self, views: list[dict], deadline: Deadline, run: Run) -> set[int]:
        groups: dict[tuple, dict[str, list]] = {}
        for variable in self.variables:
            for index, view in enumerate(views):
                deadline.check()
                rows = self._rows(variable, view, run)
                if not rows:
                    continue
                moment = event_time(view)
                if moment is None:
                    raise NotEvaluated.at(self.match, "an event without metadata.event_timestamp in a rule "
                                          "with a match window")
                for row in rows:
                    values = [row.ph[key] for key in self.keys]
                    if not self.allow_zero and not self._nonzero_keys(variable, row, values):
                        continue
                    group = groups.setdefault(hashable(values), {"@key": values})
                    group.setdefault(variable, []).append((index, moment, row))
        matched: set[int] = set()
        for group in groups.values():
            deadline.check()
            matched |= self._windows(group, deadline, run)
        return matched

    def _windows(self, group: dict, deadline: Deadline, run: Run) -> set[int]:
        kind, seconds, pivot = self.window
        members = {v: group.get(v, []) for v in self.variables}
        key = dict(zip(self.keys, group["@key"]))
        if kind in ("before", "after"):
            found: set[int] = set()
            for _, anchor, _ in members[pivot]:
                deadline.check()
                low, high = (anchor - seconds, anchor) if kind == "before" else (anchor, anchor + seconds)
                edge = low if kind == "before" else high
                if any(m[1] == edge for rows in members.values() for m in rows):
                    raise NotEvaluated.at(self.match, "an event exactly at the edge of a sliding window "
                                          "(whether the edge is included is not documented)")
                subset = {v: [m for m in rows if low <= m[1] <= high] for v, rows in members.items()}
                found |= self._detection(subset, key, deadline, run) or set()
            return found
        times = [m[1] for rows in members.values() for m in rows]
        if max(times) - min(times) <= seconds:
            whole = self._detection(members, key, deadline, run)
            if whole is not None or self.monotone or self._necessary_fails(members, key, deadline, run):
                return whole or set()
            raise NotEvaluated.at(self.match, "a condition that fails on a group's events but could hold on a "
                                  "part of them (which hop windows exist is not documented)")
        if not self.monotone:
            raise NotEvaluated.at(self.match, "a group of events spanning more than the hop window, with a "
                                  "condition that is not monotone (`!$e`, `#e <`, outcomes)")
        found = set()
        for start in sorted(set(times)):
            deadline.check()
            subset = {v: [m for m in rows if start <= m[1] <= start + seconds] for v, rows in members.items()}
            found |= self._detection(subset, key, deadline, run) or set()
        return found

    def _detection(self, members: dict[str, list], key: dict, deadline: Deadline, run: Run) -> set[int] | None:
        """The events of a detection on these members, or None when the condition does not hold."""
        participants = members
        if self.cross or self.shared:
            participants = self._joined(members, deadline, run)
        counts: dict[str, Any] = {v: len({m[0] for m in rows}) for v, rows in participants.items()}
        counts["@rows"] = {v: [m[2] for m in rows] for v, rows in participants.items()}
        row = Row(run, ph=dict(key), counts=counts)
        for name, closure in self.outcomes:
            row.outcomes[name] = closure(row)
        if not self.condition(row):
            return None
        return {m[0] for rows in participants.values() for m in rows}

    def _necessary_fails(self, members: dict[str, list], key: dict, deadline: Deadline, run: Run) -> bool:
        if self.necessary is None:
            return False
        saved = self.condition
        try:
            self.condition = self.necessary
            return self._detection(members, key, deadline, run) is None
        finally:
            self.condition = saved

    def _joined(self, members: dict[str, list], deadline: Deadline, run: Run) -> dict[str, list]:
        """The members that take part in a tuple (one copy per variable) satisfying the predicates
        that join event variables."""
        names = [v for v in self.variables if members[v]]
        total = 1
        for v in names:
            total *= len(members[v])
        if total > MAX_TUPLES:
            raise NotEvaluated.at(self.match, f"more than {MAX_TUPLES:,} combinations of events to join")
        kept: dict[str, dict[int, tuple]] = {v: {} for v in self.variables}
        for combination in product(*(members[v] for v in names)):
            deadline.check()
            chosen = dict(zip(names, combination))
            row = Row(run)
            for v, member in chosen.items():
                row.copies.update(member[2].copies)
                row.events.update(member[2].events)
                row.ph.update(member[2].ph)
            if not all(self._join(name, [chosen[v][2].ph[name] for v in found if v in chosen], chosen)
                       for name, found in self.shared.items()):
                continue
            if all(closure(row) for involved, closure in self.cross if involved <= set(chosen)):
                for v, member in chosen.items():
                    kept[v][id(member)] = member
        return {v: list(found.values()) for v, found in kept.items()}

    def _join(self, name: str, values: list, chosen: dict) -> bool:
        """Whether the event variables that bind placeholder `name` agree on its value; while
        explain() probes, a leaf at the binding that joins them, on that variable's value."""
        held = _same(values, self.match)
        if explanation._probe is None:
            return held
        node, variable = self.joins[name]
        value = chosen[variable][2].ph[name] if variable in chosen else explanation.NO_VALUE
        return explanation.predicate(node, value, held)


def _same(values: list, node: Any) -> bool:
    return all(compare(values[0], "=", other, False, node) for other in values[1:])


def _monotone(node: Any, outcomes: dict) -> bool:
    """True when the condition can only turn from false to true as events are added: `$e`,
    `#e > n`, and outcome comparisons `$o > n` where $o is a count, count_distinct or max
    (`$o < n` where it is a min)."""
    if isinstance(node, Token):
        return False
    kind = node.data
    if kind in ("cond_or", "cond_and"):
        return all(_monotone(c, outcomes) for c in node.children)
    if kind == "exists":
        return True
    if kind == "comparison":
        lhs, comparator, rhs = node.children[:3]
        operator = str(comparator.children[0])
        if not (isinstance(lhs, Token) and isinstance(rhs, Token) and rhs.type == "NUMBER"):
            return False
        if lhs.type == "COUNT_VARIABLE":
            return operator in (">", ">=")
        expression = outcomes.get(str(lhs)) if lhs.type == "VARIABLE" else None
        if isinstance(expression, Tree) and expression.data == "call":
            name = str(expression.children[0]).lower()
            return (name in ("count", "count_distinct", "max") and operator in (">", ">=")
                    or name == "min" and operator in ("<", "<="))
    return False
