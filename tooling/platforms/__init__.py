"""Platform knowledge, as data: how each SIEM stores events and what its queries can name.

    from tooling.platforms import classify, render, platform_schema
    kind = classify(sample, logsource)            # "windows_process_creation", ... or None
    rendering = render("kql", sample, logsource)  # the event as Defender XDR / Sentinel shows it
    rendering.event, rendering.kind, rendering.unmapped
    rendering.events  # every record: (event,) but where one occurrence is several records (auditd)
    platform_schema("kql").tables["DeviceProcessEvents"].fields["ProcessCommandLine"]  # "string"

Data files (each names its sources and a date):
- `kinds.json`: the kinds of sample event (Sigma taxonomy), recognised from their fields.
- `<key>/render.json`: per kind, how that event looks on platform `<key>` (keys as in
  `tooling/languages/`). Its shape:

      {"platform": "...", "sources": [...], "date": "YYYY-MM-DD",
       "nested": false,                      # true: dotted names build nested objects (ECS, UDM)
       "time": [{"to": "Timestamp", "format": "iso"}],     # iso | epoch_ms | epoch_s
       "kinds": {"<kind>": {
           "set": {"$table": "DeviceProcessEvents", "ActionType": "ProcessCreated"},
           "fields": {"<Sigma field>": "<platform field>"            # a rename, or
                      | {"to": "...", "transform": "basename",      # a named transform, and/or
                         "map": {"SetValue": "RegistryValueSet"}, "default": "..."}   # a value map
                      | [ ...several of those... ]},
           "time": [...],                             # this kind's time fields, when not the table's
           "defaults": {"<platform field>": value},   # set when no sample field produced it
           "ignore": ["EventID"],                     # sample fields the kind itself stands for
           "raw": [{"to": "_raw", "format": "sysmon_xml"}]}}}    # the whole event as text
       or "<kind>": {...as above..., "records": [{"raw": ...}, ...]}   # one occurrence stored as
                                  # several records (auditd's SYSCALL, EXECVE, ...), each the kind's
                                  # spec with its own entries added

  A kind a platform does not list has no rendering there (`render` returns None), unless
  kinds.json names a kind it `falls_back_to` that the platform lists; a sample field a kind does
  not map is dropped and listed in `unmapped`.
- `<key>/schema.json`: tables (or indexes, event types) with their fields and types, the
  enumerations queries compare against, and cross-platform aliases (see `PlatformSchema`):

      {"platform", "sources", "date",
       "tables": {"<name>": {"description", "fields": {"<field>": "<type>"},
                             "enums": {"<field>": [values]}, "products": ["xdr", "sentinel"]}},
       "common_fields": {"<field>": "<type>"},     # every table has them
       "aliases": {"CommandLine": "ProcessCommandLine"},     # for "did you mean"
       "refused_types": {"text": "Elasticsearch EQL cannot compare text fields"},
       "open_tables": false,    # true: table names are the deployment's own (Sumo source categories)
       "products": {"sentinel": {"name": "Microsoft Sentinel", "named_as": ["Sentinel", ...]}}}
                                # where tables live in several products: the words telemetry uses

  Types: string (keyword), text, number, bool, datetime, dynamic, array, ip.
"""
from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from tooling.platforms import transforms as shared

HERE = Path(__file__).parent
# Samples carry no time of their own; rendered events get one, a second apart from this.
SAMPLE_TIME = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


class PlatformDataError(Exception):
    """A platform data file that does not follow its shape (a bug in the tooling's data)."""


@dataclass(frozen=True)
class Rendering:
    kind: str
    event: dict  # the first record
    unmapped: tuple[str, ...] = ()
    # Every record the platform stores for the sample: one, except where one occurrence is written
    # as several (an execve that auditd records as SYSCALL, EXECVE and PROCTITLE). A query returns
    # the sample when it returns any of them.
    events: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    fields: Mapping[str, str]  # field -> type: string | text | number | bool | datetime | dynamic | array | ip
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    description: str = ""
    products: tuple[str, ...] = ()  # where the table exists, when the platform has several (Sentinel, XDR)


