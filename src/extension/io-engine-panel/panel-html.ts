// The I/O Engine panel's HTML: a strict Content-Security-Policy (nothing but our own bundle, run
// by nonce, and our own stylesheet), and the static layout the webview script fills in.
// No vscode import: unit-tested in node.
import { webviewPage, type WebviewPageOptions } from "../webview-page";

export { contentSecurityPolicy, makeNonce } from "../webview-page";

export type PanelHtmlOptions = WebviewPageOptions;

export function panelHtml(o: PanelHtmlOptions): string {
  return webviewPage({
    ...o,
    title: "I/O Engine",
    body: `<section id="server" aria-label="Stream server">
  <div class="row">
    <select id="arch" aria-label="Architecture">
      <option value="conventional">Conventional (Node delivers)</option>
      <option value="ioengine">I/O engine (emulated machine)</option>
    </select>
    <button id="start">Start</button>
    <button id="stop" class="secondary">Stop</button>
    <span id="state" class="badge">stopped</span>
  </div>
  <div id="engine" class="muted"></div>
  <div class="row" id="urlRow" hidden>
    <select id="content" aria-label="Content"></select>
  </div>
  <div class="row" id="ffplayRow" hidden>
    <code id="ffplay" title="Open this in ffplay"></code>
    <button id="copy" class="secondary" title="Copy the rtsp:// URL">Copy URL</button>
  </div>
  <div id="metrics" class="muted"></div>
  <div id="error" class="error" role="alert" hidden></div>
  <div id="notice" class="muted" role="status"></div>
</section>
<section id="recordingSection" aria-label="Recordings">
  <h3>Recordings <span id="recordingCount" class="muted"></span></h3>
  <div id="recordingDir" class="muted"></div>
  <ul id="recordings"></ul>
</section>
<section id="load" aria-label="Load generator">
  <h3>Load generator</h3>
  <div class="row">
    <label>Clients <input id="clients" type="number" min="1" max="200" value="10"></label>
    <label>Seconds <input id="seconds" type="number" min="1" max="3600" value="30"></label>
    <select id="transport" aria-label="RTP transport">
      <option value="udp">RTP/UDP</option>
      <option value="tcp">RTP/TCP interleaved</option>
    </select>
  </div>
  <div class="row">
    <button id="loadStart">Run load</button>
    <button id="loadStop" class="secondary">Stop load</button>
  </div>
  <div id="loadSummary" class="muted"></div>
</section>
<section aria-label="Sessions">
  <h3>Sessions <span id="sessionCount" class="muted"></span></h3>
  <div class="table-wrap">
    <table id="sessions">
      <thead><tr>
        <th>id</th><th>client</th><th>content</th><th>transport</th><th>state</th>
        <th class="num">packets</th><th class="num">bytes</th><th class="num">lateness ms (mean/max)</th><th class="num">loss</th>
      </tr></thead>
      <tbody></tbody>
    </table>
  </div>
</section>
<section id="charts" aria-label="Charts">
  <h3>Charts</h3>
  <div class="chart" id="chart-bitrate"><h4>Bitrate per stream (Mbit/s)</h4></div>
  <div class="chart" id="chart-lateness"><h4>Lateness per stream (ms, mean over each second)</h4></div>
  <div class="chart" id="chart-misses"><h4>Deadline misses (packets &gt; 5 ms late, per s)</h4></div>
  <div class="chart" id="chart-queue"><h4>Engine queue depth (packets due but unsent; I/O engine only)</h4></div>
  <div class="chart" id="chart-cpu"><h4>CPU (%): guest busy ratio (I/O engine) and server process</h4></div>
</section>`,
  });
}
