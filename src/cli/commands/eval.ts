// `lvmm eval`: the thesis's evaluation (docs/architecture.md's benches) from a checkout. It runs
// `npm run eval` in the repository lvmm runs from, with the same options; outside a checkout (an
// installed package has no bench/) it says so: the evaluation needs the repository's benches.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { PACKAGE_ROOT } from "../../paths";
import { EXIT, UsageError } from "../errors";
import { parse } from "../options";

export const EVAL_HELP = `usage: lvmm eval [--quick] [--out DIR]
  Reproduces the thesis's evaluation on this machine: the linkage's size and overhead, delivery
  against the conventional server and gst-rtsp-server, the LVMM's I/O against a hosted VMM, the
  cost of logging, and the cost-performance model. Writes evaluation.md and its plots
  (evaluation/*.svg) to the repository's docs/, or to DIR. Runs \`npm run eval\` in the checkout
  lvmm runs from; needs the repository (its benches), not just the installed package.
  --quick    a smoke run of a few minutes (every section measured, fewer points)
  --out DIR  write DIR/evaluation.md and DIR/evaluation/ instead of the repository's docs/`;

/** The checkout lvmm runs from, if it is one: its benches and the evaluation's runner are there. */
export function evalCheckout(root = PACKAGE_ROOT): string | undefined {
  return existsSync(join(root, "bench", "eval", "run.ts")) && existsSync(join(root, "bench", "streams.bench.ts")) ? root : undefined;
}

export async function evaluate(args: string[]): Promise<number> {
  const { values } = parse(args, { quick: { type: "boolean" }, out: { type: "string" } });
  const root = evalCheckout();
  if (!root) {
    throw new UsageError(
      `eval needs the repository's benches (bench/eval/), and ${PACKAGE_ROOT} is an installed package, not a checkout: clone the repository, run npm ci there, then npm run eval (or lvmm eval from that checkout)`,
    );
  }
  // npm runs the script in the checkout: a relative --out is made absolute from here
  const forward = [...(values.quick ? ["--quick"] : []), ...(values.out ? ["--out", resolve(values.out)] : [])];
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const code = await new Promise<number>((resolve) => {
    const child = spawn(npm, ["run", "eval", "--", ...forward], { cwd: root, stdio: "inherit" });
    child.once("error", (e) => {
      console.error(`lvmm eval: could not run npm in ${root}: ${e.message}`);
      resolve(EXIT.failed);
    });
    child.once("exit", (c, signal) => resolve(c ?? (signal ? EXIT.failed : EXIT.ok)));
  });
  return code === 0 ? EXIT.ok : EXIT.failed;
}