@dataclass(frozen=True)
class PlatformSchema:
    key: str
    tables: Mapping[str, Table]
    common_fields: Mapping[str, str]  # fields every table has
    aliases: Mapping[str, str]  # a name from another platform or Sigma -> this platform's name
    sources: tuple = ()
    # type -> why a query cannot use a field of that type (e.g. EQL: "text" fields are refused)
    refused_types: Mapping[str, str] = field(default_factory=dict)
    # True where table names are the deployment's own (Sumo source categories): an unknown one is
    # not an error, and fields under it are not checked
    open_tables: bool = False
    # where a platform's tables live in several products: product -> (its name, the words a
    # package's telemetry uses for it), e.g. "sentinel" -> ("Microsoft Sentinel", ("Sentinel", ...))
    products: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def fields_of(self, table: str | None) -> Mapping[str, str] | None:
        """The fields a table has (common fields included), or None when the table is unknown."""
        if table is None:
            merged: dict[str, str] = dict(self.common_fields)
            for known in self.tables.values():
                merged.update(known.fields)
            return merged
        known = self.tables.get(table)
        return None if known is None else {**self.common_fields, **known.fields}


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PlatformDataError(f"{path}: {exc}") from None
    if not isinstance(data, dict) or not data.get("sources") or not data.get("date"):
        raise PlatformDataError(f"{path}: a platform data file must be an object with its sources and date")
    return data


@lru_cache(maxsize=1)
def kinds() -> list[dict]:
    return _read(HERE / "kinds.json")["kinds"]


@lru_cache(maxsize=1)
def fallbacks() -> dict[str, str]:
    """kind -> the more general kind a platform without its own rendering of it renders it as
    (a Security 4688 is a process creation wherever the platform does not keep it apart)."""
    return {entry["kind"]: entry["falls_back_to"] for entry in kinds() if "falls_back_to" in entry}


@lru_cache(maxsize=1)
def markers() -> dict[str, frozenset[str]]:
    """kind -> the sample fields that only say which kind it is (an auditd execve's type: EXECVE):
    a platform that renders it as the kind it falls back to drops them, as its source has no such
    field (Sysmon for Linux's XML would otherwise carry a Data named type)."""
    return {entry["kind"]: frozenset(entry["marked_by"]) for entry in kinds() if "marked_by" in entry}


@lru_cache(maxsize=1)
def case_varies() -> frozenset[str]:
    """The sample fields whose letter case varies in real events (see kinds.json)."""
    return frozenset(_read(HERE / "kinds.json").get("case_varies", {}).get("fields", ()))


class _Condition:
    """A kinds.json `when`, read once: its lists as tuples and each `equals` list as the set of
    its texts, rather than that set built again for every sample (`classify` runs on each
    sample, and again in each LogScale Falcon rendering)."""

    __slots__ = ("has", "lacks", "equals", "prefix", "not_prefix", "product", "any")

    def __init__(self, condition: Mapping):
        self.has = tuple(condition.get("has", ()))
        self.lacks = tuple(condition.get("lacks", ()))
        self.equals = tuple((name, frozenset(str(a) for a in allowed))
                            for name, allowed in condition.get("equals", {}).items())
        self.prefix = tuple(condition.get("prefix", {}).items())
        self.not_prefix = tuple(condition.get("not_prefix", {}).items())
        self.product = condition["product"] if "product" in condition else None
        self.any = tuple(_Condition(option) for option in condition["any"]) if "any" in condition else None

    def holds(self, sample: Mapping, logsource: Mapping) -> bool:
        for name in self.has:
            if name not in sample:
                return False
        for name in self.lacks:
            if name in sample:
                return False
        for name, allowed in self.equals:
            if name not in sample or str(sample[name]) not in allowed:
                return False
        for name, prefix in self.prefix:
            if not str(sample.get(name, "")).startswith(prefix):
                return False
        for name, prefix in self.not_prefix:
            if str(sample.get(name, "")).startswith(prefix):
                return False
        if self.product is not None and logsource.get("product") not in self.product:
            return False
        if self.any is not None and not any(option.holds(sample, logsource) for option in self.any):
            return False
        return True


