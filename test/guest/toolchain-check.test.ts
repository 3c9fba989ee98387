// The guest build on a machine without gcc-multilib: `make -C guest` must stop before compiling
// and name the packages, not fail at the link with "undefined reference to __udivdi3". A fake
// compiler (the real gcc, except for the libgcc it reports) stands in for the missing package.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

const GUEST = join(__dirname, "..", "..", "guest");
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "toolchain-check-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A `gcc` that reports `libgcc` for -print-libgcc-file-name and is the real gcc otherwise. */
function fakeGcc(name: string, libgcc: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `#!/bin/sh\nfor a in "$@"; do [ "$a" = -print-libgcc-file-name ] && { echo '${libgcc}'; exit 0; }; done\nexec gcc "$@"\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

/** The full guest build, as esbuild.js runs it, into a build dir of its own. */
function makeGuest(cc: string, build: string) {
  const r = spawnSync("make", ["-C", GUEST, "--no-print-directory", "-s", `CC=${cc}`, `BUILD=${build}`], {
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.error, undefined);
  return r;
}

function assertNamesPackages(r: ReturnType<typeof makeGuest>, build: string): void {
  assert.notEqual(r.status, 0, "the build must fail");
  assert.match(r.stderr, /32-bit libgcc is missing/);
  assert.match(r.stderr, /apt-get install -y gcc gcc-multilib binutils make/);
  assert.match(r.stderr, /\[Makefile:\d+: check-toolchain\]/, "the check stops the build");
  assert.equal(existsSync(join(build, "kernel")), false, "nothing is compiled before the check");
}

describe("guest build without the 32-bit libgcc", () => {
  it("names gcc-multilib when gcc -m32 reports a libgcc that does not exist", () => {
    const build = join(dir, "build-missing");
    const r = makeGuest(fakeGcc("gcc-missing", "/nonexistent/gcc/32/libgcc.a"), build);
    assertNamesPackages(r, build);
    assert.match(r.stderr, /\/nonexistent\/gcc\/32\/libgcc\.a', which does not exist/);
  });

  it("names gcc-multilib when the libgcc it reports cannot link 32-bit code", () => {
    // The 64-bit libgcc exists but has no i386 __udivdi3: what a half-installed multilib leaves.
    const libgcc64 = spawnSync("gcc", ["-print-libgcc-file-name"], { encoding: "utf8" }).stdout.trim();
    assert.ok(existsSync(libgcc64), `64-bit libgcc ${libgcc64}`);
    const build = join(dir, "build-wrong");
    assertNamesPackages(makeGuest(fakeGcc("gcc-wrong", libgcc64), build), build);
  });

  it("passes with this machine's toolchain", () => {
    const r = spawnSync("make", ["-C", GUEST, "--no-print-directory", "-s", "check-toolchain"], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
  });
});
