// The Timeline view's messages: what the extension posts to the webview and what the webview
// posts back, as discriminated unions, with the validator the extension applies to what it
// receives. Imported by the extension (node) and the webview bundle (browser): no node or
// vscode imports (the protocol file is types and constants only).
import type { TimelineData } from "./time-travel-protocol";

export interface Bookmark {
  icount: number;
  label: string;
}

export type HostToWebview =
  /** Bucketed markers for the range the webview asked for (undefined: no lvmm session). */
  | { type: "data"; data: TimelineData | undefined; reason?: string }
  | { type: "bookmarks"; bookmarks: Bookmark[] }
  /** Center the view on this count (Reveal in timeline) and highlight it. */
  | { type: "reveal"; icount: number };

export type WebviewToHost =
  | { type: "ready" }
  /** Asks for markers in [from, to) in `buckets` pixel columns (no range: the whole run). */
  | { type: "query"; from?: number; to?: number; buckets: number }
  | { type: "seek"; icount: number }
  | { type: "addBookmark"; icount: number }
  | { type: "removeBookmark"; icount: number }
  /** What the webview drew (for tests): columns and the marker events they summarize. */
  | { type: "rendered"; buckets: number; events: number; from: number; to: number };

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** Validates a message from the webview; an Error says what was wrong. */
export function parseWebviewMessage(raw: unknown): WebviewToHost | Error {
  if (!raw || typeof raw !== "object") return new Error("message is not an object");
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case "ready":
      return { type: "ready" };
    case "query": {
      if (!isInt(m.buckets) || m.buckets < 1 || m.buckets > 4096) return new Error("query: buckets must be 1..4096");
      if ((m.from !== undefined && !isInt(m.from)) || (m.to !== undefined && !isInt(m.to))) return new Error("query: from/to must be instruction counts");
      return { type: "query", buckets: m.buckets, ...(m.from !== undefined ? { from: m.from as number } : {}), ...(m.to !== undefined ? { to: m.to as number } : {}) };
    }
    case "seek":
    case "addBookmark":
    case "removeBookmark":
      if (!isInt(m.icount)) return new Error(`${m.type}: icount must be a non-negative integer`);
      return { type: m.type, icount: m.icount };
    case "rendered":
      if (!isInt(m.buckets) || !isInt(m.events) || !isInt(m.from) || !isInt(m.to)) return new Error("rendered: bad counts");
      return { type: "rendered", buckets: m.buckets, events: m.events, from: m.from, to: m.to };
    default:
      return new Error(`unknown message type ${JSON.stringify(m.type)}`);
  }
}

export function isHostToWebview(raw: unknown): raw is HostToWebview {
  const t = raw && typeof raw === "object" ? (raw as { type?: unknown }).type : undefined;
  return t === "data" || t === "bookmarks" || t === "reveal";
}
