"""Business data private to the user: the folders recon makes are 0700, the files 0600, whatever the umask.

The state file holds every link and approval, a run folder every supplier, bill and payment of both systems:
nobody else on the machine may read them. A mode passed to ``open``/``mkdir`` is cut by the umask and a
file made by a library (Parquet, papermill, SQLite) takes the umask's mode, so each is created here with the
private mode and set to it explicitly afterwards. :func:`loose` and :func:`tighten` are what ``recon doctor``
(and ``--fix``) use on what already exists.
"""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

FILE_MODE = 0o600
DIR_MODE = 0o700
#: Windows keeps access in ACLs, not mode bits: nothing to set or check there.
POSIX = os.name != "nt"


def make_dir(path: Path | str) -> Path:
    """``path`` and its missing parents, each made 0700 (folders that already exist are left as they are)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass  # made by another process in the meantime
        if POSIX:
            os.chmod(folder, DIR_MODE)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is not a folder")
    return path


def make_file(path: Path | str) -> Path:
    """An empty ``path`` made 0600 if it does not exist yet (for files a library then opens: SQLite, locks)."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    return path


def restrict(path: Path | str) -> Path:
    """Set ``path`` (a file or folder recon made) to its private mode."""
    path = Path(path)
    if POSIX:
        os.chmod(path, DIR_MODE if path.is_dir() else FILE_MODE)
    return path


@contextmanager
def open_private(path: Path | str, mode: str = "w", **kwargs: object) -> Iterator[IO]:
    """``open(path, mode)`` of a file created 0600 (text or binary, as ``mode`` says)."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    if POSIX:
        os.fchmod(fd, FILE_MODE)
    with os.fdopen(fd, mode, **kwargs) as fh:  # type: ignore[call-overload]
        yield fh


def replace_private(path: Path | str, text: str) -> Path:
    """Write ``text`` to ``path`` (0600) through a temporary file and a rename: a reader never sees half a
    file. The temporary name carries the pid, so two processes writing the same file (two applies on one run
    folder, two firm nights on ``latest.*``) never rename each other's half-written one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open_private(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    tmp.replace(path)
    return path


def loose(path: Path) -> str:
    """What is loose about ``path``: its mode when others may read, write or enter it ("" when private)."""
    if not POSIX or not path.exists() or path.is_symlink():
        return ""
    mode = stat.S_IMODE(path.stat().st_mode)
    return f"{mode:o}" if mode & 0o077 else ""


def tighten(path: Path) -> None:
    """Take away what others may do with ``path`` (the owner's own bits are kept)."""
    if POSIX and path.exists() and not path.is_symlink():
        os.chmod(path, stat.S_IMODE(path.stat().st_mode) & 0o700)


__all__ = ["DIR_MODE", "FILE_MODE", "loose", "make_dir", "make_file", "open_private", "replace_private", "restrict", "tighten"]
