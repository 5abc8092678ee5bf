"""The release of a build read from git, as posthog-cli infers it.

With no release flags, a build inside a git work tree gets the release named after the
repository (the last part of the ``origin`` remote's URL, else the work tree's folder)
with the commit id as its version; the branch, commit, remote URL and whether the tree
had uncommitted changes go in the release's metadata under ``git``.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

_TIMEOUT = 10


@dataclass(frozen=True)
class GitRelease:
    name: str
    version: str
    metadata: dict


def _git(directory: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, text=True, timeout=_TIMEOUT, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def repo_name(remote_url: str | None, top: Path) -> str:
    """``git@github.com:acme/shop.git`` and ``https://github.com/acme/shop`` -> ``shop``."""
    if remote_url:
        path = urlsplit(remote_url).path if "://" in remote_url else remote_url.rpartition(":")[2]
        last = path.rstrip("/").rpartition("/")[2]
        last = last.removesuffix(".git")
        if last:
            return last
    return top.name


def _without_credentials(url: str) -> str:
    """A remote URL without a user or token in it (``https://user:token@host/...``)."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def infer_release(directory: Path) -> GitRelease | None:
    """The release of the commit checked out at ``directory``; None outside a work tree
    (or without git, or before the first commit)."""
    if _git(directory, "rev-parse", "--is-inside-work-tree") != "true":
        return None
    commit = _git(directory, "rev-parse", "HEAD")
    top = _git(directory, "rev-parse", "--show-toplevel")
    if not commit or not top:
        return None
    remote = _git(directory, "remote", "get-url", "origin") or None
    branch = _git(directory, "rev-parse", "--abbrev-ref", "HEAD")
    status = _git(directory, "status", "--porcelain", "--untracked-files=no")
    name = repo_name(remote, Path(top))
    metadata = {
        "git": {
            "repo_name": name,
            "branch": None if branch in (None, "HEAD") else branch,
            "commit_id": commit,
            "remote_url": _without_credentials(remote) if remote else None,
            "is_dirty": bool(status),
        }
    }
    return GitRelease(name, commit, metadata)
