#!/usr/bin/env node
// Runs the whole suite: type-check first (strict TS is part of the contract; a failure stops the
// run), then the static checks (ESLint, Prettier's check, links to missing files), then every
// test/**/*.test.ts under node's own test runner, loaded through tsx. A failed static check
// fails the run after the tests.
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

// Each check: [name, the command (a script under node_modules or the repository), how to fix it].
const checks = [
  ["lint", ["node_modules/eslint/bin/eslint.js", "--cache", "--cache-location", "node_modules/.cache/eslint", "."], "fix the findings above (npm run lint)"],
  ["format", ["node_modules/prettier/bin/prettier.cjs", "--check", "--cache", "--log-level", "warn", "."], "npm run format rewrites the files listed above"],
  ["links", ["scripts/check-links.mjs"], "fix the references above"],
];
const failed = [];
for (const [name, [script, ...args], fix] of checks) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, script), ...args], { stdio: "inherit", cwd: root });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.status === 0) console.log(`${name}: ok (${secs} s)`);
  else {
    console.error(`${name} failed (${secs} s): ${fix}`);
    failed.push(name);
  }
}

let files = find(join(root, "test")).sort();
if (filter.length) files = files.filter((f) => filter.some((s) => f.includes(s)));
console.log(`running ${files.length} test files`);
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", ...files.map((f) => relative(root, f))], { stdio: "inherit", cwd: root });
if (failed.length) {
  console.error(`static checks failed: ${failed.join(", ")} (see above)`);
  process.exit(1);
}
process.exit(r.status ?? 1);
