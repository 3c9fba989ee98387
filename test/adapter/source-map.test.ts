// The "sourceMap" launch option, for a kernel built in another folder: the real kernel's DWARF
// names guest/ where it was built; mapped to a copy of the sources elsewhere, a breakpoint set
// in the copy is verified and hits, and stack frames, breakpoints and disassembly name the copy.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { LaunchArgumentError, parseLaunchArguments } from "../../src/adapter/launch-arguments";
import { SourcePathMap } from "../../src/adapter/source-paths";
import { KERNEL, ROOT, launchArgs, launchStopped, lineOf, resumeAndWait, topFrame, withAdapter } from "./dap-harness";

const BUILT_IN = join(ROOT, "guest");
const TICK_LINE = lineOf("arch/pit.c", "ticks++;");

describe("source path remapping (sourceMap)", () => {
  const checkout = mkdtempSync(join(tmpdir(), "lvmm-srcmap-"));
  const copy = join(checkout, "kernel-src");
  cpSync(BUILT_IN, copy, { recursive: true, filter: (p) => !p.startsWith(join(BUILT_IN, "build")) });
  after(() => rmSync(checkout, { recursive: true, force: true }));

  test("a breakpoint set in the copy is verified there and hits; the stack frame names the copy", async () => {
    await withAdapter(async (dc) => {
      const pit = join(copy, "arch/pit.c");
      let verified: { verified: boolean; source?: { path?: string }; line?: number } | undefined;
      await launchStopped(dc, launchArgs({ sourceMap: { [BUILT_IN]: copy } }), async () => {
        verified = (await dc.setBreakpointsRequest({ source: { path: pit }, breakpoints: [{ line: TICK_LINE }] })).body.breakpoints[0];
      });
      assert.equal(verified?.verified, true);
      assert.equal(verified?.source?.path, pit, "the verified location is the local file");
      assert.equal(verified?.line, TICK_LINE);

      const stop = await resumeAndWait(dc, () => dc.continueRequest({ threadId: 1 }));
      assert.equal(stop.body.reason, "breakpoint");
      const f = await topFrame(dc);
      assert.equal(f.source?.path, pit, "the stack frame names the local copy, not the build tree");
      assert.equal(f.line, TICK_LINE);
      const frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
      for (const fr of frames) if (fr.source?.path) assert.ok(fr.source.path.startsWith(copy + "/"), `${fr.name}: ${fr.source.path}`);

      const dis = await dc.customRequest("disassemble", { memoryReference: f.instructionPointerReference, instructionCount: 8 });
      const located = (dis.body.instructions as { location?: { path?: string } }[]).filter((i) => i.location?.path);
      assert.ok(located.length > 0 && located.every((i) => i.location!.path!.startsWith(copy + "/")), JSON.stringify(located));

      const locs = await dc.customRequest("breakpointLocations", { source: { path: pit }, line: TICK_LINE });
      assert.ok(
        locs.body.breakpoints.some((b: { line: number }) => b.line === TICK_LINE),
        "breakpoint locations are found by the local path",
      );
    });
  });

  test("the longest prefix wins, whole path components only, both ways", () => {
    const m = new SourcePathMap([
      ["/build", "/home/me/src"],
      ["/build/guest/", "/work/guest"],
    ]);
    assert.equal(m.toLocal("/build/guest/arch/pit.c"), "/work/guest/arch/pit.c");
    assert.equal(m.toLocal("/build/lib/x.c"), "/home/me/src/lib/x.c");
    assert.equal(m.toLocal("/buildx/lib/x.c"), "/buildx/lib/x.c");
    assert.equal(m.toBuild("/work/guest/arch/pit.c"), "/build/guest/arch/pit.c");
    assert.equal(m.toBuild("/elsewhere/a.c"), "/elsewhere/a.c");
  });

  test("a bad sourceMap is refused with a message naming it", () => {
    const refused = (sourceMap: unknown, argument: string, pattern: RegExp) =>
      assert.throws(
        () => parseLaunchArguments({ kernel: KERNEL, sourceMap }),
        (e: unknown) => e instanceof LaunchArgumentError && e.argument === argument && pattern.test(e.message),
      );
    refused("/build=/src", "sourceMap", /expected a object/);
    refused(["/build", "/src"], "sourceMap", /expected a object/);
    refused({ "/build": 3 }, 'sourceMap["/build"]', /local path prefix as a non-empty string/);
    refused({ "": "/src" }, 'sourceMap[""]', /must not be empty/);
    assert.deepEqual(parseLaunchArguments({ kernel: KERNEL, sourceMap: { "/build": "/src" } }).sourceMap, [["/build", "/src"]]);
  });
});
