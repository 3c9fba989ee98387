// Encoding of recording events (one record each): u8 kind, u32 body length, u64 instruction
// count, f64 virtual ns, then the body, whose layout depends on the kind (format.ts).
// Since format version 2, an RX DMA descriptor whose bytes are (a slice of) a frame recorded
// earlier as a frame-in event refers to that event instead of repeating the bytes.
import { createHash } from "node:crypto";
import type { RxInterrupt, TxDescriptorUse } from "../nic-dma-log";
import { ByteSink, ByteSource } from "./bytes";
import { EventKind, FORMAT_VERSION } from "./format";

export interface EndInfo {
  /** Why the recording ended: "limit", "killed"... or the machine's stop kind. */
  reason: string;
  detail?: string;
  /**
   * The limits of the run piece the recording ended in (the replay runs its last piece with the
   * same ones, so the executor slices the guest's run there as it did): the virtual-time limit,
   * and the pacing target for a machine its owner paced (RunLimit.paceNs).
   */
  untilNs?: number;
  paceNs?: number;
}

interface At {
  icount: number;
  ns: number;
}

export type RecordedEvent =
  | (At & { kind: EventKind.FrameIn; bytes: Uint8Array })
  | (At & { kind: EventKind.SerialIn; text: string })
  | (At & { kind: EventKind.ControlCommand; command: Record<string, unknown> })
  | (At & { kind: EventKind.Interrupt; irq: number })
  | (At & { kind: EventKind.SerialOut; text: string })
  | (At & { kind: EventKind.CheckpointHash; hash: string; untilNs: number; snapshotChunk: number })
  | (At & { kind: EventKind.InputDigest; digest: string })
  | (At & { kind: EventKind.RxDmaInterrupt; rx: RxInterrupt; refs?: (FrameRef | null)[] })
  | (At & { kind: EventKind.TxDma; tx: TxDescriptorUse })
  | (At & { kind: EventKind.End; end: EndInfo });

/**
 * Where an RX DMA descriptor's bytes come from: the `frame`-th frame-in event of the recording
 * (0-based, in file order), from byte `offset` on, `length` bytes (the descriptor's byte count).
 */
export interface FrameRef {
  frame: number;
  offset: number;
}

/** What decoding needs from the events before: the frame-in bodies, in order (RX DMA refers to them). */
export interface DecodeContext {
  frames: Uint8Array[];
}

/** Descriptor byte encodings in an RX DMA record (format version 2). */
const DMA_LITERAL = 0;
const DMA_FRAME_REF = 1;

/** Bytes before an event's body: kind, body length, instruction count, time. */
export const EVENT_RECORD_HEADER_BYTES = 1 + 4 + 8 + 8;
const RECORD_HEADER_BYTES = EVENT_RECORD_HEADER_BYTES;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Starts a record: its header, with the body length patched in by endRecord. Returns where that length is. */
function beginRecord(sink: ByteSink, kind: EventKind, icount: number, ns: number): number {
  sink.u8(kind);
  const lengthAt = sink.length;
  sink.u32(0);
  sink.u64(icount);
  sink.f64(ns);
  return lengthAt;
}

function endRecord(sink: ByteSink, lengthAt: number): void {
  sink.patchU32(lengthAt, sink.length - lengthAt - (RECORD_HEADER_BYTES - 1));
}

// One encoder per hot kind, called straight from the recorder's drain (recorder.ts) without
// building an event object first; encodeEvent uses the same ones.

export function encodeFrameIn(sink: ByteSink, icount: number, ns: number, bytes: Uint8Array): void {
  const at = beginRecord(sink, EventKind.FrameIn, icount, ns);
  sink.bytes(bytes);
  endRecord(sink, at);
}

/** A non-negative integer below 2^53 as a u64 (not v % 2^32: on a double V8 calls out to fmod). */
function setU64(v: DataView, at: number, x: number): void {
  const hi = Math.floor(x / 0x100000000);
  v.setUint32(at, x - hi * 0x100000000, true);
  v.setUint32(at + 4, hi, true);
}

