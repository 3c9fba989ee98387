// The Timeline view's HTML: a strict Content-Security-Policy (our bundle by nonce, our
// stylesheet), a toolbar, the canvas the webview script draws on and a legend.
// No vscode import: unit-testable in node.
import { webviewPage, type WebviewPageOptions } from "../webview-page";

export { makeNonce } from "../webview-page";

export type TimelineHtmlOptions = WebviewPageOptions;

export function timelineHtml(o: TimelineHtmlOptions): string {
  return webviewPage({
    ...o,
    title: "Timeline",
    body: `<div class="row">
  <button id="zoomIn" title="Zoom in around the current position">+</button>
  <button id="zoomOut" title="Zoom out">&minus;</button>
  <button id="fit" title="Show the whole run">Fit</button>
  <button id="bookmark" title="Bookmark the current position">Bookmark</button>
  <span id="range" class="muted"></span>
</div>
<canvas id="canvas" height="120" aria-label="Timeline: click to go to that instruction count"></canvas>
<div id="hover" class="muted">&nbsp;</div>
<div id="legend" class="legend"></div>
<ul id="bookmarks" aria-label="Bookmarks"></ul>
<div id="empty" class="muted">Start an LVMM debug session to see its timeline.</div>`,
  });
}
