// Children of the eval sections (a fresh process per measured run) run from an esbuild bundle,
// as bench/run.mjs runs the benches: under tsx the same code ran ~1.6x slower on the busy paths.
// Bundles go to out/eval/ (two levels below the root, like out/bench/: paths the code derives
// from __dirname stay right, and v86's wasm is found in the root's node_modules).
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { basename, join } from "node:path";

const built = new Map<string, string>();

/** How every bench bundle is built (bench/run.mjs builds its own the same way). */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["vscode"] as string[],
  logLevel: "warning",
  logOverride: { "require-resolve-not-external": "silent" },
} as const;

/** Bundles `entry` (a path relative to the root) once per process; returns the .cjs path. */
export async function bundleChild(root: string, entry: string): Promise<string> {
  const key = `${root}\0${entry}`;
  const done = built.get(key);
  if (done) return done;
  const outfile = join(root, "out", "eval", basename(entry).replace(/\.ts$/, ".cjs"));
  // esbuild from the root's node_modules at run time: its API cannot itself be bundled (npm run
  // eval runs a bundle of bench/eval/run.ts), and a runtime require is left alone by esbuild.
  const esbuild = createRequire(join(root, "package.json"))("esbuild") as typeof import("esbuild");
  await esbuild.build({
    entryPoints: [join(root, entry)],
    outfile,
    ...BUNDLE_OPTIONS,
  });
  built.set(key, outfile);
  return outfile;
}

/** Runs a bundled child with args; resolves with the JSON object on its last stdout line. */
export function runChild<T>(file: string, args: string[], cwd: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--expose-gc", file, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    p.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.once("exit", (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split("\n").pop() ?? "";
      try {
        if (code !== 0) throw new Error(`exit ${code ?? signal}`);
        resolve(JSON.parse(last) as T);
      } catch (e) {
        reject(new Error(`${basename(file)} ${args.join(" ")} failed (${e instanceof Error ? e.message : String(e)}): ${err.slice(-2000)}`));
      }
    });
  });
}