/** A record header written into reserved bytes: kind, body length, instruction count, time. */
function putHeader(v: DataView, at: number, kind: EventKind, bodyLength: number, icount: number, ns: number): void {
  v.setUint8(at, kind);
  v.setUint32(at + 1, bodyLength, true);
  setU64(v, at + 5, icount);
  v.setFloat64(at + 13, ns, true);
}

// The three records of every received packet (frame-in, interrupt, rx-dma) are written with one
// capacity check each (ByteSink.reserve): the recorder writes them inside the guest's run.

/** A frame-in record's header alone: its `length` bytes of body are put in after it by someone else (chunk-splices.ts). */
export function encodeFrameInHeader(sink: ByteSink, icount: number, ns: number, length: number): void {
  const at = sink.reserve(RECORD_HEADER_BYTES);
  putHeader(sink.dataView, at, EventKind.FrameIn, length, icount, ns);
}

export function encodeInterrupt(sink: ByteSink, icount: number, ns: number, irq: number): void {
  const at = sink.reserve(RECORD_HEADER_BYTES + 1);
  const v = sink.dataView;
  putHeader(v, at, EventKind.Interrupt, 1, icount, ns);
  v.setUint8(at + RECORD_HEADER_BYTES, irq & 0xff);
}

/** Bytes of an RX DMA record's body before its descriptors, and per descriptor before its bytes. */
const RX_FIXED = 4 + 4 + 4 + 8 + 2;
const RX_DESC_FIXED = 2 + 8 + 2 + 1 + 1 + 8 + 8 + 8 + 1;

/** An RX DMA interrupt record (at the driver's ICR read); refs[i], if set, stands for descriptor i's bytes. */
export function encodeRxDma(sink: ByteSink, icount: number, ns: number, r: RxInterrupt, refs?: readonly (FrameRef | null)[]): void {
  const ds = r.descriptors;
  let body = RX_FIXED;
  for (let i = 0; i < ds.length; i++) body += RX_DESC_FIXED + (refs?.[i] ? 12 : 4 + ds[i]!.bytes.length);
  const start = sink.reserve(RECORD_HEADER_BYTES + body);
  const v = sink.dataView;
  putHeader(v, start, EventKind.RxDmaInterrupt, body, icount, ns);
  let at = start + RECORD_HEADER_BYTES;
  v.setUint32(at, r.seq >>> 0, true);
  v.setUint32(at + 4, r.icr >>> 0, true);
  v.setInt32(at + 8, (r.rdt ?? -1) | 0, true);
  v.setFloat64(at + 12, r.rdtIcount ?? -1, true);
  v.setUint16(at + 20, ds.length, true);
  at += RX_FIXED;
  for (let i = 0; i < ds.length; i++) {
    const d = ds[i]!;
    v.setUint16(at, d.index, true);
    setU64(v, at + 2, d.addr);
    v.setUint16(at + 10, d.length, true);
    v.setUint8(at + 12, d.status);
    v.setUint8(at + 13, d.errors);
    setU64(v, at + 14, d.dmaIcount);
    v.setFloat64(at + 22, d.dmaNs, true);
    v.setFloat64(at + 30, d.consumedIcount, true);
    at += RX_DESC_FIXED;
    const ref = refs?.[i];
    if (ref) {
      v.setUint8(at - 1, DMA_FRAME_REF);
      v.setUint32(at, ref.frame >>> 0, true);
      v.setUint32(at + 4, ref.offset >>> 0, true);
      v.setUint32(at + 8, d.bytes.length, true);
      at += 12;
    } else {
      v.setUint8(at - 1, DMA_LITERAL);
      v.setUint32(at, d.bytes.length, true);
      sink.patchBytes(at + 4, d.bytes);
      at += 4 + d.bytes.length;
    }
  }
}

