"""python -m bench.hostile [--limit-mib N] [--numpy] [CASE ...]

Tiny uploads that used to cost gigabytes or minutes (issue 15), each read the way the
index worker reads a symbol set (`container.unpack`, then `parse_source_map` with the
minified source; for the `sourcesContent` cases, then split into context lines the way
resolution does, with the default cache budget), in a subprocess of its own under an address-space limit
(RLIMIT_AS, 1.5 GiB by default). Prints, per case, the outcome (the typed error code,
or `ok`), the seconds spent reading it (building the input is not counted) and the
child's peak RSS (`os.wait4`'s rusage, so a crash is measured too).

`tests/test_hostile.py` runs the same cases and asserts each outcome.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

GIB = 1 << 30
MIB = 1 << 20
DEFAULT_LIMIT = 3 * GIB // 2
_CONTAINER = b"posthog_error_tracking" + (2).to_bytes(4, "little") + (2).to_bytes(4, "little")
_TINY_MAP = b'{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}'


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


def _zstd(chunks: Iterable[bytes]) -> bytes:
    import zstandard

    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    body = b"".join(compressor.compress(chunk) for chunk in chunks) + compressor.flush()
    return _CONTAINER + b"\x01" + body


def _gzip(chunks: Iterable[bytes]) -> bytes:
    compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return b"".join(compressor.compress(chunk) for chunk in chunks) + compressor.flush()


def _repeated(unit: bytes, count: int, *, head: bytes = b"", tail: bytes = b"") -> Iterable[bytes]:
    """`head + unit * count + tail` in pieces of about 1 MiB (never held whole)."""
    yield head
    per_piece = max(1, MIB // len(unit))
    for start in range(0, count, per_piece):
        yield unit * min(per_piece, count - start)
    yield tail


def _map_with_mappings(unit: bytes, count: int) -> Iterable[bytes]:
    return _repeated(unit, count, head=b'{"version":3,"sources":["a.js"],"names":[],"mappings":"',
                     tail=b'"}')


def _index_map(line: int) -> bytes:
    return (b'{"version":3,"sections":[{"offset":{"line":%d,"column":0},"map":'
            b'{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}}]}' % line)


def _with_source(source: bytes) -> bytes:
    return _CONTAINER + b"\x00" + _u64(len(source)) + source + _u64(len(_TINY_MAP)) + _TINY_MAP


def _source_with_newlines(count: int) -> bytes:
    return _gzip(_repeated(b"\\n", count, head=b'{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA",'
                                                 b'"sourcesContent":["', tail=b'"]}'))


def _nested_objects(depth: int) -> bytes:
    return b"var A=" + b"{a:" * depth + b"{m(){}}" + b"}" * depth + b";"


@dataclass(frozen=True)
class Case:
    build: Callable[[], bytes]
    expected: str  # the error code, or "ok"
    note: str
    mappings: bool = False  # reaches the `mappings` decoder: worth running under both
    context: bool = False  # then split source 0 into context lines, as resolution does


CASES: dict[str, Case] = {
    "index_offset_line_2^31-1": Case(lambda: _index_map(2**31 - 1), "too_large",
                                     "161-byte index map; np.zeros(lines) tried 16 GiB"),
    "index_offset_line_2^26": Case(lambda: _index_map(2**26), "too_large",
                                   "was 1.6 GB RSS and a 67 MB index"),
    "index_offset_line_2^22-2": Case(lambda: _index_map(2**22 - 2), "ok",
                                     "just under the line cap: costs its lines, once", mappings=True),
    "zstd_bomb_1.5GiB": Case(lambda: _zstd(_repeated(b" ", 3 * GIB // 2, head=_u64(0) + _u64(3 * GIB // 2))),
                             "too_large", "peaked at 3.1 GB; lengths are checked before reading"),
    "zstd_bomb_lying_lengths": Case(
        lambda: _zstd(_repeated(b" ", 3 * GIB // 2, head=_u64(0) + _u64(512 * MIB - 16))),
        "invalid_container", "lengths within the cap, then more: reads up to the cap only"),
    "gzip_1e9_semicolons": Case(lambda: _gzip(_map_with_mappings(b";", 10**9)), "too_large",
                                "was ~11.5 GB (line table); past the decompressed cap"),
    "gzip_1e8_semicolons": Case(lambda: _gzip(_map_with_mappings(b";", 10**8)), "too_large",
                                "within the decompressed cap, past the line cap", mappings=True),
    "gzip_2^24_segments": Case(lambda: _gzip(_map_with_mappings(b"A,", 2**24)), "too_large",
                               "past the segment cap", mappings=True),
    "2e6_sources": Case(lambda: gzip.compress(b'{"version":3,"sources":[' + b"null," * 2_000_000
                                              + b'null],"names":[],"mappings":""}'),
                        "too_large", "past the sources cap"),
    "1e5_sections": Case(lambda: b'{"version":3,"sections":[' + b",".join(
        b'{"offset":{"line":%d,"column":0},"map":{"version":3,"sources":[],"mappings":""}}' % i
        for i in range(100_000)) + b"]}", "too_large", "past the sections cap"),
    "2e5_open_parens": Case(lambda: _with_source(b"(" * 200_000), "ok",
                            "held the index process 34 s (quadratic query)"),
    "1e5_nested_functions": Case(lambda: _with_source(b"function a(){" * 100_000 + b"}" * 100_000),
                                 "too_complex", "took over 2 minutes; past the nesting cap"),
    "5e3_nested_functions": Case(lambda: _with_source(b"function a(){" * 5_000 + b"}" * 5_000),
                                 "ok", "under the nesting cap: linear"),
    "member_chain_5e3": Case(lambda: _with_source(b"a" + b".b" * 5_000 + b"=function(){};"), "ok",
                             "recursed once per member before"),
    "nested_objects_4e3": Case(lambda: _with_source(_nested_objects(4_000)), "ok",
                               "recursed once per object before"),
    "sourcesContent_2e7_newlines": Case(lambda: _source_with_newlines(2 * 10**7), "no_context",
                                        "6e7 stalled /healthz 4 s, GBs outside the cache budget; its lines "
                                        "alone are over the budget: not split", context=True),
    "sourcesContent_1e6_newlines": Case(lambda: _source_with_newlines(10**6), "context_1000001_lines",
                                        "within the cache budget: split in a thread, counted", context=True),
}


class Result(NamedTuple):
    outcome: str  # error code, "ok", or how the child died
    seconds: float | None
    peak_rss_mib: float
    detail: str


def run_case(name: str, *, limit: int = DEFAULT_LIMIT, numpy_only: bool = False) -> Result:
    """Run one case in a child process under an address-space limit of `limit` bytes."""
    command = [sys.executable, "-m", "bench.hostile", "--child", "--limit-mib", str(limit // MIB), name]
    if numpy_only:
        command.append("--numpy")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}  # its thread buffers count against RLIMIT_AS
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryFile() as errors, subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, env=env, cwd=root) as process:
        out = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        err = errors.read()
    peak = usage.ru_maxrss / 1024
    if process.returncode:
        return Result(f"exit {process.returncode}", None, peak, err.decode(errors="replace")[-400:])
    report = json.loads(out)
    return Result(report["outcome"], report["seconds"], peak, report["detail"])


def _child(name: str, limit: int, numpy_only: bool) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from symbols.sourcemaps import SourceMapError, decoder, parse_source_map
    from symbols.symbol_sets.container import ContainerError, unpack

    if numpy_only:
        decoder.accelerator = None
    blob = CASES[name].build()
    start = time.perf_counter()
    outcome, detail = "ok", ""
    try:
        content = unpack(blob)
        del blob
        source_map = parse_source_map(content.source_map, minified_source=content.minified_source)
        if CASES[name].context:
            outcome = _context_outcome(source_map)
    except (ContainerError, SourceMapError) as error:
        outcome, detail = error.code, str(error)[:200]
    except MemoryError:
        outcome = "MemoryError"
    print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - start, "detail": detail}))


def _context_outcome(source_map) -> str:
    """Context lines of source 0 as the resolver gets them, with the default cache budget."""
    import asyncio

    from symbols.config import Settings
    from symbols.resolve.cache import IndexCache, LoadedIndex

    cache = IndexCache(Settings().cache_bytes)
    entry = LoadedIndex(source_map, 0)
    cache.put("case", entry)
    lines = asyncio.run(entry.source_lines(0))
    return "no_context" if lines is None else f"context_{len(lines)}_lines"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__.split("\n\n")[1])
    parser.add_argument("cases", nargs="*", metavar="CASE", help=", ".join(CASES))
    parser.add_argument("--limit-mib", type=int, default=DEFAULT_LIMIT // MIB)
    parser.add_argument("--numpy", action="store_true", help="without the C mappings decoder")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.cases[0], args.limit_mib * MIB, args.numpy)
        return 0
    print(f"address-space limit {args.limit_mib} MiB, decoder: {'numpy' if args.numpy else 'C if built'}")
    print(f"{'case':28} {'outcome':18} {'seconds':>8} {'peak RSS':>10}  note")
    failed = 0
    for name in args.cases or CASES:
        result = run_case(name, limit=args.limit_mib * MIB, numpy_only=args.numpy)
        seconds = "-" if result.seconds is None else f"{result.seconds:.3f}"
        mark = "" if result.outcome == CASES[name].expected else f"  EXPECTED {CASES[name].expected}"
        failed += bool(mark)
        print(f"{name:28} {result.outcome:18} {seconds:>8} {result.peak_rss_mib:>6.0f} MiB  "
              f"{CASES[name].note}{mark}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
