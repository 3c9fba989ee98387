#!/usr/bin/env bash
# Installs what `npm run bench` needs beyond scripts/setup.sh (kept out of it so CI stays lean):
# gst-rtsp-server with its Python bindings and the tsparse/rtpmp2tpay elements, the outside
# anchor of bench/streams.bench.ts; qemu-img (qemu-utils), which bench/gdbstub.bench.ts needs for
# QEMU's record/replay snapshots. Installs only what is missing. Never fails the bench: without
# these the stream bench prints "n/a" for gst-rtsp-server.
set -uo pipefail

# gir1.2-gst-rtsp-server-1.0 + python3-gi: GstRtspServer from Python; gstreamer1.0-plugins-bad:
# tsparse (mpegtsdemux); gstreamer1.0-plugins-good: rtpmp2tpay (rtp).
apt_packages=(gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-good gstreamer1.0-plugins-bad qemu-utils)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup-bench: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
  echo "setup-bench: could not install ${missing[*]}; the stream bench skips gst-rtsp-server, the gdb stub bench QEMU's reverse-stepi" >&2
fi
exit 0
