// The time-travel custom requests (src/protocols/time-travel-protocol.ts): validates each request's
// arguments and turns it into a ReverseControl call. Returns the response body; throws a
// typed error naming what was wrong for the session to send back.
import type { ReverseControl } from "./reverse-control";
import type { Target } from "./target";
import { TT_REQUEST, type PositionInfo } from "../protocols/time-travel-protocol";

export class TimeTravelRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimeTravelRequestError";
  }
}

const COMMANDS = new Set<string>(Object.values(TT_REQUEST));

export function isTimeTravelRequest(command: string): boolean {
  return COMMANDS.has(command);
}

/** Commands that move the machine (the timeline marks them as control commands). */
export const MOVING_COMMANDS = new Set<string>([
  "continue",
  "next",
  "stepIn",
  "stepOut",
  "stepBack",
  "reverseContinue",
  "pause",
  TT_REQUEST.reverseStepOver,
  TT_REQUEST.reverseStepOut,
  TT_REQUEST.goto,
  TT_REQUEST.goLive,
]);

function record(args: unknown): Record<string, unknown> {
  return args && typeof args === "object" ? (args as Record<string, unknown>) : {};
}

function stopped(t: Target): void {
  if (t.isRunning) throw new TimeTravelRequestError("the guest is running; pause it first");
}

export function position(t: Target, r: ReverseControl): PositionInfo {
  return { icount: t.machine.icountNumber, ns: t.machine.nowNs, present: r.presentIcount, first: r.firstIcount, inPast: r.inPast };
}

/** Handles one time-travel request; the body to send (stops are reported as events). */
export function timeTravelRequest(command: string, rawArgs: unknown, t: Target, r: ReverseControl): unknown {
  const args = record(rawArgs);
  switch (command) {
    case TT_REQUEST.reverseStepOver:
      stopped(t);
      r.back(args.granularity === "instruction" ? "instruction" : "over");
      return {};
    case TT_REQUEST.reverseStepOut:
      stopped(t);
      r.back("out");
      return {};
    case TT_REQUEST.goto: {
      stopped(t);
      const icount = typeof args.icount === "string" ? Number(args.icount) : args.icount;
      if (typeof icount !== "number" || !Number.isSafeInteger(icount)) throw new TimeTravelRequestError(`${command} needs { icount: integer }, got ${JSON.stringify(args.icount)}`);
      r.goto(icount);
      return {};
    }
    case TT_REQUEST.position:
      return position(t, r);
    case TT_REQUEST.timeline: {
      const n = (k: string) => (typeof args[k] === "number" && Number.isFinite(args[k]) ? (args[k] as number) : undefined);
      const buckets = n("buckets") ?? 512;
      const from = n("from");
      const to = n("to");
      if (from !== undefined && to !== undefined && to <= from) throw new TimeTravelRequestError(`${command}: "to" (${to}) must be after "from" (${from})`);
      const p = position(t, r);
      return r.history.query({ buckets, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) }, { position: p.icount, present: p.present, first: p.first });
    }
    case TT_REQUEST.dma:
      return r.history.dma(typeof args.limit === "number" ? args.limit : undefined);
    case TT_REQUEST.goLive:
      stopped(t);
      return { requeued: r.goLive() };
    case TT_REQUEST.nextFrame: {
      const f = r.nextFrame();
      return f ? { ns: f.ns, bytes: Buffer.from(f.bytes).toString("base64") } : {};
    }
    case TT_REQUEST.editNextFrame: {
      stopped(t);
      if (typeof args.bytes !== "string") throw new TimeTravelRequestError(`${command} needs { bytes: base64 string }`);
      r.editNextFrame(new Uint8Array(Buffer.from(args.bytes, "base64")));
      return {};
    }
  }
  throw new TimeTravelRequestError(`unknown time-travel request ${command}`);
}
