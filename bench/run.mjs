#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) one after
// another, so they do not compete for the CPU. Each prints its own figures; nothing asserts on
// time. Ratios are measured side by side in one run because these machines are noisy.
// Each benchmark runs from an esbuild bundle, as users run lvmm (dist/ is bundled the same way):
// under tsx the same code ran ~1.6x slower on the busy paths, which skews every ratio.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";

const root = new URL("..", import.meta.url).pathname;
// names filter the benchmarks; flags (--quick, ...) go to each benchmark run
const filter = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const flags = process.argv.slice(2).filter((a) => a.startsWith("--"));
let files = readdirSync(join(root, "bench"))
  .filter((f) => f.endsWith(".bench.ts"))
  .sort();
if (filter.length) files = files.filter((f) => filter.some((s) => f.includes(s)));
// out/bench/ is two levels below the root, like bench/lib/ and test/helpers/: paths made from
// __dirname (test/helpers/guest.ts ROOT) stay right in the bundles.
const outdir = join(root, "out", "bench");
// Helpers that benchmarks start as processes of their own (bench/lib/load-client.ts, the stream
// bench's RTSP load client) are bundled too: out/bench/lib/<name>.cjs.
const helpers = ["lib/load-client.ts"];
await esbuild.build({
  entryPoints: [...files, ...helpers].map((f) => join(root, "bench", f)),
  outdir,
  outbase: join(root, "bench"),
  outExtension: { ".js": ".cjs" },
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["vscode"],
  logLevel: "warning",
  logOverride: { "require-resolve-not-external": "silent" },
});
let failed = 0;
for (const f of files) {
  console.log(`\n== ${f}`);
  const r = spawnSync(process.execPath, ["--expose-gc", join(outdir, f.replace(/\.ts$/, ".cjs")), ...flags], { stdio: "inherit", cwd: root });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
