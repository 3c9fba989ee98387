// The launch configuration: package.json's schema matches the TypeScript type of the launch
// arguments, and every wrong argument is refused with a message that names it, both by the
// validator and through a real DAP launch request.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { join } from "node:path";
import { LAUNCH_PROPERTY_TYPES, LaunchArgumentError, parseLaunchArguments, REQUIRED_LAUNCH_PROPERTIES } from "../../src/adapter/launch-arguments";
import { KERNEL, ROOT, launchArgs, withAdapter } from "./dap-harness";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const debuggerContribution = pkg.contributes.debuggers.find((d: { type: string }) => d.type === "lvmm");
const launchSchema = debuggerContribution.configurationAttributes.launch;

function refused(raw: Record<string, unknown>, argument: string, pattern: RegExp): void {
  assert.throws(
    () => parseLaunchArguments(raw),
    (e: unknown) => e instanceof LaunchArgumentError && e.argument === argument && pattern.test(e.message),
  );
}

describe("launch configuration", () => {
  test("package.json declares exactly the launch properties of LvmmLaunchOptions, with their JSON types", () => {
    const declared = Object.fromEntries(Object.entries(launchSchema.properties as Record<string, { type: string }>).map(([k, v]) => [k, v.type]));
    assert.deepEqual(declared, { ...LAUNCH_PROPERTY_TYPES });
    assert.deepEqual([...launchSchema.required].sort(), [...REQUIRED_LAUNCH_PROPERTIES].sort());
  });

  test("initialConfigurations and snippets use only declared properties, with the declared types", () => {
    const bodies = [...debuggerContribution.initialConfigurations, ...debuggerContribution.configurationSnippets.map((s: { body: unknown }) => s.body)];
    assert.ok(bodies.length >= 2);
    for (const body of bodies as Record<string, unknown>[]) {
      assert.equal(body.type, "lvmm");
      assert.equal(body.request, "launch");
      for (const [k, v] of Object.entries(body)) {
        if (k === "type" || k === "request" || k === "name") continue;
        const t = (LAUNCH_PROPERTY_TYPES as Record<string, string>)[k];
        assert.ok(t, `${k} is declared`);
        const actual = Array.isArray(v) ? "array" : typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v;
        assert.ok(actual === t || (t === "number" && actual === "integer") || (t === "string" && actual === "string"), `${k}: ${actual} vs ${t}`);
      }
    }
  });

  test("the validator names each wrong argument", () => {
    refused({}, "kernel", /missing/);
    refused({ kernel: 42 }, "kernel", /expected a string/);
    refused({ kernel: "/nonexistent/ioengine.elf" }, "kernel", /does not exist/);
    refused({ kernel: join(ROOT, "package.json") }, "kernel", /cannot be booted: .*ELF/i);
    refused({ kernel: join(ROOT, "guest/build/kernel/main.o") }, "kernel", /relocatable object/);
    refused({ kernel: KERNEL, memoryMB: 1.5 }, "memoryMB", /integer/);
    refused({ kernel: KERNEL, memoryMB: 2 }, "memoryMB", /4\.\.2048/);
    refused({ kernel: KERNEL, mips: -1 }, "mips", /positive/);
    refused({ kernel: KERNEL, stopOnEntry: "yes" }, "stopOnEntry", /boolean/);
    refused({ kernel: KERNEL, mac: "01:00:5e:00:00:01" }, "mac", /multicast/);
    refused({ kernel: KERNEL, udpBridge: [{ hostPort: 70000, guestPort: 7 }] }, "udpBridge[0].hostPort", /port number/);
    refused({ kernel: KERNEL, udpBridge: [{ hostPort: 7007, guestPort: 7, extra: 1 }] }, "udpBridge[0].extra", /unknown property/);
    refused({ kernel: KERNEL, nic: false, udpBridge: [{ hostPort: 7007, guestPort: 7 }] }, "udpBridge", /needs the NIC/);
    refused({ kernel: KERNEL, record: { enabled: "yes" } }, "record.enabled", /boolean/);
    refused({ kernel: KERNEL, guestIp: "10.0.2" }, "guestIp", /IPv4/);
  });

  test("defaults fill in what the configuration leaves out", () => {
    const plan = parseLaunchArguments({ kernel: KERNEL, cmdline: "ip=10.0.2.99" });
    assert.equal(plan.memoryMB, 32);
    assert.equal(plan.stopOnEntry, false);
    assert.equal(plan.guestIp, "10.0.2.99");
    assert.deepEqual(plan.nic, {});
  });

  test("a DAP launch with a bad argument fails with a message naming it, and the adapter keeps answering", async () => {
    await withAdapter(async (dc) => {
      await dc.initializeRequest();
      await assert.rejects(dc.launch({ ...launchArgs(), kernel: "/nonexistent/ioengine.elf" }), /launch argument "kernel": .*does not exist/);
      await assert.rejects(dc.launch({ ...launchArgs(), memoryMB: "lots" }), /launch argument "memoryMB": expected an integer/);
      await assert.rejects(dc.launch({ ...launchArgs(), kernel: join(ROOT, "package.json") }), /launch argument "kernel": .*cannot be booted/);
      const threads = await dc.threadsRequest();
      assert.equal(threads.body.threads.length, 1);
    });
  });
});
