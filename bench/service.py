"""A real ``symbols serve`` child process for the HTTP benches: a free port, waiting until
it answers, its CPU time (read from /proc, Linux), and where its time goes (cProfile).

``python -m bench.service`` is ``symbols serve`` with a profiler switched on by SIGUSR1
and written to ``$BENCH_PROFILE`` (then switched off) by SIGUSR2, so a bench profiles
only the requests it times, not start-up or warm-up.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import signal
import socket
from pathlib import Path

import aiohttp

PROFILE_ENV = "BENCH_PROFILE"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process (all its threads) has used (Linux /proc)."""
    return sum(cpu_times(pid))


def cpu_times(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds a process (all its threads) has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


async def wait_up(url: str, proc: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(400):
            if proc.returncode is not None:
                raise RuntimeError(f"the service exited with {proc.returncode}")
            try:
                async with http.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the service did not come up")


async def profiled(proc: asyncio.subprocess.Process, path: Path, work) -> None:
    """Run ``await work()`` with the child (started by ``python -m bench.service`` with
    ``$BENCH_PROFILE`` = ``path``) profiling; the stats are in ``path`` on return."""
    path.unlink(missing_ok=True)
    proc.send_signal(signal.SIGUSR1)
    await asyncio.sleep(0.1)  # the child's handler runs when its loop next wakes
    await work()
    proc.send_signal(signal.SIGUSR2)
    for _ in range(200):
        if path.exists() and path.stat().st_size:
            await asyncio.sleep(0.2)  # written in one call, but let it finish
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("the service wrote no profile")


def own_time_by_area(stats: pstats.Stats, areas: list[tuple[str, str]]) -> dict[str, float]:
    """Own time (tottime) summed by area: ``areas`` is (label, substring of the function's
    file path or name), first match wins; the rest is "other"."""
    totals: dict[str, float] = {}
    for (path, _, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{path}:{name}"
        label = next((lbl for lbl, part in areas if part in where), "other (builtins: dicts, lists, strings)")
        totals[label] = totals.get(label, 0.0) + tottime
    return totals


def print_areas(totals: dict[str, float], header: str) -> None:
    profiled_s = sum(totals.values())
    print(f"  {header}: {profiled_s:.2f} s profiled (profiler overhead included)")
    for label, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"    {label:<40} {seconds:6.2f} s  {100 * seconds / profiled_s:5.1f} %")


def _serve_profiled() -> None:
    from symbols.cli import main

    out = Path(os.environ[PROFILE_ENV])
    profiler = cProfile.Profile()

    def start(*_) -> None:
        profiler.enable()

    def stop(*_) -> None:
        profiler.disable()
        profiler.dump_stats(out)
        profiler.clear()

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    main(["serve"])


if __name__ == "__main__":
    _serve_profiled()
