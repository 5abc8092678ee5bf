// Node side of the symbols source-map benchmark (run by `python -m bench`).
//
//   node peers.mjs time MAP POSITIONS.json [BUDGET_MS]
//     Times source-map@0.7 (`new SourceMapConsumer`) and @jridgewell/trace-mapping
//     (`new TraceMap`) on MAP, then looks up every position of POSITIONS.json
//     ({"lines": [...], "columns": [...]}, 0-based lines and columns) and prints JSON
//     with the timings and each peer's answers ([source, line0, column, name] or null),
//     source-map's with GREATEST_LOWER_BOUND bias.
//   node --expose-gc peers.mjs mem PEER MAP
//     In a fresh process: peak RSS growth (VmHWM after a reset through
//     /proc/self/clear_refs, minus VmRSS before) and retained JS heap growth
//     (heapUsed + external + arrayBuffers, after gc) for parse + first lookup.
//
// Both peers are lazy: the constructor only parses the JSON and the mappings are
// decoded on the first lookup, so parse is reported as constructor and first lookup
// separately, and their sum is the comparable "ready to answer" time.
// Module resolution: NODE_PATH is ignored by ESM, so the peers are imported from the
// directory given in SYMBOLS_BENCH_NODE_MODULES.

import { readFileSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createRequire } from "node:module";
import path from "node:path";

const modulesDir = process.env.SYMBOLS_BENCH_NODE_MODULES;
if (!modulesDir) throw new Error("SYMBOLS_BENCH_NODE_MODULES is not set");
const require = createRequire(path.join(modulesDir, "noop.js"));
const sourceMap = require("source-map");
const traceMapping = require("@jridgewell/trace-mapping");
const { SourceMapConsumer } = sourceMap;
const { TraceMap, originalPositionFor } = traceMapping;
const GLB = SourceMapConsumer.GREATEST_LOWER_BOUND;

function versionOf(pkg) {
  return JSON.parse(readFileSync(path.join(modulesDir, pkg, "package.json"), "utf8")).version;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Warm-up once, then repeat until the budget is spent (at least 3, at most 25 runs).
async function repeat(fn, budgetMs) {
  await fn();
  const runs = [];
  const start = performance.now();
  while (runs.length < 3 || (runs.length < 25 && performance.now() - start < budgetMs)) {
    runs.push(await fn());
  }
  return runs;
}

const PEERS = {
  "source-map": {
    version: () => versionOf("source-map"),
    open: async (text) => await new SourceMapConsumer(text),
    lookup: (c, line0, col) => {
      const r = c.originalPositionFor({ line: line0 + 1, column: col, bias: GLB });
      return r.source === null && r.line === null ? null : [r.source, r.line - 1, r.column, r.name];
    },
    close: (c) => c.destroy(),
  },
  "trace-mapping": {
    version: () => versionOf("@jridgewell/trace-mapping"),
    open: async (text) => new TraceMap(text),
    lookup: (m, line0, col) => {
      const r = originalPositionFor(m, { line: line0 + 1, column: col });
      return r.source === null && r.line === null ? null : [r.source, r.line - 1, r.column, r.name];
    },
    close: () => {},
  },
};

async function timePeer(peer, text, lines, columns, budgetMs) {
  const p = PEERS[peer];
  const parse = await repeat(async () => {
    const t0 = performance.now();
    const obj = await p.open(text);
    const t1 = performance.now();
    p.lookup(obj, 0, 0); // forces decoding of the mappings
    const t2 = performance.now();
    p.close(obj);
    return [t1 - t0, t2 - t1, t2 - t0];
  }, budgetMs);
  const obj = await p.open(text);
  p.lookup(obj, 0, 0);
  const n = lines.length;
  const results = new Array(n);
  const loop = await repeat(() => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) results[i] = p.lookup(obj, lines[i], columns[i]);
    return ((performance.now() - t0) * 1000) / n;
  }, budgetMs / 2);
  p.close(obj);
  return {
    version: p.version(),
    runs: parse.length,
    ctor_ms: median(parse.map((r) => r[0])),
    first_lookup_ms: median(parse.map((r) => r[1])),
    ready_ms: median(parse.map((r) => r[2])),
    lookup_runs: loop.length,
    lookup_us: median(loop),
    results,
  };
}

function status() {
  const s = readFileSync("/proc/self/status", "utf8");
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)[1]);
  return { hwm: kb("VmHWM") * 1024, rss: kb("VmRSS") * 1024 };
}

function heap() {
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

async function memPeer(peer, text) {
  const p = PEERS[peer];
  globalThis.gc();
  globalThis.gc();
  const heap0 = heap();
  writeFileSync("/proc/self/clear_refs", "5");
  const rss0 = status().rss;
  const obj = await p.open(text);
  p.lookup(obj, 0, 0);
  const peak = status().hwm - rss0;
  globalThis.gc();
  globalThis.gc();
  const retained = heap() - heap0;
  const out = { peak_rss_bytes: peak, retained_heap_bytes: retained };
  p.close(obj);
  return out;
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "time") {
  const [mapPath, positionsPath, budget] = args;
  const text = readFileSync(mapPath, "utf8");
  const { lines, columns } = JSON.parse(readFileSync(positionsPath, "utf8"));
  const budgetMs = Number(budget || 1500);
  const out = { node: process.version };
  for (const peer of Object.keys(PEERS)) {
    out[peer] = await timePeer(peer, text, lines, columns, budgetMs);
  }
  process.stdout.write(JSON.stringify(out));
} else if (mode === "mem") {
  const [peer, mapPath] = args;
  const text = readFileSync(mapPath, "utf8");
  process.stdout.write(JSON.stringify(await memPeer(peer, text)));
} else {
  process.stderr.write("usage: peers.mjs time MAP POSITIONS.json [BUDGET_MS] | mem PEER MAP\n");
  process.exit(2);
}
