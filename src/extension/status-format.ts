// The `lvmm/status` event body and its one-line rendering. No vscode import: unit-tested in node.

/** Body of the custom DAP event `lvmm/status`, sent by the adapter. */
export interface LvmmStatusBody {
  /** Run state as the user sees it, e.g. "running", "paused", "stopped", "replaying". */
  state: string;
  /** Guest instructions retired so far (a number, or a decimal string when past 2^53). */
  icount: number | string;
  /** Virtual time in seconds, derived from icount. */
  virtualSeconds: number;
}

export function isLvmmStatusBody(body: unknown): body is LvmmStatusBody {
  if (typeof body !== "object" || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.state === "string" &&
    (typeof b.icount === "number" || (typeof b.icount === "string" && /^\d+$/.test(b.icount))) &&
    typeof b.virtualSeconds === "number" &&
    Number.isFinite(b.virtualSeconds)
  );
}

/** "LVMM: paused icount 1234567 t=0.012346 s" */
export function formatStatus(body: LvmmStatusBody): string {
  return `LVMM: ${body.state} icount ${body.icount} t=${body.virtualSeconds.toFixed(6)} s`;
}
