#!/usr/bin/python3
"""RTSP test server: serves an H.264 file over RTSP with Debian's gst-rtsp-server.

Usage: /usr/bin/python3 rtsp_server.py --port PORT --file FILE.mp4 [--path /cam]
Prints "READY rtsp://127.0.0.1:PORT/PATH" once it accepts connections. The
media is shared between clients and plays in real time; at the end of the
file it starts again (the EOS is dropped at the payloader and the pipeline
seeks back from the main loop: seeking inside a media signal handler
deadlocks), so the stream never ends on its own.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--path", default="/cam")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f"( filesrc location={args.file} ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(True)
    factory.set_eos_shutdown(False)
    factory.connect("media-configure", loop_at_end)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on port {args.port}", file=sys.stderr)
        return 1
    print(f"READY rtsp://127.0.0.1:{args.port}{args.path}", flush=True)
    GLib.MainLoop().run()
    return 0


def loop_at_end(_factory, media):
    """Drop EOS at the payloader and seek back to the start from the main loop."""
    element = media.get_element()
    pad = element.get_by_name("pay0").get_static_pad("sink")

    def rewind():
        pipeline = element.get_parent() or element
        pipeline.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, 0)
        return False

    def on_event(_pad, info):
        if info.get_event().type == Gst.EventType.EOS:
            GLib.idle_add(rewind)
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    pad.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, on_event)


if __name__ == "__main__":
    sys.exit(main())
