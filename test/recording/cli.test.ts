// The recording commands as a user meets them: record, replay --verify, a recorder killed with
// SIGKILL mid-run (its prefix replays), events, dma and pcap (opened by tshark when installed);
// ring recordings (--ring): merged at the end, ended by SIGINT, or killed with their segments left.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, runLvmm } from "../helpers/guest";
import { withSmallDisk } from "../helpers/small-disk";
import { readPcapng } from "../../src/vmm/recording/pcapng";
import { parseFrame } from "../../src/net";

const lvmm = (...args: string[]) => runLvmm(args);

describe("lvmm record / replay / events / dma / pcap", () => {
  let dir: string;
  let rec: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "lvmm-reccli-"));
    rec = join(dir, "echo.lvmmrec");
    const r = lvmm("record", "--out", rec, "--seconds", "0.3", "--echo-load", "2000", "--jitter-us", "300", "--checkpoint-ms", "100", "--event-hashes", "--quiet");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^lvmm: recorded \d+ events, 3 checkpoints, \d+ bytes to /m);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("replay --verify prints what it verified", () => {
    const r = lvmm("replay", rec, "--verify");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^verified \d+ events, 3 checkpoints$/m);
  });

  it("events: one line per event with icount, time, kind and details", () => {
    const r = lvmm("events", rec);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0]!, /^# lvmm recording: format \d+, v86 /);
    const ev = lines.filter((l) => !l.startsWith("#"));
    for (const l of ev) assert.match(l, /^\s*\d+\s+\d+\.\d{9}s {2}(frame-in|serial-in|control|interrupt|serial-out|checkpoint|input-digest|rx-dma|tx-dma|end)\s{2,}/);
    assert.equal(ev.filter((l) => /input-digest +digest [0-9a-f]{32}$/.test(l)).length, ev.filter((l) => / frame-in /.test(l)).length);
    assert.ok(ev.some((l) => /frame-in +\d+ bytes 52:54:00:aa:bb:cc > 52:54:00:12:34:56 IPv4 10\.0\.2\.2:40007 > 10\.0\.2\.15:7 UDP 256 bytes/.test(l)));
    assert.ok(ev.some((l) => /interrupt +irq 11$/.test(l)));
    assert.ok(ev.some((l) => /serial-out +"ready"$/.test(l)));
    assert.ok(ev.some((l) => /rx-dma +#\d+ icr 0x000000[89]0 rdt \d+@\d+ 1 desc: \[\d+\] 0x[0-9a-f]{8} len 298 DD\|EOP dma@\d+/.test(l)));
    assert.match(ev[ev.length - 1]!, /end +limit$/);
    const icounts = ev.map((l) => Number(l.trim().split(/\s+/)[0]));
    assert.deepEqual(
      icounts,
      [...icounts].sort((a, b) => a - b),
    );
  });

  it("events: a busy recording's 150,000 lines come out whole", () => {
    // The lines once went out through one spread call, which overflowed the stack past ~120,000.
    const busy = join(dir, "busy.lvmmrec");
    assert.equal(lvmm("record", "--out", busy, "--seconds", "10", "--echo-load", "5000", "--quiet").code, 0);
    const r = lvmm("events", busy, "--kind", "frame-in,interrupt,rx-dma");
    assert.equal(r.code, 0, r.stderr);
    const ev = r.stdout.split("\n").filter((l) => l && !l.startsWith("#"));
    assert.ok(ev.length > 140_000, `${ev.length} event lines`);
    // Every frame the guest received is in a receive interrupt's descriptors.
    const descriptors = ev.reduce((n, l) => n + Number(/ rx-dma .* (\d+) desc/.exec(l)?.[1] ?? 0), 0);
    assert.equal(descriptors, ev.filter((l) => / frame-in /.test(l)).length);
  });

  it("dma: per interrupt, descriptors decoded down to UDP, and a hex dump; --interrupt K", () => {
    const all = lvmm("dma", rec);
    assert.equal(all.code, 0, all.stderr);
    const k = /^interrupt #(\d+): ICR 0x00000080 read at icount \d+ .*1 descriptor\(s\)$/m.exec(all.stdout);
    assert.ok(k, all.stdout.slice(0, 2000));
    const one = lvmm("dma", rec, "--interrupt", k[1]!);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, new RegExp(`^interrupt #${k[1]}: `));
    assert.match(one.stdout, /\n {2}desc \[\d+\] addr 0x[0-9a-f]{8} len 298 status DD\|EOP errors 0x00, DMA at icount \d+ .*handed back at icount \d+\n/);
    assert.match(
      one.stdout,
      /\n {4}Ethernet 52:54:00:aa:bb:cc > 52:54:00:12:34:56 type 0x0800\n {4}IPv4 10\.0\.2\.2 > 10\.0\.2\.15 proto 17 ttl 64 id 0 len 284 checksum 0x[0-9a-f]{4}\n {4}UDP 40007 > 7 len 264 checksum none\n/,
    );
    assert.match(one.stdout, /\n {4}0020  [0-9a-f ]{47}  .{16}\n/);
    const missing = lvmm("dma", rec, "--interrupt", "999999");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no receive interrupt #999999/);
  });

  it("pcap: a pcapng with both directions that tshark (or our reader) opens", () => {
    const out = join(dir, "echo.pcapng");
    const r = lvmm("pcap", rec, "--out", out);
    assert.equal(r.code, 0, r.stderr);
    const m = /wrote (\d+) packets \((\d+) in, (\d+) out\)/.exec(r.stdout);
    assert.ok(m && Number(m[2]) > 100 && Number(m[3]) > 100, r.stdout);
    const bytes = new Uint8Array(readFileSync(out));
    const p = readPcapng(bytes);
    assert.equal(p.packets.length, Number(m[1]));
    assert.deepEqual(p.linkTypes, [1]);
    for (const pk of p.packets) assert.ok(parseFrame(pk.data).ethernet, "every packet is Ethernet");
    const ts = p.packets.map((x) => x.timestampNs);
    assert.ok(
      ts.every((t, i) => i === 0 || t >= ts[i - 1]!),
      "in time order",
    );
    assert.ok(ts[0]! >= BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n, "virtual time from the RTC epoch");
    const tshark = spawnSync("tshark", ["-v"], { encoding: "utf8" });
    if (tshark.status === 0) {
      const t = spawnSync("tshark", ["-r", out, "-T", "fields", "-e", "udp.dstport"], { encoding: "utf8", timeout: 30_000 });
      assert.equal(t.status, 0, t.stderr);
      const ports = t.stdout.trim().split("\n");
      assert.equal(ports.length, p.packets.length);
      assert.ok(ports.includes("7") && ports.includes("40007"));
    } else {
      console.log("# tshark is not installed: checked with our pcapng reader only");
    }
  });

  it("rejects bad files with one line and exit code 2", () => {
    const junk = join(dir, "junk.lvmmrec");
    writeFileSync(junk, "hello, not a recording");
    for (const cmd of ["replay", "events", "dma"]) {
      const r = lvmm(cmd, junk);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /^lvmm: not an LVMM recording .*\[bad-magic\]\n$/);
    }
    const bytes = readFileSync(rec);
    const flipped = join(dir, "flipped.lvmmrec");
    const b = Buffer.from(bytes);
    b[b.length >> 1]! ^= 0x10;
    writeFileSync(flipped, b);
    const f = lvmm("replay", flipped, "--verify");
    assert.equal(f.code, 2);
    assert.match(f.stderr, /fails its CRC-32 .*\[checksum\]/);
    const r = lvmm("replay", join(dir, "absent.lvmmrec"));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no such file/);
  });

  it("a recorder killed with SIGKILL mid-run leaves a replayable prefix", async () => {
    const path = join(dir, "killed.lvmmrec");
    // Long enough that no machine finishes it first; checkpoints denser than the recorder's
    // event-loop turns, which once held every event after the first in memory until the end.
    const child = spawn(process.execPath, [CLI, "record", "--out", path, "--seconds", "600", "--echo-load", "2000", "--checkpoint-ms", "50", "--quiet"], { stdio: "ignore" });
    const exited = new Promise((r) => child.once("exit", r));
    try {
      const deadline = Date.now() + 30_000;
      // Wait until a few checkpoints are on disk, then kill it without warning.
      while (Date.now() < deadline && !(existsSync(path) && statSync(path).size > 1_500_000)) await new Promise((r) => setTimeout(r, 50));
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    assert.ok(statSync(path).size > 1_500_000, "the recorder wrote some chunks before it was killed");
    const strict = lvmm("replay", path, "--strict");
    assert.equal(strict.code, 2);
    assert.match(strict.stderr, /truncated|no end record/);
    const r = lvmm("replay", path, "--verify");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /^lvmm: warning: .*(truncated|no end record).*complete prefix/m);
    assert.match(r.stdout, /the complete prefix of a truncated recording/);
    const v = /^verified (\d+) events, (\d+) checkpoints$/m.exec(r.stdout);
    assert.ok(v && Number(v[2]) >= 2, r.stdout);
  });

  it("a full disk ends the recording with a typed error, and what reached the disk replays", async (t) => {
    // A 256 KiB tmpfs fills long before the run ends, compressed as the recording is (the echo
    // load's patterned payloads compress very well); the recorder stops at the failed write.
    await withSmallDisk(t, "256k", (small) => {
      const out = join(small, "full.lvmmrec");
      const r = lvmm("record", "--out", out, "--seconds", "10", "--echo-load", "5000", "--payload", "1024", "--checkpoint-ms", "50", "--quiet");
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /^lvmm: writing .*full\.lvmmrec failed: ENOSPC.*the chunks before the failed one are on disk.*\[io\]$/m);
      const v = lvmm("replay", out, "--verify");
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stderr, /the recording is truncated at byte \d+ .*using the complete prefix/);
      assert.match(v.stdout, /^verified \d+ events, [1-9]\d* checkpoints$/m);
    });
  });
});

