// The CLI as a person and a script meet it: on a terminal (a pseudo-terminal from util-linux's
// `script`), record and replay show a progress line on stderr and clear it; through a pipe they
// do not; NO_COLOR turns colour off; replay --verify, events and dma give the same facts as JSON
// with --json.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { colourEnabled } from "../../src/cli/terminal";
import { CLI } from "../helpers/guest";

function lvmm(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000, maxBuffer: 256 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs lvmm on a pseudo-terminal: stdout and stderr are both the terminal; returns what it showed. */
function onTerminal(args: string[], env: Record<string, string> = {}) {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const r = spawnSync("script", ["-qfec", command, "/dev/null"], { encoding: "utf8", timeout: 120_000, env: { ...process.env, TERM: "xterm", ...env } });
  return { code: r.status, shown: r.stdout };
}

const PROGRESS = /lvmm: (recording|replaying): \d+% \(virtual \d+\.\d\d of \d+\.\d\d s\)/;

describe("lvmm on a terminal and as JSON", () => {
  let dir: string;
  let rec: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "lvmm-cli-tty-"));
    rec = join(dir, "echo.lvmmrec");
    const r = lvmm("record", "--out", rec, "--seconds", "0.3", "--echo-load", "2000", "--checkpoint-ms", "100", "--quiet");
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, PROGRESS, "no progress line when stderr is not a terminal");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("record and replay show progress on a terminal, clear it at the end, and use no escape codes", () => {
    const recorded = onTerminal(["record", "--out", join(dir, "tty.lvmmrec"), "--seconds", "0.3", "--quiet"]);
    assert.equal(recorded.code, 0, recorded.shown);
    assert.match(recorded.shown, PROGRESS);
    const replayed = onTerminal(["replay", rec, "--verify"]);
    assert.equal(replayed.code, 0, replayed.shown);
    assert.match(replayed.shown, PROGRESS);
    // Redrawn in place, then cleared before the summary: blanks over the line, a carriage return.
    const drawn = replayed.shown.split("\r").filter((l) => PROGRESS.test(l));
    const cleared = /\r( +)\rlvmm: replayed to icount/.exec(replayed.shown);
    assert.ok(cleared && drawn.every((l) => l.trimEnd().length <= cleared[1]!.length), JSON.stringify(replayed.shown));
    assert.doesNotMatch(replayed.shown + recorded.shown, /\x1b/, "progress lines have no escape codes");
    const piped = lvmm("replay", rec, "--verify");
    assert.doesNotMatch(piped.stderr + piped.stdout, PROGRESS);
  });

  it("NO_COLOR turns the CLI's colour off", () => {
    const coloured = onTerminal(["demo", "--port", "0", "--pings", "1", "--seconds", "0.2"]);
    assert.match(coloured.shown, /\x1b\[36m\[lvmm\] /, "demo's notes are cyan on a terminal");
    const plain = onTerminal(["demo", "--port", "0", "--pings", "1", "--seconds", "0.2"], { NO_COLOR: "1" });
    assert.match(plain.shown, /\[lvmm\] guest UDP echo/);
    assert.doesNotMatch(plain.shown, /\x1b/);
    assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: "" }), true, "an empty NO_COLOR does not count");
    assert.equal(colourEnabled({ isTTY: false }, {}), false);
  });

  it("replay --verify --json: the outcome as one object, the same counts as the text", () => {
    const text = lvmm("replay", rec, "--verify");
    const counts = /verified (\d+) events, (\d+) checkpoints/.exec(text.stdout)!;
    const r = lvmm("replay", rec, "--verify", "--json");
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.deepEqual(
      { ok: o.ok, verified: o.verified, events: o.events, checkpoints: o.checkpoints, prefixOnly: o.prefixOnly },
      { ok: true, verified: true, events: Number(counts[1]), checkpoints: Number(counts[2]), prefixOnly: false },
    );
    assert.equal(o.endIcount, Number(/replayed to icount (\d+)/.exec(text.stdout)![1]));
    assert.equal(typeof o.wallSeconds, "number");
    const twice = JSON.parse(lvmm("replay", rec, "--json", "--times", "2").stdout);
    assert.ok(Array.isArray(twice) && twice.length === 2 && twice.every((x: { ok: boolean; verified: boolean }) => x.ok && !x.verified));
  });

  it("events --json and dma --json: the text's facts, bytes in base64", () => {
    const textLines = lvmm("events", rec)
      .stdout.trim()
      .split("\n")
      .filter((l) => !l.startsWith("#"));
    const ev = JSON.parse(lvmm("events", rec, "--json").stdout);
    assert.equal(typeof ev.header.kernel.sha256, "string");
    assert.equal(ev.events.length, textLines.length);
    for (const [i, e] of (ev.events as { icount: number; kind: string; details: string }[]).entries()) {
      assert.match(textLines[i]!, new RegExp(`^\\s*${e.icount}\\s+\\S+s  ${e.kind}\\s`));
      assert.ok(textLines[i]!.endsWith(e.details), `${textLines[i]} / ${e.details}`);
    }
    const frame = ev.events.find((e: { kind: string }) => e.kind === "frame-in");
    assert.match(frame.details, /^\d+ bytes 52:54:00:aa:bb:cc > 52:54:00:12:34:56 IPv4/);
    assert.equal(Buffer.from(frame.bytes, "base64").length, Number(/^(\d+) bytes/.exec(frame.details)![1]));
    const irqs = JSON.parse(lvmm("events", rec, "--json", "--kind", "interrupt").stdout).events;
    assert.ok(irqs.length > 0 && irqs.every((e: { kind: string; irq: number }) => e.kind === "interrupt" && typeof e.irq === "number"));

    const dmaText = lvmm("dma", rec).stdout;
    const dma = JSON.parse(lvmm("dma", rec, "--json").stdout);
    assert.equal(dma.interrupts.length, (dmaText.match(/^interrupt #/gm) ?? []).length);
    const first = dma.interrupts.find((x: { descriptors: unknown[] }) => x.descriptors.length > 0);
    assert.match(dmaText, new RegExp(`^interrupt #${first.seq}: ICR 0x${first.icr.toString(16).padStart(8, "0")} read at icount ${first.icrIcount} `, "m"));
    const d = first.descriptors[0];
    assert.equal(d.statusBits, "DD|EOP");
    assert.equal(Buffer.from(d.bytes, "base64").length, d.length);
    assert.ok(
      d.packet.some((l: string) => /^UDP 40007 > 7 len \d+/.test(l)),
      JSON.stringify(d.packet),
    );
    assert.ok("overlap" in d);
    const tx = JSON.parse(lvmm("dma", rec, "--tx", "--json").stdout);
    assert.ok(tx.transmits.length > 0 && typeof tx.transmits[0].icount === "number" && typeof tx.transmits[0].bytes === "string");
  });
});
