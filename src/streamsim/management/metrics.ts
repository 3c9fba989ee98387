// Renders the server's state in the Prometheus text exposition format (version 0.0.4), with
// names in the style of MediaMTX's /metrics (rtsp_sessions, rtsp_sessions_bytes_sent{id=...}).
import { LATENESS_BUCKETS_SEC } from "../delivery/backend";
import type { AdmissionControl } from "./admission";
import type { SessionTable } from "./session-table";

export interface MetricsSources {
  sessions: SessionTable;
  admission: AdmissionControl;
  backendKind: string;
  backendUp: boolean;
  /** RTSP responses sent, by status code */
  responses: ReadonlyMap<number, number>;
  /** the backend's own figures (DeliveryBackend.metricsLines) */
  backendLines?: string[];
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const labels = (l: Record<string, string | number>) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${esc(String(v))}"`)
    .join(",")}}`;

export function renderMetrics(src: MetricsSources): string {
  const out: string[] = [];
  const family = (name: string, type: "gauge" | "counter" | "histogram", help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const sessions = src.sessions.all();

  family("rtsp_sessions", "gauge", "RTSP sessions, one line per session (1), or 0 when there are none.");
  if (sessions.length === 0) out.push("rtsp_sessions 0");
  for (const s of sessions) out.push(`rtsp_sessions${labels({ id: s.id, remoteAddr: s.remoteAddr, content: s.content, transport: s.transport.lower, state: s.state })} 1`);

  const perSession = (name: string, type: "gauge" | "counter", help: string, value: (s: (typeof sessions)[number]) => number) => {
    family(name, type, help);
    for (const s of sessions) out.push(`${name}${labels({ id: s.id })} ${value(s)}`);
  };
  perSession("rtsp_sessions_bytes_sent", "counter", "RTP bytes (header + payload) sent to the session.", (s) => s.stats.rtpBytes);
  perSession("rtsp_sessions_rtp_packets_sent", "counter", "RTP packets sent to the session.", (s) => s.stats.rtpPackets);
  perSession("rtsp_sessions_rtcp_packets_sent", "counter", "RTCP compound packets sent to the session.", (s) => s.stats.rtcpPackets);
  perSession("rtsp_sessions_rtp_packets_lost", "gauge", "Cumulative packets lost, from the client's latest RTCP receiver report.", (s) => s.stats.packetsLost);
  perSession("rtsp_sessions_rtp_fraction_lost", "gauge", "Fraction lost since the previous report, from RTCP.", (s) => s.stats.fractionLost);
  perSession("rtsp_sessions_rtp_jitter_seconds", "gauge", "Interarrival jitter from the client's RTCP receiver report.", (s) => s.stats.jitterSec);
  perSession("rtsp_sessions_rtcp_receiver_reports", "counter", "RTCP receiver reports received from the client.", (s) => s.stats.receiverReports);
  perSession("rtsp_sessions_lateness_seconds_max", "gauge", "Largest RTP send lateness (actual minus scheduled send time).", (s) => s.stats.lateness.maxSec);
  perSession("rtsp_sessions_position_seconds", "gauge", "Play position (npt).", (s) => s.stats.positionSec);

  const lat = src.sessions.totalLateness();
  family("rtsp_delivery_lateness_seconds", "histogram", "RTP send lateness: actual send time minus the time the hint index scheduled.");
  LATENESS_BUCKETS_SEC.forEach((le, i) => out.push(`rtsp_delivery_lateness_seconds_bucket{le="${le}"} ${lat.buckets[i]}`));
  out.push(`rtsp_delivery_lateness_seconds_bucket{le="+Inf"} ${lat.count}`);
  out.push(`rtsp_delivery_lateness_seconds_sum ${lat.sumSec}`, `rtsp_delivery_lateness_seconds_count ${lat.count}`);

  family("rtsp_sessions_created_total", "counter", "Sessions created by SETUP.");
  out.push(`rtsp_sessions_created_total ${src.sessions.created}`);
  family("rtsp_sessions_timed_out_total", "counter", "Sessions torn down because the client went quiet.");
  out.push(`rtsp_sessions_timed_out_total ${src.sessions.timedOut}`);
  family("rtsp_admission_capacity_bps", "gauge", "Delivery capacity the backend declares, bits/s.");
  out.push(`rtsp_admission_capacity_bps ${src.admission.capacityBps}`);
  family("rtsp_admission_reserved_bps", "gauge", "Bits/s reserved by admitted sessions.");
  out.push(`rtsp_admission_reserved_bps ${src.admission.reserved}`);
  family("rtsp_admission_rejected_total", "counter", "SETUPs refused with 453 Not Enough Bandwidth.");
  out.push(`rtsp_admission_rejected_total ${src.admission.rejected}`);
  family("rtsp_backend_up", "gauge", "1 when the delivery backend accepts new streams.");
  out.push(`rtsp_backend_up${labels({ kind: src.backendKind })} ${src.backendUp ? 1 : 0}`);
  family("rtsp_responses_total", "counter", "RTSP responses sent, by status code.");
  for (const [code, n] of [...src.responses].sort((a, b) => a[0] - b[0])) out.push(`rtsp_responses_total${labels({ code })} ${n}`);
  out.push(...(src.backendLines ?? []));
  return `${out.join("\n")}\n`;
}
