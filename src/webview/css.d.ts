// Stylesheets imported by webview scripts: esbuild emits them as a .css beside the bundle.
declare module "*.css";
