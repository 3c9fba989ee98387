// `lvmm history FILE`: every change to a range of guest memory over a recording, with who wrote
// it (vmm/memory-history.ts): a CPU store at its source line, or a device's DMA (the NIC's
// receive DMA with its descriptor and frame). The range is a kernel variable (--symbol, from the
// DWARF or the symbol table) or an address.
import { parse } from "../options";
import { EXIT, UsageError } from "../errors";
import { IMAGE_HELP, IMAGE_OPTIONS, loadRecording, openReplay, replayImages, withRecordingErrors, writeOut } from "../recording-file";
import { shortPath } from "../source-path";
import { writeJson } from "../json-output";
import { ProgressLine } from "../terminal";
import { summarizeFrame } from "../../vmm/recording/packet-view";
import { firstChangedByte, memoryHistoryWork, type MemoryChange, type MemoryRange } from "../../vmm/memory-history";
import { Chunks, runWatched } from "../../vmm/long-work";
import { ElfFile } from "../../vmm/elf";
import { GuestMemoryError } from "../../vmm/cpu-view";
import { E1000_VIEW } from "../../vmm/device-state";
import { DebugInfo, sizeOf } from "../../adapter/dwarf";

export const HISTORY_HELP = `usage: lvmm history FILE (--symbol NAME | --addr ADDR | --register NAME) [--len N] [--limit N]
                    [--json] [--kernel ELF] [--disk IMG]
  Every change to a range of guest memory over the recording, in order: its instruction count
  and virtual time, the bytes before and after (from the first that changed), and who wrote
  them: a CPU store, with the source line of the storing instruction (the kernel's DWARF), or a
  device's DMA (the NIC's receive DMA with its descriptor and the frame it copied). The
  recording is re-executed with the range watched, each change pinned to its instruction.
  --symbol NAME  a global or static variable of the kernel, its whole size (up to 4096 bytes);
                 NAME+OFFSET with --len for part of it
  --addr ADDR    a guest-physical address (decimal or 0x hex), --len bytes from it (default 4)
  --register NAME  one of the NIC's registers by its datasheet name: changes by the guest's
                 accesses (a write, or a read that clears ICR) at their line, and by the NIC
                 itself (RDH as it fills descriptors, say). The names:
${wrapped(Object.keys(E1000_VIEW).join(", "), "                 ")}
  --len N        bytes to watch, 1 to 4096
  --limit N      stop after N changes (default 10000)
  --json         one JSON object instead: { file, range, from, to, truncated, changes: [{ icount,
                 ns, by, offset, old, new (hex), pc, function, file, line, frames (where code
                 was inlined: innermost first), rx: { index, addr, frame } }] }
  A CPU store in inlined code shows the line inside, then each call site out to the real
  function: "mmio_write32 guest/arch/io.h:30 < reg_write guest/drivers/e1000.c:45 < service
  guest/drivers/e1000.c:235".
${IMAGE_HELP}`;

/** `text` cut into lines of at most 96 columns at its spaces, each after `indent`. */
function wrapped(text: string, indent: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && indent.length + line.length + 1 + word.length > 96) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, indent + line].join("\n");
}

/** What a change's line shows of the bytes: at most this many from the first that changed. */
const SHOWN_BYTES = 16;

