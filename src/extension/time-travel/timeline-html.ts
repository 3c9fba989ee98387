// The Timeline view's HTML: a strict Content-Security-Policy (our bundle by nonce, our
// stylesheet), a toolbar, the canvas the webview script draws on and a legend.
// No vscode import: unit-testable in node.
import { contentSecurityPolicy, makeNonce } from "../io-engine-panel/panel-html";

export { makeNonce };

export interface TimelineHtmlOptions {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

const escapeAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

export function timelineHtml(o: TimelineHtmlOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
<title>Timeline</title>
</head>
<body>
<div class="row">
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
<div id="empty" class="muted">Start an LVMM debug session to see its timeline.</div>
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>`;
}
