"""Checks on the package's own values beyond the schema: dates, references, tests, file name."""
from __future__ import annotations

import datetime as dt
from typing import Iterator

from tooling.diagnostics import Diagnostic
from tooling.package import Package


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def check_dates(package: Package) -> Iterator[Diagnostic]:
    created, modified = _date(package.data.get("created")), _date(package.data.get("modified"))
    if created and modified and modified < created:
        line, column = package.position(("modified",))
        yield Diagnostic("DAC115", f"modified ({modified}) is earlier than created ({created})", line, column)


def check_references(package: Package) -> Iterator[Diagnostic]:
    references = package.data.get("references")
    for index, reference in enumerate(references if isinstance(references, list) else []):
        if isinstance(reference, str) and not reference.startswith("https://"):
            line, column = package.position(("references", index))
            yield Diagnostic("DAC113", f"reference {reference[:80]!r} is not an https URL", line, column)


def check_tests(package: Package) -> Iterator[Diagnostic]:
    tests = package.data.get("tests")
    for index, test in enumerate(tests if isinstance(tests, list) else []):
        if not isinstance(test, dict):
            continue
        name = test.get("name", f"test {index + 1}")
        samples = test.get("samples")
        if isinstance(samples, dict):
            for key, code, wanted in (("match", "DAC501", "should match"), ("no_match", "DAC502", "should not match")):
                if isinstance(samples.get(key), list) and not samples[key]:
                    line, column = package.position(("tests", index, "samples", key))
                    yield Diagnostic(code, f"test {name!r} has no sample event that {wanted}", line, column)
        procedure = test.get("procedure")
        if isinstance(procedure, dict) and not procedure.get("atomic_guid") and not procedure.get("manual"):
            line, column = package.position(("tests", index, "procedure"))
            yield Diagnostic("DAC503", f"test {name!r} names no Atomic test GUID and no manual procedure",
                             line, column)
    yield from _atomic_listed_twice(package)


def _atomic_listed_twice(package: Package) -> Iterator[Diagnostic]:
    """DAC125: an Atomic test GUID in `tests` and in `tests_not_covered`, or twice in either, reported at the
    later entry (`tests` come first in the file)."""
    listed: list[tuple[object, tuple]] = []
    tests = package.data.get("tests")
    for index, test in enumerate(tests if isinstance(tests, list) else []):
        procedure = test.get("procedure") if isinstance(test, dict) else None
        if isinstance(procedure, dict):
            listed.append((procedure.get("atomic_guid"), ("tests", index, "procedure", "atomic_guid")))
    not_covered = package.data.get("tests_not_covered")
    for index, entry in enumerate(not_covered if isinstance(not_covered, list) else []):
        if isinstance(entry, dict):
            listed.append((entry.get("atomic_guid"), ("tests_not_covered", index, "atomic_guid")))
    first: dict[str, tuple] = {}
    for guid, pointer in listed:
        if not isinstance(guid, str) or not guid:
            continue
        key = guid.lower()
        if key not in first:
            first[key] = pointer
            continue
        line, column = package.position(pointer)
        earlier = ".".join(map(str, first[key][:2]))
        yield Diagnostic("DAC125", f"Atomic test {guid} is already listed at {earlier}; a test is either covered "
                                   f"(tests) or not covered (tests_not_covered), once", line, column)


PLACEHOLDER = "<fill in: "  # what `dac new` writes where a person has to write


def _strings(value, pointer=()):
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _strings(child, pointer + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _strings(child, pointer + (index,))


def is_placeholder(value) -> bool:
    return isinstance(value, str) and PLACEHOLDER in value


def has_placeholder(value) -> bool:
    """Whether any text in `value` (a string, or a mapping or list holding strings) is a placeholder."""
    # a loop over a stack, not `_strings`: called several times per package, and generators
    # nested as deep as the data cost five times as much
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if PLACEHOLDER in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def check_placeholders(package: Package) -> Iterator[Diagnostic]:
    if not has_placeholder(package.data):
        return
    for pointer, value in _strings(package.data):
        if is_placeholder(value):
            line, column = package.position(pointer)
            wanted = value[value.index(PLACEHOLDER) + len(PLACEHOLDER):].split(">")[0]
            where = ".".join(map(str, pointer))
            yield Diagnostic("DAC118", f"{where} is still a placeholder: fill in {wanted}", line, column)


def check_location(package: Package) -> Iterator[Diagnostic]:
    """File name = id; the file sits in the folder of its parent technique."""
    pid = package.id
    if not pid:
        return
    line, column = package.position(("id",))
    if package.path.stem != pid:
        yield Diagnostic("DAC603", f"the file is named {package.path.name!r} but the package id is {pid!r}; "
                                   f"rename it to {pid}.yml", line, column)
    parent = pid.split(".")[0]
    if package.path.parent.name != parent:
        yield Diagnostic("DAC604", f"package {pid} belongs in detections/{parent}/, not in "
                                   f"{package.path.parent.name}/", line, column)
