// How VS Code starts a `node` adapter executable from an extension host that runs as
// Electron-as-node (desktop VS Code, and the VS Code server's extension host): child_process.fork
// of the bundle with execArgv `-e "delete process.env.ELECTRON_RUN_AS_NODE;require(process.argv[1])"`.
// require.main is then not the bundle; it must serve DAP on stdio all the same.
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { test } from "node:test";
import { ADAPTER_BUNDLE } from "./dap-harness";

test("dist/adapter.js answers initialize when forked the way VS Code forks a node adapter", async () => {
  const child = fork(ADAPTER_BUNDLE, [], {
    execArgv: ["-e", "delete process.env.ELECTRON_RUN_AS_NODE;require(process.argv[1])"],
    env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" },
    silent: true,
  });
  try {
    const body = JSON.stringify({ seq: 1, type: "request", command: "initialize", arguments: { adapterID: "lvmm", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" } });
    child.stdin!.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    let out = "";
    const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no initialize response within 10 s; stdout: ${out}`)), 10_000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the adapter exited (${code}) before answering; stdout: ${out}`));
      });
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /Content-Length: (\d+)\r\n\r\n/.exec(out);
        if (!m) return;
        const start = m.index + m[0].length;
        if (Buffer.byteLength(out.slice(start)) < Number(m[1])) return;
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(start, start + Number(m[1]))) as Record<string, unknown>);
      });
    });
    assert.equal(reply.command, "initialize");
    assert.equal(reply.success, true, JSON.stringify(reply));
    assert.equal((reply.body as { supportsFunctionBreakpoints?: boolean }).supportsFunctionBreakpoints, true);
  } finally {
    child.kill();
  }
});
