// The session description DESCRIBE returns (RFC 2326 Appendix C; RFC 4566), built with
// sdp-transform: one MP2T video stream (RFC 2250) under aggregate control.
import { write } from "sdp-transform";
import type { ContentItem } from "../content/catalog";
import { formatNpt } from "../rtsp/headers";

/** The one stream's control URL, relative to the presentation (Content-Base). */
export const TRACK_CONTROL = "trackID=0";

export function describeContent(item: ContentItem, host: string): string {
  const h = item.index.header;
  return write({
    version: 0,
    origin: {
      username: "-",
      sessionId: h.mediaCrc32,
      sessionVersion: 1,
      netType: "IN",
      ipVer: 4,
      address: host,
    },
    name: item.name,
    timing: { start: 0, stop: 0 },
    connection: { version: 4, ip: "0.0.0.0" },
    control: "*",
    // RFC 2326 §C.1.5 a=range; sdp-transform has no grammar entry for it, "invalid" lines are written verbatim
    invalid: [{ value: `range:npt=0-${formatNpt(item.durationSec)}` }],
    media: [
      {
        type: "video",
        port: 0,
        protocol: "RTP/AVP",
        payloads: String(h.payloadType),
        rtp: [{ payload: h.payloadType, codec: "MP2T", rate: h.clockRate }],
        fmtp: [],
        control: TRACK_CONTROL,
      },
    ],
  });
}