@lru_cache(maxsize=1)
def _conditions() -> tuple[tuple[_Condition, str], ...]:
    return tuple((_Condition(entry["when"]), entry["kind"]) for entry in kinds())


def classify(sample: Mapping, logsource: Mapping | None = None) -> str | None:
    """The kind of a sample event (Sigma taxonomy), or None when no kind fits."""
    logsource = logsource or {}
    for condition, kind in _conditions():
        if condition.holds(sample, logsource):
            return kind
    return None


@lru_cache(maxsize=None)
def render_table(key: str) -> dict:
    """The render table of platform `key`; a platform without one renders nothing."""
    path = HERE / key / "render.json"
    return _read(path) if path.is_file() else {"kinds": {}}


@lru_cache(maxsize=None)
def _platform_functions(key: str) -> tuple[dict, dict]:
    try:
        module = importlib.import_module(f"tooling.platforms.{key}.transforms")
    except ModuleNotFoundError:
        return {}, {}
    return getattr(module, "TRANSFORMS", {}), getattr(module, "FORMATS", {})


def _function(key: str, name: str, registry: str) -> Any:
    own = _platform_functions(key)[0 if registry == "transform" else 1]
    found = own.get(name) or (shared.TRANSFORMS if registry == "transform" else shared.FORMATS).get(name)
    if found is None:
        raise PlatformDataError(f"{key}/render.json names the unknown {registry} {name!r}")
    return found


def _put_path(event: dict, name: str, place: tuple[tuple[str, ...], str], value: Any) -> None:
    """Set the dotted `name` at `place` (the objects it lies in, its own key) in a nested event."""
    parents, last = place
    node = event
    for head in parents:
        child = node.get(head, _ABSENT)  # not setdefault(head, {}): an empty dict made for each level
        if child is _ABSENT:
            child = node[head] = {}
        elif not isinstance(child, dict):
            raise PlatformDataError(f"{name}: {head} is both a value and an object")
        node = child
    node[last] = value


def _has_path(event: dict, place: tuple[tuple[str, ...], str]) -> bool:
    """Whether a nested event holds a value at `place` (see `_put_path`)."""
    parents, last = place
    node: Any = event
    for head in parents:
        if not isinstance(node, dict) or head not in node:
            return False
        node = node[head]
    return isinstance(node, dict) and last in node


class _Node(dict):
    """An object the render table's dotted names made (not a value it sets): copied per event."""


class _Time:
    """Where a time field goes in a plan's template, until the event's own time is put there."""

    __slots__ = ("form",)

    def __init__(self, form: str):
        self.form = form


_ABSENT = object()


@dataclass(frozen=True)
class _Plan:
    """A kind's render spec compiled once per platform: the table's fixed part (times, `set`) as a
    template event, the field rules with their functions looked up and their names split. About
    a third of what interpreting the spec for every sample cost."""

    nested: bool
    template: dict
    times: tuple  # (path, format) of the template's time fields
    # sample field -> ((name, place or None, transform, map, default), ...), or the name alone for a
    # field that is only renamed (most fields: their values are copied without the rules' tests)
    fields: dict
    ignore: frozenset
    defaults: tuple  # (name, place or None, value); a place: where _put_path puts a dotted name
    raw: tuple  # (name, place or None, format, whether the format takes the rendering so far)
    nodes: tuple  # the paths of the template's nested objects, each before those inside it


