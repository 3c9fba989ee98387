// The GDB stub at the protocol level, without gdb: framing, acknowledgements, malformed
// packets, bad checksums, interrupts and clients that vanish. None of them may crash the
// stub, and the machine stays debuggable for the next connection.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { GdbStub } from "../../src/vmm/gdbstub/stub";
import { GdbServer } from "../../src/vmm/gdbstub/server";
import { frame, RspReader } from "../../src/vmm/gdbstub/rsp";
import { TARGET_XML } from "../../src/vmm/gdbstub/target-xml";
import { DmaHistory, runMonitor } from "../../src/vmm/gdbstub/monitor";
import type { Machine } from "../../src/vmm/machine";
import { createGuest } from "../helpers/guest";
import { RspClient } from "./rsp-client";

let machine: Machine;
let server: GdbServer;
const logs: string[] = [];

before(async () => {
  machine = await createGuest();
  server = await GdbServer.listen(new GdbStub(machine), { port: 0, log: (l) => logs.push(l) });
});

after(async () => {
  await server.close();
  machine.destroy();
});

/** Connects, waiting until the server has let the previous client go. */
async function client(): Promise<RspClient> {
  for (let i = 0; i < 200 && server.connected; i++) await new Promise((r) => setTimeout(r, 10));
  return RspClient.open(server.port);
}

test("the codec frames, escapes and checks packets", () => {
  const f = frame("a$b#c}d*");
  assert.equal(f.toString("latin1").slice(0, 1), "$");
  const r = new RspReader();
  const ev = r.feed(Buffer.concat([Buffer.from("junk+-\x03"), f, Buffer.from("$g#00")]));
  assert.deepEqual(
    ev.map((e) => e.kind),
    ["ack", "nack", "interrupt", "packet", "bad-checksum"],
  );
  // Split across chunks, a packet still comes out whole.
  const parts = [frame("qSupported").subarray(0, 3), frame("qSupported").subarray(3)];
  const r2 = new RspReader();
  assert.equal(r2.feed(parts[0]!).length, 0);
  const [p] = r2.feed(parts[1]!);
  assert.equal(p?.kind === "packet" && p.data.toString(), "qSupported");
});

