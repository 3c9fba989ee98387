// `lvmm history FILE`: every change to a range of guest memory over a recording, with who wrote
// it (vmm/memory-history.ts): a CPU store at its source line, or a device's DMA (the NIC's
// receive DMA with its descriptor and frame). The range is a kernel variable (--symbol, from the
// DWARF or the symbol table) or an address.
import { relative } from "node:path";
import { parse } from "../options";
import { EXIT, UsageError } from "../errors";
import { IMAGE_HELP, IMAGE_OPTIONS, loadRecording, readImage, withRecordingErrors, writeOut } from "../recording-file";
import { writeJson } from "../json-output";
import { readKernel } from "../kernel-path";
import { ProgressLine } from "../terminal";
import { recordedInputs } from "../../vmm/recording/recorded-inputs";
import { Replayer } from "../../vmm/recording/replayer";
import { summarizeFrame } from "../../vmm/recording/packet-view";
import { memoryHistoryWork, type MemoryChange, type MemoryRange } from "../../vmm/memory-history";
import { Chunks, runWatched } from "../../vmm/long-work";
import { ElfFile } from "../../vmm/elf";
import { GuestMemoryError } from "../../vmm/cpu-view";
import { DebugInfo, sizeOf } from "../../adapter/dwarf";

export const HISTORY_HELP = `usage: lvmm history FILE (--symbol NAME | --addr ADDR) [--len N] [--limit N] [--json]
                    [--kernel ELF] [--disk IMG]
  Every change to a range of guest memory over the recording, in order: its instruction count
  and virtual time, the bytes before and after (from the first that changed), and who wrote
  them: a CPU store, with the source line of the storing instruction (the kernel's DWARF), or a
  device's DMA (the NIC's receive DMA with its descriptor and the frame it copied). The
  recording is re-executed with the range watched, each change pinned to its instruction.
  --symbol NAME  a global or static variable of the kernel, its whole size (up to 4096 bytes);
                 NAME+OFFSET with --len for part of it
  --addr ADDR    a guest-physical address (decimal or 0x hex), --len bytes from it (default 4)
  --len N        bytes to watch, 1 to 4096
  --limit N      stop after N changes (default 10000)
  --json         one JSON object instead: { file, range, from, to, truncated, changes: [{ icount,
                 ns, by, offset, old, new (hex), pc, function, file, line, rx: { index, addr,
                 frame } }] }
${IMAGE_HELP}`;

/** What a change's line shows of the bytes: at most this many from the first that changed. */
const SHOWN_BYTES = 16;

export async function history(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { symbol: { type: "string" }, addr: { type: "string" }, len: { type: "string" }, limit: { type: "string" }, json: { type: "boolean" }, ...IMAGE_OPTIONS },
    true,
  );
  if (positionals.length !== 1) throw new UsageError("name one recording: lvmm history FILE.lvmmrec --symbol NAME");
  if (!values.symbol === !values.addr) throw new UsageError("name the memory to follow: --symbol NAME or --addr ADDR");
  const limit = values.limit === undefined ? undefined : positiveInt(values.limit, "--limit");
  return withRecordingErrors(async () => {
    const path = positionals[0]!;
    const rec = loadRecording(path);
    const kernel = values.kernel ? readKernel(values.kernel) : undefined;
    const disk = values.disk ? { bytes: readImage(values.disk, "disk image"), path: values.disk } : undefined;
    const image = kernel?.bytes ?? rec.kernel;
    const di = image ? DebugInfo.load(image) : undefined;
    const range = values.symbol ? symbolRange(values.symbol, values.len, image, di) : addressRange(values.addr!, values.len);
    const r = await Replayer.create(rec, { ...(kernel ? { kernel } : {}), ...(disk ? { disk } : {}) });
    try {
      const m = r.machine;
      const { inputs, end } = recordedInputs(rec);
      m.loadJournal(inputs, end, rec.start);
      m.timeline.checkpoint();
      const progress = new ProgressLine(`lvmm: history of ${range.name}`);
      try {
        m.cpu.readPhysical(range.address, range.length);
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
        await writeJson({ file: path, range: { name: range.name, address: range.address, length: range.length }, from: h.from, to: h.to, truncated: h.truncated, changes: rows });
        return EXIT.ok;
      }
      const out = [
        `# history of ${range.name} (0x${hex32(range.address)}, ${range.length} byte${range.length === 1 ? "" : "s"}) in ${path}: ${h.changes.length} change${h.changes.length === 1 ? "" : "s"} from icount ${h.from} to ${h.to}${h.truncated ? ` (stopped at the limit of ${limit ?? 10000})` : ""}`,
        `#      icount  time (s)      by   bytes (offset: old -> new)                 writer`,
      ];
      for (const x of rows) out.push(line(x));
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
  rx?: { index: number; addr: number; frame: string };
}

function row(c: MemoryChange, range: MemoryRange, di: DebugInfo | undefined): Row {
  let offset = 0;
  while (offset < range.length - 1 && c.oldBytes[offset] === c.newBytes[offset]) offset++;
  const r: Row = { icount: c.icount, ns: c.ns, by: c.by, offset, old: hexBytes(c.oldBytes), new: hexBytes(c.newBytes) };
  if (c.pc !== undefined) {
    r.pc = c.pc;
    const fn = di?.functionAt(c.pc)?.name;
    const at = di?.addressToLine(c.pc);
    if (fn) r.function = fn;
    if (at) {
      r.file = shortPath(at.file);
      r.line = at.line;
    }
  }
  if (c.rx) r.rx = { index: c.rx.index, addr: c.rx.addr, frame: summarizeFrame(c.rx.bytes) };
  return r;
}

function line(x: Row): string {
  const bytes = (hex: string) => {
    const all = hex.match(/../g) ?? [];
    const shown = all.slice(x.offset, x.offset + SHOWN_BYTES).join(" ");
    return all.length - x.offset > SHOWN_BYTES ? `${shown} ...` : shown;
  };
  const what = `+${x.offset}: ${bytes(x.old)} -> ${bytes(x.new)}`;
  let writer: string;
  if (x.by === "cpu") {
    const at = x.file ? `${x.file}:${x.line}` : x.pc !== undefined ? `eip 0x${hex32(x.pc)}` : "the CPU";
    writer = x.function ? `${x.function} ${at}` : at;
  } else writer = x.rx ? `NIC receive DMA, descriptor ${x.rx.index}: ${x.rx.frame}` : "a device's DMA";
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

function shortPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") ? file : rel;
}
