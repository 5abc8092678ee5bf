"""npm packages for tests, installed once into a cache directory beside the tests.

``npm_package("lz-string", "1.5.0")`` returns a directory whose ``node_modules`` holds the
package; a second call (or a second run) finds it there. Tests that need one are skipped
with the reason when node or npm is missing or the registry cannot be reached.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.node import NODE

NPM = shutil.which("npm")
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "npm"


def npm_package(name: str, version: str) -> Path:
    """A directory with ``node_modules/<name>`` at ``version`` installed (skips if it cannot)."""
    if NODE is None or NPM is None:
        pytest.skip("node and npm are needed for this test")
    home = CACHE / f"{name.replace('/', '+')}@{version}"
    if (home / "node_modules" / name / "package.json").is_file():
        return home
    home.mkdir(parents=True, exist_ok=True)
    (home / "package.json").write_text(json.dumps({"private": True}))
    done = subprocess.run(
        [NPM, "install", "--no-audit", "--no-fund", "--silent", f"{name}@{version}"],
        cwd=home, capture_output=True, text=True, timeout=300, check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"npm install {name}@{version} failed: {done.stderr.strip()[-500:]}")
    return home


def run_node(script: str, cwd: Path, *args: str, stdin: str = "", timeout: float = 100) -> str:
    """Run ``script`` (JavaScript source) with node in ``cwd``; its stdout."""
    done = subprocess.run(
        [NODE, "-e", script, "--", *args], cwd=cwd, input=stdin, capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
