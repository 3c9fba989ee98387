// The Timeline view's webview script (bundled as an iife for the browser): draws the adapter's
// bucketed markers on a canvas, one lane per kind and one pixel column per bucket (never one
// node per event, so a 10-minute run draws as fast as a short one), the current position and
// the bookmarks; zooms (buttons, wheel) and seeks on click.
import "./timeline.css";
import { MARKER_KINDS, type MarkerKind, type TimelineData } from "../../protocols/time-travel-protocol";
import { $, vscodeApi } from "../vscode-api";
import { isHostToWebview, type Bookmark, type WebviewToHost } from "../../protocols/time-travel-messages";

const vscode = vscodeApi<WebviewToHost>();
const canvas = $<HTMLCanvasElement>("canvas");
const ctx = canvas.getContext("2d")!;

const LANE_LABELS: Record<MarkerKind, string> = { interrupt: "IRQ", rx: "RX DMA", tx: "TX DMA", breakpoint: "breakpoint", control: "command", exception: "exception" };
const LANE_H = 14;
const AXIS_H = 30;
const LABEL_W = 0;

let data: TimelineData | undefined;
let bookmarks: Bookmark[] = [];
/** The range on display; undefined: the whole run. */
let view = (vscode.getState() as { from?: number; to?: number } | undefined) ?? {};
let highlight: number | undefined;

