#!/usr/bin/env bash
# Installs what a fresh Debian 12 + Node 20 machine lacks for this project (apt and npm).
# Safe to run again: it installs only what is missing. Needs root (or sudo) for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc-multilib: 32-bit libgcc for the guest; qemu-system-x86: the guest also runs on QEMU's
# e1000; ffmpeg: the real RTSP clients (ffprobe) and the sample clip; gdb: cross-checks the
# DWARF reader; qemu-user: runs that check's -m32 fixture under qemu-i386's gdbstub, so it works
# on kernels that cannot run 32-bit programs; chromium-headless-shell, g++, python3: the
# extension-host tests' browser and the native rebuild in tools/vscode-host/install.sh; tshark:
# opens `lvmm pcap` output in the tests.
apt_packages=(gcc gcc-multilib binutils make gdb qemu-user qemu-system-x86 ffmpeg chromium-headless-shell g++ python3 tshark)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Install scripts stay off: nothing here needs them (esbuild's binary comes as a package).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --ignore-scripts
fi

# The extension-host tests' VS Code server, Node 24 and playwright-core (skips when installed).
bash tools/vscode-host/install.sh
