// Entry of the test bundle that VS Code loads in the extension host (extensionTestsPath):
// runs the mocha suites below and, when LVMM_HOST_TEST_RESULTS names a file, writes a JSON
// summary there so the runner can check the counts independently of the exit code.
import { writeFileSync } from "node:fs";
import Mocha from "mocha";

/** Summary written to LVMM_HOST_TEST_RESULTS; read by test/vscode/host/results.ts. */
export interface HostTestResults {
  passed: number;
  failed: number;
  pending: number;
  tests: { title: string; state: "passed" | "failed" | "pending"; ms?: number; error?: string }[];
}

export async function run(): Promise<void> {
  // LVMM_HOST_TEST_GREP (inherited through the server's environment) runs only matching tests.
  const grep = process.env.LVMM_HOST_TEST_GREP;
  const mocha = new Mocha({ ui: "tdd", color: false, timeout: 20_000, reporter: "spec", ...(grep ? { grep } : {}) });
  // Bundled suites cannot be added as files: announce one "file" and import them in its context.
  mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, "lvmm-host-suite", mocha);
  await import("./extension.test");
  await import("./debug-session.test");
  await import("./real-adapter.test");
  await import("./io-engine-panel.test");
  await import("./time-travel.test");
  await import("./debug-toolbar.test");

  const results: HostTestResults = { passed: 0, failed: 0, pending: 0, tests: [] };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (t: Mocha.Test) => {
      results.passed++;
      results.tests.push({ title: t.fullTitle(), state: "passed", ms: t.duration });
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, (t: Mocha.Test) => {
      results.pending++;
      results.tests.push({ title: t.fullTitle(), state: "pending" });
    });
    // Also fires for failing hooks, which are not tests: they count as failures all the same.
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (t: Mocha.Runnable, err: unknown) => {
      results.failed++;
      results.tests.push({ title: t.fullTitle(), state: "failed", error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    });
  });
  const out = process.env.LVMM_HOST_TEST_RESULTS;
  if (out) writeFileSync(out, JSON.stringify(results));
  if (results.failed > 0) throw new Error(`${results.failed} extension-host test(s) failed`);
  if (results.passed === 0) throw new Error("no extension-host test ran");
}
