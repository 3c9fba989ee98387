// What a Request-URI names: a presentation (aggregate control) or its one stream.
//   rtsp://host[:port]/<name>[.ts][/trackID=0]
import { RtspError } from "../rtsp/errors";
import { RtspStatus } from "../rtsp/status";
import { TRACK_CONTROL } from "./sdp";

export interface RequestTarget {
  /** "*" for OPTIONS * */
  content: string;
  /** the stream (track) was named, not the aggregate */
  track: boolean;
  /** rtsp://host:port/name as the client wrote it, for Content-Base and RTP-Info */
  presentationUrl: string;
}

export function parseRequestTarget(uri: string): RequestTarget {
  if (uri === "*") return { content: "*", track: false, presentationUrl: "*" };
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new RtspError(RtspStatus.BadRequest, `Request-URI ${JSON.stringify(uri.slice(0, 80))} is not an absolute URL`);
  }
  if (url.protocol !== "rtsp:" && url.protocol !== "rtspu:") throw new RtspError(RtspStatus.BadRequest, `Request-URI scheme ${url.protocol} is not rtsp:`);
  let segs = url.pathname.split("/").filter((s) => s !== "");
  let track = false;
  if (segs.length > 0 && segs[segs.length - 1] === TRACK_CONTROL) {
    track = true;
    segs = segs.slice(0, -1);
  }
  let content: string;
  try {
    content = segs.map((s) => decodeURIComponent(s)).join("/");
  } catch {
    throw new RtspError(RtspStatus.BadRequest, "bad percent-encoding in Request-URI");
  }
  content = content.replace(/\.ts$/, "");
  const base = `rtsp://${url.host}${segs.length ? `/${segs.join("/")}` : ""}`;
  return { content, track, presentationUrl: base };
}
