"""Print the results as tables with ratios against the peers, and the issue's targets."""

from __future__ import annotations

from typing import Any

TARGET_MAP = "monaco"


def ratio(ours: float | None, peer: float | None, what: str = "ours") -> str:
    """'ours is 3.1x faster' when ours takes less time than the peer."""
    if not ours or not peer:
        return ""
    r = peer / ours
    return f"{what} is {r:.1f}x faster" if r >= 1 else f"{what} is {1 / r:.1f}x slower"


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} KB"


def _ms(x: float) -> str:
    return f"{x:.3f} ms" if x < 1 else f"{x:.1f} ms" if x < 100 else f"{x:.0f} ms"


def print_header(meta: dict[str, Any]) -> None:
    print(f"symbols source-map benchmark  {meta['date']}")
    print(f"  engine: {meta['engine']}")
    print(f"  Python {meta['python']}, numpy {meta['numpy']}, Node {meta.get('node', '-')}, "
          f"{meta['cpus']} CPUs (shared: figures vary run to run)")
    print("  method: inputs already in memory; each time is the median of the timed runs "
          "(count shown) after 1 warm-up run;\n"
          "          gc.collect() before each Python run; per-peer budget "
          f"{meta['budget_s']} s (min 3 runs); memory in a fresh process per peer.")
    print(f"  positions: {meta['positions']} per map, seeded, {meta['mix']}")
    print()


def print_map(name: str, r: dict[str, Any]) -> None:
    print(f"== {name}: {r['package']} {r['map']}  {_mb(r['map_bytes'])}, "
          f"{r['segments']:,} segments, {r['names']:,} names, {r['sources']:,} sources ==")
    seg = r.get("engine_segment_count")
    if seg is not None and seg != r["segments"]:
        print(f"  !! engine reports {seg:,} segments, the bench's own decoder {r['segments']:,}")
    parse = r["parse"]
    ours_ms = parse.get("ours", {}).get("ms")
    ours_scopes_ms = parse.get("ours_scopes", {}).get("ms")
    print(f"  {'parse until ready to look up':<46}{'median':>11}{'runs':>6}   ratio")
    for key, p in parse.items():
        if "error" in p:
            print(f"  {p['label']:<46}{'error':>11}        {p['error'][:60]}")
            continue
        if key in ("ours", "ours_scopes"):
            cmp = ""
        elif key == "symbolic_cache":
            cmp = (ratio(ours_scopes_ms, p["ms"], "ours + scopes") if ours_scopes_ms
                   else ratio(ours_ms, p["ms"], "ours (no scopes)"))
        elif key.startswith("ours_index"):
            cmp = ratio(p["ms"], ours_ms, "load") + (" than parsing" if ours_ms else "")
        else:
            cmp = ratio(ours_ms, p["ms"])
        label = p["label"]
        if "ctor_ms" in p:
            label += f" [{p['ctor_ms']:.1f}+{p['first_lookup_ms']:.1f}]"
        print(f"  {label:<46}{_ms(p['ms']):>11}{p['runs']:>6}   {cmp}")
    if any("ctor_ms" in p for p in parse.values()):
        print("    [a+b]: Node constructor + first lookup (both peers decode mappings lazily, "
              "on the first lookup)")

    single, batch = r["lookup_single_us"], r["lookup_batch_us"]
    ours_us = single.get("ours", {}).get("us")
    ours_batch = batch.get("ours", {}).get("us")
    print(f"\n  {'lookup, us per position':<46}{'median':>11}{'runs':>6}   ratio")
    for key, s in single.items():
        cmp = "" if key.startswith("ours") else ratio(ours_us, s["us"], "ours lookup()")
        print(f"  {s['label'] + ' (single)':<46}{s['us']:>8.3f} us{s['runs']:>6}   {cmp}")
    for key, b in batch.items():
        print(f"  {b['label'] + ' (batch)':<46}{b['us']:>8.3f} us{b['runs']:>6}   "
              f"batch of {b['batch']:,}")
    if ours_batch:
        fastest = min((s["us"], s["label"]) for k, s in single.items() if not k.startswith("ours"))
        print(f"    ours lookup_many vs fastest peer single lookup ({fastest[1]}): "
              f"{ratio(ours_batch, fastest[0], 'ours')}")

    idx = r.get("index")
    if idx:
        strings = idx["names_bytes"] + idx["sources_bytes"]
        if idx["carries_contents"]:
            strings += idx["contents_bytes"]
        print(f"\n  stored index: {idx['bytes']:,} bytes total = {idx['bytes_per_segment']:.2f} "
              f"bytes/segment + {strings:,} bytes of names and sources"
              f"{' and sourcesContent' if idx['carries_contents'] else ''}; "
              f"to_index_bytes {_ms(idx['build_ms'])}")
        if "with_scopes_bytes" in idx:
            print(f"  stored index with function scopes: {idx['with_scopes_bytes']:,} bytes")
        print(f"  (map JSON: {r['map_bytes']:,} bytes; sourcesContent in the map: "
              f"{idx['contents_bytes']:,} bytes)")

    mem = r.get("memory") or {}
    if mem:
        print(f"\n  {'memory, parse + 1 lookup (fresh process)':<46}{'peak RSS':>11}"
              "   tracemalloc / JS heap")
        for key, m in mem.items():
            label = parse.get(key, {}).get("label", key)
            if key == "ours_index":
                label = "ours, load_index(stored index)"
            if "error" in m:
                print(f"  {label:<46}{'error':>11}   {m['error']}")
                continue
            second = m.get("tracemalloc_peak_bytes", m.get("retained_heap_bytes"))
            kind = ("tracemalloc peak" if "tracemalloc_peak_bytes" in m
                    else "retained heap" if "retained_heap_bytes" in m else "")
            second_s = f"{_mb(second)} {kind}" if second is not None else "-"
            print(f"  {label:<46}{_mb(m['peak_rss_bytes']):>11}   {second_s}")
        print("    peak RSS: VmHWM after (reset via /proc/self/clear_refs) minus VmRSS before; "
              "sees Rust/wasm memory too.\n    tracemalloc: Python heap + numpy only. "
              "Node retained heap: heapUsed+external+arrayBuffers growth after gc.")

    dis = r.get("disagreements") or {}
    if dis:
        print(f"\n  disagreements with source-map originalPositionFor (GREATEST_LOWER_BOUND), "
              f"of {r['positions']:,} positions ({r.get('reference_mapped', 0):,} mapped by "
              "source-map)")
        for key, d in dis.items():
            detail = ""
            if d["total"]:
                detail = f"  fields {d['by_field']}  kinds {d['by_kind']}"
            print(f"  {_dis_label(key, r):<46}{d['total']:>11,}{detail}")
        for key, d in dis.items():
            if key.startswith("ours") and d["total"]:
                print(f"    {key} examples:")
                for e in d["examples"]:
                    print(f"      {e}")
    print()


