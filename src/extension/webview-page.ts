// The page shell every webview of ours uses: a strict Content-Security-Policy (our own bundle,
// run by nonce, and our own stylesheet; nothing else), the head, and the script tag. Views only
// supply their title and body. No vscode import: unit-testable in node.
import { randomBytes } from "node:crypto";

export interface WebviewPageOptions {
  /** webview.cspSource */
  cspSource: string;
  nonce: string;
  /** webview URIs of the view's bundle and stylesheet */
  scriptUri: string;
  styleUri: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString("base64url");
}

export function contentSecurityPolicy(o: Pick<WebviewPageOptions, "cspSource" | "nonce">): string {
  return ["default-src 'none'", `img-src ${o.cspSource} data:`, `style-src ${o.cspSource}`, `font-src ${o.cspSource}`, `script-src 'nonce-${o.nonce}'`].join("; ");
}

export const escapeAttr = (s: string): string => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

export function webviewPage(o: WebviewPageOptions & { title: string; body: string }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
<title>${escapeAttr(o.title)}</title>
</head>
<body>
${o.body}
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>`;
}