def _missing(key: str, name: str, registry: str) -> Any:
    """A function the table names but no module has: the error comes when a sample needs it."""
    try:
        return _function(key, name, registry)
    except PlatformDataError as exc:
        error = exc

        def fail(*_: Any) -> Any:
            raise error
        return fail


def _compile_plan(key: str, kind: str) -> tuple[_Plan, ...] | None:
    """The plan of each record the platform stores for a sample of `kind` (one, most often)."""
    table = render_table(key)
    spec = table.get("kinds", {}).get(kind)
    if spec is None and kind in fallbacks():  # a platform that stores the specific kind as the general one
        spec = table.get("kinds", {}).get(fallbacks()[kind])
    if spec is None:
        return None
    shared = {name: value for name, value in spec.items() if name != "records"}  # what every record has
    return tuple(_compile_record(key, table, {**shared, **record}) for record in spec.get("records", [{}]))


def _compile_record(key: str, table: dict, spec: dict) -> _Plan:
    nested = bool(table.get("nested"))

    def path_of(name: str) -> tuple[str, ...] | None:
        return tuple(name.split(".")) if nested and "." in name else None

    def place_of(name: str) -> tuple[tuple[str, ...], str] | None:  # what _put_path takes
        path = path_of(name)
        return None if path is None else (path[:-1], path[-1])

    template: dict = _Node()
    for target in spec.get("time", table.get("time", ())):  # a kind may name its own time fields
        _put_template(template, target["to"], path_of(target["to"]), _Time(target.get("format", "iso")))
    for name, value in spec.get("set", {}).items():
        _put_template(template, name, path_of(name), value)
    fields = {}
    for name, rules in spec.get("fields", {}).items():
        compiled = []
        for rule in rules if isinstance(rules, list) else [rules]:
            rule = {"to": rule} if isinstance(rule, str) else rule
            transform = _missing(key, rule["transform"], "transform") if "transform" in rule else None
            compiled.append((rule["to"], place_of(rule["to"]), transform, rule.get("map"),
                             rule.get("default", _ABSENT)))
        renamed = len(compiled) == 1 and compiled[0][1:4] == (None, None, None)  # no path, transform or map
        fields[name] = compiled[0][0] if renamed else tuple(compiled)
    raw = []
    for target in spec.get("raw", ()):
        form = _missing(key, target["format"], "format")
        raw.append((target["to"], place_of(target["to"]), form, _takes_rendering(form)))
    return _Plan(nested, template, tuple(_times(template, ())), fields, frozenset(spec.get("ignore", ())),
                 tuple((name, place_of(name), value) for name, value in spec.get("defaults", {}).items()),
                 tuple(raw), tuple(_nodes(template, ())))


def _takes_rendering(form: Any) -> bool:
    """A raw format that reads the event rendered so far besides the sample (logscale's
    falcon_json, which would otherwise render the sample a second time)."""
    return getattr(form, "takes_rendering", False) is True


def _put_template(template: dict, name: str, path: tuple[str, ...] | None, value: Any) -> None:
    node = template
    for head in path[:-1] if path else ():
        child = node.get(head, _ABSENT)
        if child is _ABSENT:
            child = node[head] = _Node()
        if not isinstance(child, dict):
            raise PlatformDataError(f"{name}: {head} is both a value and an object")
        node = child
    node[path[-1] if path else name] = value


def _times(node: dict, path: tuple[str, ...]):
    for name, value in node.items():
        if type(value) is _Time:
            yield path + (name,), value.form
        elif type(value) is _Node:
            yield from _times(value, path + (name,))


def _nodes(node: dict, path: tuple[str, ...]):
    for name, value in node.items():
        if type(value) is _Node:
            yield path + (name,)
            yield from _nodes(value, path + (name,))


def _copy(plan: _Plan) -> dict:
    """The plan's template as a new event: its nested objects copied (the values in them shared,
    as the table's), one dict() each."""
    event = dict(plan.template)
    for path in plan.nodes:
        node = event
        for head in path[:-1]:
            node = node[head]
        node[path[-1]] = dict(node[path[-1]])
    return event


