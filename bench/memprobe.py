"""Peak memory of one parse, measured in a fresh interpreter.

    python -m bench.memprobe PEER MAP MINIFIED [--tracemalloc]

PEER is a key of ``bench.peers.PEER_FACTORIES`` or ``ours_index`` (then MAP is a file
holding our stored index, loaded with ``load_index``). Inputs are read and the peer's
modules imported first; then the kernel's peak-RSS mark is reset (``5`` written to
``/proc/self/clear_refs``), the map is parsed and looked up once (at line 0, column 0),
and the result is printed as JSON:

- ``peak_rss_bytes``: VmHWM after, minus VmRSS before: everything the process touched,
  including memory allocated by Rust (symbolic) that tracemalloc cannot see;
- with ``--tracemalloc`` (a separate run, because tracing inflates RSS): tracemalloc's
  peak, which covers Python objects and numpy buffers only.
"""

from __future__ import annotations

import gc
import json
import re
import sys
import tracemalloc
from pathlib import Path


def _status(key: str) -> int:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{key}:\s+(\d+)", text).group(1)) * 1024


def main(argv: list[str]) -> None:
    peer_key, map_path, js_path = argv[:3]
    use_tracemalloc = "--tracemalloc" in argv
    data = Path(map_path).read_bytes()
    js = Path(js_path).read_bytes()
    if peer_key == "ours_index":
        from symbols.sourcemaps import load_index

        def parse(data: bytes, js: bytes) -> object:
            return load_index(data)

        def lookup(sm: object, line: int, col: int) -> object:
            return sm.lookup(line, col)
    else:
        from bench.peers import PEER_FACTORIES

        peer = PEER_FACTORIES[peer_key]()
        parse, lookup = peer.parse, peer.lookup
    gc.collect()
    if use_tracemalloc:
        tracemalloc.start()
        obj = parse(data, js)
        lookup(obj, 0, 0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out = {"tracemalloc_peak_bytes": peak}
    else:
        Path("/proc/self/clear_refs").write_text("5")
        before = _status("VmRSS")
        obj = parse(data, js)
        lookup(obj, 0, 0)
        out = {"peak_rss_bytes": _status("VmHWM") - before}
    del obj
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
