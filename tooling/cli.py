"""`dac`: the command line. Argument parsing only; each subcommand calls one function.

Exit codes: 0 clean, 1 problems found, 2 usage error, 3 internal error (a bug in dac).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path

from tooling import __version__
from tooling.cli_evaluation import add_parsers as add_evaluation_parsers
from tooling.cli_evaluation import cmd_platforms, cmd_test
from tooling.diagnostics import Severity

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

EPILOG = """\
examples:
  dac validate                                   every package under detections/
  dac validate detections/T1562/T1562.yml --format sarif > dac.sarif
  dac parse --lang kql query.kql                 lint one query; `-` reads standard input
  dac parse --lang spl - --tree < query.spl      show the parse tree
  dac fmt --check                                show how packages differ from canonical form
  dac new T1562.004                              scaffold a package from the ATT&CK data
  dac explain DAC301                             what a diagnostic means and how to fix it
  dac schema > detection.schema.json             the package JSON Schema, for editors
  dac attack show T1562                          what the bundled ATT&CK data knows
  dac export navigator -o coverage.json          ATT&CK Navigator layer; `dac export sigma` writes sigma/
  dac report --base origin/main                  Markdown summary of a pull request's package changes
  dac test                                       run every query and Sigma form on its sample events
  dac platforms show kql DeviceProcessEvents     what dac knows about a platform's tables and fields

