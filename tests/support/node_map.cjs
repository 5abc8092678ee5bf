// Maps generated positions through a source map with Node's own SourceMap class, an
// implementation independent of ours. Usage: node node_map.cjs MAP LINE:COL ...
// (1-based line and column, as in stack traces). Prints a JSON list of
// [source, line (1-based), column (1-based)] or null where nothing maps.
const { SourceMap } = require("node:module");
const fs = require("node:fs");
const [mapPath, ...positions] = process.argv.slice(2);
const map = new SourceMap(JSON.parse(fs.readFileSync(mapPath, "utf8")));
const out = positions.map((p) => {
  const [line, col] = p.split(":").map(Number);
  const e = map.findEntry(line - 1, col - 1);
  if (!e || e.originalSource === undefined) return null;
  return [e.originalSource, e.originalLine + 1, e.originalColumn + 1];
});
console.log(JSON.stringify(out));