describe("lvmm record --ring", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "lvmm-ringcli-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const SUMMARY = /^lvmm: recorded \d+ events, (\d+) checkpoints, \d+ bytes to .* \(the last (\d+\.\d+) s: icount (\d+) to (\d+), from (\d+) segments\)/m;

  it("keeps the last SECONDS in one file that starts at a snapshot and replays verified", () => {
    const out = join(dir, "ring.lvmmrec");
    const r = lvmm("record", "--out", out, "--ring", "0.5", "--seconds", "1.5", "--echo-load", "2000", "--checkpoint-ms", "100", "--quiet");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^lvmm: ring recording: keeping the last 0\.5 s in segments of 0\.2 s under .*ring\.lvmmrec\.ring; merged into /m);
    const m = SUMMARY.exec(r.stdout);
    assert.ok(m, r.stdout);
    const span = Number(m[2]);
    assert.ok(span >= 0.5 && span < 1.5, `kept ${span} s of 1.5`);
    assert.match(r.stdout, /^lvmm: ring: 8 segments written, .* deleted as the window moved on/m);
    assert.equal(existsSync(`${out}.ring`), false, "segments merged and removed");
    const v = lvmm("replay", out, "--verify");
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, new RegExp(`^verified \\d+ events, ${m[1]} checkpoints$`, "m"));
    const ev = lvmm("events", out);
    assert.match(ev.stdout, new RegExp(`^# starts at a snapshot at icount ${m[3]}, t=\\d\\.\\d{9} s, not at power-on$`, "m"));
  });

  /** Starts a long ring recording and waits until it has written `segments` segments. */
  async function recording(out: string, segments: number) {
    const child = spawn(process.execPath, [CLI, "record", "--out", out, "--ring", "0.5", "--seconds", "60", "--echo-load", "1000", "--checkpoint-ms", "100", "--quiet"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const segDir = `${out}.ring`;
    const newest = () =>
      existsSync(segDir)
        ? readdirSync(segDir)
            .filter((f) => /^segment-\d+\.lvmmrec$/.test(f))
            .sort()
            .pop()
        : undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && Number(/\d+/.exec(newest() ?? "")?.[0] ?? -1) < segments - 1) await new Promise((r) => setTimeout(r, 50));
    return { child, exited, segDir, out: () => stdout, err: () => stderr };
  }

  it("SIGINT ends the run at the next checkpoint and merges", async () => {
    const out = join(dir, "sigint.lvmmrec");
    const rec = await recording(out, 5);
    rec.child.kill("SIGINT");
    const code = await rec.exited;
    assert.equal(code, 0, rec.out() + rec.err());
    assert.match(rec.err(), /^lvmm: SIGINT: ending the recording at the next checkpoint/m);
    assert.match(rec.out(), /^lvmm: SIGINT: the run ended early at virtual \d+\.\d+ s$/m);
    const m = SUMMARY.exec(rec.out());
    assert.ok(m && Number(m[2]) >= 0.5, rec.out());
    assert.equal(existsSync(rec.segDir), false);
    const v = lvmm("replay", out, "--verify");
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, new RegExp(`^verified \\d+ events, ${m[1]} checkpoints$`, "m"));
  });

  it("killed with SIGKILL, it leaves its segments where it said, each replayable on its own", async () => {
    const out = join(dir, "killed.lvmmrec");
    const rec = await recording(out, 5);
    rec.child.kill("SIGKILL");
    await rec.exited;
    assert.ok(rec.out().includes(`under ${rec.segDir};`), rec.out());
    assert.equal(existsSync(out), false, "nothing merged");
    const left = readdirSync(rec.segDir).sort();
    assert.ok(left.length >= 2 && left.length <= 5, left.join(" "));
    const oldest = lvmm("replay", join(rec.segDir, left[0]!), "--verify", "--strict");
    assert.equal(oldest.code, 0, oldest.stdout + oldest.stderr);
    assert.match(oldest.stdout, /^verified \d+ events, 2 checkpoints$/m);
    const newest = lvmm("replay", join(rec.segDir, left[left.length - 1]!), "--verify");
    assert.equal(newest.code, 0, newest.stdout + newest.stderr);
    assert.match(newest.stdout, /^verified \d+ events, \d+ checkpoints$/m);
  });
});
