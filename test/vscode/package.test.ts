// The .vsix (`npm run package`): vsce packages the built extension with .vscodeignore, and the
// result holds what runs (the bundles, their .wasm, the guest kernel and its sources, grammars,
// icons, the manifest, README, LICENSE, CHANGELOG), nothing of the repository's sources, tests,
// benches, caches or node_modules, and stays small. Needs `npm run build` (npm test runs it).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { extensionFiles, packageVsix, ROOT, type PackagedVsix } from "../helpers/vsix";

const MAX_BYTES = 5 * 1024 * 1024;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Every file the manifest names: the entry point, the icon, grammars and contributed icons. */
function manifestFiles(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const c = pkg.contributes ?? {};
  const files = [pkg.main, pkg.icon, ...(c.grammars ?? []).map((g: { path: string }) => g.path)];
  for (const v of c.viewsContainers?.activitybar ?? []) files.push(v.icon);
  for (const cmd of c.commands ?? []) {
    if (cmd.icon && typeof cmd.icon === "object") files.push(cmd.icon.light, cmd.icon.dark);
  }
  return files.filter((f): f is string => typeof f === "string" && !f.startsWith("$(")).map((f) => f.replace(/^\.\//, ""));
}

describe("the packaged extension (.vsix)", () => {
  let dir: string;
  let vsix: PackagedVsix;
  let files: string[];

  before(() => {
    for (const f of ["dist/extension.js", "guest/build/ioengine.elf"]) {
      assert.ok(existsSync(join(ROOT, f)), `${f} is missing: run npm run build first`);
    }
    dir = mkdtempSync(join(tmpdir(), "lvmm-vsix-"));
    vsix = packageVsix(join(dir, "lvmm.vsix"));
    files = extensionFiles(vsix.entries);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`is at most ${MAX_BYTES / 1024 / 1024} MB`, () => {
    assert.ok(vsix.bytes <= MAX_BYTES, `${vsix.path}: ${(vsix.bytes / 1024 / 1024).toFixed(2)} MB in ${vsix.entries.length} files`);
  });

  it("holds nothing of the repository's sources, tests, benches, caches, recordings or node_modules", () => {
    const forbidden = ["src/", "test/", "bench/", "recordings/", ".cache/", "node_modules/", "dist/test/", "out/", "tools/", "scripts/", "examples/", ".vscode-test/", ".git/"];
    const bad = files.filter((f) => forbidden.some((p) => f.startsWith(p)) || /\.(map|ts|o|d|lvmmrec|pcapng|vsix|log)$/.test(f) || /(^|\/)\.[^/]/.test(f));
    assert.deepEqual(bad, [], `files that do not run: ${bad.join(", ")}`);
  });

  it("holds every built file that runs: the bundles, their .wasm and CSS, the guest kernel", () => {
    const built = walk(join(ROOT, "dist"))
      .map((f) => relative(ROOT, f))
      .filter((f) => !f.startsWith("dist/test/") && !f.endsWith(".map"));
    for (const b of ["extension.js", "adapter.js", "stream-server.js", "engine-worker.js", "cli.js", "v86.wasm", "iced_x86_bg.wasm"]) {
      assert.ok(built.includes(`dist/${b}`), `the build made dist/${b}`);
    }
    const missing = [...built, "guest/build/ioengine.elf"].filter((f) => !files.includes(f));
    assert.deepEqual(missing, [], `built files left out of the .vsix: ${missing.join(", ")}`);
  });

  it("holds the manifest, its README, LICENSE and CHANGELOG, and every file the manifest names", () => {
    const lower = files.map((f) => f.toLowerCase());
    for (const f of ["package.json", "readme.md", "changelog.md", "license.txt"]) assert.ok(lower.includes(f), `${f} in ${files.join(", ")}`);
    const named = manifestFiles();
    assert.ok(named.includes("media/icon.png") && named.includes("dist/extension.js"), named.join(", "));
    const missing = named.filter((f) => !files.includes(f));
    assert.deepEqual(missing, [], `files package.json names but the .vsix lacks: ${missing.join(", ")}`);
  });

  it("holds the guest's C and assembly sources, so the shipped kernel debugs at source level", () => {
    const sources = walk(join(ROOT, "guest"))
      .map((f) => relative(ROOT, f))
      .filter((f) => !f.startsWith("guest/build/") && /\.(c|h|S)$/.test(f));
    assert.ok(sources.includes("guest/drivers/e1000.c"));
    const missing = sources.filter((f) => !files.includes(f));
    assert.deepEqual(missing, [], `guest sources left out: ${missing.join(", ")}`);
  });
});
