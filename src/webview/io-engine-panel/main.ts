// The I/O Engine panel's webview script (bundled as an iife for the browser): server controls,
// the ffplay URL, the flight recorder's recordings (each opens in a replay debug session), the
// load generator form, the session table and the charts. It renders what
// the extension posts and answers each update with a "rendered" summary (used by tests).
import "uplot/dist/uPlot.min.css";
import "./panel.css";
import {
  ARCHES,
  isHostToWebview,
  LOAD_LIMITS,
  type Arch,
  type HostToWebview,
  type LoadStatus,
  type RecordingInfo,
  type ServerStatus,
  type SessionRow,
  type StatsSample,
  type WebviewToHost,
} from "../../protocols/io-engine-panel-messages";
import { nonEmptyCharts, shapeCharts } from "./chart-data";
import { $, vscodeApi } from "../vscode-api";
import { PanelCharts } from "./charts";

const vscode = vscodeApi<WebviewToHost>();

interface FormState {
  arch: Arch;
  clients: number;
  seconds: number;
  transport: "udp" | "tcp";
}
const saved = (vscode.getState() ?? {}) as Partial<FormState>;

let status: ServerStatus = { state: "stopped" };
let loadRunning = false;
let rows: SessionRow[] = [];
let samples: StatsSample[] = [];
let recordings: RecordingInfo[] = [];
let recordingDir = "";
const MAX_SAMPLES = 300;
const charts = new PanelCharts(document);

// ---- controls ---------------------------------------------------------------------------

const arch = $<HTMLSelectElement>("arch");
const clients = $<HTMLInputElement>("clients");
const seconds = $<HTMLInputElement>("seconds");
const transport = $<HTMLSelectElement>("transport");
if (saved.arch && ARCHES.includes(saved.arch)) arch.value = saved.arch;
if (saved.clients) clients.value = String(saved.clients);
if (saved.seconds) seconds.value = String(saved.seconds);
if (saved.transport) transport.value = saved.transport;

function saveForm(): void {
  vscode.setState({ arch: arch.value, clients: Number(clients.value), seconds: Number(seconds.value), transport: transport.value } satisfies Partial<Record<keyof FormState, unknown>>);
}
for (const el of [arch, clients, seconds, transport]) el.addEventListener("change", saveForm);

function intIn(el: HTMLInputElement, min: number, max: number): number | undefined {
  const v = Number(el.value);
  return Number.isInteger(v) && v >= min && v <= max ? v : undefined;
}

$("start").addEventListener("click", () => {
  const content = $<HTMLSelectElement>("content").value;
  vscode.postMessage({ type: "start", arch: arch.value as Arch, ...(content ? { content } : {}) });
});
$("stop").addEventListener("click", () => vscode.postMessage({ type: "stop" }));
$("copy").addEventListener("click", () => vscode.postMessage({ type: "copyUrl" }));
$<HTMLSelectElement>("content").addEventListener("change", (e) => vscode.postMessage({ type: "selectContent", content: (e.target as HTMLSelectElement).value }));
$("loadStart").addEventListener("click", () => {
  const n = intIn(clients, 1, LOAD_LIMITS.maxClients);
  const s = intIn(seconds, 1, LOAD_LIMITS.maxSeconds);
  if (n === undefined || s === undefined) {
    showNotice("error", `clients must be 1-${LOAD_LIMITS.maxClients} and seconds 1-${LOAD_LIMITS.maxSeconds}`);
    return;
  }
  vscode.postMessage({ type: "loadStart", clients: n, seconds: s, transport: transport.value === "tcp" ? "tcp" : "udp" });
});
$("loadStop").addEventListener("click", () => vscode.postMessage({ type: "loadStop" }));

// ---- rendering ----------------------------------------------------------------------------

function showNotice(level: "info" | "error", text: string): void {
  const el = $("notice");
  el.textContent = text;
  el.className = level === "error" ? "error" : "muted";
}

function renderStatus(): void {
  const s = status;
  const running = s.state === "running";
  const busy = s.state === "starting" || s.state === "stopping";
  const badge = $("state");
  const engineDown = running && s.engine?.up === false;
  badge.textContent = s.arch && s.state !== "stopped" ? `${s.state} · ${s.arch}${engineDown ? " · engine down (rebooting)" : ""}` : s.state;
  badge.className = `badge ${engineDown ? "failed" : s.state}`;
  $<HTMLButtonElement>("start").disabled = running || busy;
  $<HTMLButtonElement>("stop").disabled = !(running || s.state === "starting");
  arch.disabled = running || busy;
  if (s.arch && (running || busy)) arch.value = s.arch;
  $<HTMLButtonElement>("loadStart").disabled = !running || loadRunning;
  $<HTMLButtonElement>("loadStop").disabled = !loadRunning;
  const e = s.engine;
  $("engine").textContent = e
    ? `I/O engine ${e.up ? "up" : "down"} · ${e.maxStreams} stream slots · admits ${e.capacityMbps} Mbit/s · disk ${e.disk === "dma" ? "bus-master DMA" : "PIO"} · boots ${e.boots}`
    : "";
  const content = $<HTMLSelectElement>("content");
  const names = s.contents ?? [];
  if (content.options.length !== names.length || names.some((n, i) => content.options[i]?.value !== n)) {
    content.replaceChildren(...names.map((n) => new Option(n, n)));
  }
  const current = s.url?.slice(s.url.lastIndexOf("/") + 1);
  if (current) content.value = current;
  $("urlRow").hidden = !running || names.length < 2;
  $("ffplayRow").hidden = !s.url || !running;
  $("ffplay").textContent = s.url ? `ffplay ${s.url}` : "";
  $("metrics").textContent = running && s.metricsUrl ? `Prometheus: ${s.metricsUrl}` : "";
  const err = $("error");
  err.hidden = !s.error;
  err.textContent = s.error ?? "";
}

