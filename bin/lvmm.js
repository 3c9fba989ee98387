#!/usr/bin/env node
// Launcher for the `lvmm` CLI: the real code is the esbuild bundle dist/cli.js.
const { existsSync } = require("node:fs");
const { join } = require("node:path");
const bundle = join(__dirname, "..", "dist", "cli.js");
if (!existsSync(bundle)) {
  console.error("lvmm: dist/cli.js is missing; run `npm run build` first");
  process.exit(2);
}
require(bundle);