test("qSupported, the target description and the first stop", async () => {
  const c = await client();
  try {
    c.send("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
    assert.ok(await c.next((e) => e.kind === "ack"), "acknowledged");
    const sup = await c.reply();
    for (const f of ["PacketSize=", "qXfer:features:read+", "swbreak+", "hwbreak+", "ReverseStep+", "ReverseContinue+", "QStartNoAckMode+"]) assert.ok(sup?.includes(f), `${f} in ${sup}`);
    let xml = "";
    for (let off = 0; ; off += 0x100) {
      const part = await c.request(`qXfer:features:read:target.xml:${off.toString(16)},100`);
      assert.ok(part && /^[ml]/.test(part), String(part));
      xml += part.slice(1);
      if (part[0] === "l") break;
    }
    assert.equal(xml, TARGET_XML);
    assert.match(xml, /org\.gnu\.gdb\.i386\.core/);
    assert.match(xml, /name="gs"/);
    assert.equal(await c.request("qXfer:features:read:nosuch.xml:0,100"), "E00");
    assert.match((await c.request("?")) ?? "", /^T05/);
    assert.equal(await c.request("qAttached"), "1");
    // 16 general and segment registers, x87, SSE: the core of the g packet.
    const g = (await c.request("g")) ?? "";
    assert.equal(g.length, (16 * 4 + 8 * 10 + 8 * 4 + 8 * 16 + 4) * 2);
    const eip = Buffer.from(g.slice(8 * 8, 9 * 8), "hex").readUInt32LE(0);
    assert.equal(eip, machine.cpu.registers().eip);
    const cr0 = Buffer.alloc(4);
    cr0.writeUInt32LE(machine.cpu.registers().cr0);
    assert.equal(await c.request("p29"), cr0.toString("hex"), "cr0, beyond the g packet");
  } finally {
    c.close();
  }
});

test("registers and memory: writes read back, bad arguments are errors", async () => {
  const c = await client();
  try {
    assert.equal(await c.request("P0=78563412"), "OK");
    assert.equal(await c.request("p0"), "78563412");
    assert.equal(machine.cpu.registers().eax, 0x12345678);
    assert.equal(await c.request("P0a=09000000"), "E01", "segment registers are read-only");
    assert.equal(await c.request("P0a=" + (await c.request("p0a"))), "OK", "writing the value it has is fine");
    const addr = 0x7000;
    assert.equal(await c.request(`M${addr.toString(16)},4:deadbeef`), "OK");
    assert.equal(await c.request(`m${addr.toString(16)},4`), "deadbeef");
    // X: binary; frame() escapes the '}' (0x7d) as 0x7d 0x5d, the stub undoes it.
    const x = Buffer.concat([Buffer.from(`X${(addr + 4).toString(16)},2:`), Buffer.from([0x7d, 0x41])]);
    c.sendRaw(frame(x));
    assert.equal(await c.reply(), "OK");
    assert.equal(await c.request(`m${(addr + 4).toString(16)},2`), "7d41");
    assert.equal(await c.request("X0,0:"), "OK", "gdb's probe for X");
    for (const bad of ["mzz,4", "m100", "M100,2:abc", "M100,4:abcd", "P1000=00000000", "Pzz", "pzz", "p999", "X100", "Z0,zz,1", "Z9,100,1", "G0", "vCont;x", "H", "T7"]) {
      const r = await c.request(bad);
      assert.ok(r !== undefined && (r === "" || /^E/.test(r) || r === "OK"), `${bad} -> ${r}`);
      assert.notEqual(r, "OK", `${bad} is not accepted`);
    }
    assert.equal(await c.request("m7fffffff0,4"), "E00", "beyond 32 bits");
    assert.equal(await c.request("m40000000,4"), "E14", "beyond guest RAM");
    assert.equal(await c.request("qNoSuchThing"), "", "unknown packets get the empty reply");
    assert.equal(await c.request("Z3,7000,4"), "OK", "a read watchpoint");
    assert.equal(await c.request("z3,7000,4"), "OK");
    assert.equal(await c.request("Z3,a0000,4"), "E14", "loads in the VGA window cannot be watched");
  } finally {
    c.close();
  }
});

test("a bad checksum is asked again, garbage is skipped, an oversized packet is refused", async () => {
  const c = await client();
  try {
    c.sendRaw("$g#00");
    assert.ok(await c.next((e) => e.kind === "nack"), "a wrong checksum is answered with -");
    c.sendRaw("$?#zz");
    assert.ok(await c.next((e) => e.kind === "nack"), "a checksum that is not hex too");
    c.sendRaw("garbage\x00\xff");
    assert.match((await c.request("?")) ?? "", /^T/);
    c.sendRaw(frame("m" + "0".repeat(0x5000)));
    assert.ok(await c.next((e) => e.kind === "nack"), "too long");
    // A nack from gdb makes the stub send its last reply again.
    assert.equal(await c.request("qAttached"), "1");
    c.sendRaw("-");
    assert.equal(await c.reply(), "1");
    assert.ok(logs.some((l) => /bad checksum/.test(l)));
  } finally {
    c.close();
  }
});

test("no-ack mode, Ctrl-C during a continue, a second gdb is refused", async () => {
  const c = await client();
  try {
    assert.equal(await c.request("QStartNoAckMode"), "OK");
    c.events.length = 0;
    assert.match((await c.request("?")) ?? "", /^T/);
    assert.ok(!c.events.some((e) => e.kind === "ack"), "no + after no-ack mode");
    const other = await RspClient.open(server.port);
    await other.next(() => false);
    assert.ok(other.closed, "a second client is closed");
    const before = machine.icountNumber;
    c.send("vCont;c");
    while (!server.stub.running) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    c.sendRaw("\x03");
    assert.match((await c.reply()) ?? "", /^T02/, "stopped with SIGINT");
    assert.ok(machine.icountNumber > before);
  } finally {
    c.close();
  }
});

test("a client that vanishes mid-continue leaves a machine the next gdb can debug", async () => {
  const c = await client();
  assert.equal(await c.request("Z0,106cbe,1"), "OK"); // _start: never reached again
  c.send("c");
  while (!server.stub.running) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50));
  c.close();
  const d = await client();
  try {
    assert.match((await d.request("?")) ?? "", /^T/);
    const at = machine.icountNumber;
    // The stop reply carries esp, ebp and eip (gdb's 4, 5 and 8) as the g packet has them.
    const step = /^T05thread:1;04:([0-9a-f]{8});05:([0-9a-f]{8});08:([0-9a-f]{8});$/.exec((await d.request("s")) ?? "");
    assert.ok(step, "a stop reply with its expedited registers");
    const g = (await d.request("g")) ?? "";
    assert.deepEqual(step.slice(1), [g.slice(4 * 8, 5 * 8), g.slice(5 * 8, 6 * 8), g.slice(8 * 8, 9 * 8)]);
    assert.equal(machine.icountNumber, at + 1, "stepped one instruction");
    assert.match((await d.request("bs")) ?? "", /^T05/);
    assert.equal(machine.icountNumber, at, "and one back");
    assert.equal(machine.breakpoints.size, 0, "the vanished client's breakpoints are gone");
    // A client that sends half a packet and goes.
    const e = await client();
    e.sendRaw("$qSupp");
    e.close();
  } finally {
    d.close();
  }
  const f = await client();
  try {
    assert.match((await f.request("?")) ?? "", /^T/);
  } finally {
    f.close();
  }
});