_PLANS: dict[tuple[str, str], tuple[_Plan, ...] | None] = {}


def _plan(key: str, kind: str) -> tuple[_Plan, ...] | None:
    found = _PLANS.get((key, kind), _ABSENT)
    if found is _ABSENT:
        found = _PLANS[(key, kind)] = _compile_plan(key, kind)  # a data error raises again next time
    return found


@lru_cache(maxsize=4096)
def _time_value(index: int, form: str) -> Any:
    return shared.time_as(SAMPLE_TIME + timedelta(seconds=index), form)


def render(key: str, sample: Mapping, logsource: Mapping | None = None, *, index: int = 0,
           kind: str | None = None) -> Rendering | None:
    """The event `sample` (Sigma taxonomy) becomes on platform `key`, or None when that platform
    has no rendering for the sample's kind. `index` spaces the events' times a second apart."""
    kind = kind or classify(sample, logsource)
    plans = _plan(key, kind) if kind else None
    if plans is None:
        return None
    marked = markers().get(kind)
    if marked and kind not in render_table(key)["kinds"]:  # rendered as the general kind
        sample = {name: value for name, value in sample.items() if name not in marked}
    if len(plans) == 1:
        event, unmapped = _record(plans[0], sample, kind, index)
        return Rendering(kind, event, unmapped, (event,))
    records = [_record(plan, sample, kind, index) for plan in plans]
    return Rendering(kind, records[0][0], records[0][1], tuple(event for event, _ in records))


def _record(plan: _Plan, sample: Mapping, kind: str, index: int) -> tuple[dict, tuple[str, ...]]:
    """One record of the sample's rendering, and the sample fields it did not map."""
    event = _copy(plan)
    for path, form in plan.times:
        node = event
        for head in path[:-1]:
            node = node[head]
        node[path[-1]] = _time_value(index, form)
    fields = plan.fields
    unmapped = []
    for name, value in sample.items():
        rules = fields.get(name)
        if rules is None:
            if name not in plan.ignore:
                unmapped.append(name)
            continue
        if type(rules) is str:  # renamed, as the one rule below without a transform or map does
            if value is not None:
                event[rules] = value
            continue
        for to, path, transform, mapping, default in rules:
            result = value if transform is None else transform(value, sample)
            if mapping is not None:
                result = mapping.get(str(result), result if default is _ABSENT else default)
            if result is not None:
                if path is None:
                    event[to] = result
                else:
                    _put_path(event, to, path, result)
    for name, path, value in plan.defaults:
        if path is None:  # a name without a path is a key of the event itself
            if name not in event:
                event[name] = value
        elif not _has_path(event, path):
            _put_path(event, name, path, value)
    for name, path, form, takes_rendering in plan.raw:
        text = form(dict(sample), event, kind) if takes_rendering else form(dict(sample))
        if path is None:
            event[name] = text
        else:
            _put_path(event, name, path, text)
    return event, tuple(unmapped)


@lru_cache(maxsize=None)
def platform_schema(key: str) -> PlatformSchema:
    data = _read(HERE / key / "schema.json")
    tables = {name: Table(name, dict(spec.get("fields", {})),
                          {f: tuple(v) for f, v in spec.get("enums", {}).items()}, spec.get("description", ""),
                          tuple(spec.get("products", ())))
              for name, spec in data.get("tables", {}).items()}
    return PlatformSchema(key, tables, dict(data.get("common_fields", {})), dict(data.get("aliases", {})),
                          tuple(data.get("sources", ())), dict(data.get("refused_types", {})),
                          bool(data.get("open_tables", False)),
                          {product: (spec["name"], tuple(spec.get("named_as", ())))
                           for product, spec in data.get("products", {}).items()})


@lru_cache(maxsize=None)
def has_platform_data(key: str, name: str = "render.json") -> bool:
    return (HERE / key / name).is_file()
