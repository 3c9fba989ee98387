// The panel's HTML: a strict CSP (no inline script or style, scripts by nonce only) and every
// element the webview script looks up.
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { contentSecurityPolicy, makeNonce, panelHtml } from "../../src/extension/io-engine-panel/panel-html";

const opts = { cspSource: "https://webview.example", nonce: "n0nce", scriptUri: "https://webview.example/io-engine-panel.js", styleUri: "https://webview.example/io-engine-panel.css" };

test("the CSP allows only our bundle (by nonce) and our stylesheet", () => {
  const csp = contentSecurityPolicy(opts);
  assert.match(csp, /^default-src 'none'; /);
  assert.match(csp, /script-src 'nonce-n0nce'(;|$)/);
  assert.match(csp, /style-src https:\/\/webview\.example(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  const html = panelHtml(opts);
  assert.ok(html.includes(`content="${csp.replace(/'/g, "'")}"`));
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  assert.deepEqual(scripts, [`<script nonce="n0nce" src="${opts.scriptUri}">`], "one script, by nonce, no inline code");
  assert.doesNotMatch(html, /<style|\sstyle=|\son\w+=/i, "no inline style or event handler attributes");
});

test("nonces are fresh and long enough", () => {
  const a = makeNonce();
  assert.notEqual(a, makeNonce());
  assert.match(a, /^[A-Za-z0-9_-]{24}$/);
});

test("every id the webview script looks up is in the HTML", () => {
  const html = panelHtml(opts);
  const script = readFileSync(join(import.meta.dirname, "../../src/webview/io-engine-panel/main.ts"), "utf8");
  const ids = new Set([...script.matchAll(/\$(?:<\w+>)?\("([\w-]+)"\)/g)].map((m) => m[1]!));
  for (const name of ["bitrate", "lateness", "misses", "queue", "cpu"]) ids.add(`chart-${name}`);
  assert.ok(ids.size > 15, `found ${ids.size} ids`);
  for (const id of ids) assert.ok(html.includes(`id="${id}"`), `#${id} is in the HTML`);
});
