// Runs one eval section on its own and prints its result as JSON (for developing a section):
//   node -e 'require("esbuild").buildSync({entryPoints:["bench/eval/lib/run-one.ts"],bundle:true,platform:"node",outfile:"out/eval/run-one.cjs",external:["vscode"]})'
//   node out/eval/run-one.cjs vmm-io [--quick]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Section } from "../section";
import vmmIo from "../sections/vmm-io";
import logging from "../sections/logging";

const SECTIONS: Record<string, Section> = { "vmm-io": vmmIo, logging };

async function main(): Promise<void> {
  const name = process.argv[2] ?? "";
  const section = SECTIONS[name];
  if (!section) throw new Error(`usage: run-one <${Object.keys(SECTIONS).join("|")}> [--quick]`);
  const root = join(__dirname, "..", "..");
  const workDir = mkdtempSync(join(tmpdir(), `lvmm-eval-${name}-`));
  const t0 = performance.now();
  try {
    const r = await section({ quick: process.argv.includes("--quick"), root, workDir, log: (l) => console.error(`[${name}] ${l}`) });
    console.log(JSON.stringify(r, null, 2));
    console.error(`[${name}] done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
