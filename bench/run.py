"""One benchmark run over one map: every measurement, as a plain dict for results.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from bench import compare, ours_index
from bench.fetch import CACHE, HERE, NODE_DIR, MapSpec
from bench.peers import Peer
from bench.positions import sample_positions
from bench.timing import measure

REPO = HERE.parent


def _log(msg: str) -> None:
    print(f"  .. {msg}", file=sys.stderr, flush=True)


def run_map(
    spec: MapSpec,
    peers: list[Peer],
    *,
    n_positions: int,
    budget_s: float,
    node: bool,
    memory: bool,
    caps: set[str],
) -> dict[str, Any]:
    data = spec.map_path.read_bytes()
    js = spec.js_path.read_bytes()
    raw = orjson.loads(data)
    sample = sample_positions(
        raw["mappings"], js.decode("utf-8"), n=n_positions, seed=f"symbols-bench:{spec.name}"
    )
    pos_file = CACHE / f"positions-{spec.name}.json"
    pos_file.write_text(json.dumps(sample.to_json()))
    lines, cols = sample.lines.tolist(), sample.columns.tolist()
    out: dict[str, Any] = {
        "map": spec.map_member.removeprefix("package/"),
        "package": spec.package,
        "map_bytes": len(data),
        "js_bytes": len(js),
        "segments": sample.segments,
        "names": len(raw.get("names") or []),
        "sources": len(raw.get("sources") or []),
        "positions": len(sample),
        "position_kinds": {k: sample.kinds.count(k) for k in dict.fromkeys(sample.kinds)},
        "parse": {},
        "lookup_single_us": {},
        "lookup_batch_us": {},
        "memory": {},
        "disagreements": {},
    }
    answers: dict[str, list] = {}
    objects: dict[str, Any] = {}

    for peer in peers:
        _log(f"{spec.name}: {peer.key}")
        obj = _run_peer(peer, data, js, lines, cols, budget_s, out, answers)
        if peer.key in ("ours", "ours_scopes") and obj is not None:
            objects[peer.key] = obj  # kept for the index measurements below
        del obj

    if "ours" in objects:
        # the sampler decodes segments on its own; both counts must agree
        out["engine_segment_count"] = int(getattr(objects["ours"], "segment_count", -1))
        _log(f"{spec.name}: ours index + batch")
        extra = ours_index.measure_index(
            objects["ours"], objects.get("ours_scopes"), raw, sample, budget_s=budget_s,
            caps=caps,
        )
        out["index"] = extra["index"]
        out["parse"].update(extra["parse"])
        out["lookup_single_us"].update(extra["lookup_single_us"])
        out["lookup_batch_us"] = extra["lookup_batch_us"]
        answers.update(extra["answers"])
        if extra["index_bytes"] is not None:
            (CACHE / f"index-{spec.name}.bin").write_bytes(extra["index_bytes"])
    objects.clear()

    if node:
        _log(f"{spec.name}: node peers")
        node_out = _node_time(spec, pos_file, budget_s)
        out["node_version"] = node_out.pop("node")
        for key, res in node_out.items():
            out["parse"][key] = {
                "label": f"{key} {res['version']} (Node)",
                "ms": res["ready_ms"], "runs": res["runs"],
                "ctor_ms": res["ctor_ms"], "first_lookup_ms": res["first_lookup_ms"],
                "note": "constructor + first lookup (decodes the mappings)",
            }
            out["lookup_single_us"][key] = {"label": f"{key} {res['version']} (Node)",
                                            "us": res["lookup_us"], "runs": res["lookup_runs"]}
            answers[key] = [tuple(a) if a is not None else None for a in res["results"]]

    if "source-map" in answers:
        reference = answers["source-map"]
        out["reference_mapped"] = sum(a is not None for a in reference)
        for key, got in answers.items():
            if key != "source-map":
                out["disagreements"][key] = compare.disagreements(
                    got, reference, sample.kinds, lines, cols
                )

    if memory:
        _log(f"{spec.name}: memory (fresh processes)")
        with_index = out.get("index") is not None
        out["memory"] = _memory(spec, [p for p in peers if "error" not in out["parse"][p.key]],
                                node, with_index)
    return out


def _run_peer(peer: Peer, data: bytes, js: bytes, lines: list[int], cols: list[int],
              budget_s: float, out: dict[str, Any], answers: dict[str, list]) -> Any:
    """Time one Python peer's parse and single lookups; returns the parsed object."""
    try:
        obj = peer.parse(data, js)
    except Exception as exc:  # noqa: BLE001 - a peer that cannot run is reported, not fatal
        out["parse"][peer.key] = {"label": peer.label, "error": repr(exc)[:200]}
        return None
    del obj
    t = measure(lambda: peer.parse(data, js), budget_s=budget_s)
    out["parse"][peer.key] = {"label": peer.label, "ms": t.ms, "runs": t.runs, "note": peer.note}
    obj = peer.parse(data, js)
    if peer.key == "ours_scopes":
        return obj  # same lookups as "ours"
    t = measure(lambda: peer.loop(obj, lines, cols), budget_s=budget_s / 2)
    out["lookup_single_us"][peer.key] = {"label": peer.label,
                                         "us": t.median_s * 1e6 / len(lines), "runs": t.runs}
    answers[peer.key] = [peer.lookup(obj, line, col) for line, col in zip(lines, cols)]
    return obj


def _node_time(spec: MapSpec, pos_file: Path, budget_s: float) -> dict[str, Any]:
    proc = subprocess.run(
        ["node", str(HERE / "node" / "peers.mjs"), "time", str(spec.map_path), str(pos_file),
         str(int(budget_s * 1000))],
        capture_output=True, check=True, env=_node_env(),
    )
    return json.loads(proc.stdout)


def _node_env() -> dict[str, str]:
    return {**os.environ, "SYMBOLS_BENCH_NODE_MODULES": str(NODE_DIR / "node_modules")}


def _memory(spec: MapSpec, peers: list[Peer], node: bool, with_index: bool) -> dict[str, Any]:
    res: dict[str, Any] = {}
    py = [sys.executable, "-m", "bench.memprobe"]
    keys = [p.key for p in peers] + (["ours_index"] if with_index else [])
    for key in keys:
        path = CACHE / f"index-{spec.name}.bin" if key == "ours_index" else spec.map_path
        args = [*py, key, str(path), str(spec.js_path)]
        entry = _run_json(args, cwd=REPO)
        if key in ("ours", "ours_scopes", "ours_index", "sourcemap"):
            entry.update(_run_json([*args, "--tracemalloc"], cwd=REPO))
        res[key] = entry
    if node:
        for key in ("source-map", "trace-mapping"):
            res[key] = _run_json(
                ["node", "--expose-gc", str(HERE / "node" / "peers.mjs"), "mem", key,
                 str(spec.map_path)], cwd=REPO, env=_node_env())
    return res


def _run_json(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> dict:
    proc = subprocess.run(args, capture_output=True, check=False, cwd=cwd, env=env)
    if proc.returncode != 0:
        return {"error": proc.stderr.decode(errors="replace").strip().splitlines()[-1:]}
    return json.loads(proc.stdout)

