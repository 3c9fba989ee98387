#!/usr/bin/env node
// One script builds every artifact: the guest kernel (make), every JS bundle, and the .wasm
// files the bundles load at run time. Output goes to dist/ and guest/build/, never committed.
"use strict";
const esbuild = require("esbuild");
const { spawnSync } = require("node:child_process");
const { copyFileSync, mkdirSync } = require("node:fs");
const { join } = require("node:path");

const root = __dirname;
const dist = join(root, "dist");
const watch = process.argv.includes("--watch");

/** Bundles: [entry, outfile, platform]. Node bundles are CommonJS so VS Code can load them; browser ones are iife. */
const bundles = [
  ["src/cli/main.ts", "cli.js", "node"],
  ["src/extension/extension.ts", "extension.js", "node"],
  ["src/adapter/main.ts", "adapter.js", "node"],
  // The stream server the I/O Engine panel forks (src/extension/io-engine-panel/controller.ts).
  ["src/extension/stream-server/worker.ts", "stream-server.js", "node"],
  // The I/O engine's own thread (src/streamsim/ioengine/worker-engine.ts starts it).
  ["src/streamsim/ioengine/engine-worker.ts", "engine-worker.js", "node"],
  // Webview scripts: browser iife bundles; their CSS imports become a .css beside each.
  ["src/webview/io-engine-panel/main.ts", "webview/io-engine-panel.js", "browser"],
  // The Timeline view in the Run and Debug side bar (src/extension/time-travel/timeline-view.ts).
  ["src/webview/timeline/main.ts", "webview/timeline.js", "browser"],
  // Mocha suites that run inside a real VS Code extension host (test/vscode/run-host.ts).
  ["test/vscode/suite/index.ts", "test/vscode-suite.js", "node"],
];

function fail(msg) {
  console.error(`build: ${msg}`);
  process.exit(1);
}

function have(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  return !r.error && r.status === 0;
}

function buildGuest() {
  const missing = [];
  if (!have("make", ["--version"])) missing.push("make");
  if (!have("gcc", ["--version"])) missing.push("gcc");
  if (!have("ld", ["--version"])) missing.push("binutils");
  // The 32-bit libgcc (gcc-multilib) is checked by the Makefile itself, with the CC it builds with.
  if (missing.length) {
    fail(`the guest kernel needs ${missing.join(", ")}; install with: apt-get install -y gcc gcc-multilib binutils make`);
  }
  const r = spawnSync("make", ["-C", join(root, "guest"), "--no-print-directory", "-s"], { stdio: "inherit" });
  if (r.status !== 0) fail("guest kernel build failed (see the output above)");
}

async function main() {
  buildGuest();
  mkdirSync(dist, { recursive: true });
  copyFileSync(join(root, "node_modules/v86/build/v86.wasm"), join(dist, "v86.wasm"));
  // iced-x86 (the adapter's disassembler) loads its wasm from beside the bundle.
  copyFileSync(join(root, "node_modules/iced-x86/iced_x86_bg.wasm"), join(dist, "iced_x86_bg.wasm"));
  const contexts = await Promise.all(
    bundles.map(([entry, out, platform]) =>
      esbuild.context({
        entryPoints: [join(root, entry)],
        outfile: join(dist, out),
        bundle: true,
        platform,
        ...(platform === "browser" ? { format: "iife", target: "chrome120" } : { format: "cjs", target: "node20" }),
        sourcemap: true,
        external: ["vscode"],
        logLevel: "warning",
        // mocha's parallel mode (unused in the bundled suites) resolves worker files at run time.
        logOverride: { "require-resolve-not-external": "silent" },
      }),
    ),
  );
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}

main().catch((e) => fail(e && e.message ? e.message : String(e)));