export function encodeTxDma(sink: ByteSink, icount: number, ns: number, t: TxDescriptorUse): void {
  const at = beginRecord(sink, EventKind.TxDma, icount, ns);
  sink.u16(t.index);
  sink.u64(t.addr);
  sink.u16(t.length);
  sink.u8(t.cmd);
  sink.u8(t.status);
  sink.u32(t.bytes.length);
  sink.bytes(t.bytes);
  endRecord(sink, at);
}

export function encodeEvent(sink: ByteSink, e: RecordedEvent): void {
  switch (e.kind) {
    case EventKind.FrameIn:
      return encodeFrameIn(sink, e.icount, e.ns, e.bytes);
    case EventKind.Interrupt:
      return encodeInterrupt(sink, e.icount, e.ns, e.irq);
    case EventKind.RxDmaInterrupt:
      return encodeRxDma(sink, e.icount, e.ns, e.rx, e.refs);
    case EventKind.TxDma:
      return encodeTxDma(sink, e.icount, e.ns, e.tx);
    case EventKind.SerialIn:
    case EventKind.SerialOut:
    case EventKind.ControlCommand:
    case EventKind.End:
    case EventKind.InputDigest:
    case EventKind.CheckpointHash:
      break; // the rare kinds, below
  }
  const at = beginRecord(sink, e.kind, e.icount, e.ns);
  switch (e.kind) {
    case EventKind.SerialIn:
    case EventKind.SerialOut:
      sink.bytes(utf8.encode(e.text));
      break;
    case EventKind.ControlCommand:
      sink.bytes(utf8.encode(JSON.stringify(e.command)));
      break;
    case EventKind.End:
      sink.bytes(utf8.encode(JSON.stringify(e.end)));
      break;
    case EventKind.InputDigest:
      sink.bytes(Buffer.from(e.digest, "hex"));
      break;
    case EventKind.CheckpointHash:
      sink.bytes(Buffer.from(e.hash, "hex"));
      sink.f64(e.untilNs);
      sink.i32(e.snapshotChunk);
      break;
  }
  endRecord(sink, at);
}

/**
 * Decodes one event at `src.pos`; throws RecordingError("bad-event") on anything malformed.
 * Frame-in bodies are added to `ctx.frames`; RX DMA references are resolved against it.
 */
