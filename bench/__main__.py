"""python -m bench [--quick] [--maps jquery,maplibre,monaco] [--positions N] [--no-node]
[--no-memory] [--budget SECONDS] [--json PATH]"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench import report
from bench.fetch import CACHE, MAPS, fetch_all
from bench.peers import python_peers
from bench.positions import MIX
from bench.run import REPO, run_map


def _engine_rev() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=False).stdout.strip()

    last = git("log", "-1", "--format=%h %s", "--", "symbols/sourcemaps")
    dirty = git("status", "--porcelain", "--", "symbols/sourcemaps")
    return f"{last} (HEAD {git('rev-parse', '--short', 'HEAD')}" + (
        ", with uncommitted changes)" if dirty else ")")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="jquery only")
    ap.add_argument("--maps", help="comma-separated subset of: "
                    + ", ".join(m.name for m in MAPS))
    ap.add_argument("--positions", type=int, default=10_000)
    ap.add_argument("--budget", type=float, default=1.5,
                    help="seconds of timed runs per measurement (min 3 runs)")
    ap.add_argument("--no-node", action="store_true", help="skip the Node peers")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory probes")
    ap.add_argument("--json", type=Path, default=CACHE / "results.json")
    args = ap.parse_args(argv)

    names = ["jquery"] if args.quick else (args.maps.split(",") if args.maps else
                                           [m.name for m in MAPS])
    specs = [m for m in MAPS if m.name in names]
    node = not args.no_node
    fetch_all(specs, node=node)

    from bench.ours_index import capabilities
    from bench.peers import ours_available

    why_not = ours_available()
    caps = set() if why_not else capabilities()
    if why_not and "lacks load_index" not in why_not:
        print(f"bench: our engine is not measured: {why_not}", file=sys.stderr)
        caps = set()
    elif why_not:
        caps = capabilities()
        print(f"bench: {why_not}; index measurements skipped", file=sys.stderr)
    peers = python_peers(with_ours="parse" in caps)

    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "engine": _engine_rev(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "budget_s": args.budget,
        "positions": args.positions,
        "mix": ", ".join(f"{int(share * 100)}% {kind}" for kind, share in MIX),
    }
    results = {}
    for spec in specs:
        results[spec.name] = run_map(spec, peers, n_positions=args.positions,
                                     budget_s=args.budget, node=node,
                                     memory=not args.no_memory, caps=caps)
        meta.setdefault("node", results[spec.name].get("node_version", "-"))
    report.print_header(meta)
    for name, r in results.items():
        report.print_map(name, r)
    report.print_targets(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "maps": results,
                                     "targets": report.targets(results)}, indent=1,
                                    default=str))
    print(f"\nresults written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
