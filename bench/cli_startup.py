"""How long `symbols --version` and `symbols --help` take to start (issue 14: under 0.2 s),
against a bare `python -c pass` on the same machine.

    python -m bench.cli_startup [--runs 20]

Runs each command ``--runs`` times in a fresh interpreter and prints the median and the
fastest run in milliseconds. Numbers depend on the machine's load; nothing is asserted.
"""

from __future__ import annotations

import argparse
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


def _times(args: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    print(f"{'command':28} {'median ms':>10} {'min ms':>8}")
    for name, args in COMMANDS.items():
        times = _times(args, runs)
        print(f"{name:28} {statistics.median(times):10.0f} {min(times):8.0f}")


if __name__ == "__main__":
    main()