export async function history(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { symbol: { type: "string" }, addr: { type: "string" }, register: { type: "string" }, len: { type: "string" }, limit: { type: "string" }, json: { type: "boolean" }, ...IMAGE_OPTIONS },
    true,
  );
  if (positionals.length !== 1) throw new UsageError("name one recording: lvmm history FILE.lvmmrec --symbol NAME");
  if ([values.symbol, values.addr, values.register].filter((v) => v !== undefined).length !== 1) throw new UsageError("name what to follow: --symbol NAME, --addr ADDR or --register NAME");
  const limit = values.limit === undefined ? undefined : positiveInt(values.limit, "--limit");
  return withRecordingErrors(async () => {
    const path = positionals[0]!;
    const rec = loadRecording(path);
    const images = replayImages(values);
    const image = images.kernel?.bytes ?? rec.kernel;
    const di = image ? DebugInfo.load(image) : undefined;
    const range = values.symbol ? symbolRange(values.symbol, values.len, image, di) : values.register ? registerRange(values.register) : addressRange(values.addr!, values.len);
    const { replayer: r, end } = await openReplay(rec, images);
    try {
      const m = r.machine;
      m.timeline.checkpoint();
      const progress = new ProgressLine(`lvmm: history of ${range.name}`);
      try {
        if (!range.register) m.cpu.readPhysical(range.address, range.length);
      } catch (e) {
        if (e instanceof GuestMemoryError) throw new UsageError(`${range.name}: ${e.message}`);
        throw e;
      }
      const h = await runWatched(memoryHistoryWork(m, range, m.icountNumber, end.icount, { chunks: new Chunks(), ...(limit ? { limit } : {}) }), {
        progress: () => progress.update(m.nowNs, end.ns),
      });
      progress.clear();
      const rows = h.changes.map((c) => row(c, range, di));
      if (values.json) {
        await writeJson({
          file: path,
          range: { name: range.name, address: range.address, length: range.length, ...(range.register ? { register: true } : {}) },
          from: h.from,
          to: h.to,
          truncated: h.truncated,
          changes: rows,
        });
        return EXIT.ok;
      }
      const what = range.register ? `the NIC's register at 0x${range.address.toString(16).padStart(4, "0")}` : `0x${hex32(range.address)}, ${range.length} byte${range.length === 1 ? "" : "s"}`;
      const out = [
        `# history of ${range.name} (${what}) in ${path}: ${h.changes.length} change${h.changes.length === 1 ? "" : "s"} from icount ${h.from} to ${h.to}${h.truncated ? ` (stopped at the limit of ${limit ?? 10000})` : ""}`,
        `#      icount  time (s)      by   bytes (offset: old -> new)                 writer`,
      ];
      for (const x of rows) out.push(line(x, range.register === true));
      await writeOut(out.join("\n") + "\n");
      return EXIT.ok;
    } finally {
      r.destroy();
    }
  });
}

interface NamedRange extends MemoryRange {
  name: string;
}

interface Row {
  icount: number;
  ns: number;
  by: "cpu" | "dma";
  /** The first byte that changed, from the range's start. */
  offset: number;
  old: string;
  new: string;
  pc?: number;
  function?: string;
  file?: string;
  line?: number;
  /** Where the storing instruction is, innermost first: the functions inlined into the real one, then it (its call sites' lines). */
  frames?: { function: string; file?: string; line?: number }[];
  rx?: { index: number; addr: number; frame: string };
}

function row(c: MemoryChange, range: MemoryRange, di: DebugInfo | undefined): Row {
  const offset = firstChangedByte(c);
  const r: Row = { icount: c.icount, ns: c.ns, by: c.by, offset, old: hexBytes(c.oldBytes), new: hexBytes(c.newBytes) };
  if (c.pc !== undefined) {
    r.pc = c.pc;
    const frames = (di?.inlineFramesAt(c.pc) ?? []).map((f) => ({ function: f.name, ...(f.file ? { file: shortPath(f.file) } : {}), ...(f.line ? { line: f.line } : {}) }));
    if (frames.length) {
      r.function = frames[0]!.function;
      if (frames[0]!.file) r.file = frames[0]!.file;
      if (frames[0]!.line) r.line = frames[0]!.line;
      if (frames.length > 1) r.frames = frames;
    }
  }
  if (c.rx) r.rx = { index: c.rx.index, addr: c.rx.addr, frame: summarizeFrame(c.rx.bytes) };
  return r;
}

