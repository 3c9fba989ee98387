// Puts one of our webview views on screen: options confined to the bundle folder, the page
// shell with the view's bundle and stylesheet, and message/dispose wiring.
import * as vscode from "vscode";
import { makeNonce, type WebviewPageOptions } from "./webview-page";

/** Where esbuild.js writes the webview bundles. */
const WEBVIEW_DIR = "dist/webview";

export function hostWebview(
  view: vscode.WebviewView,
  extensionUri: vscode.Uri,
  bundle: string,
  render: (o: WebviewPageOptions) => string,
  onMessage: (m: unknown) => void,
  onDispose: () => void,
): vscode.Disposable[] {
  const root = vscode.Uri.joinPath(extensionUri, WEBVIEW_DIR);
  const uri = (file: string): string => view.webview.asWebviewUri(vscode.Uri.joinPath(root, file)).toString();
  view.webview.options = { enableScripts: true, localResourceRoots: [root] };
  view.webview.html = render({ cspSource: view.webview.cspSource, nonce: makeNonce(), scriptUri: uri(`${bundle}.js`), styleUri: uri(`${bundle}.css`) });
  return [view.webview.onDidReceiveMessage(onMessage), view.onDidDispose(onDispose)];
}