function cell(text: string, numeric = false): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (numeric) td.className = "num";
  return td;
}

const fmtInt = (n: number) => n.toLocaleString("en-US");
function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function renderSessions(): void {
  const body = $<HTMLTableElement>("sessions").tBodies[0]!;
  body.replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement("tr");
      tr.append(
        cell(r.id),
        cell(r.client),
        cell(r.content),
        cell(r.transport),
        cell(r.state),
        cell(fmtInt(r.packets), true),
        cell(fmtBytes(r.bytes), true),
        cell(`${r.latenessMeanMs.toFixed(2)} / ${r.latenessMaxMs.toFixed(1)}`, true),
        cell(r.lost < 0 ? "–" : `${fmtInt(r.lost)} (${(r.fractionLost * 100).toFixed(1)}%)`, true),
      );
      return tr;
    }),
  );
  $("sessionCount").textContent = rows.length ? `(${rows.length})` : "(none)";
}

function renderRecordings(): void {
  $("recordingDir").textContent = recordingDir ? `The I/O engine's flight recorder writes to ${recordingDir}` : "";
  $("recordingCount").textContent = recordings.length ? `(${recordings.length})` : "(none)";
  $<HTMLUListElement>("recordings").replaceChildren(
    ...recordings.map((r) => {
      const li = document.createElement("li");
      const path = document.createElement("code");
      path.textContent = r.path;
      const open = document.createElement("a");
      open.href = "#";
      open.textContent = "Open in the replay debugger";
      open.title = `Debug ${r.path} in a replay session`;
      open.addEventListener("click", (e) => {
        e.preventDefault();
        vscode.postMessage({ type: "openRecording", path: r.path });
      });
      li.append(path, ` · ${r.virtualSeconds.toFixed(1)} virtual s, ${fmtInt(r.events)} events · `, open);
      return li;
    }),
  );
}

function renderLoad(l: LoadStatus): void {
  const mbytes = (l.bytes / 1e6).toFixed(1);
  const head = l.running ? `running: ${l.playing}/${l.clients} playing, ${l.remainingSec} s left` : `done: ${l.clients} clients`;
  $("loadSummary").textContent = `${head} · ${l.transport.toUpperCase()} · ${fmtInt(l.packets)} packets (${mbytes} MB) · lost ${fmtInt(l.lost)}${l.errors.length ? ` · ${l.errors.join("; ")}` : ""}`;
  loadRunning = l.running;
  renderStatus();
}

function acknowledge(): void {
  vscode.postMessage({ type: "rendered", sessions: rows.length, streamSeries, samples: samples.length, nonEmptyCharts: chartsNonEmpty, recordings: recordings.length });
}

let chartsNonEmpty: string[] = [];
let streamSeries = 0;
function redrawCharts(): void {
  const c = shapeCharts(samples);
  charts.draw(c);
  chartsNonEmpty = nonEmptyCharts(c);
  streamSeries = c.streams.length;
}

function onMessage(m: HostToWebview): void {
  switch (m.type) {
    case "status":
      status = m.status;
      renderStatus();
      return;
    case "sessions":
      rows = m.rows;
      renderSessions();
      break;
    case "sample":
      samples.push(m.sample);
      if (samples.length > MAX_SAMPLES) samples = samples.slice(-MAX_SAMPLES);
      redrawCharts();
      break;
    case "history":
      samples = m.samples.slice(-MAX_SAMPLES);
      redrawCharts();
      break;
    case "load":
      renderLoad(m.load);
      return;
    case "notice":
      showNotice(m.level, m.text);
      return;
    case "recordings":
      recordings = m.recordings;
      recordingDir = m.dir;
      renderRecordings();
      break;
  }
  acknowledge();
}

window.addEventListener("message", (e: MessageEvent) => {
  if (isHostToWebview(e.data)) onMessage(e.data);
});
// VS Code changes the body's theme classes (vscode-dark, vscode-light, ...) on a theme switch.
new MutationObserver(() => {
  charts.retheme();
  redrawCharts();
}).observe(document.body, { attributes: true, attributeFilter: ["class"] });

renderStatus();
renderRecordings();
redrawCharts();
vscode.postMessage({ type: "ready" });