test("reverse at the start of history, monitor commands", async () => {
  const c = await client();
  try {
    const hex = (s: string) => Buffer.from(s).toString("hex");
    const mon = async (s: string) => Buffer.from((await c.request(`qRcmd,${hex(s)}`)) ?? "", "hex").toString();
    assert.match(await mon("goto 0"), /at instruction 0\b/);
    assert.equal(machine.icountNumber, 0);
    assert.equal(await c.request("bs"), "T05thread:1;replaylog:begin;");
    assert.equal(await c.request("bc"), "T05thread:1;replaylog:begin;");
    assert.match(await mon("icount"), /^icount 0 /);
    assert.match(await mon("goto 1000"), /at instruction 1000/);
    assert.equal(await c.request("bc"), "T05thread:1;replaylog:begin;", "no breakpoint before: back to the start");
    assert.equal(machine.icountNumber, 0);
    assert.match(await mon("goto 99999999999"), /after the present/);
    assert.match(await mon("goto x"), /usage/);
    assert.match(await mon("checkpoint"), /checkpoint at icount 0/);
    assert.match(await mon("timeline"), /checkpoints: \d+/);
    assert.match(await mon("dma 99999"), /no receive interrupt #99999/);
    assert.match(await mon("help"), /monitor goto N/);
    assert.match(await mon("frobnicate"), /unknown monitor command/);
    assert.equal(await c.request("qRcmd,zz"), "E01");
  } finally {
    c.close();
  }
});

test("Ctrl-C during reverse-continue goes back to where it started", async () => {
  // A guest that computes: millions of instructions between checkpoints, so the search runs
  // in several chunks and sees the interrupt between them.
  const m = await createGuest({ cmdline: "workload=compute" });
  try {
    const stub = new GdbStub(m);
    for (let i = 0; i < 8; i++) {
      m.run({ untilNs: m.nowNs + 10e6 });
      m.timeline.maybeCheckpoint();
    }
    const origin = m.icountNumber;
    const reply = stub.handle(Buffer.from("bc"));
    stub.interrupt(); // the search yields after its first chunk and sees it
    assert.match((await reply).packet, /^T02thread:1;04:[0-9a-f]{8};05:[0-9a-f]{8};08:[0-9a-f]{8};$/);
    assert.equal(m.icountNumber, origin, "back where it started");
    // Uninterrupted, the same search runs back to the start of history.
    assert.equal((await stub.handle(Buffer.from("bc"))).packet, "T05thread:1;replaylog:begin;");
    assert.equal(m.icountNumber, 0);
  } finally {
    m.destroy();
  }
});

test("a long monitor goto prints its progress before its reply (gdb gives up on a silent reply after 2 s)", async () => {
  const m = await createGuest();
  try {
    m.timeline.checkpoint();
    m.run({ untilIcount: 6_000_000 });
    const out: string[] = [];
    const ctx = { machine: m, history: new DmaHistory(m), moved: () => {}, output: (t: string) => out.push(t), progressEveryMs: 0 };
    assert.match(await runMonitor(ctx, "goto 0"), /^at instruction 0,/);
    out.length = 0;
    assert.match(await runMonitor(ctx, "goto 5000000"), /^at instruction 5000000,/);
    assert.ok(out.length >= 1 && out.every((l) => /^seeking: \d+% \(\d+ of 5000000 instructions\)\n$/.test(l)), out.join(""));
  } finally {
    m.destroy();
  }
});
