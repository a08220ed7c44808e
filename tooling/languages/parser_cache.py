"""Built Lark parsers, kept on disk between runs.

Lark's own cache (`cache=True`) saves the grammar analysis but still rebuilds every parse-table
row, lexer and tree callback from a generic serialised form on each start, about 0.16 s for the
seven languages: most of validating one package. A pickle of the built parser loads in a sixth
of that.

The files live in the user's cache folder (`$XDG_CACHE_HOME/dac/parsers`, else
`~/.cache/dac/parsers`), and are named by everything a parser depends on: the grammar text, the
options, and the Lark and Python versions. A pickle can run code, so every folder on the way and
every file is checked before it is read (`tooling/user_cache.py`: not a link, this user's,
writable by nobody else); anything that fails a check or does not load is rebuilt.

Lark builds each parser state's lexer (one regular expression of all the terminals the state
accepts) on first use, and Python's `re` compiles those large alternations in pure Python: about
0.1 s for one package's seven queries, a third of validating it. So a parser is stored with every
state's lexer built, and each compiled expression as its compiled form (the `_sre` code `re`
itself hands to `_sre.compile`), which loads in a hundredth of the time; see `_pattern_parts`.
"""
from __future__ import annotations

import array
import copyreg
import gc
import hashlib
import importlib
import io
import pickle
import re
import sys
import types
from pathlib import Path
from typing import Any

from tooling.user_cache import cache_root, entries, private_folder, read_private, remove_entries, write_private

FORMAT = "3"  # bump when what is pickled changes
KEEP = 50  # files kept: seven grammars for a few Lark/Python versions and grammar edits


def cache_folder() -> Path | None:
    """Where built parsers are kept; None when the user has no home folder to keep them in."""
    root = cache_root()
    return root / "parsers" if root is not None else None


def build_parser(grammar: str, **options: Any):
    """A Lark parser for `grammar`, from the cache when it holds one."""
    import lark

    described = sorted((name, _describe(value)) for name, value in options.items())
    key = hashlib.sha256("\0".join([FORMAT, lark.__version__, sys.version, grammar,
                                    repr(described)]).encode()).hexdigest()[:32]
    folder = private_folder("parsers")  # checked (and created private) on the way
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
    data = read_private(path)  # None: a link, someone else's, writable by others, or unreadable
    if data is None:
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
    pickler.dispatch_table[re.Pattern] = _reduce_pattern
    return pickler


# --- compiled regular expressions ---------------------------------------------------------
#
# `re.compile` parses a pattern and generates its code in Python (re._parser, re._compiler), then
# hands the code to the C engine (`_sre.compile`), which checks it and builds the object. A pattern
# pickles as its text, so loading compiles it again, in Python. Here a pattern is stored with the
# arguments `re` gave `_sre.compile`, and comes back through `_sre.compile` alone: the same object
# (Python compares patterns by flags and code, and `_pattern_parts` checks that they are equal
# before storing them), without the Python half. The C engine checks the code it is given, so a
# damaged file raises, and then the pattern is compiled by `re` as it would have been. The cache
# key holds the Python version (`sys.version`), so the code always comes from the same `re`.

def _pattern_parts(pattern: re.Pattern) -> tuple | None:
    """The arguments `re` gives `_sre.compile` for `pattern`; None where they cannot be had (a
    Python without `re._compiler`, e.g. 3.10) or do not give back an equal pattern."""
    try:
        import _sre
        from re import _compiler, _parser  # Python 3.11 and later

        flags = pattern.flags
        parsed = _parser.parse(pattern.pattern, flags)
        code = _compiler._code(parsed, flags)
        groupindex = dict(parsed.state.groupdict)
        indexgroup = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        parts = (flags | parsed.state.flags, array.array("I", code).tobytes(), parsed.state.groups - 1,
                 groupindex, tuple(indexgroup))
        if _sre.CODESIZE != array.array("I").itemsize or _restore_pattern(pattern.pattern, flags, parts) != pattern:
            return None
        return parts
    except Exception:  # noqa: BLE001 - stored as its text instead, compiled again on loading
        return None


def _restore_pattern(text, flags: int, parts: tuple) -> re.Pattern:
    """The pattern `re.compile(text, flags)` gives, from its stored parts when they load."""
    try:
        import _sre

        code_flags, code, groups, groupindex, indexgroup = parts
        return _sre.compile(text, code_flags, array.array("I", code).tolist(), groups, groupindex, indexgroup)
    except Exception:  # noqa: BLE001 - a damaged entry: compile it as `re` does
        return re.compile(text, flags)


def _reduce_pattern(pattern: re.Pattern):
    parts = _pattern_parts(pattern)
    if parts is None:
        return re._compile, (pattern.pattern, pattern.flags)  # what pickle does by default
    return _restore_pattern, (pattern.pattern, pattern.flags, parts)


def _build_lexers(parser) -> None:
    """Build every parser state's lexer now, so that they are stored built (see the module's
    docstring); only where patterns are stored compiled, else loading would compile them all."""
    if _pattern_parts(re.compile("a|b")) is None:
        return
    lexer = getattr(getattr(parser, "parser", None), "lexer", None)
    lexers = [*getattr(lexer, "lexers", {}).values(), getattr(lexer, "root_lexer", None), lexer]
    for each in {id(x): x for x in lexers if x is not None}.values():
        try:
            each.scanner  # Lark's BasicLexer builds its scanner (and token callbacks) on first use
        except Exception:  # noqa: BLE001 - left to be built on first use, as without the cache
            pass


def _save(path: Path, parser) -> None:
    out = io.BytesIO()
    _build_lexers(parser)
    try:
        _pickler(out).dump(parser)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return  # no cache: the next run builds the parser again
    if write_private(path, out.getvalue()):  # whole or not at all, also with several runs at once
        _prune(path.parent)


def _prune(folder: Path) -> None:
    """Drop the least recently written entries beyond KEEP (old grammar, Lark or Python versions):
    regular files named as dac names them, never a link."""
    def written(entry) -> float:
        try:
            return entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            return 0.0

    found = sorted(entries(folder, ".pickle"), key=written, reverse=True)
    keep = [entry.name for entry in found[:KEEP]]
    if len(found) > KEEP:
        remove_entries(folder, ".pickle", keep=keep)
