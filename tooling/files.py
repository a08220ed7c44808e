"""Every file dac writes is written here: whole or not at all.

`write_text_atomic` writes to a temporary file in the target's own folder, flushes it to disk and
renames it over the target. A full disk, a crash or Ctrl-C mid-write leaves the old file exactly as
it was (and no temporary file behind); a reader never sees half a file. The target keeps its
permission bits. A symbolic link at the target is replaced by the new file, never written through:
dac never writes into whatever a link points at (possibly outside the repository). A file without
write permission is refused like a plain write would be (PermissionError), although the rename
could replace it: a read-only package is a statement by its owner.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path


def _default_mode() -> int:
    """The mode a plain `open(path, "w")` would give a new file: 0o666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write(out, data: bytes) -> None:
    """Write and flush to the disk (before the rename, so the new name never points at lost data)."""
    out.write(data)
    out.flush()
    os.fsync(out.fileno())


def write_text_atomic(path: Path | str, text: str, encoding: str = "utf-8") -> None:
    """Replace `path` with `text`, atomically; raises OSError (with `filename`) when it cannot."""
    write_bytes_atomic(path, text.encode(encoding))


def write_bytes_atomic(path: Path | str, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data`, atomically. `mode`: the new file's permission bits (default:
    the existing file's, or what a plain write would give a new file)."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    regular = info is not None and stat.S_ISREG(info.st_mode)
    if regular and (not os.access(path, os.W_OK) or not info.st_mode & 0o222):  # (root ignores access bits)
        raise PermissionError(errno.EACCES, "the file is read-only", str(path))
    if mode is None:
        mode = stat.S_IMODE(info.st_mode) if regular else _default_mode()
    folder = path.parent
    try:
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".dac-tmp")
    except OSError as exc:
        exc.filename, exc.filename2 = str(path), None
        raise
    try:
        with os.fdopen(handle, "wb") as out:
            _write(out, data)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            exc.filename, exc.filename2 = str(path), None  # name the file the user asked for, not the temporary one
        raise
