"""The user's private cache folder: the only place dac keeps data between runs.

Nothing in a checkout is trusted, ignored files included: a pull request can commit anything,
links too. So caches live in the user's cache folder (`$XDG_CACHE_HOME/dac`, else
`~/.cache/dac`), never in the working tree, and every step on the way is checked:

- each folder dac uses (`dac/` and below) is a real folder, not a link, owned by this user and
  writable by nobody else; dac creates them private (0700);
- a file is opened without following links, and read only if it is a regular file owned by this
  user and writable by nobody else;
- files are written whole or not at all (a temporary file renamed into place);
- clean-up removes only regular files whose names dac gives its entries, never follows a link,
  and removes a folder only once it is empty.

A folder or file that fails a check is not used: the run goes on without that cache.
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Iterable

MAX_ENTRY_BYTES = 64 << 20  # far above any entry dac writes; bounds what a damaged file costs
_POSIX = hasattr(os, "getuid")


def cache_root() -> Path | None:
    """`$XDG_CACHE_HOME/dac` or `~/.cache/dac`; None when the user has no home folder."""
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except (RuntimeError, KeyError, OSError):  # no HOME and no password-database entry
        return None
    return Path(base) / "dac"


def _private(status: os.stat_result) -> bool:
    return not _POSIX or (status.st_uid == os.getuid() and not status.st_mode & 0o022)


def private_folder(*parts: str, root: Path | None = None, create: bool = True) -> Path | None:
    """`root/parts...` (root: `cache_root()`), each folder checked (and created private when
    `create`); None when any of them is a link, someone else's, or writable by others."""
    root = root if root is not None else cache_root()
    if root is None:
        return None
    try:
        if create:
            root.parent.mkdir(parents=True, exist_ok=True)
        folder = root
        for part in ("", *parts):
            folder = folder / part if part else folder
            if create:
                try:
                    folder.mkdir(mode=0o700)
                except FileExistsError:
                    pass
            status = os.lstat(folder)
            if not stat.S_ISDIR(status.st_mode) or not _private(status):
                return None
        return folder
    except OSError:
        return None


def read_private(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file of this user's that nobody else can write."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(path, flags)
    except OSError:
        return None
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode) or not _private(status) or status.st_size > MAX_ENTRY_BYTES:
            return None
        with os.fdopen(handle, "rb", closefd=False) as stream:
            return stream.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(handle)


def write_private(path: Path, data: bytes) -> bool:
    """Write `data` to `path` (in a folder from `private_folder`) whole or not at all. Not
    `tooling.files.write_bytes_atomic`: a cache entry needs no flush to disk (a torn one fails its
    seal and is rebuilt), and a fsync per package would cost a large run seconds."""
    temp = None
    try:
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")  # created 0600
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)  # a rename replaces a link; it never writes through one
        return True
    except OSError:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
        return False


def entries(folder: Path, suffix: str) -> Iterable[os.DirEntry]:
    """Regular files (not links) in `folder` whose names end with `suffix`."""
    try:
        with os.scandir(folder) as listing:
            found = list(listing)
    except OSError:
        return []
    return [e for e in found if e.name.endswith(suffix) and e.is_file(follow_symlinks=False)]


def remove_entries(folder: Path, suffix: str, keep: Iterable[str] = ()) -> None:
    """Delete dac's own entry files in `folder` (regular files named `*suffix`, except `keep`),
    then the folder itself if that left it empty. Links, subfolders and other files stay."""
    kept = set(keep)
    for entry in entries(folder, suffix):
        if entry.name not in kept:
            try:
                os.unlink(entry.path)
            except OSError:
                pass
    if not kept:
        try:
            os.rmdir(folder)  # only succeeds on an empty folder
        except OSError:
            pass
