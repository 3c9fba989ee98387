#!/usr/bin/python3
# gst-rtsp-server serving one MPEG-TS file as RTP payload type 33 on 127.0.0.1: the outside
# anchor of the stream bench (bench/streams.bench.ts). Apt packages: scripts/setup-bench.sh.
#   python3 bench/lib/gst-rtsp-server.py PORT FILE MOUNT [SECONDS]   e.g. 8554 clip.ts /clip
# It stops on SIGINT/SIGTERM, or after SECONDS (default 900) if nobody stops it.
# tsparse paces the file by its PCR (set-timestamps) in 7-TS-packet buffers, so each RTP packet
# carries 1316 bytes and its own timestamp, as lvmm's do. The factory is not shared: each client
# gets its own pipeline (its own position in the file), as each lvmm session does.
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

port, path, mount = sys.argv[1], sys.argv[2], sys.argv[3]
lifetime = int(sys.argv[4]) if len(sys.argv) > 4 else 900
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    f'( filesrc location="{path}" ! tsparse set-timestamps=true alignment=7 ! rtpmp2tpay name=pay0 pt=33 )'
)
factory.set_shared(False)
server.get_mount_points().add_factory(mount, factory)
if server.attach(None) == 0:
    sys.exit(f"gst-rtsp-server: cannot listen on 127.0.0.1:{port}")
loop = GLib.MainLoop()
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
GLib.timeout_add_seconds(lifetime, loop.quit)
print(f"gst-rtsp-server: rtsp://127.0.0.1:{port}{mount}", flush=True)
loop.run()
