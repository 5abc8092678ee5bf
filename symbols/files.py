"""Atomic file writes: a temporary file beside the target, fsync'd, then renamed, so a
reader (or a crash) never sees half a file. Used by the local blob store and by the
build tools' injection. Imports nothing of the project.

Temporary files are named after their host and process (``owned_prefix``), so that after
a SIGKILL the next start removes what a dead process of this host left (``remove_orphans``)
without touching the files of processes still running (here or on another host sharing
the directory)."""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

# Temporary files start with this; directory scans skip them.
TMP_PREFIX = ".symbols-tmp-"


def atomic_write(path: Path, fill: Callable[[BinaryIO], object], *, keep_mode: bool = False) -> None:
    """Replace ``path`` with what ``fill(out)`` writes. With ``keep_mode`` the file keeps
    its permissions (a new one gets 0644); else it is private to the owner (0600)."""
    path = Path(path)
    mode = None
    if keep_mode:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=owned_prefix(TMP_PREFIX), dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            fill(out)
            out.flush()
            # Whatever is written after this (a database row, the paired map) must never
            # point at a file that a crash could lose.
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def owned_prefix(kind: str) -> str:
    """``kind``, this host's name and this process's id: a temporary name's start."""
    return f"{kind}{socket.gethostname()}-{os.getpid()}-"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_orphans(root: Path, kind: str) -> int:
    """Remove the files under ``root`` named by ``owned_prefix(kind)`` of a process of this
    host that no longer runs. The count removed."""
    mine = f"{kind}{socket.gethostname()}-"
    removed = 0
    for directory, _, names in os.walk(root):
        for name in names:
            pid = name[len(mine):].partition("-")[0] if name.startswith(mine) else ""
            if pid.isdigit() and not _running(int(pid)):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(directory, name))
                    removed += 1
    return removed


__all__ = ["TMP_PREFIX", "atomic_write", "owned_prefix", "remove_orphans"]
