#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) one after
// another, so they do not compete for the CPU. Each prints its own figures; nothing asserts on
// time. Ratios are measured side by side in one run because these machines are noisy.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const filter = process.argv.slice(2);
let files = readdirSync(join(root, "bench")).filter((f) => f.endsWith(".bench.ts")).sort();
if (filter.length) files = files.filter((f) => filter.some((s) => f.includes(s)));
let failed = 0;
for (const f of files) {
  console.log(`\n== ${f}`);
  const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", join("bench", f)], { stdio: "inherit", cwd: root });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
