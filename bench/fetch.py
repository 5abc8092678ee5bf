"""Download the benchmark inputs and the Node peers into ``bench/.cache`` (git-ignored).

Maps come from the npm registry with ``npm pack`` (the only network access needed);
the Node peers are installed with ``npm ci`` from ``bench/node/package-lock.json``.
Everything is skipped when already present, so a second run is offline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
NODE_SRC = HERE / "node"
NODE_DIR = CACHE / "node"


@dataclass(frozen=True)
class MapSpec:
    name: str
    package: str  # npm spec, pinned
    map_member: str  # path inside the npm tarball
    js_member: str

    @property
    def dir(self) -> Path:
        return CACHE / "maps" / self.name

    @property
    def map_path(self) -> Path:
        return self.dir / Path(self.map_member).name

    @property
    def js_path(self) -> Path:
        return self.dir / Path(self.js_member).name


MAPS = [
    MapSpec("jquery", "jquery@3.7.1", "package/dist/jquery.min.map", "package/dist/jquery.min.js"),
    MapSpec(
        "maplibre",
        "maplibre-gl@4.7.1",
        "package/dist/maplibre-gl-csp-worker.js.map",
        "package/dist/maplibre-gl-csp-worker.js",
    ),
    MapSpec(
        "monaco",
        "monaco-editor@0.52.2",
        "package/min-maps/vs/editor/editor.main.js.map",
        "package/min/vs/editor/editor.main.js",
    ),
]


def _npm(*args: str, cwd: Path) -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("bench: npm is required (to download the maps and the Node peers)")
    proc = subprocess.run(
        [npm, *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"bench: npm {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout


def fetch_map(spec: MapSpec) -> None:
    if spec.map_path.exists() and spec.js_path.exists():
        return
    tgz_dir = CACHE / "npm"
    tgz_dir.mkdir(parents=True, exist_ok=True)
    out = _npm("pack", spec.package, "--json", "--pack-destination", str(tgz_dir), cwd=tgz_dir)

    filename = json.loads(out)[0]["filename"]
    # npm < 9 reports scoped names differently; fall back to globbing.
    tgz = tgz_dir / filename
    if not tgz.exists():
        tgz = next(tgz_dir.glob(spec.package.split("@")[0] + "-*.tgz"))
    spec.dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tgz, "r:gz") as tar:
        for member, dest in ((spec.map_member, spec.map_path), (spec.js_member, spec.js_path)):
            src = tar.extractfile(member)
            if src is None:
                raise SystemExit(f"bench: {member} missing from {tgz.name}")
            tmp = dest.with_suffix(dest.suffix + ".part")
            tmp.write_bytes(src.read())
            tmp.replace(dest)


def install_node_peers() -> Path:
    """Install the pinned Node peers; returns the path of peers.mjs's node_modules dir."""
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    marker = NODE_DIR / "node_modules" / ".package-lock.json"
    lock_src = (NODE_SRC / "package-lock.json").read_bytes()
    lock_dst = NODE_DIR / "package-lock.json"
    if not (marker.exists() and lock_dst.exists() and lock_dst.read_bytes() == lock_src):
        shutil.copyfile(NODE_SRC / "package.json", NODE_DIR / "package.json")
        lock_dst.write_bytes(lock_src)
        _npm("ci", "--no-audit", "--no-fund", cwd=NODE_DIR)
    return NODE_DIR / "node_modules"


def fetch_all(specs: list[MapSpec], *, node: bool) -> None:
    for spec in specs:
        fetch_map(spec)
    if node:
        install_node_peers()