def _dis_label(key: str, r: dict[str, Any]) -> str:
    fixed = {"ours": "ours lookup()", "ours_batch": "ours lookup_many",
             "ours_index": "ours loaded index lookup()",
             "ours_index_batch": "ours loaded index lookup_many"}
    if key in fixed:
        return fixed[key]
    return r["parse"].get(key, {}).get("label", key)


def targets(results: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    r = results.get(TARGET_MAP)
    if r is None:
        return []
    parse, idx = r["parse"], r.get("index") or {}
    ours = parse.get("ours", {}).get("ms")
    view = parse.get("symbolic_view", {}).get("ms")
    load = parse.get("ours_index_load", {}).get("ms")
    batch = r["lookup_batch_us"].get("ours", {}).get("us")
    batch_idx = r["lookup_batch_us"].get("ours_index", {}).get("us")
    per_seg = idx.get("bytes_per_segment")
    dis = r.get("disagreements") or {}
    ours_dis = {k: v["total"] for k, v in dis.items() if k.startswith("ours")}

    def check(ok: bool | None, text: str) -> tuple[str, bool | None, str]:
        return ("n/a" if ok is None else "PASS" if ok else "FAIL", ok, text)

    out = [
        check(None if not (ours and view) else ours <= view,
              f"parse no slower than symbolic SourceMapView: ours {_fmt(ours)} vs {_fmt(view)}"),
        check(None if load is None else load < 5, f"stored index loads in < 5 ms: {_fmt(load)}"),
        check(None if batch is None else max(batch, batch_idx or 0) < 1,
              f"batch lookup < 1 us/position: parsed {_fmt(batch, 'us')}, "
              f"loaded index {_fmt(batch_idx, 'us')}"),
        check(None if per_seg is None else per_seg < 16,
              f"index < 16 bytes/segment + names and sources: {_fmt(per_seg, 'B')}"),
        check(None if not ours_dis else not any(ours_dis.values()),
              f"zero disagreements with source-map: {ours_dis or 'not measured'}"),
    ]
    return out


def _fmt(x: float | None, unit: str = "ms") -> str:
    return "-" if x is None else f"{x:.3f} {unit}" if x < 10 else f"{x:.1f} {unit}"


def print_targets(results: dict[str, Any]) -> None:
    rows = targets(results)
    if not rows:
        print(f"targets (issue 3) apply to {TARGET_MAP}, which was not run (--quick?)")
        return
    print(f"targets (issue 3, on {TARGET_MAP}):")
    for mark, _, text in rows:
        print(f"  [{mark}] {text}")