export function decodeEvent(src: ByteSource, ctx: DecodeContext = { frames: [] }): RecordedEvent {
  if (src.remaining < RECORD_HEADER_BYTES) src.fail("a truncated event record");
  const kind = src.u8("event kind");
  const length = src.u32("event length");
  const icount = src.u64("event instruction count");
  const ns = src.f64("event time");
  if (!(ns >= 0) || !Number.isFinite(ns)) src.fail(`event time ${ns} is not a non-negative number`);
  if (length > src.remaining) src.fail(`an event body of ${length} bytes runs past its chunk`);
  const end = src.pos + length;
  const body = new ByteSource(src.data, src.pos, end, "bad-event");
  src.pos = end;
  const at = { icount, ns };
  const text = (): string => {
    try {
      return fromUtf8.decode(body.bytes(body.remaining, "text"));
    } catch (e) {
      if ((e as Error).name === "RecordingError") throw e;
      return body.fail("text that is not UTF-8");
    }
  };
  const json = (): Record<string, unknown> => {
    const t = text();
    try {
      const v: unknown = JSON.parse(t);
      if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // reported below
    }
    return body.fail("a body that is not a JSON object");
  };
  let e: RecordedEvent;
  switch (kind as EventKind) {
    case EventKind.FrameIn:
      e = { kind: EventKind.FrameIn, ...at, bytes: body.bytes(body.remaining, "frame") };
      ctx.frames.push(e.bytes);
      break;
    case EventKind.SerialIn:
      e = { kind: EventKind.SerialIn, ...at, text: text() };
      break;
    case EventKind.SerialOut:
      e = { kind: EventKind.SerialOut, ...at, text: text() };
      break;
    case EventKind.ControlCommand:
      e = { kind: EventKind.ControlCommand, ...at, command: json() };
      break;
    case EventKind.End: {
      const j = json();
      if (typeof j.reason !== "string") body.fail("an end record without a reason");
      for (const k of ["untilNs", "paceNs"] as const) if (j[k] !== undefined && !(typeof j[k] === "number" && Number.isFinite(j[k]) && j[k] >= 0)) body.fail(`an end record whose ${k} is not a time`);
      e = { kind: EventKind.End, ...at, end: j as unknown as EndInfo };
      break;
    }
    case EventKind.Interrupt: {
      const v = body.u8("irq");
      e = { kind: EventKind.Interrupt, ...at, irq: v === 0xff ? -1 : v };
      break;
    }
    case EventKind.InputDigest:
      e = { kind: EventKind.InputDigest, ...at, digest: Buffer.from(body.bytes(16, "input digest")).toString("hex") };
      break;
    case EventKind.CheckpointHash: {
      const hash = Buffer.from(body.bytes(32, "state hash")).toString("hex");
      e = { kind: EventKind.CheckpointHash, ...at, hash, untilNs: body.f64("checkpoint limit"), snapshotChunk: body.i32("snapshot chunk") };
      break;
    }
    case EventKind.RxDmaInterrupt: {
      const seq = body.u32("interrupt number");
      const icr = body.u32("ICR");
      const rdt = body.i32("RDT");
      const rdtIcount = body.f64("RDT count");
      const n = body.u16("descriptor count");
      const descriptors: RxInterrupt["descriptors"] = [];
      const refs: (FrameRef | null)[] = [];
      for (let i = 0; i < n; i++) {
        const index = body.u16("descriptor index");
        const addr = body.u64("buffer address");
        const length = body.u16("length");
        const status = body.u8("status");
        const errors = body.u8("errors");
        const dmaIcount = body.u64("DMA count");
        const dmaNs = body.f64("DMA time");
        const consumedIcount = body.f64("consumed count");
        const how = body.u8("DMA bytes encoding");
        let bytes: Uint8Array;
        if (how === DMA_LITERAL) {
          bytes = body.bytes(body.u32("byte count"), "DMA bytes");
          refs.push(null);
        } else if (how === DMA_FRAME_REF) {
          const frame = body.u32("frame reference");
          const offset = body.u32("frame offset");
          const count = body.u32("byte count");
          const f = ctx.frames[frame];
          if (!f) body.fail(`an RX DMA descriptor refers to frame-in #${frame}, but only ${ctx.frames.length} frames precede it`);
          if (offset + count > f!.length) body.fail(`an RX DMA descriptor refers to bytes ${offset}..${offset + count} of frame-in #${frame}, which has ${f!.length}`);
          bytes = f!.subarray(offset, offset + count);
          refs.push({ frame, offset });
        } else {
          return body.fail(`unknown RX DMA bytes encoding ${how}`);
        }
        descriptors.push({ index, addr, length, status, errors, dmaIcount, dmaNs, consumedIcount, bytes });
      }
      e = { kind: EventKind.RxDmaInterrupt, ...at, rx: { seq, icrIcount: icount, icrNs: ns, icr, descriptors, ...(rdt >= 0 ? { rdt, rdtIcount } : {}) }, refs };
      break;
    }
    case EventKind.TxDma: {
      const index = body.u16("descriptor index");
      const addr = body.u64("buffer address");
      const length = body.u16("length");
      const cmd = body.u8("cmd");
      const status = body.u8("status");
      const bytes = body.bytes(body.u32("byte count"), "DMA bytes");
      e = { kind: EventKind.TxDma, ...at, tx: { index, addr, length, cmd, status, bytes, icount, ns } };
      break;
    }
    default:
      return src.fail(`unknown event kind 0x${kind.toString(16)} (this reader knows format version ${FORMAT_VERSION})`);
  }
  if (body.remaining !== 0) body.fail(`${body.remaining} stray bytes after a ${kind} event`);
  return e;
}

/** sha256 of a byte string, hex (kernel and disk identities). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
