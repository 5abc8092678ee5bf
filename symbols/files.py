"""Atomic file writes: a temporary file beside the target, fsync'd, then renamed, so a
reader (or a crash) never sees half a file. Used by the local blob store and by the
build tools' injection. Imports nothing of the project."""

from __future__ import annotations

import contextlib
import os
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
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
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


__all__ = ["TMP_PREFIX", "atomic_write"]
