#!/usr/bin/env node
// Runs the whole suite: type-check first (strict TS is part of the contract), then every
// test/**/*.test.ts under node's own test runner, loaded through tsx.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const filter = process.argv.slice(2);

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    // test/vscode/suite runs inside a VS Code extension host (test/vscode/run-host.ts), not here.
    if (p === join(root, "test/vscode/suite")) continue;
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const tsc = spawnSync(process.execPath, [join(root, "node_modules/@typescript/native/bin/tsc"), "--noEmit", "-p", root], { stdio: "inherit" });
if (tsc.status !== 0) {
  console.error("type-check failed");
  process.exit(1);
}

let files = find(join(root, "test")).sort();
if (filter.length) files = files.filter((f) => filter.some((s) => f.includes(s)));
console.log(`running ${files.length} test files`);
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", ...files.map((f) => relative(root, f))],
  { stdio: "inherit", cwd: root },
);
process.exit(r.status ?? 1);
