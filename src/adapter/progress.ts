// Long work (seeks, reverse searches, opening a recording) as DAP progress: progressStart (cancellable),
// progressUpdate at most every UPDATE_EVERY_MS, progressEnd; sent only to a client that said
// supportsProgressReporting. The `cancel` request names the work by its progressId, or by the
// request doing it; the work sees it at its next chunk boundary (vmm/long-work.ts).
import { ProgressEndEvent, ProgressStartEvent, ProgressUpdateEvent } from "@vscode/debugadapter";
import type { DebugProtocol } from "@vscode/debugprotocol";
import type { Progress, WorkWatch } from "../vmm/long-work";

/** What long work reports to and is cancelled through. */
export interface Work extends Required<WorkWatch> {
  /** Ends the progress item ("cancelled", "failed", or nothing when done). */
  end(message?: string): void;
}

export type WorkUnit = "instructions" | "bytes";

/** Long work nobody watches. */
export const UNWATCHED: Work = { progress: () => undefined, cancelled: () => false, end: () => undefined };

const UPDATE_EVERY_MS = 100;

export class ProgressReporter {
  /** The client's supportsProgressReporting (from initialize). */
  enabled = false;
  private nextId = 1;
  private readonly active = new Map<string, { requestId: number | undefined; cancelled: boolean }>();

  constructor(private readonly send: (event: DebugProtocol.Event) => void) {}

  begin(title: string, unit: WorkUnit, requestId?: number): Work {
    const id = `lvmm-progress-${this.nextId++}`;
    const state = { requestId, cancelled: false };
    this.active.set(id, state);
    const reporting = this.enabled;
    if (reporting) {
      const start = new ProgressStartEvent(id, title) as DebugProtocol.ProgressStartEvent;
      Object.assign(start.body, { cancellable: true, percentage: 0, ...(requestId !== undefined ? { requestId } : {}) });
      this.send(start);
    }
    let lastMs = -Infinity;
    let lastPercent = -1;
    return {
      cancelled: () => state.cancelled,
      progress: (p) => {
        const percent = p.total > 0 ? Math.min(100, Math.floor((100 * p.done) / p.total)) : 0;
        const now = performance.now();
        if (!reporting || percent === lastPercent || now - lastMs < UPDATE_EVERY_MS) return;
        lastMs = now;
        lastPercent = percent;
        const update = new ProgressUpdateEvent(id, describe(p, unit)) as DebugProtocol.ProgressUpdateEvent;
        update.body.percentage = percent;
        this.send(update);
      },
      end: (message) => {
        if (!this.active.delete(id)) return;
        if (reporting) this.send(new ProgressEndEvent(id, message));
      },
    };
  }

  /** The cancel request: marks the work it names. False when no running work has that id. */
  cancel(args: DebugProtocol.CancelArguments): boolean {
    let found = false;
    for (const [id, w] of this.active) {
      if (id === args.progressId || (args.requestId !== undefined && w.requestId === args.requestId)) {
        w.cancelled = true;
        found = true;
      }
    }
    return found;
  }
}

function describe(p: Progress, unit: WorkUnit): string {
  if (unit === "bytes") return `${(p.done / 1e6).toFixed(1)} of ${(p.total / 1e6).toFixed(1)} MB`;
  return `${p.done.toLocaleString("en-US")} of ${p.total.toLocaleString("en-US")} instructions`;
}