function css(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

function buckets(): number {
  return Math.max(16, Math.min(4096, Math.floor(canvas.clientWidth || 300)));
}

function query(): void {
  vscode.setState(view);
  vscode.postMessage({ type: "query", buckets: buckets(), ...(view.from !== undefined ? { from: view.from } : {}), ...(view.to !== undefined ? { to: view.to } : {}) });
}

function xOf(icount: number, d: TimelineData, w: number): number {
  return LABEL_W + ((icount - d.from) / (d.to - d.from)) * (w - LABEL_W);
}

function icountAt(x: number, d: TimelineData, w: number): number {
  return Math.round(d.from + ((x - LABEL_W) / (w - LABEL_W)) * (d.to - d.from));
}

function formatNs(ns: number): string {
  return ns >= 1e9 ? `${(ns / 1e9).toFixed(3)} s` : `${(ns / 1e6).toFixed(3)} ms`;
}

function draw(): void {
  const w = canvas.clientWidth || 300;
  const h = LANE_H * MARKER_KINDS.length + AXIS_H;
  const dpr = window.devicePixelRatio || 1;
  canvas.style.height = `${h}px`;
  canvas.width = Math.floor(w * dpr);
  canvas.height = Math.floor(h * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  $("empty").hidden = data !== undefined;
  if (!data) return;
  const d = data;
  let events = 0;
  MARKER_KINDS.forEach((kind, lane) => {
    const m = d.markers[kind];
    ctx.fillStyle = css(`--lane-${kind}`);
    const y = lane * LANE_H;
    const colW = (w - LABEL_W) / d.buckets;
    for (let b = 0; b < d.buckets; b++) {
      const n = m.counts[b]!;
      if (!n) continue;
      events += n;
      // Height grows with the log of the count, so one event and a thousand both show.
      const bar = Math.min(LANE_H - 2, 3 + Math.log2(n) * 2);
      ctx.fillRect(LABEL_W + b * colW, y + (LANE_H - bar) / 2, Math.max(1, colW), bar);
    }
  });
  // Axis: instruction count on top, virtual time below.
  const axisY = LANE_H * MARKER_KINDS.length;
  ctx.strokeStyle = css("--axis");
  ctx.fillStyle = css("--axis");
  ctx.font = "10px sans-serif";
  ctx.beginPath();
  ctx.moveTo(0, axisY + 0.5);
  ctx.lineTo(w, axisY + 0.5);
  ctx.stroke();
  const ticks = Math.max(2, Math.floor(w / 110));
  for (let i = 0; i <= ticks; i++) {
    const x = (i / ticks) * (w - 1);
    const b = Math.min(d.buckets, Math.round((i / ticks) * d.buckets));
    const ic = icountAt(x, d, w);
    ctx.fillRect(x, axisY, 1, 4);
    ctx.textAlign = i === 0 ? "left" : i === ticks ? "right" : "center";
    ctx.fillText(ic.toLocaleString("en-US"), x, axisY + 13);
    ctx.fillText(formatNs(d.ns[b] ?? 0), x, axisY + 25);
  }
  for (const bm of bookmarks) {
    if (bm.icount < d.from || bm.icount > d.to) continue;
    ctx.fillStyle = css("--bookmark");
    const x = xOf(bm.icount, d, w);
    ctx.beginPath();
    ctx.moveTo(x - 4, 0);
    ctx.lineTo(x + 4, 0);
    ctx.lineTo(x, 6);
    ctx.fill();
  }
  const pos = highlight ?? d.position;
  ctx.fillStyle = css("--position");
  ctx.fillRect(Math.round(xOf(d.position, d, w)), 0, 2, axisY);
  if (highlight !== undefined && highlight !== d.position) {
    ctx.globalAlpha = 0.5;
    ctx.fillRect(Math.round(xOf(pos, d, w)), 0, 1, axisY);
    ctx.globalAlpha = 1;
  }
  $("range").textContent = `${d.from.toLocaleString("en-US")} – ${d.to.toLocaleString("en-US")} (position ${d.position.toLocaleString("en-US")}${d.position < d.present ? ", in the past" : ""})`;
  vscode.postMessage({ type: "rendered", buckets: d.buckets, events, from: d.from, to: d.to });
}

function renderLegend(): void {
  const el = $("legend");
  el.textContent = "";
  for (const kind of MARKER_KINDS) {
    const s = document.createElement("span");
    s.style.setProperty("--swatch", `var(--lane-${kind})`);
    s.textContent = LANE_LABELS[kind];
    el.appendChild(s);
  }
}

function renderBookmarks(): void {
  const ul = $("bookmarks");
  ul.textContent = "";
  for (const b of bookmarks) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.textContent = b.label;
    a.title = `Go to instruction ${b.icount}`;
    a.addEventListener("click", () => vscode.postMessage({ type: "seek", icount: b.icount }));
    const x = document.createElement("a");
    x.textContent = "×";
    x.title = "Remove the bookmark";
    x.addEventListener("click", () => vscode.postMessage({ type: "removeBookmark", icount: b.icount }));
    li.append(a, x);
    ul.appendChild(li);
  }
}

function zoom(factor: number, center?: number): void {
  if (!data) return;
  const span = Math.max(1000, (data.to - data.from) * factor);
  const c = center ?? data.position;
  let from = Math.max(data.first, Math.round(c - span / 2));
  let to = Math.round(from + span);
  if (to > data.present) {
    to = Math.max(data.present, data.position);
    from = Math.max(data.first, Math.round(to - span));
  }
  view = from <= data.first && to >= data.present ? {} : { from, to };
  query();
}

canvas.addEventListener("click", (e) => {
  if (!data) return;
  const w = canvas.clientWidth;
  const rect = canvas.getBoundingClientRect();
  const x = e.clientX - rect.left;
  const y = e.clientY - rect.top;
  const lane = Math.floor(y / LANE_H);
  let icount = icountAt(x, data, w);
  // On a marker lane, go to the first event of the column clicked (the event itself).
  const kind = MARKER_KINDS[lane];
  if (kind) {
    const b = Math.min(data.buckets - 1, Math.max(0, Math.floor(((x - LABEL_W) / (w - LABEL_W)) * data.buckets)));
    const first = data.markers[kind].first[b]!;
    if (first >= 0) icount = first;
  }
  icount = Math.max(data.first, Math.min(data.present, icount));
  vscode.postMessage({ type: "seek", icount });
});

canvas.addEventListener("mousemove", (e) => {
  if (!data) return;
  const w = canvas.clientWidth;
  const x = e.clientX - canvas.getBoundingClientRect().left;
  const b = Math.min(data.buckets - 1, Math.max(0, Math.floor((x / w) * data.buckets)));
  const counts = MARKER_KINDS.filter((k) => data!.markers[k].counts[b]).map((k) => `${LANE_LABELS[k]} ${data!.markers[k].counts[b]}`);
  $("hover").textContent = `icount ${icountAt(x, data, w).toLocaleString("en-US")} · ${formatNs(data.ns[b] ?? 0)}${counts.length ? " · " + counts.join(", ") : ""}`;
});

canvas.addEventListener(
  "wheel",
  (e) => {
    if (!data) return;
    e.preventDefault();
    const x = e.clientX - canvas.getBoundingClientRect().left;
    zoom(e.deltaY < 0 ? 0.5 : 2, icountAt(x, data, canvas.clientWidth));
  },
  { passive: false },
);

$("zoomIn").addEventListener("click", () => zoom(0.25));
$("zoomOut").addEventListener("click", () => zoom(4));
$("fit").addEventListener("click", () => {
  view = {};
  query();
});
$("bookmark").addEventListener("click", () => data && vscode.postMessage({ type: "addBookmark", icount: data.position }));

window.addEventListener("message", (ev: MessageEvent<unknown>) => {
  const m = ev.data;
  if (!isHostToWebview(m)) return;
  switch (m.type) {
    case "data":
      data = m.data;
      if (!data) $("empty").textContent = m.reason ? `No timeline: ${m.reason}.` : "Start an LVMM debug session to see its timeline.";
      draw();
      return;
    case "bookmarks":
      bookmarks = m.bookmarks;
      renderBookmarks();
      draw();
      return;
    case "reveal":
      highlight = m.icount;
      if (data) {
        const span = Math.min(data.to - data.from, Math.max(10_000, (data.present - data.first) / 16));
        view = { from: Math.max(data.first, Math.round(m.icount - span / 2)), to: Math.round(m.icount + span / 2) };
      }
      query();
      return;
  }
});

let resizeTimer: number | undefined;
new ResizeObserver(() => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(query, 100);
}).observe(canvas);

renderLegend();
vscode.postMessage({ type: "ready" });