function line(x: Row, register: boolean): string {
  const bytes = (hex: string) => {
    const all = hex.match(/../g) ?? [];
    const shown = all.slice(x.offset, x.offset + SHOWN_BYTES).join(" ");
    return all.length - x.offset > SHOWN_BYTES ? `${shown} ...` : shown;
  };
  const what = `+${x.offset}: ${bytes(x.old)} -> ${bytes(x.new)}`;
  let writer: string;
  if (x.by === "cpu") {
    const at = (f: { function?: string; file?: string; line?: number }) =>
      `${f.function ? `${f.function} ` : ""}${f.file ? `${f.file}:${f.line}` : x.pc !== undefined ? `eip 0x${hex32(x.pc)}` : "the CPU"}`;
    // Inlined code: the line inside, then each call site out to the real function.
    writer = (x.frames ?? [x]).map(at).join(" < ");
  } else writer = register ? "the NIC itself" : x.rx ? `NIC receive DMA, descriptor ${x.rx.index}: ${x.rx.frame}` : "a device's DMA";
  return `${String(x.icount).padStart(13)}  ${(x.ns / 1e9).toFixed(9)}  ${x.by.padEnd(3)}  ${what.padEnd(42)} ${writer}`;
}

/** --symbol NAME[+OFFSET]: the DWARF's variable (its type's size), else the ELF symbol's size. */
function symbolRange(spec: string, len: string | undefined, image: Uint8Array | undefined, di: DebugInfo | undefined): NamedRange {
  const m = /^([A-Za-z_][\w.]*)(?:\+(0x[0-9a-f]+|\d+))?$/i.exec(spec);
  if (!m) throw new UsageError(`--symbol ${spec}: expected NAME or NAME+OFFSET`);
  if (!image) throw new UsageError("the recording does not embed its kernel: pass it with --kernel ELF to name a symbol");
  const name = m[1]!;
  const offset = m[2] ? Number(m[2]) : 0;
  let address: number | undefined;
  let size: number | undefined;
  const g = di?.globalByName(name);
  if (g?.address !== undefined) {
    address = g.address;
    size = g.type ? sizeOf(g.type) : undefined;
  } else {
    const s = ElfFile.parse(image).symbolByName(name);
    if (s && s.type === "object") {
      address = s.value;
      size = s.size || undefined;
    }
  }
  if (address === undefined) throw new UsageError(`--symbol ${name}: the kernel has no variable of that name`);
  const length = len !== undefined ? positiveInt(len, "--len") : size !== undefined ? Math.min(size - offset, 4096) : 4;
  if (length < 1) throw new UsageError(`--symbol ${spec}: the offset is past the variable's ${size} bytes`);
  return { name: spec, address: address + offset, length: checkLength(length) };
}

/** --register NAME: the NIC's register of that datasheet name (device-state.ts E1000_VIEW). */
function registerRange(name: string): NamedRange {
  const key = name.toUpperCase();
  const offset = E1000_VIEW[key];
  if (offset === undefined) throw new UsageError(`--register ${name}: not one of the NIC's registers (${Object.keys(E1000_VIEW).join(", ")})`);
  return { name: key, address: offset, length: 4, register: true };
}

function addressRange(addr: string, len: string | undefined): NamedRange {
  const address = /^0x[0-9a-f]+$/i.test(addr) ? parseInt(addr, 16) : /^\d+$/.test(addr) ? Number(addr) : NaN;
  if (!Number.isSafeInteger(address)) throw new UsageError(`--addr ${addr}: expected a decimal or 0x hex address`);
  return { name: `0x${hex32(address)}`, address, length: checkLength(len !== undefined ? positiveInt(len, "--len") : 4) };
}

function checkLength(n: number): number {
  if (n > 4096) throw new UsageError(`--len ${n}: a history follows at most 4096 bytes`);
  return n;
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${what} ${text}: expected a positive integer`);
  return n;
}

function hexBytes(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
