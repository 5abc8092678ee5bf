"""Run bundles under Node and map their stack frames through a map with Node's SourceMap."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

NODE = shutil.which("node")
_HERE = Path(__file__).resolve().parent
_FRAME_RE = re.compile(r"(?:file://)?(/[^\s()]+):(\d+):(\d+)\)?$")

needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed: stack traces cannot be produced")


def run_script(script: Path) -> list[dict]:
    """Run a fixture bundle; it prints one JSON object a line."""
    done = subprocess.run(
        [NODE, str(script)], capture_output=True, text=True, timeout=100, cwd=script.parent, check=False
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def frames_in(stack: str, script: Path) -> list[tuple[int, int]]:
    """(line, column) of the stack frames inside ``script``, 1-based, in order."""
    found = []
    for line in stack.splitlines()[1:]:
        match = _FRAME_RE.search(line.strip())
        if match and Path(match.group(1)).resolve() == script.resolve():
            found.append((int(match.group(2)), int(match.group(3))))
    return found


def map_positions(map_path: Path, positions: list[tuple[int, int]]) -> list:
    done = subprocess.run(
        [NODE, str(_HERE / "node_map.cjs"), str(map_path), *[f"{l}:{c}" for l, c in positions]],
        capture_output=True, text=True, timeout=100, check=False,
    )
    assert done.returncode == 0, done.stderr
    return [tuple(x) if x else None for x in json.loads(done.stdout)]
