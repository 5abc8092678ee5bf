"""Measurements only our engine has: stored index (size, build, load) and batch lookups.

Index size per segment: total ``to_index_bytes()`` minus the UTF-8 bytes of the names
and source URLs (and of ``sourcesContent`` when the index carries it), divided by the
number of mapping segments. The index of a map parsed with the minified source also
stores the function-scope table; it is measured separately ("with scopes").

Batch lookups: ``lookup_many`` on int64 numpy arrays of 10,000 (or ``--positions``)
positions; the result holds integer arrays (source and name indexes), so the time does
not include turning them into strings.
"""

from __future__ import annotations

from typing import Any

from bench.peers import _ours_answer
from bench.positions import Sample
from bench.timing import measure


def _utf8(items: Any) -> int:
    return sum(len(s.encode("utf-8")) for s in items if isinstance(s, str))


def capabilities() -> set[str]:
    import symbols.sourcemaps as sm

    caps = {"parse"} if hasattr(sm, "parse_source_map") else set()
    if hasattr(sm, "load_index"):
        caps.add("load_index")
    if hasattr(getattr(sm, "SourceMap", None), "lookup_many"):
        caps.add("lookup_many")
    return caps


def batch_answers(sm: Any, res: Any) -> list[Any]:
    """`Lookups` arrays -> the same (source, line, column, name) tuples as `lookup`."""
    out: list[Any] = []
    sources, names = sm.sources, sm.names
    for s, line, col, n in zip(res.source_index.tolist(), res.line.tolist(),
                               res.column.tolist(), res.name_index.tolist()):
        out.append(None if s < 0 else (sources[s], line, col, names[n] if n >= 0 else None))
    return out


def measure_index(sm: Any, sm_scopes: Any, raw: dict, sample: Sample, *, budget_s: float,
                  caps: set[str]) -> dict[str, Any]:
    lines, cols = sample.lines, sample.columns
    lines_l, cols_l = lines.tolist(), cols.tolist()
    out: dict[str, Any] = {"parse": {}, "lookup_single_us": {}, "lookup_batch_us": {},
                           "answers": {}, "index": None, "index_bytes": None}

    def batch(obj: Any, key: str, label: str) -> None:
        t = measure(lambda: obj.lookup_many(lines, cols), budget_s=budget_s / 3, max_runs=200)
        out["lookup_batch_us"][key] = {"label": label, "us": t.median_s * 1e6 / len(lines),
                                       "runs": t.runs, "batch": len(lines)}
        out["answers"][key + "_batch"] = batch_answers(obj, obj.lookup_many(lines, cols))

    if "lookup_many" in caps:
        batch(sm, "ours", "ours, lookup_many on the parsed map")
    if "load_index" not in caps:
        return out

    from symbols.sourcemaps import load_index

    build = measure(sm.to_index_bytes, budget_s=budget_s / 2)
    blob = sm.to_index_bytes()
    out["index_bytes"] = blob
    load = measure(lambda: load_index(blob), budget_s=budget_s / 2, max_runs=500)
    out["parse"]["ours_index_load"] = {
        "label": "ours, load_index(stored index)", "ms": load.ms, "runs": load.runs,
        "note": "load_index(to_index_bytes()); no JSON, no VLQ"}
    loaded = load_index(blob)
    names_b, sources_b = _utf8(raw.get("names") or []), _utf8(raw.get("sources") or [])
    contents_b = _utf8(raw.get("sourcesContent") or [])
    carries_contents = bool(contents_b) and any(
        loaded.source_content(i) is not None for i in range(len(loaded.sources)))
    strings = names_b + sources_b + (contents_b if carries_contents else 0)
    index = {
        "bytes": len(blob), "build_ms": build.ms, "build_runs": build.runs,
        "names_bytes": names_b, "sources_bytes": sources_b, "contents_bytes": contents_b,
        "carries_contents": carries_contents,
        "bytes_per_segment": (len(blob) - strings) / max(sample.segments, 1),
    }
    if sm_scopes is not None:
        blob_s = sm_scopes.to_index_bytes()
        index["with_scopes_bytes"] = len(blob_s)
        load_s = measure(lambda: load_index(blob_s), budget_s=budget_s / 2, max_runs=500)
        out["parse"]["ours_index_load_scopes"] = {
            "label": "ours, load_index(index with scopes)", "ms": load_s.ms,
            "runs": load_s.runs, "note": ""}
    out["index"] = index

    def loop() -> None:
        lookup = loaded.lookup
        for line, col in zip(lines_l, cols_l):
            lookup(line, col)

    t = measure(loop, budget_s=budget_s / 2)
    out["lookup_single_us"]["ours_index"] = {
        "label": "ours, loaded index", "us": t.median_s * 1e6 / len(lines_l), "runs": t.runs}
    out["answers"]["ours_index"] = [_ours_answer(loaded.lookup(a, b))
                                    for a, b in zip(lines_l, cols_l)]
    if "lookup_many" in caps:
        batch(loaded, "ours_index", "ours, lookup_many on the loaded index")
    return out

