"""How long `symbols --version` and `symbols --help` take to start (issue 14: under 0.2 s),
against a bare `python -c pass` on the same machine.

    python -m bench.cli_startup [--runs 20]

Runs each command ``--runs`` times in a fresh interpreter (the commands interleaved, so
load changes hit them alike) and prints, per command, the median and fastest wall time
and the median CPU time (user + system) in milliseconds, and the median CPU time as a
multiple of `python -c pass`'s (steadier than wall time on a loaded machine). The
console script runs what `python -m symbols` runs (``symbols.__main__:run``). Numbers
depend on the machine and its load (printed); nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "symbols --version": [sys.executable, "-m", "symbols", "--version"],
    "symbols --help": [sys.executable, "-m", "symbols", "--help"],
    "symbols sourcemap --help": [sys.executable, "-m", "symbols", "sourcemap", "--help"],
}


def _run(args: list[str]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall * 1000, cpu * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpus: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, args in COMMANDS.items():
            wall, cpu = _run(args)
            walls[name].append(wall)
            cpus[name].append(cpu)
    base = statistics.median(cpus["python -c pass"])
    print(f"load average {os.getloadavg()[0]:.2f}, {runs} runs each")
    print(f"{'command':28} {'median ms':>10} {'min ms':>8} {'CPU ms':>8} {'CPU x':>6}")
    for name in COMMANDS:
        cpu = statistics.median(cpus[name])
        print(f"{name:28} {statistics.median(walls[name]):10.0f} {min(walls[name]):8.0f} {cpu:8.1f} {cpu / base:6.2f}")


if __name__ == "__main__":
    main()