exit codes: 0 clean, 1 problems found, 2 usage error, 3 internal error (a bug in dac)
"""


def _parser() -> argparse.ArgumentParser:
    from tooling.diagnostics.render import RENDERERS
    from tooling.languages import LANGUAGES

    parser = argparse.ArgumentParser(
        prog="dac", description="Validate detection packages: schema, ATT&CK mapping and seven query languages.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"dac {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    validate = sub.add_parser("validate", help="validate packages (default: detections/)",
                              description="Validate detection packages: YAML, schema, ATT&CK, the seven queries, "
                                          "tests, and repository-wide rules.")
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                          help="package files or folders (default: detections/)")
    validate.add_argument("--format", choices=sorted(RENDERERS), default="text",
                          help="output format (default: text; sarif for code scanning, github for PR annotations)")
    validate.add_argument("--output", "-o", type=Path, help="write the report to this file instead of stdout")
    validate.add_argument("--fail-on", choices=[s.value for s in Severity], default="warning",
                          help="lowest severity that makes the exit code 1 (default: warning)")
    validate.add_argument("--jobs", "-j", type=int, default=None,
                          help="processes to use (default: one per CPU; 1 checks everything in this process)")
    validate.add_argument("--no-cache", action="store_true",
                          help="check every file afresh instead of reusing earlier results "
                               "(kept in ~/.cache/dac/validate)")

    parse = sub.add_parser("parse", help="parse one query and show its diagnostics or tree",
                           description="Parse one query in one language. Positions are within the query.")
    parse.add_argument("--lang", "-l", required=True, choices=list(LANGUAGES), help="query language")
    parse.add_argument("file", metavar="FILE", help="query file, or - for standard input")
    parse.add_argument("--tree", action="store_true", help="print the parse tree when the query is valid")
    parse.add_argument("--format", choices=["text", "json"], default="text")

    explain = sub.add_parser("explain", help="document a diagnostic code",
                             description="Print the documentation of a diagnostic code: what it means, why it "
                                         "matters, an example and the fix.")
    explain.add_argument("code", nargs="?", help="e.g. DAC301")
    explain.add_argument("--list", action="store_true", help="list every code with its summary")

    fmt = sub.add_parser("fmt", help="rewrite packages in canonical form (or --check)",
                         description="Rewrite packages in canonical form: schema key order, queries as "
                                     "literal blocks, two-space indentation. Values and comments are kept.")
    fmt.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: detections/)")
    fmt.add_argument("--check", action="store_true",
                     help="change nothing; print a unified diff and exit 1 when a file would change")

    new = sub.add_parser("new", help="scaffold a package for an ATT&CK id",
                         description="Write detections/<parent>/<id>.yml from the bundled ATT&CK data, with "
                                     "<fill in: ...> placeholders that `dac validate` reports (DAC118) until "
                                     "they are replaced.")
    new.add_argument("id", help="technique or sub-technique id, e.g. T1562.004")
    new.add_argument("--root", type=Path, default=Path("detections"), help="detections folder (default: detections/)")

    sub.add_parser("schema", help="print the package JSON Schema",
                   description="Print the JSON Schema (2020-12) of a detection package, for editors and "
                               "yaml-language-server.")

    attack = sub.add_parser("attack", help="query or update the bundled ATT&CK data",
                            description="The bundled, offline ATT&CK Enterprise data.")
    attack_sub = attack.add_subparsers(dest="attack_command", metavar="ACTION")
    attack_sub.required = True
    show = attack_sub.add_parser("show", help="what the bundled data knows about an id")
    show.add_argument("id", help="technique or sub-technique id, e.g. T1562.001")
    show.add_argument("--format", choices=["text", "json"], default="text")
    update = attack_sub.add_parser("update", help="rebuild the bundled data from a STIX bundle",
                                   description="Rebuild the bundled snapshot from MITRE's ATT&CK STIX bundle "
                                               "(enterprise-attack.json), read from a local file.")
    update.add_argument("--stix", required=True, type=Path, help="path of enterprise-attack.json")
    update.add_argument("--version", dest="attack_version", help="ATT&CK version to record, e.g. 18.1")
    update.add_argument("--output", "-o", type=Path, default=None,
                        help="where to write the snapshot (default: the bundled one)")

    export = sub.add_parser("export", help="export packages as a Navigator layer or Sigma rules",
                            description="Export the packages in other tools' formats.")
    export_sub = export.add_subparsers(dest="export_format", metavar="FORMAT")
    export_sub.required = True
    navigator = export_sub.add_parser("navigator", help="ATT&CK Navigator layer (format 4.5) of the coverage",
                                      description="Write an ATT&CK Navigator layer: one entry per package and "
                                                  "tactic, scored by status (stable 100, test 75, experimental 50, "
                                                  "deprecated 0), linked to the package's site page.")
    navigator.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                           help="files or folders (default: detections/)")
    navigator.add_argument("--output", "-o", type=Path, help="write the layer to this file instead of stdout")
    navigator.add_argument("--name", default="Detection coverage", help="layer name (default: Detection coverage)")
    sigma = export_sub.add_parser("sigma", help="one standalone Sigma rule per Sigma rule of each package",
                                  description="Write each Sigma rule of each package as a complete Sigma rule "
                                              "<id>_<logsource>.yml, e.g. T1562.001_windows_registry_set.yml "
                                              "(stable rule ids: the same package and logsource always get the same "
                                              "id). Each file starts with a '# Generated by dac export sigma' line. "
                                              "Nothing is written when two packages have the same id or two rules "
                                              "of a package the same logsource (exit 1), or when the folder holds a "
                                              "file of the same name without that line, e.g. a hand-written rule "
                                              "(exit 2; --force replaces it).")
    sigma.add_argument("output", nargs="?", default="sigma", metavar="DIR",
                       help="folder to write the rules into (default: sigma/); - writes one YAML stream to stdout")
    sigma.add_argument("--from", dest="paths", nargs="+", type=Path, metavar="PATH",
                       help="package files or folders (default: detections/)")
    sigma.add_argument("--force", action="store_true",
                       help="replace files in DIR that dac did not write (default: refuse and write nothing)")

    report = sub.add_parser("report", help="Markdown summary of the package changes since a git revision",
                            description="Compare the packages at a git revision with the working tree (or --head): "
                                        "packages added, changed and removed, query diffs, status and severity "
                                        "changes, and the diagnostics the change introduces or fixes. Appended to "
                                        "$GITHUB_STEP_SUMMARY when set, and printed. Exit 1 when the change "
                                        "introduces an error or warning.")
    report.add_argument("--base", required=True, metavar="REF", help="the revision to compare with, e.g. origin/main")
    report.add_argument("--head", metavar="REF", help="the revision to compare (default: the working tree)")
    add_evaluation_parsers(sub, list(RENDERERS), list(LANGUAGES))
    return parser


def _reason(exc: OSError) -> str:
    """An OSError as a short reason, without the file name (the caller names the file)."""
    return exc.strerror or str(exc) or type(exc).__name__


def _package_paths(args, command: str) -> list[Path] | None:
    """The PATH arguments (default: detections/); None, after saying which, when one is missing."""
    paths = args.paths or [Path("detections")]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"dac {command}: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return None
    return paths


def cmd_validate(args) -> int:
    from tooling.cache import SafeCache
    from tooling.diagnostics.render import RENDERERS
    from tooling.validate import validate

    paths = _package_paths(args, "validate")
    if paths is None:
        return EXIT_USAGE
    if args.output and (args.output.is_dir() or not args.output.absolute().parent.is_dir()):
        # Said before the run, not after it: the folder must exist and the name must not be one.
        why = "it is a folder" if args.output.is_dir() else "no such folder"
        print(f"dac validate: cannot write {args.output}: {why}", file=sys.stderr)
        return EXIT_USAGE
    report = validate(paths, jobs=args.jobs, cache=None if args.no_cache else SafeCache.open())
    output = RENDERERS[args.format](report.diagnostics, report.files)
    if not _write_report(args, "validate", output):
        return EXIT_USAGE
    return EXIT_PROBLEMS if report.failed(Severity(args.fail_on)) else EXIT_OK


def _write_report(args, command: str, output: str) -> bool:
    """Print the report, or write it to --output whole or not at all; False (said why) on failure."""
    if args.output:
        from tooling.files import write_text_atomic

        try:
            write_text_atomic(args.output, output + "\n")
        except OSError as exc:
            print(f"dac {command}: cannot write {args.output}: {_reason(exc)}", file=sys.stderr)
            return False
    elif output:
        print(output)
    return True


def cmd_parse(args) -> int:
    from tooling.languages import get_language

    if args.file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"dac parse: cannot read {args.file}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    result = get_language(args.lang).parse(text)
    if args.format == "json":
        print(json.dumps({"ok": result.ok, "diagnostics": [
            {"code": d.code, "severity": d.severity.value, "message": d.message, "line": d.line, "column": d.column}
            for d in result.diagnostics]}, indent=2))
    else:
        lines = text.splitlines()
        for d in result.diagnostics:
            print(f"{args.file}:{d.line}:{d.column}: {d.code} [{d.severity.value}] {d.message}")
            if 0 < d.line <= len(lines) and len(lines[d.line - 1]) <= 400:
                print(f"{d.line:>5} | {lines[d.line - 1]}")
                print(f"      | {' ' * (d.column - 1)}^")
        if result.ok and args.tree and result.tree is not None:
            print(result.tree.pretty() if hasattr(result.tree, "pretty") else repr(result.tree))
        elif result.ok and not result.diagnostics:
            print(f"{args.file}: valid {args.lang} query")
    return EXIT_OK if result.ok and not result.diagnostics else EXIT_PROBLEMS


def cmd_fmt(args) -> int:
    from tooling.files import write_text_atomic
    from tooling.fmt import format_file
    from tooling.package import display_path, iter_package_files

    paths = _package_paths(args, "fmt")
    if paths is None:
        return EXIT_USAGE
    failed = changed = 0
    for path in iter_package_files(paths):
        result = format_file(path)
        if result.problem is not None:
            failed += 1
            d = result.problem
            print(f"{display_path(path)}:{d.line}:{d.column}: {d.code} {d.message}", file=sys.stderr)
        elif result.changed:
            changed += 1
            if args.check:
                sys.stdout.write(result.diff())
            else:
                try:
                    write_text_atomic(path, result.formatted)
                except OSError as exc:
                    failed += 1
                    print(f"{display_path(path)}: cannot write: {_reason(exc)}; file left as it is", file=sys.stderr)
                    continue
                print(f"formatted {display_path(path)}")
    if args.check and changed:
        print(f"{changed} file{'s' if changed != 1 else ''} would be reformatted; run `dac fmt`", file=sys.stderr)
    return EXIT_PROBLEMS if failed or (args.check and changed) else EXIT_OK


def cmd_new(args) -> int:
    from tooling.scaffold import ScaffoldError, scaffold

    try:
        path = scaffold(args.id.upper(), args.root)
    except ScaffoldError as exc:
        print(f"dac new: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except OSError as exc:
        print(f"dac new: cannot write {exc.filename or args.root}: {_reason(exc)}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {path}: fill in every <fill in: ...> value, then run `dac validate {path}`")
    return EXIT_OK


def cmd_explain(args) -> int:
    from tooling.diagnostics.codes import CODES

    if args.list or not args.code:
        for code in CODES.values():
            print(f"{code.code}  {code.severity.value:<7}  {code.name:<32} {code.summary}")
        return EXIT_OK
    code = args.code.upper()
    if code not in CODES:
        print(f"dac explain: unknown code {args.code!r}; `dac explain --list` shows them all", file=sys.stderr)
        return EXIT_USAGE
    print(CODES[code].explain())
    return EXIT_OK


def cmd_schema(args) -> int:
    from tooling.checks.schema import load_schema

    print(json.dumps(load_schema(), indent=2))
    return EXIT_OK


def cmd_attack(args) -> int:
    from tooling.attack import SNAPSHOT, attack_data

    if args.attack_command == "update":
        from tooling.attack.stix import StixError, update_snapshot

        out = args.output or SNAPSHOT
        try:
            snapshot = update_snapshot(args.stix, out, args.attack_version)
        except StixError as exc:
            print(f"dac attack update: {exc}", file=sys.stderr)
            return EXIT_PROBLEMS
        except OSError as exc:
            print(f"dac attack update: cannot write {exc.filename or out}: {_reason(exc)}", file=sys.stderr)
            return EXIT_USAGE
        print(f"wrote ATT&CK v{snapshot['attack_version']}: {len(snapshot['techniques'])} techniques, "
              f"{len(snapshot['tactics'])} tactics -> {out}")
        return EXIT_OK
    data = attack_data()
    technique = data.technique(args.id)
    if technique is None:
        print(f"dac attack show: {args.id} is not in ATT&CK Enterprise v{data.version}", file=sys.stderr)
        return EXIT_PROBLEMS
    successor = data.v19_successor(technique.id)
    subs = data.subtechniques(technique.id)
    if args.format == "json":
        print(json.dumps({**technique.__dict__, "attack_version": data.version, "v19_successor": successor,
                          "subtechniques": [s.id for s in subs]}, indent=2))
        return EXIT_OK
    state = " (REVOKED" + (f", use {technique.revoked_by})" if technique.revoked_by else ")") \
        if technique.revoked else " (DEPRECATED)" if technique.deprecated else ""
    print(f"{technique.id} {technique.name}{state}")
    print(f"  ATT&CK:      Enterprise v{data.version}")
    print(f"  tactics:     {', '.join(technique.tactics)}")
    if technique.parent:
        print(f"  parent:      {technique.parent} {data.technique(technique.parent).name}")
    print(f"  platforms:   {', '.join(technique.platforms)}")
    print(f"  url:         {technique.url}")
    if successor:
        print(f"  v19:         {successor['id']} {successor['name']}")
    for sub_technique in subs:
        print(f"  sub-technique {sub_technique.id} {sub_technique.name}")
    if technique.description:
        print(f"\n{technique.description}")
    return EXIT_OK


def cmd_export(args) -> int:
    from tooling.export import load_exportable

    paths = _package_paths(args, "export")
    if paths is None:
        return EXIT_USAGE
    exportable = load_exportable(paths)
    for reason in exportable.skipped:
        print(f"dac export: skipped {reason}", file=sys.stderr)
    try:
        if args.export_format == "navigator":
            from tooling.export.navigator import navigator_layer

            layer = json.dumps(navigator_layer(exportable.packages, args.name), indent=2, ensure_ascii=False)
            if args.output:
                from tooling.files import write_text_atomic

                write_text_atomic(args.output, layer + "\n")
                print(f"wrote {args.output}: {len(exportable.packages)} packages", file=sys.stderr)
            else:
                print(layer)
        else:
            from tooling.export.sigma import ExportRefused, rules_stream, write_rules

            try:
                if args.output == "-":
                    sys.stdout.write(rules_stream(exportable.packages))
                else:
                    written = write_rules(exportable.packages, Path(args.output), force=args.force)
                    print(f"wrote {len(written)} Sigma rule{'s' if len(written) != 1 else ''} to {args.output}/",
                          file=sys.stderr)
            except ExportRefused as exc:
                for problem in exc.collisions + exc.foreign:
                    print(f"dac export: {problem}", file=sys.stderr)
                print("dac export: nothing written", file=sys.stderr)
                return EXIT_PROBLEMS if exc.collisions else EXIT_USAGE
    except OSError as exc:
        print(f"dac export: cannot write {exc.filename or args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_PROBLEMS if exportable.skipped else EXIT_OK


def cmd_report(args) -> int:
    import os

    from tooling.report import ReportError, append_step_summary, build_report

    try:
        report = build_report(args.base, args.head)
    except ReportError as exc:
        print(f"dac report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    problem = append_step_summary(summary, report.markdown) if summary else None
    if problem:
        print(f"dac report: {problem}", file=sys.stderr)
    sys.stdout.write(report.markdown)
    return EXIT_PROBLEMS if report.introduces_problems() else EXIT_OK


COMMANDS = {"validate": cmd_validate, "parse": cmd_parse, "fmt": cmd_fmt, "new": cmd_new, "explain": cmd_explain,
            "schema": cmd_schema, "attack": cmd_attack, "export": cmd_export, "report": cmd_report,
            "test": cmd_test, "platforms": cmd_platforms}


# Commands whose process may end without Python's clean-up (see `run`): they leave no temporary
# files, threads or child processes behind, and write their files whole before they return.
QUICK_EXIT = frozenset({"validate"})
_finished: str | None = None  # the command `main` ran, for `run`


def main(argv: list[str] | None = None) -> int:
    global _finished
    args = _parser().parse_args(argv)
    _finished = args.command
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) stopped early; the run itself already failed or passed, but
        # the result was not fully delivered, so never report success.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PROBLEMS
    except Exception as exc:  # noqa: BLE001 - a bug in dac itself, never the user's input
        if os.environ.get("DAC_DEBUG"):
            raise
        print(f"dac: internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}\n"
              f"This is a bug in dac, not in your packages. Run with DAC_DEBUG=1 for the traceback "
              f"and report it.", file=sys.stderr)
        return EXIT_INTERNAL


def run() -> None:
    """The `dac` command. A run allocates parsers and parse trees by the hundred thousand, and the
    cyclic garbage collector's passes over them cost a tenth of a short run, so the command runs
    without it; the cycles a short run leaves end with the process, and large validations turn
    it back on (validate.py).

    For the same reason, a `QUICK_EXIT` command ends without Python's clean-up: freeing those
    objects one by one at exit takes a fifth of validating one package, and nothing else is
    left to do once its output is flushed. If flushing fails (a closed pipe), the usual exit
    reports it as it always did."""
    global _finished
    gc.disable()
    _finished = None  # set by this run's `main`, never left over from an earlier in-process call
    code = main()
    if _finished in QUICK_EXIT:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001 - the usual exit below says what went wrong
            sys.exit(code)
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
