"""`dac test` and `dac platforms`: argument parsing for the semantic layer (cli.py holds the rest)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

TEST_EPILOG = """\
Each test's sample events (written in the Sigma taxonomy) are rendered into every platform's own
event shape (`dac platforms render`), and each native query and the Sigma form is run on them
offline. A verdict that disagrees with the test is an error at the query (DAC510 missed match,
DAC511 fired on a near-miss); a query dac cannot evaluate is a DAC512 note naming the construct.
Events generated from the Sigma form (a branch each, a near-miss per predicate, case and wildcard
variants) show where a query drifts from it (DAC514, a warning).

marks: ✓ agrees with the test   ✗ disagrees   · not evaluated (a note says why)
       – the test declares the platform cannot see its events (not_covered_by, with the reason)

examples:
  dac test                                   every package, all seven languages and Sigma
  dac test detections/T1562/T1562.001.yml --lang kql --lang spl
  dac test --format json > verdicts.json     {"results": [...], "diagnostics": [...]}
  dac test --format github                   annotations on the queries in a pull request
  dac test --events lab.jsonl                which recorded events each query returns
  dac test --coverage                        which predicates of each query the samples prove

coverage: a match sample proves a predicate when the query returns it and would not without that
predicate; a near-miss (no_match sample) proves it when the query would return it if that
predicate alone held. A predicate no near-miss proves could be dropped without a test noticing.

exit codes: 0 every verdict agrees, 1 a verdict disagrees or an error (--fail-on warning: or drift),
2 usage error
"""

PLATFORMS_EPILOG = """\
examples:
  dac platforms                              the platforms and what their data covers
  dac platforms kinds                        the kinds of sample event and how they are recognised
  dac platforms show kql                     the tables of a platform
  dac platforms show kql DeviceProcessEvents the fields of a table, with types and enumerations
  dac platforms render kql detections/T1562/T1562.001.yml   the events a package's samples become
