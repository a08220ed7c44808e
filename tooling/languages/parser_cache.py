"""Built Lark parsers, kept on disk between runs.

Lark's own cache (`cache=True`) saves the grammar analysis but still rebuilds every parse-table
row, lexer and tree callback from a generic serialised form on each start, about 0.16 s for the
seven languages: most of validating one package. A pickle of the built parser loads in a sixth
of that.

The files live in the user's cache folder (`$XDG_CACHE_HOME/dac/parsers`, else
`~/.cache/dac/parsers`), created private to the user, and are named by everything a parser
depends on: the grammar text, the options, and the Lark and Python versions. Only files this
user wrote there are read; anything unreadable is rebuilt.
"""
from __future__ import annotations

import copyreg
import gc
import hashlib
import importlib
import os
import pickle
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

FORMAT = "2"  # bump when what is pickled changes
KEEP = 50  # files kept: seven grammars for a few Lark/Python versions and grammar edits


def cache_folder() -> Path | None:
    """Where built parsers are kept; None when the user has no home folder to keep them in."""
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except (RuntimeError, KeyError, OSError):  # no HOME and no password-database entry
        return None
    return Path(base) / "dac" / "parsers"


def build_parser(grammar: str, **options: Any):
    """A Lark parser for `grammar`, from the cache when it holds one."""
    import lark

    described = sorted((name, _describe(value)) for name, value in options.items())
    key = hashlib.sha256("\0".join([FORMAT, lark.__version__, sys.version, grammar,
                                    repr(described)]).encode()).hexdigest()[:32]
    folder = cache_folder()
    parser = _load(folder / f"{key}.pickle") if folder else None
    if parser is None:
        parser = lark.Lark(grammar, **options)
        if folder:
            _save(folder / f"{key}.pickle", parser)
    return parser


def _describe(value: Any) -> str:
    """An option as the same text in every run: plain values as themselves, a class or an object
    (a tree class, a transformer) by its class's name, never by its address in memory."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return repr([_describe(item) for item in value])
    kind = value if isinstance(value, type) else type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _load(path: Path):
    try:
        status = path.stat()
        if hasattr(os, "getuid") and (status.st_uid != os.getuid() or status.st_mode & 0o022):
            return None  # written by someone else, or writable by others: not ours to unpickle
        data = path.read_bytes()
    except OSError:
        return None
    enabled = gc.isenabled()
    gc.disable()  # a parser is ~100,000 new objects; collecting while they arrive triples the time
    try:
        return pickle.loads(data)
    except Exception:  # noqa: BLE001 - a stale or damaged file is rebuilt
        return None
    finally:
        if enabled:
            gc.enable()


def _lark_action(name: str):
    from lark.parsers import lalr_analysis

    return getattr(lalr_analysis, name)


def _pickler(out) -> pickle.Pickler:
    from lark.parsers.lalr_analysis import Action

    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    # A parser refers to the `re` module (pickled as its name), and Lark tells shifts from
    # reductions by identity (`action is Shift`): its two actions must come back as themselves.
    pickler.dispatch_table[types.ModuleType] = lambda module: (importlib.import_module, (module.__name__,))
    pickler.dispatch_table[Action] = lambda action: (_lark_action, (action.name,))
    return pickler


def _save(path: Path, parser) -> None:
    temp = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")  # created 0600
        with os.fdopen(handle, "wb") as out:
            _pickler(out).dump(parser)
        os.replace(temp, path)  # whole or not at all, also with several runs at once
        _prune(path.parent)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        if temp is not None:  # no cache: the next run builds the parser again
            Path(temp).unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    """Drop the least recently written files beyond KEEP (old grammar, Lark or Python versions)."""
    files = sorted(folder.glob("*.pickle"), key=lambda f: f.stat().st_mtime, reverse=True)
    for stale in files[KEEP:]:
        stale.unlink(missing_ok=True)