"""


def add_parsers(sub, renderers: list[str], languages: list[str]) -> None:
    test = sub.add_parser("test", help="run each package's queries and Sigma form on its sample events",
                          description="Run every package's seven native queries and its Sigma form on the "
                                      "package's sample events, offline, each in its platform's event shape.",
                          epilog=TEST_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    test.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                      help="package files or folders (default: detections/)")
    test.add_argument("--lang", action="append", choices=languages, metavar="KEY",
                      help=f"only this language (repeatable; Sigma always runs): {', '.join(languages)}")
    test.add_argument("--format", choices=["text", "json", *sorted(set(renderers) - {"text", "json"})],
                      default="text", help="text: a verdict matrix and the diagnostics; json: one object with "
                                           "results and diagnostics; sarif / github: the diagnostics")
    test.add_argument("--output", "-o", type=Path, help="write the report to this file instead of stdout")
    test.add_argument("--events", type=Path, metavar="FILE",
                      help="replay a recording instead of the samples: JSON lines (Sigma taxonomy, winlogbeat, "
                           "Security-Datasets) or .evtx; shows which events each query returns")
    test.add_argument("--no-cache", action="store_true",
                      help="run everything afresh instead of reusing an unchanged package's results "
                           "(kept in ~/.cache/dac/test)")
    test.add_argument("--fail-on", choices=["error", "warning"], default="error",
                      help="lowest severity that makes the exit code 1 besides a disagreeing verdict (default: error; "
                           "warning also fails on drift, DAC514)")
    test.add_argument("--coverage", action="store_true",
                      help="instead of verdicts, show which predicates of each query a match sample and a "
                           "near-miss prove, and list those none proves")
    test.add_argument("--no-drift", action="store_true",
                      help="skip the events generated from the Sigma form (DAC514); run the samples only")

    platforms = sub.add_parser("platforms", help="show platform data: tables, fields, sample kinds, renderings",
                               description="What dac knows about each SIEM platform (tooling/platforms/), and the "
                                           "repository's own additions (platforms.yml).",
                               epilog=PLATFORMS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = platforms.add_subparsers(dest="action", metavar="ACTION")
    what.add_parser("list", help="the platforms (the default)")
    what.add_parser("kinds", help="the kinds of sample event")
    show = what.add_parser("show", help="a platform's tables, or one table's fields")
    show.add_argument("key", choices=languages, metavar="KEY")
    show.add_argument("table", nargs="?")
    rendered = what.add_parser("render", help="the events a package's samples become on a platform")
    rendered.add_argument("key", choices=languages, metavar="KEY")
    rendered.add_argument("file", type=Path, metavar="FILE", help="a package file")


def cmd_test(args) -> int:
    from tooling.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, _package_paths, _write_report
    from tooling.diagnostics import Severity
    from tooling.diagnostics.render import RENDERERS
    from tooling.testing import render_matrix, run_tests

    paths = _package_paths(args, "test")
    if paths is None:
        return EXIT_USAGE
    if args.events is not None:
        return _replay(args, paths)
    if args.coverage:
        return _coverage(args, paths)
    from tooling.testing import TestCache

    report = run_tests(paths, args.lang, drift=not args.no_drift, cache=None if args.no_cache else TestCache())
    if args.format == "json":
        output = report.as_json()
    elif args.format == "text":
        diagnostics = RENDERERS["text"](report.diagnostics, report.files)
        output = render_matrix(report) + (f"\n\n{diagnostics}" if diagnostics else "")
    else:
        output = RENDERERS[args.format](report.diagnostics, report.files)
    if not _write_report(args, "test", output):
        return EXIT_USAGE
    return EXIT_PROBLEMS if report.failed(Severity(args.fail_on)) else EXIT_OK


def _coverage(args, paths: list[Path]) -> int:
    from tooling.cli import EXIT_OK, EXIT_USAGE, _write_report
    from tooling.coverage import coverage, render_coverage

    found, branches = coverage(paths, args.lang)
    if args.format == "json":
        output = json.dumps({"coverage": [item.as_json() for item in found],
                             "branches": [branch.as_json() for branch in branches]}, indent=2)
    else:
        output = render_coverage(found, branches)
    return EXIT_OK if _write_report(args, "test", output) else EXIT_USAGE


def _replay(args, paths: list[Path]) -> int:
    from dataclasses import asdict

    from tooling.cli import EXIT_OK, EXIT_USAGE, _write_report
    from tooling.diagnostics.render import printable
    from tooling.recordings import RecordingError, read_recording
    from tooling.testing import render_replay, replay

    try:
        recording = read_recording(args.events)
    except RecordingError as exc:
        print(f"dac test: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    results = replay(recording.events, paths, args.lang)
    if args.format == "json":
        output = json.dumps({"recording": str(args.events), "events": len(recording.events),
                             "results": [asdict(r) for r in results]}, indent=2)
    else:
        output = render_replay(results, len(recording.events))
    return EXIT_OK if _write_report(args, "test", output) else EXIT_USAGE


def cmd_platforms(args) -> int:
    from tooling.cli import EXIT_OK, EXIT_PROBLEMS
    from tooling.diagnostics.render import printable

    action = args.action or "list"
    if action == "list":
        print(_platform_list())
    elif action == "kinds":
        print(_kind_list())
    elif action == "show":
        text = _show(args.key, args.table)
        if text is None:
            print(f"dac platforms: {args.key} has no table {printable(args.table)!r}; "
                  f"`dac platforms show {args.key}` lists them", file=sys.stderr)
            return EXIT_PROBLEMS
        print(text)
    else:
        return _render(args.key, args.file)
    return EXIT_OK


def _platform_list() -> str:
    from tooling.languages import LANGUAGES
    from tooling.platforms import has_platform_data, kinds, platform_schema, render_table

    lines = [f"{'key':10s} {'platform':36s} {'tables':>6s}  kinds rendered"]
    for key, info in LANGUAGES.items():
        tables = len(platform_schema(key).tables) if has_platform_data(key, "schema.json") else 0
        own = render_table(key).get("kinds", {})
        rendered = [k["kind"] for k in kinds() if k["kind"] in own or own.get(k.get("falls_back_to"))]
        lines.append(f"{key:10s} {info.platform:36s} {tables:6d}  {len(rendered)}/{len(kinds())}")
    return "\n".join(lines)


def _kind_list() -> str:
    from tooling.platforms import kinds

    width = max(len(k["kind"]) for k in kinds())
    lines = []
    for k in kinds():
        lines += [f"{k['kind']:{width}s} {k['title']}", f"{'':{width}s} when {json.dumps(k['when'])}"]
        if "falls_back_to" in k:
            lines.append(f"{'':{width}s} on a platform without its own form: as {k['falls_back_to']}")
    return "\n".join(lines)


def _show(key: str, table: str | None) -> str | None:
    from tooling.platforms import has_platform_data, platform_schema

    if not has_platform_data(key, "schema.json"):
        return f"{key}: no schema data yet"
    schema = platform_schema(key)
    if table is None:
        return "\n".join(f"{name:40s} {len(spec.fields):4d} fields  {spec.description}"
                         for name, spec in sorted(schema.tables.items()))
    spec = schema.tables.get(table)
    if spec is None:
        return None
    lines = [f"{table}: {spec.description}".rstrip(": ")]
    for name, kind in sorted({**schema.common_fields, **spec.fields}.items()):
        values = spec.enums.get(name)
        lines.append(f"  {name:40s} {kind:9s}" + (f" one of: {', '.join(values)}" if values else ""))
    return "\n".join(lines)


def _render(key: str, file: Path) -> int:
    from tooling.checks.verdicts import logsource_of, package_samples
    from tooling.cli import EXIT_OK, EXIT_PROBLEMS
    from tooling.diagnostics.render import RENDERERS
    from tooling.package import LoadError, load_package
    from tooling.platforms import render

    try:
        package = load_package(file)
    except LoadError as exc:
        print(RENDERERS["text"]([exc.diagnostic.at(path=str(file))], 1))
        return EXIT_PROBLEMS
    logsource = logsource_of(package)
    shown = []
    for position, sample in enumerate(package_samples(package)):
        rendering = render(key, sample.event, logsource, index=position)
        shown.append({"test": sample.test, "sample": sample.label,
                      "kind": rendering.kind if rendering else None,
                      "event": rendering.event if rendering else None,
                      **({"records": list(rendering.events)} if rendering and len(rendering.events) > 1 else {}),
                      "unmapped": list(rendering.unmapped) if rendering else None})
    print(json.dumps(shown, indent=2, ensure_ascii=False))
    return EXIT_OK
